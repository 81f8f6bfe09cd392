"""List files: the TOML files that hold a policy's named lists, read and checked.

tomllib keeps no positions, so a problem is placed by finding its key or value in the
text (`_find`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

from ..diagnostics import KSP120, KSP133, KSP215, KSP219, Diagnostic, describe, did_you_mean, error
from ..limits import DEFAULT, Limits
from ..span import Source, Span
from .lists import LIST_KINDS, Entries, Entry, ListKind, NamedList


def read_list_file(
    source: Source, limits: Limits = DEFAULT
) -> tuple[list[NamedList], list[Diagnostic]]:
    """The lists a TOML list file defines, and what is wrong with it.

    A list with more entries than `limits.max_list_entries` is refused (KSP133) before
    any entry is read: the per-entry checks are the slow part of a long list."""
    try:
        data = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as exc:
        return [], [_toml_error(source, exc)]
    lists: list[NamedList] = []
    problems: list[Diagnostic] = []
    for name, table in data.items():
        span = _find(source, name)
        if not isinstance(table, dict):
            problems.append(
                error(
                    KSP215,
                    f"`{name}` should be a table `[{name}]`",
                    span,
                    "see docs/language.md, section Lists",
                )
            )
            continue
        named, found = _named_list(source, name, table, span, limits)
        problems += found
        if named is not None:
            lists.append(named)
    return lists, problems


_LIST_KEYS = (
    "kind",
    "title",
    "source",
    "cite",
    "retrieved",
    "valid_from",
    "valid_until",
    "entries",
    "note",
)


_KEY_NAMES: dict[ListKind, str] = {"codes": "code", "entities": "name", "records": "key"}
# Keys an entry may have besides its key; a records entry may also hold any data field.
_ENTRY_KEYS: dict[ListKind, tuple[str, ...]] = {
    "codes": ("valid_from", "valid_until", "note"),
    "entities": ("aliases", "country", "valid_from", "valid_until", "note"),
    "records": ("valid_from", "valid_until"),
}


def _named_list(
    source: Source, name: str, table: dict[str, Any], span: Span, limits: Limits
) -> tuple[NamedList | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []

    def problem(message: str, help: str | None = None, at: Span = span) -> None:
        problems.append(error(KSP215, f"list {name}: {message}", at, help))

    for key in table:
        if key not in _LIST_KEYS:
            problem(
                f"unknown key `{key}`",
                did_you_mean(key, _LIST_KEYS) or f"a list has: {', '.join(_LIST_KEYS)}",
                _find(source, key, span.start),
            )
    kind = next((k for k in LIST_KINDS if k == table.get("kind")), None)
    if kind is None:
        kinds = ", ".join(f'"{k}"' for k in LIST_KINDS[:-1]) + f' or "{LIST_KINDS[-1]}"'
        problem(f"`kind` must be {kinds}, not {describe(table.get('kind'))}")
        return None, problems
    origin = table.get("source")
    if not isinstance(origin, str) or not origin.strip():
        problem("has no `source`", "say where the list comes from: a document, a section, a URL")
    retrieved = table.get("retrieved")
    if not isinstance(retrieved, dt.date):
        problem("has no `retrieved` date", "add `retrieved = YYYY-MM-DD`: when the list was taken")
    dates = {k: table.get(k) for k in ("valid_from", "valid_until")}
    for key, value in dates.items():
        if value is not None and not isinstance(value, dt.date):
            problem(f"`{key}` must be a date (YYYY-MM-DD)")
    raw_entries = table.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        problem("has no `entries`", "add `entries = [...]`")
        return None, problems
    if len(raw_entries) > limits.max_list_entries:
        message = (
            f"list `{name}` has {len(raw_entries):,} entries; the limit is "
            f"{limits.max_list_entries:,}"
        )
        hint = "raise the limit (docs/limits.md) if the list is right"
        problems.append(error(KSP133, message, span, hint))
        return None, problems
    entries = Entries()
    after = span.start  # entries are found in the text in order: each after the one before
    for raw in raw_entries:
        entry = _entry(source, name, kind, raw, span, problems, after)
        if entry is None:
            continue
        if entry.span is not None and entry.span.end > after:
            after = entry.span.end
        if not entries.add(entry):
            hint = "remove one, or give them validity periods that do not overlap"
            problem(f"`{entry.key}` is listed twice", hint, entry.span or span)
    named = NamedList(
        name=name,
        kind=kind,
        entries=tuple(entries.accepted),
        source=origin if isinstance(origin, str) else "",
        retrieved=retrieved if isinstance(retrieved, dt.date) else None,
        title=table.get("title") if isinstance(table.get("title"), str) else None,
        cite=table.get("cite") if isinstance(table.get("cite"), str) else None,
        valid_from=dates["valid_from"] if isinstance(dates["valid_from"], dt.date) else None,
        valid_until=dates["valid_until"] if isinstance(dates["valid_until"], dt.date) else None,
        span=span,
    )
    if named.ends_before_it_starts:
        problems.append(
            error(KSP219, f"list {name} stops being valid before it starts", span, _UNTIL)
        )
    return named, problems


_UNTIL = "`valid_until` must be on or after `valid_from`"


def _entry(
    source: Source,
    name: str,
    kind: ListKind,
    raw: Any,
    span: Span,
    problems: list[Diagnostic],
    after: int | None = None,
) -> Entry | None:
    key_name = _KEY_NAMES[kind]
    if isinstance(raw, str):
        raw = {key_name: raw}
    if not isinstance(raw, dict):
        message = f"list {name}: an entry must be a text or a table, not {describe(raw)}"
        problems.append(error(KSP215, message, span))
        return None
    key = raw.get(key_name)
    where = span
    if isinstance(key, str):
        where = _find(source, key, span.start if after is None else after)
        if where.end == 0 and after is not None:  # not after the previous entry: anywhere
            where = _find(source, key, span.start)
    if not isinstance(key, str) or not key.strip():
        hint = f'entries of a {kind} list have `{key_name} = "..."`'
        problems.append(error(KSP215, f"list {name}: an entry has no `{key_name}`", where, hint))
        return None
    allowed = (key_name, *_ENTRY_KEYS[kind])
    data: dict[str, Any] = {}
    for field, value in raw.items():
        if field in allowed:
            continue
        if kind != "records":
            message = f"list {name}: entry `{key}` has an unknown key `{field}`"
            hint = did_you_mean(field, allowed) or f"an entry has: {', '.join(allowed)}"
            problems.append(error(KSP215, message, where, hint))
        elif isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            data[field] = value
        else:
            message = f"list {name}: `{field}` of `{key}` must be a text or a list of texts"
            problems.append(error(KSP215, message, where))
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        message = f"list {name}: `aliases` of `{key}` must be a list of texts"
        problems.append(error(KSP215, message, where))
        aliases = []
    dates = [raw.get("valid_from"), raw.get("valid_until")]
    if any(d is not None and not isinstance(d, dt.date) for d in dates):
        message = f"list {name}: validity dates of `{key}` must be dates"
        problems.append(error(KSP215, message, where, "write them as YYYY-MM-DD, without quotes"))
        dates = [None, None]
    note = raw.get("note")
    note = note if isinstance(note, str) else None
    entry = Entry(key, tuple(aliases), dates[0], dates[1], note, where, data)
    if entry.ends_before_it_starts:  # never in force: refused, like a rule (KSP219)
        message = f"list {name}: `{key}` stops being valid before it starts"
        problems.append(error(KSP219, message, where, _UNTIL))
        return None
    return entry


def _toml_error(source: Source, exc: tomllib.TOMLDecodeError) -> Diagnostic:
    message = str(exc)
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    if line is None:
        import re

        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line, column = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
    message = message.split(" (at line")[0]
    at = source.offset_of(line, column or 1)
    return error(
        KSP120,
        f"this list file is not valid TOML: {message[0].lower() + message[1:]}",
        Span(source, at, min(at + 1, len(source.text))),
        "see docs/language.md, section Lists",
    )


def _find(source: Source, text: Any, after: int = 0) -> Span:
    """Where a key or value first appears in a TOML text (tomllib keeps no positions)."""
    if isinstance(text, str) and text:
        at = source.text.find(f'"{text}"', after)
        if at >= 0:
            return Span(source, at, at + len(text) + 2)
        at = source.text.find(text, after)
        if at >= 0:
            return Span(source, at, at + len(text))
    return Span(source, 0, 0)
