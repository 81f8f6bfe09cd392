"""The audit log: every alteration is detected; replay says what a new policy would change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kspolicy import audit
from kspolicy.cli import main

from .conftest import ROOT

CASES = sorted((ROOT / "examples" / "cases").glob("*.toml"))[:5]


@pytest.fixture
def log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "audit.jsonl"
    for case in CASES:
        assert main(["eval", str(case), "--record", str(path)]) == 0
    capsys.readouterr()
    return path


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_a_fresh_log_verifies(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(log)]) == 0
    assert f"{len(CASES)} records, intact" in capsys.readouterr().out
    record = json.loads(lines(log)[0])
    assert set(record) >= {
        "time",
        "engine",
        "policy",
        "case",
        "case_sha256",
        "as_of",
        "lang",
        "decision",
        "prev",
        "sha256",
    }
    assert record["prev"] == audit.GENESIS
    assert set(record["policy"]["files"]) >= {"policy.pol", "schema.pol", "lists/countries.toml"}


def test_an_edited_record_is_detected(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = lines(log)
    text[1] = text[1].replace('"verdict":"', '"verdict":"clear","was":"', 1)
    log.write_text("".join(text), encoding="utf-8")
    assert main(["verify", str(log)]) == 1
    out = capsys.readouterr().out
    assert (
        ":2: the record's content does not match its sha256" in out
        and ":3: the chain is broken" in out
    )


def test_an_edit_with_a_recomputed_hash_still_breaks_the_chain(log: Path) -> None:
    text = lines(log)
    record = json.loads(text[1])
    record["decision"]["outcomes"]["verdict"] = "clear"
    del record["sha256"]
    record["sha256"] = audit.sha256(audit._canonical(record))
    text[1] = json.dumps(record) + "\n"
    log.write_text("".join(text), encoding="utf-8")
    result = audit.verify(log)
    assert [p.line for p in result.problems] == [3]


def test_an_edited_case_is_detected(log: Path) -> None:
    text = lines(log)
    record = json.loads(text[0])
    record["case"]["institution"] = "ITG"
    text[0] = json.dumps(record) + "\n"
    log.write_text("".join(text), encoding="utf-8")
    messages = [p.message for p in audit.verify(log).problems]
    assert any("the case does not match" in m for m in messages)


def test_a_deleted_record_is_detected(log: Path) -> None:
    text = lines(log)
    del text[2]
    log.write_text("".join(text), encoding="utf-8")
    result = audit.verify(log)
    assert not result.ok and [p.line for p in result.problems] == [3]


def test_reordered_records_are_detected(log: Path) -> None:
    text = lines(log)
    text[1], text[2] = text[2], text[1]
    log.write_text("".join(text), encoding="utf-8")
    assert {p.line for p in audit.verify(log).problems} == {2, 3, 4}


def test_an_interrupted_write_leaves_the_log_verifiable(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = lines(log)[-1]
    with log.open("a", encoding="utf-8") as handle:
        handle.write(full[: len(full) // 2])  # a crash in the middle of a record
    result = audit.verify(log)
    assert result.ok and result.torn == (len(CASES) + 1,)
    assert main(["eval", str(CASES[0]), "--record", str(log)]) == 0  # the next append chains on
    after = audit.verify(log)
    assert after.ok and after.records == len(CASES) + 1


def test_the_head_hash_identifies_the_log(log: Path) -> None:
    assert audit.verify(log).head == audit.sha256(lines(log)[-1].rstrip("\n").encode())


def test_replay_lists_the_decisions_a_new_policy_changes(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(log)]) == 0
    assert (
        f"{len(CASES)} decisions replayed with knowledge_security 2025.1: 0 would change"
        in capsys.readouterr().out
    )
    changed = tmp_path / "pack"
    shutil.copytree(ROOT / "policies" / "knowledge-security", changed)
    rules = changed / "rules" / "partner.pol"
    text = rules.read_text()
    old = "  when partner.information in {little, none}\n  then risk >= medium"
    assert old in text
    rules.write_text(text.replace(old, old + "\n       verdict >= review"))
    assert main(["replay", str(log), "--policy", str(changed)]) == 1
    out = capsys.readouterr().out
    assert ":1: case " in out and "verdict: clear -> review" in out  # the Maltese company
    assert "1 would change" in out and "now gives other outcomes: little_known_partner" in out


def test_verify_a_missing_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "none.jsonl")]) == 2
    assert "cannot read the audit log" in capsys.readouterr().err
