"""`kspolicy prove --dead`: rules that never fire, codes no case reaches, conditions always
or never true, rules made redundant by others (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import fixture_policy

pytest.importorskip("z3")

from kspolicy.prove import dead  # noqa: E402
from kspolicy.tools.cli import main  # noqa: E402

BODY = """
rule risk_partner
  when partner.country in RISK
  then verdict >= notify
       obligations += report

rule impossible
  when partner.kind == company and partner.kind == university
  then verdict >= prohibited
       obligations += clearance

rule told_or_not
  when partner.military_ties is known or partner.military_ties is unknown
  then obligations += report

rule again
  when partner.country in RISK and partner.military_ties
  then verdict >= notify
"""


def test_dead_rules_unreachable_codes_constant_conditions_and_redundant_rules(
    tmp_path: Path,
) -> None:
    report = dead.analyse(fixture_policy(tmp_path, BODY))
    assert report.never_fire == ("impossible",)
    assert set(report.unreachable) == {
        ("verdict", "review"), ("verdict", "prohibited"), ("obligations", "licence"),
        ("obligations", "clearance"),
    }  # fmt: skip
    assert (
        "told_or_not",
        "partner.military_ties is known or partner.military_ties is unknown",
    ) in report.always_true
    # `again` gives nothing `risk_partner` does not give whenever it fires.
    assert report.redundant == ("again",)
    assert report.unknown == ()
    assert report.bound.k == 3


def test_kspolicy_prove_dead_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture_policy(tmp_path, BODY)
    assert main(["prove", "--dead", str(tmp_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["never_fire"] == ["impossible"] and data["bound"]["k"] == 3
