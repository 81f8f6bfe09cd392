"""The knowledge-security pack screens names: the reproducers of issue 14, and the
sanctions computed from a partner's name and country when the case does not state them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy.lang.loader import default_policy_path

DAY = "2026-02-01"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def fired(decision: Any) -> set[str]:
    return {r.rule for r in decision.fired}


def test_bit_in_india_and_heu_in_france_are_not_seven_sons(pack: kspolicy.Policy) -> None:
    for name, country in (("BIT", "IN"), ("HEU", "FR")):
        case = {"project": {"programme": "FWO"}, "partners": [{"name": name, "country": country}]}
        decision = pack.evaluate(case, as_of=DAY)
        assert "seven_sons_fwo" not in fired(decision)
        assert "seven_sons_fwo" not in {r.rule for r in decision.pending}
    in_china = {"project": {"programme": "FWO"}, "partners": [{"name": "BIT", "country": "CN"}]}
    assert "seven_sons_fwo" in fired(pack.evaluate(in_china, as_of=DAY))


@pytest.mark.parametrize(
    ("name", "rule", "project"),
    [
        (
            "Beijing University of Aeronautics & Astronautics",
            "seven_sons_fwo",
            {"programme": "FWO"},
        ),
        ("Harbin Institute of Technology, Shenzhen", "seven_sons_fwo", {"programme": "FWO"}),
        (
            "ZTE Deutschland GmbH",
            "horizon_innovation_action_excluded_entity",
            {"programme": "HORIZON_EUROPE", "action_type": "IA"},
        ),
    ],
)
def test_names_exact_folding_missed_are_found(
    pack: kspolicy.Policy, name: str, rule: str, project: dict[str, Any]
) -> None:
    decision = pack.evaluate({"project": project, "partners": [{"name": name}]}, as_of=DAY)
    assert rule in fired(decision)
    match = next(m for r in decision.fired if r.rule == rule for m in r.matched if m.band)
    assert match.band == "match" and match.score is not None and match.evidence


FRESH = """\
[SANCTIONED_PARTIES]
kind = "entities"
title = "test list"
source = "made for the test"
retrieved = 2026-01-25
max_age = "14d"
entries = [
  { name = "Example State Technical University", countries = ["RU"] },
]
"""


@pytest.fixture
def imported(tmp_path: Path) -> kspolicy.Policy:
    """The pack with a sanctions list imported (fresh on DAY)."""
    folder = tmp_path / "pack"
    shutil.copytree(default_policy_path(), folder)
    (folder / "lists" / "sanctions-screening.toml").write_text(FRESH, encoding="utf-8")
    return kspolicy.load(folder)


def test_sanctions_are_computed_from_name_and_country_when_the_case_does_not_state_them(
    imported: kspolicy.Policy, pack: kspolicy.Policy
) -> None:
    listed = {"partners": [{"name": "Example State Technical Univ.", "country": "RU"}]}
    decision = imported.evaluate(listed, as_of=DAY)
    assert "partner_under_binding_sanctions" in fired(decision)
    assert "sanctioned_party" in decision.outcomes["restrictions"]
    clean = {"partners": [{"name": "Ghent University", "country": "BE"}]}
    assert "partner_under_binding_sanctions" not in fired(imported.evaluate(clean, as_of=DAY))
    computed = imported.evaluate(clean, as_of=DAY)
    assert "partner_under_binding_sanctions" not in {r.rule for r in computed.pending}
    # the pack's placeholder is out of date: not covered, an open question, never clean
    placeholder = pack.evaluate(clean, as_of=DAY)
    assert "partner_under_binding_sanctions" in {r.rule for r in placeholder.pending}
    facts = {q.fact for q in placeholder.open_questions}
    assert {"partners[0].name matches SANCTIONED_PARTIES", "partners[0].sanctions"} <= facts
    # once the list is out of date, it is not covered again
    stale = imported.evaluate(clean, as_of="2026-03-01")
    assert "partner_under_binding_sanctions" in {r.rule for r in stale.pending}


def test_a_stated_fact_counts_and_a_contradiction_is_flagged(imported: kspolicy.Policy) -> None:
    """A stated sanction counts without the list; a name the list certainly names counts
    whatever the case states (stating `sanctions = []` must never lower a decision:
    principle 1, proved by policies/knowledge-security/properties/1-monotone.toml), and
    the contradiction is flagged for the contact point."""
    stated = {"partners": [{"name": "Ghent University", "country": "BE", "sanctions": ["EU"]}]}
    assert "partner_under_binding_sanctions" in fired(imported.evaluate(stated, as_of=DAY))
    contradicted = {"partners": [{"name": "Example State Technical University", "sanctions": []}]}
    decision = imported.evaluate(contradicted, as_of=DAY)
    assert "partner_sanctions_contradict_list" in fired(decision)
    assert "partner_under_binding_sanctions" in fired(decision)  # the list decides
    assert decision.outcomes["verdict"] == "prohibited"
