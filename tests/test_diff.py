"""`kspolicy diff OLD NEW`: what an edit of a policy changes, over a corpus (issue 19)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import kspolicy
from kspolicy.tools import diff
from kspolicy.tools.cli import main

from .conftest import ROOT

PACK = ROOT / "policies" / "knowledge-security"
EXAMPLES = ROOT / "examples" / "cases"
DRONES = EXAMPLES / "drone-technology-with-chinese-university.toml"


def edited_pack(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the pack with one edit (which must apply exactly once)."""
    copy = tmp_path / "edited"
    shutil.copytree(PACK, copy)
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load(PACK)


def test_diff_reports_a_moved_threshold_on_the_example_cases(
    tmp_path: Path, pack: kspolicy.Policy
) -> None:
    edited = edited_pack(
        tmp_path, "rules/topic.pol", "project.trl >= 3 and", "project.trl >= 5 and"
    )
    report = diff.diff(pack, kspolicy.load(edited), diff.corpus(EXAMPLES))
    assert report.cases == 13 and not report.unread
    # Only the drone scenario is at TRL 3 or 4 with a critical topic.
    [case] = report.changed
    assert case.source == str(DRONES)
    assert case.stopped == ("applied_sensitive_research",) and case.started == ()
    [mitigations] = case.outcomes
    assert mitigations.outcome == "mitigations"
    assert set(mitigations.removed) == {"physical_security", "cyber_security"}
    assert mitigations.added == ()
    assert report.rules == {"applied_sensitive_research": diff.RuleTotal(0, 1)}
    assert report.outcomes == {"mitigations": diff.OutcomeTotal(0, 1, 0)}


def test_diff_says_which_way_a_scale_moved(tmp_path: Path, pack: kspolicy.Policy) -> None:
    edited = edited_pack(
        tmp_path,
        "rules/country.pol",
        "  when partner.country in RISK_COUNTRIES\n  then risk >= medium",
        "  when partner.country in RISK_COUNTRIES\n  then risk >= high",
    )
    report = diff.diff(pack, kspolicy.load(edited), diff.corpus(EXAMPLES))
    risks = [c for d in report.changed for c in d.outcomes if c.outcome == "risk"]
    assert risks and all(c.direction == "up" and c.after == "high" for c in risks)
    assert report.outcomes["risk"].up == len(risks) and report.outcomes["risk"].down == 0


def test_the_same_policy_changes_nothing(pack: kspolicy.Policy) -> None:
    report = diff.diff(pack, pack, diff.default_corpus((PACK, pack)))
    # The example cases and every test of the pack (one test is a case rejected on purpose).
    assert report.cases > 13 + 50
    assert report.changed == ()
    assert [u.version for u in report.unread] == ["both"]


def test_cases_the_new_schema_cannot_read_are_listed_and_the_rest_go_on(
    tmp_path: Path, pack: kspolicy.Policy
) -> None:
    edited = edited_pack(
        tmp_path,
        "schema.pol",
        '  cv_gaps: bool\n    question en "Are there unexplained gaps in the researcher\'s CV?"\n'
        '             nl "Zijn er onverklaarde gaten in het CV van de onderzoeker?"\n',
        "",
    )
    edited_rules = edited / "rules" / "researcher.pol"
    text = edited_rules.read_text(encoding="utf-8")
    edited_rules.write_text(text.replace("researcher.cv_gaps", "false"), encoding="utf-8")
    batch = tmp_path / "cases.jsonl"
    lines = [
        {"researchers": [{"cv_gaps": True}]},
        {"researchers": [{"military_background": True}]},
    ]
    batch.write_text(
        "\n".join(json.dumps(line) for line in lines) + "\nnot json\n", encoding="utf-8"
    )
    report = diff.diff(pack, kspolicy.load(edited), diff.corpus(batch))
    assert report.cases == 3
    unread = {(u.source.rsplit(":", 1)[1], u.version) for u in report.unread}
    assert unread == {("1", "new"), ("3", "both")}
    assert "cv_gaps" in next(u for u in report.unread if u.version == "new").problems[0]
    assert report.changed == ()  # the second case reads and decides alike


def test_diff_reads_the_cases_of_an_audit_log_on_their_recorded_date(
    tmp_path: Path, pack: kspolicy.Policy
) -> None:
    log = tmp_path / "audit.jsonl"
    assert main(["eval", str(DRONES), "--record", str(log), "--format", "json"]) == 0
    edited = edited_pack(
        tmp_path, "rules/topic.pol", "project.trl >= 3 and", "project.trl >= 5 and"
    )
    [(source, case, day)] = list(diff.corpus(log))
    assert source == f"{log}:1" and day == "2026-01-15" and case["project"]["trl"] == 4
    report = diff.diff(pack, kspolicy.load(edited), diff.corpus(log))
    assert [c.stopped for c in report.changed] == [("applied_sensitive_research",)]


def test_kspolicy_diff_writes_text_json_and_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = edited_pack(
        tmp_path, "rules/topic.pol", "project.trl >= 3 and", "project.trl >= 5 and"
    )
    args = ["diff", str(PACK), str(edited), "--cases", str(EXAMPLES)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "13 cases, 1 decided differently" in text
    assert "stopped firing: applied_sensitive_research" in text
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rules"] == {"applied_sensitive_research": {"started": 0, "stopped": 1}}
    [changed] = data["changed"]
    assert changed["outcomes"][0]["outcome"] == "mitigations"
    assert sorted(changed["outcomes"][0]["removed"]) == ["cyber_security", "physical_security"]
    assert main([*args, "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and "<td>applied_sensitive_research</td>" in page


def test_kspolicy_diff_without_cases_reads_the_examples_and_the_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = edited_pack(
        tmp_path, "rules/topic.pol", "project.trl >= 3 and", "project.trl >= 5 and"
    )
    assert main(["diff", str(PACK), str(edited), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    sources = [c["case"] for c in data["changed"]]
    assert str(DRONES) in sources
    assert any(s.startswith("tests/") for s in sources)


def test_kspolicy_diff_with_a_missing_corpus_is_an_error_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(PACK), str(PACK), "--cases", str(tmp_path / "none")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
