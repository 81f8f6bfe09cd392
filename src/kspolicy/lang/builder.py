"""Lark's reductions to syntax tree nodes: the builder.

Lark calls a reduction each time its LALR parser reduces by a rule of the grammar
(its public `transformer=` option, see `parser.make_parser`); each reduction calls the
`Builder` method named after the rule (or alias) with the node's span and its
children already built, so no parse tree is made and none walked. The builder also
reports what the grammar lets through but the language does not (a date that does not
exist, a clause given twice, a rule with no `when`): each a diagnostic with its place.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, cast

import lark
from lark import Token

from ..diagnostics import (
    KSP105,
    KSP106,
    KSP210,
    KSP211,
    KSP219,
    Diagnostic,
    error,
)
from ..span import Source, Span
from . import nodes as n

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(.)", re.S)


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    if "\\" not in body:  # most texts: nothing to replace
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def _fold(text: str) -> str:
    """Runs of white space in a displayed text (titles, reasons) count as one space."""
    return " ".join(text.split())


class _Current(threading.local):
    """The builder of the item being parsed in this thread (Lark's reductions are made
    once per parser, so they find their builder here)."""

    builder: Builder | None = None


current = _Current()

_UNWRAPPED = {"operand": 1, "not_expr": 1, "title": 1}
"""Trees that stand for the child at that place: `( expr )` and `title text`. (A
`not_expr` reaches the builder only as brackets: its other alternatives are either
named or a single child, which Lark hands on as it is.)"""

_KEEPS_TOKENS = frozenset({"comparison"})
"""Rules whose keywords the builder is given: a comparison's one token is its operator."""

_DOTTED = frozenset({"path", "code_name"})
"""Rules of names between dots, `NAME ("." NAME)*`: every other child is a name."""

_OutcomeType: TypeAlias = tuple[n.OutcomeKind, tuple[n.Name, ...], n.Name | None, n.Path | None]
"""An outcome's kind as written: the kind, its codes inline, the enum or records list it
names, and the key of an `entry of` outcome."""

_EnumBody: TypeAlias = tuple[tuple[n.EnumValue, ...], n.Name | None, bool]
"""An enum's body: its values inline, or the list it is made from; whether hierarchical."""

_Reduction = Callable[[list[Any]], tuple[Any, int, int, int]]
"""What Lark calls as it reduces: the children in, `(value, start, end, height)` out."""


class Reductions(lark.Transformer[Token, Any]):
    """What Lark calls as it reduces by a rule: one function per rule (or alias).

    Each is given the rule's children as Lark shapes a tree (its documented "tree
    construction" rules: `_rule`s spliced into their parent, a `?rule` with one child
    replaced by it, an absent `[optional]` part as None), with every token kept.
    What a reduction gives is a tuple `(value, start, end, height)`: the node the
    builder made, where the rule's text starts and ends in the item (-1 when it holds
    no token), and how high the parse tree Lark would have made is there (brackets and
    titles add no level), for the depth limit. Everything is bottom-up, nothing
    recursive, so an item can nest as deep as the limit allows. (A Transformer, as
    Lark's `transformer=` option asks; it is never used to walk a tree.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.named: set[str] = set()
        for name, method in vars(Builder).items():
            if name in _DOTTED:
                setattr(self, name, _dotted(method))
            elif not name.startswith("_") and callable(method):
                setattr(self, name, _reduction(method, self.named, name in _KEEPS_TOKENS))
        for name, index in _UNWRAPPED.items():
            setattr(self, name, _unwrapping(index))
        self.start = _items


def _reduction(method: Callable[..., Any], named: set[str], keeps_tokens: bool) -> _Reduction:
    """The reduction that calls one of the builder's methods: with the node's span and
    its children's values, keywords and punctuation left out (unless `keeps_tokens`)."""

    # Run once per reduction (73,000 for 3,000 rules): names bound here, not looked up.
    new, place, node, local = tuple.__new__, Span, tuple, current

    def reduce(children: list[Any]) -> tuple[Any, int, int, int]:
        start = end = -1
        height = 0
        values: list[Any] = []
        for child in children:
            if child.__class__ is node:  # a node, as a reduction gave it
                value, child_start, child_end, child_height = child
                if child_start >= 0:
                    if start < 0:
                        start = child_start
                    end = child_end
                if child_height > height:
                    height = child_height
                values.append(value)
            elif child is None:  # an absent [optional] part
                values.append(None)
            else:  # a token
                if start < 0:
                    start = child.start_pos
                end = child.end_pos
                if keeps_tokens or child.type in named:
                    values.append(child)
        builder = local.builder
        assert builder is not None
        offset = builder.offset
        # A Span made from its fields' tuple, as the named tuple's own `_make` does.
        if start < 0:
            span = new(place, (builder.source, offset, offset))
        else:
            span = new(place, (builder.source, offset + start, offset + end))
        return method(builder, span, *values), start, end, height + 1

    return reduce


