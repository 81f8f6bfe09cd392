"""The findings function with fewer locals and fewer containers per finding (issue 16,
session 10) finds what it found before.

What changed, each reached by a case here and checked against the traced evaluation
and the oracle (`the_three_agree`): a support collected once per case and used in one
place is written out there; a finding's first such support is copied; every finding
collects into the same three locals, and a junction's deciding part, a quantifier's
element and a known test's collections into locals by depth; a finding's unknown facts
go straight into the list it holds (each once); constants are written where they are
used; `x is known` of a fact is one store.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import kspolicy

from .helpers import fast_path
from .test_fastpath_decisions import the_three_agree
from .test_fastpath_findings_cheap import fixture_policy

AS_OF = dt.date(2026, 1, 15)


def findings_locals(policy: kspolicy.Policy) -> int:
    """How many locals the findings function of a policy has (for AS_OF)."""
    finder = fast_path(policy).finder(AS_OF)
    closure = finder.__closure__ or ()
    [generated] = [
        cell.cell_contents for cell in closure if hasattr(cell.cell_contents, "__code__")
    ]
    return int(generated.__code__.co_nlocals)


def test_a_support_run_inside_another_keeps_the_part_that_decided_it(tmp_path: Path) -> None:
    """`robotic` (a loop over the topics) is collected once per case: first needed here
    inside the support of rule b's `or`, after that `or` chose which parts to name. The
    loop's element locals are not the `or`'s: every part of the pending `or` is named
    (with three topics, a shared local would have said part 2 alone)."""
    body = (
        'define robotic = any t in project.topics: t == "robotics"\n'
        'rule a cite "x" when robotic and partner.country in RISK '
        'then verdict >= notify because "b"\n'
        'rule b cite "x" when (robotic or project.shares_outside_eu or project.trl >= 4) '
        'and partner.military_ties then verdict >= review because "b"\n'
    )
    policy = fixture_policy(tmp_path, body)
    topics = ["history", "history", "history"]
    partner = {"name": "A", "country": "BE", "military_ties": True}
    for case in (
        {"project": {"topics": topics}, "partners": [partner]},
        {"project": {"topics": topics}, "partners": [{**partner, "country": "CN"}, partner]},
        {"project": {"topics": ["robotics.drones", *topics]}, "partners": [partner]},
    ):
        decision = the_three_agree(policy, case)
        for b in [r for r in decision.pending if r.rule == "b"]:
            assert b.unknown == ["project.shares_outside_eu", "project.trl"]
            assert "project.topics[2]" in b.facts


def test_a_support_used_in_one_place_or_several_names_the_same_facts(tmp_path: Path) -> None:
    """A condition reading no implicit variable, used by one rule (written out where it
    is used, its deciding part known there) and by several (collected once, copied into
    each finding that begins with it), with unknown facts and entries matched."""
    body = (
        'define risky = project.programme == "FWO" or any t in project.topics: t in TOPICS\n'
        'rule once cite "x" when (project.trl >= 4 or project.shares_outside_eu) '
        'and project.programme != "BOF" then verdict >= notify because "b"\n'
        'rule first cite "x" when risky and partner.country in RISK '
        'then verdict >= review because "b"\n'
        'rule second cite "x" when risky and partner.military_ties '
        'then verdict >= review because "b"\n'
        'rule third cite "x" when partner.kind == "company" and risky '
        'then verdict >= notify because "b"\n'
    )
    policy = fixture_policy(tmp_path, body)
    partners: list[dict[str, Any]] = [
        {"name": "A", "country": "CN", "kind": "company"},
        {"name": "B", "military_ties": True},
    ]
    for project in (
        {},
        {"trl": 5, "programme": "FWO"},
        {"topics": ["robotics.drones", "history"], "shares_outside_eu": True},
        {"topics": ["history"], "programme": "OTHER", "trl": 2, "shares_outside_eu": False},
    ):
        decision = the_three_agree(policy, {"project": project, "partners": partners})
        for result in decision.fired + decision.pending:
            assert len(result.unknown) == len(set(result.unknown))


def test_an_unknown_fact_read_in_several_parts_waits_once_in_order(tmp_path: Path) -> None:
    """The same unknown facts named by several parts of one rule (its own parts, a
    support collected once, a name screened): each once in the finding, where it came
    first, as the traced evaluation names them."""
    body = (
        'rule r cite "x" when (partner.country in RISK or partner.country != "BE") '
        "and (partner.name matches SEVEN_SONS or partner.military_ties) "
        "and (project.trl >= 4 or partner.military_ties or project.trl <= 2) "
        'then verdict >= review because "b"\n'
        'rule s cite "x" when project.trl >= 4 and (project.trl <= 8 or partner.military_ties) '
        'and partner.country in RISK then verdict >= notify because "b"\n'
    )
    policy = fixture_policy(tmp_path, body)
    decision = the_three_agree(policy, {"partners": [{}]})
    [r] = [x for x in decision.pending if x.rule == "r"]
    assert r.unknown == [
        "partners[0].country",
        "partners[0].name",
        "partners[0].military_ties",
        "project.trl",
    ]
    for partners in ([{"name": "HIT"}], [{"country": "CN", "name": "Nobody"}], []):
        the_three_agree(policy, {"partners": partners, "project": {"trl": 9}})


def test_a_known_test_names_its_fact_known_or_not(tmp_path: Path) -> None:
    """`x is known` of a fact (a list too, whose JSON is made), unknown or not, and of a
    constant (known now: no test of it is written, Python would warn of `is` with a
    literal), alone and in a rule with an `unless`."""
    body = (
        'rule a cite "x" when "x" is known and project.trl >= 4 '
        'then verdict >= notify because "b"\n'
        'rule b cite "x" when project.topics is known or project.trl is unknown '
        'then verdict >= notify because "b"\n'
        'rule c cite "x" when partner.owners is known and partner.owners is unknown '
        'then verdict >= review because "b"\n'
        'rule d cite "x" when project.trl is unknown unless project.topics is known '
        'then verdict >= review because "b"\n'
    )
    policy = fixture_policy(tmp_path, body)
    for case in (
        {},
        {"project": {"trl": 5, "topics": ["history"]}},
        {"project": {"topics": []}, "partners": [{"owners": ["CN"]}, {}]},
    ):
        the_three_agree(policy, case)


def test_every_finding_collects_into_the_same_locals(tmp_path: Path) -> None:
    """60 rules, each a finding of its own: the findings function has fewer than two
    locals a rule (before, every finding had its own facts and unknown facts, and every
    constant compared a local of its own: over four a rule)."""
    body = "".join(
        f'rule r{n} cite "x" when project.trl >= {n % 9 + 1} and project.programme != "BOF" '
        f"and (project.shares_outside_eu or partner.country in RISK) "
        f'then verdict >= notify because "b"\n'
        for n in range(60)
    )
    policy = fixture_policy(tmp_path, body)
    assert findings_locals(policy) < 2 * 60
    partners = [{"country": "CN"}, {"country": "BE", "name": "X"}]
    for project in ({}, {"trl": 5, "programme": "FWO", "shares_outside_eu": False}):
        the_three_agree(policy, {"project": project, "partners": partners})
