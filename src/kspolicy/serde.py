"""Data in and out: cases, list files and decisions, through one cattrs converter.

Cases are checked against the policy's schema by structuring them into attrs classes
made from the schema's records (`attrs.make_class`), with strict hooks for each field
type: a bool is a bool (never "yes"), an int is not a float, a code is one of its
enum's. cattrs collects every failure with its path; `_problems` turns them into
`CaseProblem`s such as `partners[1].country: 'XX' is not a country code`. A missing
fact becomes None (unknown); JSON `null` says the same explicitly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, override

from .decision import Decision
from .diagnostics import CODES, CaseError, CaseProblem, Diagnostic, did_you_mean, error
from .limits import DEFAULT, Limits, nesting_depth
from .lists import Entries, Entry, NamedList
from .schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    Schema,
    TextType,
    Type,
)
from .span import Source, Span


class _Invalid(ValueError):
    """A value that does not fit its type; `code` is the diagnostic code for it."""

    def __init__(self, message: str, code: str = "KSP404") -> None:
        super().__init__(message)
        self.code = code


def _describe(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _type_name(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "a text",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


# ---- cases -------------------------------------------------------------------------


class CaseReader:
    """Checks cases against one schema; built once per policy, used for every case."""

    def __init__(self, schema: Schema, limits: Limits = DEFAULT) -> None:
        self.schema = schema
        self.limits = limits
        self.converter = cattrs.Converter(forbid_extra_keys=True)
        self._classes: dict[int, type] = {}
        self.root_class = self._class_for(schema.root)

    def _class_for(self, record: RecordType) -> type:
        if id(record) in self._classes:
            return self._classes[id(record)]
        attributes: dict[str, Any] = {}
        for field in record.fields.values():
            marker = self._marker(field.type)
            default: Any = field.default
            if field.required:
                default = attrs.NOTHING
            elif isinstance(default, tuple):
                default = attrs.Factory(list)
            elif isinstance(field.type, RecordType) and not _has_required(field.type):
                # A record left out is a record with no facts given: its fields'
                # defaults still apply, everything else is unknown.
                default = attrs.Factory(self._class_for(field.type))
            # Policy field names never become Python names: attrs writes source code for
            # its classes, and a field called `class` or `__init__` would break it.
            attributes[f"f{len(attributes)}"] = attrs.field(type=marker, default=default)
        cls = attrs.make_class("CaseRecord", attributes, kw_only=True)
        keys = dict(zip(attributes, record.fields, strict=True))
        _FIELD_NAMES[cls] = keys
        renames: dict[str, Any] = {attr: override(rename=name) for attr, name in keys.items()}
        hook: Any = make_dict_structure_fn(
            cls, self.converter, _cattrs_forbid_extra_keys=True, **renames
        )
        self.converter.register_structure_hook(cls, hook)
        self._classes[id(record)] = cls
        return cls

    def _marker(self, type_: Type) -> Any:
        """The Python type cattrs structures a field into: a record class, or a scalar marker."""
        if isinstance(type_, RecordType):
            return self._class_for(type_) | None
        if isinstance(type_, ListType):
            inner: Any = list[self._marker(type_.element)]  # type: ignore[misc]
            self.converter.register_structure_hook(inner | None, self._list_hook(inner))
            return inner | None
        marker = type(f"Scalar_{id(type_)}", (), {})
        self.converter.register_structure_hook(marker | None, self._scalar_hook(type_))
        return marker | None

    def _list_hook(self, list_type: Any) -> Callable[[Any, Any], Any]:
        structure_items = self.converter.get_structure_hook(list_type)

        def hook(value: Any, _: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, list | tuple):
                raise _Invalid(f"expected a list, got {_describe(value)}", "KSP402")
            if len(value) > self.limits.max_items:
                raise _Invalid(
                    f"{len(value):,} elements; at most {self.limits.max_items:,} are allowed",
                    "KSP409",
                )
            return structure_items(value, list_type)

        return hook

    def _scalar_hook(self, type_: Type) -> Callable[[Any, Any], Any]:
        def hook(value: Any, _: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, str) and len(value) > self.limits.max_text:
                raise _Invalid(
                    f"the text is {len(value):,} characters long; at most "
                    f"{self.limits.max_text:,} are allowed",
                    "KSP408",
                )
            return _scalar(type_, value)

        return hook

    def read(self, data: Any, source: str | None = None) -> dict[str, Any]:
        """The case's facts as plain data (unknown facts None), or CaseError."""
        if not isinstance(data, Mapping):
            raise CaseError(
                [
                    CaseProblem(
                        "", f"a case is a table of fields, not {_type_name(data)}", CODES["KSP402"]
                    )
                ],
                source,
            )
        try:
            structured: Any = self.converter.structure(dict(data), self.root_class)
        except Exception as exc:  # cattrs raises exception groups of many kinds
            problems = list(_problems(exc, "", self.schema.root, self.schema))
            raise CaseError(
                problems or [CaseProblem("", str(exc), CODES["KSP404"])], source
            ) from None
        return _plain(structured)  # type: ignore[no-any-return]


