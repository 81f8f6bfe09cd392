"""From the checked policy to the evaluation tree: one closure per expression.

Each `visit_<Node>` method returns a function `Env -> Ev` (see runtime). Work that does
not depend on the case is done here, once: set literals become frozensets, entity
lists become dictionaries of folded names, per date of evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..lang import checked as c
from ..lang.lists import NamedList, containing_code
from ..limits import DEFAULT, Limits
from ..paths import child, element
from . import screen
from .decision import Match, TraceNode
from .facts import UNKNOWN_COLLECTION, Facts
from .fastpath import FastPath
from .runner import Runner, RunnerKind
from .runtime import (
    Bound,
    Compiled,
    CompiledRule,
    Env,
    Ev,
    Fact,
    Program,
    Traced,
    jsonable,
    show,
)

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def compile_policy(
    policy: c.Policy, limits: Limits = DEFAULT, runner: RunnerKind = "fast"
) -> Program:
    """The evaluation tree of a checked policy, to evaluate cases within `limits`.

    `runner` chooses how the program finds which rules fire (see `runner`): the one
    place where that is chosen. The decisions are the same either way.
    """
    compiler = Compiler(policy)
    rules = tuple(
        CompiledRule(rule, compiler.visit(rule.when), tuple(compiler.visit(u) for u in rule.unless))
        for rule in policy.rules
    )
    entries = tuple(
        (outcome, compiler.visit(outcome.key))
        for outcome in policy.outcomes.values()
        if outcome.key is not None
    )
    traced = Traced(policy, rules)
    chosen: Runner = FastPath(policy, traced) if runner == "fast" else traced
    return Program(policy, rules, entries, chosen, limits)


_SCALARS = frozenset({str, int, bool, float})
"""Types `jsonable` gives back as they are."""


def _label(expr: c.Expr) -> str:
    return " ".join(expr.node.span.text.split())


def _step(
    env: Env, expr: c.Expr, value: Any, children: list[Ev] | tuple[Ev, ...] = ()
) -> TraceNode | None:
    if not env.tracing:
        return None
    return TraceNode(_label(expr), show(value), [ch.step for ch in children if ch.step is not None])


def _facts(parts: Iterable[tuple[Fact, ...]]) -> tuple[Fact, ...]:
    """The facts of several parts, each path once.

    A fact read twice is named once: `d2 = d1 and d1` must not hold d1's facts twice,
    or a chain of such definitions would hold 2^n copies. (A path has one value in a
    case, so which copy is kept does not matter; the decision names each path once
    anyway.)
    """
    merged: dict[str, Any] = {}
    for facts in parts:
        for path, value in facts:
            merged.setdefault(path, value)
    return tuple(merged.items())


def _once(parts: Iterable[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Unknown facts or list matches of several parts, each once, in order."""
    return tuple(dict.fromkeys(item for part in parts for item in part))


def codes_on(named: NamedList, env: Env) -> frozenset[str]:
    """A codes list's entries in force on the evaluation date (cached per evaluation)."""
    key = (named.name, env.as_of)
    cached = env.list_cache.get(key)
    if cached is None:
        cached = frozenset(e.key for e in named.entries_on(env.as_of))
        env.list_cache[key] = cached
    return cached


