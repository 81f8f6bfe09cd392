"""Cases in: case files read and checked against the policy's schema (cattrs).

Cases are checked against the policy's schema by structuring them into attrs classes
made from the schema's records (`attrs.make_class`), with strict hooks for each field
type: a bool is a bool (never "yes"), an int is not a float, a code is one of its
enum's. cattrs collects every failure with its path; `_problems` turns them into
`CaseProblem`s such as `partners[1].country: 'XX' is not a country code`. A missing
fact is left out of the facts (unknown); JSON `null` says the same explicitly.

A case that fits its schema, nearly every case a batch reads, is read by a quicker walk
first (`CaseReader.read_quickly`): the same facts in one pass, with no class instances;
whatever it cannot vouch for goes to the checker above, which says what is wrong.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import math
import tomllib
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, override

from ..diagnostics import (
    KSP401,
    KSP402,
    KSP403,
    KSP404,
    KSP405,
    KSP406,
    KSP407,
    KSP408,
    KSP409,
    CaseError,
    CaseProblem,
    Code,
    describe,
    did_you_mean,
)
from ..files import NotAFile, TooLarge, os_help, os_reason, read_bounded
from ..lang.schema import (
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
    value_kind,
)
from ..limits import DEFAULT, Limits
from ..paths import child, element


class _Invalid(ValueError):
    """A value that does not fit its type; `code` is the diagnostic code for it."""

    def __init__(self, message: str, code: Code = KSP404, *, columns: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.columns = columns  # a list given as a text: say how a CSV column gives one


# ---- cases -------------------------------------------------------------------------


class CaseReader:
    """Checks cases against one schema; built once per policy, used for every case."""

    def __init__(self, schema: Schema, limits: Limits = DEFAULT) -> None:
        self.schema = schema
        self.limits = limits
        self.converter = cattrs.Converter(forbid_extra_keys=True)
        self._classes: dict[int, type] = {}
        self.root_class = self._class_for(schema.root)
        self._max_text = limits.max_text
        self._plans: dict[int, _Plan] = {}
        self._root_plan = self._plan_for(schema.root)
        self._walk = _write_walk(self._root_plan, limits)

    def _plan_for(self, record: RecordType) -> _Plan:
        """The quick walk's table for a record: each field's key, kind, what its kind
        checks against, and the fact a case that leaves it out gets."""
        if id(record) in self._plans:
            return self._plans[id(record)]
        plan = _Plan([])
        self._plans[id(record)] = plan
        cls = self._class_for(record)
        for field, attribute in zip(record.fields.values(), attrs.fields(cls), strict=True):
            # What a left-out field becomes is read off the record class the full
            # checker structures into, so both readers give the same facts.
            given = attribute.default
            if given is attrs.NOTHING:
                missing: Any = _REQUIRED
            elif isinstance(given, attrs.Factory):  # type: ignore[arg-type]
                missing = _plain(given.factory())
            else:
                missing = given if given is None or isinstance(given, _LEAVES) else _plain(given)
            kind, arg = self._kind(field.type)
            plan.fields.append((field.name, kind, arg, missing))
        return plan

    def _kind(self, type_: Type) -> tuple[int, Any]:
        if isinstance(type_, RecordType):
            return _RECORD, self._plan_for(type_)
        if isinstance(type_, ListType):
            return _LIST, self._kind(type_.element)
        if isinstance(type_, EnumType):
            # only the codes a case may hold: a code longer than max_text is refused
            fine = (c for c in type_.codes if len(c) <= self._max_text and _encodes(c))
            return _ENUM, frozenset(fine)
        if isinstance(type_, IntType):
            bounded = type_.low is not None and type_.high is not None
            return _INT, (type_.low, type_.high) if bounded else None
        kinds = {BoolType: _BOOL, NumberType: _NUMBER, TextType: _TEXT, DateType: _DATE}
        return kinds[type(type_)], None

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
        _FIELD_NAMES[cls] = tuple(keys.items())
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
                if isinstance(value, str):
                    # `EU,US` from a CSV cell, or a JSON text: the list it was meant as.
                    items = json.dumps([item.strip() for item in value.split(",")])
                    message = f"expected a list, got {_shown(value)}: write {items}"
                    raise _Invalid(message, KSP402, columns=True)
                raise _Invalid(f"expected a list, got {_shown(value)}", KSP402)
            if len(value) > self.limits.max_items:
                raise _Invalid(
                    f"{len(value):,} elements; at most {self.limits.max_items:,} are allowed",
                    KSP409,
                )
            return structure_items(value, list_type)

        return hook

    def _scalar_hook(self, type_: Type) -> Callable[[Any, Any], Any]:
        def hook(value: Any, _: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, str):
                if len(value) > self.limits.max_text:
                    raise _Invalid(
                        f"the text is {len(value):,} characters long; at most "
                        f"{self.limits.max_text:,} are allowed",
                        KSP408,
                    )
                # isascii() is O(1) in CPython: only texts beyond ASCII pay for the check.
                if not value.isascii() and not _encodes(value):
                    raise _Invalid(NOT_UNICODE)
            return _scalar(type_, value)

        return hook

    def read(self, data: Any, source: str | None = None) -> dict[str, Any]:
        """The case's facts as plain data (unknown facts left out), or CaseError."""
        facts = self.read_quickly(data)
        return facts if facts is not None else self.read_fully(data, source)

    def read_quickly(self, data: Any) -> dict[str, Any] | None:
        """The facts of a case that fits the schema, read in one walk; None when the
        walk cannot vouch for the case (see "the quick walk" below)."""
        if type(data) is not dict:
            return None
        try:
            return self._walk(data)
        except _Unsure:
            return None

    def read_fully(self, data: Any, source: str | None = None) -> dict[str, Any]:
        """What `read` gives, by the full checker alone: the facts, or CaseError with
        every problem of the case, each with its path and code."""
        if not isinstance(data, Mapping):
            raise CaseError(
                [CaseProblem("", f"a case is a table of fields, not {value_kind(data)}", KSP402)],
                source,
            )
        try:
            structured: Any = self.converter.structure(dict(data), self.root_class)
        except Exception as exc:  # cattrs raises exception groups of many kinds
            problems = list(_problems(exc, "", self.schema.root, self.schema))
            raise CaseError(problems or [CaseProblem("", str(exc), KSP404)], source) from None
        return _plain(structured)  # type: ignore[no-any-return]


