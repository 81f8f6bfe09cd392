"""Everyday use without surprises (issue 15, items 5, 8, 10, 14): each test is named
after what a user ran, and failed before the fix."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from kspolicy import check
from kspolicy.diagnostics import KSP201, Diagnostic, Severity
from kspolicy.span import Source, Span
from kspolicy.tools.cli import main

from .conftest import ROOT

POLICY = ROOT / "examples" / "policies" / "screening"
CASE = POLICY / "cases" / "drone-partner-in-china.toml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ---- item 5: an option is honoured or refused -------------------------------------------


def test_eval_case_out_file_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "decision.json"
    code, printed, _ = run(
        capsys, "eval", str(CASE), "--policy", str(POLICY), "--format", "json", "--out", str(out)
    )
    assert code == 0 and printed == ""
    assert json.loads(out.read_text())["outcomes"]["verdict"] == "notify"


def test_eval_case_with_workers_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "eval", str(CASE), "--policy", str(POLICY), "--workers", "4")
    assert code == 2 and "--workers goes with --batch" in err


def test_template_out_nonexistent_folder(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "template", "--out", "/nonexistent/x.toml")
    assert code == 2
    assert err == (
        "error: cannot write /nonexistent/x.toml: there is no folder /nonexistent;"
        " create it first, or give another path\n"
    )


def test_eval_batch_out_nonexistent_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text('{"project": {"trl": 3}}\n')
    out = tmp_path / "nonexistent" / "dir" / "x.jsonl"
    code, _, err = run(capsys, "eval", "--batch", str(batch), "--out", str(out))
    assert code == 2 and f"cannot write {out}: there is no folder {out.parent}" in err


def test_eval_batch_out_does_not_follow_a_planted_symlink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text('{"project": {"trl": 3}}\n{"project": {"trl": 4}}\n')
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    out = tmp_path / "out.jsonl"
    out.symlink_to(victim)
    code, _, _ = run(capsys, "eval", "--batch", str(batch), "--out", str(out))
    assert code == 0
    assert victim.read_text() == "not yours\n"  # the link was replaced, not written through
    assert not out.is_symlink() and len(out.read_text().splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "small.jsonl", "victim.txt"]


def test_a_batch_stopped_half_way_leaves_the_old_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text('{"project": {"trl": 3}}\n' * 3)
    out = tmp_path / "out.jsonl"
    out.write_text("yesterday's\n")

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("kspolicy.tools.batch.decide_chunks", interrupted)
    assert main(["eval", "--batch", str(batch), "--out", str(out)]) == 130
    assert out.read_text() == "yesterday's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "small.jsonl"]


# ---- item 8 ---------------------------------------------------------------------------


def test_kspolicy_eval_dash_reads_the_case_from_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for text in (CASE.read_bytes(), json.dumps({"project": {"trl": 3}}).encode()):
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text)))
        code, out, err = run(capsys, "eval", "-", "--policy", str(POLICY), "--format", "json")
        assert code == 0, err
        assert "verdict" in json.loads(out)["outcomes"]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"project = 3\n")))
    code, _, err = run(capsys, "eval", "-", "--policy", str(POLICY))
    assert code == 2 and err.startswith("<stdin>: error: the case has 1 problem")


def test_eval_dash_with_record_keeps_what_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(CASE.read_bytes())))
    log = tmp_path / "log.jsonl"
    assert main(["eval", "-", "--policy", str(POLICY), "--record", str(log)]) == 0
    record = json.loads(log.read_text())
    assert (
        record["case_file"]["text"] == CASE.read_text() and record["case_file"]["name"] == "<stdin>"
    )


def test_format_text_in_batch_is_refused_not_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text('{"project": {"trl": 3}}\n')
    code, out, err = run(capsys, "eval", "--batch", str(batch), "--format", "text")
    assert code == 2 and out == "" and "--format text: a batch is written as JSON lines" in err
    assert run(capsys, "eval", "--batch", str(batch), "--format", "json")[0] == 0


def test_rejected_batch_lines_carry_their_ksp_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"project": 3}\nnot json\n{"project": {"trl": 12}, "nope": 1}\n')
    code, out, _ = run(capsys, "eval", "--batch", str(batch))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [sorted(line["codes"]) for line in lines] == [
        ["KSP402"],
        ["KSP401"],
        ["KSP403", "KSP404"],
    ]
    assert all(len(line["codes"]) == len(line["error"]) for line in lines)


def test_str_diagnostic_is_a_readable_line() -> None:
    source = Source("policy.pol", "# a long policy\n" * 1000 + "rule r when project.nope\n")
    at = source.text.index("project.nope")
    diagnostic = Diagnostic(KSP201, "no field `nope`", Span(source, at, at + 12))
    assert str(diagnostic) == "policy.pol:1001:13: error[KSP201]: no field `nope`"
    assert "\n" not in str(diagnostic) and "a long policy" not in str(diagnostic)


def test_error_paths_relative_to_the_current_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "policies" / "screening"
    shutil.copytree(POLICY, policy)
    with (policy / "policy.pol").open("a") as text:
        text.write("\nrule broken {\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "policies/screening")
    assert code == 1 and out.startswith("policies/screening/policy.pol:"), out
    code, _, err = run(capsys, "eval", str(CASE), "--policy", "policies/screening")
    assert code == 2 and err.startswith("policies/screening/policy.pol:"), err
    monkeypatch.chdir(policy)  # from inside the policy's folder, its own names
    assert run(capsys, "check", ".")[1].startswith("policy.pol:")
    monkeypatch.chdir(ROOT.parent)  # a policy outside the current folder: named whole
    assert run(capsys, "check", str(policy))[1].startswith(f"{policy}/policy.pol:")


# ---- item 10: check --format json ------------------------------------------------------


def test_kspolicy_check_format_json_for_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "p"
    shutil.copytree(POLICY, policy)
    with (policy / "policy.pol").open("a") as text:
        text.write("\nrule r\n  when project.nope\n  then verdict >= notify\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "p", "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["format"] == 1 and document["policy"] == "p"
    assert document["errors"] >= 1
    first = next(d for d in document["diagnostics"] if d["code"] == "KSP201")
    line = (policy / "policy.pol").read_text().splitlines().index("  when project.nope") + 1
    assert first == {
        "file": "p/policy.pol",
        "line": line,
        "column": 16,
        "end": {"line": line, "column": 20},
        "code": "KSP201",
        "slug": "unknown-field",
        "severity": "error",
        "message": first["message"],
        "help": first["help"],
    }
    assert "nope" in first["message"]
    assert document["errors"] + document["warnings"] == len(document["diagnostics"])
    clean = json.loads(run(capsys, "check", str(POLICY), "--format", "json")[1])
    assert clean["diagnostics"] == [] and clean["errors"] == 0


def test_check_json_matches_the_library_diagnostics(capsys: pytest.CaptureFixture[str]) -> None:
    folder = ROOT / "tests" / "fixtures" / "diagnostics" / "KSP301-missing-cite"
    fixtures = ROOT / "tests" / "fixtures"
    code, out, _ = run(capsys, "check", str(folder), "--root", str(fixtures), "--format", "json")
    found = json.loads(out)["diagnostics"]
    expected = check(folder, root=fixtures)
    assert code == 0 and [d["code"] for d in found] == [d.code.number for d in expected]
    assert {d["severity"] for d in found} == {Severity.WARNING.value}


# ---- item 14: ask keeps the case file's comments and layout ---------------------------


def test_kspolicy_ask_keeps_the_comments_and_layout_of_the_case_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = tmp_path / "case.toml"
    original = (
        "# Asked by the research office, 2026-01-10\n"
        "\n"
        "[project]\n"
        "trl = 4   # as in the proposal\n"
        'topics = ["robotics.drones"]\n'
        "\n"
        "# the partner, from the consortium agreement\n"
        "[[partners]]\n"
        'name  = "Beihang University"\n'
    )
    case.write_text(original)
    monkeypatch.setattr("sys.stdin", io.StringIO("FWO\nCN\nq\n"))
    code, out, _ = run(capsys, "ask", str(case), "--policy", str(POLICY), "--as-of", "2026-01-01")
    assert code == 0, out
    saved = case.read_text()
    assert saved.startswith(original.split("\n\n# the partner")[0])  # every line as it was
    assert "# the partner, from the consortium agreement\n[[partners]]\n" in saved
    assert 'name  = "Beihang University"\n' in saved  # even its spacing
    assert 'topics = ["robotics.drones"]\nprogramme = "FWO"\n\n# the partner' in saved
    assert saved.endswith('name  = "Beihang University"\ncountry = "CN"\n')


def test_ask_refuses_standard_input_as_the_case(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ask", "-", "--policy", str(POLICY))
    assert code == 2 and "give the case as a file" in err


def test_a_count_question_says_it_wants_a_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = tmp_path / "case.toml"
    case.write_text("[project]\ntrl = 3\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    code, out, _ = run(capsys, "ask", str(case))
    assert code == 0
    question = next(line for line in out.splitlines() if "partners" in line)
    prompt = out.splitlines()[out.splitlines().index(question) + 1]
    assert "how many" in (question + prompt).lower(), (question, prompt)


def test_subcommands_never_print_a_traceback_for_unreadable_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = b"x = '" + b"a" * 2_000_000 + b"'\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(big)))
    code, _, err = run(
        capsys, "eval", "-", "--policy", str(POLICY), "--limit", "max_case_bytes=1000"
    )
    assert code == 2 and "max_case_bytes" in err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_eval_out_keeps_the_mode_of_the_file_it_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "decision.txt"
    out.write_text("old\n")
    out.chmod(0o640)
    assert run(capsys, "eval", str(CASE), "--policy", str(POLICY), "--out", str(out))[0] == 0
    assert os.stat(out).st_mode & 0o777 == 0o640 and "verdict" in out.read_text()