class Compiler:
    """Builds closures; definitions are compiled once and shared by every rule."""

    def __init__(self, policy: c.Policy) -> None:
        self.policy = policy
        self.definitions: dict[str, Compiled] = {}

    def visit(self, expr: c.Expr) -> Compiled:
        """The closure for an expression, built by the `visit_` method of its kind."""
        method = getattr(self, f"visit_{type(expr).__name__}")
        return method(expr)  # type: ignore[no-any-return]

    def visit_Fact(self, expr: c.Fact) -> Compiled:
        """A path into the case: its value, or unknown (naming the path) where it is missing."""
        base, fields = expr.base, expr.fields
        field_of = Facts.field
        field_path = child  # bound once: a fact is read for every binding and element
        if base is None:
            return self._read_from_root(expr, fields)

        def read(env: Env) -> Ev:
            bound = env.vars[base]
            value, path = bound.value, bound.path
            if value is UNKNOWN_COLLECTION:
                return Ev(None, (), (path,), (), _step(env, expr, None))
            for field in fields:
                path = field_path(path, field)
                value = field_of(value, field)
            if value is None:
                return Ev(None, (), (path,), (), _step(env, expr, None))
            return Ev(value, ((path, jsonable(value)),), (), (), _step(env, expr, value))

        return read

    @staticmethod
    def _read_from_root(expr: c.Fact, fields: tuple[str, ...]) -> Compiled:
        """`visit_Fact`'s read of a fact from the case itself (an outcome's key, read for
        every case decided): its path is the same for every case, so it is made once, and
        a record that is a dict, a value that is a plain scalar, and an evaluation that
        is not traced are each known by a test in place of a call."""
        field_of = Facts.field
        path = ""
        for field in fields:
            path = child(path, field)

        def read(env: Env) -> Ev:
            value: Any = env.facts.root
            if value is UNKNOWN_COLLECTION:
                return Ev(None, (), ("",), (), _step(env, expr, None))
            for field in fields:
                value = value.get(field) if type(value) is dict else field_of(value, field)
            step = _step(env, expr, value) if env.tracing else None
            if value is None:
                return Ev(None, (), (path,), (), step)
            given = value if type(value) in _SCALARS else jsonable(value)
            return Ev(value, ((path, given),), (), (), step)

        return read

    def visit_Const(self, expr: c.Const) -> Compiled:
        """A literal: always its value."""
        value = expr.value
        return lambda env: Ev(value)

    def visit_ConstSet(self, expr: c.ConstSet) -> Compiled:
        """A set of literals or codes: always those values."""
        values = expr.values
        return lambda env: Ev(values)

    def visit_ListSet(self, expr: c.ListSet) -> Compiled:
        """A codes list used as a set: its entries in force on the evaluation date."""
        named = expr.list
        return lambda env: Ev(codes_on(named, env))

    def visit_DefineRef(self, expr: c.DefineRef) -> Compiled:
        """A use of a definition: evaluated once per binding of the variables it uses,
        and explained once per rule trace.
        """
        definition = self.policy.definitions[expr.name]
        if expr.name not in self.definitions:
            self.definitions[expr.name] = self.visit(definition.expr)
        body = self.definitions[expr.name]
        binders = definition.binders
        name = expr.name

        def ref(env: Env) -> Ev:
            # A definition is evaluated once per binding of the variables it uses, however
            # often it is used: a definition that uses another twice must not double the
            # work at every level.
            key = (name, *(env.vars[b].path for b in binders))
            cached = env.define_cache.get(key)
            if not env.tracing:
                if cached is None:
                    cached = body(env)
                    env.define_cache[key] = cached
                return cached
            if cached is not None and key in env.explained:
                # Explained above in this rule's trace: named with its value, not again,
                # so that a trace grows with the policy, not with its expansion.
                step = TraceNode(name, show(cached.value))
                return Ev(cached.value, cached.facts, cached.unknowns, cached.hits, step)
            # First use in this rule's trace: evaluated (again) so that its explanation
            # is made of what this rule's trace shows.
            env.explained.add(key)
            cached = body(env)
            env.define_cache[key] = cached
            step = TraceNode(name, show(cached.value), [cached.step] if cached.step else [])
            return Ev(cached.value, cached.facts, cached.unknowns, cached.hits, step)

        return ref

    def visit_Not(self, expr: c.Not) -> Compiled:
        """`not x`: true if x is false, false if it is true, unknown if it is unknown."""
        operand = self.visit(expr.operand)

        def negate(env: Env) -> Ev:
            r = operand(env)
            value = None if r.value is None else not r.value
            return Ev(value, r.facts, r.unknowns, r.hits, _step(env, expr, value, (r,)))

        return negate

    def visit_And(self, expr: c.And) -> Compiled:
        """An `and` of conditions: false if any is false, else unknown if any is unknown."""
        return self._junction(expr, deciding=False)

    def visit_Or(self, expr: c.Or) -> Compiled:
        """An `or` of conditions: true if any is true, else unknown if any is unknown."""
        return self._junction(expr, deciding=True)

    def _junction(self, expr: c.And | c.Or, deciding: bool) -> Compiled:
        """`and` (decided by a false part) or `or` (by a true part), in Kleene's logic.

        The first deciding part settles it and is its explanation; otherwise any unknown
        part leaves it unknown, and all parts explain it.
        """
        operands = tuple(self.visit(o) for o in expr.operands)

        def junction(env: Env) -> Ev:
            # Parts are gathered in lists and merged once: adding tuple to tuple would
            # copy what came before at every part, quadratic in a long chain.
            seen: list[Ev] = []
            for operand in operands:
                r = operand(env)
                seen.append(r)
                if r.value is deciding:
                    return Ev(deciding, r.facts, (), r.hits, _step(env, expr, deciding, seen))
            unknowns = _once(r.unknowns for r in seen if r.value is None)
            value = None if unknowns else not deciding
            facts = _facts(r.facts for r in seen)
            hits = _once(r.hits for r in seen)
            return Ev(value, facts, unknowns, hits, _step(env, expr, value, seen))

        return junction

    def visit_Compare(self, expr: c.Compare) -> Compiled:
        """`left op right`: unknown when either side is."""
        left, right = self.visit(expr.left), self.visit(expr.right)
        test = _COMPARE[expr.op]

        def compare(env: Env) -> Ev:
            a, b = left(env), right(env)
            if a.value is None or b.value is None:
                value = None
            else:
                value = bool(test(a.value, b.value))
            return Ev(
                value,
                _facts((a.facts, b.facts)),
                _once((a.unknowns, b.unknowns)),
                (),
                _step(env, expr, value, (a, b)),
            )

        return compare

    def visit_Member(self, expr: c.Member) -> Compiled:
        """`element in container` (or `not in`): nothing is in an empty container, known
        or not; an element found in a codes list names the entry it matched.
        """
        element, container = self.visit(expr.element), self.visit(expr.container)
        negated, hierarchical = expr.negated, expr.hierarchical
        list_name = expr.container.list.name if isinstance(expr.container, c.ListSet) else None

        def member(env: Env) -> Ev:
            e, s = element(env), container(env)
            facts, unknowns = _facts((e.facts, s.facts)), _once((e.unknowns, s.unknowns))
            if s.value is not None and len(s.value) == 0:
                value: bool | None = negated  # nothing is in an empty set, known or not
                return Ev(value, s.facts, (), (), _step(env, expr, value, (e, s)))
            if e.value is None or s.value is None:
                return Ev(None, facts, unknowns, (), _step(env, expr, None, (e, s)))
            found = _find(e.value, s.value, hierarchical)
            value = (found is not None) != negated
            hits: tuple[Match, ...] = ()
            if list_name is not None and found is not None and e.facts:
                hits = (Match(list_name, found, e.facts[0][0], str(e.value)),)
            return Ev(value, facts, (), hits, _step(env, expr, value, (e, s)))

        return member

    def visit_Match(self, expr: c.Match) -> Compiled:
        """`name matches LIST`: the name screened against the list's entries in force
        (`screen`): true for a match, false for none, unknown for a possible match or a
        list that cannot answer (out of date, not covering the name's country). A
        candidate names the entry, with its evidence.
        """
        subject = self.visit(expr.subject)
        named = expr.list
        where = screen.country_field(self.policy.schema, expr.subject)
        country = self.visit(where) if where is not None else None
        policy = self.policy

        def match(env: Env) -> Ev:
            s = subject(env)
            if s.value is None:
                return Ev(None, s.facts, s.unknowns, (), _step(env, expr, None, (s,)))
            place = country(env) if country is not None else None
            screener = screen.screener(policy, named, env.as_of)
            found = screener.screen(str(s.value), None if place is None else place.value)
            facts = s.facts
            if found.hit is not None and place is not None and place.value is not None:
                facts = _facts((s.facts, place.facts))  # the country counted: a supporting fact
            hits: tuple[Match, ...] = ()
            path = s.facts[0][0] if s.facts else None
            if found.hit is not None and path is not None:
                hits = (screen.screen_record(named, path, str(s.value), found.hit),)
            elif found.uncovered is not None and path is not None:
                hits = (screen.uncovered_record(named, path, str(s.value), found.uncovered),)
            unknowns: tuple[str, ...] = ()
            if found.value is None:
                if found.needs_country and place is not None and place.unknowns:
                    unknowns = place.unknowns
                elif path is not None:
                    unknowns = (screen.screening_fact(path, named.name),)
            return Ev(found.value, facts, unknowns, hits, _step(env, expr, found.value, (s,)))

        return match

    def visit_Known(self, expr: c.Known) -> Compiled:
        """`x is known` or `x is unknown`: never unknown itself."""
        subject = self.visit(expr.subject)
        want = expr.known

        def known(env: Env) -> Ev:
            s = subject(env)
            is_known = s.value is not None
            facts = s.facts if is_known else tuple((path, None) for path in s.unknowns)
            value = is_known == want
            return Ev(value, facts, (), s.hits, _step(env, expr, value, (s,)))

        return known

    def visit_Quantifier(self, expr: c.Quantifier) -> Compiled:
        """`any`/`all` over a collection: the body for each element, naming every witness
        (any) or counterexample (all); unknown when the collection is.
        """
        collection = self.visit(expr.collection)
        body = self.visit(expr.body)
        var, is_any = expr.var, expr.kind == "any"

        def quantify(env: Env) -> Ev:
            coll = collection(env)
            if coll.value is None:
                return Ev(None, (), coll.unknowns, (), _step(env, expr, None, (coll,)))
            path = coll.facts[0][0]
            outer = env.vars.get(var)
            # Every witness (any) or counterexample (all) is named, not just the first:
            # which elements made the result must not depend on their order.
            deciding: list[Ev] = []
            others: list[Ev] = []
            seen: list[Ev] = []
            try:
                for i, item in enumerate(coll.value):
                    env.vars[var] = Bound(item, element(path, i))
                    r = body(env)
                    seen.append(r)
                    (deciding if r.value is is_any else others).append(r)
            finally:
                if outer is None:
                    env.vars.pop(var, None)
                else:
                    env.vars[var] = outer
            decided: bool | None
            unknowns: tuple[str, ...]
            if deciding:
                decided, parts, unknowns = is_any, deciding, ()
            else:
                parts = others
                unknowns = _once(r.unknowns for r in others if r.value is None)
                decided = None if unknowns else not is_any
            facts = _facts(r.facts for r in parts)
            hits = _once(r.hits for r in parts)
            return Ev(decided, facts, unknowns, hits, _step(env, expr, decided, seen))

        return quantify


def _find(value: Any, container: Any, hierarchical: bool) -> str | None:
    """The member of the container that `value` is, or descends from; None if none."""
    if not hierarchical:
        return str(value) if value in container else None
    return containing_code(value, container)