@attrs.define
class _Plan:
    """A record as the quick walk reads it: (key, kind, what the kind checks against,
    the fact a left-out field gives or _REQUIRED) per field, in the schema's order."""

    fields: list[tuple[str, int, Any, Any]]


# ---- the quick walk ------------------------------------------------------------------
#
# Nearly every case fits its schema, and for those the full checker's work (a class
# instance per record, a hook per fact, then the walk back to plain data) is most of the
# cost of reading a case. The quick walk goes over the case once and builds the plain
# facts as it goes. It only vouches for what it knows to be right: any value that is not
# exactly of its type's plain JSON or TOML kind, anything wrong, and any case it is
# unsure of raises _Unsure, and the full checker reads the case instead, so every
# message, path and code of a bad case comes from one place. A case the quick walk
# accepts the full checker accepts too, with the same facts (tests/test_cases_quick.py).
#
# The walk is Python written once per schema from its records' tables (`_Plan`): a
# function per record, a few lines per field with its key, its kind's check and its
# default written in, so that reading a fact costs a lookup and a check, not a loop
# over the table, a tuple unpacked and the kind's branch found: a third fewer machine
# instructions than the walk that read the tables (tests/test_cases_walk.py keeps it,
# and checks that the two read alike).


def _write_walk(root: _Plan, limits: Limits) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The quick walk of a schema whose root record is `root`: a function from a case
    (a dict) to its facts, raising _Unsure for anything it cannot vouch for."""
    tree, namespace, name = walk_tree(root, limits)
    # Not GENERATED's name (facts.py): that marks the fast path's code, whose KeyError
    # means an unknown fact.
    exec(compile(tree, "<kspolicy case walk>", "exec"), namespace)
    return namespace[name]  # type: ignore[no-any-return]


def walk_tree(root: _Plan, limits: Limits) -> tuple[ast.Module, dict[str, Any], str]:
    """The quick walk's code as a tree, the namespace it runs in, and the name of the
    root record's function.

    Nothing from the policy is ever written as code: the source names each key, code
    set, bound and default by a name of the writer's own (`_c3`), and the tree read
    from it then holds each key, bound and limit as a constant in that name's place
    (as fast as a literal), the rest as values of the namespace."""
    writer = _WalkWriter(limits)
    name = writer.record(root)
    tree = ast.parse("\n".join(line for function in writer.functions for line in function))
    tree = _Literals(writer.literals).visit(tree)
    return tree, dict(writer.constants), name


class _Literals(ast.NodeTransformer):
    """Puts each name of a literal value (a key, a bound) as a constant in its place."""

    def __init__(self, literals: dict[str, Any]) -> None:
        self.literals = literals

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.literals:
            return ast.copy_location(ast.Constant(self.literals[node.id]), node)
        return node


class _WalkWriter:
    """Writes the quick walk's source: `record` writes a record's function (and those of
    the records inside it) and gives its name; `constants` and `literals` are what the
    source names (see `walk_tree`)."""

    def __init__(self, limits: Limits) -> None:
        self.functions: list[list[str]] = []
        self.names: dict[int, str] = {}
        self.constants: dict[str, Any] = {
            "_Unsure": _Unsure,
            "_ABSENT": _REQUIRED,
            "_copy": _copy,
            "_encodes": _encodes,
            "_isfinite": math.isfinite,
            "_day": _day,
        }
        self.literals: dict[str, Any] = {}
        self.longest = self.literal(limits.max_text)
        self.most = self.literal(limits.max_items)

    def constant(self, value: Any) -> str:
        """A name for a value the source uses (a set of codes, a default)."""
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def literal(self, value: str | int) -> str:
        """A name for a key or a number, which the tree holds as a constant."""
        name = f"_l{len(self.literals)}"
        self.literals[name] = value
        return name

    def record(self, plan: _Plan) -> str:
        if id(plan) in self.names:
            return self.names[id(plan)]
        name = self.names[id(plan)] = f"_record{len(self.names)}"
        keys = self.constant(frozenset(key for key, *_ in plan.fields))
        body = [
            f"def {name}(data):",
            # a key the record does not have: checked first, for all keys at once
            f"    if type(data) is not dict or not data.keys() <= {keys}:",
            "        raise _Unsure",
            "    out = {}",
        ]
        for key, kind, arg, missing in plan.fields:
            literal = self.literal(key)
            if missing is None:  # left out or null: unknown, no fact
                body.append(f"    v = data.get({literal})")
                body.append("    if v is not None:")
            else:
                body.append(f"    v = data.get({literal}, _ABSENT)")
                body.append("    if v is _ABSENT:")
                if missing is _REQUIRED:
                    body.append("        raise _Unsure")
                elif type(missing) in (dict, list):
                    # a fresh copy: facts are the caller's, and may be changed
                    body.append(f"        out[{literal}] = _copy({self.constant(missing)})")
                else:
                    body.append(f"        out[{literal}] = {self.constant(missing)}")
                body.append("    elif v is not None:")
            body += self.value("v", kind, arg, "        ")
            body.append(f"        out[{literal}] = v")
        body.append("    return out")
        self.functions.append(body)
        return name

    def value(self, v: str, kind: int, arg: Any, indent: str) -> list[str]:
        """Lines that check the value named `v` (not None) of a kind, raising _Unsure
        for one the walk cannot vouch for, and leave in `v` the fact it gives."""
        if kind == _LIST:
            element_kind, element_arg = arg
            return [
                f"{indent}if type({v}) is not list or len({v}) > {self.most}:",
                f"{indent}    raise _Unsure",
                *self.elements(v, element_kind, element_arg, indent),
            ]
        if kind == _RECORD:
            return [f"{indent}{v} = {self.record(arg)}({v})"]
        if kind == _DATE:
            return [f"{indent}{v} = _day({v}, {self.longest})"]
        return [f"{indent}if {self.wrong(v, kind, arg)}:", f"{indent}    raise _Unsure"]

    def elements(self, v: str, kind: int, arg: Any, indent: str) -> list[str]:
        """Lines that check a list's elements (each may be null: unknown, kept in its
        place, as the full checker keeps it) and leave in `v` the list of their facts."""
        if kind == _RECORD:
            return [f"{indent}{v} = [None if x is None else {self.record(arg)}(x) for x in {v}]"]
        if kind == _DATE:
            day = f"_day(x, {self.longest})"
            return [f"{indent}{v} = [None if x is None else {day} for x in {v}]"]
        if kind == _LIST:  # a list in a list: the full checker reads it, unless all null
            wrong = "x is not None"
        else:
            wrong = f"x is not None and ({self.wrong('x', kind, arg)})"
        return [
            f"{indent}for x in {v}:",
            f"{indent}    if {wrong}:",
            f"{indent}        raise _Unsure",
            f"{indent}{v} = {v}.copy()",
        ]

    def wrong(self, v: str, kind: int, arg: Any) -> str:
        """An expression true when the value named `v` (not None) is not a plain value of
        a scalar kind that the walk vouches for. `type(x) is` rather than isinstance: a
        subclass (an IntEnum, a str subclass) is left to the full checker, which keeps it
        as it is."""
        if kind == _BOOL:
            return f"{v} is not True and {v} is not False"
        if kind == _ENUM:  # only the codes a case may hold (see CaseReader._kind)
            return f"type({v}) is not str or {v} not in {self.constant(arg)}"
        if kind == _TEXT:
            return f"type({v}) is not str or not {self.fits(v)}"
        if kind == _INT:
            if arg is None:
                return f"type({v}) is not int"
            low, high = self.literal(arg[0]), self.literal(arg[1])
            return f"type({v}) is not int or not {low} <= {v} <= {high}"
        assert kind == _NUMBER, kind
        return f"type({v}) is not int and (type({v}) is not float or not _isfinite({v}))"

    def fits(self, v: str) -> str:
        """Whether a text named `v` fits: short enough, and valid Unicode (isascii() is
        O(1) in CPython: only texts beyond ASCII pay for the check)."""
        return f"(len({v}) <= {self.longest} and ({v}.isascii() or _encodes({v})))"


def _day(value: Any, longest: int) -> dt.date:
    """The fact a date field's value (not None) gives: a date as it is, an ISO text
    (within `longest` characters, valid Unicode) as the date it names; else _Unsure."""
    if type(value) is dt.date:
        return value
    if type(value) is str and len(value) <= longest and (value.isascii() or _encodes(value)):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise _Unsure from None
    raise _Unsure


class _Unsure(Exception):
    """The quick walk cannot vouch for a case: the full checker reads it."""


_REQUIRED: Any = object()  # also the quick walk's marker of a key the case does not give
_BOOL, _INT, _NUMBER, _TEXT, _DATE, _ENUM, _LIST, _RECORD = range(8)


def _copy(value: Any) -> Any:
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


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
            # The words of the type (`type_.what`) elsewhere; for bool and date, what to
            # write, which is what someone filling in a case needs.
            raise _Invalid(
                f"expected true or false, got {_shown(value)}: write true or false "
                "(in lower case, without quotes)",
                KSP402,
            )
        return value
    if isinstance(type_, IntType):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"expected {type_.what}, got {_shown(value)}{_whole(value)}", KSP402)
        if (
            type_.low is not None
            and type_.high is not None
            and not type_.low <= value <= type_.high
        ):
            raise _Invalid(f"{value} is not between {type_.low} and {type_.high}")
        return value
    if isinstance(type_, NumberType):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"expected {type_.what}, got {_shown(value)}{_unquoted(value)}", KSP402)
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(f"{value} is not a finite number")
        return value
    if isinstance(type_, TextType):
        if not isinstance(value, str):
            # 123 or true where a text is meant (a CSV cell is read as JSON when it is).
            as_text = json.dumps(json.dumps(value)) if _is_scalar(value) else None
            write = f": write {as_text} to give it as a text" if as_text else ""
            raise _Invalid(f"expected {type_.what}, got {_shown(value)}{write}", KSP402)
        return value
    if isinstance(type_, DateType):
        day = parse_date(value)
        if day is None:
            raise _Invalid(f"expected a date (YYYY-MM-DD), got {describe(value)}", KSP402)
        return day
    assert isinstance(type_, EnumType)
    if not isinstance(value, str):
        raise _Invalid(f"expected {type_.what}, got {_shown(value)}: {_codes(type_)}", KSP402)
    if value not in type_:
        hint = did_you_mean(value, type_.codes, quote="'")
        raise _Invalid(f"{describe(value)} is not {type_.what}" + (f"; {hint}" if hint else ""))
    return value


_LISTED_CODES = 8
"""An enum of at most this many codes is named whole in a message; a longer one by an
example (a country's codes)."""


def _codes(type_: EnumType) -> str:
    """How to write a value of an enum, for a case that gave another kind of value: its
    codes in quotes when they are few, else one of them as an example."""
    codes = [json.dumps(code, ensure_ascii=False) for code in type_.codes]
    if not codes:
        return "the enum has no codes"
    if len(codes) <= _LISTED_CODES:
        return f"write one of {', '.join(codes)}, in quotes"
    return f"write a code in quotes, such as {codes[0]}"


def _unquoted(value: Any) -> str:
    """For a number written in quotes (`"3"`, a CSV cell kept as a text), how to give it
    as a number; nothing for any other value."""
    if not isinstance(value, str):
        return ""
    try:
        number = json.loads(value.strip())
    except ValueError:
        return ""
    if not _is_scalar(number) or isinstance(number, bool):
        return ""
    return f": write {json.dumps(number)} without quotes to give it as a number"


def _whole(value: Any) -> str:
    """For a whole number written as a number with a fraction (`4.0`, which TOML and
    JSON read as a float), how to write it as a whole number; else what `_unquoted`
    says (a number in quotes)."""
    if isinstance(value, float) and value.is_integer():
        return f": write {int(value)}"
    if isinstance(value, str):  # `"4.0"`: the whole number, without quotes or fraction
        try:
            number = json.loads(value.strip())
        except ValueError:
            return ""
        if isinstance(number, float) and math.isfinite(number) and number.is_integer():
            return f": write {int(number)} without quotes to give it as a whole number"
        if isinstance(number, float):
            return ""  # `"4.5"`: no whole number to suggest
    return _unquoted(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value))


