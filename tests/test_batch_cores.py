"""Batch on the cores there are (issue 16, item 3): by default `eval --batch` decides in
its own process until there is work worth a worker, then uses the cores it may; the
lines are the same bytes whatever the number of processes; a worker that stops, or
cannot load the policy, stops the batch with an error in words, never a hang. Nothing
here is timed: what starts a process is observed through `policy._new_pool`."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import policy as facade
from kspolicy.tools import batch
from kspolicy.tools.cli import main

from .conftest import ROOT
from .generated import generated_cases

AS_OF = "2026-01-15"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def pools_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of workers of each pool started from now on (the pools still start)."""
    started: list[int] = []
    real: Callable[..., Any] = facade._new_pool

    def counted(policy: kspolicy.Policy, count: int, **how: Any) -> Any:
        started.append(count)
        return real(policy, count, **how)

    monkeypatch.setattr(facade, "_new_pool", counted)
    return started


def eager(monkeypatch: pytest.MonkeyPatch, cores: int = 2) -> None:
    """Workers worth starting at once, on `cores` cores, deciding every chunk after the
    first: small chunks, no time deciding here first, none while they start."""
    monkeypatch.setattr(facade, "CHUNK", 4)
    monkeypatch.setattr(facade, "START_AFTER", 0.0)
    monkeypatch.setattr(facade, "STARTING", 0)
    monkeypatch.setattr(facade, "WORTH", 0.0)
    monkeypatch.setattr(facade, "WORTH_FORKED", 0.0)
    monkeypatch.setattr(facade, "cores", lambda: cores)


def write_batch(path: Path, count: int) -> None:
    policy = kspolicy.load()
    lines = [json.dumps(case) for case in generated_cases(policy.schema, count)]
    lines[2] = "{not json"
    lines[5] = '{"project": {"trl": "high"}}'
    path.write_text("".join(line + "\n" for line in lines))


def test_a_small_batch_by_default_starts_no_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten lines, on two cores, with workers worth starting at once: they fit in one
    chunk, which this process decides sooner than a worker would start."""
    eager(monkeypatch)
    monkeypatch.setattr(facade, "CHUNK", 64)
    started = pools_started(monkeypatch)
    source = tmp_path / "ten.jsonl"
    write_batch(source, 10)
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF]) == 0
    out, err = capsys.readouterr()
    assert "8 decided, 2 rejected" in err
    assert len(out.splitlines()) == 10
    assert started == []


def test_a_file_with_little_left_to_decide_starts_no_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many chunks, but what is left of the file, at this process's pace, is less work
    than WORTH: deciding it here is sooner than starting workers. `--workers 2` forces
    them all the same."""
    eager(monkeypatch)
    monkeypatch.setattr(facade, "WORTH", 1e9)
    monkeypatch.setattr(facade, "WORTH_FORKED", 1e9)
    started = pools_started(monkeypatch)
    source = tmp_path / "cases.jsonl"
    write_batch(source, 30)
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF]) == 0
    assert "28 decided, 2 rejected" in capsys.readouterr().err
    assert started == []
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF, "--workers", "2"]) == 0
    assert started == [2]


def test_workers_1_decides_here_whatever_the_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    eager(monkeypatch)
    started = pools_started(monkeypatch)
    source = tmp_path / "cases.jsonl"
    write_batch(source, 30)
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF, "--workers", "1"]) == 0
    assert "28 decided, 2 rejected" in capsys.readouterr().err
    assert started == []


def test_on_one_core_the_default_starts_no_process(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    eager(monkeypatch, cores=1)
    started = pools_started(monkeypatch)
    cases = list(generated_cases(pack.schema, 12))
    results = list(pack.evaluate_many(cases, as_of=AS_OF, workers=None))
    assert len(results) == 12
    assert started == []


def test_a_large_batch_by_default_uses_the_cores_and_writes_the_same_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """More than a chunk, on two cores: two workers start, and the output file is, byte
    for byte, the one a single process writes (lines in input order, bad lines in
    place)."""
    eager(monkeypatch)
    started = pools_started(monkeypatch)
    source = tmp_path / "cases.jsonl"
    write_batch(source, 30)
    alone, spread = tmp_path / "alone.jsonl", tmp_path / "spread.jsonl"
    args = ["eval", "--batch", str(source), "--as-of", AS_OF]
    assert main([*args, "--out", str(alone), "--workers", "1"]) == 0
    assert started == []
    assert main([*args, "--out", str(spread)]) == 0
    assert started == [2]
    assert "28 decided, 2 rejected" in capsys.readouterr().err
    assert spread.read_bytes() == alone.read_bytes()
    numbers = [json.loads(line)["line"] for line in alone.read_text().splitlines()]
    assert numbers == list(range(1, 31))


def where(policy: kspolicy.Policy, context: None, chunk: list[int]) -> list[int]:
    """The process that decided each item (a task for `spread`)."""
    return [os.getpid()] * len(chunk)


def test_the_workers_decide_the_chunks_once_they_are_ready(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process decides while the workers start (here one chunk at most, then it
    waits for them), and hands every later chunk over."""
    eager(monkeypatch)
    monkeypatch.setattr(facade, "STARTING", 1)
    started = pools_started(monkeypatch)
    results = facade.spread(pack, where, None, range(40), workers=None)
    pids = [pid for chunk in results for pid in chunk]
    assert len(pids) == 40 and started == [2]
    assert pids[:4] == [os.getpid()] * 4  # the first chunk, decided while they start
    assert os.getpid() not in pids[4:]


_written = batch._written


def dies(policy: kspolicy.Policy, context: Any, chunk: list[Any]) -> Any:
    """A task whose process is killed when it is a worker (as by the system, out of
    memory); this process decides its own chunks (forked workers start after it decided
    the first)."""
    if multiprocessing.parent_process() is not None:
        os.kill(os.getpid(), signal.SIGKILL)
    return _written(policy, context, chunk)


def test_a_killed_worker_stops_the_batch_with_an_error_not_a_hang(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `multiprocessing.Pool` the chunk of a killed worker was waited for forever."""
    eager(monkeypatch)
    monkeypatch.setattr(batch, "_written", dies)  # sent to the workers by name
    source = tmp_path / "cases.jsonl"
    write_batch(source, 12)
    out = tmp_path / "out.jsonl"
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "a worker process stopped before it finished its cases" in err
    assert "--workers 1" in err and "Traceback" not in err
    assert not out.exists()  # no output that looks whole


def test_a_worker_that_cannot_load_the_policy_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy file changed after this process loaded it: each worker loads it again."""
    eager(monkeypatch)
    folder = tmp_path / "screening"
    shutil.copytree(ROOT / "examples" / "policies" / "screening", folder)
    policy = kspolicy.load(folder / "policy.pol")
    (folder / "policy.pol").write_text("this is not a policy\n")
    with pytest.raises(facade.WorkerFailed, match="a worker process cannot load the policy"):
        list(facade.spread(policy, where, None, range(40), workers=2))


def test_a_batch_on_standard_input_is_read_as_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--batch -`: a program's cases through a pipe, the same lines as from a file."""
    source = tmp_path / "cases.jsonl"
    write_batch(source, 10)
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF]) == 0
    from_file = capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(source.read_bytes())))
    assert main(["eval", "--batch", "-", "--as-of", AS_OF]) == 0
    out, err = capsys.readouterr()
    assert "8 decided, 2 rejected" in err
    assert out == from_file
