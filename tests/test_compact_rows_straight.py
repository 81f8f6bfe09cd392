"""The compact form's rules written straight from the findings (issue 16, per-line cost).

`compact_rows` writes the compact form's fired and pending rules from rows shaped as
findings (`runner.Finding`): a batch hands it the runner's findings as they are, a
decision its findings while its rule results are unread, else rows of its results. These
tests hold the three to the same bytes, the matches to one number per equal match, and
the headline's `could_become` to the highest code of the rules that could raise it, now
read off the possible outcomes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import kspolicy
from kspolicy.eval.decision import Found, Match, PolicyInfo, compact_rows
from kspolicy.eval.facts import Facts
from kspolicy.eval.runtime import _outcomes, _ranked

from .conftest import ROOT
from .generated import generated_cases

DAY = dt.date(2026, 1, 15)
SCREENING = ROOT / "examples" / "policies" / "screening"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _three_ways(policy: kspolicy.Policy, case: Any) -> tuple[str, str, str]:
    """A case's compact form from its findings straight, from a decision's findings
    (its rules unread) and from a decision's rule results (read first)."""
    straight = policy.compact_decision(case, as_of=DAY)
    unread = policy.evaluate(case, as_of=DAY).to_dict()
    read = policy.evaluate(case, as_of=DAY)
    assert read.fired is not None and read.pending is not None  # results made first
    return _line(straight), _line(unread), _line(read.to_dict())


def test_rows_from_findings_straight_from_a_decision_and_from_its_results_are_one_form(
    pack: kspolicy.Policy,
) -> None:
    rules = 0
    for case in generated_cases(pack.schema, 40, seed=2016):
        straight, unread, read = _three_ways(pack, case)
        assert straight == unread == read
        rules += len(json.loads(straight)["pending"])
    assert rules > 40 * 10  # cases with many pending rules, bindings and unknowns


def test_rows_with_screened_matches_are_one_form_whichever_way_written() -> None:
    screening = kspolicy.load(SCREENING)
    matched = 0
    for path in sorted((SCREENING / "cases").glob("*.toml")):
        straight, unread, read = _three_ways(screening, path)
        assert straight == unread == read
        matched += len(json.loads(straight)["matched"])
    assert matched


def _match(**changed: Any) -> Match:
    fields: dict[str, Any] = {"list": "codes", "entry": "X1", "fact": "a.code", "value": "X1"}
    return Match(**{**fields, **changed})


def _form(fired: list[Found], pending: list[Found]) -> dict[str, Any]:
    info = PolicyInfo("p", "1", "0" * 64, "2026-01-15")
    return compact_rows(info, "en", {}, {}, None, ["r0", "r1"], fired, pending, [], held=False)


def test_equal_matches_that_are_distinct_objects_are_numbered_once() -> None:
    first, again, other = _match(), _match(), _match(entry="X2", value="X2")
    assert first == again and first is not again
    fired: list[Found] = [(0, True, {"p": 0}, {"a.code": "X1"}, [], [first])]
    pending: list[Found] = [(1, None, {}, {"a.code": "X1"}, ["b"], [other, again, first])]
    form = _form(fired, pending)
    assert form["fired"][0]["matched"] == [0]
    assert form["pending"][0]["matched"] == [1, 0, 0]
    assert [m["entry"] for m in form["matched"]] == ["X1", "X2"]
    assert "value" not in form["matched"][0]  # the fact's value, in `facts`
    assert form["matched"][1]["value"] == "X2"


def test_matches_that_differ_only_in_their_adjudication_are_two_entries() -> None:
    judged = _match(band="possible", adjudication="cleared")
    unjudged = _match(band="possible")
    assert judged != unjudged
    rows: list[Found] = [(0, True, {}, {"a.code": "X1"}, [], [judged, unjudged])]
    form = _form(rows, [])
    assert form["fired"][0]["matched"] == [0, 1]
    assert form["matched"] == [
        {
            "list": "codes",
            "entry": "X1",
            "fact": "a.code",
            "alias": None,
            "band": "possible",
            "adjudication": "cleared",
        },
        {"list": "codes", "entry": "X1", "fact": "a.code", "alias": None, "band": "possible"},
    ]


def test_could_become_is_the_highest_code_of_the_rules_that_raise_the_headline(
    pack: kspolicy.Policy,
) -> None:
    program = pack._program
    ranked = _ranked(program)
    headline = pack.checked.headline
    assert headline is not None
    rank = pack.checked.outcomes[headline].rank
    provisional = 0
    for case in generated_cases(pack.schema, 150, seed=2017):
        found = program.runner.findings(Facts(pack.read_case(case)[0]), DAY)
        fired = [f for f in found if f[1] is True]
        pending = [f for f in found if f[1] is not True]
        _, possible, _, raising = _outcomes(ranked, fired, pending)
        decided = pack.compact_decision(case, as_of=DAY).get("headline")
        if raising:
            provisional += 1
            assert possible[headline] == max(raising.values(), key=rank)
            assert decided is not None and decided["could_become"] == possible[headline]
        else:
            assert decided is None or not decided["provisional"]
    assert provisional > 20
