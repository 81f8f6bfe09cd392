"""Benchmark of the knowledge-security pack on the guideline's scenarios.

    python benchmarks/bench_pack.py [--rounds 7] [--out benchmarks/results]

Per scenario: the median time of a full decision (`evaluate`), of a decision with the
whole explanation (`evaluate(explain=True)`), and of rule statuses alone; then the time
to load the pack and the memory it takes. Medians over interleaved rounds; the ratio
explained/fast is the one issue 6 asks about. Results go to a JSON file and a Markdown
table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import time
from pathlib import Path

import kspolicy

ROOT = Path(__file__).resolve().parents[1]


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter_ns()
    for _ in range(repeat):
        call()
    return (time.perf_counter_ns() - start) / repeat / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    os.environ["KSPOLICY_CACHE"] = "off"  # load times here are cold: see bench_load.py
    before = rss_mib()
    loads = []
    for _ in range(3):
        start = time.perf_counter()
        policy = kspolicy.load()
        loads.append(time.perf_counter() - start)
    after = rss_mib()
    cases = sorted((ROOT / "examples" / "cases").glob("*.toml"))
    data = {c.stem: policy.read_case(c)[0] for c in cases}
    as_of = dt.date(2026, 1, 15)
    kinds = {
        "fast": lambda case: policy.evaluate(case, as_of=as_of),
        "explained": lambda case: policy.evaluate(case, as_of=as_of, explain=True),
        "statuses": lambda case: policy.rule_statuses(case, as_of=as_of),
    }
    samples: dict[str, dict[str, list[float]]] = {k: {n: [] for n in data} for k in kinds}
    gc.freeze()
    for round_ in range(args.rounds):
        order = list(kinds)[round_ % 3 :] + list(kinds)[: round_ % 3]
        for kind in order:
            for name, case in data.items():
                decide = kinds[kind]
                samples[kind][name].append(timed(lambda: decide(case), args.repeat))  # noqa: B023
    medians = {k: {n: statistics.median(v) for n, v in per.items()} for k, per in samples.items()}
    rows = []
    for name in data:
        fast, explained = medians["fast"][name], medians["explained"][name]
        rows.append((name, medians["statuses"][name], fast, explained, explained / fast))
    result = {
        "machine": f"{platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}",
        "kspolicy": kspolicy.__version__,
        "load_s_median": statistics.median(loads),
        "load_rss_mib": after - before,
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"pack-{stamp}.json").write_text(json.dumps(result, indent=1))
    lines = [
        f"Load: median {result['load_s_median'] * 1000:.0f} ms of 3 (the parse cache off; "
        f"see bench_load.py); memory +{result['load_rss_mib']:.1f} MiB",
        "",
        "| scenario | statuses µs | decision µs | explained µs | explained / decision |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {n} | {s:.0f} | {f:.0f} | {e:.0f} | {r:.1f}× |" for n, s, f, e, r in rows]
    ratios = [r for *_, r in rows]
    lines.append(
        f"\nExplained / decision: median {statistics.median(ratios):.1f}×, max {max(ratios):.1f}×"
    )
    (args.out / f"pack-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
