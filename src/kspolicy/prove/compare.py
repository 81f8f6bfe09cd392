"""`kspolicy prove OLD NEW`: per outcome, is the new version equivalent, stricter, looser?

For each outcome two questions go to the solver, over every case within the bound and
every day: is there a case where NEW gives more than OLD (a higher code on a scale, a
code a set did not have), and one where it gives less? Neither: `equivalent`; only more:
`stricter`; only less: `looser`; both: `incomparable`. An entry outcome (a contact
looked up by a fact) has no order: `equivalent` or `incomparable`.

Each difference found is a case, read back from the solver's model, and it is decided
by both versions with the engine itself before it is reported: a counterexample that
does not reproduce is never shown as one; the outcome is then `unknown`, as it is when
a rule that acts on it cannot be encoded, or when only a name that screening might
match could make the difference (see `encode`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

from ..lang import checked as c
from ..policy import Policy
from . import plain
from .encode import Encoder, Space, Unsupported, Z, case_of, day_of, strings_of, z3

Verdict = Literal["equivalent", "stricter", "looser", "incomparable", "unknown"]


@attrs.frozen
class Bound:
    """What a proof ranges over: lists of records up to `k` elements, days in a range
    (or one day)."""

    k: int
    first: dt.date
    last: dt.date

    def describe(self) -> str:
        """The bound in words, as every answer states it."""
        days = (
            f"on {self.first}"
            if self.first == self.last
            else f"on every day from {self.first} to {self.last}"
        )
        many = "s" * (self.k != 1)  # "at most 1 element", "at most 3 elements"
        return (
            f"for every case with at most {self.k} element{many} in each list of records "
            f"(and {self.k} text{many} nobody names in each list of texts), {days}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The bound as JSON-ready data."""
        return {"k": self.k, "first_day": self.first.isoformat(), "last_day": self.last.isoformat()}


def bound_of(k: int, as_of: dt.date | None) -> Bound:
    """The bound of a proof with `k` elements and, if given, one day."""
    from .encode import FIRST_DAY, LAST_DAY

    return Bound(k, as_of or FIRST_DAY, as_of or LAST_DAY)


@attrs.frozen
class Counterexample:
    """A case (with its day) on which the two versions differ, as the engine decides it."""

    case: dict[str, Any]
    as_of: dt.date
    direction: str  # "up" (NEW gives more), "down" (NEW gives less), "changed"
    old: Any
    new: Any


@attrs.frozen
class OutcomeResult:
    """One outcome's verdict, its counterexamples, and why it is unknown if it is."""

    outcome: str
    verdict: Verdict
    counterexamples: tuple[Counterexample, ...] = ()
    reason: str | None = None


