"""A name never seen before is compared with a listed name once, whatever the countries
(issue 16: a batch screens each new name from its country and from none, and each
agreement of countries compared the two names in full again; only initials depend on
the countries, and they are weighed after the comparison)."""

from __future__ import annotations

from typing import Any

import pytest

from kspolicy.screening import fold, matching
from kspolicy.screening.matching import compare_folded

LISTED = ("Harbin Institute of Technology", "Beihang University", "Li Wei")
SCREENED = ("Harbin Polytechnic Works", "HIT", "Beijing Hangkong Daxue", "Wei Li")
AGREEMENTS: tuple[frozenset[str], ...] = (frozenset(), frozenset({"CN"}), frozenset({"DE"}))


def _cleared() -> None:
    for cached in (
        matching._names_compared,
        matching._organized,
        matching._persons_compared,
    ):
        cached.cache_clear()


def test_a_new_name_is_compared_with_a_listed_name_once_whatever_the_countries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kinds: list[Any] = ["organization", "organization", "person"]
    pairs = [
        (fold(a, kind), fold(b, kind))
        for b, kind in zip(LISTED, kinds, strict=True)
        for a in SCREENED
    ]
    # What each agreement gives, each comparison made from nothing.
    alone = {}
    for a, b in pairs:
        for mine in AGREEMENTS:
            _cleared()
            alone[a, b, mine] = compare_folded(a, b, mine, frozenset({"CN"}))
    _cleared()
    calls: list[tuple[str, str]] = []
    joined = matching._run_together

    def counted(a: Any, b: Any) -> Any:
        calls.append((a.original, b.original))
        return joined(a, b)

    monkeypatch.setattr(matching, "_run_together", counted)
    for a, b in pairs:
        for mine in AGREEMENTS:
            assert compare_folded(a, b, mine, frozenset({"CN"})) == alone[a, b, mine]
    assert sorted(calls) == sorted((a.original, b.original) for a, b in pairs)  # once each
    assert {alone[fold("HIT"), fold(LISTED[0]), mine].band for mine in AGREEMENTS} == {
        "possible",
        "match",
        "none",
    }  # initials: worth what the countries say
