"""How long `kspolicy.load` takes: cold (nothing cached), first (cold, filling the cache), warm.

    python benchmarks/bench_load.py [--repeat 3] [--out benchmarks/results]

Policies: the knowledge-security pack, and the peer benchmark's workload at 30, 300
and 3,000 rules (workload.py, vendored), written in the kspolicy language by
workload_kspolicy.py. Every load is in this one process, after Lark has built its
parser (a new process pays that once too, ~0.2 s). *cold*: the parse cache off;
*first*: an empty cache folder, so the parse result is also written; *warm*: that
folder again, as a restarted service or a second CLI call finds it. Medians of
`--repeat` loads; results to a JSON file and a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import kspolicy
from kspolicy.lang.loader import default_policy_path
from kspolicy.lang.parser import _lark

ROOT = Path(__file__).resolve().parents[1]


def seconds(load: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def policies(folder: Path) -> dict[str, Path]:
    found = {"knowledge-security pack": default_policy_path()}
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import workload  # type: ignore[import-not-found]
    import workload_kspolicy  # type: ignore[import-not-found]

    for size in (30, 300, 3000):
        target = folder / f"workload-{size}"
        target.mkdir()
        (target / "policy.pol").write_text(
            workload_kspolicy.policy_source(workload.make_policy(size)), encoding="utf-8"
        )
        (target / "lists.toml").write_text(
            workload_kspolicy.lists_source(workload.make_policy(size)), encoding="utf-8"
        )
        found[f"workload, {size:,} rules"] = target
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()
    limits = kspolicy.Limits(max_rules=100_000)
    _lark()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, path in policies(Path(scratch)).items():

            def load(path: Path = path) -> object:
                return kspolicy.load(path, limits=limits)

            os.environ["KSPOLICY_CACHE"] = "off"
            cold = seconds(load, args.repeat)
            os.environ["KSPOLICY_CACHE"] = tempfile.mkdtemp(dir=scratch)
            first = seconds(load, 1)
            warm = seconds(load, args.repeat)
            rows.append((name, cold, first, warm))
            print(f"{name:28s} cold {cold:6.2f} s  first {first:6.2f} s  warm {warm:6.2f} s")
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    result = {"machine": machine, "kspolicy": kspolicy.__version__, "rows": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"load-{stamp}.json").write_text(json.dumps(result, indent=1))
    lines = ["| policy | cold s | first s | warm s |", "|---|---:|---:|---:|"]
    lines += [f"| {n} | {c:.2f} | {f:.2f} | {w:.2f} |" for n, c, f, w in rows]
    (args.out / f"load-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
