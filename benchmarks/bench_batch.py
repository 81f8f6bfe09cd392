"""Benchmark of `kspolicy eval --batch` (issue 16): per stage, end to end, 1 and 2 workers.

    python benchmarks/bench_batch.py [--cases 100000] [--baseline /work/main/.venv/bin/kspolicy]

Two inputs: the pack's 13 example cases (as JSON lines, repeated to `--example-lines`),
and `--cases` cases with unknown facts generated from the pack's schema with a seed
(tests/generated.py: the same cases on every run). For each:

- per stage, in this process, over a sample: read (a JSON line to a checked case),
  decide (`evaluate`), serialise (the output line, compact and full), and the bytes of a
  decision in each form (the full form with the spaces today's lines had);
- end to end, `kspolicy eval --batch FILE --out OUT` in a child process with 1 worker
  (`--workers 1`: in the process), 2 workers, and the default (no `--workers`: workers
  once there is work for them): wall time, cases/s and its ratio to the issue's 430/s,
  CPU time of the parent process (reading, sending, writing) and of its workers apart,
  peak RSS of the largest process, bytes written.

With `--baseline KSPOLICY` (another installation's command, e.g. main before this work)
the same files are decided by it too, in the same run (one worker on `--baseline-cases`
lines, two on `--cases`), for the ratios per case. Every run is repeated `--rounds`
times, alternated, and reported as medians, with the ratios the issue asks for (two
workers against one; the default against two workers, and against one on the small
file). The machine is shared: compare ratios within one run, read CPU time beside wall
time. Results go to benchmarks/results/batch-STAMP.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import kspolicy
from kspolicy.tools import jsonline
from kspolicy.tools.batch import read_line

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.generated import SEED, filled, generated_cases  # noqa: E402

AS_OF = "2026-01-15"
TODAY = {"seconds": 23.0, "cases": 10_000, "megabytes": 343.0}  # the issue's figures


def per_case(call: Callable[[Any], Any], items: list[Any]) -> tuple[float, list[Any]]:
    """Microseconds per item, and the results."""
    start = time.perf_counter()
    results = [call(item) for item in items]
    return (time.perf_counter() - start) / len(items) * 1e6, results


def cpu_per_case(call: Callable[[Any], Any], items: list[Any], rounds: int = 3) -> float:
    """CPU microseconds per item, the least of `rounds` (the machine is shared)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for item in items:
            call(item)
        best = min(best, (time.process_time() - start) / len(items) * 1e6)
    return best


def decide_stage(policy: kspolicy.Policy, cases: list[Any]) -> dict[str, float]:
    """Issue 16's first ratio, in CPU time on the same cases: `evaluate` beside
    `rule_statuses`, and `rule_statuses` beside the same cases with their unknown facts
    filled in (`tests.generated.filled`)."""
    full = [filled(policy.schema, case) for case in cases]
    for case in cases[:3]:  # the generated functions are built before timing
        policy.evaluate(case, as_of=AS_OF)
        policy.rule_statuses(case, as_of=AS_OF)
    evaluate = cpu_per_case(lambda case: policy.evaluate(case, as_of=AS_OF), cases)
    statuses = cpu_per_case(lambda case: policy.rule_statuses(case, as_of=AS_OF), cases)
    known = cpu_per_case(lambda case: policy.rule_statuses(case, as_of=AS_OF), full)
    return {
        "evaluate_cpu_us": evaluate,
        "rule_statuses_cpu_us": statuses,
        "rule_statuses_filled_cpu_us": known,
        "evaluate_over_rule_statuses": evaluate / statuses,
        "rule_statuses_over_filled": statuses / known,
    }


