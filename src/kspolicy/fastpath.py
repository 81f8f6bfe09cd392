"""The fast path: a checked policy compiled to one Python function per date of evaluation.

The traced evaluator (compiler + runtime) explains everything it computes; most rules of
most cases are silent and need no explanation. The fast path only decides which rules
fire and which are pending (for some binding of their implicit variables), in
three-valued logic, and computes each distinct condition at most once per case
(conditions that read no implicit variable are shared by every rule). `runtime.run`
then traces only the rules that fired or are pending, all their bindings, so decisions
are the same, byte for byte, and cost what they explain.

The generated source never contains a name from the policy as code: fields, codes and
texts appear only as literals written by `repr` (exactly escaped: each can only ever be
that value), other values as constants (`K[i]`), lists as frozensets (`S0`, `S1`...),
and every local is a generated name. A policy cannot run Python through it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from . import checked as c
from .lists import NamedList, containing_code, fold_name

Statuses = tuple[list[int], list[int]]
"""The indices of the rules that fired and of those pending, each once, in no set order."""
Decide = Callable[[Mapping[str, Any]], Statuses]

_PRELUDE = """
def _and(*values):
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True

def _or(*values):
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False

def _not(v):
    return None if v is None else not v

def _get(record, key):
    return record.get(key) if record.__class__ is dict else None

def _eq(a, b):
    return None if a is None or b is None else a == b

def _ne(a, b):
    return None if a is None or b is None else a != b

def _lt(a, b):
    return None if a is None or b is None else a < b

def _le(a, b):
    return None if a is None or b is None else a <= b

def _gt(a, b):
    return None if a is None or b is None else a > b

def _ge(a, b):
    return None if a is None or b is None else a >= b

def _match(name, names):
    return None if name is None else _fold(name) in names

def _each(collection):
    # an unknown collection gives one binding, to an unknown element
    return collection if collection is not None else (None,)

def _in(e, s, hierarchical, negated):
    if s is not None and not s:
        return negated
    if e is None or s is None:
        return None
    return (_hier(e, s) if hierarchical else e in s) is not negated