def _shown(value: Any) -> str:
    """A value read from a case as the message shows it, with what it is: JSON's words
    (`true`, not Python's `True`), as the case wrote them."""
    if isinstance(value, bool) or value is None:
        return f"{json.dumps(value)} ({value_kind(value)})"
    return f"{describe(value)} ({value_kind(value)})"


# Weak: a policy's record classes must go when the policy goes (a service reloads policies).
_FIELD_NAMES: weakref.WeakKeyDictionary[type, tuple[tuple[str, str], ...]] = (
    weakref.WeakKeyDictionary()
)
_LEAVES = (str, int, float, bool, dt.date)  # nothing inside to make plain


def _plain(value: Any) -> Any:
    # Each record class's attributes and field names are looked up once per record,
    # and a scalar is kept as it is without a call: this runs for every fact of
    # every case read.
    if isinstance(value, list):
        return [_plain(v) for v in value]
    pairs = _FIELD_NAMES.get(type(value))
    if pairs is None:
        return value
    # An unknown fact is left out (not None): the fast path's two-valued function
    # reads facts by key, and a missing key is how it learns a fact is unknown.
    out = {}
    for name, key in pairs:
        inner = getattr(value, name)
        if inner is not None:
            out[key] = inner if isinstance(inner, _LEAVES) else _plain(inner)
    return out


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
            found += _problems(inner, child(path, name), inner_type, schema)
        for inner in without:
            found += _problems(inner, path, record, schema)
        return found
    if isinstance(exc, IterableValidationError):
        found = []
        indexed, unindexed = exc.group_exceptions()
        element_type = record.element if isinstance(record, ListType) else None
        for inner, index_note in indexed:
            index = index_note.index  # cattrs types it `int | str`: a list's is an int
            where = element(path, index) if isinstance(index, int) else child(path, str(index))
            found += _problems(inner, where, element_type, schema)
        for inner in unindexed:
            found += _problems(inner, path, element_type, schema)
        return found
    if isinstance(exc, ForbiddenExtraKeysError):
        known = record.fields if isinstance(record, RecordType) else {}
        problems = []
        # A key from a Python caller may be other than a text (`{7: ...}`): named as a
        # text, where it is compared, sorted and shown.
        for extra in sorted(map(str, exc.extra_fields)):
            hint = did_you_mean(extra, known, quote="'")
            where = child(path, printable(extra))
            message = "unknown field" + (
                f"; {hint}" if hint else f"; known fields here: {', '.join(known) or 'none'}"
            )
            problems.append(CaseProblem(where, message, KSP403))
        return problems
    if isinstance(exc, _Invalid):
        message = str(exc)
        if exc.columns:
            message += f", or in a CSV file columns `{path}[0]`, `{path}[1]`..."
        return [CaseProblem(path, message, exc.code)]
    if isinstance(exc, KeyError):
        return [CaseProblem(path, "this field is required", KSP405)]
    if isinstance(exc, ExceptionGroup):
        return [p for inner in exc.exceptions for p in _problems(inner, path, record, schema)]
    expected = (
        "a table of fields"
        if isinstance(record, RecordType)
        else ("a list" if isinstance(record, ListType) else "another value")
    )
    return [CaseProblem(path, f"expected {expected}", KSP402)]


