"""Saving a case that `kspolicy ask` filled in, with the comments and layout it had.

A case file is often written by hand, with comments that say where a fact came from. So
`ask` never rewrites it from its data: the file is parsed with tomlkit, which keeps
comments, blank lines and the order of keys, and only what the answers changed is put
in (`toml_text`). A value that did not change keeps its line as it was, comment and all.

tomlkit is a core dependency, not an extra: it is pure Python with no dependencies of
its own, and `ask` is the command for policy officers, who install `kspolicy` and
nothing more; an extra would make the one command meant for them fail, or lose their
comments, which is what this module exists to prevent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Array, Comment, InlineTable, Item, Table, Whitespace

from ..diagnostics import KspolicyError
from ..paths import child, element

Trivia = Comment | Whitespace


def case_text(path: Path, data: Mapping[str, Any], original: str | None = None) -> bytes:
    """The case as the file `path` holds it (JSON for .json, else TOML), or KspolicyError
    saying why it cannot be. `original` is the TOML text the case was read from: its
    comments and layout are kept."""
    try:
        if path.suffix.lower() == ".json":
            text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
        else:
            text = toml_text(data, original)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise KspolicyError(
            f"cannot write {path}: the case holds a text that is not valid Unicode"
        ) from None
    except (TypeError, ValueError, tomlkit.exceptions.TOMLKitError) as exc:
        # TOML has no null: one in a list cannot be left out without moving the others.
        in_list = [where for where in nulls(data, in_lists=True) if where.endswith("]")]
        reason = f"TOML has no null, and {in_list[0]} is one" if in_list else str(exc)
        raise KspolicyError(
            f"cannot write the case to {path}: {reason}; "
            "write the answers to a .json file instead: --out FILE.json"
        ) from None


def toml_text(data: Mapping[str, Any], original: str | None = None) -> str:
    """`data` as TOML: the `original` document with what differs put in, or a new one.

    A fact given as null in a table is left out, which says the same (unknown).
    """
    document = tomlkit.parse(original) if original is not None else tomlkit.document()
    _update(document, data)
    return tomlkit.dumps(document)


def _update(container: Any, data: Mapping[str, Any]) -> None:
    """Make a tomlkit table hold `data`, touching only the keys whose values differ."""
    for key in list(container.keys()):
        if data.get(key) is None:
            del container[key]
    for key, value in data.items():
        if value is None:
            continue
        if key in container:
            current = container[key]
            if isinstance(value, Mapping) and isinstance(current, Table | InlineTable):
                _update(current, value)
                continue
            if _same_records(current, value):
                for inner, item in zip(current, value, strict=True):
                    _update(inner, item)
                continue
            if _plain(current) == value:
                continue  # unchanged: its line, and the comment on it, stay as they were
        if key in container:
            container[key] = _item(value)
        else:
            _add(container, key, _item(value))


def _add(container: Any, key: str, item: Any) -> None:
    """A new key in a table: after its last value, before the comments that end it.

    tomlkit appends at the very end, and the comment lines that close a table in the
    file (`# the partners, from the agreement`) introduce what comes after it: a value
    added below them would read as if it belonged to the next table.
    """
    body = getattr(getattr(container, "value", container), "body", None)
    if isinstance(item, Table | AoT) or not isinstance(body, list):
        container[key] = item
        return
    index = len(body)
    while index > 0 and body[index - 1][0] is None and isinstance(body[index - 1][1], Trivia):
        index -= 1
    if index in (0, len(body)) or isinstance(body[index - 1][1], Table | AoT):
        container[key] = item
        return
    # `_insert_at` is tomlkit's own way to place a key, kept private by its name only.
    getattr(container, "value", container)._insert_at(index, key, item)


def _same_records(current: Any, value: Any) -> bool:
    """A list of tables in the file and in the data, element for element."""
    return (
        isinstance(current, AoT | Array)
        and isinstance(value, list)
        and len(current) == len(value)
        and all(isinstance(v, Mapping) for v in value)
        and all(isinstance(c, Table | InlineTable) for c in current)
    )


def _plain(item: Any) -> Any:
    return item.unwrap() if isinstance(item, Item) else item


def _item(value: Any) -> Any:
    """A new value in TOML's form: a list of tables as `[[name]]` tables."""
    if isinstance(value, Mapping):
        table = tomlkit.table()
        _update(table, value)
        return table
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        tables = tomlkit.aot()
        for element in value:
            table = tomlkit.table()
            _update(table, element)
            tables.append(table)
        return tables
    return value


def nulls(value: Any, path: str = "", in_lists: bool = False) -> list[str]:
    """The facts given as null in tables (and, `in_lists`, the nulls in lists)."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = child(path, str(key))
            found += [where] if item is None else nulls(item, where, in_lists)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            where = element(path, index)
            found += [where] if item is None and in_lists else nulls(item, where, in_lists)
    return found
