"""`--out` names a device or a pipe: written into, never replaced; the input: refused.

Found by a new user's trial: as root, `kspolicy eval --batch cases.jsonl --out /dev/null`
exited 0 and left a plain file where the system's /dev/null had been (every output was
written to a temporary file and renamed over its name); `--out` naming the input file
replaced the cases with their decisions; a closed standard input gave a traceback.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kspolicy.diagnostics import KspolicyError
from kspolicy.tools import output
from kspolicy.tools.cli import main

BATCH = '{"project": {"trl": 3}}\n{"project": {"trl": 4}}\n'


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_dev_null_is_a_stream_to_write_into() -> None:
    # Only asked, never written: a broken check must not be able to harm /dev/null.
    assert output.stream_target(Path("/dev/null"))
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_batch_written_to_a_fifo_goes_into_the_fifo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text(BATCH)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run(capsys, "eval", "--batch", str(batch), "--out", str(fifo))
    reader.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the pipe, not a file in its place
    assert len(received[0].splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe", "small.jsonl"]


def test_a_link_to_a_device_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "small.jsonl"
    batch.write_text(BATCH)
    link = tmp_path / "out.jsonl"
    link.symlink_to("/dev/null")
    code, _, err = run(capsys, "eval", "--batch", str(batch), "--out", str(link))
    assert code == 2
    assert "not a regular file" in err and "redirect" in err
    assert link.is_symlink() and os.readlink(link) == "/dev/null"
    with pytest.raises(KspolicyError, match="not a regular file"):
        output.write_bytes(link, b"x")


@pytest.mark.parametrize("through_a_link", [False, True])
def test_out_naming_the_input_is_refused_and_the_cases_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], through_a_link: bool
) -> None:
    batch = tmp_path / "cases.jsonl"
    batch.write_text(BATCH)
    out = batch
    if through_a_link:
        out = tmp_path / "alias.jsonl"
        out.symlink_to(batch)
    code, _, err = run(capsys, "eval", "--batch", str(batch), "--out", str(out))
    assert code == 2
    assert "is the input file itself" in err
    assert batch.read_text() == BATCH


def test_eval_case_out_naming_the_case_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"project": {"trl": 3}}\n')
    code, _, err = run(capsys, "eval", str(case), "--out", str(case))
    assert code == 2 and "is the input file itself" in err
    assert case.read_text() == '{"project": {"trl": 3}}\n'


@pytest.mark.parametrize("command", [["eval", "--batch", "-"], ["eval", "-"]])
def test_a_closed_standard_input_is_said_in_words(command: list[str]) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "kspolicy"), *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.close(0),
    )
    assert done.returncode == 2, done.stderr
    assert "standard input is closed" in done.stderr
    assert "Traceback" not in done.stderr
