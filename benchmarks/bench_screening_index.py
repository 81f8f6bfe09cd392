"""ScreeningIndex on a synthetic list of 1,000,000 names: build time, memory, query time.

    python benchmarks/bench_screening_index.py [--size 1000000] [--queries 2000]

The list is generated here (seeded): organisations made of invented words, generic
words, places and legal forms, and persons made of invented given names and surnames,
each with a country. Queries are listed names changed as a partner would write them
(another legal form, words reordered, a letter dropped, a campus added) and names not on
the list. Reports the build time, the resident memory the index adds, and the median
and 95th percentile time per query (wall and CPU: the machine is shared), with how many
changed names found their entry.
Run by hand, never in the tests (the machine is shared).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time

from kspolicy.screening import Entity, ScreeningIndex, fold

SYLLABLES = (
    "ka ro mi ta ne lu vo sa ri ko da be zu fi ga ho je li mo nu pa qui se ti ur va we xa yo zen "
    "tor lan mar vik sol den bar kin ros tel gar fen hal dor mun sar bel cor dri"
).split()
GENERIC = (
    "Technology Trading Industrial Electronics Engineering Logistics Systems Precision "
    "Energy Holdings Group International Research Machinery Shipping"
).split()
PLACES = "Shenzhen Beijing Moscow Dubai Hamburg Singapore Tehran Mumbai Istanbul Rotterdam".split()
LEGAL = [
    "Co., Ltd.",
    "LLC",
    "GmbH",
    "Ltd",
    "S.A.",
    "JSC",
    "Inc.",
    "B.V.",
    "",
    "",
    "OOO",
    "Pte. Ltd.",
]
COUNTRIES = "CN RU AE DE SG IR IN TR NL US GB FR KP BY".split()


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def entities(size: int, seed: int = 7) -> list[Entity]:
    rng = random.Random(seed)
    out = []
    for n in range(size):
        country = rng.choice(COUNTRIES)
        if rng.random() < 0.3:
            name = f"{word(rng)} {word(rng)}" + (f" {word(rng)}" if rng.random() < 0.3 else "")
            out.append(Entity(f"P{n}", name, "person", countries=(country,)))
            continue
        parts = [word(rng) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.3:
            parts.insert(0, rng.choice(PLACES))
        parts += rng.sample(GENERIC, rng.randint(0, 2))
        name = " ".join(parts) + " " + rng.choice(LEGAL)
        out.append(Entity(f"O{n}", name.strip(), countries=(country,)))
    return out


def variant(entity: Entity, rng: random.Random) -> str:
    words = entity.name.replace(",", "").split()
    change = rng.randrange(4)
    if change == 0 and len(words) > 1:
        rng.shuffle(words)
    elif change == 1:
        words.append(rng.choice(["Ltd", "GmbH", "LLC", "Corporation"]))
    elif change == 2:
        longest = max(range(len(words)), key=lambda k: len(words[k]))
        w = words[longest]
        k = rng.randrange(1, len(w) - 1)
        words[longest] = w[:k] + w[k + 1 :]
    elif entity.kind == "organization":
        words.append(rng.choice(PLACES))
    return " ".join(words)


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args(argv)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    listed = entities(args.size)
    gc.collect()
    before = rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    index = ScreeningIndex(listed)
    build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
    gc.collect()
    added = rss_mib() - before
    rng = random.Random(11)
    queries: list[tuple[str, str | None, str | None, str]] = []
    for _ in range(args.queries):
        if rng.random() < 0.8:
            entity = rng.choice(listed)
            queries.append((variant(entity, rng), entity.countries[0], entity.id, entity.kind))
        else:
            queries.append(
                (
                    f"{word(rng)} {rng.choice(GENERIC)} Ltd",
                    rng.choice(COUNTRIES),
                    None,
                    "organization",
                )
            )
    index.query("Warm Up Trading Ltd")
    by_id = {entity.id: entity for entity in listed}
    times, cpu_times = [], []
    found = twins = wanted = 0
    # A case says whether the partner is an organisation or a person: queries give it.
    for name, country, expected, kind in queries:
        start, cpu = time.perf_counter(), time.process_time()
        result = index.query(name, country=country, kind=kind)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        if expected is not None:
            wanted += 1
            if any(c.entity.id == expected for c in result):
                found += 1
            else:
                # The generated list repeats names (`Rour LLC`, `Rour JSC`): an entity of
                # the same folded name is as good an answer, which no index can tell apart.
                own = fold(by_id[expected].name, kind).tokens  # type: ignore[arg-type]
                twins += any(fold(c.entity.name, kind).tokens == own for c in result)  # type: ignore[arg-type]
    times.sort()
    print(f"list: {len(index):,} entities; load average before: {load}")
    print(f"build: {build:.1f} s ({build_cpu:.1f} s of CPU)")
    print(f"memory the index adds (RSS): {added:,.0f} MiB (the entities themselves: before)")
    print(f"RSS after build: {rss_mib():,.0f} MiB")
    p95 = times[int(len(times) * 0.95)]
    median = statistics.median(times)
    print(f"query: median {median:.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.1f} ms")
    print(f"query, CPU time: median {statistics.median(cpu_times):.2f} ms")
    print(f"changed names that found their entry: {found}/{wanted} ({found / wanted:.1%})")
    print(
        f"... or an entry of the same folded name: {found + twins}/{wanted} "
        f"({(found + twins) / wanted:.1%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
