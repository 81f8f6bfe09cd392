"""ScreeningIndex: ranked candidates with their comparison; parts bring their parent."""

from __future__ import annotations

import pytest

from kspolicy.screening import Alias, Entity, ScreeningIndex

LIST = [
    Entity(
        "hit",
        "Harbin Institute of Technology",
        countries=["CN"],
        aliases=[Alias("Hagongda", "weak")],
    ),
    Entity("heu", "Harbin Engineering University", countries=["CN"]),
    Entity("bit", "Beijing Institute of Technology", countries=["CN"]),
    Entity("zte", "ZTE Corporation", countries=["CN"]),
    Entity("zte-be", "ZTE Belgium NV", countries=["BE"], parent="zte"),
    Entity("putin", "Vladimir Vladimirovich Putin", kind="person", countries=["RU"]),
    *(Entity(f"filler{n}", f"Filler Trading {n} Ltd") for n in range(50)),
]


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex(LIST)


def test_a_campus_finds_its_university_first(index: ScreeningIndex) -> None:
    found = index.query("Harbin Institute of Technology, Shenzhen", country="CN")
    assert found[0].entity.id == "hit"
    assert found[0].match.band == "match"
    assert all(c.entity.id != "heu" or c.match.band != "match" for c in found)


def test_a_listed_part_brings_its_parent_with_via(index: ScreeningIndex) -> None:
    found = {c.entity.id: c for c in index.query("ZTE Belgium N.V.", country="BE")}
    assert found["zte-be"].match.band == "match"
    assert found["zte-be"].via is None
    assert found["zte"].via == "zte-be"


def test_the_country_decides_an_acronym(index: ScreeningIndex) -> None:
    assert [c.entity.id for c in index.query("BIT", country="CN", lowest="match")] == ["bit"]
    assert index.query("BIT", country="IN") == []


def test_a_weak_alias_gives_a_possible_candidate(index: ScreeningIndex) -> None:
    found = index.query("Hagongda", country="CN")
    assert [(c.entity.id, c.match.band) for c in found] == [("hit", "possible")]
    assert found[0].match.evidence.alias == Alias("Hagongda", "weak")


def test_persons_are_found_in_another_script(index: ScreeningIndex) -> None:
    found = index.query("Владимир Путин", kind="person")
    assert found[0].entity.id == "putin"
    assert found[0].match.band == "match"


def test_an_unknown_name_finds_nothing(index: ScreeningIndex) -> None:
    assert index.query("Completely Unrelated Bakery", country="FR") == []


def test_limit_and_entity_lookup(index: ScreeningIndex) -> None:
    assert len(index.query("Filler Trading Ltd", lowest="none", limit=3)) == 3
    assert index.entity("zte") is LIST[3]
    assert index.entity("nobody") is None
    assert len(index) == len(LIST)
    with pytest.raises(ValueError, match="lowest is one of"):
        index.query("x", lowest="maybe")  # type: ignore[arg-type]


def test_a_short_name_listed_in_many_countries_finds_the_one_in_the_query_country() -> None:
    # Forty entities of one short name, the query's country last: a short name of
    # another country is no match, so the shortlist must not keep only the first ones.
    others = ["RU", "AE", "DE", "SG", "IR", "IN", "TR", "NL", "US", "GB"]
    twins = [Entity(f"t{n}", "Saro Ltd", countries=[others[n % 10]]) for n in range(40)]
    index = ScreeningIndex([*twins, Entity("cn", "Saro Ltd", countries=["CN"])])
    found = index.query("Ltd Saro", country="CN", kind="organization", lowest="match")
    assert [c.entity.id for c in found] == ["cn"]


def test_a_name_is_found_among_many_that_share_one_of_its_words() -> None:
    # Many fillers are `Sarkin` with a legal form: rapidfuzz's token-set ratio scored a
    # name all of whose words the query holds 100, as high as the entry, and the index
    # kept the first six of these ties. `Precision` is too common a word to be counted.
    forms = ["Ltd", "LLC", "GmbH", "JSC", "Inc.", "S.A.", "B.V.", "OOO"]
    fillers = [Entity(f"f{n}", f"Sarkin {forms[n % 8]}") for n in range(40)]
    common = [Entity(f"c{n}", f"{_WORDS[n % 90]} Precision") for n in range(3200)]
    index = ScreeningIndex([*fillers, *common, Entity("sp", "Sarkin Precision Ltd")])
    found = index.query("Precision Sarkin Ltd", kind="organization", lowest="match")
    assert [c.entity.id for c in found] == ["sp"]


def test_a_part_is_found_among_many_longer_names() -> None:
    fillers = [Entity(f"f{n}", f"Rour {word} LLC") for n, word in enumerate(_WORDS)]
    index = ScreeningIndex([*fillers, Entity("rour", "Rour LLC")])
    found = index.query("Rour LLC Istanbul", kind="organization", lowest="match")
    assert [(c.entity.id, c.match.evidence.rule) for c in found] == [("rour", "part-of")]


_WORDS = [f"{a}{b}" for a in ("Ka", "Ro", "Mi", "Ta", "Ne", "Lu") for b in ("ven", "dor", "lis")]
_WORDS += [f"{w}{c}" for w in _WORDS for c in ("x", "mo", "ra", "tu")]
