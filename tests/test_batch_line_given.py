"""tools/batch.py `_given`: a line written straight is checked only in the parts that
may hold what json and orjson write apart (`jsonline.dumps_made`).

Every other part must hold only what `jsonline._plain` passes (exact built-in types, no
float repr writes with an exponent): the tests run that whole check over each unchecked
part of the lines of generated cases, with numbers json and orjson write apart, huge
ints and subclasses of str from a Python caller, and compare the lines' bytes with
json's. A part added to the compact form is unchecked until `_given` names it, so these
tests fail the day one holds a case's value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.tools import batch, jsonline

from .generated import generated_cases
from .test_jsonline import EDGE_FLOATS, Name

AS_OF = "2026-01-15"

POLICY = """\
policy amounts version "1.0"
  title en "Amounts" nl "Bedragen"
  languages en, nl

lists "lists.toml"

decision {
  verdict: scale clear < notify < review
  contact_point: entry of CONTACT_POINTS for institution
}

enum Country "a country code" from COUNTRIES

record Partner named by name {
  name: text
    question en "Name?" nl "Naam?"
  amount: number
    question en "What amount goes to {name}?" nl "Welk bedrag gaat naar {name}?"
  country: Country
    question en "In which country is {name}?" nl "In welk land is {name}?"
}

schema {
  institution: text
    question en "Which institution?" nl "Welke instelling?"
  budget: number
    question en "What budget?" nl "Welk budget?"
  partners: list of Partner = [] as partner
}

rule small_amount_in_risk_country
  title en "Small amount" nl "Klein bedrag"
  cite "x"
  when partner.amount < 5 and partner.country in RISK
  then verdict >= review
  because en "x" nl "x"

rule big_budget
  title en "Big budget" nl "Groot budget"
  cite "x"
  when budget > 1000000
  then verdict >= notify
  because en "x" nl "x"

rule listed_partner
  title en "Listed" nl "Gelijst"
  cite "x"
  when any p in partners: p.name matches LISTED
  then verdict >= review
  because en "x" nl "x"
"""

LISTS = """\
[COUNTRIES]
kind = "codes"
source = "ISO"
retrieved = 2025-01-01
entries = ["BE", "CN", "RU"]

[RISK]
kind = "codes"
source = "x"
retrieved = 2025-01-01
entries = ["CN", "RU"]

[LISTED]
kind = "entities"
source = "x"
retrieved = 2025-01-01
entries = [{ name = "Harbin Institute of Technology", aliases = ["HIT"] }]

[CONTACT_POINTS]
kind = "records"
source = "x"
retrieved = 2025-01-01
entries = [{ key = "UGent", email = "a@b.c" }]
"""


@pytest.fixture(scope="module")
def amounts(tmp_path_factory: pytest.TempPathFactory) -> kspolicy.Policy:
    folder: Path = tmp_path_factory.mktemp("amounts")
    (folder / "policy.pol").write_text(POLICY, encoding="utf-8")
    (folder / "lists.toml").write_text(LISTS, encoding="utf-8")
    return kspolicy.load(folder / "policy.pol")


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def check_lines(
    policy: kspolicy.Policy, cases: list[dict[str, Any]], fields: tuple[str, ...] | None = None
) -> list[str]:
    """Each case's batch line, checked: its unchecked parts pass `_plain`, and its text
    is json's. The lines, for more checks."""
    numbered = list(enumerate(cases, 1))
    job = batch.Job(as_of=AS_OF, fields=fields)
    written = list(batch.decide_lines(policy, iter(numbered), job))
    assert [line.decided for line in written] == ['"decision":' in line.text for line in written]
    assert all(line.record is None for line in written)
    lines = [line.text for line in written]
    assert len(lines) == len(cases)
    for (number, case), text in zip(numbered, lines, strict=True):
        try:
            decision = policy.compact_decision(case, as_of=AS_OF)
        except kspolicy.CaseError:
            assert '"error":' in text
            continue
        checked = batch._given(number, decision)
        unchecked = {k: v for k, v in decision.items() if all(v is not part for part in checked)}
        assert {*unchecked} >= {"fired", "pending", "open_questions"}  # the line's bulk
        for name, part in unchecked.items():
            assert jsonline._plain(part), (name, part)
        if fields is not None:
            decision = {name: decision[name] for name in fields if name in decision}
        assert text == compact({"line": number, "decision": decision})
    return lines


numbers = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(EDGE_FLOATS)
amount_cases = st.fixed_dictionaries(
    {},
    optional={
        "institution": st.sampled_from(["UGent", "KU Leuven", Name("UGent")]),
        "budget": numbers | st.integers() | st.sampled_from([2**64, 10**30, -(2**70)]),
        "partners": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "name": st.sampled_from(["HIT", "ACME", Name("HIT")]),
                    "amount": numbers | st.integers(-10, 10),
                    "country": st.sampled_from(["BE", "CN", "RU"]),
                },
            ),
            max_size=3,
        ),
    },
)


@given(st.lists(amount_cases, min_size=1, max_size=5))
def test_unchecked_parts_of_lines_with_any_numbers_are_plain(
    amounts: kspolicy.Policy, cases: list[dict[str, Any]]
) -> None:
    check_lines(amounts, cases)


def test_floats_json_writes_with_an_exponent_keep_jsons_form(amounts: kspolicy.Policy) -> None:
    partner = {"name": "HIT", "amount": 1e-05, "country": "CN"}
    cases: list[dict[str, Any]] = [
        {"institution": "UGent", "budget": 1e16, "partners": [partner]},
        {"budget": 10**30, "partners": [{**partner, "amount": -0.0}]},
        {"budget": math.nan},  # refused by the case's check: an error line
    ]
    lines = check_lines(amounts, cases)
    assert '"partners[0].amount":1e-05' in lines[0] and '"budget":1e+16' in lines[0]
    assert '"budget":1000000000000000000000000000000' in lines[1]
    assert '"partners[0].amount":-0.0' in lines[1]
    assert '"contact_point":"UGent"' in lines[0]
    assert '"score":1.0' in lines[0]  # the screening's float, in a checked part


def test_a_str_subclass_from_a_python_caller_is_written_as_its_characters(
    amounts: kspolicy.Policy,
) -> None:
    case = {"institution": Name("UGent"), "partners": [{"name": Name("HIT"), "amount": 1}]}
    (line,) = check_lines(amounts, [case])
    assert '"contact_point":"UGent"' in line and '"partners[0].name":"HIT"' in line


def _pack_cases(pack: kspolicy.Policy, count: int) -> Iterator[dict[str, Any]]:
    """Generated cases, every other one's texts as a str subclass (a Python caller's)."""

    def named(value: Any) -> Any:
        if type(value) is str:
            return Name(value)
        if type(value) is list:
            return [named(item) for item in value]
        if type(value) is dict:
            return {key: named(item) for key, item in value.items()}
        return value

    for number, case in enumerate(generated_cases(pack.schema, count)):
        made: dict[str, Any] = named(case) if number % 2 else case
        yield made


def test_unchecked_parts_of_the_packs_lines_are_plain(pack: kspolicy.Policy) -> None:
    lines = check_lines(pack, list(_pack_cases(pack, 120)))
    assert any('"score":' in line for line in lines)  # screening's floats were met
    assert any('"contact_point":' in line for line in lines)


def test_fields_leave_parts_out_of_the_check_and_the_line(pack: kspolicy.Policy) -> None:
    cases = list(_pack_cases(pack, 30))
    for fields in [("outcomes",), ("facts", "matched"), ("fired", "lang")]:
        check_lines(pack, cases, fields)
