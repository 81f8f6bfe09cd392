"""The compact form written straight from the findings (`Policy.compact_decision`) is
the compact form of the decision (`evaluate(...).to_dict()`), byte for byte (issue 16).

A batch writes one compact line per case; `compact_decision` makes it without the
decision's rule results, question texts or sources, which the compact form leaves out.
Both go through `decision.compact_rows`, and the outcomes, possible outcomes, open
questions and headline come from the same assembly (`runtime._conclude`); these tests
hold them to the same bytes on drawn cases of the pack, in each of its languages and on
several dates, and to the same errors.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval.facts import Facts
from kspolicy.eval.runtime import Env, _concluded
from kspolicy.eval.summary import headline_of

from .conftest import ROOT
from .strategies import forget, full_cases

DAYS = (dt.date(2024, 1, 1), dt.date(2026, 1, 15), dt.date(2031, 6, 30))


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def _line(data: dict[str, Any]) -> str:
    return json.dumps({"line": 1, "decision": data}, ensure_ascii=False, separators=(",", ":"))


def test_the_compact_line_written_directly_is_the_decisions_compact_line(
    pack: kspolicy.Policy,
) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        rate = data.draw(st.sampled_from([0.0, 0.3, 0.6, 0.9]))
        case = data.draw(forget(data.draw(full_cases(pack.schema)), rate))
        day = data.draw(st.sampled_from(DAYS))
        lang = data.draw(st.sampled_from(pack.languages))
        decision = pack.evaluate(case, as_of=day, lang=lang)
        direct = pack.compact_decision(case, as_of=day, lang=lang)
        assert _line(direct) == _line(decision.to_dict())

    check()


def test_the_compact_line_written_directly_on_the_benchmarks_cases(pack: kspolicy.Policy) -> None:
    """The seeded cases of bench_batch (~40 pending rules, ~13 open questions each)."""
    from .generated import generated_cases

    pending = 0
    for case in generated_cases(pack.schema, 60, seed=1617):
        direct = pack.compact_decision(case, as_of="2026-01-15")
        assert _line(direct) == _line(pack.evaluate(case, as_of="2026-01-15").to_dict())
        pending += len(direct["pending"])
    assert pending > 60 * 10


def test_a_screened_name_keeps_its_matches_in_the_compact_line_written_directly() -> None:
    screening = kspolicy.load(ROOT / "examples" / "policies" / "screening")
    matched = 0
    for path in sorted((ROOT / "examples" / "policies" / "screening" / "cases").glob("*.toml")):
        direct = screening.compact_decision(path)
        assert _line(direct) == _line(screening.evaluate(path).to_dict())
        matched += len(direct["matched"])
    assert matched


def test_a_bad_case_is_refused_alike_by_the_compact_line_written_directly(
    pack: kspolicy.Policy,
) -> None:
    bad: dict[str, Any] = {"project": {"trl": "high"}, "partners": "none"}
    with pytest.raises(kspolicy.CaseError) as decided:
        pack.evaluate(bad)
    with pytest.raises(kspolicy.CaseError) as direct:
        pack.compact_decision(bad)
    assert direct.value.problems == decided.value.problems
    with pytest.raises(kspolicy.ArgumentError, match="language 'xx'"):
        pack.compact_decision({}, lang="xx")


def test_the_headline_reckoned_by_code_is_the_headline_reckoned_by_rule(
    pack: kspolicy.Policy,
) -> None:
    """`_possible` finds the rules that could raise the headline by code; `headline_of`
    without them finds them rule by rule, as before: the same headline."""
    from .generated import generated_cases

    program = pack._program
    day = dt.date(2026, 1, 15)
    provisional = 0
    for case in generated_cases(pack.schema, 40, seed=1618):
        facts = Facts(pack.read_case(case)[0])
        concluded = _concluded(program, facts, Env(facts, day, False), day, "en")
        pending = pack.evaluate(case, as_of=day).pending  # rule results: with their effects
        by_rule = headline_of(pack.checked, concluded.outcomes, pending, concluded.questions)
        assert concluded.headline == by_rule
        provisional += bool(by_rule is not None and by_rule.provisional)
    assert provisional
