"""List files: the TOML files that hold a policy's named lists, read and checked.

tomllib keeps no positions, so a problem is placed by finding its key or value in the
text (`_find`).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ..diagnostics import (
    KSP120,
    KSP133,
    KSP215,
    KSP219,
    Diagnostic,
    describe,
    did_you_mean,
    error,
)
from ..limits import DEFAULT, Limits
from ..span import Source, Span
from .lists import LIST_KINDS, Entries, Entry, ListKind, Matching, NamedList
from .reviews import answer_spans, read_adjudications

_HEADER = re.compile(r'^[ \t]*\[[ \t]*"?([^\s"\[\]]+)"?[ \t]*\]', re.M)  # a table: `[NAME]`


def unread_lists(diagnostics: Iterable[Diagnostic], lists: Mapping[str, NamedList]) -> set[str]:
    """The lists that list files with errors declare (`[NAME]`, found without TOML, as
    the file may not read) but that did not load: their uses are follow-on errors."""
    texts = {
        d.span.source.text
        for d in diagnostics
        if d.is_error and d.span.source.name.endswith(".toml")
    }
    return {name for text in texts for name in _HEADER.findall(text)} - set(lists)


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
    "max_age",
    "source_url",
    "sha256",
    "labels",
    "covers",
    "matching",
)


_KEY_NAMES: dict[ListKind, str] = {
    "codes": "code",
    "entities": "name",
    "records": "key",
    "adjudications": "name",
}
# Keys an entry may have besides its key; a records entry may also hold any data field.
_ENTRY_KEYS: dict[ListKind, tuple[str, ...]] = {
    "codes": ("valid_from", "valid_until", "note"),
    "entities": (
        "aliases",
        "country",
        "valid_from",
        "valid_until",
        "note",
        # What an imported sanctions list says of an entity (docs/screening-import.md).
        "ref",
        "type",
        "weak_aliases",
        "countries",
        "programmes",
        "listed",
        "delisted",
    ),
    "records": ("valid_from", "valid_until"),
    "adjudications": (),
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
    max_age = _max_age(table.get("max_age"), problem, _find(source, "max_age", span.start))
    texts: dict[str, str | None] = {}
    for key in ("source_url", "sha256"):
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problem(f"`{key}` must be a text", at=_find(source, key, span.start))
            value = None
        texts[key] = value
    digest = texts["sha256"]
    if digest is not None and not _SHA256.fullmatch(digest):
        hint = "the file's sha256: 64 hexadecimal digits, as `sha256sum FILE` prints it"
        problem("`sha256` is not a sha256", hint, _find(source, "sha256", span.start))
        texts["sha256"] = None
    title, titles = _title(table.get("title"), problem, _find(source, "title", span.start))
    labels: dict[str, dict[str, str]] = {}
    raw_labels = table.get("labels", {})
    if not isinstance(raw_labels, dict) or not all(
        _is_text(v) or _is_texts_by_language(v) for v in raw_labels.values()
    ):
        hint = 'write labels = { email = { en = "email", nl = "e-mail" } }'
        problem("`labels` must name fields with a text, or texts by language", hint)
    else:
        labels = {k: v if isinstance(v, dict) else {"en": v} for k, v in raw_labels.items()}

    covers, matching = _screening_keys(table, problem)
    raw_entries = table.get("entries")
    if kind == "adjudications" and isinstance(raw_entries, list):
        at = answer_spans(source, name, span)
        adjudications = read_adjudications(raw_entries, problem, at)
        return NamedList(
            name=name,
            kind=kind,
            entries=(),
            source=origin if isinstance(origin, str) else "",
            retrieved=retrieved if isinstance(retrieved, dt.date) else None,
            span=span,
            adjudications=adjudications,
        ), problems
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
    accepted: list[Entry] = []
    after = span.start  # entries are found in the text in order: each after the one before
    for raw in raw_entries:
        entry = _entry(source, name, kind, raw, span, problems, after)
        if entry is None:
            continue
        if entry.span is not None and entry.span.end > after:
            after = entry.span.end
        # Entities with a reference (imported lists) are told apart by it: two people
        # may share a name, never a reference. The NUL keeps references and names apart.
        probe = entry if entry.ref is None else attrs.evolve(entry, key=f"\0{entry.ref}")
        if not entries.add(probe):
            hint = "remove one, or give them validity periods that do not overlap"
            what = entry.key if entry.ref is None else f"ref {entry.ref}"
            problem(f"`{what}` is listed twice", hint, entry.span or span)
            continue
        accepted.append(entry)
    named = NamedList(
        name=name,
        kind=kind,
        entries=tuple(accepted),
        source=origin if isinstance(origin, str) else "",
        retrieved=retrieved if isinstance(retrieved, dt.date) else None,
        title=title,
        cite=table.get("cite") if isinstance(table.get("cite"), str) else None,
        valid_from=dates["valid_from"] if isinstance(dates["valid_from"], dt.date) else None,
        valid_until=dates["valid_until"] if isinstance(dates["valid_until"], dt.date) else None,
        span=span,
        max_age=max_age,
        source_url=texts["source_url"],
        sha256=texts["sha256"],
        titles=titles,
        labels=labels,
        covers=covers,
        matching=matching,
    )
    if named.ends_before_it_starts:
        problems.append(
            error(KSP219, f"list {name} stops being valid before it starts", span, _UNTIL)
        )
    return named, problems


_UNTIL = "`valid_until` must be on or after `valid_from`"


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_texts_by_language(value: Any) -> bool:
    """A table of texts by language (`{en = "...", nl = "..."}`), not empty."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )


