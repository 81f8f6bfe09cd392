"""The audit trail of issue 15: batches are recorded, replay verifies first, verify counts
right, and tamper evidence reaches the end of the log through signed checkpoints."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kspolicy.tools import audit, checkpoint, merkle
from kspolicy.tools.cli import main

from .conftest import ROOT
from .test_audit import CASES, _rechain, lines, log, recorded

__all__ = ["log", "recorded"]  # fixtures shared with test_audit.py

PACK = ROOT / "policies" / "knowledge-security"


@pytest.fixture
def key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "witness.key"
    assert main(["audit", "keygen", "--out", str(path)]) == 0
    capsys.readouterr()
    return path


def _checkpoint(log: Path, key: Path, out: Path, *more: str) -> None:
    assert main(["audit", "checkpoint", str(log), "--key", str(key), "--out", str(out), *more]) == 0


def _verify(log: Path, *more: str) -> tuple[int, str]:
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(["verify", str(log), *more])
    return code, buffer.getvalue()


def _write(path: Path, text: list[str]) -> None:
    path.write_text("".join(text), encoding="utf-8")


# ---- 1. batches are recorded ---------------------------------------------------------


def test_eval_batch_with_record_writes_a_record_per_decision_in_input_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small, rec, out = tmp_path / "small.jsonl", tmp_path / "rec.jsonl", tmp_path / "x.jsonl"
    import tomllib

    cases = [tomllib.loads(c.read_text()) for c in CASES]
    rows = [json.dumps(c, default=str) for c in cases]
    rows.insert(2, '{"partners": 3}')  # rejected: no decision, so no record
    small.write_text("\n".join(rows) + "\n")
    command = ["eval", "--batch", str(small), "--record", str(rec), "--out", str(out)]
    assert main([*command, "--detail", "full"]) == 0
    assert f"{len(CASES)} decided, 1 rejected" in capsys.readouterr().err
    records = [json.loads(line) for line in lines(rec)]
    assert [r["seq"] for r in records] == list(range(len(CASES)))
    assert [r["batch"] for r in records] == [
        {"name": "small.jsonl", "line": n} for n in (1, 2, 4, 5, 6)
    ]
    decided = [json.loads(line) for line in lines(out) if "decision" in json.loads(line)]
    assert [r["decision"] for r in records] == [d["decision"] for d in decided]
    assert audit.verify(rec).ok and audit.verify(rec).records == len(CASES)


# ---- 2. replay verifies first ------------------------------------------------------


def test_replay_of_an_edited_verdict_reports_an_edit_not_a_policy_change(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = lines(log)
    record = json.loads(text[0])
    assert record["decision"]["outcomes"]["verdict"] == "clear"
    text[0] = text[0].replace('"verdict":"clear"', '"verdict":"notify"')
    _write(log, text)
    assert main(["replay", str(log)]) == 2
    out = capsys.readouterr().out
    assert f"{log}:1: not replayed: it is not intact: the record's content does not match" in out
    assert "would change:" not in out and "clear -> notify" not in out and "0 would change" in out


def test_replay_of_an_inserted_hello_world_line_is_not_a_clean_replay(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = lines(log)
    text.insert(2, "hello world\n")
    _write(log, text)
    assert main(["replay", str(log)]) == 2
    out = capsys.readouterr().out
    assert f"{log}:3: not replayed: it is not intact: not a JSON record" in out


def test_replay_with_a_renamed_field_reports_every_record_with_its_line(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    changed = tmp_path / "pack"
    shutil.copytree(PACK, changed)
    for pol in changed.rglob("*.pol"):
        pol.write_text(re.sub(r"\binstitution\b", "organisation", pol.read_text()))
    assert main(["replay", str(log), "--policy", str(changed)]) == 2
    out = capsys.readouterr().out
    for number in range(1, len(CASES) + 1):
        assert f"{log}:{number}: not replayed: its case cannot be decided now: institution" in out
    assert (
        f"0 decisions replayed with knowledge_security 2025.1: 0 would change; {len(CASES)} records could not be replayed"
        in out
    )


def test_replay_names_the_rules_that_now_give_other_outcomes_and_how(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    changed = tmp_path / "pack"
    shutil.copytree(PACK, changed)
    rules = changed / "rules" / "partner.pol"
    old = "  when partner.information in {little, none}\n  then risk >= medium"
    rules.write_text(rules.read_text().replace(old, old + "\n       verdict >= review"))
    assert main(["replay", str(log), "--policy", str(changed)]) == 1
    out = capsys.readouterr().out
    assert "now gives other outcomes: little_known_partner (verdict: - -> review)" in out
    assert "recorded with these very policy files" not in out  # a real policy change


def test_replay_of_a_forged_decision_with_the_same_policy_says_it_is_no_policy_change(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = lines(log)
    record = json.loads(text[0])
    record["decision"]["outcomes"]["verdict"] = "prohibited"
    text[0] = json.dumps(record) + "\n"
    _rechain(text, 1)  # a forger who redoes every hash after the edit
    _write(log, text)
    assert audit.verify(log).ok
    assert main(["replay", str(log)]) == 1
    out = capsys.readouterr().out
    assert f"{log}:1: case " in out and "verdict: prohibited -> clear" in out
    assert "recorded with these very policy files" in out and "the record was forged" in out


# ---- 3. verify counts right ----------------------------------------------------------


def test_an_inserted_blank_line_is_not_intact(log: Path) -> None:
    text = lines(log)
    text.insert(2, "\n")
    _write(log, text)
    code, out = _verify(log)
    assert code == 1
    assert f"{log}:3: an empty line: the writer never writes one\n" in out
    assert "NOT intact: 1 problem;" in out


def test_a_log_converted_to_crlf_gives_one_finding_not_a_cascade(log: Path) -> None:
    log.write_bytes(log.read_bytes().replace(b"\n", b"\r\n"))
    code, out = _verify(log)
    assert code == 1
    assert "chain is broken" not in out
    assert f"{log}:1: {len(CASES)} lines of the log end in CR LF" in out and "dos2unix" in out
    assert f"{len(CASES)} records, NOT intact: 1 problem;" in out


def test_verify_says_1_record_and_1_problem_in_words(log: Path) -> None:
    text = lines(log)[:1]
    _write(log, text)
    code, out = _verify(log)
    assert code == 0 and f"{log}: 1 record, intact;" in out
    _write(log, [text[0].replace('"verdict":"', '"verdict":"x', 1)])
    code, out = _verify(log)
    assert code == 1 and "1 record, NOT intact: 1 problem;" in out and "(s)" not in out


# ---- 4. tamper evidence --------------------------------------------------------------


def test_records_carry_sequence_numbers_from_0(log: Path) -> None:
    assert [json.loads(line)["seq"] for line in lines(log)] == list(range(len(CASES)))


@pytest.mark.parametrize("where", [0, 2, len(CASES)], ids=["first", "middle", "last"])
@pytest.mark.parametrize("junk", ['{"as_of":"2026-01-1', "{hello", "{"])
def test_a_junk_line_starting_with_a_brace_is_caught_anywhere(
    log: Path, where: int, junk: str
) -> None:
    text = lines(log)
    text.insert(where, junk + "\n")
    _write(log, text)
    result = audit.verify(log)
    assert not result.ok and result.problems[0].line == where + 1, result.problems
    assert not result.torn


def test_junk_after_the_last_newline_that_is_no_record_start_is_caught(log: Path) -> None:
    with log.open("a") as handle:
        handle.write("{hello")
    result = audit.verify(log)
    assert not result.ok and result.problems == (
        audit.Problem(len(CASES) + 1, "not a JSON record: the line was altered"),
    )


def test_appending_a_naively_forged_record_is_caught(log: Path) -> None:
    text = lines(log)
    text.append(text[-1])  # a copy of the last record: its chain and number do not follow
    _write(log, text)
    result = audit.verify(log)
    assert [p.line for p in result.problems] == [len(CASES) + 1]
    assert "sequence number" in result.problems[0].message


def test_appending_a_forged_record_with_its_hashes_redone_is_caught_by_replay(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = lines(log)
    forged = json.loads(text[-1])
    forged["decision"]["outcomes"]["verdict"] = "clear"
    forged["decision"]["outcomes"]["obligations"] = []
    text.append(json.dumps(forged) + "\n")
    _rechain(text, len(text))
    _write(log, text)
    assert audit.verify(log).ok  # hashes and number follow: only the decision is false
    assert main(["replay", str(log)]) == 1
    out = capsys.readouterr().out
    assert f"{log}:{len(CASES) + 1}: case " in out and "the record was forged" in out


def _signed(log: Path, key: Path) -> Path:
    out = log.with_name("checkpoint.json")
    _checkpoint(log, key, out)
    return out


@pytest.mark.parametrize(
    "tamper",
    ["delete-last", "cut-last", "empty", "rewrite-chain", "delete-first-and-rewrite"],
)
def test_tampering_at_the_end_or_with_a_rewritten_chain_is_caught_by_the_checkpoint(
    log: Path, key: Path, tamper: str
) -> None:
    signed = _signed(log, key)
    text = lines(log)
    if tamper == "delete-last":
        text = text[:-1]
    elif tamper == "cut-last":
        text[-1] = text[-1][: len(text[-1]) // 2]
    elif tamper == "empty":
        text = []
    elif tamper == "rewrite-chain":
        record = json.loads(text[1])
        record["decision"]["outcomes"]["verdict"] = "clear"
        text[1] = json.dumps(record) + "\n"
        _rechain(text, 2)
    else:
        text = text[1:]
        _rechain(text, 1)
    _write(log, text)
    assert audit.verify(log).ok  # the chain alone cannot see any of these
    code, out = _verify(log, "--checkpoint", str(signed), "--public-key", f"{key}.pub")
    assert code == 1 and f"{log}: does NOT extend the checkpoint {signed}" in out, out


def test_a_log_that_grew_after_its_checkpoint_extends_it(
    log: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signed = _signed(log, key)
    assert main(["eval", str(CASES[0]), "--record", str(log)]) == 0
    code, out = _verify(log, "--checkpoint", str(signed), "--public-key", f"{key}.pub")
    assert code == 0
    assert f"extends the checkpoint {signed} ({len(CASES)} records, signed " in out
    assert "; 1 record after it" in out


def test_a_checkpoint_signed_by_another_key_or_altered_is_refused(
    log: Path, key: Path, tmp_path: Path
) -> None:
    signed = _signed(log, key)
    other = tmp_path / "other.key"
    assert main(["audit", "keygen", "--out", str(other)]) == 0
    code, out = _verify(log, "--checkpoint", str(signed), "--public-key", f"{other}.pub")
    assert code == 1 and "not by the trusted key" in out
    data = json.loads(signed.read_text())
    data["size"] = len(CASES) - 1  # as a forger who cut the last record would need
    signed.write_text(json.dumps(data))
    code, out = _verify(log, "--checkpoint", str(signed), "--public-key", f"{key}.pub")
    assert code == 1 and "its signature does not verify" in out


def test_a_checkpoint_without_a_trusted_key_says_whose_key_signed_it(log: Path, key: Path) -> None:
    code, out = _verify(log, "--checkpoint", str(_signed(log, key)))
    assert code == 0 and "give --public-key to check it is yours" in out


def test_checkpoint_refuses_a_log_that_is_not_intact(
    log: Path, key: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = lines(log)
    text.insert(1, "\n")
    _write(log, text)
    out = tmp_path / "cp.json"
    assert main(["audit", "checkpoint", str(log), "--key", str(key), "--out", str(out)]) == 1
    assert "NOT intact: no checkpoint signed" in capsys.readouterr().out and not out.exists()


def test_checkpoints_chain_with_consistency_proofs_checked_without_the_log(
    log: Path, key: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "cp1.json", tmp_path / "cp2.json"
    _checkpoint(log, key, first)
    for case in CASES:
        assert main(["eval", str(case), "--record", str(log)]) == 0
    _checkpoint(log, key, second, "--previous", str(first))
    capsys.readouterr()
    consistent = ["audit", "consistent", str(first), str(second), "--public-key", f"{key}.pub"]
    assert main(consistent) == 0
    assert f"({2 * len(CASES)} records) extends {first} ({len(CASES)} records)" in (
        capsys.readouterr().out
    )
    # A log rewritten before the first checkpoint gets no second one that follows it...
    text = lines(log)
    record = json.loads(text[0])
    record["case"]["institution"] = "ITG"
    text[0] = json.dumps(record) + "\n"
    _rechain(text, 1)
    _write(log, text)
    refused = ["audit", "checkpoint", str(log), "--key", str(key), "--out", str(second)]
    assert main([*refused, "--previous", str(first)]) == 2
    assert "does not extend the previous checkpoint" in capsys.readouterr().err
    # ... and one signed without --previous carries no proof that it does.
    assert main(refused) == 0
    assert main(consistent) == 1
    assert "carries no proof" in capsys.readouterr().out


def test_keygen_never_overwrites_a_key(key: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = key.read_bytes()
    assert main(["audit", "keygen", "--out", str(key)]) == 2
    assert "exists already: a key is never overwritten" in capsys.readouterr().err
    assert key.read_bytes() == before and oct(key.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "is not a checkpoint made by `kspolicy audit checkpoint`"),
        ("[]", "is not a checkpoint made by `kspolicy audit checkpoint`"),
        ('{"format": "kspolicy-checkpoint/1", "size": "5"}', "its log is missing"),
    ],
)
def test_a_file_that_is_no_checkpoint_is_a_clear_error(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "cp.json"
    bad.write_text(content)
    assert main(["verify", str(log), "--checkpoint", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad} ") and message in err and "Traceback" not in err


def test_a_key_file_that_is_no_key_is_a_clear_error(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "key"
    bad.write_text("not a key")
    out = tmp_path / "cp.json"
    assert main(["audit", "checkpoint", str(log), "--key", str(bad), "--out", str(out)]) == 2
    assert "is not an Ed25519 private key in PEM form" in capsys.readouterr().err


def test_without_the_cryptography_package_checkpoints_say_how_to_get_it(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(sys.modules):
        if name == "cryptography" or name.startswith("cryptography."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)
    assert main(["audit", "keygen", "--out", str(tmp_path / "k")]) == 2
    assert "pip install 'kspolicy[audit]'" in capsys.readouterr().err
    assert main(["verify", str(log)]) == 0  # verifying the chain alone needs no extra


# ---- old logs ---------------------------------------------------------------------------


def _old_format(log: Path) -> None:
    """Rewrite the log as the previous writer did: no `seq`, and a killed writer's
    fragment left in place, the next record written after it on a line of its own."""
    text = lines(log)
    out: list[str] = []
    previous = audit.GENESIS
    for number, line in enumerate(text):
        record = json.loads(line)
        del record["seq"], record["sha256"]
        record["prev"] = previous
        data = audit._canonical({**record, "sha256": audit.sha256(audit._canonical(record))})
        if number == 2:
            out.append(data.decode()[:40] + "\n")  # the old writer wrote "\n" before the next
        out.append(data.decode() + "\n")
        previous = audit.sha256(data)
    _write(log, out)


def test_an_old_format_log_still_verifies_and_says_how_far(log: Path) -> None:
    _old_format(log)
    result = audit.verify(log)
    assert result.ok and result.old == len(CASES) and result.torn == (3,)
    code, out = _verify(log)
    assert code == 0 and f"{len(CASES)} records of the old format (no sequence numbers)" in out
    assert "verified as far as it goes" in out


def test_a_new_record_appended_to_an_old_log_carries_on_its_numbering(log: Path) -> None:
    _old_format(log)
    assert main(["eval", str(CASES[0]), "--record", str(log)]) == 0
    assert json.loads(lines(log)[-1])["seq"] == len(CASES)
    result = audit.verify(log)
    assert result.ok and result.records == len(CASES) + 1 and result.old == len(CASES)


def test_an_old_record_inserted_after_numbered_ones_is_caught(log: Path) -> None:
    text = lines(log)
    record = json.loads(text[-1])
    del record["seq"]
    text.append(json.dumps(record) + "\n")
    _rechain(text, len(text))
    text[-1] = json.dumps({k: v for k, v in json.loads(text[-1]).items() if k != "seq"}) + "\n"
    _write(log, text)
    messages = [p.message for p in audit.verify(log).problems]
    assert any("it has no sequence number, but records before it have" in m for m in messages)


# ---- real processes --------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kspolicy.tools import audit
    name, count = sys.argv[2], int(sys.argv[3])
    for n in range(count):
        case = {"writer": name, "n": n}
        record = {"as_of": "2026-01-15", "case": case, "case_sha256": audit.sha256(audit._canonical(case))}
        audit.append(Path(sys.argv[1]), record)
    """
)