def parse_date(value: Any) -> dt.date | None:
    """A date from TOML (a date) or JSON (an ISO text); None when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _has_required(record: RecordType) -> bool:
    return any(f.required for f in record.fields.values())


def _scalar(type_: Type, value: Any) -> Any:
    if isinstance(type_, BoolType):
        if not isinstance(value, bool):
            raise _Invalid(f"expected true or false, got {_describe(value)}", "KSP402")
        return value
    if isinstance(type_, IntType):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"expected a whole number, got {_describe(value)}", "KSP402")
        if (
            type_.low is not None
            and type_.high is not None
            and not type_.low <= value <= type_.high
        ):
            raise _Invalid(f"{value} is not between {type_.low} and {type_.high}")
        return value
    if isinstance(type_, NumberType):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"expected a number, got {_describe(value)}", "KSP402")
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(f"{value} is not a finite number")
        return value
    if isinstance(type_, TextType):
        if not isinstance(value, str):
            raise _Invalid(f"expected a text, got {_describe(value)}", "KSP402")
        return value
    if isinstance(type_, DateType):
        day = parse_date(value)
        if day is None:
            raise _Invalid(f"expected a date (YYYY-MM-DD), got {_describe(value)}", "KSP402")
        return day
    assert isinstance(type_, EnumType)
    if not isinstance(value, str):
        raise _Invalid(f"expected {type_.what}, got {_describe(value)}", "KSP402")
    if value not in type_:
        hint = did_you_mean(value, type_.codes, quote="'")
        raise _Invalid(f"{_describe(value)} is not {type_.what}" + (f"; {hint}" if hint else ""))
    return value


_FIELD_NAMES: dict[type, dict[str, str]] = {}


def _plain(value: Any) -> Any:
    if attrs.has(type(value)):
        # An unknown fact is left out (not None): the fast path's two-valued function
        # reads facts by key, and a missing key is how it learns a fact is unknown.
        keys = _FIELD_NAMES[type(value)]
        fields = ((a.name, getattr(value, a.name)) for a in attrs.fields(type(value)))
        return {keys[name]: _plain(inner) for name, inner in fields if inner is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _problems(exc: BaseException, path: str, record: Any, schema: Schema) -> list[CaseProblem]:
    """Every leaf failure in a cattrs exception group, with its path in the case."""
    if isinstance(exc, ClassValidationError):
        found: list[CaseProblem] = []
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            name = note.name
            if isinstance(record, RecordType) and name not in record.fields:
                # a note may name the attribute: f<i> is the record's i-th field
                name = list(record.fields)[int(name[1:])]
            field = record.fields.get(name) if isinstance(record, RecordType) else None
            inner_type = field.type if field is not None else None
            found += _problems(inner, f"{path}.{name}" if path else name, inner_type, schema)
        for inner in without:
            found += _problems(inner, path, record, schema)
        return found
    if isinstance(exc, IterableValidationError):
        found = []
        indexed, unindexed = exc.group_exceptions()
        element = record.element if isinstance(record, ListType) else None
        for inner, index_note in indexed:
            found += _problems(inner, f"{path}[{index_note.index}]", element, schema)
        for inner in unindexed:
            found += _problems(inner, path, element, schema)
        return found
    if isinstance(exc, ForbiddenExtraKeysError):
        known = record.fields if isinstance(record, RecordType) else {}
        problems = []
        for extra in sorted(exc.extra_fields):
            hint = did_you_mean(extra, known, quote="'")
            where = f"{path}.{extra}" if path else extra
            message = "unknown field" + (
                f"; {hint}" if hint else f"; known fields here: {', '.join(known) or 'none'}"
            )
            problems.append(CaseProblem(where, message, CODES["KSP403"]))
        return problems
    if isinstance(exc, _Invalid):
        return [CaseProblem(path, str(exc), CODES[exc.code])]
    if isinstance(exc, KeyError):
        return [CaseProblem(path, "this field is required", CODES["KSP405"])]
    if isinstance(exc, ExceptionGroup):
        return [p for inner in exc.exceptions for p in _problems(inner, path, record, schema)]
    expected = (
        "a table of fields"
        if isinstance(record, RecordType)
        else ("a list" if isinstance(record, ListType) else "another value")
    )
    return [CaseProblem(path, f"expected {expected}", CODES["KSP402"])]


def load_case_file(path: Path, limits: Limits = DEFAULT) -> dict[str, Any]:
    """A case from a .toml or .json file, as data; CaseError when it cannot be read."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_case_bytes:
            message = f"the file is {size:,} bytes; the limit is {limits.max_case_bytes:,}"
            raise CaseError([CaseProblem("", message, CODES["KSP406"])], where)
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise CaseError([CaseProblem("", "no such file", CODES["KSP401"])], where) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise CaseError(
            [CaseProblem("", f"cannot read the file: {reason}", CODES["KSP401"])], where
        ) from None
    suffix = path.suffix.lower()
    if nesting_depth(text) > limits.max_depth:
        message = f"the case nests more than {limits.max_depth} levels deep"
        raise CaseError([CaseProblem("", message, CODES["KSP407"])], where)
    try:
        if suffix == ".json":
            data = json.loads(text, parse_constant=_reject_constant)
        elif suffix == ".toml":
            data = tomllib.loads(text)
        else:
            raise CaseError(
                [
                    CaseProblem(
                        "",
                        f"a case file ends in .toml or .json, not '{suffix or path.name}'",
                        CODES["KSP401"],
                    )
                ],
                where,
            )
    except RecursionError:  # the scan above should have caught it; never let it escape
        message = f"the case nests more than {limits.max_depth} levels deep"
        raise CaseError([CaseProblem("", message, CODES["KSP407"])], where) from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        if isinstance(exc, CaseError):
            raise
        message = f"not valid {suffix[1:].upper()}: {json_problem(exc)}"
        raise CaseError([CaseProblem("", message, CODES["KSP401"])], where) from None
    if not isinstance(data, dict):
        raise CaseError([CaseProblem("", "a case is a table of fields", CODES["KSP402"])], where)
    return data


