"""Value display: one `show` for the trace, the explanation and policy tests' failures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kspolicy.eval import runtime
from kspolicy.render import explain
from kspolicy.tools import testing


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "unknown"),
        (True, "true"),
        (False, "false"),
        (frozenset({"b", "a"}), "{a, b}"),
        (["CN", None, True], "[CN, unknown, true]"),
        ((), "[]"),
        (dt.date(2026, 1, 15), "2026-01-15"),
        (4, "4"),
    ],
)
def test_values_are_shown_one_way(value: Any, shown: str) -> None:
    assert runtime.show(value) == shown


def test_the_explanation_and_policy_tests_show_values_as_the_trace_does() -> None:
    assert vars(explain)["show"] is runtime.show
    assert vars(testing)["show"] is runtime.show