# ---- case files ----------------------------------------------------------------------


def _case_problem(message: str, code: Code, where: str) -> CaseError:
    return CaseError([CaseProblem("", message, code)], where)


def read_case_bytes(path: Path, limits: Limits = DEFAULT) -> bytes:
    """The bytes of a case file, read once, within `limits.max_case_bytes`; else CaseError.

    Only a regular file is read: a FIFO, a device or a folder is refused unread.
    """
    where = str(path)
    try:
        return read_bounded(path, limits.max_case_bytes)
    except TooLarge as exc:
        size = f"is {exc.size:,} bytes" if exc.size is not None else "grew past the limit"
        message = f"the file {size}; the limit is {limits.max_case_bytes:,} (max_case_bytes)"
        raise _case_problem(message, KSP406, where) from None
    except FileNotFoundError:
        raise _case_problem("no such file", KSP401, where) from None
    except NotAFile as exc:
        raise _case_problem(f"cannot read the file: {exc}", KSP401, where) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        reason = f"{os_reason(exc)}; {os_help(exc)}" if isinstance(exc, OSError) else str(exc)
        raise _case_problem(f"cannot read the file: {reason}", KSP401, where) from None


def parse_case(raw: bytes, suffix: str, where: str, limits: Limits = DEFAULT) -> dict[str, Any]:
    """A case as data from the bytes of a `.toml` or `.json` file; CaseError if it is none."""
    suffix = suffix.lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"cannot read the file: it is not UTF-8 text (line {line})"
        raise _case_problem(message, KSP401, where) from None
    too_deep = f"the case nests more than {limits.max_depth} levels deep (max_depth)"
    try:
        if suffix == ".json":
            data = json.loads(text, parse_constant=_reject_constant)
        else:
            data = tomllib.loads(text)
    except RecursionError:
        raise _case_problem(too_deep, KSP407, where) from None
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        message = f"not valid {suffix[1:].upper()}: {json_problem(exc)}"
        raise _case_problem(message, KSP401, where) from None
    if not isinstance(data, dict):
        raise _case_problem("a case is a table of fields", KSP402, where)
    if depth_exceeds(data, limits.max_depth):
        raise _case_problem(too_deep, KSP407, where)
    bad = unencodable(data)
    if bad is not None:
        raise CaseError([CaseProblem(bad, NOT_UNICODE, KSP404)], where)
    return data