def stages(policy: kspolicy.Policy, lines: list[bytes]) -> dict[str, float]:
    """Each stage's cost per case, and bytes per decision in each form."""
    read, cases = per_case(read_line, lines)
    for case in cases[:3]:  # the generated functions are built before timing
        policy.evaluate(case, as_of=AS_OF)
    decide, decisions = per_case(lambda case: policy.evaluate(case, as_of=AS_OF), cases)
    # Compact lines as `eval --batch` writes them (tools/jsonline: orjson when installed,
    # the same bytes as json.dumps).
    compact, texts = per_case(
        lambda d: jsonline.dumps({"line": 1, "decision": d.to_dict()}),
        decisions,
    )
    full, olds = per_case(
        lambda d: json.dumps({"line": 1, "decision": d.to_dict(detail="full")}, ensure_ascii=False),
        decisions,
    )

    # A whole line, read + decide + serialise, in CPU time (the least of three rounds):
    # through `evaluate` and the decision's `to_dict`, as `eval --batch` writes it today,
    # and straight from the findings (`Policy.compact_decision`), the same bytes.
    def via_evaluate(line: bytes) -> bytes:
        decision = policy.evaluate(read_line(line), as_of=AS_OF)
        return jsonline.dumps({"line": 1, "decision": decision.to_dict()})

    def direct(line: bytes) -> bytes:
        data = policy.compact_decision(read_line(line), as_of=AS_OF)
        return jsonline.dumps({"line": 1, "decision": data})

    assert [direct(line) for line in lines] == texts
    lines_cpu = {
        "line_via_evaluate_cpu_us": cpu_per_case(via_evaluate, lines),
        "line_direct_cpu_us": cpu_per_case(direct, lines),
    }
    compact_bytes = [len(t) for t in texts]
    full_bytes = [len(t.encode()) for t in olds]
    return {
        "read_us": read,
        "decide_us": decide,
        "serialise_compact_us": compact,
        "serialise_full_us": full,
        **lines_cpu,
        "bytes_compact_median": statistics.median(compact_bytes),
        "bytes_full_median": statistics.median(full_bytes),
        "bytes_ratio": sum(compact_bytes) / sum(full_bytes),
        "pending_mean": statistics.mean(len(d.pending) for d in decisions),
        "questions_mean": statistics.mean(len(d.open_questions) for d in decisions),
    }


