"""The syntax tree: one frozen attrs class per construct of the language.

Every node carries the span it was parsed from, left out of equality, so two trees
parsed from differently laid-out text compare equal (the formatter relies on this).
Expressions are the `Expr` union; items are what a policy file is made of.
"""

from __future__ import annotations

import datetime as dt
import operator
import typing
from typing import Any, ClassVar, TypeAlias

import attrs

from ..span import Span

# The closed sets of words the grammar allows at a place, as types: a misspelt kind
# fails type checking. (`typing.Literal`, since `Literal` here is the literal node.)
QuantifierKind: TypeAlias = typing.Literal["any", "all"]
OutcomeKind: TypeAlias = typing.Literal["scale", "set", "entry"]
CompareOp: TypeAlias = typing.Literal["==", "!=", "<", "<=", ">", ">="]
AssignOp: TypeAlias = typing.Literal[">=", "+="]


def _span() -> Span:
    return attrs.field(eq=False, repr=False)  # type: ignore[no-any-return]


@attrs.frozen
class Name:
    """An identifier, or a dotted code such as `robotics.drones`, with its span."""

    text: str
    span: Span = _span()


@attrs.frozen
class Text:
    """A text in one or more languages; a language of None is a language-neutral text."""

    parts: tuple[tuple[str | None, str], ...]
    span: Span = _span()

    def languages(self) -> set[str]:
        """The languages the text is given in (a neutral text adds none)."""
        return {lang for lang, _ in self.parts if lang is not None}

    def get(self, lang: str) -> str:
        """The text in `lang`, else the neutral text, else English, else the first one."""
        by_lang = dict(self.parts)
        for key in (lang, None, "en"):
            if key in by_lang:
                return by_lang[key]
        return self.parts[0][1]


# ---- expressions ------------------------------------------------------------------


@attrs.frozen
class Path:
    """A dotted name in an expression: a field path, a variable, a define, a code."""

    parts: tuple[Name, ...]
    span: Span = _span()

    @property
    def dotted(self) -> str:
        """The path as written: `a.b.c`."""
        return ".".join(p.text for p in self.parts)


LiteralValue: TypeAlias = bool | int | float | str | dt.date | tuple[()]
"""What a literal holds; `()` is the empty list `[]`, written only as a field's default."""


@attrs.frozen
class Literal:
    """A literal: true/false, a number, a text in quotes, a date (or, as a default, `[]`)."""

    value: LiteralValue
    span: Span = _span()


@attrs.frozen
class SetLiteral:
    """`{a, b, c}`: a set of literals or codes."""

    items: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Not:
    """`not operand`."""

    operand: Expr
    span: Span = _span()


@attrs.frozen
class And:
    """`a and b and ...`."""

    operands: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Or:
    """`a or b or ...`."""

    operands: tuple[Expr, ...]
    span: Span = _span()


@attrs.frozen
class Compare:
    """`left op right` with op one of == != < <= > >=."""

    op: CompareOp
    left: Expr
    right: Expr
    span: Span = _span()


@attrs.frozen
class In:
    """`element in container`, or `element not in container` when negated."""

    element: Expr
    container: Expr
    negated: bool
    span: Span = _span()


@attrs.frozen
class Matches:
    """`name matches LIST`: a name against an entity list, aliases and spelling folded."""

    subject: Expr
    list_name: Name
    span: Span = _span()


@attrs.frozen
class IsKnown:
    """`x is known` (known=True) or `x is unknown` (known=False): never unknown itself."""

    subject: Expr
    known: bool
    span: Span = _span()


@attrs.frozen
class Quantifier:
    """`any v in coll: body` or `all v in coll: body`."""

    kind: QuantifierKind
    var: Name
    collection: Path
    body: Expr
    span: Span = _span()


Expr: TypeAlias = (
    Path | Literal | SetLiteral | Not | And | Or | Compare | In | Matches | IsKnown | Quantifier
)


# ---- items --------------------------------------------------------------------------


