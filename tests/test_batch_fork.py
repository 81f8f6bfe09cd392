"""`eval --batch` forks its workers (issue 16, item 3: 2 workers at least 1.6× one): they
start as copies of the process that decided the first chunk, warm, and leave each
chunk's output in memory shared with it; the output is the same bytes whatever way the
chunks travel. Spawned workers stay for a process that runs other threads (a library's
host). Nothing here is timed: what starts a process is observed through
`policy._new_pool`, which process decided a chunk through its pid."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Generator, Iterator
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

pytestmark = pytest.mark.skipif(
    not facade.can_fork(), reason="workers are forked on Linux, with no other thread running"
)


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def pools_started(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each pool started from now on, whether its workers were forked."""
    started: list[bool] = []
    real: Callable[..., Any] = facade._new_pool

    def counted(policy: kspolicy.Policy, count: int, *, fork: bool = False) -> Any:
        started.append(fork)
        return real(policy, count, fork=fork)

    monkeypatch.setattr(facade, "_new_pool", counted)
    return started


def small_chunks(monkeypatch: pytest.MonkeyPatch, size: int = 2) -> None:
    """Chunks of `size` cases, on two cores, workers worth starting at once."""
    monkeypatch.setattr(facade, "CHUNK", size)
    monkeypatch.setattr(facade, "WORTH_FORKED", 0.0)
    monkeypatch.setattr(facade, "cores", lambda: 2)


def write_batch(path: Path, count: int) -> None:
    policy = kspolicy.load()
    lines = [json.dumps(case) for case in generated_cases(policy.schema, count)]
    lines[3] = "{not json"
    lines[8] = '{"project": {"trl": "high"}}'
    path.write_text("".join(line + "\n" for line in lines))


def batch_output(tmp_path: Path, source: Path, *options: str) -> bytes:
    out = tmp_path / "out.jsonl"
    assert (
        main(["eval", "--batch", str(source), "--as-of", AS_OF, "--out", str(out), *options]) == 0
    )
    return out.read_bytes()


def test_workers_2_forks_and_reuses_every_slot_without_losing_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty chunks through eight slots (2 workers × AHEAD 3, and 2): each slot is
    written again and again, only once its chunk is out, so the file is byte for byte
    the one a single process writes."""
    small_chunks(monkeypatch)
    started = pools_started(monkeypatch)
    source = tmp_path / "cases.jsonl"
    write_batch(source, 60)
    alone = batch_output(tmp_path, source, "--workers", "1")
    assert started == []
    assert batch_output(tmp_path, source, "--workers", "2") == alone
    assert started == [True]
    assert "58 decided, 2 rejected" in capsys.readouterr().err


def test_a_chunk_larger_than_its_slot_comes_through_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Output that does not fit its slot (here every chunk's) is sent as before."""
    small_chunks(monkeypatch)
    source = tmp_path / "cases.jsonl"
    write_batch(source, 20)
    alone = batch_output(tmp_path, source, "--workers", "1")
    monkeypatch.setattr(batch._Slots, "SIZE", 100)
    assert batch_output(tmp_path, source, "--workers", "2") == alone


def test_decided_chunks_from_forked_workers_write_to_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The views of shared memory go to a text stream too (no binary buffer here)."""
    small_chunks(monkeypatch)
    source = tmp_path / "cases.jsonl"
    write_batch(source, 20)
    alone = batch_output(tmp_path, source, "--workers", "1")
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF, "--workers", "2"]) == 0
    assert capsys.readouterr().out.encode() == alone


def where(policy: kspolicy.Policy, context: None, chunk: list[int]) -> list[int]:
    """The process that decided each item (a task for `spread`)."""
    return [os.getpid()] * len(chunk)


def test_default_slower_than_two_workers_forks_at_the_second_chunk(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default this process decided for half a second, then went on deciding while
    spawned workers started: three processes on two cores. Now, on a file whose size
    says there is work left, it decides the first chunk (the workers inherit it warm)
    and forks at once, however long START_AFTER is; it decides nothing after."""
    small_chunks(monkeypatch, 4)
    monkeypatch.setattr(facade, "START_AFTER", 1e9)
    started = pools_started(monkeypatch)
    read = 0

    def share() -> float:
        return read / 40

    def items() -> Iterator[int]:
        nonlocal read
        for item in range(40):
            read += 1
            yield item

    results = facade.spread(pack, where, None, items(), workers=None, share=share, fork=True)
    pids = [pid for chunk in results for pid in chunk]
    assert len(pids) == 40 and started == [True]
    assert pids[:4] == [os.getpid()] * 4
    assert os.getpid() not in pids[4:]


