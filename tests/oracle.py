"""A reference interpreter: the oracle the compiled evaluator is checked against.

It evaluates the checked syntax tree directly, as plainly as possible: recursion, Kleene's
truth tables spelled out, no short cuts, no caches, no explanations. It shares nothing
with `compiler` and `runtime` but the checked tree, so the two agreeing means something.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from kspolicy.eval.screen import country_field, entity_of
from kspolicy.lang import checked as c
from kspolicy.lang.lists import fold_name
from kspolicy.screening import compare

MISSING = object()  # an element of a collection that is unknown as a whole


def kleene_and(values: list[bool | None]) -> bool | None:
    if False in values:
        return False
    return None if None in values else True


def kleene_or(values: list[bool | None]) -> bool | None:
    if True in values:
        return True
    return None if None in values else False


def kleene_not(value: bool | None) -> bool | None:
    return None if value is None else not value


class Oracle:
    def __init__(self, policy: c.Policy, facts: Mapping[str, Any], as_of: dt.date) -> None:
        self.policy = policy
        self.facts = facts
        self.as_of = as_of

    def value(self, expr: c.Expr, env: dict[str, Any]) -> Any:
        if isinstance(expr, c.Fact):
            current: Any = self.facts if expr.base is None else env[expr.base]
            for field in expr.fields:
                if current is MISSING or not isinstance(current, Mapping):
                    return None
                current = current.get(field)
            return None if current is MISSING else current
        if isinstance(expr, c.Const):
            return expr.value
        if isinstance(expr, c.ConstSet):
            return set(expr.values)
        if isinstance(expr, c.ListSet):
            return {e.key for e in expr.list.entries_on(self.as_of)}
        return self.truth(expr, env)

    def truth(self, expr: c.Expr, env: dict[str, Any]) -> bool | None:
        if isinstance(expr, c.Fact | c.Const):
            value = self.value(expr, env)
            return None if value is None else bool(value)
        if isinstance(expr, c.DefineRef):
            return self.truth(self.policy.definitions[expr.name].expr, env)
        if isinstance(expr, c.Not):
            return kleene_not(self.truth(expr.operand, env))
        if isinstance(expr, c.And):
            return kleene_and([self.truth(o, env) for o in expr.operands])
        if isinstance(expr, c.Or):
            return kleene_or([self.truth(o, env) for o in expr.operands])
        if isinstance(expr, c.Compare):
            a, b = self.value(expr.left, env), self.value(expr.right, env)
            if a is None or b is None:
                return None
            compared: bool = {
                "==": a == b,
                "!=": a != b,
                "<": a < b,
                "<=": a <= b,
                ">": a > b,
                ">=": a >= b,
            }[expr.op]
            return compared
        if isinstance(expr, c.Member):
            element, container = self.value(expr.element, env), self.value(expr.container, env)
            if container is not None and len(container) == 0:
                return expr.negated
            if element is None or container is None:
                return None
            candidates = [element]
            if expr.hierarchical:
                parts = str(element).split(".")
                candidates = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
            found = any(x in container for x in candidates)
            return found != expr.negated
        if isinstance(expr, c.Match):
            name = self.value(expr.subject, env)
            if name is None:
                return None
            return self.screen(expr, str(name), env)
        if isinstance(expr, c.Known):
            return (self.value(expr.subject, env) is not None) == expr.known
        assert isinstance(expr, c.Quantifier)
        collection = self.value(expr.collection, env)
        if collection is None:
            return None
        results = [self.truth(expr.body, {**env, expr.var: item}) for item in collection]
        return kleene_or(results) if expr.kind == "any" else kleene_and(results)

    def screen(self, expr: c.Match, name: str, env: dict[str, Any]) -> bool | None:
        """`name matches LIST`, plainly (docs/screening.md): every entity compared, the
        best band kept after the reviewers' answers; a list out of date, or not covering
        the name's country, turns "none" into unknown. An exact list folds and compares."""
        named = expr.list
        country = self.country(expr, env)
        entries = named.entries_on(self.as_of)
        bands = []
        for number, entry in enumerate(entries):
            if named.matching == "exact":
                names = {fold_name(n) for n in (entry.key, *entry.aliases)}
                band = "match" if fold_name(name) in names else "none"
            else:
                entity = entity_of(entry, number)
                band = compare(name, entity, country_a=country).band
                if compare(name, entity).band == "match":
                    band = "match"  # a country confirms or rules out, never lowers a match
            if band == "none":
                continue
            for review in self.reviews(named.name, name, country, entry.key):
                if review.ruling == "confirmed":
                    band = "match"
                elif review.entry_sha256 == entry.sha256():
                    band = "none"
            bands.append(band)
        if "match" in bands:
            return True
        if "possible" in bands:
            return None
        if named.is_stale(self.as_of):
            return None
        if named.covers and (country is None or country not in named.covers):
            return None
        return False

    def country(self, expr: c.Match, env: dict[str, Any]) -> str | None:
        where = country_field(self.policy.schema, expr.subject)
        if where is None:
            return None
        value = self.value(where, env)
        return None if value is None else str(value).upper()

    def reviews(self, list_name: str, name: str, country: str | None, entry: str) -> list[Any]:
        """The latest answer for this name, country and entry (as a list of at most one)."""
        found = [
            a
            for named in self.policy.lists.values()
            for a in named.adjudications
            if (a.list, fold_name(a.name), a.country, a.entry)
            == (list_name, fold_name(name), country, entry)
        ]
        return sorted(found, key=lambda a: a.at.timestamp())[-1:]

    def statuses(self) -> dict[tuple[str, tuple[tuple[str, int], ...]], str]:
        """Every rule's status for every binding: fired or pending (silent ones left out)."""
        found = {}
        for rule in self.policy.rules:
            if not rule.valid_on(self.as_of):
                continue
            choices = []
            for name in rule.binders:
                binder = self.policy.schema.binders[name]
                value: Any = self.facts
                for field in binder.fields:
                    value = value.get(field) if isinstance(value, Mapping) else None
                choices.append(
                    [(name, None, MISSING)]
                    if value is None
                    else [(name, i, v) for i, v in enumerate(value)]
                )
            for combination in itertools.product(*choices):
                env = {name: value for name, _, value in combination}
                verdict = kleene_and(
                    [
                        self.truth(rule.when, env),
                        *(kleene_not(self.truth(u, env)) for u in rule.unless),
                    ]
                )
                if verdict is not False:
                    key = (
                        rule.name,
                        tuple((name, i) for name, i, _ in combination if i is not None),
                    )
                    found[key] = "fired" if verdict else "pending"
        return found

    def outcomes(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Certain and possible outcomes, from the statuses, by the rules of DESIGN.md."""
        statuses = self.statuses()
        rules = {r.name: r for r in self.policy.rules}
        certain: dict[str, Any] = {}
        possible: dict[str, Any] = {}
        for name, outcome in self.policy.outcomes.items():
            if outcome.kind == "entry":
                continue
            reached = {status: [code for (rule, _), s in statuses.items() if s == status
                                for e in rules[rule].effects if e.outcome.name == name for code in e.codes]
                       for status in ("fired", "pending")}  # fmt: skip
            if outcome.kind == "scale":
                top = max((outcome.rank(code) for code in reached["fired"]), default=0)
                certain[name] = outcome.enum.codes[top]
                higher = [
                    outcome.rank(code) for code in reached["pending"] if outcome.rank(code) > top
                ]
                if higher:
                    possible[name] = outcome.enum.codes[max(higher)]
            else:
                certain[name] = [code for code in outcome.enum.codes if code in reached["fired"]]
                extra = [
                    code
                    for code in outcome.enum.codes
                    if code in reached["pending"] and code not in certain[name]
                ]
                if extra:
                    possible[name] = extra
        return certain, possible
