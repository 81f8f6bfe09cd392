"""A command whose output its reader cut short, or that Ctrl-C stopped, never reports
success and never prints a traceback (tools/entry.py, tools/output.py `cut_short`)."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from kspolicy.tools import entry, output

from .conftest import ROOT


def _into_closed_pipe(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `kspolicy ARGS | head -0`: standard output a pipe whose reader has gone, so
    that every write to it fails (EPIPE), whatever the timing. Buffered output, as a
    user's shell gives it, and unbuffered (the first write fails, not the last flush)."""
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    try:
        return subprocess.run(
            [sys.executable, "-m", "kspolicy.tools.entry", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
            check=False,
        )
    finally:
        os.close(write)


def test_fmt_bad_pol_piped_into_head_still_exits_with_its_failure(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pol"
    bad.write_text("rule x\n  when\n")
    done = _into_closed_pipe(["fmt", str(bad)], tmp_path)
    assert done.returncode == 2  # the bad file's failure, not the cut's
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert "KSP104" in done.stderr  # what is wrong with the file is still said


def test_fmt_good_pol_piped_into_head_does_not_report_success(tmp_path: Path) -> None:
    good = tmp_path / "good.pol"
    good.write_text((ROOT / "policies" / "knowledge-security" / "outcomes.pol").read_text())
    done = _into_closed_pipe(["fmt", "--check", str(good)], tmp_path)
    assert done.returncode == output.CUT == 141
    assert done.stderr == ""


def test_eval_batch_piped_into_head_does_not_report_success(tmp_path: Path) -> None:
    batch = tmp_path / "cases.jsonl"
    batch.write_text('{"project": {"trl": 3}}\n' * 40)
    done = _into_closed_pipe(["eval", "--batch", str(batch)], tmp_path)
    assert done.returncode == 141
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_check_piped_into_head_keeps_the_errors_status(tmp_path: Path) -> None:
    folder = ROOT / "tests" / "fixtures" / "diagnostics" / "KSP301-missing-cite"
    done = _into_closed_pipe(["check", "--strict", str(folder)], ROOT)
    assert done.returncode == 1  # the warning fails --strict, cut or not
    assert "Traceback" not in done.stderr


def test_cut_short_keeps_a_failure_and_otherwise_says_sigpipe() -> None:
    assert output.cut_short(2) == 2
    assert output.cut_short(0) == 128 + 13


class _Interrupting(importlib.abc.MetaPathFinder):
    """Ctrl-C pressed while the command line's module is being imported."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "kspolicy.tools.cli":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_the_cli_imports_exits_130_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "kspolicy.tools.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_Interrupting(), *sys.meta_path])
    monkeypatch.setattr(sys, "argv", ["kspolicy", "check"])
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_importing_kspolicy_imports_no_engine() -> None:
    """The facade is imported on first use, so that the entry point's `try` covers the
    engine's import (a Ctrl-C there was a traceback); its names still work."""
    code = (
        "import sys, kspolicy; heavy = [m for m in sys.modules if m.startswith('kspolicy.')];"
        " print(heavy); print(kspolicy.load.__module__, kspolicy.diagnostics.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.splitlines() == ["[]", "kspolicy.policy kspolicy.diagnostics"]


def test_the_console_script_is_the_entry_module() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'kspolicy = "kspolicy.tools.entry:main"' in text