def test_a_pipe_by_default_still_waits_start_after(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of an input of unknown size nothing says how much is left: it is decided here
    for START_AFTER first, and forty items take less."""
    small_chunks(monkeypatch, 4)
    monkeypatch.setattr(facade, "START_AFTER", 1e9)
    started = pools_started(monkeypatch)
    results = facade.spread(pack, where, None, range(40), workers=None, fork=True)
    assert [pid for chunk in results for pid in chunk] == [os.getpid()] * 40
    assert started == []


def test_a_10000_case_batch_slower_by_default_stays_in_one_process_when_little_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is left of the file, at this process's pace, is less than WORTH_FORKED:
    no worker is started, forked or spawned."""
    small_chunks(monkeypatch)
    monkeypatch.setattr(facade, "WORTH_FORKED", 1e9)
    started = pools_started(monkeypatch)
    source = tmp_path / "cases.jsonl"
    write_batch(source, 30)
    assert main(["eval", "--batch", str(source), "--as-of", AS_OF]) == 0
    assert "28 decided, 2 rejected" in capsys.readouterr().err
    assert started == []


def test_forked_workers_decide_with_the_policy_this_process_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy's file changed after it was loaded: spawned workers load it again (and
    fail); forked ones hold this process's policy, so the batch is decided by the one
    policy its first chunk was."""
    small_chunks(monkeypatch)
    folder = tmp_path / "screening"
    shutil.copytree(ROOT / "examples" / "policies" / "screening", folder)
    policy = kspolicy.load(folder / "policy.pol")
    (folder / "policy.pol").write_text("this is not a policy\n")
    items = [(n, b"{}") for n in range(1, 21)]
    job = batch.Job(as_of=AS_OF)
    forked = [bytes(w.data) for w in batch.decide_chunks(policy, iter(items), job, workers=2)]
    alone = [bytes(w.data) for w in batch.decide_chunks(policy, iter(items), job, workers=1)]
    assert b"".join(forked) == b"".join(alone)
    monkeypatch.setattr(facade, "STARTING", 0)  # spawned: nothing decided while they start
    with pytest.raises(facade.WorkerFailed, match="cannot load the policy"):
        list(facade.spread(policy, where, None, range(40), workers=2))


def test_a_process_running_other_threads_spawns_its_workers(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread holding a lock at a fork would leave the worker's copy locked forever:
    with another thread running, workers are spawned, and the lines are the same."""
    small_chunks(monkeypatch, 4)
    started = pools_started(monkeypatch)
    items = [(n, json.dumps(c).encode()) for n, c in enumerate(generated_cases(pack.schema, 12))]
    job = batch.Job(as_of=AS_OF)
    alone = b"".join(bytes(w.data) for w in batch.decide_chunks(pack, iter(items), job))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not facade.can_fork()
        chunks = batch.decide_chunks(pack, iter(items), job, workers=2)
        assert b"".join(bytes(w.data) for w in chunks) == alone
    finally:
        stop.set()
        other.join()
    assert started == [False]


def test_forked_chunks_read_ahead_a_bounded_number_of_cases(pack: kspolicy.Policy) -> None:
    """A billion cases: the first chunk comes out after a handful of chunks are read
    (in flight: AHEAD per worker, and the next), whatever the input's length."""
    taken = 0

    def cases() -> Iterator[tuple[int, bytes]]:
        nonlocal taken
        for number in range(1, 10**9):
            taken += 1
            yield number, b"{}"

    chunks = batch.decide_chunks(pack, cases(), batch.Job(as_of=AS_OF), workers=2)
    assert isinstance(chunks, Generator)
    first = list(itertools.islice(chunks, 3))
    assert sum(w.decided for w in first) == 3 * facade.CHUNK
    assert taken <= facade.CHUNK * (2 * facade.AHEAD + 4)
    chunks.close()


def test_ctrl_c_stops_the_batch_and_its_forked_workers(tmp_path: Path) -> None:
    """Ctrl-C reaches every process of the terminal's group: the batch stops with
    "interrupted" (no traceback, from it or a worker) and no worker outlives it."""
    policy = kspolicy.load()
    lines = [json.dumps(case) for case in generated_cases(policy.schema, 50)]
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(line + "\n" for line in lines) * 1000)  # a minute of work
    command = [sys.executable, "-m", "kspolicy.tools.entry", "eval", "--batch", str(source)]
    running = subprocess.Popen(
        [*command, "--as-of", AS_OF, "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group, as a terminal's command has
    )
    try:
        assert running.stdout is not None
        for _ in range(3 * facade.CHUNK):  # past the first chunk: the workers decide
            assert running.stdout.readline()
        os.killpg(running.pid, signal.SIGINT)
        _, err = running.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(running.pid, signal.SIGKILL)
    assert running.returncode == 130
    assert b"interrupted" in err and b"Traceback" not in err
    with pytest.raises(ProcessLookupError):
        os.killpg(running.pid, 0)  # no process of the group is left
