"""Decisions from the fast path share nothing but what is the same for every case (issue 16).

The decision's assembly keeps, per program, what the same rules firing and waiting lead
to (outcomes, possible outcomes, the headline's reach), a question's text for the same
values, and a decision's sources for the same codes (bounded memos): each decision is
given outcomes, questions and sources of its own. These tests decide cases one after
another through one policy, as a batch does, and hold each decision to the traced
evaluation's (which keeps none of it); and change a decision in every place a caller
can, then decide again.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval.decision import Decision
from kspolicy.eval.runtime import run

from .generated import generated_cases
from .helpers import traced_program
from .strategies import forget, full_cases

DAYS = (dt.date(2024, 1, 1), dt.date(2026, 1, 15))


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def traced(policy: kspolicy.Policy, case: Any, day: dt.date, lang: str) -> Decision:
    facts, _ = policy.read_case(case)
    return run(traced_program(policy), facts, day, lang, False)


def test_decisions_made_one_after_another_are_each_the_traced_one(pack: kspolicy.Policy) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        day = data.draw(st.sampled_from(DAYS))
        lang = data.draw(st.sampled_from(pack.languages))
        rates = data.draw(st.lists(st.sampled_from([0.0, 0.3, 0.6, 0.9]), min_size=2, max_size=4))
        for rate in rates:  # one policy, its memos filled by the cases before
            case = data.draw(forget(data.draw(full_cases(pack.schema)), rate))
            fast = pack.evaluate(case, as_of=day, lang=lang)
            assert fast.to_json("full") == traced(pack, case, day, lang).to_json("full")

    check()


def _change_everything(decision: Decision) -> None:
    """Everything a caller can change in a decision, changed."""
    for values in (decision.outcomes, decision.possible):
        for name, value in list(values.items()):
            if isinstance(value, list):
                value.append("changed")
            values[name] = value
        values["changed"] = "changed"
    for result in decision.fired + decision.pending:
        result.cite.append("changed")
        result.binding["changed"] = 1
        result.facts["changed"] = 1
        result.unknown.append("changed")
        for value in result.outcomes.values():
            if isinstance(value, list):
                value.append("changed")
        result.outcomes["changed"] = "changed"
    for question in decision.open_questions:
        question.rules.append("changed")
    for by_code in decision.sources.values():
        for entries in by_code.values():
            for entry in entries:
                for value in entry.values():
                    if isinstance(value, list):
                        value.append("changed")
                entry["changed"] = "changed"
            entries.append({"changed": "changed"})
        by_code["changed"] = []
    for reference in decision.references.values():
        reference["changed"] = "changed"


def test_a_decision_changed_by_its_caller_changes_no_later_decision(
    pack: kspolicy.Policy,
) -> None:
    day = dt.date(2026, 1, 15)
    cases = list(generated_cases(pack.schema, 12, seed=1620))
    expected = [traced(pack, case, day, "en").to_json("full") for case in cases]
    assert any(traced(pack, case, day, "en").sources for case in cases)
    for _ in range(2):  # the second time round, every memo is filled
        for case, want in zip(cases, expected, strict=True):
            decision = pack.evaluate(case, as_of=day)
            assert decision.to_json("full") == want
            _change_everything(decision)
            assert pack.evaluate(case, as_of=day).to_json("full") == want


def test_a_decision_s_references_changed_by_its_caller_change_no_later_decision() -> None:
    """An entry's lists (the contact point's `other`) were handed out as the list file's
    own: a caller appending to one saw it in every later decision (found by a review)."""
    pack = kspolicy.load()
    first = pack.evaluate({"institution": "VUB"}, as_of="2025-06-01")
    before = json.loads(first.to_json("full"))["references"]
    first.references["contact_point"]["other"].append("INJECTED")
    later = pack.evaluate({"institution": "VUB"}, as_of="2025-06-01")
    assert json.loads(later.to_json("full"))["references"] == before