"""

_COMPARE = {"==": "_eq", "!=": "_ne", "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}


class _Source:
    """Python source being written, with constants and shared conditions."""

    def __init__(self) -> None:
        self.constants: list[Any] = []
        self.sets: list[frozenset[Any]] = []
        self.lines: list[str] = []
        self.shared: dict[str, str] = {}
        self.counter = 0
        self._constant_slots: dict[tuple[type, Any], str] = {}
        self._set_slots: dict[frozenset[Any], str] = {}

    def constant(self, value: Any) -> str:
        """A constant in the generated code: a text, number or truth value as its `repr`
        (an exactly escaped literal: it can only ever be that value), anything else in a
        slot. Equal constants read alike, so equal conditions are shared."""
        if type(value) in (str, int, float, bool):
            return repr(value)
        key = (type(value), value)
        slot = self._constant_slots.get(key)
        if slot is None:
            self.constants.append(value)
            slot = self._constant_slots[key] = f"K[{len(self.constants) - 1}]"
        return slot

    def set(self, values: frozenset[Any]) -> str:
        slot = self._set_slots.get(values)
        if slot is None:
            self.sets.append(values)
            slot = self._set_slots[values] = f"S{len(self.sets) - 1}"
        return slot

    def names(self) -> dict[str, Any]:
        """The globals the generated code reads: constants, and each set by its own name."""
        return {"K": tuple(self.constants), **{f"S{i}": s for i, s in enumerate(self.sets)}}

    def local(self) -> str:
        self.counter += 1
        return f"v{self.counter}"


class FastPath:
    """Builds and caches the decide function of a policy for each date of evaluation."""

    def __init__(self, policy: c.Policy) -> None:
        self.policy = policy
        self._cache: dict[dt.date, Decide] = {}
        self.sources: dict[dt.date, str] = {}  # the generated code, for inspection
        self._list_sets: dict[tuple[str, dt.date], frozenset[str]] = {}

    def decide(self, as_of: dt.date) -> Decide:
        found = self._cache.get(as_of)
        if found is None:
            two = self.two_valued(as_of)
            three: list[Decide] = []  # built when an unknown fact first needs it

            def found(facts: Mapping[str, Any]) -> Statuses:
                try:
                    return two(facts)
                except (KeyError, TypeError, IndexError):  # an unknown fact was needed
                    if not three:
                        three.append(self._build(as_of))
                    fired, pending = three[0](facts)  # once per binding: once each here
                    return list(dict.fromkeys(fired)), list(dict.fromkeys(pending))

            if len(self._cache) > 64:
                self._cache.clear()
                self.sources.clear()
            self._cache[as_of] = found
        return found

    # ---- generation ------------------------------------------------------------------

    def _build(self, as_of: dt.date) -> Decide:
        src = _Source()
        self.as_of = as_of
        self.src = src
        body: list[str] = []
        for index, rule in enumerate(self.policy.rules):
            if rule.valid_on(as_of):
                body += self._rule(index, rule)
        head = ["def decide(root):", "    fired = []", "    pending = []"]
        shared = [f"    {line}" for line in src.lines]
        code = "\n".join([*head, *shared, *body, "    return fired, pending"]) + "\n"
        namespace: dict[str, Any] = {
            **src.names(),
            "_fold": _folded,
            "_hier": _hierarchical,
        }
        self.sources[as_of] = self.sources.get(as_of, "") + "\n" + code
        exec(compile(_PRELUDE + code, "<kspolicy fast path>", "exec"), namespace)
        decide: Decide = namespace["decide"]
        return decide

    def _codes(self, named: NamedList) -> frozenset[str]:
        key = (named.name, self.as_of)
        found = self._list_sets.get(key)
        if found is None:
            found = self._list_sets[key] = frozenset(e.key for e in named.entries_on(self.as_of))
        return found

    def _constant(self, expr: c.Const | c.ConstSet | c.ListSet) -> str:
        """A constant as both generated functions write it: a literal or a set's name."""
        if isinstance(expr, c.Const):
            return self.src.constant(expr.value)
        if isinstance(expr, c.ConstSet):
            return self.src.set(frozenset(expr.values))
        return self.src.set(self._codes(expr.list))

    # ---- the two-valued function ----------------------------------------------------

    def two_valued(self, as_of: dt.date) -> Decide:
        """A function that decides in plain two-valued logic, raising KeyError at the
        first unknown fact it needs (the caller then uses the three-valued one)."""
        src = _Source()
        self.as_of, self.src = as_of, src
        active = [(i, r) for i, r in enumerate(self.policy.rules) if r.valid_on(as_of)]
        conditions: list[list[str]] = []
        looping: set[str] = set()  # conditions whose code loops over a collection
        expressions: dict[str, c.Expr] = {}  # what each condition's code was written from
        for _, rule in active:
            if rule.binders:
                conditions.append([])  # written per binding by _plain_rule
                continue
            operands = rule.when.operands if isinstance(rule.when, c.And) else (rule.when,)
            texts = [self._plain(o, {}) for o in operands]
            expressions.update(zip(texts, operands, strict=True))
            looping.update(
                t for o, t in zip(operands, texts, strict=True) if _loops(o, self.policy)
            )
            unless = [f"(not {self._plain(u, {})})" for u in rule.unless]
            looping.update(
                t for u, t in zip(rule.unless, unless, strict=True) if _loops(u, self.policy)
            )
            conditions.append(texts + unless)
        counts: dict[str, int] = {}
        for texts in conditions:
            for text in texts:
                counts[text] = counts.get(text, 0) + 1
        # Share conditions when rules repeat them enough to pay for computing them early;
        # group rules under the condition most of them share, tested once for all.
        share = sum(counts.values()) > 1.5 * max(len(counts), 1) and len(active) > 60
        body: list[str] = []
        if share:
            names = {text: f"c{i}" for i, text in enumerate(counts)}
            groups: dict[str, list[tuple[int, list[str]]]] = {}
            loops: list[str] = []
            for (index, rule), texts in zip(active, conditions, strict=True):
                if rule.binders:
                    loops += self._plain_rule(index, rule)
                    continue
                # The lead is computed for every case: a cheap test (no loop over a
                # collection) if the rule has one, then the one most rules share.
                lead = max(texts, key=lambda t: (t not in looping, counts[t]))
                groups.setdefault(lead, []).append((index, [t for t in texts if t != lead]))
            guards = _guards(groups)
            # Every lead, and each condition too many groups test to guard it, is
            # computed for every case; the other conditions only when a group needs them.
            always = [*groups, *(t for t, leads in guards.items() if len(leads) > _MAX_GUARDS)]
            body += self._always(always, names, expressions)
            body += [
                f"    {names[text]} = {_guarded(text, leads, names)}"
                for text, leads in guards.items()
                if len(leads) <= _MAX_GUARDS
            ]
            body += loops
            for lead, members in groups.items():
                body.append(f"    if {names[lead]}:")
                for index, rest in members:
                    tests = " and ".join(names[t] for t in rest) or "True"
                    body.append(f"        if {tests}: fired.append({index})")
        else:
            for (index, rule), texts in zip(active, conditions, strict=True):
                if rule.binders:
                    body += self._plain_rule(index, rule)
                else:
                    body.append(f"    if {' and '.join(texts)}: fired.append({index})")
        if share:  # with few rules, short-circuiting already skips most reads
            body = _hoist_reads(body)
        code = (
            "\n".join(["def decide(root):", "    fired = []", *body, "    return fired, []"]) + "\n"
        )
        namespace: dict[str, Any] = {
            **src.names(),
            "_fold": _folded,
            "_hier": _hierarchical,
            "_peek": _peek,
        }
        self.sources[as_of] = self.sources.get(as_of, "") + "\n" + code
        exec(compile(code, "<kspolicy fast path, two-valued>", "exec"), namespace)
        decide: Decide = namespace["decide"]
        return decide

    def _always(
        self, texts: list[str], names: dict[str, str], expressions: dict[str, c.Expr]
    ) -> list[str]:
        """The lines that compute conditions needed for every case (`texts`).

        Conditions of the form `any x in C: ...` over the same collection C share one
        loop over it, each tested until it holds: with a few elements per collection,
        making a generator for each `any(...)` cost more than testing them (most of a
        decision of 3,000 rules). Each is tested on the same elements as `any` would, so
        the same unknown fact makes the decision fall back to the three-valued function.
        """
        loops: dict[str, list[tuple[str, c.Quantifier]]] = {}
        for text in texts:
            expr = expressions.get(text)
            if isinstance(expr, c.Quantifier) and expr.kind == "any" and not _is_set_test(expr):
                loops.setdefault(self._plain(expr.collection, {}), []).append((text, expr))
        shared = {text for members in loops.values() if len(members) > 1 for text, _ in members}
        lines = [f"    {names[text]} = {text}" for text in texts if text not in shared]
        for collection, members in loops.items():
            if len(members) < 2:
                continue
            lines += [f"    {names[text]} = False" for text, _ in members]
            lines.append(f"    for q0 in {collection}:")
            for text, expr in members:
                test = self._plain(expr.body, {expr.var: "q0", "?0": "q0"})
                lines.append(f"        if not {names[text]} and {test}: {names[text]} = True")
        return lines

    def _plain_rule(self, index: int, rule: c.Rule) -> list[str]:
        """A rule with implicit variables: a loop per binder, in two-valued logic."""
        # Every binding is tried, none skipped once the rule fired: an unknown fact in a
        # later binding makes the rule pending too, so it must reach the three-valued path.
        # The rule is reported once, however many bindings fire it.
        hit = f"h{index}"
        lines, indent = [f"    {hit} = False"], "    "
        for n, name in enumerate(rule.binders):
            binder = self.policy.schema.binders[name]
            reader = "root" + "".join(f"[{self.src.constant(f)}]" for f in binder.fields)
            lines.append(f"{indent}for b{n} in {reader}:")
            indent += "    "
        env = {name: f"b{n}" for n, name in enumerate(rule.binders)}
        operands = rule.when.operands if isinstance(rule.when, c.And) else (rule.when,)
        texts = [self._plain(o, env) for o in operands]
        texts += [f"(not {self._plain(u, env)})" for u in rule.unless]
        lines.append(f"{indent}if {' and '.join(texts)}: {hit} = True")
        lines.append(f"    if {hit}: fired.append({index})")
        return lines

    def _plain(self, expr: c.Expr, env: dict[str, str]) -> str:
        """A Python expression in two-valued logic; reading an unknown fact raises KeyError."""
        src = self.src
        if isinstance(expr, c.Fact):
            base = "root" if expr.base is None else env[expr.base]
            return base + "".join(f"[{src.constant(f)}]" for f in expr.fields)
        if isinstance(expr, c.Const | c.ConstSet | c.ListSet):
            return self._constant(expr)
        if isinstance(expr, c.DefineRef):
            return self._plain(self.policy.definitions[expr.name].expr, env)
        if isinstance(expr, c.Not):
            return f"(not {self._plain(expr.operand, env)})"
        if isinstance(expr, c.And | c.Or):
            word = " and " if isinstance(expr, c.And) else " or "
            return "(" + word.join(self._plain(o, env) for o in expr.operands) + ")"
        if isinstance(expr, c.Compare):
            return f"({self._plain(expr.left, env)} {expr.op} {self._plain(expr.right, env)})"
        if isinstance(expr, c.Member):
            element, container = self._plain(expr.element, env), self._plain(expr.container, env)
            test = (
                f"_hier({element}, {container})"
                if expr.hierarchical
                else f"({element} in {container})"
            )
            return f"(not {test})" if expr.negated else test
        if isinstance(expr, c.Match):
            names = {
                fold_name(n) for e in expr.list.entries_on(self.as_of) for n in (e.key, *e.aliases)
            }
            return f"(_fold({self._plain(expr.subject, env)}) in {src.set(frozenset(names))})"
        if isinstance(expr, c.Known):
            if not isinstance(expr.subject, c.Fact):
                return "root[None]"  # only the three-valued function answers this one
            base = "root" if expr.subject.base is None else env[expr.subject.base]
            keys = ", ".join(src.constant(f) for f in expr.subject.fields)
            test = f"_peek({base}, ({keys},))"
            return f"({test} is not None)" if expr.known else f"({test} is None)"
        assert isinstance(expr, c.Quantifier)
        body_ = expr.body
        if _is_set_test(expr):
            # `any t in topics: t in S` is a set operation, done in C
            assert isinstance(body_, c.Member)
            collection = self._plain(expr.collection, env)
            return f"(not {self._plain(body_.container, env)}.isdisjoint({collection}))"
        depth = len([k for k in env if k.startswith("?")])
        element = f"q{depth}"
        body = self._plain(expr.body, {**env, expr.var: element, f"?{depth}": element})
        collection = self._plain(expr.collection, env)
        return f"{expr.kind}({body} for {element} in {collection})"

    def _rule(self, index: int, rule: c.Rule) -> list[str]:
        lines: list[str] = []
        indent = "    "
        env: dict[str, str] = {}
        for name in rule.binders:
            binder = self.policy.schema.binders[name]
            collection = self.src.local()
            reader = "root"
            for field in binder.fields:
                reader = f"_get({reader}, {self.src.constant(field)})"
            lines.append(f"{indent}{collection} = {reader}")
            element = self.src.local()
            lines.append(f"{indent}for {element} in _each({collection}):")
            indent += "    "
            env[name] = element
        when = self._expr(rule.when, env)
        parts = [when] + [f"_not({self._expr(u, env)})" for u in rule.unless]
        verdict = parts[0] if len(parts) == 1 else f"_and({', '.join(parts)})"
        lines.append(f"{indent}r = {verdict}")
        lines.append(f"{indent}if r is True:")
        lines.append(f"{indent}    fired.append({index})")
        lines.append(f"{indent}elif r is None:")
        lines.append(f"{indent}    pending.append({index})")
        return lines

    def _expr(self, expr: c.Expr, env: dict[str, str]) -> str:
        """A Python expression for the value (True/False/None, or a fact's value)."""
        text = self._emit(expr, env)
        if _reads_variables(expr, self.policy):
            return text
        # Shared by every rule: computed once per case, where it is first needed.
        name = self.src.shared.get(text)
        if name is None:
            name = f"c{len(self.src.shared)}"
            self.src.shared[text] = name
            self.src.lines.append(f"{name} = {text}")
        return name

    def _emit(self, expr: c.Expr, env: dict[str, str]) -> str:
        src = self.src
        if isinstance(expr, c.Fact):
            reader = "root" if expr.base is None else env[expr.base]
            for field in expr.fields:
                reader = f"_get({reader}, {src.constant(field)})"
            return reader
        if isinstance(expr, c.Const | c.ConstSet | c.ListSet):
            return self._constant(expr)
        if isinstance(expr, c.DefineRef):
            return self._expr(self.policy.definitions[expr.name].expr, env)
        if isinstance(expr, c.Not):
            return f"_not({self._expr(expr.operand, env)})"
        if isinstance(expr, c.And | c.Or):
            parts = ", ".join(self._expr(o, env) for o in expr.operands)
            return f"{'_and' if isinstance(expr, c.And) else '_or'}({parts})"
        if isinstance(expr, c.Compare):
            a, b = self._expr(expr.left, env), self._expr(expr.right, env)
            return f"{_COMPARE[expr.op]}({a}, {b})"
        if isinstance(expr, c.Member):
            element = self._expr(expr.element, env)
            container = self._expr(expr.container, env)
            return f"_in({element}, {container}, {expr.hierarchical}, {expr.negated})"
        if isinstance(expr, c.Match):
            subject = self._expr(expr.subject, env)
            names: set[str] = set()
            for entry in expr.list.entries_on(self.as_of):
                names.update(fold_name(n) for n in (entry.key, *entry.aliases))
            return f"_match({subject}, {src.set(frozenset(names))})"
        if isinstance(expr, c.Known):
            subject = self._expr(expr.subject, env)
            return f"({subject} is not None)" if expr.known else f"({subject} is None)"
        assert isinstance(expr, c.Quantifier)
        collection = self._expr(expr.collection, env)
        element = (
            f"q{len([k for k in env if k.startswith('?')])}"  # the same text for the same condition
        )
        inner_env = {**env, expr.var: element, "?" + expr.var: element}
        body = self._emit(expr.body, inner_env)
        join = "_or" if expr.kind == "any" else "_and"
        return (
            f"(None if {collection} is None else {join}(*[{body} for {element} in {collection}]))"
        )