NOT_UNICODE = (
    "a text holding half of a surrogate pair (such as \\ud800), which is not a character; "
    "write the character itself"
)


def unencodable(data: Any) -> str | None:
    """The path (`partners[0].name`) of the first text in data that UTF-8 cannot encode.

    JSON's `"\\ud800"` parses to such a text: no output, record or message can hold it.
    `""` stands for data itself; None when every text, key or value, encodes.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # a loop, not recursion: data from the API has no depth limit
        path, value = stack.pop()
        if isinstance(value, str):
            if not _encodes(value):
                return path
        elif isinstance(value, Mapping):
            for key, item in value.items():
                where = child(path, printable(str(key)))
                if isinstance(key, str) and not _encodes(key):
                    return where
                stack.append((where, item))
        elif isinstance(value, list | tuple):
            stack.extend((element(path, i), item) for i, item in enumerate(value))
    return None


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """Text as it can be printed: a lone surrogate shown as its escape (`\\ud800`)."""
    if text.isascii() or _encodes(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@attrs.frozen
class CaseFile:
    """A case file read once: its bytes, and the data parsed from exactly those bytes."""

    path: Path
    raw: bytes
    data: dict[str, Any]

    @property
    def sha256(self) -> str:
        """The sha256 of the bytes that were read (and decided, and recorded)."""
        return hashlib.sha256(self.raw).hexdigest()


def read_case_file(path: Path, limits: Limits = DEFAULT) -> CaseFile:
    """A .toml or .json case file read once; CaseError when it cannot be read or parsed.

    The one way a case file is read, whoever reads it (`Policy.evaluate`, `eval
    --record`, `ask`): a regular file only, within `limits.max_case_bytes`, UTF-8,
    nested no deeper than `limits.max_depth`, every text valid Unicode.
    """
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        message = f"a case file ends in .toml or .json, not '{suffix or path.name}'"
        raise _case_problem(message, KSP401, str(path))
    raw = read_case_bytes(path, limits)
    return CaseFile(path, raw, parse_case(raw, suffix, str(path), limits))


def load_case_file(path: Path, limits: Limits = DEFAULT) -> dict[str, Any]:
    """A case from a .toml or .json file, as data; CaseError when it cannot be read."""
    return read_case_file(path, limits).data


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether tables and lists nest deeper than `limit` (the outermost table is 1).

    Measured on the parsed value, not on the text: TOML nests without brackets
    (`[a.b.c]`), and a quote in a comment would mislead a scan of the text. The walk
    keeps its own stack, so no depth the parser accepted can exhaust Python's.
    """
    # Level by level: each level's tables and lists, kept only when they hold more.
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for item in level:
            below += item.values() if isinstance(item, dict) else item
        level = [item for item in below if isinstance(item, dict | list)]
        depth += 1
    return False


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


# ---- a case that could not be read ----------------------------------------------------


@attrs.frozen
class Unreadable:
    """A line of a batch file that holds no case: it gets its own CaseError, in its place.

    `Policy.evaluate_many` takes it among the cases and yields that CaseError for it.
    """

    message: str
    code: Code = KSP401


__all__ = [
    "NOT_UNICODE",
    "CaseFile",
    "CaseReader",
    "Unreadable",
    "load_case_file",
    "parse_case",
    "parse_date",
    "read_case_bytes",
    "read_case_file",
    "unencodable",
]