@attrs.frozen
class PolicyHeader:
    """The `policy` header: name, version, title and languages."""

    name: Name
    version: str
    title: Text | None
    languages: tuple[Name, ...]
    span: Span = _span()


@attrs.frozen
class Import:
    """`import "file.pol"`: another policy file, relative to this one."""

    path: str
    span: Span = _span()


@attrs.frozen
class Lists:
    """`lists "glob"`: list files, a glob relative to this file."""

    pattern: str
    span: Span = _span()


@attrs.frozen
class OutcomeDecl:
    """One outcome of the decision: a scale (ordered codes) or a set of codes.

    Codes are given inline (`scale a < b`) or by naming an enum (`scale of E`,
    `set of E`); `enum` holds that name. An `entry of LIST for fact` outcome (kind
    "entry") looks up the entry of a records list whose key is the fact's value.
    `headline` holds the `headline` marker, where it was written: this outcome heads
    an explanation. `sources` names a records list whose entries are the sources of
    the outcome's codes (`sources LIST`).
    """

    name: Name
    kind: OutcomeKind
    codes: tuple[Name, ...]
    enum: Name | None
    title: Text | None
    key: Path | None
    headline: Name | None
    span: Span = _span()
    sources: Name | None = None


@attrs.frozen
class DecisionDecl:
    """The `decision` block: the outcomes a decision gives."""

    outcomes: tuple[OutcomeDecl, ...]
    span: Span = _span()


@attrs.frozen
class TypeRef:
    """A field's type: `bool`, `int 1..9`, `Country`, `list of Partner`."""

    name: Name
    is_list: bool
    int_range: tuple[int, int] | None
    span: Span = _span()


@attrs.frozen
class FieldDecl:
    """A field of the schema or of a record: type, required or default, the binder
    (`as partner`) and the question asked when it is unknown.
    """

    name: Name
    type: TypeRef
    required: bool
    default: Literal | None
    binder: Name | None
    question: Text | None
    span: Span = _span()


@attrs.frozen
class SchemaDecl:
    """The top level of a case."""

    fields: tuple[FieldDecl, ...]
    span: Span = _span()


@attrs.frozen
class RecordDecl:
    """A `record`: a named type made of fields; `named_by` is the text field that
    names an element in explanations (`named by name`)."""

    name: Name
    title: Text | None
    named_by: Name | None
    fields: tuple[FieldDecl, ...]
    span: Span = _span()


@attrs.frozen
class EnumValue:
    """One value of an enum: its code and label."""

    code: Name
    label: Text | None
    span: Span = _span()


@attrs.frozen
class EnumDecl:
    """An enum: values inline, or the entries of a codes list (`from LIST`)."""

    name: Name
    description: str | None
    values: tuple[EnumValue, ...]
    from_list: Name | None
    hierarchical: bool
    span: Span = _span()


@attrs.frozen
class Define:
    """`define name = expr`: a named condition."""

    name: Name
    title: Text | None
    expr: Expr
    span: Span = _span()


@attrs.frozen
class Assignment:
    """`outcome >= code` (op ">=") or `outcome += code, code` (op "+=")."""

    outcome: Name
    op: AssignOp
    values: tuple[Name, ...]
    span: Span = _span()


# ---- clauses: parts of an item as written, before the builder sorts them into it ----
#
# One class per kind of clause, each with its own typed content, so that the builder's
# sorting is checked by mypy. `keyword` is the word the clause starts with, for the
# messages that name a clause given twice. None of them is part of the tree.


@attrs.frozen
class TitleClause:
    """`title "..."`: of the policy header or of a rule."""

    keyword: ClassVar[str] = "title"
    text: Text
    span: Span = _span()


@attrs.frozen
class LanguagesClause:
    """`languages en, nl`: of the policy header."""

    keyword: ClassVar[str] = "languages"
    languages: tuple[Name, ...]
    span: Span = _span()


@attrs.frozen
class RequiredOption:
    """`required`: of a field."""

    keyword: ClassVar[str] = "required"
    span: Span = _span()