_KEY = r"""(?:K\[\d+\]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_READ = re.compile(r"root(?:\[" + _KEY + r"\]){1,2}")


_MAX_GUARDS = 16
"""A condition that more groups test is computed for every case: testing that many
leads first costs about what the condition does."""


def _guards(groups: dict[str, list[tuple[int, list[str]]]]) -> dict[str, list[str]]:
    """Each condition that leads no group, and the leads of the groups that test it."""
    guards: dict[str, dict[str, None]] = {}
    for lead, members in groups.items():
        for _, rest in members:
            for text in rest:
                if text not in groups:
                    guards.setdefault(text, {})[lead] = None
    return {text: list(leads) for text, leads in guards.items()}


def _guarded(text: str, leads: list[str], names: dict[str, str]) -> str:
    """A condition computed only when a group that tests it will look at it.

    When every such group's lead is false, no rule there can fire, whatever this
    condition is: in three-valued logic too (false and unknown is false), so leaving an
    unknown fact unread here changes nothing but the time taken.
    """
    assert len(leads) <= _MAX_GUARDS
    return f"({text}) if ({' or '.join(names[lead] for lead in leads)}) else False"


def _hoist_reads(body: list[str]) -> list[str]:
    """Read facts that several lines need once, into locals, before anything else.

    A read of an unknown fact raises KeyError sooner this way; the three-valued function
    then answers, so hoisting changes how fast a decision is, never what it is.
    """
    counts: dict[str, int] = {}
    for line in body:
        for read in _READ.findall(line):
            counts[read] = counts.get(read, 0) + 1
    hoisted = sorted((r for r, n in counts.items() if n > 1), key=len)
    names: dict[str, str] = {}
    head = []
    for read in hoisted:  # shorter reads first, so longer ones can use them
        expression = read
        for shorter, name in names.items():
            if read.startswith(shorter):
                expression = name + read[len(shorter) :]
        names[read] = f"f{len(names)}"
        head.append(f"    {names[read]} = {expression}")
    pattern = re.compile("|".join(re.escape(r) for r in sorted(names, key=len, reverse=True)))
    rewritten = [pattern.sub(lambda m: names[m.group(0)], line) for line in body] if names else body
    return head + rewritten


def _is_set_test(expr: c.Quantifier) -> bool:
    """`any t in xs: t in S`, with S a set of constants: one set operation, no loop."""
    body = expr.body
    return (
        expr.kind == "any"
        and isinstance(body, c.Member)
        and not body.negated
        and not body.hierarchical
        and isinstance(body.element, c.Fact)
        and body.element.base == expr.var
        and not body.element.fields
        and isinstance(body.container, c.ConstSet | c.ListSet)
    )


def _loops(expr: c.Expr, policy: c.Policy) -> bool:
    """Whether the two-valued code of an expression loops over a collection."""
    if isinstance(expr, c.Quantifier):
        return not _is_set_test(expr)
    if isinstance(expr, c.DefineRef):
        return _loops(policy.definitions[expr.name].expr, policy)
    if isinstance(expr, c.Not):
        return _loops(expr.operand, policy)
    if isinstance(expr, c.And | c.Or):
        return any(_loops(o, policy) for o in expr.operands)
    return False


def _reads_variables(expr: c.Expr, policy: c.Policy) -> bool:
    """Whether an expression reads an implicit or quantifier variable (not shareable)."""
    if isinstance(expr, c.Fact):
        return expr.base is not None
    if isinstance(expr, c.DefineRef):
        return bool(policy.definitions[expr.name].binders)
    children: tuple[c.Expr, ...] = ()
    if isinstance(expr, c.Not):
        children = (expr.operand,)
    elif isinstance(expr, c.And | c.Or):
        children = expr.operands
    elif isinstance(expr, c.Compare):
        children = (expr.left, expr.right)
    elif isinstance(expr, c.Member):
        children = (expr.element, expr.container)
    elif isinstance(expr, c.Match | c.Known):
        children = (expr.subject,)
    elif isinstance(expr, c.Quantifier):
        children = (expr.collection,)  # its body reads its own variable, bound inside
    return any(_reads_variables(child, policy) for child in children)


@functools.lru_cache(maxsize=65536)
def _folded(name: Any) -> str:
    return fold_name(str(name))


def _peek(record: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if record.__class__ is not dict:
            return None
        record = record.get(key)
    return record


def _hierarchical(code: Any, container: Any) -> bool:
    return containing_code(code, container) is not None
