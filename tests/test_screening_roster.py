"""A short list screened through a `Roster` gives what comparing the name with every
entity gives (`compare(name, entity, country_a=country)`), in the list's order, while
comparing a name with each entity at most once per agreement of countries (issue 16:
each new name-and-country pair of a batch cost a full comparison with every entity).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval.screen import Screener, entity_of, screener
from kspolicy.screening import Alias, Entity, Kind, NameMatch, compare, fold, matching, roster
from kspolicy.screening.matching import compare_folded, may_match
from kspolicy.screening.names import Folded
from kspolicy.screening.roster import Roster

AS_OF = dt.date(2026, 1, 15)
PAIRS = Path(__file__).parent / "data" / "screening" / "pairs.csv"
COUNTRIES = (None, "CN", "US", "DE", "IN", "BE", "KR", "RU", " cn ", "", "cn, us")


def _pairs() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _pack_entities() -> list[Entity]:
    pack = kspolicy.load()
    found: list[Entity] = []
    for name in ("SEVEN_SONS", "HORIZON_IA_EXCLUDED", "SANCTIONED_PARTIES"):
        entries = pack.checked.lists[name].entries_on(AS_OF)
        found += [entity_of(entry, len(found) + i) for i, entry in enumerate(entries)]
    return found


def _pair_entities(rows: list[dict[str, str]]) -> list[Entity]:
    """The listed side of the labelled pairs, with their aliases (every third one weak)
    and countries: persons and organisations, agreeing countries and not."""
    found = []
    for number, row in enumerate(rows):
        aliases = [
            Alias(name.strip(), "weak" if k % 3 == 2 else "strong")
            for k, name in enumerate(row["b_aliases"].split("|"))
            if name.strip()
        ]
        countries = [row["country_b"]] if row["country_b"] else []
        kind: Any = row["kind"]
        found.append(Entity(f"p{number}", row["b"], kind, aliases, countries))
    return found


ROWS = _pairs()
ENTITIES = _pack_entities() + _pair_entities(ROWS[::7])
SCREENED = sorted({row["a"] for row in ROWS} | {e.name for e in ENTITIES})
WORDS = sorted({word for name in SCREENED for word in name.split()})


def _straight(
    entities: list[Entity], name: str, country: str | None
) -> list[tuple[int, NameMatch]]:
    """What the faster path must give: every entity compared, none skipped."""
    found = []
    for position, entity in enumerate(entities):
        match = compare(name, entity, country_a=country)
        if match.band != "none":
            found.append((position, match))
    return found


_names = st.one_of(
    st.sampled_from(SCREENED),
    st.sampled_from([e.name for e in ENTITIES]),  # a listed name: a match somewhere
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join),
    st.sampled_from(SCREENED).map(lambda name: name[:-1]),  # a letter missing
)


@given(
    st.lists(
        st.tuples(_names, st.sampled_from(COUNTRIES)),
        min_size=1,
        max_size=8,
    ),
    st.randoms(use_true_random=False),
)
def test_a_roster_gives_what_comparing_with_every_entity_gives(
    queries: list[tuple[str, str | None]], rng: Any
) -> None:
    # Each name screened again from other countries: the roster's memo at work.
    queries += [(name, rng.choice(COUNTRIES)) for name, _ in queries for _ in range(2)]
    entities = ENTITIES[:3] + rng.sample(ENTITIES[3:], 12)
    short = Roster(entities)
    for name, country in queries:
        assert short.matches(name, country) == _straight(entities, name, country)


def test_a_roster_over_the_labelled_pairs_gives_what_comparing_with_each_gives() -> None:
    """Every labelled pair's screened name, from its own country, no country and a
    third, against all the listed sides at once (many agree only in part)."""
    entities = ENTITIES
    short = Roster(entities)
    seen: set[str] = set()
    for row in ROWS[::25]:
        for country in (row["country_a"] or None, None, "FR", "CN"):
            found = short.matches(row["a"], country)
            assert found == _straight(entities, row["a"], country)
            seen.update(match.band for _, match in found)
            seen.update(note[:20] for _, match in found for note in match.evidence.notes)
    # Both bands, and evidence that names the countries (compared again per country).
    assert {"match", "possible", "different countries "} <= seen


def test_a_name_from_many_countries_is_compared_with_each_entity_at_most_three_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16's cold screening: a batch screens each name from many countries, and
    each new pair compared the name with every name the list holds (~0.3 ms against the
    pack's lists). Now each is compared once per agreement of countries (same, other,
    unknown), and again only with an entry it may be, for the evidence's countries."""
    pack = kspolicy.load()
    named = pack.checked.lists["SEVEN_SONS"]
    fresh = Screener(named, AS_OF, screener(pack.checked, named, AS_OF).reviews)
    listed = sum(1 + len(e.aliases) + len(e.weak_aliases) for e in fresh.entries)
    others = sorted(e.key for e in pack.checked.lists["COUNTRIES"].entries_on(AS_OF))
    codes = ["CN", "DE", "US", *[c for c in others if c not in ("CN", "DE", "US")]][:100]
    calls: list[object] = []
    compared = matching._compare_folded

    def counted(*args: Any) -> Any:
        calls.append(args)
        return compared(*args)

    monkeypatch.setattr(matching, "_compare_folded", counted)
    answers = {code: fresh.screen("Harbin Institute of Technology", code) for code in codes}
    assert len(codes) == 100
    # Old: every listed name once per country (2,800 here); now at most three times
    # each, and the entry it may be (one) once more per country.
    assert len(calls) <= 3 * listed + len(codes)
    monkeypatch.setattr(matching, "_compare_folded", compared)
    for code in ("CN", "DE", "US"):
        alone = Screener(named, AS_OF, fresh.reviews)
        assert answers[code] == alone.screen("Harbin Institute of Technology", code)
        assert answers[code].hit is not None