def json_problem(exc: BaseException) -> str:
    """What is wrong with a JSON or TOML text, in words rather than Python's."""
    if isinstance(exc, RecursionError):
        return "it nests too deep to read"
    text = str(exc)
    if "integer string conversion" in text:  # Python reads at most 4,300 digits
        return "a whole number has more than 4,300 digits"
    return text


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a case may hold")


# ---- list files ------------------------------------------------------------------


def read_list_file(source: Source) -> tuple[list[NamedList], list[Diagnostic]]:
    """The lists a TOML list file defines, and what is wrong with it."""
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
                    "KSP215",
                    f"`{name}` should be a table `[{name}]`",
                    span,
                    "see docs/language.md, section Lists",
                )
            )
            continue
        named, found = _named_list(source, name, table, span)
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


_KEY_NAMES = {"codes": "code", "entities": "name", "records": "key"}
# Keys an entry may have besides its key; a records entry may also hold any data field.
_ENTRY_KEYS = {
    "codes": ("valid_from", "valid_until", "note"),
    "entities": ("aliases", "country", "valid_from", "valid_until", "note"),
    "records": ("valid_from", "valid_until"),
}


def _named_list(
    source: Source, name: str, table: dict[str, Any], span: Span
) -> tuple[NamedList | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []

    def problem(message: str, help: str | None = None, at: Span = span) -> None:
        problems.append(error("KSP215", f"list {name}: {message}", at, help))

    for key in table:
        if key not in _LIST_KEYS:
            problem(
                f"unknown key `{key}`",
                did_you_mean(key, _LIST_KEYS) or f"a list has: {', '.join(_LIST_KEYS)}",
                _find(source, key, span.start),
            )
    kind = table.get("kind")
    if kind not in _KEY_NAMES:
        problem(f'`kind` must be "codes", "entities" or "records", not {_describe(kind)}')
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
    return NamedList(
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
    ), problems


def _entry(
    source: Source,
    name: str,
    kind: str,
    raw: Any,
    span: Span,
    problems: list[Diagnostic],
    after: int | None = None,
) -> Entry | None:
    key_name = _KEY_NAMES[kind]
    if isinstance(raw, str):
        raw = {key_name: raw}
    if not isinstance(raw, dict):
        message = f"list {name}: an entry must be a text or a table, not {_describe(raw)}"
        problems.append(error("KSP215", message, span))
        return None
    key = raw.get(key_name)
    where = span
    if isinstance(key, str):
        where = _find(source, key, span.start if after is None else after)
        if where.end == 0 and after is not None:  # not after the previous entry: anywhere
            where = _find(source, key, span.start)
    if not isinstance(key, str) or not key.strip():
        hint = f'entries of a {kind} list have `{key_name} = "..."`'
        problems.append(error("KSP215", f"list {name}: an entry has no `{key_name}`", where, hint))
        return None
    allowed = (key_name, *_ENTRY_KEYS[kind])
    data: dict[str, Any] = {}
    for field, value in raw.items():
        if field in allowed:
            continue
        if kind != "records":
            message = f"list {name}: entry `{key}` has an unknown key `{field}`"
            hint = did_you_mean(field, allowed) or f"an entry has: {', '.join(allowed)}"
            problems.append(error("KSP215", message, where, hint))
        elif isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            data[field] = value
        else:
            message = f"list {name}: `{field}` of `{key}` must be a text or a list of texts"
            problems.append(error("KSP215", message, where))
    aliases = raw.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        message = f"list {name}: `aliases` of `{key}` must be a list of texts"
        problems.append(error("KSP215", message, where))
        aliases = []
    dates = [raw.get("valid_from"), raw.get("valid_until")]
    if any(d is not None and not isinstance(d, dt.date) for d in dates):
        message = f"list {name}: validity dates of `{key}` must be dates"
        problems.append(error("KSP215", message, where, "write them as YYYY-MM-DD, without quotes"))
        dates = [None, None]
    note = raw.get("note")
    note = note if isinstance(note, str) else None
    return Entry(key, tuple(aliases), dates[0], dates[1], note, where, data)


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
        "KSP120",
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


# ---- decisions ---------------------------------------------------------------------

_decisions = cattrs.Converter()
_decisions.register_structure_hook(
    str | list[str], lambda v, _: v if isinstance(v, str) else [str(x) for x in v]
)
_decisions.register_structure_hook(Any, lambda v, _: v)


def unstructure_decision(decision: Decision) -> dict[str, Any]:
    data: dict[str, Any] = _decisions.unstructure(decision)
    return data


def structure_decision(data: Mapping[str, Any]) -> Decision:
    return _decisions.structure(dict(data), Decision)


def decision_json(decision: Decision) -> str:
    return json.dumps(unstructure_decision(decision), ensure_ascii=False, indent=2) + "\n"


__all__ = ["CaseReader", "load_case_file", "parse_date", "read_list_file"]