def test_two_concurrent_writers_append_whole_numbered_records(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name, "25"])
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    result = audit.verify(path)
    assert result.ok and result.records == 50 and not result.torn
    records = [json.loads(line) for line in lines(path)]
    assert [r["seq"] for r in records] == list(range(50))
    for name in ("a", "b"):
        assert [r["case"]["n"] for r in records if r["case"]["writer"] == name] == list(range(25))


_KILLED = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from kspolicy.tools import audit
    write = os.write
    def half_then_hang(fd, data):
        written = write(fd, bytes(data[: len(data) // 2]))
        sys.stdout.write("half\\n")
        sys.stdout.flush()
        time.sleep(60)
        return written
    os.write = half_then_hang
    case = {"n": 1}
    audit.append(Path(sys.argv[1]), {"as_of": "2026-01-15", "case": case})
    """
)


def test_a_writer_killed_mid_write_leaves_a_log_that_verifies_and_goes_on(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = log.read_bytes()
    writer = subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(log)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline() == "half\n"
    os.kill(writer.pid, signal.SIGKILL)
    assert writer.wait(timeout=60) == -signal.SIGKILL
    assert log.read_bytes().startswith(before) and len(log.read_bytes()) > len(before)
    result = audit.verify(log)
    assert result.ok and result.records == len(CASES) and result.torn == (len(CASES) + 1,)
    code, out = _verify(log)
    assert code == 0 and f"{log}:{len(CASES) + 1}: an incomplete record" in out
    assert main(["eval", str(CASES[0]), "--record", str(log)]) == 0
    after = audit.verify(log)
    assert after.ok and after.records == len(CASES) + 1 and not after.torn
    assert json.loads(lines(log)[-1])["seq"] == len(CASES)


# ---- the Merkle tree -------------------------------------------------------------------


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 6962's MTH, as written there: the reference for the iterative root."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


@given(st.integers(min_value=0, max_value=70), st.data())
def test_merkle_roots_and_consistency_proofs_follow_rfc_6962(size: int, data: Any) -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(size)]
    assert merkle.root(leaves) == _mth(leaves)
    old = data.draw(st.integers(min_value=0, max_value=size))
    proof = merkle.consistency_proof(leaves, old)
    old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves)
    assert merkle.verify_consistency(old, size, old_root, new_root, proof)
    assert len(proof) <= 2 * max(size, 1).bit_length()
    if 0 < old < size:
        changed = [merkle.leaf_hash(b"forged"), *leaves[1:]]
        assert not merkle.verify_consistency(old, size, merkle.root(changed[:old]), new_root, proof)
        assert not merkle.verify_consistency(old, size, old_root, merkle.root(changed), proof)


def test_a_leaf_cannot_pass_for_a_node() -> None:
    a, b = merkle.leaf_hash(b"a"), merkle.leaf_hash(b"b")
    assert merkle.root([a, b]) != merkle.leaf_hash(b"\x01" + a + b)


def test_checkpoint_module_reads_what_it_writes(log: Path, key: Path, tmp_path: Path) -> None:
    out = tmp_path / "cp.json"
    _checkpoint(log, key, out)
    signed = checkpoint.read(out)
    assert signed.size == len(CASES) and signed.head == audit.verify(log).head
    assert (
        checkpoint.check_signature(signed, checkpoint.load_public_key(Path(f"{key}.pub"))) is None
    )
