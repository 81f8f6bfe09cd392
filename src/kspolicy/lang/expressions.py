"""The expression pass: conditions and effects typed against what was declared.

Reads the `Declared` of the declarations pass (`declarations`) and resolves every
expression against it: the key of each `entry of` outcome, the definitions, and the
rules' conditions and effects. It never stops at the first error: each problem becomes
a diagnostic with a span and, where a name is close, a "did you mean"
(`diagnostics.did_you_mean`). A bare name such as `listed` is an enum code when the
other side of its comparison has that enum's type; otherwise it must be a field, a
variable, a definition or a list.

It also keeps conditions within the engine's depth (KSP130, counting a definition as
deep as what it stands for) and quantifiers within theirs (KSP134).

A name the declarations pass poisoned (`Declared.poisoned`: its declaration failed,
reported there) is not reported again where it is used: one mistake, one diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from ..diagnostics import (
    KSP130,
    KSP134,
    KSP201,
    KSP202,
    KSP203,
    KSP204,
    KSP205,
    KSP208,
    KSP209,
    KSP212,
    KSP216,
    KSP218,
    Code,
    Diagnostic,
    did_you_mean,
    error,
)
from ..limits import Limits
from ..span import Span
from . import checked as c
from . import nodes as n
from .declarations import Declared, EntryOutcome, find_list, some
from .lists import NamedList
from .schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    TextType,
    Type,
    comparable,
    ordered,
)

BOOL = BoolType()


@attrs.define
class _Scope:
    """Names visible in an expression: quantifier variables, and the binders used.

    `definitions` is False where a definition is no candidate (an entry's key, a fact).
    """

    locals: dict[str, Type] = attrs.Factory(dict)
    binders_used: list[str] = attrs.Factory(list)
    defines_used: list[str] = attrs.Factory(list)
    definitions: bool = True

    def with_local(self, name: str, type_: Type) -> _Scope:
        return _Scope(
            {**self.locals, name: type_}, self.binders_used, self.defines_used, self.definitions
        )


@attrs.frozen
class Typed:
    """What the expression pass gives: the outcomes (entries finished, in the order
    declared), the definitions that type, and the rules whose every part types; and
    how deep the conditions checked nest, a definition as deep as what it stands for
    (the depth their evaluation recurses to)."""

    outcomes: dict[str, c.Outcome]
    definitions: dict[str, c.Definition]
    rules: tuple[c.Rule, ...]
    deepest: int


class Expressions:
    """The expression pass over one policy: construct, call `check`.

    Diagnostics go to the list given, which the whole check shares.
    """

    def __init__(
        self,
        declared: Declared,
        lists: Mapping[str, NamedList],
        limits: Limits,
        diagnostics: list[Diagnostic],
    ) -> None:
        self.lists = lists
        self.limits = limits
        self.diagnostics = diagnostics
        self.binders = declared.binders
        self.root = declared.root
        self.define_nodes = declared.defines
        self.declared = declared
        self._poisoned = declared.poisoned
        # How deep the expression being checked nests here, and the deepest it reached
        # (definitions it uses count as deep as what they stand for, see `_define_fits`).
        self._depth = 0
        self._deepest = 0
        self._depth_limit = limits.depth
        self._define_depth: dict[str, int] = {}
        # How many `any`/`all` the expression being checked is inside.
        self._quantifiers = 0
        self.outcomes: dict[str, c.Outcome] = {}
        self.definitions: dict[str, c.Definition] = {}
        self._checking_defines: list[str] = []
        self._failed_defines: set[str] = set()

    def error(self, code: Code, message: str, span: Span, help: str | None = None) -> None:
        """Record an error diagnostic."""
        self.diagnostics.append(error(code, message, span, help))

    def check(self) -> Typed:
        """The outcomes, definitions and rules, typed; what is wrong goes to `diagnostics`."""
        for name, outcome in self.declared.outcomes.items():
            finished = (
                self._entry_outcome(outcome) if isinstance(outcome, EntryOutcome) else outcome
            )
            if finished is not None:
                self.outcomes[name] = finished
        for name in self.define_nodes:
            self._definition(name)
        rules = tuple(self._rules())
        return Typed(self.outcomes, self.definitions, rules, self._deepest)

    # ---- outcomes, definitions and rules -------------------------------------------

    def _entry_outcome(self, entry: EntryOutcome) -> c.Outcome | None:
        outcome, records = entry.decl, entry.records
        assert outcome.key is not None
        # Definitions are conditions, not facts: an entry's key never names one.
        scope = _Scope(definitions=False)
        key = self._expr(outcome.key, scope)
        if key is None:
            return None
        if not isinstance(key, c.Fact) or scope.binders_used or key.base is not None:
            self.error(
                KSP208,
                f"`{outcome.key.span.text}` is not a fact at the top of the case",
                outcome.key.span,
                "an entry is looked up by one fact of the case, such as `institution`",
            )
            return None
        if isinstance(key.type, EnumType):
            self._check_list_entries(records, key.type, outcome.key.span)
        elif not isinstance(key.type, TextType):
            self.error(
                KSP208,
                f"`{outcome.key.span.text}` is {key.type.what}, not a code or text",
                outcome.key.span,
            )
            return None
        enum = EnumType(outcome.name.text, records.codes(), {})
        return c.Outcome(outcome.name.text, "entry", enum, outcome.title, records, key)

    def _definition(self, name: str) -> c.Definition | None:
        if name in self.definitions:
            return self.definitions[name]
        if name in self._failed_defines:
            return None
        node = self.define_nodes[name]
        if name in self._checking_defines:
            cycle = " -> ".join(
                [*self._checking_defines[self._checking_defines.index(name) :], name]
            )
            self._failed_defines.update(self._checking_defines)
            self.error(
                KSP212,
                f"definition `{name}` depends on itself ({cycle})",
                node.name.span,
                "break the cycle: a definition may use only other definitions",
            )
            return None
        self._checking_defines.append(name)
        scope = _Scope()
        # Checked where it is first used, at the depth of that use (so that the checker's
        # own recursion stays within the limit); its own depth is what it adds to it.
        # Its quantifiers count from none: its value is computed once per binding, not
        # once per element of a quantifier it is used in.
        outer_deepest, outer_quantifiers = self._deepest, self._quantifiers
        start = self._deepest = self._depth
        self._quantifiers = 0
        expr = self._condition(node.expr, scope)
        self._define_depth[name] = self._deepest - start
        self._deepest = max(outer_deepest, self._deepest)
        self._quantifiers = outer_quantifiers
        self._checking_defines.pop()
        if expr is None:
            self._failed_defines.add(name)
            return None
        definition = c.Definition(name, node.title, expr, _unique_ordered(scope.binders_used), node)
        self.definitions[name] = definition
        return definition

    def _rules(self) -> list[c.Rule]:
        rules: list[c.Rule] = []
        for item in self.declared.rules:
            scope = _Scope()
            when = self._condition(item.when, scope) if item.when is not None else None
            unless = [self._condition(u, scope) for u in item.unless]
            effects = [self._effect(a) for a in item.then]
            if when is None or None in unless or None in effects:
                continue
            rules.append(
                c.Rule(
                    name=item.name.text,
                    title=item.title,
                    cites=tuple(cite.text for cite in item.cites),
                    valid_from=item.valid_from,
                    valid_until=item.valid_until,
                    when=when,
                    unless=tuple(u for u in unless if u is not None),
                    effects=tuple(e for e in effects if e is not None),
                    because=item.because,
                    binders=_unique_ordered(scope.binders_used),
                    node=item,
                )
            )
        return rules

    def _effect(self, assignment: n.Assignment) -> c.Effect | None:
        outcome = self.outcomes.get(assignment.outcome.text)
        if outcome is None and assignment.outcome.text in self._poisoned:
            return None
        if outcome is None:
            self.error(
                KSP204,
                f"the decision has no outcome `{assignment.outcome.text}`",
                assignment.outcome.span,
                did_you_mean(assignment.outcome.text, self.outcomes)
                or "declare it in `decision { ... }`",
            )
            return None
        if outcome.kind == "entry":
            self.error(
                KSP218,
                f"`{outcome.name}` is looked up from a list; rules cannot set it",
                assignment.span,
                "remove this assignment",
            )
            return None
        wanted = ">=" if outcome.kind == "scale" else "+="
        if assignment.op != wanted:
            self.error(
                KSP218,
                f"`{outcome.name}` is a {outcome.kind}: use `{wanted}`",
                assignment.span,
                "a scale is raised with `>=`; codes are added to a set with `+=`",
            )
            return None
        ok = True
        for code in assignment.values:
            if code.text not in outcome.enum:
                ok = False
                self.error(
                    KSP205,
                    f"`{code.text}` is not a code of `{outcome.name}`",
                    code.span,
                    did_you_mean(code.text, outcome.enum.codes)
                    or f"the codes are: {', '.join(outcome.enum.codes)}",
                )
        return c.Effect(outcome, tuple(v.text for v in assignment.values)) if ok else None

    # ---- expressions ------------------------------------------------------------------

    def _condition(self, node: n.Expr, scope: _Scope) -> c.Expr | None:
        expr = self._expr(node, scope)
        if expr is not None and not isinstance(_type_of(expr), BoolType):
            self.error(
                KSP208,
                f"`{node.span.text}` is {_type_of(expr).what}, not a condition",
                node.span,
                "compare it with something, e.g. `== ...` or `is known`",
            )
            return None
        return expr

    def _expr(self, node: n.Expr, scope: _Scope, expected: Type | None = None) -> c.Expr | None:
        # Called for every node of every condition (45,000 for 3,000 rules): the depth
        # limit read once per checker, the node's check found by its class in one lookup.
        depth = self._depth + 1
        if depth > self._depth_limit and not self._deep_enough(depth, node.span):
            return None
        self._depth = depth
        if depth > self._deepest:
            self._deepest = depth
        try:
            return _RESOLVE[node.__class__](self, node, scope, expected)
        finally:
            self._depth = depth - 1

    def _deep_enough(self, depth: int, span: Span, through: str | None = None) -> bool:
        """Whether conditions may nest `depth` deep; KSP130 if not.

        A definition counts as deep as the condition it stands for (`through` names it),
        so that a chain of definitions is as deep as the expression it expands to: the
        compiler and the runtime recurse through it.
        """
        limit = self.limits.depth
        if depth <= limit:
            return True
        expands = f": `{through}` stands for conditions nested further" if through else ""
        if limit < self.limits.max_depth:
            help_ = f"{limit} is the deepest the engine evaluates (docs/limits.md): nest less"
        else:
            help_ = "use fewer definitions inside definitions, or raise the limit (docs/limits.md)"
        self.error(KSP130, f"conditions nest more than {limit} deep here{expands}", span, help_)
        return False

    def _not(self, node: n.Not, scope: _Scope, expected: Type | None) -> c.Expr | None:
        operand = self._condition(node.operand, scope)
        return c.Not(operand, node) if operand is not None else None

    def _and_or(self, node: n.And | n.Or, scope: _Scope, expected: Type | None) -> c.Expr | None:
        operands = [self._condition(o, scope) for o in node.operands]
        if any(o is None for o in operands):
            return None
        kind = c.And if isinstance(node, n.And) else c.Or
        return kind(tuple(o for o in operands if o is not None), node)

    def _known(self, node: n.IsKnown, scope: _Scope, expected: Type | None) -> c.Expr | None:
        subject = self._expr(node.subject, scope)
        return c.Known(subject, node.known, node) if subject is not None else None

    def _path(self, node: n.Path, scope: _Scope, expected: Type | None) -> c.Expr | None:
        first = node.parts[0].text
        if isinstance(expected, EnumType) and node.dotted in expected:
            return c.Const(node.dotted, expected, node)
        if first in scope.locals:
            return self._walk(node, first, scope.locals[first], node.parts[1:])
        if first in self.binders:
            scope.binders_used.append(first)
            return self._walk(node, first, self.binders[first].element, node.parts[1:])
        if first in self.root.fields:
            return self._walk(node, None, self.root, node.parts)
        defines = self.define_nodes if scope.definitions else {}
        if len(node.parts) == 1 and first in defines:
            checked_before = first in self.definitions
            definition = self._definition(first)
            if definition is None:
                return None
            if checked_before and not self._define_fits(first, node.span):
                return None
            scope.binders_used.extend(definition.binders)
            scope.defines_used.append(first)
            return c.DefineRef(first, node)
        if len(node.parts) == 1 and first in self.lists:
            named = self.lists[first]
            if named.kind != "codes":
                self.error(
                    KSP208,
                    f"`{first}` is a list of entities",
                    node.span,
                    f"compare names with it using `matches {first}`",
                )
                return None
            return c.ListSet(named, node)
        if first in self._poisoned or f"{self.root.name}.{first}" in self._poisoned:
            return None
        if isinstance(expected, EnumType):
            self.error(
                KSP203,
                f"`{node.dotted}` is not {expected.what}",
                node.span,
                did_you_mean(node.dotted, expected.codes)
                or f"{expected.name} has: {some(expected.codes)}",
            )
            return None
        names = [*scope.locals, *self.binders, *self.root.fields, *defines, *self.lists]
        self.error(
            KSP202,
            f"unknown name `{first}`",
            node.parts[0].span,
            did_you_mean(first, names) or "declare it as a field, a definition or a list",
        )
        return None

    def _define_fits(self, name: str, span: Span) -> bool:
        """Whether a definition checked before fits here: its depth added to the depth
        of the place it is used (KSP130)."""
        depth = self._depth + self._define_depth[name]
        if not self._deep_enough(depth, span, name):
            return False
        self._deepest = max(self._deepest, depth)
        return True

    def _walk(
        self, node: n.Path, base: str | None, start: Type, parts: Sequence[n.Name]
    ) -> c.Expr | None:
        current = start
        fields: list[str] = []
        for part in parts:
            if isinstance(current, ListType):
                where = ".".join([base] if base else []) or ".".join(fields)
                self.error(
                    KSP208,
                    f"`{where or node.dotted}` is a list, so it has no field `{part.text}`",
                    part.span,
                    f"look inside with `any x in "
                    f"{'.'.join(p.text for p in node.parts[: len(fields) + (base is not None)])}"
                    f": x.{part.text} ...`",
                )
                return None
            if not isinstance(current, RecordType):
                self.error(
                    KSP208,
                    f"`{'.'.join([base or '', *fields]).strip('.')}` is {current.what}"
                    f", so it has no field `{part.text}`",
                    part.span,
                    None,
                )
                return None
            field = current.fields.get(part.text)
            if field is None and f"{current.name}.{part.text}" in self._poisoned:
                return None
            if field is None:
                owner = current.name if current is not self.root else "the case"
                self.error(
                    KSP201,
                    f"{owner if owner == 'the case' else '`' + owner + '`'} has "
                    f"no field `{part.text}`",
                    part.span,
                    did_you_mean(part.text, current.fields)
                    or f"its fields are: {some(current.fields)}",
                )
                return None
            fields.append(part.text)
            current = field.type
        return c.Fact(base, tuple(fields), current, node)

    def _literal(self, node: n.Literal, scope: _Scope, expected: Type | None) -> c.Expr | None:
        value = node.value
        if isinstance(expected, EnumType) and isinstance(value, str):
            if value not in expected:
                self.error(
                    KSP203,
                    f'"{value}" is not {expected.what}',
                    node.span,
                    did_you_mean(value, expected.codes, quote='"')
                    or f"{expected.name} has: {some(expected.codes)}",
                )
                return None
            return c.Const(value, expected, node)
        type_: Type
        if isinstance(value, bool):
            type_ = BoolType()
        elif isinstance(value, int):
            type_ = IntType()
        elif isinstance(value, float):
            type_ = NumberType()
        elif isinstance(value, str):
            type_ = TextType()
        else:
            type_ = DateType()
        return c.Const(value, type_, node)

    def _set(self, node: n.SetLiteral, scope: _Scope, expected: Type | None) -> c.Expr | None:
        values: set[object] = set()
        element: Type | None = expected
        ok = True
        for item in node.items:
            resolved = self._expr(item, scope, expected)
            if resolved is None:
                ok = False
                continue
            if not isinstance(resolved, c.Const):
                self.error(
                    KSP208,
                    "a set `{...}` holds fixed values only",
                    item.span,
                    "write codes, texts or numbers; test facts with `in` or `==`",
                )
                ok = False
                continue
            element = element or resolved.type
            if not comparable(element, resolved.type):
                self.error(
                    KSP208,
                    f"`{item.span.text}` is {resolved.type.what}, and this set holds "
                    f"{element.plural}",
                    item.span,
                    None,
                )
                ok = False
            values.add(resolved.value)
        if not ok:
            return None
        return c.ConstSet(frozenset(values), element or TextType(), node)

    def _operands(
        self, left_node: n.Expr, right_node: n.Expr, scope: _Scope
    ) -> tuple[c.Expr | None, c.Expr | None]:
        """Resolve two operands, letting a typed side decide what a bare code on the other means."""
        before = len(self.diagnostics)
        left = self._expr(left_node, scope)
        if left is None and isinstance(left_node, n.Path | n.Literal):
            if before < len(self.diagnostics) and self._unknown_name(right_node, scope):
                # `p.kindd == military`: what a bare name means is the other side's type
                # to say (a code of its enum); with that side wrong, the name is not
                # wrong too: the side's own error is said, and nothing of the name.
                return left, None
            del self.diagnostics[before:]
            right = self._expr(right_node, scope)
            if right is None and self._unknown_name(left_node, scope):
                return None, None  # `military == p.kindd`: as above, the other way round
            left = self._expr(left_node, scope, _type_of(right) if right else None)
            return left, right
        right = self._expr(right_node, scope, _type_of(left) if left else None)
        return left, right

    def _compare(self, node: n.Compare, scope: _Scope, expected: Type | None) -> c.Expr | None:
        left, right = self._operands(node.left, node.right, scope)
        if left is None or right is None:
            return None
        lt, rt = _type_of(left), _type_of(right)
        if node.op in ("==", "!="):
            if isinstance(lt, ListType) or isinstance(rt, ListType):
                self.error(
                    KSP208,
                    "a list cannot be compared with `==`",
                    node.span,
                    "test an element with `in`, or look inside with `any x in ...: ...`",
                )
                return None
            ok = comparable(lt, rt)
        else:
            ok = ordered(lt, rt)
        if not ok:
            help_ = None
            if node.op not in ("==", "!=") and isinstance(lt, EnumType):
                help_ = f"codes of {lt.name} have no order; compare with `==` or `in`"
            self.error(
                KSP208,
                f"cannot compare {lt.what} with {rt.what} using `{node.op}`",
                node.span,
                help_,
            )
            return None
        return c.Compare(node.op, left, right, node)

    def _membership(self, node: n.In, scope: _Scope, expected: Type | None) -> c.Expr | None:
        if isinstance(node.element, n.Literal):
            # `"RU" in partner.owners`: the container says what the literal is.
            container_first = self._expr(node.container, scope)
            if container_first is None:
                return None
            held = _type_of(container_first)
            expected = held.element if isinstance(held, ListType) else None
            element = self._expr(node.element, scope, expected)
        else:
            element = self._expr(node.element, scope)
        if element is None:
            return None
        et = _type_of(element)
        if isinstance(et, ListType):
            self.error(
                KSP208,
                f"`{node.element.span.text}` is a list, not one value",
                node.element.span,
                f"test each element: `any x in {node.element.span.text}: x "
                f"{'not in' if node.negated else 'in'} {node.container.span.text}`",
            )
            return None
        if self._unknown_name(node.container, scope):
            # `x in NAME`: a name that is nothing yet is a list misspelt, never a code
            # (one code is not a container): KSP206 names the lists, not every code.
            assert isinstance(node.container, n.Path)
            self._list(node.container.parts[0])
            return None
        container = self._expr(node.container, scope, et)
        if container is None:
            return None
        if isinstance(container, c.ListSet):
            self._check_list_entries(container.list, et, node.container.span)
        elif isinstance(container, c.ConstSet | c.Fact):
            ct = container.element if isinstance(container, c.ConstSet) else container.type
            inner = ct.element if isinstance(ct, ListType) else ct
            if isinstance(container, c.Fact) and not isinstance(ct, ListType):
                self.error(
                    KSP208,
                    f"`{node.container.span.text}` is {ct.what}, not a list or set",
                    node.container.span,
                    "use `==` to compare one value",
                )
                return None
            if not comparable(et, inner):
                self.error(
                    KSP208,
                    f"`{node.element.span.text}` is {et.what}, but "
                    f"`{node.container.span.text}` holds {inner.plural}",
                    node.span,
                    None,
                )
                return None
        else:
            self.error(
                KSP208,
                f"`{node.container.span.text}` is not a list or set",
                node.container.span,
                "write a set `{a, b}`, a list name, or a list field",
            )
            return None
        hierarchical = isinstance(et, EnumType) and et.hierarchical
        return c.Member(element, container, node.negated, hierarchical, node)

    def _check_list_entries(self, named: NamedList, element: Type, span: Span) -> None:
        if isinstance(element, EnumType):
            for entry in named.entries:
                if entry.key not in element:
                    self.error(
                        KSP216,
                        f"`{entry.key}` in list {named.name} is not {element.what}",
                        entry.span or named.span or span,
                        did_you_mean(entry.key, element.codes)
                        or f"it is compared with {element.name} at {span}",
                    )
        elif not isinstance(element, TextType):
            self.error(KSP208, f"list {named.name} holds codes, not {element.plural}", span, None)

    def _matches(self, node: n.Matches, scope: _Scope, expected: Type | None) -> c.Expr | None:
        subject = self._expr(node.subject, scope)
        named = self._list(node.list_name)
        if subject is None or named is None:
            return None
        st = _type_of(subject)
        if not isinstance(st, TextType):
            self.error(
                KSP208,
                f"`matches` compares names, and `{node.subject.span.text}` is {st.what}",
                node.subject.span,
                "use `in` for codes",
            )
            return None
        if named.kind != "entities":
            self.error(
                KSP208,
                f"`{named.name}` is a list of codes, not of entities",
                node.list_name.span,
                f"use `in {named.name}` for codes",
            )
            return None
        return c.Match(subject, named, node)

    def _quantifier(
        self, node: n.Quantifier, scope: _Scope, expected: Type | None
    ) -> c.Expr | None:
        collection = self._expr(node.collection, scope)
        if collection is None:
            return None
        if not isinstance(collection, c.Fact) or not isinstance(collection.type, ListType):
            self.error(
                KSP208,
                f"`{node.collection.span.text}` is not a list of the case",
                node.collection.span,
                "`any`/`all` go over a `list of ...` field",
            )
            return None
        var = node.var.text
        if var in scope.locals or var in self.binders or var in self.root.fields:
            self.error(
                KSP209,
                f"`{var}` already has a meaning here",
                node.var.span,
                "choose another variable name",
            )
            return None
        limit = self.limits.max_quantifier_depth
        if self._quantifiers >= limit:
            self.error(
                KSP134,
                f"`any`/`all` nest more than {limit} deep here",
                node.span,
                "each level multiplies the work by the size of its collection: nest fewer, "
                "or raise the limit (docs/limits.md)",
            )
            return None
        self._quantifiers += 1
        try:
            body = self._condition(node.body, scope.with_local(var, collection.type.element))
        finally:
            self._quantifiers -= 1
        return c.Quantifier(node.kind, var, collection, body, node) if body is not None else None

    def _unknown_name(self, node: n.Expr, scope: _Scope) -> bool:
        """Whether `node` is one bare name that names nothing in `scope` or the policy
        (a definition names nothing where definitions are no candidate: an entry's key)."""
        if not isinstance(node, n.Path) or len(node.parts) != 1:
            return False
        name = node.parts[0].text
        defines = self.define_nodes if scope.definitions else {}
        return not any(
            name in names
            for names in (scope.locals, self.binders, self.root.fields, defines, self.lists)
        )

    def _list(self, name: n.Name) -> NamedList | None:
        return find_list(name, self.lists, self._poisoned, self.diagnostics)


_Check = Callable[[Expressions, Any, _Scope, Type | None], c.Expr | None]
_RESOLVE: dict[type, _Check] = {
    n.Path: Expressions._path,
    n.Literal: Expressions._literal,
    n.SetLiteral: Expressions._set,
    n.Not: Expressions._not,
    n.And: Expressions._and_or,
    n.Or: Expressions._and_or,
    n.Compare: Expressions._compare,
    n.In: Expressions._membership,
    n.Matches: Expressions._matches,
    n.IsKnown: Expressions._known,
    n.Quantifier: Expressions._quantifier,
}
"""How each node of a condition is checked, by its class: every class of `n.Expr`."""


def _type_of(expr: c.Expr) -> Type:
    if isinstance(expr, c.Fact | c.Const):
        return expr.type
    if isinstance(expr, c.ConstSet):
        return ListType(expr.element)
    if isinstance(expr, c.ListSet):
        return ListType(TextType())
    return BOOL


def _unique_ordered(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))
