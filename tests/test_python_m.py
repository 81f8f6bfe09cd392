"""`python -m kspolicy` is the `kspolicy` command (src/kspolicy/__main__.py): for a
virtual environment whose scripts are not on the PATH."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"


def _kspolicy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kspolicy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def test_python_m_kspolicy_runs_the_command(tmp_path: Path) -> None:
    done = _kspolicy("--version", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("kspolicy ")


def test_python_m_kspolicy_says_usage_as_kspolicy(tmp_path: Path) -> None:
    done = _kspolicy("evaluate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: kspolicy"), done.stderr
    assert "Traceback" not in done.stderr


def test_python_m_kspolicy_batch_with_workers_decides_once_each(tmp_path: Path) -> None:
    """Workers import the main module again: under `-m` that is kspolicy.__main__, whose
    guard keeps them from running the command a second time."""
    case = json.loads(_kspolicy("eval", str(EXAMPLE), "--format", "json", cwd=tmp_path).stdout)
    assert case["format"] == "compact/1"
    lines = tmp_path / "cases.jsonl"
    with EXAMPLE.open("rb") as file:
        source = json.dumps(tomllib.load(file), default=str)
    lines.write_text((source + "\n") * 150)
    out = tmp_path / "out.jsonl"
    done = _kspolicy(
        "eval", "--batch", str(lines), "--out", str(out), "--workers", "2", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    written = out.read_text().splitlines()
    assert len(written) == 150
    assert [json.loads(line)["line"] for line in written] == list(range(1, 151))
