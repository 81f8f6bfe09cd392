"""compare(): the bands and the evidence on the cases issue 14 names, and its input."""

from __future__ import annotations

import sys

import pytest

from kspolicy.screening import (
    MATCH_AT,
    POSSIBLE_AT,
    Alias,
    Entity,
    ScreeningUnavailable,
    band_of,
    compare,
    fold,
)


def test_bit_in_india_is_not_beijing_institute_of_technology() -> None:
    m = compare("BIT", "Beijing Institute of Technology", country_a="IN", country_b="CN")
    assert m.band == "none"
    assert m.evidence.rule == "acronym"
    assert "countries" in " ".join(m.evidence.notes)


def test_bit_in_china_is_beijing_institute_of_technology() -> None:
    m = compare("BIT", "Beijing Institute of Technology", country_a="CN", country_b="CN")
    assert (m.band, m.evidence.rule) == ("match", "acronym")


def test_an_acronym_without_countries_is_possible() -> None:
    assert compare("HEU", "Harbin Engineering University").band == "possible"


def test_heu_in_france_is_not_harbin_engineering_university() -> None:
    assert (
        compare("HEU", "Harbin Engineering University", country_a="FR", country_b="CN").band
        == "none"
    )


def test_hit_is_no_match_for_huawei() -> None:
    # Issue 14's closing note: HIT (Harbin Institute of Technology) was read off
    # "Huawei Technologies" as h+i from Huawei and t from Technologies: a match in China,
    # a possible match where the country was not given.
    huawei = Entity("huawei", "Huawei", aliases=[Alias("Huawei Technologies")], countries=["CN"])
    for country in ("CN", None):
        for listed in ("Huawei Technologies Co., Ltd.", huawei):
            m = compare("HIT", listed, country_a=country, country_b="CN")
            assert m.band == "none", (country, listed, m)
            assert m.evidence.rule != "acronym"


@pytest.mark.parametrize(
    ("short", "long", "country"),
    [
        ("NWPU", "Northwestern Polytechnical University", "CN"),
        ("XJTU", "Xi'an Jiaotong University", "CN"),
        ("KOMID", "Korea Mining Development Trading Corporation", "KP"),
        ("AVIC", "Aviation Industry Corporation of China", "CN"),
    ],
)
def test_a_word_gives_a_second_letter_where_three_give_their_initials(
    short: str, long: str, country: str
) -> None:
    m = compare(short, long, country_a=country, country_b=country)
    assert (m.band, m.evidence.rule) == ("match", "acronym")


def test_beijing_university_of_aeronautics_and_astronautics_is_found() -> None:
    m = compare(
        "Beijing University of Aeronautics & Astronautics",
        "Beijing University of Aeronautics and Astronautics",
    )
    assert (m.band, m.score) == ("match", 1.0)
    chinese = compare("北京航空航天大学", "Beijing University of Aeronautics and Astronautics")
    assert chinese.band == "match"


def test_harbin_institute_of_technology_shenzhen_is_part_of_hit() -> None:
    m = compare("Harbin Institute of Technology, Shenzhen", "Harbin Institute of Technology")
    assert (m.band, m.evidence.rule) == ("match", "part-of")


def test_zte_deutschland_gmbh_is_part_of_zte() -> None:
    m = compare("ZTE Deutschland GmbH", "ZTE Corporation", country_a="DE", country_b="CN")
    assert (m.band, m.evidence.rule) == ("match", "part-of")
    assert [p.a for p in m.evidence.tokens] == ["zte"]


def test_the_listed_name_being_the_part_is_only_possible() -> None:
    m = compare("ZTE Corporation", "ZTE Deutschland GmbH")
    assert (m.band, m.evidence.rule) == ("possible", "parent-of")


def test_a_place_does_not_make_a_different_body_part_of_another() -> None:
    assert compare("Industrial Bank Co., Ltd.", "Industrial Bank of Korea").band != "match"
    assert (
        compare("Beijing University of Technology", "Beijing Institute of Technology").band
        == "none"
    )


def test_legal_forms_anywhere_are_set_aside() -> None:
    assert compare("Public Joint Stock Company Gazprom", "PAO Gazprom").band == "match"
    assert compare("华为技术有限公司", "Huawei Technologies Co., Ltd.").band == "match"
    assert fold("Novaterm Sp. z o.o.").tokens == ("novaterm",)


