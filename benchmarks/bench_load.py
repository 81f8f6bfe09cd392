"""How long `kspolicy.load` takes: cold (nothing cached), first (cold, filling the cache), warm.

    python benchmarks/bench_load.py [--repeat 3] [--sizes 30,300,3000] [--out benchmarks/results]

Policies: the knowledge-security pack, and the peer benchmark's workload at 30, 300
and 3,000 rules (workload.py, vendored), written in the kspolicy language by
workload_kspolicy.py. Every load is in this one process, after Lark has built its
parser (a new process pays that once too, ~0.2 s). *cold*: the parse cache off;
*first*: an empty cache folder, so the parse result is also written; *warm*: that
folder again, as a restarted service or a second CLI call finds it (the checked policy
read back whole); *parses*: that folder with the checked-policy cache skipped, so every
file is read back from the parse cache and checked again, as before the checked-policy
cache (lang/build.py): *warm* against *parses* is a before/after in one process, alternated
load by load so that both see the same VM. Medians of
`--repeat` loads, of the wall-clock time and of the process's CPU time (on a VM shared
with other work, CPU time moves less: compare code by running two versions back to back,
e.g. `PYTHONPATH=<other checkout>/src python benchmarks/bench_load.py`; the first line
printed names the kspolicy that was measured). Results to a JSON file and a table.
`--profile N` then prints the N functions a cold load of the largest policy spends most
time in (cProfile, which slows every Python call: read the order and the call counts,
not the seconds).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
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

try:
    from kspolicy.lang import build
except ImportError:  # a kspolicy from before the checked-policy cache: warm reads parses
    build = None  # type: ignore[assignment]


def seconds(load: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The median wall-clock and CPU seconds of `repeat` calls of `load`."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        load()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def alternated(loads: list[Callable[[], object]], repeat: int) -> list[tuple[float, float]]:
    """`seconds` of each of `loads`, called in turn `repeat` times (A B A B ...)."""
    times: list[list[tuple[float, float]]] = [[] for _ in loads]
    for _ in range(repeat):
        for load, found in zip(loads, times, strict=True):
            found.append(seconds(load, 1))
    return [
        (statistics.median(w for w, _ in found), statistics.median(c for _, c in found))
        for found in times
    ]


def parses_only(load: Callable[[], object]) -> Callable[[], object]:
    """`load` with the checked-policy cache skipped: parses read back, then checked."""
    if build is None:
        return load

    def skipping() -> object:
        key = getattr(build, "checked_key")  # noqa: B009 (build's own import, swapped)
        setattr(build, "checked_key", lambda what: None)  # noqa: B010
        try:
            return load()
        finally:
            setattr(build, "checked_key", key)  # noqa: B010

    return skipping


def profile_cold(load: Callable[[], object], top: int) -> None:
    """The `top` functions one cold load spends most time in, by time in themselves."""
    os.environ["KSPOLICY_CACHE"] = "off"
    profile = cProfile.Profile()
    profile.runcall(load)
    pstats.Stats(profile).strip_dirs().sort_stats("tottime").print_stats(top)


def policies(folder: Path, sizes: list[int]) -> dict[str, Path]:
    found = {"knowledge-security pack": default_policy_path()} if 0 in sizes else {}
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import workload  # type: ignore[import-not-found]
    import workload_kspolicy  # type: ignore[import-not-found]

    for size in (s for s in sizes if s):
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
    parser.add_argument(
        "--sizes", default="0,30,300,3000", help="workload sizes in rules; 0 is the pack"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"kspolicy {kspolicy.__version__} from {Path(kspolicy.__file__).parent}")
    limits = kspolicy.Limits(max_rules=100_000)
    _lark()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, path in policies(Path(scratch), sizes).items():

            def load(path: Path = path) -> object:
                return kspolicy.load(path, limits=limits)

            os.environ["KSPOLICY_CACHE"] = "off"
            cold = seconds(load, args.repeat)
            os.environ["KSPOLICY_CACHE"] = tempfile.mkdtemp(dir=scratch)
            first = seconds(load, 1)
            # A first load keeps its parses inside the checked entry: one load with that
            # entry skipped writes them to entries of their own, for *parses* to read.
            parses_only(load)()
            warm, parses = alternated([load, parses_only(load)], args.repeat)
            rows.append((name, *cold, *first, *warm, *parses))
            last = load
            print(
                f"{name:28s} cold {cold[0]:6.2f} s  first {first[0]:6.2f} s  warm {warm[0]:6.2f} s"
                f"  parses {parses[0]:6.2f} s  (CPU {cold[1]:.2f} / {first[1]:.2f} /"
                f" {warm[1]:.2f} / {parses[1]:.2f} s)"
            )
        if args.profile:
            profile_cold(last, args.profile)
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    columns = ["policy", "cold", "cold_cpu", "first", "first_cpu", "warm", "warm_cpu"]
    columns += ["parses", "parses_cpu"]
    result = {
        "machine": machine,
        "kspolicy": kspolicy.__version__,
        "columns": columns,
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.out / f"load-{stamp}.json").write_text(json.dumps(result, indent=1))
    lines = [
        "| policy | cold s | first s | warm s | parses s "
        "| CPU: cold s | first s | warm s | parses s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {n} | {c:.2f} | {f:.2f} | {w:.2f} | {p:.2f} "
        f"| {cc:.2f} | {fc:.2f} | {wc:.2f} | {pc:.2f} |"
        for n, c, cc, f, fc, w, wc, p, pc in rows
    ]
    (args.out / f"load-{stamp}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
