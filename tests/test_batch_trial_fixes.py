"""What a new user's trial of `eval --batch` found: `--fields trace` without
`--explain` wrote `{"decision":{}}` lines without a word, and on a terminal the progress
bar was drawn into the decisions when they went to the same terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kspolicy.tools.cli import main

BATCH = '{"project": {"trl": 3}}\n{"project": {"trl": 4}}\n'


def test_fields_trace_without_explain_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text(BATCH)
    assert main(["eval", "--batch", str(batch), "--fields", "trace"]) == 2
    _, err = capsys.readouterr()
    assert "--fields trace" in err and "--explain" in err
    assert main(["eval", "--batch", str(batch), "--fields", "trace", "--explain"]) == 0
    out, _ = capsys.readouterr()
    assert out.count('"trace"') == 2


@pytest.mark.parametrize(("stdout_terminal", "drawn"), [(True, False), (False, True)])
def test_the_progress_bar_is_not_drawn_into_decisions_on_the_same_terminal(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdout_terminal: bool,
    drawn: bool,
) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text(BATCH)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: stdout_terminal)
    assert main(["eval", "--batch", str(batch)]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2 and "\x1b" not in out
    assert ("\r" in err or "\x1b" in err) is drawn