def test_word_order_punctuation_and_ampersand() -> None:
    assert (
        compare("Marks & Spencer Group plc", "Marks and Spencer Group PLC").evidence.rule == "exact"
    )
    assert (
        compare("Logistics Cornerstone Ltd", "Cornerstone Logistics Limited").evidence.rule
        == "word-order"
    )
    assert compare("N.U.D.T.", "NUDT").band == "match"


def test_transliterations_of_persons() -> None:
    assert compare("Евгений Пригожин", "Yevgeniy Prigozhin", kind="person").band == "match"
    assert compare("محمد بن سلمان", "Mohammed bin Salman", kind="person").band == "match"
    assert compare("习近平", "Xi Jinping", kind="person").band == "match"


def test_persons_differing_in_one_name_are_not_a_match() -> None:
    assert compare("Alexander Ivanov", "Alexandra Ivanova", kind="person").band == "none"
    assert compare("Khalid Ibrahim Nasser", "Khalil Ibrahim Nasser", kind="person").band != "match"
    assert compare("Mohamed Ali Hassan", "Hassan Ali Mohamed", kind="person").band != "match"


def test_a_person_named_by_one_word_is_at_most_possible() -> None:
    m = compare("Petrov", "Ivan Petrov", kind="person")
    assert m.band == "possible"
    assert "one name only" in " ".join(m.evidence.notes)


def test_a_weak_alias_never_matches_on_its_own() -> None:
    entity = Entity(
        "nudt", "National University of Defense Technology", aliases=[Alias("Guofang Keda", "weak")]
    )
    m = compare("Guofang Keda", entity)
    assert m.band == "possible"
    assert m.evidence.alias == Alias("Guofang Keda", "weak")
    assert "weak alias" in " ".join(m.evidence.notes)


def test_a_strong_alias_matches_and_is_named_in_the_evidence() -> None:
    entity = Entity(
        "buaa", "Beijing University of Aeronautics and Astronautics", aliases=["Beihang University"]
    )
    m = compare("Beihang University", entity)
    assert m.band == "match"
    assert m.evidence.alias == Alias("Beihang University", "strong")
    assert m.evidence.b_name == "Beihang University"


def test_an_entitys_countries_count_when_none_is_given() -> None:
    entity = Entity("bit", "Beijing Institute of Technology", countries=["cn"])
    assert entity.countries == ("CN",)
    assert compare("BIT", entity, country_a="IN").band == "none"
    assert compare("BIT", entity, country_a="CN").band == "match"


def test_a_name_match_across_different_countries_is_only_possible() -> None:
    m = compare("Nordwind Handels GmbH", "Nordwind Handels GmbH", country_a="DE", country_b="AT")
    assert m.band == "possible"


def test_bands_follow_the_thresholds() -> None:
    assert band_of(MATCH_AT) == "match"
    assert band_of(POSSIBLE_AT) == "possible"
    assert band_of(POSSIBLE_AT - 0.01) == "none"
    for a, b in [("Huawei", "Huawei"), ("Huawen Ltd", "Huawei Ltd"), ("Apple", "Orange")]:
        m = compare(a, b)
        assert 0 <= m.score <= 1
        assert m.band == band_of(m.score)


def test_bad_input_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="kind is 'organization' or 'person'"):
        compare("a", "b", kind="company")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="names \\(str\\) or Entity"):
        compare("a", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quality is 'strong' or 'weak'"):
        Alias("x", "medium")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind is 'organization' or 'person'"):
        Entity("x", "X", kind="firm")  # type: ignore[arg-type]


def test_a_name_without_letters_matches_nothing() -> None:
    m = compare("", "...")
    assert (m.band, m.evidence.rule) == ("none", "empty")


def test_a_missing_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from kspolicy.screening import _extra

    monkeypatch.setattr(_extra, "_loaded", {})
    monkeypatch.setitem(sys.modules, "rapidfuzz", None)
    with pytest.raises(ScreeningUnavailable, match=r"pip install 'kspolicy\[screening\]'"):
        _extra.ratio()


def test_importing_kspolicy_needs_no_screening_library() -> None:
    import subprocess

    code = (
        "import sys; sys.modules['rapidfuzz'] = None; sys.modules['anyascii'] = None\n"
        "import kspolicy, kspolicy.screening\n"
        "assert 'rapidfuzz' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
