"""Batch that scales (issue 16, item 3): cases stream through in bounded memory, go to
workers in chunks, come back in input order with their records, and each line holds
what `--fields` asks for. Nothing here is timed."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import CaseError, Decision
from kspolicy.eval.cases import Unreadable
from kspolicy.tools import audit, batch
from kspolicy.tools.cli import main

from .conftest import ROOT
from .generated import generated_cases

AS_OF = "2026-01-15"
CASE = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


class Counted:
    """A stream of cases that counts how many were taken from it: results that stream
    are yielded long before a billion cases are read."""

    def __init__(self, cases: Iterator[Any]) -> None:
        self.cases = cases
        self.taken = 0

    def __iter__(self) -> Iterator[Any]:
        for case in self.cases:
            self.taken += 1
            yield case


def test_memory_stays_bounded_whatever_the_number_of_cases(pack: kspolicy.Policy) -> None:
    """A billion cases: under a reader that held them, or their results, this would
    run out of memory long before the first result; streamed, the first results come
    after a handful is read, and what is read ahead does not grow with the input."""
    many = Counted(itertools.islice(itertools.cycle(generated_cases(pack.schema, 50)), 10**9))
    results = pack.evaluate_many(iter(many), as_of=AS_OF)
    first = list(itertools.islice(results, 10))
    assert all(isinstance(r, Decision | CaseError) for r in first)
    assert many.taken == 10  # one in, one out
    lines = batch.decide_lines(pack, enumerate(iter(many), 1), batch.Job(as_of=AS_OF))
    list(itertools.islice(lines, 70))
    assert many.taken <= 10 + 2 * kspolicy.policy.CHUNK  # a chunk in hand, the next one read


def lines_of(
    policy: kspolicy.Policy, items: list[tuple[int, Any]], job: batch.Job, workers: int
) -> list[batch.Line]:
    return list(batch.decide_lines(policy, iter(items), job, workers=workers))


def test_workers_keep_lines_and_records_in_input_order(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raw JSON lines (read where they are decided), bad lines among them: with workers
    and small chunks, the same lines in the same order as in one process, and a record
    for each decision, numbered by its line."""
    monkeypatch.setattr("kspolicy.policy.CHUNK", 2)
    monkeypatch.setattr("kspolicy.policy.STARTING", 0)  # the workers decide, not this process
    items: list[tuple[int, Any]] = [
        (n, json.dumps(case).encode())
        for n, case in enumerate(generated_cases(pack.schema, 18), start=1)
    ]
    items[2] = (3, b"{not json")
    items[7] = (8, Unreadable("too long", kspolicy.diagnostics.KSP406))
    items[11] = (12, b'{"project": {"trl": "high"}}')
    job = batch.Job(as_of=AS_OF, record="cases.jsonl", engine="test")
    alone = lines_of(pack, items, job, workers=1)
    counted = Counted(iter(items))
    streamed = batch.decide_lines(pack, iter(counted), job, workers=2)
    together = [next(streamed)]
    # Chunks in flight: AHEAD (3) per worker, and the next one read to fill the queue.
    assert counted.taken <= 4 * (2 * 3 + 1)
    together += streamed
    assert [line.text for line in together] == [line.text for line in alone]
    numbers = [json.loads(line.text)["line"] for line in together]
    assert numbers == list(range(1, 19))
    rejected = [json.loads(line.text) for line in together if not line.decided]
    assert [r["line"] for r in rejected] == [3, 8, 12]
    assert [r["codes"] for r in rejected][1:] == [["KSP406"], ["KSP402"]]
    records = [line.record for line in together if line.record is not None]
    assert [r["batch"]["line"] for r in records] == [n for n in numbers if n not in (3, 8, 12)]


def test_batch_record_with_workers_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kspolicy.policy.CHUNK", 2)
    monkeypatch.setattr("kspolicy.policy.STARTING", 0)  # the workers decide, not this process
    source, log, out = tmp_path / "cases.jsonl", tmp_path / "log.jsonl", tmp_path / "out.jsonl"
    cases = list(generated_cases(kspolicy.load().schema, 7))
    source.write_text("".join(json.dumps(c) + "\n" for c in cases))
    args = ["eval", "--batch", str(source), "--out", str(out), "--as-of", AS_OF]
    assert main([*args, "--record", str(log), "--workers", "2"]) == 0
    assert "7 decided, 0 rejected" in capsys.readouterr().err
    assert audit.verify(log).ok and audit.verify(log).records == 7
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["batch"]["line"] for r in records] == list(range(1, 8))
    assert [r["case"] for r in records] == cases


def test_fields_pick_what_each_line_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "cases.jsonl", tmp_path / "out.jsonl"
    source.write_text(
        '{"project": {"trl": 3}}\n{"partners": 3}\n{"project": {"dual_use": "listed"}}\n'
    )
    args = ["eval", "--batch", str(source), "--out", str(out), "--as-of", AS_OF]
    assert main([*args, "--fields", "outcomes, possible"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [list(line) for line in lines] == [
        ["line", "decision"], ["line", "error", "codes"], ["line", "decision"],
    ]  # fmt: skip
    assert list(lines[0]["decision"]) == ["outcomes", "possible"]
    assert lines[1]["line"] == 2 and lines[1]["codes"] == ["KSP402"]
    assert main([*args, "--fields", "fired", "--detail", "full"]) == 0
    fired = json.loads(out.read_text().splitlines()[2])["decision"]["fired"]
    assert fired and all("title" in rule for rule in fired)


def test_fields_that_a_decision_lacks_are_named_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text('{"project": {"trl": 3}}\n')
    assert main(["eval", "--batch", str(source), "--fields", "outcome"]) == 2
    err = capsys.readouterr().err
    assert "no field `outcome`" in err and "outcomes" in err
    # `sources` is a field of the full form only.
    assert main(["eval", "--batch", str(source), "--fields", "sources"]) == 2
    assert "no field `sources`" in capsys.readouterr().err
    assert main(["eval", str(CASE), "--fields", "outcomes"]) == 2
    assert "--fields goes with --batch" in capsys.readouterr().err


def test_batch_lines_are_compact_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "cases.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"project": {"trl": 3}}\n')
    assert main(["eval", "--batch", str(source), "--out", str(out)]) == 0
    text = out.read_text()
    assert json.loads(text)["decision"]["format"] == "compact/1"
    assert ", " not in text.split('"open_questions"')[0]  # no spaces between items


def test_workers_auto_and_bad_workers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text('{"project": {"trl": 3}}\n')
    assert main(["eval", "--batch", str(source), "--workers", "auto"]) == 0
    assert "1 decided" in capsys.readouterr().err
    for bad in ("0", "many"):
        assert main(["eval", "--batch", str(source), "--workers", bad]) == 2
        assert "--workers takes a number of 1 or more, or auto" in capsys.readouterr().err


class Half(batch.BatchFile):
    """A batch file half read, whatever the clock says."""

    def __init__(self) -> None:
        pass

    def fraction(self) -> float | None:
        return 0.5


def test_the_progress_bar_shows_rate_and_time_left() -> None:
    stream = io.StringIO()
    progress = batch.Progress(stream, Half())
    progress.count = 1000
    text = progress.text(progress._start + 10)
    assert "1,000 cases" in text and "100/s" in text and "50%" in text and "ETA 0:10" in text


def test_no_progress_bar_when_stderr_is_no_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text('{"project": {"trl": 3}}\n' * 40)
    assert main(["eval", "--batch", str(source), "--out", str(tmp_path / "o.jsonl")]) == 0
    assert capsys.readouterr().err == "40 decided, 0 rejected\n"