def test_a_rosters_memo_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long batch screens names without end: the roster forgets (and compares again)
    rather than grow."""
    monkeypatch.setattr(roster, "_SLOTS", 64)
    entities = ENTITIES[:4]
    short = Roster(entities)
    room = short._room
    for number in range(3 * room):
        name = f"{WORDS[number % len(WORDS)]} {number}"
        assert short.matches(name, "CN") == _straight(entities, name, "CN")
        assert len(short._plans) <= room
    assert short.matches(SCREENED[0], None) == _straight(entities, SCREENED[0], None)


def test_a_roster_of_one_name_remembers_no_more_names_than_any_other() -> None:
    """Found by a review: the room was slots / names listed, so a list of one name kept
    a million names screened (~0.5 GB per list and date over 200,000 new names)."""
    one = Roster(ENTITIES[:1])
    assert one._room <= roster._NAMES
    for number in range(roster._NAMES + 10):
        one.matches(f"{WORDS[number % len(WORDS)]} {number}", None)
    assert len(one._plans) <= roster._NAMES


# ---- the sieve: a pair `may_match` rejects is never alike ------------------------------

_KINDS: tuple[Kind, ...] = ("organization", "person")
_WEAK = Alias("weak", "weak")


def _never_alike(a: Folded, b: Folded) -> None:
    for mine in ((), ("CN",), ("DE",)):
        for alias in (None, _WEAK):
            match = compare_folded(a, b, frozenset(mine), frozenset({"CN"}), alias)
            assert match.band == "none", (a.original, b.original, mine, match)


def test_a_pair_that_cannot_match_is_none_on_every_labelled_pair() -> None:
    """Every labelled pair, both ways: where `may_match` says the two names cannot be
    alike, comparing them gives `none` whatever the countries and alias."""
    sifted = 0
    for row in ROWS:
        kind: Kind = "person" if row["kind"] == "person" else "organization"
        for x, y in ((row["a"], row["b"]), (row["b"], row["a"])):
            a, b = fold(x, kind), fold(y, kind)
            if not may_match(a, b):
                sifted += 1
                _never_alike(a, b)
    assert sifted  # the sieve rejects some pairs (different names)


@given(_names, _names, st.sampled_from(_KINDS))
def test_a_pair_that_cannot_match_is_none(x: str, y: str, kind: Kind) -> None:
    a, b = fold(x, kind), fold(y, kind)
    if not may_match(a, b):
        _never_alike(a, b)


def test_names_alike_only_run_together_may_match() -> None:
    """No word of one is like a word of the other, nor a part of its letters, but the
    two run together differ by a few letters: a possible match (`compact`), so the
    sieve must let the pair through."""
    a, b = fold("Rosoboronexportsibirkomplekt"), fold("Rosoqoronexpo Rtsibirkomplekq")
    assert compare_folded(a, b, frozenset(), frozenset()).band == "possible"
    assert may_match(a, b) and may_match(b, a)
