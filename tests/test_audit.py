"""The audit log: every alteration is detected; replay says what a new policy would change."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy.tools import audit
from kspolicy.tools.cli import main

from .conftest import ROOT

CASES = sorted((ROOT / "examples" / "cases").glob("*.toml"))[:5]


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A log of the five cases, recorded once: each test gets a copy to alter."""
    path = tmp_path_factory.mktemp("recorded") / "audit.jsonl"
    for case in CASES:
        assert main(["eval", str(case), "--record", str(path)]) == 0
    return path.read_bytes()


@pytest.fixture
def log(tmp_path: Path, recorded: bytes, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(recorded)
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


# ---- issue 11: the record is what was decided; every write is checked ----------------

DRONES = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"
CLEAR = {"institution": "UGent", "partners": [], "researchers": [], "funders": []}
PROHIBITED = {
    "institution": "UGent",
    "partners": [{"name": "B", "country": "IR", "sanctions": ["EU"]}],
    "researchers": [],
    "funders": [],
}


def test_a_case_file_changed_between_deciding_and_recording_is_recorded_as_decided(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case, path = tmp_path / "case.json", tmp_path / "audit.jsonl"
    first = json.dumps(CLEAR).encode()
    case.write_bytes(first)
    evaluate = kspolicy.Policy.evaluate

    def evaluate_then_change_the_file(self: kspolicy.Policy, *args: Any, **kwargs: Any) -> Any:
        decision = evaluate(self, *args, **kwargs)
        case.write_text(json.dumps(PROHIBITED))  # another process, right after the decision
        return decision

    monkeypatch.setattr(kspolicy.Policy, "evaluate", evaluate_then_change_the_file)
    assert main(["eval", str(case), "--record", str(path), "--as-of", "2026-01-15"]) == 0
    record = json.loads(lines(path)[0])
    assert record["decision"]["outcomes"]["verdict"] == "clear"
    assert record["case"] == CLEAR  # what was decided, not what the file holds now
    assert record["case_file"] == {
        "name": "case.json",
        "sha256": audit.sha256(first),
        "text": first.decode(),
    }
    out = capsys.readouterr().out.splitlines()
    at = next(i for i, x in enumerate(out) if "verdict:" in x)
    assert out[at] == "  verdict: clear"
    # The provisional headline, in words, under its code.
    assert "no reporting duty: carry out the checks listed, if any." in out[at + 1]


def test_an_edited_case_file_text_is_detected(log: Path) -> None:
    text = lines(log)
    record = json.loads(text[0])
    record["case_file"]["text"] += "\n# added later"
    text[0] = json.dumps(record) + "\n"
    log.write_text("".join(text), encoding="utf-8")
    messages = [p.message for p in audit.verify(log).problems]
    assert any(
        "the case file's text does not match its sha256: it was edited" in m for m in messages
    )


def _record_under_a_file_size_limit(log: Path, limit: int) -> subprocess.CompletedProcess[str]:
    def limit_the_file_size() -> None:
        # The default action of SIGXFSZ kills; Python ignores it at start-up, so the
        # write fails with EFBIG instead, whatever disposition it inherits.
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [
        sys.executable,
        "-m",
        "kspolicy.tools.cli",
        "eval",
        str(DRONES),
        "--record",
        str(log),
    ]
    return subprocess.run(
        command, capture_output=True, text=True, preexec_fn=limit_the_file_size, check=False
    )


def test_a_short_write_under_ulimit_f_leaves_no_cut_record_and_fails(log: Path) -> None:
    before = log.read_bytes()
    done = _record_under_a_file_size_limit(log, len(before) + 100)  # room for a part only
    assert done.returncode == 2, done.stderr
    assert f"error: could not write the audit record to {log}: File too large" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert log.read_bytes() == before  # cut back: the log ends where it ended
    result = audit.verify(log)
    assert result.ok and not result.torn and result.records == len(CASES)


def test_efbig_on_an_audit_record_is_reported_not_a_traceback(log: Path) -> None:
    before = log.read_bytes()
    done = _record_under_a_file_size_limit(log, len(before))  # no room at all
    assert done.returncode == 2
    assert "could not write the audit record" in done.stderr and "File too large" in done.stderr
    assert "Traceback" not in done.stderr
    assert log.read_bytes() == before


def _failing_write(monkeypatch: pytest.MonkeyPatch, error: BaseException, after: int = 200) -> None:
    """os.write that writes `after` bytes of the record, then fails with `error`."""
    write = os.write
    calls = {"n": 0}

    def fake(fd: int, data: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return write(fd, bytes(data[:after]))
        raise error

    monkeypatch.setattr(os, "write", fake)


@pytest.mark.parametrize(
    "code, reason",
    [
        (errno.ENOSPC, "No space left on device"),
        (errno.EIO, "Input/output error"),
        (errno.EFBIG, "File too large"),
    ],
)
def test_a_failed_append_fails_the_command_and_leaves_the_log_as_it_was(
    log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    code: int,
    reason: str,
) -> None:
    before = log.read_bytes()
    _failing_write(monkeypatch, OSError(code, os.strerror(code)))
    assert main(["eval", str(DRONES), "--record", str(log)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: could not write the audit record to {log}: {reason}\n"
    assert captured.out == ""  # a decision that was not recorded is not given
    assert log.read_bytes() == before


def test_an_fsync_error_fails_the_command_and_leaves_the_log_as_it_was(
    log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = log.read_bytes()
    calls = {"n": 0}
    fsync = os.fsync

    def fake(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        fsync(fd)

    monkeypatch.setattr(os, "fsync", fake)
    assert main(["eval", str(DRONES), "--record", str(log)]) == 2
    assert "could not write the audit record" in capsys.readouterr().err
    assert log.read_bytes() == before


def test_an_interrupt_during_an_append_leaves_the_log_as_it_was(
    log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = log.read_bytes()
    _failing_write(monkeypatch, KeyboardInterrupt())
    assert main(["eval", str(DRONES), "--record", str(log)]) == 130
    assert log.read_bytes() == before


def test_a_write_that_writes_less_than_asked_is_completed(
    log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: write(fd, bytes(data[:97])))
    assert main(["eval", str(DRONES), "--record", str(log)]) == 0
    result = audit.verify(log)
    assert result.ok and not result.torn and result.records == len(CASES) + 1


def test_a_case_holding_a_lone_surrogate_with_record_is_a_case_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case, path = tmp_path / "case.json", tmp_path / "audit.jsonl"
    case.write_text('{"partners": [{"name": "\\ud800", "country": "BE"}]}', encoding="ascii")
    assert main(["eval", str(case), "--record", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(case) in err and "partners[0].name" in err and "KSP404" in err
    assert "Traceback" not in err and not path.exists()


def test_record_of_refuses_a_case_it_cannot_record() -> None:
    pack = kspolicy.load()
    case = {"partners": [{"name": "Acme", "country": "BE"}], "funders": [], "\udcff": 1}
    with pytest.raises(kspolicy.CaseError, match="surrogate"):
        audit.record_of(pack, case, pack.evaluate(CLEAR), "x", dt.datetime.now(dt.UTC))


def _alter(log: Path, number: int, change: Any) -> None:
    """Change a record as a forger would: with its hash and the chain after it redone, so
    that verify passes and replay meets the altered record itself."""
    text = lines(log)
    record = json.loads(text[number - 1])
    text[number - 1] = change(record) + "\n"
    _rechain(text, number)
    log.write_text("".join(text), encoding="utf-8")


def _rechain(text: list[str], start: int) -> None:
    """Redo the hashes, `prev` and `seq` of every record from line `start` on."""
    seq = 0
    for index in range(len(text)):
        try:
            record = json.loads(text[index])
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        seq += 1
        if index < start - 1:
            continue
        body = {k: v for k, v in record.items() if k != "sha256"}
        body["seq"] = seq - 1
        body["prev"] = audit.GENESIS
        if index > 0:
            body["prev"] = audit.sha256(text[index - 1].rstrip("\n").encode())
        if audit._hash_of(body.get("case")) is not None:
            body["case_sha256"] = audit._hash_of(body.get("case"))
        line = audit._canonical({**body, "sha256": audit.sha256(audit._canonical(body))})
        text[index] = line.decode() + "\n"


def test_replay_on_a_record_whose_decision_is_a_list_reports_it_and_goes_on(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _alter(log, 2, lambda r: json.dumps({**r, "decision": []}))
    assert main(["replay", str(log)]) == 2
    out = capsys.readouterr().out
    assert f"{log}:2: not replayed: its decision is not an object" in out
    assert f"{len(CASES) - 1} decisions replayed" in out
    assert "1 record could not be replayed" in out


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: json.dumps({k: v for k, v in r.items() if k != "case"}), "has no case"),
        (lambda r: json.dumps({**r, "case": [1]}), "case is not a table"),
        (lambda r: json.dumps({**r, "case": {"partners": 3}}), "cannot be decided now"),
        (lambda r: json.dumps({**r, "as_of": 20260115}), "as_of is not a date"),
        (lambda r: json.dumps({**r, "as_of": "yesterday"}), "cannot be decided now"),
        (lambda r: json.dumps({**r, "lang": "fr"}), "a language this policy does not have"),
        (lambda r: json.dumps({**r, "decision": {**r["decision"], "fired": {}}}), "fired rules"),
        (
            lambda r: json.dumps({**r, "decision": {**r["decision"], "outcomes": {"a": {}}}}),
            "outcomes are not outcomes",
        ),
        (lambda r: json.dumps([r]), "not a record"),
        (lambda r: "[" * 100_000 + "]" * 100_000, "not a JSON record"),
        (lambda r: "not json at all", "not a JSON record"),
    ],
    ids=[
        "no-case",
        "case-a-list",
        "case-of-wrong-type",
        "as-of-a-number",
        "as-of-not-a-date",
        "unknown-language",
        "fired-an-object",
        "outcome-an-object",
        "record-a-list",
        "deeply-nested-line",
        "not-json",
    ],
)
def test_replay_on_altered_or_malformed_records_reports_each_and_goes_on(
    log: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    _alter(log, 3, change)
    assert main(["replay", str(log)]) == 2
    out = capsys.readouterr().out
    assert f"{log}:3: not replayed: " in out and message in out, out
    assert f"{len(CASES) - 1} decisions replayed" in out


def test_replay_compares_outcomes_of_any_shape_without_a_crash(log: Path) -> None:
    _alter(
        log,
        1,
        lambda r: json.dumps(
            {
                **r,
                "decision": {**r["decision"], "outcomes": {"verdict": [1, None], "checks": "one"}},
            }
        ),
    )
    result = audit.replay(log, kspolicy.load())
    assert not result.problems and result.changes[0].line == 1


def test_verify_reports_records_it_cannot_read_or_hash(log: Path) -> None:
    text = lines(log)
    text[1] = "[" * 100_000 + "\n"  # deeper than json can read
    text[3] = text[3].replace('"verdict":"', '"verdict":"\\ud800', 1)  # no UTF-8 for it
    log.write_text("".join(text), encoding="utf-8")
    lines_with_problems = {p.line for p in audit.verify(log).problems}
    assert {2, 4} <= lines_with_problems
