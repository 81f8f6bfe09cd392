"""A fact of an enum or a number given as another kind of value says how to write it, as
a fact of true/false or text already did (eval/cases.py): `5` for an enum names its codes
(or one of them, for a long enum), `"3"` for a number says to drop the quotes."""

from __future__ import annotations

import pytest

import kspolicy
from kspolicy.diagnostics import CaseError


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def _said(policy: kspolicy.Policy, case: dict[str, object]) -> list[str]:
    with pytest.raises(CaseError) as refused:
        policy.evaluate(case)
    return [problem.message for problem in refused.value.problems]


def test_an_enum_fact_given_a_number_names_its_codes(pack: kspolicy.Policy) -> None:
    [said] = _said(pack, {"project": {"dual_use": 5}})
    assert said.endswith(
        'got 5 (a whole number): write one of "listed", "possible", "none", in quotes'
    )


def test_a_country_given_true_shows_a_code_to_write(pack: kspolicy.Policy) -> None:
    [said] = _said(pack, {"partners": [{"country": True}]})
    assert "got true (" in said  # JSON's word, as the case wrote it
    assert said.endswith('write a code in quotes, such as "AD"')


def test_a_whole_number_in_quotes_says_to_drop_them(pack: kspolicy.Policy) -> None:
    [said] = _said(pack, {"project": {"trl": "3"}})
    assert said.endswith("got '3' (a text): write 3 without quotes to give it as a number")


def test_a_word_where_a_number_is_meant_gets_no_number_hint(pack: kspolicy.Policy) -> None:
    [said] = _said(pack, {"project": {"trl": "high"}})
    assert said.endswith("got 'high' (a text)")


def test_a_whole_number_written_4_0_in_quotes_says_write_4(pack: kspolicy.Policy) -> None:
    """`"4.0"` for a whole number said "write 4.0 without quotes", which fails again."""
    [said] = _said(pack, {"project": {"trl": "4.0"}})
    assert said.endswith("got '4.0' (a text): write 4 without quotes to give it as a whole number")
    [said] = _said(pack, {"project": {"trl": "4.5"}})
    assert said.endswith("got '4.5' (a text)")