@attrs.frozen
class Comparison:
    """The verdict of every outcome, within the bound."""

    bound: Bound
    outcomes: dict[str, OutcomeResult]
    unsupported: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON (`kspolicy prove --format json`)."""
        return {
            "bound": self.bound.to_dict(),
            "outcomes": {name: r.verdict for name, r in self.outcomes.items()},
            "details": {
                name: {
                    "reason": r.reason,
                    "counterexamples": [
                        {
                            "direction": x.direction,
                            "old": x.old,
                            "new": x.new,
                            "as_of": x.as_of.isoformat(),
                            "case": plain(x.case),
                        }
                        for x in r.counterexamples
                    ],
                }
                for name, r in self.outcomes.items()
            },
            "unsupported": self.unsupported,
        }


class Search:
    """A solver over a space, asked one question at a time (see `find`)."""

    def __init__(self, space: Space, uses_matches: bool, timeout_ms: int = 60_000) -> None:
        self.space = space
        self.uses_matches = uses_matches
        self.solver = z3.Solver()
        self.solver.set("timeout", timeout_ms)
        self.solver.add(*space.constraints)
        self._added = len(space.constraints)

    def sync(self) -> None:
        """Add the constraints the encoding made since the last question."""
        fresh = self.space.constraints[self._added :]
        if fresh:
            self.solver.add(*fresh)
            self._added = len(self.space.constraints)

    def find(self, query: Z) -> tuple[str, Any]:
        """("found", model), ("none", None) or ("unknown", reason) for a query."""
        self.sync()
        self.solver.push()
        try:
            self.solver.add(query)
            answer = self.solver.check(self.space.exact)
            if answer == z3.sat:
                return "found", self.solver.model()
            if answer == z3.unknown:
                return "unknown", f"the solver gave up ({self.solver.reason_unknown()})"
            if not self.uses_matches:
                return "none", None
            answer = self.solver.check(z3.Not(self.space.exact))
            if answer == z3.unsat:
                return "none", None
            return "unknown", (
                "only a name that name screening might match could make a difference "
                "(`matches` with a name the policy does not spell)"
            )
        finally:
            self.solver.pop()


def compare(old: Policy, new: Policy, k: int = 3, as_of: dt.date | None = None) -> Comparison:
    """NEW against OLD, per outcome, within the bound (see the module docstring)."""
    space = Space(sorted(strings_of([old.checked, new.checked])), k, as_of)
    encoders = Encoder(space, old.checked, "old"), Encoder(space, new.checked, "new")
    share(*encoders)
    names = list(dict.fromkeys([*old.checked.outcomes, *new.checked.outcomes]))
    # Encode every rule first, so that what cannot be encoded is known before searching.
    queries: dict[str, Any] = {}
    for name in names:
        try:
            queries[name] = _queries(encoders, name)
        except Unsupported as exc:
            queries[name] = str(exc)
    unsupported = {**encoders[0].unsupported, **encoders[1].unsupported}
    search = Search(space, bool(encoders[0].uses_matches or encoders[1].uses_matches))
    results: dict[str, OutcomeResult] = {}
    for name in names:
        query = queries[name]
        if isinstance(query, str):
            results[name] = OutcomeResult(name, "unknown", reason=query)
            continue
        opaque = sorted({r for e in encoders for r in e.rules_for(name) if r in e.unsupported})
        if opaque:
            reason = "rules that cannot be encoded act on it: " + ", ".join(
                f"{r} ({unsupported[r]})" for r in opaque
            )
            results[name] = OutcomeResult(name, "unknown", reason=reason)
            continue
        results[name] = _verdict(search, old, new, name, query)
    return Comparison(bound_of(k, as_of), results, unsupported)


def share(first: Encoder, second: Encoder) -> None:
    """Rules the two versions hold alike are encoded once (the edit is usually small)."""
    mine = {rule.name: rule for rule in first.policy.rules}
    for rule in second.policy.rules:
        same = mine.get(rule.name)
        if same is not None and first.fingerprint(same) == second.fingerprint(rule):
            second.adopt(rule.name, first.fired(same), first.unsupported.get(same.name))


def _queries(encoders: tuple[Encoder, Encoder], name: str) -> dict[str, Z] | str:
    """The questions for one outcome: {"up": ..., "down": ...}, or {"changed": ...}."""
    a, b = (e.policy.outcomes.get(name) for e in encoders)
    if a is None or b is None:
        return f"only {'NEW' if a is None else 'OLD'} has this outcome"
    if a.kind != b.kind:
        return f"a {a.kind} in OLD, a {b.kind} in NEW"
    if a.kind == "entry":
        (had, key_a), (has, key_b) = encoders[0].entry(a), encoders[1].entry(b)
        return {"changed": z3.Or(had != has, z3.And(had, has, key_a != key_b))}
    if a.kind == "scale":
        if a.enum.codes != b.enum.codes:
            return "its scale has other codes, or another order, in NEW"
        ups, downs = [], []
        for code in a.enum.codes[1:]:
            before, after = encoders[0].reaches(a, code), encoders[1].reaches(b, code)
            ups.append(z3.And(after, z3.Not(before)))
            downs.append(z3.And(before, z3.Not(after)))
        return {"up": z3.Or(ups), "down": z3.Or(downs)}
    ups, downs = [], []
    for code in dict.fromkeys([*a.enum.codes, *b.enum.codes]):
        before = encoders[0].reaches(a, code) if code in a.enum.codes else z3.BoolVal(False)
        after = encoders[1].reaches(b, code) if code in b.enum.codes else z3.BoolVal(False)
        ups.append(z3.And(after, z3.Not(before)))
        downs.append(z3.And(before, z3.Not(after)))
    return {"up": z3.Or(ups), "down": z3.Or(downs)}


def _verdict(
    search: Search, old: Policy, new: Policy, name: str, queries: dict[str, Z]
) -> OutcomeResult:
    found: dict[str, Counterexample] = {}
    for direction, query in queries.items():
        answer, detail = search.find(query)
        if answer == "unknown":
            return OutcomeResult(name, "unknown", tuple(found.values()), detail)
        if answer == "none":
            continue
        example = reproduce(search.space, detail, old, new, name, direction)
        if example is None:
            return OutcomeResult(
                name,
                "unknown",
                tuple(found.values()),
                "the solver's difference did not reproduce with the engine "
                "(a gap in the encoding: please report it)",
            )
        found[direction] = example
    if "changed" in queries:
        verdict: Verdict = "incomparable" if found else "equivalent"
    elif "up" in found and "down" in found:
        verdict = "incomparable"
    elif "up" in found:
        verdict = "stricter"
    elif "down" in found:
        verdict = "looser"
    else:
        verdict = "equivalent"
    return OutcomeResult(name, verdict, tuple(found.values()))


def reproduce(
    space: Space, model: Any, old: Policy, new: Policy, name: str, direction: str
) -> Counterexample | None:
    """The model's case decided by both versions with the engine, if they differ as the
    solver said; else None."""
    case = case_of(space, model, new.checked.schema.root)
    day = day_of(space, model)
    try:
        before = old.evaluate(case, as_of=day).outcomes.get(name)
        after = new.evaluate(case, as_of=day).outcomes.get(name)
    except Exception:  # noqa: BLE001 - a case the engine refuses is no counterexample
        return None
    if not differs(old.checked.outcomes[name], before, after, direction):
        return None
    return Counterexample(case, day, direction, before, after)


def differs(outcome: c.Outcome, before: Any, after: Any, direction: str) -> bool:
    """Whether `after` gives more (`up`), less (`down`) or other (`changed`) than `before`."""
    if direction == "changed":
        return bool(before != after)
    if direction == "down":
        before, after = after, before
    if outcome.kind == "scale":
        return bool(outcome.rank(str(after)) > outcome.rank(str(before)))
    return bool(set(after or []) - set(before or []))