def _dotted(method: Callable[..., Any]) -> _Reduction:
    """The reduction of a dotted name (`_DOTTED`), the most frequent of all: its children
    are tokens only, names at even places and dots between, so its span is that of its
    first and last child and no child needs looking at."""
    new, place, local = tuple.__new__, Span, current

    def reduce(children: list[Any]) -> tuple[Any, int, int, int]:
        builder = local.builder
        assert builder is not None
        start, end = children[0].start_pos, children[-1].end_pos
        offset = builder.offset
        span = new(place, (builder.source, offset + start, offset + end))
        return method(builder, span, *children[::2]), start, end, 1

    return reduce


def _unwrapping(index: int) -> _Reduction:
    """The reduction of `( expr )` or `title text`: the child at `index`, unchanged,
    its place reaching over the brackets or the keyword for the node around it (as
    Lark's inlined rules with propagated positions did)."""

    def unwrap(children: list[Any]) -> tuple[Any, int, int, int]:
        first, last = children[0], children[-1]
        inner = children[index]
        start = first.start_pos if first.__class__ is not tuple else first[1]
        end = last.end_pos if last.__class__ is not tuple else last[2]
        return inner[0], start, end, inner[3]

    return unwrap


def _items(children: list[Any]) -> tuple[list[n.Item], int, int, int]:
    """The reduction of `start`: the list of the item's nodes (one, but for `start: item*`)."""
    height = max((child[3] for child in children), default=0)
    return [child[0] for child in children], -1, -1, height + 1