def _title(value: Any, problem: Callable[..., None], at: Span) -> tuple[str | None, dict[str, str]]:
    """A list's title: a text, or a table of texts by language (the English one, or the
    first, is its `title`). Anything else is a problem, and no title."""
    if value is None or isinstance(value, str):
        return value, {}
    if _is_texts_by_language(value):
        return str(value.get("en") or next(iter(value.values()))), dict(value)
    hint = 'write title = "..." or title = { en = "...", nl = "..." }'
    problem(f"`title` must be a text or texts by language, not {describe(value)}", hint, at)
    return None, {}


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
        elif (
            isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            or _is_texts_by_language(value)
        ):
            data[field] = value
        else:
            message = (
                f"list {name}: `{field}` of `{key}` must be a text, a list of texts "
                "or texts by language"
            )
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
    if kind != "entities":
        entry = Entry(key, tuple(aliases), dates[0], dates[1], note, where, data)
        return _in_force(entry, name, where, problems)

    def bad(message: str, hint: str | None = None) -> None:
        problems.append(error(KSP215, f"list {name}: {message}", where, hint))

    texts: dict[str, tuple[str, ...]] = {}
    for field in ("weak_aliases", "countries", "programmes"):
        value = raw.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad(f"`{field}` of `{key}` must be a list of texts", f'write {field} = ["..."]')
            value = []
        texts[field] = tuple(value)
    for code in texts["countries"]:
        if not _COUNTRY.fullmatch(code):
            hint = 'write ISO 3166 codes in capitals: countries = ["CN", "RU"]'
            bad(f"`{code}` in the countries of `{key}` is not a country code", hint)
    countries = texts["countries"]
    country = raw.get("country")
    if isinstance(country, str) and country not in countries:
        countries = (country, *countries)
    ref = raw.get("ref")
    if ref is not None and (not isinstance(ref, str) or not ref.strip()):
        bad(f"`ref` of `{key}` must be a text: the source's own reference for the entry")
        ref = None
    kind_of = raw.get("type")
    if kind_of is not None and kind_of not in ENTITY_TYPES:
        hint = did_you_mean(str(kind_of), ENTITY_TYPES) or f"one of: {', '.join(ENTITY_TYPES)}"
        bad(f"`type` of `{key}` must be one of the entity types, not {describe(kind_of)}", hint)
        kind_of = None
    listed, delisted = raw.get("listed"), raw.get("delisted")
    if any(d is not None and not isinstance(d, dt.date) for d in (listed, delisted)):
        bad(
            f"`listed` and `delisted` of `{key}` must be dates",
            "write them as YYYY-MM-DD, without quotes",
        )
        listed = delisted = None
    if listed is not None and delisted is not None and delisted <= listed:
        bad(f"`{key}` is delisted on {delisted}, not after it was listed on {listed}")
        delisted = None
    # An entity is on the list from the day it was listed to the day before it was
    # delisted, unless its validity says otherwise.
    valid_from = dates[0] if dates[0] is not None else listed
    valid_until = dates[1]
    if valid_until is None and delisted is not None:
        valid_until = delisted - dt.timedelta(days=1)
    entry = Entry(
        key,
        tuple(aliases),
        valid_from,
        valid_until,
        note,
        where,
        data,
        ref=ref,
        type=kind_of,
        weak_aliases=texts["weak_aliases"],
        countries=countries,
        programmes=texts["programmes"],
        listed=listed,
        delisted=delisted,
    )
    return _in_force(entry, name, where, problems)


# What `type` an entity of an entities list may be.
ENTITY_TYPES = ("person", "organization", "vessel", "aircraft", "other")
_COUNTRY = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAX_AGE = re.compile(r"(\d{1,5}) *(d|w)")


def _screening_keys(
    table: dict[str, Any], problem: Callable[..., None]
) -> tuple[tuple[str, ...], Matching]:
    """An entities list's `covers` (country codes) and `matching` ("graded" or "exact")."""
    covers = table.get("covers", [])
    if not isinstance(covers, list) or not all(
        isinstance(c, str) and _COUNTRY.fullmatch(c) for c in covers
    ):
        problem(
            "`covers` must be a list of country codes",
            'the countries whose names the list is complete for: covers = ["RU", "BY"]',
        )
        covers = []
    matching = table.get("matching", "graded")
    if matching not in ("graded", "exact"):
        problem(f'`matching` must be "graded" or "exact", not {describe(matching)}')
        matching = "graded"
    return tuple(covers), matching


def _max_age(value: Any, problem: Callable[..., None], at: Span) -> dt.timedelta | None:
    """How old a list may get: `"30d"` or `"2w"`; None when it does not say."""
    if value is None:
        return None
    found = _MAX_AGE.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or int(found.group(1)) == 0:
        hint = 'write a number of days or weeks in quotes: max_age = "30d" or "2w"'
        problem(f"`max_age` must be a number of days or weeks, not {describe(value)}", hint, at)
        return None
    days = int(found.group(1)) * (7 if found.group(2) == "w" else 1)
    return dt.timedelta(days=days)


def _in_force(entry: Entry, name: str, where: Span, problems: list[Diagnostic]) -> Entry | None:
    """The entry, or None with KSP219 when it stops being valid before it starts."""
    if entry.ends_before_it_starts:  # never in force: refused, like a rule
        message = f"list {name}: `{entry.key}` stops being valid before it starts"
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
