"""`kspolicy prove OLD NEW`: deliberate edits of the pack, each said stricter or looser,
each counterexample reproduced by the engine from its case file (issue 19)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import kspolicy

from .conftest import ROOT

pytest.importorskip("z3")

from kspolicy.prove import compare  # noqa: E402
from kspolicy.prove.command import case_toml  # noqa: E402
from kspolicy.tools.cli import main  # noqa: E402

PACK = ROOT / "policies" / "knowledge-security"

CV_GAPS = '  cite "case.1"\n  when researcher.cv_gaps\n'
RISK_PARTNER = "  when partner.country in RISK_COUNTRIES\n  then risk >= medium"
FUNDER_RISK = "  when funder.country in RISK_COUNTRIES\n"
MILITARY = "  when project.military_end_use or project.programme in {EDF, DEFRA, RMA}\n"
IMAGES = '  then checks += participant_safety\n       mitigations += research_design_adjustment\n  because en "Do you need'

# (name, file, old text, new text, the verdicts expected of the outcomes the edit touches)
EDITS: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("threshold raised", "rules/topic.pol", "project.trl >= 3 and", "project.trl >= 5 and",
     {"mitigations": "looser", "risk": "looser", "verdict": "equivalent"}),
    ("threshold lowered", "rules/topic.pol", "project.trl >= 3 and", "project.trl >= 2 and",
     {"mitigations": "stricter", "verdict": "equivalent"}),
    ("list entry removed", "lists/countries.toml", '"CN", "IR", "IL",', '"IR", "IL",',
     {"checks": "looser", "risk": "looser"}),
    ("list entry added", "lists/countries.toml", '"CN", "IR", "IL",', '"CN", "FR", "IR", "IL",',
     {"checks": "stricter", "risk": "stricter"}),
    ("rule dropped", "rules/researcher.pol", "rule researcher_cv_gaps\n", "",
     {"checks": "looser", "risk": "looser", "verdict": "equivalent"}),
    ("scale effect weakened", "rules/partner.pol",
     "  when partner.country in SANCTIONED_COUNTRIES\n  then verdict >= notify\n       risk >= high",
     "  when partner.country in SANCTIONED_COUNTRIES\n  then verdict >= notify\n       risk >= medium",
     {"risk": "looser", "verdict": "equivalent"}),
    ("scale effect strengthened", "rules/country.pol", RISK_PARTNER,
     RISK_PARTNER.replace("medium", "high"), {"risk": "stricter", "verdict": "equivalent"}),
    ("condition negated", "rules/researcher.pol", CV_GAPS,
     CV_GAPS.replace("when researcher", "when not researcher"),
     {"checks": "incomparable", "risk": "incomparable"}),
    ("is unknown added", "rules/researcher.pol", CV_GAPS,
     CV_GAPS.replace("cv_gaps\n", "cv_gaps or researcher.cv_gaps is unknown\n"),
     {"checks": "stricter", "risk": "stricter", "verdict": "equivalent"}),
    ("conjunct dropped", "rules/funder.pol",
     "  when funder.repressive_on_topic and interference_topic\n",
     "  when funder.repressive_on_topic\n", {"verdict": "stricter", "obligations": "stricter"}),
    ("conjunct added", "rules/partner.pol", "  when partner.human_rights_concerns\n",
     "  when partner.human_rights_concerns and partner.kind == company\n",
     {"verdict": "looser", "checks": "looser"}),
    ("and made or", "rules/fieldwork.pol",
     "when fieldwork.photo_video and fieldwork.human_participants",
     "when fieldwork.photo_video or fieldwork.human_participants",
     {"checks": "stricter", "mitigations": "stricter", "verdict": "equivalent"}),
    ("set effect dropped", "rules/fieldwork.pol", IMAGES,
     IMAGES.replace("\n       mitigations += research_design_adjustment", ""),
     {"mitigations": "looser", "checks": "equivalent"}),
    ("set effect added", "rules/researcher.pol", "  then risk >= medium\n       checks += cv_screening\n",
     "  then risk >= medium\n       checks += cv_screening\n       obligations += ip_agreement\n",
     {"obligations": "stricter", "checks": "equivalent"}),
    ("unless added", "rules/country.pol", FUNDER_RISK,
     FUNDER_RISK + "  unless funder.kind == eu\n", {"checks": "looser"}),
    ("scale code raised", "rules/military.pol", MILITARY + "  then verdict >= notify",
     MILITARY + "  then verdict >= review", {"verdict": "stricter"}),
    ("set literal narrowed", "rules/military.pol", "{EDF, DEFRA, RMA}", "{EDF, DEFRA}",
     {"verdict": "looser"}),
    ("set literal widened", "rules/partner.pol", "partner.information in {little, none}",
     "partner.information in {little, none, ample}", {"checks": "stricter"}),
    ("period added", "rules/researcher.pol", CV_GAPS,
     CV_GAPS.replace("  when", "  valid from 2000-01-01 until 2024-12-31\n  when"),
     {"checks": "looser", "verdict": "equivalent"}),
    ("definition narrowed", "rules/elements.pol", "= project.dual_use in {listed, possible}",
     "= project.dual_use in {listed}", {"verdict": "looser"}),
]  # fmt: skip


def edit(tmp_path: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / "edited"
    shutil.copytree(PACK, copy)
    path = copy / file
    text = path.read_text(encoding="utf-8")
    if old.startswith("rule ") and not new:  # drop the whole rule, up to the next
        text, count = re.subn(re.escape(old) + r"(?s:.*?)(?=\nrule |\Z)", "", text)
    else:
        count = text.count(old)
        text = text.replace(old, new)
    assert count == 1, old
    path.write_text(text, encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load(PACK)


def reproduced(
    tmp_path: Path, old: kspolicy.Policy, new: kspolicy.Policy, name: str, example: Any
) -> bool:
    """The counterexample written as a case file, decided again by both versions."""
    file = tmp_path / f"{name}-{example.direction}.toml"
    file.write_text(case_toml(example.case, example.as_of, "counterexample"), encoding="utf-8")
    before, after = old.evaluate(file).outcomes[name], new.evaluate(file).outcomes[name]
    assert (before, after) == (example.old, example.new)
    return compare.differs(old.checked.outcomes[name], before, after, example.direction)


@pytest.mark.parametrize(
    ("edit_name", "file", "old", "new", "expected"), EDITS, ids=[e[0] for e in EDITS]
)
def test_twenty_edits_of_the_pack_are_said_stricter_or_looser(
    tmp_path: Path,
    pack: kspolicy.Policy,
    edit_name: str,
    file: str,
    old: str,
    new: str,
    expected: dict[str, str],
) -> None:
    edited = kspolicy.load(edit(tmp_path, file, old, new))
    result = compare.compare(pack, edited)
    verdicts = {name: r.verdict for name, r in result.outcomes.items()}
    assert {name: verdicts[name] for name in expected} == expected, verdicts
    assert "unknown" not in verdicts.values(), result.outcomes
    for name, outcome in result.outcomes.items():
        wanted = {
            "equivalent": set(),
            "stricter": {"up"},
            "looser": {"down"},
            "incomparable": {"up", "down"},
        }[outcome.verdict]
        if outcome.verdict == "incomparable" and name == "contact_point":
            wanted = {"changed"}
        assert {x.direction for x in outcome.counterexamples} == wanted, name
        for example in outcome.counterexamples:
            assert reproduced(tmp_path, pack, edited, name, example), (name, example)


def test_a_formatting_only_change_is_proved_equivalent(
    tmp_path: Path, pack: kspolicy.Policy
) -> None:
    edited = edit(
        tmp_path,
        "rules/topic.pol",
        "  when project.trl >= 3 and (critical_topic or dual_use_item)\n",
        "  when (project.trl >= 3)\n"
        "       # a comment, and the same condition laid out otherwise\n"
        "       and (critical_topic\n            or dual_use_item)\n",
    )
    result = compare.compare(pack, kspolicy.load(edited))
    assert {r.verdict for r in result.outcomes.values()} == {"equivalent"}
    assert result.bound.k == 3


def test_kspolicy_prove_writes_counterexamples_that_kspolicy_eval_reproduces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = edit(tmp_path, *EDITS[0][1:4])
    folder = tmp_path / "counterexamples"
    args = ["prove", str(PACK), str(edited), "--format", "json", "--counterexamples", str(folder)]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["outcomes"]["risk"] == "looser" and data["outcomes"]["verdict"] == "equivalent"
    assert data["bound"]["k"] == 3
    risk = folder / "risk-down.toml"
    assert sorted(p.name for p in folder.iterdir()) == ["mitigations-down.toml", "risk-down.toml"]
    for policy, wanted in ((PACK, "medium"), (edited, "low")):
        assert main(["eval", str(risk), "--policy", str(policy), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["outcomes"]["risk"] == wanted
    assert main(["prove", str(PACK), str(edited)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Within the bound: for every case with at most 3 elements")
    assert "  risk: looser" in text


def test_kspolicy_prove_without_two_policies_says_what_to_give(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["prove", str(PACK)]) == 2
    assert "give OLD and NEW" in capsys.readouterr().err