class Builder:
    """Builds AST nodes for one item; collects what is wrong on the way.

    Each grammar rule (or alias) has a method here, called by `Reductions` as Lark
    reduces by that rule, with the node's span and its children already built.
    """

    def __init__(self, source: Source, offset: int, stem: str, oneliners: int) -> None:
        self.source = source
        self.offset = offset
        self.stem = stem
        self.oneliners = oneliners
        self.diagnostics: list[Diagnostic] = []

    # spans

    def _tspan(self, token: Token) -> Span:
        assert token.start_pos is not None and token.end_pos is not None
        return Span(self.source, self.offset + token.start_pos, self.offset + token.end_pos)

    def _name(self, token: Token) -> n.Name:
        return n.Name(str(token), self._tspan(token))

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self.diagnostics.append(
                error(
                    KSP105,
                    f"`{token}` is not a date that exists",
                    self._tspan(token),
                    "write a real date as YYYY-MM-DD, e.g. 2025-01-31",
                )
            )
            return dt.date(1, 1, 1)

    def _int(self, token: Token) -> int:
        try:
            return int(token)
        except ValueError:  # Python reads whole numbers of at most 4,300 digits
            digits = len(token.lstrip("-"))
            self._bad_number(token, f"has {digits:,} digits; whole numbers may have up to 4,300")
            return 0

    def _decimal(self, token: Token) -> float:
        value = float(token)
        if math.isinf(value):
            self._bad_number(token, "is too large to compute with (the limit is about 10^308)")
            return 0.0
        return value

    def _bad_number(self, token: Token, what: str) -> None:
        shown = token if len(token) <= 24 else f"{token[:12]}…{token[-6:]}"
        self.diagnostics.append(
            error(
                KSP106,
                f"`{shown}` {what}",
                self._tspan(token),
                "write a number of at most 300 digits",
            )
        )

    # header, imports, lists

    def policy_header(
        self, span: Span, name: Token, version: Token, *clauses: n.HeaderClause
    ) -> n.PolicyHeader:
        """`policy_header: "policy" NAME "version" STRING header_clause*`."""
        title = next((c.text for c in clauses if isinstance(c, n.TitleClause)), None)
        languages: tuple[n.Name, ...] = ()
        for clause in clauses:
            if isinstance(clause, n.LanguagesClause):
                languages = clause.languages
        return n.PolicyHeader(self._name(name), _unquote(version), title, languages, span)

    def title_clause(self, span: Span, text: n.Text) -> n.TitleClause:
        """`header_clause: "title" text` or `rule_clause: "title" text`."""
        return n.TitleClause(text, span)

    def languages_clause(self, span: Span, *langs: Token) -> n.LanguagesClause:
        """`header_clause: "languages" LANGNAME ("," LANGNAME)*`."""
        return n.LanguagesClause(tuple(self._name(t) for t in langs), span)

    def import_stmt(self, span: Span, path: Token) -> n.Import:
        """`import_stmt: "import" STRING`."""
        return n.Import(_unquote(path), span)

    def lists_stmt(self, span: Span, pattern: Token) -> n.Lists:
        """`lists_stmt: "lists" STRING`."""
        return n.Lists(_unquote(pattern), span)

    # decision

    def decision_decl(self, span: Span, *outcomes: n.OutcomeDecl) -> n.DecisionDecl:
        """`decision_decl: "decision" "{" outcome_decl* "}"`."""
        return n.DecisionDecl(tuple(outcomes), span)

    def outcome_decl(
        self,
        span: Span,
        name: Token,
        kind: _OutcomeType,
        headline: n.Name | None,
        sources: n.Name | None,
        title: n.Text | None,
    ) -> n.OutcomeDecl:
        """`outcome_decl: NAME ":" outcome_type [headline] [sources] [title]`."""
        what, codes, enum, key = kind
        return n.OutcomeDecl(
            self._name(name), what, codes, enum, title, key, headline, span, sources
        )

    def sources(self, span: Span, name: Token) -> n.Name:
        """`sources: "sources" NAME`."""
        return self._name(name)

    def headline(self, span: Span) -> n.Name:
        """`headline: "headline"`."""
        return n.Name("headline", span)

    def scale_inline(self, span: Span, *codes: n.Name) -> _OutcomeType:
        """`outcome_type: "scale" code_name ("<" code_name)+`."""
        return ("scale", codes, None, None)

    def scale_of(self, span: Span, enum: Token) -> _OutcomeType:
        """`outcome_type: "scale" "of" NAME`."""
        return ("scale", (), self._name(enum), None)

    def set_of(self, span: Span, enum: Token) -> _OutcomeType:
        """`outcome_type: "set" "of" NAME`."""
        return ("set", (), self._name(enum), None)

    def entry_of(self, span: Span, records: Token, key: n.Path) -> _OutcomeType:
        """`outcome_type: "entry" "of" NAME "for" path`."""
        return ("entry", (), self._name(records), key)

    # schema

    def schema_decl(self, span: Span, *fields: n.FieldDecl) -> n.SchemaDecl:
        """`schema_decl: "schema" "{" field_decl* "}"`."""
        return n.SchemaDecl(fields, span)

    def record_decl(
        self,
        span: Span,
        name: Token,
        title: n.Text | None,
        named_by: n.Name | None,
        *fields: n.FieldDecl,
    ) -> n.RecordDecl:
        """`record_decl: "record" NAME [title] [named_by] "{" field_decl* "}"`."""
        return n.RecordDecl(self._name(name), title, named_by, fields, span)

    def named_by(self, span: Span, field: Token) -> n.Name:
        """`named_by: "named" "by" NAME`."""
        return self._name(field)

    def field_decl(
        self, span: Span, name: Token, type_ref: n.TypeRef, *options: n.FieldOption
    ) -> n.FieldDecl:
        """`field_decl: NAME ":" type_ref field_option*`."""
        seen: set[str] = set()
        required = False
        default: n.Literal | None = None
        binder: n.Name | None = None
        question: n.Text | None = None
        for option in options:
            if option.keyword in seen:
                self.diagnostics.append(
                    error(
                        KSP210,
                        f"field `{name}` has `{option.keyword}` twice",
                        option.span,
                        "keep one of them",
                    )
                )
                continue
            seen.add(option.keyword)
            if isinstance(option, n.RequiredOption):
                required = True
            elif isinstance(option, n.DefaultOption):
                default = option.literal
            elif isinstance(option, n.BinderOption):
                binder = option.name
            else:
                question = option.text
        return n.FieldDecl(self._name(name), type_ref, required, default, binder, question, span)

    def scalar_type(self, span: Span, name: Token, int_range: tuple[int, int] | None) -> n.TypeRef:
        """`type_ref: NAME [int_range]`."""
        return n.TypeRef(self._name(name), False, int_range, span)

    def list_type(self, span: Span, name: Token) -> n.TypeRef:
        """`type_ref: "list" "of" NAME`."""
        return n.TypeRef(self._name(name), True, None, span)

    def int_range(self, span: Span, low: Token, high: Token) -> tuple[int, int]:
        """`int_range: INT ".." INT`."""
        return (self._int(low), self._int(high))

    def required_option(self, span: Span) -> n.RequiredOption:
        """`field_option: "required"`."""
        return n.RequiredOption(span)

    def default_option(self, span: Span, literal: n.Literal) -> n.DefaultOption:
        """`field_option: "=" literal`."""
        return n.DefaultOption(literal, span)

    def empty_default_option(self, span: Span) -> n.DefaultOption:
        """`field_option: "=" "[" "]"`."""
        return n.DefaultOption(n.Literal((), span), span)

    def binder_option(self, span: Span, name: Token) -> n.BinderOption:
        """`field_option: "as" NAME`."""
        return n.BinderOption(self._name(name), span)

    def question_option(self, span: Span, text: n.Text) -> n.QuestionOption:
        """`field_option: "question" text`."""
        return n.QuestionOption(text, span)

    def enum_decl(
        self, span: Span, name: Token, description: Token | None, body: _EnumBody
    ) -> n.EnumDecl:
        """`enum_decl: "enum" NAME [STRING] enum_body`."""
        values, from_list, hierarchical = body
        return n.EnumDecl(
            self._name(name),
            _unquote(description) if description is not None else None,
            values,
            from_list,
            hierarchical,
            span,
        )

    def enum_inline(self, span: Span, *values: n.EnumValue) -> _EnumBody:
        """`enum_body: "{" enum_value ("," enum_value)* ","? "}"`."""
        return (values, None, any("." in v.code.text for v in values))

    def enum_from_list(self, span: Span, list_name: Token) -> _EnumBody:
        """`enum_body: "from" NAME`."""
        return ((), self._name(list_name), False)

    def enum_from_hierarchy(self, span: Span, list_name: Token) -> _EnumBody:
        """`enum_body: "from" NAME "hierarchical"`."""
        return ((), self._name(list_name), True)

    def enum_value(self, span: Span, code: n.Name | Token, label: n.Text | None) -> n.EnumValue:
        """`enum_value: code_name [text]` or `enum_value: STRING [text]`."""
        if isinstance(code, Token):
            code = n.Name(_unquote(code), self._tspan(code))
        return n.EnumValue(code, label, span)

    # definitions and rules

    def define(self, span: Span, name: Token, title: n.Text | None, expr: n.Expr) -> n.Define:
        """`define: "define" NAME [title] "=" expr`."""
        return n.Define(self._name(name), title, expr, span)

    def rule(self, span: Span, name: Token, *clauses: n.RuleClause) -> n.Rule:
        """`rule: "rule" NAME rule_clause*`."""
        return self._rule(self._name(name), clauses, span, oneline=False)

    def oneline(
        self, span: Span, when: n.Expr, *rest: n.Assignment | n.CiteClause | n.BecauseClause
    ) -> n.Rule:
        """`oneline: "if" expr "then" assignment+ oneline_clause*`."""
        self.oneliners += 1
        assignments = tuple(a for a in rest if isinstance(a, n.Assignment))
        clauses: list[n.RuleClause] = [
            n.WhenClause(when, when.span),
            n.ThenClause(assignments, span),
        ]
        clauses += [c for c in rest if not isinstance(c, n.Assignment)]
        name = n.Name(
            f"{self.stem}.if{self.oneliners}", Span(self.source, span.start, span.start + 2)
        )
        return self._rule(name, clauses, span, oneline=True)

    def _rule(
        self, name: n.Name, clauses: Sequence[n.RuleClause], span: Span, oneline: bool
    ) -> n.Rule:
        seen: dict[str, n.RuleClause] = {}
        unless: list[n.Expr] = []
        title: n.Text | None = None
        cites: tuple[n.Name, ...] = ()
        valid: n.ValidClause | None = None
        when: n.Expr | None = None
        then: tuple[n.Assignment, ...] = ()
        because: n.Text | None = None
        for clause in clauses:
            if isinstance(clause, n.UnlessClause):
                unless.append(clause.expr)
            elif clause.keyword in seen:
                self.diagnostics.append(
                    error(
                        KSP210,
                        f"rule `{name.text}` has more than one `{clause.keyword}`",
                        clause.span,
                        "join them into one clause"
                        + (" with `and`" if clause.keyword == "when" else ""),
                    )
                )
            else:
                seen[clause.keyword] = clause
                if isinstance(clause, n.TitleClause):
                    title = clause.text
                elif isinstance(clause, n.CiteClause):
                    cites = clause.anchors
                elif isinstance(clause, n.ValidClause):
                    valid = clause
                elif isinstance(clause, n.WhenClause):
                    when = clause.expr
                elif isinstance(clause, n.ThenClause):
                    then = clause.assignments
                else:
                    because = clause.text
        for needed in ("when", "then"):
            if needed not in seen:
                self.diagnostics.append(
                    error(
                        KSP211,
                        f"rule `{name.text}` has no `{needed}` clause",
                        name.span,
                        "a rule needs `when <condition>` and `then <outcomes>`",
                    )
                )
        valid_from = valid.valid_from if valid else None
        valid_until = valid.valid_until if valid else None
        if valid and valid_from and valid_until and valid_until < valid_from:
            self.diagnostics.append(
                error(
                    KSP219,
                    f"rule `{name.text}` stops being valid before it starts",
                    valid.span,
                    "the `until` date must be on or after the `from` date",
                )
            )
        return n.Rule(
            name=name,
            title=title,
            cites=cites,
            valid_from=valid_from,
            valid_until=valid_until,
            when=when,
            unless=tuple(unless),
            then=then,
            because=because,
            oneline=oneline,
            valid_span=valid.span if valid else None,
            span=span,
        )

    def cite_clause(self, span: Span, *anchors: Token) -> n.CiteClause:
        """`"cite" STRING ("," STRING)*`, of a rule or a one-line rule."""
        names = tuple(n.Name(_unquote(a), self._tspan(a)) for a in anchors)
        return n.CiteClause(names, span)

    def valid_clause(
        self, span: Span, validity: tuple[dt.date | None, dt.date | None]
    ) -> n.ValidClause:
        """`rule_clause: "valid" validity`."""
        return n.ValidClause(validity[0], validity[1], span)

    def validity(self, span: Span, *tokens: Token) -> tuple[dt.date | None, dt.date | None]:
        """`validity: "from" DATE ("until" DATE)?` or `validity: "until" DATE`."""
        dates = [self._date(t) for t in tokens]
        text = span.text
        if text.lstrip().startswith("until"):
            return (None, dates[0])
        return (dates[0], dates[1] if len(dates) > 1 else None)

    def when_clause(self, span: Span, expr: n.Expr) -> n.WhenClause:
        """`rule_clause: "when" expr`."""
        return n.WhenClause(expr, span)

    def unless_clause(self, span: Span, expr: n.Expr) -> n.UnlessClause:
        """`rule_clause: "unless" expr`."""
        return n.UnlessClause(expr, span)

    def then_clause(self, span: Span, *assignments: n.Assignment) -> n.ThenClause:
        """`rule_clause: "then" assignment+`."""
        return n.ThenClause(assignments, span)

    def because_clause(self, span: Span, text: n.Text) -> n.BecauseClause:
        """`rule_clause: "because" text` or `oneline_clause: "because" text`."""
        return n.BecauseClause(text, span)

    def raise_clause(self, span: Span, outcome: Token, value: n.Name | Token) -> n.Assignment:
        """`assignment: NAME ">=" outcome_value`."""
        return n.Assignment(self._name(outcome), ">=", (self._code(value),), span)

    def add_clause(self, span: Span, outcome: Token, *values: n.Name | Token) -> n.Assignment:
        """`assignment: NAME "+=" outcome_value ("," outcome_value)*`."""
        codes = tuple(self._code(v) for v in values)
        return n.Assignment(self._name(outcome), "+=", codes, span)

    def _code(self, value: n.Name | Token) -> n.Name:
        return n.Name(_unquote(value), self._tspan(value)) if isinstance(value, Token) else value

    # expressions

    def or_expr(self, span: Span, *operands: n.Expr) -> n.Or:
        """`expr: and_expr ("or" and_expr)+ -> or_expr`."""
        return n.Or(operands, span)

    def and_expr(self, span: Span, *operands: n.Expr) -> n.And:
        """`and_expr: not_expr ("and" not_expr)+`."""
        return n.And(operands, span)

    def negation(self, span: Span, operand: n.Expr) -> n.Not:
        """`not_expr: "not" not_expr -> negation`."""
        return n.Not(operand, span)

    def any_quantifier(self, span: Span, var: Token, coll: n.Path, body: n.Expr) -> n.Quantifier:
        """`not_expr: "any" NAME "in" path ":" expr -> any_quantifier`."""
        return n.Quantifier("any", self._name(var), coll, body, span)

    def all_quantifier(self, span: Span, var: Token, coll: n.Path, body: n.Expr) -> n.Quantifier:
        """`not_expr: "all" NAME "in" path ":" expr -> all_quantifier`."""
        return n.Quantifier("all", self._name(var), coll, body, span)

    def compare(self, span: Span, left: n.Expr, op: n.CompareOp, right: n.Expr) -> n.Compare:
        """`not_expr: <operand> comparison <operand> -> compare`."""
        return n.Compare(op, left, right, span)

    def comparison(self, span: Span, op: Token) -> n.CompareOp:
        """`comparison: "==" | "!=" | "<=" | ">=" | "<" | ">"`."""
        return cast(n.CompareOp, str(op))  # the grammar's `comparison` allows these six

    def in_test(self, span: Span, element: n.Expr, container: n.Expr) -> n.In:
        """`not_expr: <operand> "in" <operand> -> in_test`."""
        return n.In(element, container, False, span)

    def not_in_test(self, span: Span, element: n.Expr, container: n.Expr) -> n.In:
        """`not_expr: <operand> "not" "in" <operand> -> not_in_test`."""
        return n.In(element, container, True, span)

    def matches_test(self, span: Span, subject: n.Expr, list_name: Token) -> n.Matches:
        """`not_expr: <operand> "matches" NAME -> matches_test`."""
        return n.Matches(subject, self._name(list_name), span)

    def known_test(self, span: Span, subject: n.Expr) -> n.IsKnown:
        """`not_expr: <operand> "is" "known" -> known_test`."""
        return n.IsKnown(subject, True, span)

    def unknown_test(self, span: Span, subject: n.Expr) -> n.IsKnown:
        """`not_expr: <operand> "is" "unknown" -> unknown_test`."""
        return n.IsKnown(subject, False, span)

    def path(self, span: Span, *names: Any) -> n.Path:
        """`path: NAME | NAME "." NAME | NAME "." NAME ("." NAME)+`: names between dots."""
        # The most frequent node of all (a large policy has tens of thousands): its
        # names (tokens, always placed) are made here rather than by a call of `_name` each.
        # (Tokens typed as Any: Lark types their positions as optional, and an assert
        # per name would cost more than the rest of this method.)
        name = n.Name
        if len(names) == 1:  # half of all paths: the name's span is the path's
            return n.Path((name(names[0].value, span),), span)
        source, offset, place, new = self.source, self.offset, Span, tuple.__new__
        parts = [
            name(t.value, new(place, (source, offset + t.start_pos, offset + t.end_pos)))
            for t in names
        ]
        return n.Path(tuple(parts), span)

    def code_name(self, span: Span, *names: Token) -> n.Name:
        """`code_name: NAME ("." NAME)*`."""
        return n.Name(".".join(names), span)

    def set_literal(self, span: Span, *items: n.Expr | None) -> n.SetLiteral:
        """`set_literal: "{" [set_item ("," set_item)*] "}"`."""
        return n.SetLiteral(tuple(i for i in items if i is not None), span)

    def string(self, span: Span, token: Token) -> n.Literal:
        """`literal: STRING`."""
        return n.Literal(_unquote(token), span)

    def integer(self, span: Span, token: Token) -> n.Literal:
        """`literal: INT`."""
        return n.Literal(self._int(token), span)

    def decimal(self, span: Span, token: Token) -> n.Literal:
        """`literal: DECIMAL`."""
        return n.Literal(self._decimal(token), span)

    def date(self, span: Span, token: Token) -> n.Literal:
        """`literal: DATE`."""
        return n.Literal(self._date(token), span)

    def true(self, span: Span) -> n.Literal:
        """`literal: "true"`."""
        return n.Literal(True, span)

    def false(self, span: Span) -> n.Literal:
        """`literal: "false"`."""
        return n.Literal(False, span)

    # texts

    def text(self, span: Span, *parts: Token | tuple[str, str]) -> n.Text:
        """`text: STRING` or `text: lang_text+`."""
        if len(parts) == 1 and isinstance(parts[0], Token):
            return n.Text(((None, _fold(_unquote(parts[0]))),), span)
        return n.Text(tuple(p for p in parts if isinstance(p, tuple)), span)

    def lang_text(self, span: Span, lang: Token, value: Token) -> tuple[str, str]:
        """`lang_text: LANGTAG STRING`."""
        return (str(lang), _fold(_unquote(value)))
