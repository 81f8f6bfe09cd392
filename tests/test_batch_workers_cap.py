"""`eval --batch --workers N` with N above the cores this process may use: lowered to
the cores, with a note on standard error (docs/cli.md, "Workers"): a worker beyond them
only takes turns with the others and pays its own start and copy of the policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from kspolicy import policy as facade
from kspolicy.diagnostics import KspolicyError
from kspolicy.tools import cli
from kspolicy.tools.cli import main


def _batch(tmp_path: Path) -> Path:
    source = tmp_path / "cases.jsonl"
    source.write_text('{"project": {"trl": 3}}\n' * 3)
    return source


def test_eval_batch_workers_99_is_lowered_to_the_cores_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facade, "cores", lambda: 2)
    source = _batch(tmp_path)
    assert main(["eval", "--batch", str(source), "--workers", "99"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "note: --workers 99: this process may use 2 cores; deciding with 2 workers",
        "3 decided, 0 rejected",
    ]
    assert main(["eval", "--batch", str(source), "--workers", "1"]) == 0
    assert capsys.readouterr().out == out  # the same decisions


@pytest.mark.parametrize(("given", "usable", "expected"), [("99", 2, 2), ("2", 2, 2), ("3", 1, 1)])
def test_workers_never_exceed_the_usable_cores(
    given: str, usable: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facade, "cores", lambda: usable)
    assert cli._workers(given) == expected
    assert cli._workers("auto") == usable


def test_workers_one_core_says_core_and_worker_in_the_singular(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facade, "cores", lambda: 1)
    assert cli._workers("4") == 1
    assert capsys.readouterr().err == (
        "note: --workers 4: this process may use 1 core; deciding with 1 worker\n"
    )


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_workers_below_one_or_not_a_number_are_still_refused(bad: str) -> None:
    with pytest.raises(KspolicyError, match="--workers takes a number of 1 or more"):
        cli._workers(bad)
