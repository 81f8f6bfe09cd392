"""Importers: a publisher's sanctions list file made into a kspolicy list file.

`import_list(FORMAT, FILE, ...)` reads the file in its publisher's format and gives the
TOML text of an entities list (docs/screening-import.md): each entity with its source
reference, type, strong and weak aliases, countries, programmes and listing and
delisting dates, and the list with its source, source URL, retrieval time, the file's
sha256 and how old it may get (`max_age`).

The output is a pure function of the file and the options: entities sorted, names
without duplicates, no clock. The retrieval time is `retrieved` when given, else the time
the file itself states (the EU's `generationDate`, OpenSanctions' latest `last_seen`);
a file that states none (the CSL) needs `retrieved`. So importing one file twice gives
the same bytes, and the same sha256.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import tomli_w

from . import csl, eu, opensanctions, uk
from .model import ImportedList, ListedEntity, ListImportError, Notice

__all__ = [
    "DEFAULT_MAX_AGE",
    "FORMATS",
    "ImportedList",
    "ListImportError",
    "ListedEntity",
    "Notice",
    "Result",
    "import_list",
]


@attrs.frozen
class Format:
    """One publisher's file format: how to read it, and what its list is called."""

    read: Callable[[Path], ImportedList]
    name: str  # the list's default name in the list file
    title: str
    url: str
    description: str


FORMATS: dict[str, Format] = {
    "eu-fsf": Format(eu.read_file, "EU_FSF", eu.TITLE, eu.SOURCE_URL, "EU FSF XML file"),
    "uk": Format(uk.read_file, "UK_SANCTIONS", uk.TITLE, uk.SOURCE_URL, "UK sanctions list XML"),
    "us-csl-json": Format(csl.read_json, "US_CSL", csl.TITLE, csl.SOURCE_URL, "CSL JSON file"),
    "us-csl-csv": Format(csl.read_csv, "US_CSL", csl.TITLE, csl.SOURCE_URL, "CSL CSV file"),
    "opensanctions-ftm": Format(
        opensanctions.read_ftm,
        "OPENSANCTIONS",
        opensanctions.TITLE,
        opensanctions.SOURCE_URL,
        "FollowTheMoney JSON Lines export",
    ),
    "opensanctions-csv": Format(
        opensanctions.read_simple_csv,
        "OPENSANCTIONS",
        opensanctions.TITLE,
        opensanctions.SOURCE_URL,
        "targets.simple.csv",
    ),
}

# How old an imported list may get by default: the publishers update their lists within
# days of a new designation, so a list a week old may already miss one.
DEFAULT_MAX_AGE = "7d"
_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


@attrs.frozen
class Result:
    """An import: the list file's text, the list as read, and what the import left out."""

    text: str
    imported: ImportedList
    delisted_from_previous: int = 0


def import_list(
    format: str,
    path: Path,
    *,
    name: str | None = None,
    retrieved: dt.date | dt.datetime | None = None,
    source_url: str | None = None,
    max_age: str = DEFAULT_MAX_AGE,
    previous: Path | None = None,
) -> Result:
    """The list file made from a publisher's file (ListImportError when it cannot be)."""
    spec = FORMATS.get(format)
    if spec is None:
        raise ListImportError(
            path, f"no format {format!r}", f"the formats are: {', '.join(FORMATS)}"
        )
    name = name or spec.name
    if not _NAME.fullmatch(name):
        raise ListImportError(
            path,
            f"{name!r} cannot name a list",
            "write it in capitals, digits and _, starting with a letter: EU_SANCTIONS",
        )
    imported = spec.read(path)
    when = retrieved if retrieved is not None else imported.retrieved
    if when is None:
        raise ListImportError(
            path,
            f"the {spec.description} does not say when it was made",
            "say when you downloaded it: --retrieved YYYY-MM-DD",
        )
    entities = list(imported.entities)
    gone = 0
    if previous is not None:
        entities, gone = _with_previous(previous, name, entities, _day(when))
    entities.sort(key=lambda e: (e.name.casefold(), e.name, e.ref))
    _check_refs(path, entities)
    table: dict[str, Any] = {
        "kind": "entities",
        "title": spec.title,
        "source": f"{spec.title} ({format} file)",
        "source_url": source_url or spec.url,
        "retrieved": when,
        "sha256": imported.sha256,
        "max_age": max_age,
        "entries": [_entry(e) for e in entities],
    }
    if not entities:
        raise ListImportError(path, f"the {spec.description} holds no entity", None)
    header = (
        f"# Made by `kspolicy lists import {format}`: import the list again rather than\n"
        f"# edit it.\n"
    )
    return Result(header + tomli_w.dumps({name: table}), imported, gone)


def _day(moment: dt.date | dt.datetime) -> dt.date:
    return moment.date() if isinstance(moment, dt.datetime) else moment


def _entry(entity: ListedEntity) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": entity.name, "ref": entity.ref}
    if entity.type:
        entry["type"] = entity.type
    for key in ("aliases", "weak_aliases", "countries", "programmes"):
        if getattr(entity, key):
            entry[key] = list(getattr(entity, key))
    for key in ("listed", "delisted"):
        if getattr(entity, key) is not None:
            entry[key] = getattr(entity, key)
    return entry


def _check_refs(path: Path, entities: list[ListedEntity]) -> None:
    seen: set[str] = set()
    for entity in entities:
        if entity.ref in seen:
            raise ListImportError(
                path,
                f"two entities have the reference {entity.ref!r}",
                "the file repeats an entity: download it again",
            )
        seen.add(entity.ref)


def _with_previous(
    previous: Path, name: str, entities: list[ListedEntity], day: dt.date
) -> tuple[list[ListedEntity], int]:
    """The entities, with those of the previous import that are gone marked delisted."""
    try:
        data = tomllib.loads(previous.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ListImportError(
            previous, f"cannot read the previous list: {exc}", "name a list file this command made"
        ) from None
    table = data.get(name)
    if not isinstance(table, dict) or not isinstance(table.get("entries"), list):
        raise ListImportError(
            previous,
            f"the previous list file has no list {name}",
            "give the same --name as when it was made",
        )
    present = {e.ref for e in entities}
    kept = list(entities)
    gone = 0
    for raw in table["entries"]:
        if not isinstance(raw, dict) or raw.get("ref") in present:
            continue
        if not isinstance(raw.get("ref"), str) or not isinstance(raw.get("name"), str):
            continue
        delisted = raw.get("delisted")
        listed = raw.get("listed")
        if not isinstance(delisted, dt.date):
            delisted = day
            gone += 1
        kept.append(
            ListedEntity(
                ref=raw["ref"],
                name=raw["name"],
                type=raw.get("type") if isinstance(raw.get("type"), str) else None,
                aliases=tuple(_strings(raw.get("aliases"))),
                weak_aliases=tuple(_strings(raw.get("weak_aliases"))),
                countries=tuple(_strings(raw.get("countries"))),
                programmes=tuple(_strings(raw.get("programmes"))),
                listed=listed if isinstance(listed, dt.date) and listed < delisted else None,
                delisted=delisted,
            )
        )
    return kept, gone


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
