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
