"""A name screened from many countries is compared against the list "anywhere" (with
no country) once, not once per country (issue 16: cold screening dominated batches of
cases; each new (name, country) pair cost ~3 ms, half of it this comparison).

What each pair screens to is unchanged: the same as a fresh screener, with no memo,
gives for that pair alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import kspolicy
from kspolicy.eval.screen import Screener, screener

AS_OF = dt.date(2026, 1, 15)
NAMES = (
    "Harbin Institute of Technology",
    "HIT",
    "Beihang University",
    "Ghent University",
    "Northwestern Polytechnical University",
)
COUNTRIES = ("CN", "BE", "US", "IN", None, "cn")


def _seven_sons(policy: kspolicy.Policy) -> Screener:
    return screener(policy.checked, policy.checked.lists["SEVEN_SONS"], AS_OF)


def test_a_name_from_many_countries_is_compared_anywhere_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pack = kspolicy.load()
    shared = Screener(pack.checked.lists["SEVEN_SONS"], AS_OF, _seven_sons(pack).reviews)
    anywhere: list[str] = []
    compared = Screener._compared

    def counting(self: Screener, name: str, country: str | None) -> Any:
        if country is None:
            anywhere.append(name)
        return compared(self, name, country)

    monkeypatch.setattr(Screener, "_compared", counting)
    for name in NAMES:
        for country in COUNTRIES:
            shared.screen(name, country)
    assert sorted(anywhere) == sorted(NAMES)  # once per name, whatever the countries


def test_what_a_pair_screens_to_does_not_depend_on_the_pairs_before_it() -> None:
    pack = kspolicy.load()
    named = pack.checked.lists["SEVEN_SONS"]
    reviews = _seven_sons(pack).reviews
    shared = Screener(named, AS_OF, reviews)
    hits = 0
    for name in NAMES:
        for country in COUNTRIES:
            alone = Screener(named, AS_OF, reviews).screen(name, country)
            assert shared.screen(name, country) == alone
            hits += alone.hit is not None
    assert hits  # some names are on the list


def test_a_case_country_with_spaces_screens_as_the_cli_and_service_screen_it() -> None:
    """` cn ` in a case is `CN`, as `kspolicy screen` and /v1/screen tidy it (the
    screener only upper-cased it, so a name from ` cn ` missed the country's rules)."""
    pack = kspolicy.load()
    tidy = _seven_sons(pack).screen("Harbin Institute of Technology", "CN")
    spaced = _seven_sons(pack).screen("Harbin Institute of Technology", " cn ")
    assert spaced == tidy
    assert _seven_sons(pack).screen("HIT", "  ").value == _seven_sons(pack).screen("HIT").value


def test_a_name_from_many_countries_is_compared_with_an_entry_once_per_agreement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Comparing two names depends on their countries only through whether they agree,
    so a name screened from ten countries is compared with each entry at most three
    times (agree, differ, unknown), not ten (issue 16: a new name and country cost a
    batch ~1.6 ms, most of it these comparisons); each answer stays a fresh screener's."""
    from kspolicy.screening import matching

    pack = kspolicy.load()
    calls: list[tuple[str, str, bool | None]] = []
    organizations = matching._organizations

    def counted(a: Any, b: Any, same_country: bool | None) -> Any:
        calls.append((a.original, b.original, same_country))
        return organizations(a, b, same_country)

    monkeypatch.setattr(matching, "_organizations", counted)
    matching._names_compared.cache_clear()
    shared = _seven_sons(pack)
    countries = ("CN", "BE", "US", "IN", "FR", "DE", "JP", "BR", "ZA", "KR")
    answers = {c: shared.screen("Harbin Institute of Technology", c) for c in countries}
    assert calls, "the comparison was not reached"
    per_pair: dict[tuple[str, str], set[bool | None]] = {}
    for a, b, agree in calls:
        per_pair.setdefault((a, b), set()).add(agree)
    assert len(calls) == sum(len(agreements) for agreements in per_pair.values())
    matching._names_compared.cache_clear()
    for country, answer in answers.items():
        assert _seven_sons(pack).screen("Harbin Institute of Technology", country) == answer
