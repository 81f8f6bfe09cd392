"""Type descriptions: every type of the schema says in words what its values are, in
one place (lang/schema.py), and the checker and the case checker both use it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kspolicy.lang.schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    TextType,
    Type,
    value_kind,
)

COUNTRY = EnumType("Country", ("BE", "CN"), {}, description="a country code")
PARTNER = RecordType("Partner", {})


@pytest.mark.parametrize(
    ("type_", "what", "plural"),
    [
        (BoolType(), "a true/false value", "true/false values"),
        (IntType(1, 9), "a whole number", "whole numbers"),
        (NumberType(), "a number", "numbers"),
        (TextType(), "a text", "texts"),
        (DateType(), "a date", "dates"),
        (COUNTRY, "a country code", "Country codes"),
        (PARTNER, "a Partner record", "Partner records"),
        (ListType(TextType()), "a list of texts", "lists of texts"),
        (ListType(PARTNER), "a list of Partner records", "lists of Partner records"),
    ],
)
def test_every_type_says_what_its_values_are(type_: Type, what: str, plural: str) -> None:
    assert (type_.what, type_.plural) == (what, plural)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "null"),
        (True, "true/false"),
        (3, "a whole number"),
        (3.5, "a number"),
        ("x", "a text"),
        (dt.date(2026, 1, 1), "a date"),
        ([1], "a list"),
        ({"a": 1}, "a table"),
    ],
)
def test_a_value_read_from_a_case_is_named_in_the_same_words(value: Any, kind: str) -> None:
    assert value_kind(value) == kind
