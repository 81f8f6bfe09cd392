"""The certain and possible outcomes reckoned by code (`runtime._outcomes`, issue 16) are
the outcomes reckoned rule by rule, as docs/language.md says they combine.

`_outcomes` keeps, per rule, the codes it reaches as one integer, and reckons a case's
outcomes from an `|` of those of the rules that fired and an `&` with what the pending
ones reach: these tests hold that to the plain reading of the rule results (a scale's
highest code reached, a set's union; possible: a scale's highest code a pending rule
reaches above the certain one, a set's codes a pending rule holds that it does not).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import kspolicy
from kspolicy.eval.decision import Decision, OutcomeValues, RuleResult

from .conftest import ROOT
from .generated import generated_cases

DAY = dt.date(2026, 1, 15)


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def rule_by_rule(
    policy: kspolicy.Policy, fired: list[RuleResult], pending: list[RuleResult]
) -> tuple[OutcomeValues, OutcomeValues]:
    """The certain and possible outcomes (scales and sets) read from the rule results."""
    certain: OutcomeValues = {}
    possible: OutcomeValues = {}
    for name, outcome in policy.checked.outcomes.items():
        codes = list(outcome.enum.codes)
        reached = [r.outcomes[name] for r in fired if name in r.outcomes]
        waiting = [r.outcomes[name] for r in pending if name in r.outcomes]
        if outcome.kind == "scale":
            top = max((codes.index(str(v)) for v in reached), default=0)
            certain[name] = codes[top]
            above = [codes.index(str(v)) for v in waiting if codes.index(str(v)) > top]
            if above:
                possible[name] = codes[max(above)]
        elif outcome.kind == "set":
            held = {code for value in reached for code in value}
            could = {code for value in waiting for code in value} - held
            certain[name] = [code for code in codes if code in held]
            if could:
                possible[name] = [code for code in codes if code in could]
    return certain, possible


def _scales_and_sets(policy: kspolicy.Policy, decision: Decision) -> OutcomeValues:
    kinds = {name: o.kind for name, o in policy.checked.outcomes.items()}
    return {k: v for k, v in decision.outcomes.items() if kinds[k] != "entry"}


def _check(policy: kspolicy.Policy, cases: list[Any]) -> int:
    raised = 0
    for case in cases:
        decision = policy.evaluate(case, as_of=DAY)
        certain, possible = rule_by_rule(policy, decision.fired, decision.pending)
        assert _scales_and_sets(policy, decision) == certain
        assert decision.possible == possible
        raised += bool(possible)
    return raised


def test_outcomes_reckoned_by_code_are_the_outcomes_rule_by_rule(pack: kspolicy.Policy) -> None:
    cases = list(generated_cases(pack.schema, 150, seed=1619))
    assert _check(pack, cases) > 100  # most cases leave outcomes to pending rules


def test_outcomes_by_code_on_the_screening_example() -> None:
    folder = ROOT / "examples" / "policies" / "screening"
    policy = kspolicy.load(folder)
    cases = [*sorted((folder / "cases").glob("*.toml")), *generated_cases(policy.schema, 30)]
    assert _check(policy, cases)
