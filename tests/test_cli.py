"""The command line: exit codes, output formats, and no traceback on bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kspolicy.tools.cli import main

from .conftest import FIXTURES, ROOT

EXAMPLE = ROOT / "examples" / "policies" / "screening"
EXAMPLE_CASE = EXAMPLE / "cases" / "drone-partner-in-china.toml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_a_clean_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", str(EXAMPLE))
    assert code == 0 and "no problems found" in out


def test_check_strict_fails_on_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    folder = ROOT / "tests" / "fixtures" / "diagnostics" / "KSP301-missing-cite"
    fixtures = str(ROOT / "tests" / "fixtures")  # the folder of the schema the fixtures share
    assert run(capsys, "check", str(folder), "--root", fixtures)[0] == 0
    assert run(capsys, "check", "--strict", str(folder), "--root", fixtures)[0] == 1


def test_eval_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "eval",
        str(EXAMPLE_CASE),
        "--policy",
        str(EXAMPLE),
        "--format",
        "json",
        "--as-of",
        "2026-01-01",
    )
    assert code == 0
    data = json.loads(out)
    assert data["outcomes"]["verdict"] == "notify"
    assert data["policy"]["as_of"] == "2026-01-01"
    assert data["format"] == "compact/1" and "trace" not in data


def test_eval_json_detail_full(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["eval", str(EXAMPLE_CASE), "--policy", str(EXAMPLE), "--format", "json"]
    code, out, _ = run(capsys, *args, "--as-of", "2026-01-01", "--detail", "full")
    assert code == 0
    data = json.loads(out)
    assert data["format"] == "full/1" and data["trace"] == []
    assert all(r["title"] for r in data["fired"])


def test_eval_text_in_dutch(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "eval",
        str(EXAMPLE_CASE),
        "--policy",
        str(EXAMPLE),
        "--lang",
        "nl",
        "--as-of",
        "2026-01-01",
    )
    assert code == 0
    assert out.startswith("Beslissing (mini 1.0, op 2026-01-01)")
    assert "Heeft Harbin Institute of Technology Co., Ltd. militaire banden?" in out


def test_eval_explain_adds_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(
        capsys, "eval", str(EXAMPLE_CASE), "--policy", str(EXAMPLE), "--format", "json", "--explain"
    )
    assert json.loads(out)["trace"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "nowhere.toml", "--policy", str(EXAMPLE)], "no such file"),
        (["eval", str(EXAMPLE_CASE), "--policy", "/nonexistent"], "error[KSP110]"),
        (
            [
                "check",
                str(ROOT / "tests" / "fixtures" / "diagnostics" / "KSP201-unknown-field"),
                "--root",
                str(ROOT / "tests" / "fixtures"),
            ],
            "KSP201",
        ),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code in (1, 2)
    assert message in out + err
    assert "Traceback" not in out + err


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["eval", str(EXAMPLE_CASE), "--as-of", "soon"])
    assert info.value.code == 2
    assert "'soon' is not a date: write YYYY-MM-DD" in capsys.readouterr().err


def _installed_script() -> str | None:
    script = Path(sys.executable).parent / "kspolicy"
    return str(script) if script.exists() else shutil.which("kspolicy")


@pytest.mark.skipif(
    _installed_script() is None and not os.environ.get("CI"),
    reason="kspolicy is not installed as a command (CI always installs it)",
)
def test_the_installed_command_works_from_any_directory(tmp_path: Path) -> None:
    script = _installed_script()
    assert script is not None
    check = subprocess.run(
        [script, "check", str(EXAMPLE)], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    evaluated = subprocess.run(
        [script, "eval", str(EXAMPLE_CASE), "--policy", str(EXAMPLE), "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["outcomes"]["verdict"] == "notify"
    # With no --policy: the knowledge-security pack, from inside the installed package.
    case = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"
    default = subprocess.run(
        [script, "eval", str(case), "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout)["policy"]["name"] == "knowledge_security"
    assert subprocess.run([script, "check"], cwd=tmp_path, capture_output=True).returncode == 0


# ---- --root: every command that loads a policy takes it ----------------------------------

RULE = 'rule r cite "x" when project.trl >= 3 then verdict >= notify because "b"\n'


def shared_policy(tmp_path: Path) -> Path:
    """A policy in policies/one whose schema and lists lie in shared/, above its folder."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shutil.copy(FIXTURES / "common" / "schema.pol", shared / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", shared / "lists")
    folder = tmp_path / "policies" / "one"
    folder.mkdir(parents=True)
    (folder / "policy.pol").write_text(
        'policy one version "1"\nimport "../../shared/schema.pol"\n'
        'lists "../../shared/lists/*.toml"\n' + RULE
    )
    return folder


@pytest.mark.parametrize(
    "command",
    [
        ["explain", "{case}", "--policy", "{policy}"],
        ["template", "--policy", "{policy}"],
        ["replay", "{log}", "--policy", "{policy}"],
        ["eval", "--batch", "{batch}", "--policy", "{policy}", "--workers", "2"],
    ],
    ids=["explain", "template", "replay", "eval-batch-workers"],
)
def test_every_command_that_loads_a_policy_takes_root(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("kspolicy.policy.CHUNK", 1)  # three cases: enough for workers
    folder = shared_policy(tmp_path)
    case = tmp_path / "case.json"
    case.write_text('{"project": {"trl": 4}}')
    (tmp_path / "cases.jsonl").write_text('{"project": {"trl": 4}}\n' * 3)
    log = tmp_path / "audit.jsonl"
    root = ["--root", str(tmp_path)]
    assert main(["eval", str(case), "--policy", str(folder), "--record", str(log), *root]) == 0
    paths = {"case": case, "policy": folder, "log": log, "batch": tmp_path / "cases.jsonl"}
    argv = [part.format(**paths) for part in command]
    capsys.readouterr()
    assert main(argv) == 2  # without a root, the shared files lie outside the policy
    assert "KSP213" in capsys.readouterr().err
    assert main([*argv, *root]) == 0
    out = capsys.readouterr().out
    if command[0] == "eval":  # the workers load the policy with the root too
        assert [
            json.loads(line)["decision"]["outcomes"]["verdict"] for line in out.splitlines()
        ] == ["notify"] * 3
    else:
        assert out
