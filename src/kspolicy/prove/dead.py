"""`kspolicy prove --dead`: what in a policy can never make a difference, within the bound.

- rules that can never fire (on any case, any day);
- outcome codes that no case can reach (a scale's lowest code is where it starts, and is
  not listed);
- conditions that are always true, or never true, wherever they are written (a part of
  a rule's `when` or `unless`, outside `any`/`all`, with the rule's implicit variables
  bound to an element of a known list);
- rules made redundant by others: whenever the rule fires, other rules that fire give
  everything it gives.

An answer that depends on a rule the encoder cannot encode, or on a name screening
might match, is listed as unknown with the reason, never as dead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from ..lang import checked as c
from ..lang.formatter import expression
from ..policy import Policy
from .compare import Bound, Search, bound_of
from .encode import (
    B3,
    Encoder,
    Env,
    Space,
    Unsupported,
    Z,
    and_,
    b3_of,
    not_,
    or_,
    strings_of,
    z3,
)


@attrs.frozen
class DeadReport:
    """What never makes a difference, and what could not be decided."""

    bound: Bound
    never_fire: tuple[str, ...]
    unreachable: tuple[tuple[str, str], ...]
    always_true: tuple[tuple[str, str], ...]
    never_true: tuple[tuple[str, str], ...]
    redundant: tuple[str, ...]
    unknown: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "bound": self.bound.to_dict(),
            "never_fire": list(self.never_fire),
            "unreachable": [{"outcome": o, "code": c} for o, c in self.unreachable],
            "always_true": [{"rule": r, "condition": t} for r, t in self.always_true],
            "never_true": [{"rule": r, "condition": t} for r, t in self.never_true],
            "redundant": list(self.redundant),
            "unknown": [{"what": w, "reason": r} for w, r in self.unknown],
        }


def analyse(policy: Policy, k: int = 3, as_of: dt.date | None = None) -> DeadReport:
    """Every dead rule, unreachable code, constant condition and redundant rule."""
    checked = policy.checked
    space = Space(sorted(strings_of([checked])), k, as_of)
    encoder = Encoder(space, checked, "policy")
    fired = {rule.name: encoder.fired(rule) for rule in checked.rules}
    conditions = [(rule, expr, b3) for rule in checked.rules for expr, b3 in _parts(encoder, rule)]
    search = Search(space, bool(encoder.uses_matches))
    unknown: list[tuple[str, str]] = [
        (f"rule {name}", why) for name, why in encoder.unsupported.items()
    ]

    def never_all(queries: dict[Any, tuple[Z, str]]) -> set[Any]:
        """The keys whose query no case satisfies. Each query gets a flag equal to it,
        and the solver is asked for a case satisfying any flag still open: the case
        found settles every flag it sets (a few questions instead of hundreds)."""
        solver = search.solver
        # Random phases make each model set many flags at once, not just the one asked for.
        solver.set("phase_selection", 5)
        search.sync()
        solver.push()
        try:
            flags = {}
            for n, (key, (query, _)) in enumerate(queries.items()):
                flag = z3.Bool(f"dead-query:{n}")
                solver.add(flag == query)
                flags[key] = flag
            left = set(queries)
            for exact in (True, False):
                if exact is False and not search.uses_matches:
                    break
                assumption = space.exact if exact else z3.Not(space.exact)
                while left:
                    answer = solver.check(assumption, z3.Or([flags[k] for k in left]))
                    if answer != z3.sat:
                        break
                    model = solver.model()
                    settled = {k for k in left if z3.is_true(model.eval(flags[k], True))}
                    if not exact:
                        reason = "only a name that name screening might match could satisfy it"
                        unknown.extend((queries[k][1], reason) for k in settled)
                    left -= settled
                if answer == z3.unknown:
                    reason = f"the solver gave up ({solver.reason_unknown()})"
                    unknown.extend((queries[k][1], reason) for k in left)
                    return set()
            return left
        finally:
            solver.pop()

    rules = [r for r in checked.rules if r.name not in encoder.unsupported]
    dead = never_all({r.name: (fired[r.name], f"rule {r.name}") for r in rules})
    never_fire = [r.name for r in rules if r.name in dead]
    codes = {}
    for outcome in checked.outcomes.values():
        if outcome.kind == "entry":
            continue
        listed = outcome.enum.codes[1:] if outcome.kind == "scale" else outcome.enum.codes
        for code in listed:
            codes[(outcome.name, code)] = (encoder.reaches(outcome, code), f"{outcome.name} {code}")
    found = never_all(codes)
    unreachable = [key for key in codes if key in found]
    live = [(i, rule, expr, b3) for i, (rule, expr, b3) in enumerate(conditions)]
    live = [x for x in live if x[1].name not in dead]  # a dead rule's parts go with it
    texts = {i: (rule.name, " ".join(expression(expr.node).split())) for i, rule, expr, _ in live}
    always_found = never_all(
        {i: (not_(b3.t), f"{texts[i][0]}: {texts[i][1]}") for i, _, _, b3 in live}
    )
    never_found = never_all(
        {
            i: (b3.t, f"{texts[i][0]}: {texts[i][1]}")
            for i, _, _, b3 in live
            if i not in always_found
        }
    )
    always = [texts[i] for i, _, _, _ in live if i in always_found]
    not_ever = [texts[i] for i, _, _, _ in live if i in never_found]
    candidates = [r for r in rules if r.name not in dead]
    covered = never_all(
        {r.name: (_uncovered(encoder, r, fired), f"rule {r.name} redundant") for r in candidates}
    )
    redundant = [r.name for r in candidates if r.name in covered]
    return DeadReport(
        bound_of(k, as_of),
        tuple(never_fire),
        tuple(unreachable),
        tuple(dict.fromkeys(always)),
        tuple(dict.fromkeys(not_ever)),
        tuple(redundant),
        tuple(unknown),
    )


def _parts(encoder: Encoder, rule: c.Rule) -> list[tuple[c.Expr, Any]]:
    """Each condition written in the rule (outside `any`/`all`), encoded with the rule's
    variables bound to the first element of a known list."""
    env: Env = {}
    guard = []
    for name in rule.binders:
        coll = encoder.collection(encoder.policy.schema.binders[name].fields)
        if not coll.slots:
            return []
        env[name] = coll.slots[0]
        guard.append(coll.present(0))
    found: list[tuple[c.Expr, Any]] = []
    stack: list[c.Expr] = [rule.when, *rule.unless]
    while stack:
        expr = stack.pop()
        if isinstance(expr, c.And | c.Or | c.Not):
            stack.extend(c.children(expr))
        if isinstance(expr, c.Fact | c.Const | c.ConstSet | c.ListSet):
            continue
        try:
            b3 = b3_of(encoder.expr(expr, env))
        except Unsupported:
            continue
        # Outside a binding the part is neither true nor false: only bindings count.
        g = and_(guard)
        found.append((expr, B3(or_(not_(g), b3.t), and_(g, b3.f))))
    return found


def _uncovered(encoder: Encoder, rule: c.Rule, fired: dict[str, Z]) -> Z:
    """The rule fires, and some code it gives no other rule that fires gives."""
    others = [r for r in encoder.policy.rules if r.name != rule.name]
    missing = []
    for effect in rule.effects:
        outcome = effect.outcome
        for code in effect.codes if outcome.kind == "set" else effect.codes[:1]:
            givers = [
                fired[r.name]
                for r in others
                for e in r.effects
                if e.outcome.name == outcome.name
                and (
                    code in e.codes
                    if outcome.kind == "set"
                    else outcome.rank(e.codes[0]) >= outcome.rank(code)
                )
            ]
            if outcome.kind == "scale" and outcome.rank(code) == 0:
                continue  # the lowest code is given anyway
            missing.append(not_(or_(givers)))
    return and_(fired[rule.name], or_(missing))


def render(report: DeadReport) -> str:
    """The report for a terminal, with the bound it holds within."""
    lines = [f"Within the bound: {report.bound.describe()}."]

    def section(title: str, items: list[str]) -> None:
        lines.append(f"{title}: {'none' if not items else ''}".rstrip())
        lines.extend(f"  {item}" for item in items)

    section("Rules that never fire", list(report.never_fire))
    section("Codes no case reaches", [f"{o} {c}" for o, c in report.unreachable])
    section("Conditions always true", [f"{r}: {t}" for r, t in report.always_true])
    section("Conditions never true", [f"{r}: {t}" for r, t in report.never_true])
    section("Rules made redundant by others", list(report.redundant))
    if report.unknown:
        section("Not decided", [f"{w}: {r}" for w, r in report.unknown])
    return "\n".join(lines) + "\n"
