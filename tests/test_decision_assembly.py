"""The decision's assembly made cheaper, the decision the same (issue 16).

Rule results and open questions are made by storing their attributes straight into the
instance (`runtime._rule_results`, `decision.open_question`), not by calling the class;
an element's fact paths are made once per element and kept (`fastpath._paths`); a codes
list's match is made once and shared; the possible outcomes are reckoned on bit masks;
`check_bindings` measures each combination of collections once. Each must give what the
slow way gives: the objects the class makes, the paths the traced evaluation names, the
first rule over the limit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

import kspolicy
from kspolicy.diagnostics import CaseError
from kspolicy.eval.decision import Decision, OpenQuestion, RuleResult, open_question
from kspolicy.eval.runtime import run
from kspolicy.limits import Limits

from .generated import generated_cases
from .helpers import traced_program

DAY = dt.date(2026, 1, 15)


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def traced(policy: kspolicy.Policy, case: Any) -> Decision:
    facts, _ = policy.read_case(case)
    return run(traced_program(policy), facts, DAY, "en", False)


def test_rule_results_made_by_the_assembly_are_what_the_class_makes(
    pack: kspolicy.Policy,
) -> None:
    decisions = [pack.evaluate(case, as_of=DAY) for case in generated_cases(pack.schema, 20)]
    results = [r for d in decisions for r in (*d.fired, *d.pending)]
    assert results
    for result in results:
        made = RuleResult(**{f.name: getattr(result, f.name) for f in attrs.fields(RuleResult)})
        assert made == result and result == made
        assert repr(made) == repr(result)
        assert attrs.asdict(made) == attrs.asdict(result)
        assert attrs.evolve(result, rule="other").rule == "other"
        assert attrs.evolve(result) == result
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            result.rule = "changed"  # type: ignore[misc]
        assert sorted(vars(result)) == sorted(f.name for f in attrs.fields(RuleResult))


def test_open_questions_made_by_the_assembly_are_what_the_class_makes() -> None:
    made = open_question("partners[0].country", "Which country?", ["rule_a"])
    assert made == OpenQuestion("partners[0].country", "Which country?", ["rule_a"])
    assert repr(made) == repr(OpenQuestion("partners[0].country", "Which country?", ["rule_a"]))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made.fact = "other"  # type: ignore[misc]
    assert attrs.evolve(made, rules=[]).rules == []


def test_elements_past_the_kept_paths_are_named_as_the_traced_evaluation_names_them(
    pack: kspolicy.Policy,
) -> None:
    """`_paths` keeps the paths of the first 256 elements of a collection; past them it
    makes them per case: partner 299's facts are named `partners[299]...` all the same,
    and a collection's elements beyond the first case's are named right in the next."""
    partners = [{"name": f"Partner {i}", "country": "BE"} for i in range(300)]
    partners[299] = {"name": "Partner 299", "kind": "military"}  # country unknown
    for count in (3, 300, 290):
        case = {"partners": partners[-count:]}
        fast = pack.evaluate(case, as_of=DAY)
        assert fast.to_json("full") == traced(pack, case).to_json("full")
        assert f"partners[{count - 1}].country" in {q.fact for q in fast.open_questions}


def test_a_case_over_the_limit_names_the_first_rule_over_it() -> None:
    """Measured by combination of collections first: the error still names the first
    rule (in the policy's order) whose bindings are over the limit, not a rule of the
    first combination measured."""
    policy = kspolicy.load(limits=Limits(max_bindings=50))
    first_funder_rule = next(r.name for r in policy.checked.rules if r.binders == ("funder",))
    ten = [{"country": "BE"} for _ in range(10)]
    assert policy.evaluate({"partners": ten, "funders": ten}, as_of=DAY)
    with pytest.raises(CaseError) as raised:
        policy.evaluate({"partners": ten, "funders": ten * 6}, as_of=DAY)
    assert f"rule `{first_funder_rule}`" in str(raised.value)
    assert "funders (60)" in str(raised.value)
