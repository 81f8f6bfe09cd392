"""The labelled name pairs of tests/data/screening/pairs.csv, as the issue measures them.

benchmarks/bench_screening.py prints the same figures with the times; this test holds
the quality (never the time).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kspolicy.screening import compare

PAIRS = Path(__file__).parent / "data" / "screening" / "pairs.csv"


def _rows() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def banded() -> list[tuple[dict[str, str], str]]:
    return [
        (
            row,
            compare(
                row["a"],
                row["b"],
                kind=row["kind"],  # type: ignore[arg-type]
                country_a=row["country_a"] or None,
                country_b=row["country_b"] or None,
            ).band,
        )
        for row in _rows()
    ]


def test_the_set_has_what_the_issue_asks_for() -> None:
    rows = _rows()
    assert len(rows) >= 400
    assert {r["kind"] for r in rows} == {"organization", "person"}
    assert {r["strength"] for r in rows} == {"STRONG", "MEDIUM", "WEAK"}
    assert {r["label"] for r in rows} == {"same", "different"}
    categories = {r["category"] for r in rows}
    for needed in ("acronym", "campus", "subsidiary", "legal_form", "lookalike"):
        assert needed in categories
    assert any(not (r["a"] + r["b"]).isascii() for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)


def test_a_match_is_right_at_least_97_times_in_100(
    banded: list[tuple[dict[str, str], str]],
) -> None:
    matched = [row for row, band in banded if band == "match"]
    right = [row for row in matched if row["label"] == "same"]
    assert len(right) / len(matched) >= 0.97


def test_at_most_a_quarter_of_the_pairs_are_possible(
    banded: list[tuple[dict[str, str], str]],
) -> None:
    possible = [row for row, band in banded if band == "possible"]
    assert len(possible) / len(banded) <= 0.25


def _recall(banded: list[tuple[dict[str, str], str]]) -> float:
    same = [(row, band) for row, band in banded if row["label"] == "same"]
    return sum(1 for _, band in same if band != "none") / len(same)


def test_recall_of_match_and_possible_does_not_fall(
    banded: list[tuple[dict[str, str], str]],
) -> None:
    # The level reached so far (0.878 on the whole set): a floor against regressions.
    assert _recall(banded) >= 0.87


@pytest.mark.xfail(
    strict=True,
    reason="issue 14 asks 0.95; 0.878 so far: the misses are other names, translations, "
    "Korean and Japanese script (see benchmarks/RESULTS.md)",
)
def test_recall_of_match_and_possible_is_at_least_95_in_100(
    banded: list[tuple[dict[str, str], str]],
) -> None:
    assert _recall(banded) >= 0.95
