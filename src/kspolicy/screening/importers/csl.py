"""The US Consolidated Screening List (CSL), as JSON or CSV.

Format: the CSL files published by the International Trade Administration
(https://www.trade.gov/consolidated-screening-list, "consolidated.json" and
"consolidated.csv"), which combine the export screening lists of the Departments of
Commerce, State and the Treasury. A record has `name`, `alt_names`, `programs`, `source`
(the list it comes from, e.g. "Entity List (EL) - Bureau of Industry and Security"),
`type`, `start_date`, `end_date`, `addresses` (with a `country` code), `nationalities`,
`citizenships` and an id (`id` in JSON, `_id` in CSV; `entity_number` when the source
has one). In the CSV a field with several values separates them by "; ", and an
address ends with its country code.

The CSL "only contains active entities" (the CSL API's documentation): a record whose
`end_date` has passed is kept as delisted the day after; an entity removed from the list
is absent, which `--previous` records. The CSL does not say which aliases are weak:
every alias it gives is kept as a strong one. The list it comes from is kept as a
programme beside its `programs`, since an Entity List entry and an SDN entry lead to
different obligations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import Draft, ImportedList, ListedEntity, ListImportError, Notice
from .source import csv_rows, guess_help, json_document, parse_date, read

FORMATS = ("us-csl-json", "us-csl-csv")
TITLE = "US Consolidated Screening List"
SOURCE_URL = "https://www.trade.gov/consolidated-screening-list"
_TYPES = {
    "individual": "person",
    "entity": "organization",
    "vessel": "vessel",
    "aircraft": "aircraft",
}


def read_json(path: Path) -> ImportedList:
    """The entities of the CSL's JSON file."""
    data, sha256 = read(path)
    document = json_document(path, data)
    records = document.get("results") if isinstance(document, dict) else document
    if not isinstance(records, list):
        raise ListImportError(
            path,
            "the JSON is not the CSL: it holds no list of records (a `results` list)",
            guess_help(data, "CSL JSON"),
            1,
        )
    entities: list[ListedEntity] = []
    notices: list[Notice] = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise ListImportError(
                path,
                f"record {number} of the list is not an object",
                guess_help(data, "CSL JSON"),
            )
        countries = [
            a.get("country") for a in _list(record.get("addresses")) if isinstance(a, dict)
        ]
        _add(entities, notices, record, countries, number, None)
    return ImportedList("us-csl-json", tuple(entities), None, sha256, tuple(notices))


def read_csv(path: Path) -> ImportedList:
    """The entities of the CSL's CSV file."""
    data, sha256 = read(path)
    entities: list[ListedEntity] = []
    notices: list[Notice] = []
    rows = csv_rows(path, data, ("name", "source", "alt_names"), "CSL CSV")
    for number, (line, row) in enumerate(rows, start=1):
        record: dict[str, Any] = {
            key: _split(value)
            if key in ("alt_names", "programs", "nationalities", "citizenships")
            else value
            for key, value in row.items()
        }
        countries = [a.rsplit(",", 1)[-1] for a in _split(row.get("addresses", ""))]
        _add(entities, notices, record, countries, number, line)
    return ImportedList("us-csl-csv", tuple(entities), None, sha256, tuple(notices))


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _texts(value: Any) -> Iterable[str]:
    return (v for v in _list(value) if isinstance(v, str))


def _add(
    entities: list[ListedEntity],
    notices: list[Notice],
    record: dict[str, Any],
    countries: Iterable[Any],
    number: int,
    line: int | None,
) -> None:
    ref = str(record.get("id") or record.get("_id") or record.get("entity_number") or f"#{number}")
    draft = Draft(ref=ref)
    kind = record.get("type")
    draft.type = _TYPES.get(kind.strip().lower()) if isinstance(kind, str) else None
    name = record.get("name")
    draft.name(name if isinstance(name, str) else None, primary=True)
    for alias in _texts(record.get("alt_names")):
        draft.name(alias)
    for programme in _texts(record.get("programs")):
        draft.programme(programme)
    source = record.get("source")
    draft.programme(source if isinstance(source, str) else None)
    for country in (
        *countries,
        *_texts(record.get("nationalities")),
        *_texts(record.get("citizenships")),
    ):
        if isinstance(country, str) and len(country.strip()) == 2 and country.strip().isalpha():
            draft.country(country)
    start = record.get("start_date")
    listed = parse_date(start) if isinstance(start, str) else None
    if listed is not None:
        draft.listed.append(listed)
    end = record.get("end_date")
    ended = parse_date(end) if isinstance(end, str) else None
    if ended is not None:
        draft.delisted.append(ended + dt.timedelta(days=1))  # `end_date` is its last day
    entity = draft.finish()
    if entity is None:
        notices.append(Notice(f"record {ref} has no name: left out", line))
    else:
        entities.append(entity)
