"""Many cases at once: streamed, in input order, in bounded memory, optionally in parallel.

`evaluate_many` yields, for each case in turn, its Decision or the CaseError that says
what is wrong with it: one bad case never stops the rest. It reads its input a window
at a time, so any number of cases fits in memory. With `workers` above one, each
window is spread over processes that load the policy themselves (a compiled policy
holds generated code, which does not travel between processes); results come back as
JSON-ready data and are rebuilt in order.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import multiprocessing
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from .decision import Decision
from .diagnostics import CODES, CaseError, CaseProblem
from .limits import DEFAULT, Limits
from .policy import Policy, load
from .serde import json_problem

WINDOW = 256  # cases read ahead per worker

_worker_policy: Policy | None = None


@attrs.frozen
class Unreadable:
    """A line of a batch file that holds no case: it gets its own CaseError, in its place."""

    message: str


def _start_worker(path: str | None, limits: Limits) -> None:
    global _worker_policy
    _worker_policy = load(path, limits=limits)


def _decide(job: tuple[Any, str | None, str, bool]) -> tuple[str, Any]:
    case, as_of, lang, explain = job
    assert _worker_policy is not None
    return _outcome(_worker_policy, case, as_of, lang, explain)


def _outcome(
    policy: Policy, case: Any, as_of: str | None, lang: str, explain: bool
) -> tuple[str, Any]:
    if isinstance(case, Unreadable):
        return "error", [("", case.message, "KSP401")]
    try:
        return "decision", policy.evaluate(case, as_of=as_of, lang=lang, explain=explain).to_dict()
    except CaseError as error:
        return "error", [(p.path, p.message, p.code.number) for p in error.problems]


def _rebuild(kind: str, data: Any) -> Decision | CaseError:
    if kind == "decision":
        return Decision.from_dict(data)
    return CaseError([CaseProblem(path, message, CODES[code]) for path, message, code in data])


def evaluate_many(
    policy: Policy,
    cases: Iterable[Any],
    *,
    as_of: dt.date | str | None = None,
    lang: str = "en",
    explain: bool = False,
    workers: int = 1,
) -> Iterator[Decision | CaseError]:
    """Each case's decision, or its CaseError, in input order, streamed."""
    day = as_of.isoformat() if isinstance(as_of, dt.date) else as_of
    if workers <= 1:
        for case in cases:
            if isinstance(case, Unreadable):
                yield _rebuild(*_outcome(policy, case, day, lang, explain))
                continue
            try:
                yield policy.evaluate(case, as_of=day, lang=lang, explain=explain)
            except CaseError as error:
                yield error
        return
    context = multiprocessing.get_context("spawn")
    source = None if policy.path is None else str(policy.path)
    with context.Pool(workers, _start_worker, (source, policy.limits)) as pool:
        iterator = iter(cases)
        while window := list(itertools.islice(iterator, WINDOW * workers)):
            jobs = [(case, day, lang, explain) for case in window]
            for kind, data in pool.imap(_decide, jobs, chunksize=16):
                yield _rebuild(kind, data)


def read_batch(path: Path, limits: Limits = DEFAULT) -> Iterator[tuple[int, Any]]:
    """(line number, case) for each case of a .jsonl or .csv file; a line that holds no
    case (not JSON, or larger than a case file may be) is an `Unreadable` in its place."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, _from_columns(row)
        return
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            length = len(line.rstrip("\r\n"))  # characters: never more than its bytes
            if length > limits.max_case_bytes:
                size = f"{length:,} characters; a case may have {limits.max_case_bytes:,}"
                yield number, Unreadable(f"the line is {size}")
                continue
            try:
                yield number, json.loads(line)
            except (ValueError, RecursionError) as exc:
                yield number, Unreadable(f"not valid JSON: {json_problem(exc)}")


def _from_columns(row: Mapping[str, str | None]) -> dict[str, Any]:
    """A case from CSV columns named by dotted paths (`partners.0.country`); empty cells
    are unknown facts; cells holding JSON (true, 3, ["CN"]) are read as JSON."""
    case: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None or cell.strip() == "":
            continue
        try:
            value: Any = json.loads(cell)
        except (ValueError, RecursionError):  # not JSON: the cell's text
            value = cell
        target: Any = case
        parts = column.split(".")
        for part, following in zip(parts, parts[1:], strict=False):
            container: Any = [] if following.isdigit() else {}
            if part.isdigit():
                index = int(part)
                while len(target) <= index:
                    target.append({})
                target = target[index]
            else:
                target = target.setdefault(part, container)
        last = parts[-1]
        if last.isdigit():
            while len(target) <= int(last):
                target.append(None)
            target[int(last)] = value
        else:
            target[last] = value
    return case