@attrs.frozen
class DefaultOption:
    """`= literal` or `= []`: a field's default."""

    keyword: ClassVar[str] = "default"
    literal: Literal
    span: Span = _span()


@attrs.frozen
class BinderOption:
    """`as name`: a list field's binder."""

    keyword: ClassVar[str] = "as"
    name: Name
    span: Span = _span()


@attrs.frozen
class QuestionOption:
    """`question "..."`: what to ask when a field is unknown."""

    keyword: ClassVar[str] = "question"
    text: Text
    span: Span = _span()


@attrs.frozen
class CiteClause:
    """`cite "anchor", ...`: of a rule."""

    keyword: ClassVar[str] = "cite"
    anchors: tuple[Name, ...]
    span: Span = _span()


@attrs.frozen
class ValidClause:
    """`valid from D until D` (either bound may be absent): of a rule."""

    keyword: ClassVar[str] = "valid"
    valid_from: dt.date | None
    valid_until: dt.date | None
    span: Span = _span()


@attrs.frozen
class WhenClause:
    """`when condition`: of a rule."""

    keyword: ClassVar[str] = "when"
    expr: Expr
    span: Span = _span()


@attrs.frozen
class UnlessClause:
    """`unless condition`: of a rule, as many as written."""

    keyword: ClassVar[str] = "unless"
    expr: Expr
    span: Span = _span()


@attrs.frozen
class ThenClause:
    """`then assignment ...`: of a rule."""

    keyword: ClassVar[str] = "then"
    assignments: tuple[Assignment, ...]
    span: Span = _span()


@attrs.frozen
class BecauseClause:
    """`because "..."`: of a rule."""

    keyword: ClassVar[str] = "because"
    text: Text
    span: Span = _span()


HeaderClause: TypeAlias = TitleClause | LanguagesClause
FieldOption: TypeAlias = RequiredOption | DefaultOption | BinderOption | QuestionOption
RuleClause: TypeAlias = (
    TitleClause | CiteClause | ValidClause | WhenClause | UnlessClause | ThenClause | BecauseClause
)


@attrs.frozen
class Rule:
    """A rule. One-line `if ... then ...` rules have `oneline` set and a generated name."""

    name: Name
    title: Text | None
    cites: tuple[Name, ...]
    valid_from: dt.date | None
    valid_until: dt.date | None
    when: Expr | None
    unless: tuple[Expr, ...]
    then: tuple[Assignment, ...]
    because: Text | None
    oneline: bool
    valid_span: Span | None = attrs.field(eq=False, repr=False)  # where `valid ...` was written
    span: Span = _span()


Item: TypeAlias = (
    PolicyHeader
    | Import
    | Lists
    | DecisionDecl
    | SchemaDecl
    | RecordDecl
    | EnumDecl
    | Define
    | Rule
)


@attrs.frozen
class Comment:
    """A `#` comment, kept so the formatter can put it back."""

    text: str
    span: Span = _span()


@attrs.frozen
class Module:
    """One parsed policy file."""

    name: str
    items: tuple[Item, ...]
    comments: tuple[Comment, ...]
    span: Span = _span()


def _pickled_as_fields(cls: type) -> None:
    """Pickle a node as its class and its fields, in order, so unpickling calls `__init__`.

    The parse cache (cache.py) stores trees of many thousands of nodes; attrs' default
    pickles each as a dictionary of its fields, which is twice as slow both ways.
    """
    names = tuple(field.name for field in attrs.fields(cls))
    getter = operator.attrgetter(*names)  # one name: the value; more: a tuple of them
    single = len(names) == 1

    def reduce(self: Any) -> tuple[type, tuple[Any, ...]]:
        return cls, ((getter(self),) if single else getter(self))

    cls.__reduce__ = reduce  # type: ignore[assignment,method-assign]


for _node_class in list(globals().values()):
    if isinstance(_node_class, type) and attrs.has(_node_class):
        _pickled_as_fields(_node_class)
