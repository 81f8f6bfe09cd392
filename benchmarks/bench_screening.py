"""Name matching on the labelled pairs of tests/data/screening/pairs.csv.

    python benchmarks/bench_screening.py                  # the figures, for RESULTS.md
    python benchmarks/bench_screening.py --failures       # the tuning part's misses

Reports, for `kspolicy.screening.compare` and for exact folding (`lang.lists.fold_name`
equal, what `matches` does today): the precision of the `match` band, the recall of
`match` + `possible`, the share of pairs banded `possible`, and the time per comparison.
Where the link needs knowledge from outside the two names, the listed side is an entity
with the aliases a list would give it (column `b_aliases`); the figures are also given
with the listed name alone. Pairs with `added` set were written after tuning began.
Every fifth pair (id divisible by 5) is held out: tuning looks only at the others
(`--failures` never prints a held-out pair), and the figures are given for both parts.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from kspolicy.lang.lists import fold_name
from kspolicy.screening import Alias, Entity, compare, matching, names

PAIRS = Path(__file__).resolve().parents[1] / "tests" / "data" / "screening" / "pairs.csv"

Row = dict[str, str]


def load(path: Path = PAIRS) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# Pairs whose link lies outside the names: another name of the body (Caltech, NORINCO)
# or a translation (Universiteit Gent, Ghent University). Set when the pairs were written.
OUTSIDE_THE_NAMES = ("other_name", "cross_language")


def decidable(row: Row) -> bool:
    return row["category"] not in OUTSIDE_THE_NAMES and not row["b_aliases"]


def listed(row: Row) -> str | Entity:
    """The listed side: a plain name, or an entity with the aliases a list gives it
    (column `b_aliases`, `|` between them) where the link needs knowledge from outside
    the two names (Caltech is California Institute of Technology)."""
    if not row["b_aliases"]:
        return row["b"]
    aliases = [Alias(name.strip()) for name in row["b_aliases"].split("|")]
    return Entity(f"pair-{row['id']}", row["b"], row["kind"], aliases=aliases)  # type: ignore[arg-type]


def compared(row: Row) -> matching.NameMatch:
    return compare(
        row["a"],
        listed(row),
        kind=row["kind"],  # type: ignore[arg-type]
        country_a=row["country_a"] or None,
        country_b=row["country_b"] or None,
    )


def held_out(row: Row) -> bool:
    return int(row["id"]) % 5 == 0


def band_screening(row: Row) -> str:
    return compared(row).band


def band_names_only(row: Row) -> str:
    """The band with the listed name alone, its aliases left out."""
    return band_screening({**row, "b_aliases": ""})


def band_exact(row: Row) -> str:
    return "match" if fold_name(row["a"]) == fold_name(row["b"]) else "none"


def figures(rows: Iterable[Row], bands: dict[str, str]) -> dict[str, float]:
    rows = list(rows)
    same = [r for r in rows if r["label"] == "same"]
    matched = [r for r in rows if bands[r["id"]] == "match"]
    true_matches = [r for r in matched if r["label"] == "same"]
    found = [r for r in same if bands[r["id"]] != "none"]
    possible = [r for r in rows if bands[r["id"]] == "possible"]
    return {
        "pairs": len(rows),
        "precision_match": len(true_matches) / len(matched) if matched else 1.0,
        "recall_match_possible": len(found) / len(same) if same else 1.0,
        "recall_match": len(true_matches) / len(same) if same else 1.0,
        "share_possible": len(possible) / len(rows) if rows else 0.0,
    }


def _clear_caches() -> None:
    names.fold.cache_clear()
    names.skeleton.cache_clear()
    names.consonants.cache_clear()
    matching._similarity.cache_clear()


def timed(rows: list[Row], band: Callable[[Row], str], rounds: int) -> tuple[dict[str, str], float]:
    """The bands, and the median over rounds of the mean µs per comparison (cold caches)."""
    per_round = []
    bands: dict[str, str] = {}
    for _ in range(rounds):
        _clear_caches()
        start = time.perf_counter()
        bands = {r["id"]: band(r) for r in rows}
        per_round.append((time.perf_counter() - start) / len(rows) * 1e6)
    return bands, statistics.median(per_round)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--failures", action="store_true", help="print the tuning part's misses")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rows = load()
    band_screening(rows[0])  # import the libraries before timing
    results = {}
    for label, band in (
        ("screening", band_screening),
        ("screening, the listed name alone (no aliases)", band_names_only),
        ("exact folding", band_exact),
    ):
        bands, micros = timed(rows, band, args.rounds)
        results[label] = bands
        print(f"## {label}: {micros:.1f} µs per comparison (median of {args.rounds} rounds)")
        print(
            "| part | pairs | precision of match | recall of match+possible "
            "| recall of match | possible |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        for part, subset in (
            ("tuning (4/5)", [r for r in rows if not held_out(r)]),
            ("held out (1/5)", [r for r in rows if held_out(r)]),
            ("all", rows),
            (
                "tuning, decidable from the names",
                [r for r in rows if decidable(r) and not held_out(r)],
            ),
            (
                "held out, decidable from the names",
                [r for r in rows if decidable(r) and held_out(r)],
            ),
            ("all, decidable from the names", [r for r in rows if decidable(r)]),
            *(
                (f"all, {strength}", [r for r in rows if r["strength"] == strength])
                for strength in ("STRONG", "MEDIUM", "WEAK")
            ),
            ("all, organisations", [r for r in rows if r["kind"] == "organization"]),
            ("all, persons", [r for r in rows if r["kind"] == "person"]),
        ):
            f = figures(subset, bands)
            print(
                f"| {part} | {f['pairs']:.0f} | {f['precision_match']:.3f} | "
                f"{f['recall_match_possible']:.3f} | {f['recall_match']:.3f} | "
                f"{f['share_possible']:.1%} |"
            )
        print()
    if args.failures:
        bands = results["screening"]
        for r in rows:
            if held_out(r):
                continue
            got = bands[r["id"]]
            wrong = (r["label"] == "same" and got == "none") or (
                r["label"] == "different" and got == "match"
            )
            if wrong or got == "possible":
                m = compared(r)
                tag = "MISS" if wrong else "poss"
                print(
                    f"{tag} {r['id']:>4} {r['label']:9} {r['strength']:6} {r['category']:18} "
                    f"{m.score:.3f} {m.evidence.rule:10} {r['a']!r} ~ {r['b']!r} {m.evidence.notes}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
