"""The checked policy: every name resolved, every expression typed.

The checker turns the syntax tree into these; the compiler turns these into an
evaluation tree. Each resolved expression keeps the syntax node it came from (`node`),
for spans and for the text shown in traces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeAlias

import attrs

from . import nodes as n
from .catalogue import Catalogue
from .lists import NamedList
from .schema import EnumType, Schema, Type
from .validity import Validity


@attrs.frozen(eq=False)
class Fact:
    """A path into the case: from the root (base None) or from a variable."""

    base: str | None
    fields: tuple[str, ...]
    type: Type
    node: n.Expr


@attrs.frozen(eq=False)
class Const:
    """A literal value, with its type."""

    value: object
    type: Type
    node: n.Expr


@attrs.frozen(eq=False)
class ConstSet:
    """A set of literals or codes, each of type `element`."""

    values: frozenset[object]
    element: Type
    node: n.Expr


@attrs.frozen(eq=False)
class ListSet:
    """A codes list used as a set; which entries count depends on `as_of`."""

    list: NamedList
    node: n.Expr


@attrs.frozen(eq=False)
class DefineRef:
    """A use of a definition, by name."""

    name: str
    node: n.Expr


@attrs.frozen(eq=False)
class Not:
    """`not operand`."""

    operand: Expr
    node: n.Expr


@attrs.frozen(eq=False)
class And:
    """`a and b and ...`."""

    operands: tuple[Expr, ...]
    node: n.Expr


@attrs.frozen(eq=False)
class Or:
    """`a or b or ...`."""

    operands: tuple[Expr, ...]
    node: n.Expr


@attrs.frozen(eq=False)
class Compare:
    """`left op right` with op one of == != < <= > >=."""

    op: n.CompareOp
    left: Expr
    right: Expr
    node: n.Expr


@attrs.frozen(eq=False)
class Member:
    """`element in container`; hierarchical when codes contain their descendants."""

    element: Expr
    container: Expr
    negated: bool
    hierarchical: bool
    node: n.Expr


@attrs.frozen(eq=False)
class Match:
    """`subject matches LIST`: a name against an entity list."""

    subject: Expr
    list: NamedList
    node: n.Expr


@attrs.frozen(eq=False)
class Known:
    """`subject is known` (known=True) or `subject is unknown` (known=False)."""

    subject: Expr
    known: bool
    node: n.Expr


@attrs.frozen(eq=False)
class Quantifier:
    """`any var in collection: body` (kind "any") or the same with `all` (kind "all")."""

    kind: n.QuantifierKind
    var: str
    collection: Fact
    body: Expr
    node: n.Expr


Expr: TypeAlias = (
    Fact
    | Const
    | ConstSet
    | ListSet
    | DefineRef
    | Not
    | And
    | Or
    | Compare
    | Member
    | Match
    | Known
    | Quantifier
)


@attrs.frozen(eq=False)
class Outcome:
    """An outcome of the decision: a scale (highest code wins), a set (union), or an
    entry of a records list looked up by a fact (`records`, `key`)."""

    name: str
    kind: n.OutcomeKind
    enum: EnumType
    title: n.Text | None = None
    records: NamedList | None = None
    key: Expr | None = None
    # The records list whose entries are the sources of the codes (`sources LIST`).
    sources: NamedList | None = None

    def rank(self, code: str) -> int:
        """A code's place in the outcome's enum: on a scale, a higher code ranks higher."""
        return self.enum.codes.index(code)


@attrs.frozen(eq=False)
class Definition:
    """A `define`: a named condition, with the binders it uses."""

    name: str
    title: n.Text | None
    expr: Expr
    binders: tuple[str, ...]
    node: n.Define


@attrs.frozen(eq=False)
class Effect:
    """What a rule does when it fires: raise a scale to a code, or add codes to a set."""

    outcome: Outcome
    codes: tuple[str, ...]


@attrs.frozen(eq=False)
class Rule(Validity):
    """A rule: when it applies, what it does, its sources and its reason; in force in
    a period (`valid_on`)."""

    name: str
    title: n.Text | None
    cites: tuple[str, ...]
    valid_from: dt.date | None
    valid_until: dt.date | None
    when: Expr
    unless: tuple[Expr, ...]
    effects: tuple[Effect, ...]
    because: n.Text | None
    binders: tuple[str, ...]
    node: n.Rule


@attrs.frozen(eq=False)
class Policy:
    """Everything the compiler needs, checked."""

    name: str
    version: str
    title: n.Text | None
    languages: tuple[str, ...]
    schema: Schema
    lists: dict[str, NamedList]
    outcomes: dict[str, Outcome]
    definitions: dict[str, Definition]
    rules: tuple[Rule, ...]
    sha256: str
    files: tuple[tuple[str, str], ...]  # (name, sha256) of every policy and list file
    # The scale that heads an explanation: the one marked `headline`, else the first.
    headline: str | None = None
    # The engine's words in each language, with the policy's own messages files.
    messages: Catalogue = attrs.field(factory=Catalogue)


# ---- the one walk over expressions ------------------------------------------------------


def children(expr: Expr) -> tuple[Expr, ...]:
    """The expressions directly inside one, in reading order.

    The one place that knows where each kind of expression keeps its parts: every walk
    over checked expressions (lints, the fast path, the facade's depth measure) goes
    through it. A definition's body is not inside its use (`DefineRef` has no children):
    a walk that wants it follows `Policy.definitions`.
    """
    parts = _PARTS.get(expr.__class__)
    return parts(expr) if parts is not None else ()


_PARTS: dict[type, Callable[[Any], tuple[Expr, ...]]] = {
    Not: lambda expr: (expr.operand,),
    And: lambda expr: expr.operands,
    Or: lambda expr: expr.operands,
    Compare: lambda expr: (expr.left, expr.right),
    Member: lambda expr: (expr.element, expr.container),
    Match: lambda expr: (expr.subject,),
    Known: lambda expr: (expr.subject,),
    Quantifier: lambda expr: (expr.collection, expr.body),
}
"""Where each kind of expression with parts keeps them, by its class (one lookup per
expression: a walk over 3,000 rules visits 55,000); the others have none."""


def walk(roots: Iterable[Expr]) -> Iterator[Expr]:
    """Every expression in these and inside them, without recursion (conditions may nest
    thousands deep under a raised `max_depth`); outer before inner, in no other order."""
    stack = list(roots)
    pop, extend, parts_of = stack.pop, stack.extend, _PARTS.get
    while stack:
        expr = pop()
        yield expr
        parts = parts_of(expr.__class__)
        if parts is not None:
            extend(parts(expr))
