"""Validity: rules, lists and list entries are in force on the same days for the same
dates, because they share one implementation."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kspolicy.lang.checked import Rule
from kspolicy.lang.lists import Entry, NamedList
from kspolicy.lang.validity import Validity

days = st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31))
maybe_days = st.none() | days


@pytest.mark.parametrize("kind", [Rule, NamedList, Entry])
def test_rules_lists_and_entries_share_one_validity(kind: type) -> None:
    assert issubclass(kind, Validity)
    assert kind.valid_on is Validity.valid_on


@given(maybe_days, maybe_days, days)
def test_valid_on_includes_both_ends_and_leaves_a_missing_one_open(
    start: dt.date | None, end: dt.date | None, day: dt.date
) -> None:
    entry = Entry("x", valid_from=start, valid_until=end)
    first, last = entry.period
    assert entry.valid_on(day) == (first <= day <= last)
    assert entry.ends_before_it_starts == (first > last)
    if start is not None:
        assert entry.valid_on(start) == (end is None or start <= end)
