"""The list-file keys an import writes: read back, checked with located errors, and the
list's freshness (`max_age`, `is_stale`)."""

from __future__ import annotations

import datetime as dt

from kspolicy.lang.listfile import read_list_file
from kspolicy.lang.lists import NamedList
from kspolicy.span import Source

HEAD = """[SANCTIONS]
kind = "entities"
source = "test"
retrieved = 2026-11-20
"""


def _read(text: str) -> tuple[list[NamedList], list[tuple[int, str]]]:
    source = Source("lists.toml", text)
    lists, problems = read_list_file(source)
    located = [(source.position(p.span.start)[0], p.message) for p in problems if p.span]
    return lists, located


def test_a_list_older_than_its_max_age_is_stale() -> None:
    (named,), problems = _read(HEAD + 'max_age = "2w"\nentries = ["A"]\n')
    assert problems == []
    assert named.max_age == dt.timedelta(days=14)
    assert not named.is_stale(dt.date(2026, 12, 4))  # 14 days after: still fresh
    assert named.is_stale(dt.date(2026, 12, 5))


def test_a_list_without_max_age_is_never_stale() -> None:
    (named,), _ = _read(HEAD + 'entries = ["A"]\n')
    assert not named.is_stale(dt.date(2100, 1, 1))


def test_a_retrieval_time_with_a_zone_counts_by_its_day() -> None:
    text = (
        HEAD.replace("2026-11-20", "2026-11-20T23:30:00+01:00")
        + 'max_age = "1d"\nentries = ["A"]\n'
    )
    (named,), problems = _read(text)
    assert problems == []
    assert not named.is_stale(dt.date(2026, 11, 21)) and named.is_stale(dt.date(2026, 11, 22))


def test_listing_dates_set_the_validity_of_an_entity() -> None:
    entry = '{ name = "X Corp", ref = "R1", listed = 2022-01-01, delisted = 2024-01-01 }'
    (named,), problems = _read(HEAD + f"entries = [{entry}]\n")
    assert problems == []
    (x,) = named.entries
    assert (x.valid_from, x.valid_until) == (dt.date(2022, 1, 1), dt.date(2023, 12, 31))
    assert named.entries_on(dt.date(2024, 1, 1)) == ()


def test_two_entities_of_one_name_with_other_refs_are_both_kept() -> None:
    entries = '[{ name = "Ali Hassan", ref = "A" }, { name = "Ali Hassan", ref = "B" }]'
    (named,), problems = _read(HEAD + f"entries = {entries}\n")
    assert problems == []
    assert [e.ref for e in named.entries] == ["A", "B"]
    _, problems = _read(HEAD + 'entries = [{ name = "A", ref = "R" }, { name = "B", ref = "R" }]\n')
    assert [m for _, m in problems] == ["list SANCTIONS: `ref R` is listed twice"]


def test_weak_aliases_are_kept_apart_from_aliases() -> None:
    entry = '{ name = "Y", aliases = ["Why"], weak_aliases = ["Y1"], countries = ["CN"] }'
    (named,), problems = _read(HEAD + f"entries = [{entry}]\n")
    assert problems == []
    (y,) = named.entries
    assert (y.aliases, y.weak_aliases, y.countries) == (("Why",), ("Y1",), ("CN",))


def test_bad_new_fields_give_located_errors() -> None:
    text = (
        HEAD
        + 'max_age = "soon"\n'
        + 'sha256 = "abc"\n'
        + "source_url = 3\n"
        + "entries = [\n"
        + '  { name = "One", weak_aliases = "One Ltd" },\n'
        + '  { name = "Two", countries = ["China"] },\n'
        + '  { name = "Three", type = "persn" },\n'
        + '  { name = "Four", listed = "2020-01-01" },\n'
        + '  { name = "Five", listed = 2024-01-01, delisted = 2023-01-01 },\n'
        + "]\n"
    )
    _, problems = _read(text)
    assert problems == [
        (5, "list SANCTIONS: `max_age` must be a number of days or weeks, not 'soon'"),
        (7, "list SANCTIONS: `source_url` must be a text"),
        (6, "list SANCTIONS: `sha256` is not a sha256"),
        (9, "list SANCTIONS: `weak_aliases` of `One` must be a list of texts"),
        (10, "list SANCTIONS: `China` in the countries of `Two` is not a country code"),
        (11, "list SANCTIONS: `type` of `Three` must be one of the entity types, not 'persn'"),
        (12, "list SANCTIONS: `listed` and `delisted` of `Four` must be dates"),
        (
            13,
            "list SANCTIONS: `Five` is delisted on 2023-01-01, not after it was listed on 2024-01-01",
        ),
    ]


def test_every_existing_list_file_of_the_pack_stays_valid() -> None:
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "policies" / "knowledge-security" / "lists"
    for path in sorted(folder.glob("*.toml")):
        _, problems = read_list_file(Source(str(path), path.read_text(encoding="utf-8")))
        assert problems == [], path
