"""The case schema: the types a policy declares for the facts of a case.

The checker builds these from `record`, `enum` and `schema` declarations; `eval.cases`
checks cases against them, and questions for unknown facts come from their fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeAlias

import attrs

from ..span import Span
from .nodes import Text


@attrs.frozen
class BoolType:
    """`bool`: true or false."""

    what: ClassVar[str] = "a true/false value"
    plural: ClassVar[str] = "true/false values"

    def __str__(self) -> str:
        return "bool"


@attrs.frozen
class IntType:
    """`int`, or `int low..high` when bounded."""

    what: ClassVar[str] = "a whole number"
    plural: ClassVar[str] = "whole numbers"

    low: int | None = None
    high: int | None = None

    def __str__(self) -> str:
        return "int" if self.low is None else f"int {self.low}..{self.high}"


@attrs.frozen
class NumberType:
    """`number`: any number, whole or not."""

    what: ClassVar[str] = "a number"
    plural: ClassVar[str] = "numbers"

    def __str__(self) -> str:
        return "number"


@attrs.frozen
class TextType:
    """`text`."""

    what: ClassVar[str] = "a text"
    plural: ClassVar[str] = "texts"

    def __str__(self) -> str:
        return "text"


@attrs.frozen
class DateType:
    """`date`."""

    what: ClassVar[str] = "a date"
    plural: ClassVar[str] = "dates"

    def __str__(self) -> str:
        return "date"


@attrs.frozen(eq=False)
class EnumType:
    """A closed set of codes. Hierarchical codes are dotted: `a` contains `a.b`."""

    name: str
    codes: tuple[str, ...]
    labels: Mapping[str, Text]
    description: str | None = None
    hierarchical: bool = False
    code_set: frozenset[str] = attrs.field(
        init=False,
        repr=False,
        default=attrs.Factory(lambda self: frozenset(self.codes), takes_self=True),
    )

    @property
    def what(self) -> str:
        """How a value of this type is named in messages: `a country code`."""
        return self.description or f"a value of {self.name}"

    @property
    def plural(self) -> str:
        """How values of this type are named in messages: `Country codes`."""
        return f"{self.name} codes"

    def __contains__(self, code: object) -> bool:
        return code in self.code_set

    def __str__(self) -> str:
        return self.name


@attrs.frozen
class ListType:
    """A list of values of one type: `list of Partner`."""

    element: Type

    @property
    def what(self) -> str:
        """How a value of this type is named in messages: `a list of texts`."""
        return f"a list of {self.element.plural}"

    @property
    def plural(self) -> str:
        """How values of this type are named in messages: `lists of texts`."""
        return f"lists of {self.element.plural}"

    def __str__(self) -> str:
        return f"list of {self.element}"


@attrs.frozen(eq=False)
class Field:
    """A fact a case may give: its type, whether it must be given, and what to ask."""

    name: str
    type: Type
    required: bool = False
    default: object = None
    binder: str | None = None
    question: Text | None = None
    span: Span | None = None


@attrs.frozen(eq=False)
class RecordType:
    """A `record` type, or the root of a case: named fields. `named_by` is the field
    whose value names an element in explanations (`named by name`), if any."""

    name: str
    fields: dict[str, Field]
    title: Text | None = None
    named_by: str | None = None

    @property
    def what(self) -> str:
        """How a value of this type is named in messages: `a Partner record`."""
        return f"a {self.name} record"

    @property
    def plural(self) -> str:
        """How values of this type are named in messages: `Partner records`."""
        return f"{self.name} records"

    def __str__(self) -> str:
        return self.name


# Every type says in words what its values are: `what` (`a whole number`, `a list of
# texts`, `a country code`) and `plural` (`whole numbers`): the checker's messages and
# the case checker's use these, and nothing else names a type in words. `value_kind`
# does the same for a value read from a case, whatever type it should have had.

Type: TypeAlias = (
    BoolType | IntType | NumberType | TextType | DateType | EnumType | ListType | RecordType
)

BUILTIN_TYPES: dict[str, Type] = {
    "bool": BoolType(),
    "int": IntType(),
    "number": NumberType(),
    "text": TextType(),
    "date": DateType(),
}


@attrs.frozen
class Binder:
    """An implicit variable such as `partner`, bound to each element of a collection."""

    name: str
    fields: tuple[str, ...]
    element: Type

    @property
    def collection(self) -> str:
        """The path of the collection it is bound over, dotted."""
        return ".".join(self.fields)


@attrs.frozen(eq=False)
class Schema:
    """The root record of a case, every named type, and the implicit binders."""

    root: RecordType
    records: dict[str, RecordType]
    enums: dict[str, EnumType]
    binders: dict[str, Binder]

    def field_at(self, path: tuple[str, ...]) -> Field | None:
        """The field at a path of field names (list indices left out), or None."""
        record: Type = self.root
        found: Field | None = None
        for name in path:
            while isinstance(record, ListType):
                record = record.element
            if not isinstance(record, RecordType) or name not in record.fields:
                return None
            found = record.fields[name]
            record = found.type
        return found

    def fields(self) -> Iterator[tuple[tuple[str, ...], Field]]:
        """Every field with its path, depth first, in declaration order."""

        def walk(
            record: RecordType, prefix: tuple[str, ...]
        ) -> Iterator[tuple[tuple[str, ...], Field]]:
            for field in record.fields.values():
                path = (*prefix, field.name)
                yield path, field
                inner = field.type.element if isinstance(field.type, ListType) else field.type
                if isinstance(inner, RecordType) and inner is not record:
                    yield from walk(inner, path)

        return walk(self.root, ())


def value_kind(value: Any) -> str:
    """What a value read from a case or a batch is, in words: `a text`, `a list`, `a
    table`, `a whole number`, `true/false`, `null`; for a message that says what was
    found where something else belongs."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return IntType.what
    if isinstance(value, float):
        return NumberType.what
    if isinstance(value, str):
        return TextType.what
    if isinstance(value, dt.date):
        return DateType.what
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__


def is_numeric(t: Type) -> bool:
    """Whether values of the type are numbers (`int` or `number`)."""
    return isinstance(t, IntType | NumberType)


def comparable(a: Type, b: Type) -> bool:
    """Whether `a == b` makes sense."""
    if is_numeric(a) and is_numeric(b):
        return True
    if isinstance(a, EnumType) or isinstance(b, EnumType):
        return a is b
    return type(a) is type(b) and not isinstance(a, ListType | RecordType)


def ordered(a: Type, b: Type) -> bool:
    """Whether `a < b` makes sense: numbers with numbers, dates with dates."""
    return (is_numeric(a) and is_numeric(b)) or (
        isinstance(a, DateType) and isinstance(b, DateType)
    )


LiteralType = bool | int | float | str | dt.date
