"""Benchmark of reading a case (issue 16): a batch line's bytes to the facts `evaluate` uses.

    python benchmarks/bench_read.py [--baseline-src /work/wt/base/src] [--rounds 5]

The read stage is `read_line` (UTF-8, JSON, the depth limit) then `Policy.read_case` (the
schema check and the plain facts), in CPU microseconds per case, on `--cases` cases
generated from the pack's schema (tests/generated.py, seeded: the batch benchmark's cases)
and on the pack's 13 example cases (their facts as data, as TOML gives them, and from
their files). With `--baseline-src` (another checkout's `src`, e.g. main before the
change) each round runs both, one child process each, alternated A B A B: the machine is
shared, so the figures are medians over rounds and the ratios are per round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def measure(cases: int) -> dict[str, float]:
    """CPU µs per case of each measure, in this process, with the kspolicy it imports."""
    import kspolicy
    from kspolicy.tools.caseline import read_line

    sys.path.insert(0, str(ROOT))
    from tests.generated import generated_cases

    policy = kspolicy.load(ROOT / "policies" / "knowledge-security")
    lines = [json.dumps(c).encode() for c in generated_cases(policy.schema, cases)]
    paths = sorted((ROOT / "examples" / "cases").glob("*.toml"))
    examples = [tomllib.loads(p.read_text(encoding="utf-8")) for p in paths]

    def per_case(call: Any, items: list[Any], repeat: int = 1) -> float:
        for item in items[:20]:  # warm: the first calls build what later ones reuse
            call(item)
        start = time.process_time()
        for _ in range(repeat):
            for item in items:
                call(item)
        return (time.process_time() - start) / (repeat * len(items)) * 1e6

    limits = policy.limits
    return {
        "generated_line_us": per_case(lambda b: policy.read_case(read_line(b, limits)), lines),
        "generated_read_line_us": per_case(lambda b: read_line(b, limits), lines),
        "examples_read_case_us": per_case(policy.read_case, examples, repeat=40),
        "examples_file_us": per_case(policy.read_case, paths, repeat=5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src folder")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.cases)))
        return
    sides = {"this": str(ROOT / "src")}
    if args.baseline_src:
        sides["baseline"] = str(args.baseline_src)
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for round_ in range(args.rounds):
        for side, src in sides.items():
            env = {**os.environ, "PYTHONPATH": src}
            command = [sys.executable, __file__, "--child", "--cases", str(args.cases)]
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            runs[side].append(json.loads(out.stdout))
            print(f"round {round_ + 1} {side}: {out.stdout.strip()}", flush=True)
    for key in runs["this"][0]:
        line = f"{key}: this {statistics.median(r[key] for r in runs['this']):.1f}"
        if "baseline" in runs:
            base = statistics.median(r[key] for r in runs["baseline"])
            ratios = [a[key] / b[key] for a, b in zip(runs["this"], runs["baseline"], strict=True)]
            line += (
                f", baseline {base:.1f}, ratio per round "
                f"{', '.join(f'{r:.2f}' for r in ratios)} (median {statistics.median(ratios):.2f})"
            )
        print(line)


if __name__ == "__main__":
    main()