def write_lines(path: Path, cases: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for case in cases:
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
            count += 1
    return count


def run_batch(command: str, batch: Path, out: Path, workers: int | None) -> dict[str, Any]:
    """One `eval --batch` in a child process: wall, CPU (the parent process, its workers),
    RSS, bytes. `workers` None: no `--workers`, the default."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    args = [command, "eval", "--batch", str(batch), "--out", str(out), "--as-of", AS_OF]
    if workers is not None:
        args += ["--workers", str(workers)]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    parent = parent_cpu(child)
    stdout, stderr = child.communicate()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {stderr}")
    cases = sum(1 for _ in out.open("rb"))
    size = out.stat().st_size
    out.unlink()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "cases": cases,
        "wall_s": wall,
        "cpu_s": cpu,
        # The process that reads, sends and writes, apart from the workers that decide
        # (sampled from /proc every 20 ms: up to 20 ms short).
        "parent_cpu_s": parent,
        "workers_cpu_s": max(0.0, cpu - parent),
        "parent_us_per_case": parent / cases * 1e6,
        "cases_per_s": cases / wall,
        "times_issue": cases / wall / ISSUE_RATE,
        "us_per_case": wall / cases * 1e6,
        "bytes_per_case": size / cases,
        # The largest of the child and its workers, since this process started: a lower
        # bound of the run's own peak only when it is the largest run so far.
        "max_rss_mib": after.ru_maxrss / 1024,
        "summary": stderr.strip().splitlines()[-1],
    }


ISSUE_RATE = TODAY["cases"] / TODAY["seconds"]  # ~430 cases/s


def parent_cpu(child: subprocess.Popen[str]) -> float:
    """The CPU seconds of `child` itself (not its workers), its last reading before it
    ends: /proc/PID/stat's utime and stime, read every 20 ms."""
    tick = os.sysconf("SC_CLK_TCK")
    seen = 0.0
    stat = Path(f"/proc/{child.pid}/stat")
    while child.poll() is None:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            break
        if fields[0] == "Z":  # ended, not yet waited for
            break
        seen = (int(fields[11]) + int(fields[12])) / tick
        time.sleep(0.02)
    return seen


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each measure's median over the rounds of one run; the last round's words."""
    summary = dict(runs[-1])
    for key, value in runs[0].items():
        if isinstance(value, int | float):
            summary[key] = statistics.median(run[key] for run in runs)
    summary["rounds"] = len(runs)
    return summary


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--example-lines", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1_000, help="cases per stage sample")
    parser.add_argument("--baseline", help="another kspolicy command, for the before figures")
    parser.add_argument("--baseline-cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of the runs")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--stages-only", action="store_true", help="the per-stage measures alone, no batch"
    )
    args = parser.parse_args()

    policy = kspolicy.load()
    command = str(Path(sys.executable).with_name("kspolicy"))
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    examples = [
        {**policy.read_case(path)[0]}
        for path in sorted((ROOT / "examples" / "cases").glob("*.toml"))
    ]
    examples = [json.loads(json.dumps(case, default=str)) for case in examples]
    result: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "kspolicy": kspolicy.__version__,
        "seed": SEED,
        "load_start": load_average(),
    }
    print(f"load average at the start: {result['load_start']}", flush=True)

    lines = [json.dumps(c).encode() for c in examples]
    result["stages_examples"] = stages(policy, lines * max(1, args.sample // len(lines) // 4))
    sample = [json.dumps(c).encode() for c in generated_cases(policy.schema, args.sample)]
    result["stages_generated"] = stages(policy, sample)
    generated = [read_line(line) for line in sample]
    result["decide_generated"] = decide_stage(policy, generated)
    shown = ("stages_examples", "stages_generated", "decide_generated")
    print(json.dumps({k: result[k] for k in shown}, indent=1), flush=True)
    if args.stages_only:
        return

    example_file = folder / "examples.jsonl"
    write_lines(example_file, itertools.islice(itertools.cycle(examples), args.example_lines))
    generated_file = folder / "generated.jsonl"
    write_lines(generated_file, generated_cases(policy.schema, args.cases))
    small_file = folder / "generated-small.jsonl"
    write_lines(small_file, generated_cases(policy.schema, args.baseline_cases))
    out = folder / "out.jsonl"

    # Each run is repeated `--rounds` times, the runs of a round one after the other (A B
    # C, A B C, ...): the machine is shared, a minute's load moves a timing by up to 40%,
    # and the medians of alternated rounds compare like with like.
    plan: list[tuple[str, str, Path, int | None]] = []
    if args.baseline:
        plan.append(("examples, before, 1 worker", args.baseline, example_file, 1))
    plan += [
        ("examples, 1 worker", command, example_file, 1),
        ("examples, 2 workers", command, example_file, 2),
        ("examples, default", command, example_file, None),
    ]
    small = f"generated {args.baseline_cases:,}"
    if args.baseline:
        plan.append((f"{small}, before, 1 worker", args.baseline, small_file, 1))
    plan += [
        (f"{small}, 1 worker", command, small_file, 1),
        (f"{small}, default", command, small_file, None),
    ]
    large = f"generated {args.cases:,}"
    if args.baseline:
        plan.append((f"{large}, before, 2 workers", args.baseline, generated_file, 2))
    plan += [
        (f"{large}, 1 worker", command, generated_file, 1),
        (f"{large}, 2 workers", command, generated_file, 2),
        (f"{large}, default", command, generated_file, None),
    ]
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in plan}
    for number in range(args.rounds):
        for name, cmd, batch, workers in plan:
            run = {**run_batch(cmd, batch, out, workers), "load": load_average()}
            rounds[name].append(run)
            print(f"round {number + 1}: {name}", json.dumps(run), flush=True)
    runs = {name: medians(done) for name, done in rounds.items()}
    one, two, default = (runs[f"{large}, {w}"] for w in ("1 worker", "2 workers", "default"))
    result["ratios"] = {
        "2 workers / 1 worker, cases/s": two["cases_per_s"] / one["cases_per_s"],
        "2 workers / 1 worker, CPU s": two["cpu_s"] / one["cpu_s"],
        "default / 2 workers, cases/s": default["cases_per_s"] / two["cases_per_s"],
        f"{small}: default / 1 worker, cases/s": runs[f"{small}, default"]["cases_per_s"]
        / runs[f"{small}, 1 worker"]["cases_per_s"],
    }
    print(json.dumps(result["ratios"], indent=1), flush=True)
    result["runs"] = runs
    result["load_end"] = load_average()

    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"batch-{stamp}.json").write_text(json.dumps(result, indent=1))
    table = [
        f"Run {stamp}, {dt.date.today()}; load average {result['load_start']} → "
        f"{result['load_end']}",
        "",
        "| run | cases | wall s | CPU s | parent CPU s | workers CPU s | cases/s | × 430/s "
        "| µs/case | parent µs/case | bytes/case | max RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in runs.items():
        table.append(
            f"| {name} | {r['cases']:,.0f} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
            f"{r['parent_cpu_s']:.1f} | {r['workers_cpu_s']:.1f} | {r['cases_per_s']:,.0f} | "
            f"{r['times_issue']:.2f} | {r['us_per_case']:,.0f} | "
            f"{r['parent_us_per_case']:,.0f} | {r['bytes_per_case']:,.0f} | "
            f"{r['max_rss_mib']:.0f} |"
        )
    table += ["", f"| ratio (medians of {args.rounds} rounds) | value |", "|---|---:|"]
    for key, value in result["ratios"].items():
        table.append(f"| {key} | {value:.2f} |")
    table += ["", "| stage (µs/case) | examples | generated |", "|---|---:|---:|"]
    for key in result["stages_examples"]:
        table.append(
            f"| {key} | {result['stages_examples'][key]:,.3g} | "
            f"{result['stages_generated'][key]:,.3g} |"
        )
    table += ["", "| decide, CPU µs/case (generated) | value |", "|---|---:|"]
    for key, value in result["decide_generated"].items():
        table.append(f"| {key} | {value:,.3g} |")
    (args.out / f"batch-{stamp}.md").write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    main()
