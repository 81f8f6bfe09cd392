"""OpenSanctions exports: FollowTheMoney entities (JSON Lines) and `targets.simple.csv`.

Formats, as documented by OpenSanctions (https://www.opensanctions.org/docs/bulk/) and
FollowTheMoney (https://followthemoney.tech/docs/):

- FollowTheMoney JSON Lines ("entities.ftm.json"): one entity a line, with `id`,
  `schema`, `properties` (every property a list of texts) and OpenSanctions' `target`,
  `first_seen`, `last_seen`. Names are `name`, `alias`, `previousName` and `weakAlias`;
  the data dictionary defines a weak alias as "a relatively broad or generic alias that
  should not be used for matching in screening systems", so it is kept as one. Countries
  are lower-case ISO codes (`country`, `nationality`, `citizenship`, `jurisdiction`). A
  sanction is an entity of its own (schema `Sanction`) that names the sanctioned entity
  in `entity`, with `program`/`programId`, `listingDate`, `startDate` and `endDate`.
- The simplified CSV ("targets.simple.csv"): one row per target with `id`, `schema`,
  `name`, `aliases`, `countries`, `program_ids`, `first_seen`, `last_seen` (several
  values separated by ";"). It does not say which aliases are weak, nor when an entity
  was listed: import the FollowTheMoney file to keep those.

The targets are imported (OpenSanctions marks the sanctioned entities as targets; the
others are linked ones, such as a director). The retrieval time is the latest
`last_seen` in the file: when OpenSanctions last saw its source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import Draft, ImportedList, ListedEntity, ListImportError, Notice
from .source import csv_rows, guess_help, json_lines, parse_date, parse_time, read

FORMATS = ("opensanctions-ftm", "opensanctions-csv")
TITLE = "OpenSanctions"
SOURCE_URL = "https://www.opensanctions.org/datasets/"
_TYPES = {
    "Person": "person",
    "Organization": "organization",
    "Company": "organization",
    "LegalEntity": "organization",
    "PublicBody": "organization",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
_COUNTRY_PROPERTIES = ("country", "nationality", "citizenship", "jurisdiction", "mainCountry")


def _texts(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _latest(moments: Iterable[str]) -> dt.datetime | dt.date | None:
    found = [m for m in (parse_time(t) for t in moments) if m is not None]
    as_times = [
        m if isinstance(m, dt.datetime) else dt.datetime(m.year, m.month, m.day, tzinfo=dt.UTC)
        for m in found
    ]
    return max(as_times) if as_times else None


def read_ftm(path: Path) -> ImportedList:
    """The target entities of a FollowTheMoney JSON Lines file."""
    data, sha256 = read(path)
    drafts: dict[str, tuple[int, Draft]] = {}
    sanctions: dict[str, list[dict[str, list[str]]]] = {}
    seen: list[str] = []
    for line, entity in json_lines(path, data):
        if not isinstance(entity, dict) or not isinstance(entity.get("schema"), str):
            raise ListImportError(
                path,
                "this line is not a FollowTheMoney entity (an object with `schema`)",
                guess_help(data, "FollowTheMoney JSON Lines"),
                line,
            )
        properties = entity.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        seen += [t for t in (entity.get("last_seen"),) if isinstance(t, str)]
        schema = entity["schema"]
        if schema == "Sanction":
            for target in _texts(properties.get("entity")):
                sanctions.setdefault(target, []).append(
                    {
                        k: _texts(properties.get(k))
                        for k in ("program", "programId", "listingDate", "startDate", "endDate")
                    }
                )
            continue
        # Without OpenSanctions' `target` flag (a plain FollowTheMoney file) every
        # person, organisation, vessel and aircraft is taken.
        if schema not in _TYPES or entity.get("target", True) is not True:
            continue
        ref = entity.get("id")
        if not isinstance(ref, str) or not ref:
            raise ListImportError(path, "this entity has no `id`", guess_help(data, "FTM"), line)
        draft = Draft(ref=ref, type=_TYPES[schema])
        for name in _texts(properties.get("name")):
            draft.name(name, primary=True)
        for key in ("alias", "previousName"):
            for name in _texts(properties.get(key)):
                draft.name(name)
        for name in _texts(properties.get("weakAlias")):
            draft.name(name, weak=True)
        for key in _COUNTRY_PROPERTIES:
            for code in _texts(properties.get(key)):
                draft.country(code)
        for programme in _texts(properties.get("programId")):
            draft.programme(programme)
        drafts[ref] = (line, draft)
    entities: list[ListedEntity] = []
    notices: list[Notice] = []
    for ref, (line, draft) in drafts.items():
        found = sanctions.get(ref, [])
        for sanction in found:
            for programme in sanction["programId"] or sanction["program"]:
                draft.programme(programme)
            dates = [parse_date(d) for d in sanction["listingDate"] + sanction["startDate"]]
            draft.listed += [d for d in dates if d is not None]
        ends = [max(filter(None, map(parse_date, s["endDate"])), default=None) for s in found]
        # Delisted only when every sanction of the entity has ended.
        if ends and all(end is not None for end in ends):
            draft.delisted.append(max(e for e in ends if e is not None) + dt.timedelta(days=1))
        entity = draft.finish()
        if entity is None:
            notices.append(Notice(f"entity {ref} has no name: left out", line))
        else:
            entities.append(entity)
    return ImportedList("opensanctions-ftm", tuple(entities), _latest(seen), sha256, tuple(notices))


def read_simple_csv(path: Path) -> ImportedList:
    """The targets of OpenSanctions' `targets.simple.csv`."""
    data, sha256 = read(path)
    entities: list[ListedEntity] = []
    notices: list[Notice] = []
    seen: list[str] = []
    rows = csv_rows(
        path, data, ("id", "schema", "name", "aliases", "countries"), "OpenSanctions simple CSV"
    )
    for line, row in rows:
        seen.append(row.get("last_seen", ""))
        draft = Draft(ref=row["id"] or f"line {line}", type=_TYPES.get(row["schema"]))
        draft.name(row["name"], primary=True)
        for part in row["aliases"].split(";"):
            draft.name(part)
        for code in row["countries"].split(";"):
            draft.country(code)
        for programme in row.get("program_ids", "").split(";"):
            draft.programme(programme)
        entity = draft.finish()
        if entity is None:
            notices.append(Notice(f"row {draft.ref} has no name: left out", line))
        else:
            entities.append(entity)
    return ImportedList("opensanctions-csv", tuple(entities), _latest(seen), sha256, tuple(notices))
