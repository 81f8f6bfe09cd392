"""`Decision.from_dict(data)` held some of `data`'s own lists (a fact's value, an entry's
codes): changing `data` afterwards changed what the decision gave. Found by an attack."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import kspolicy
from kspolicy import Decision, DecisionFormatError

CASE = {
    "project": {"topics": ["robotics.drones"]},
    "partners": [{"name": "HIT", "country": "CN", "sanctions": ["US"]}],
}


@pytest.fixture(scope="module")
def policy() -> kspolicy.Policy:
    return kspolicy.load()


def _lists(value: Any) -> list[list[Any] | dict[str, Any]]:
    """Every list and dict inside a JSON value."""
    found: list[list[Any] | dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            found.append(item)
            stack += item
        elif isinstance(item, dict):
            found.append(item)
            stack += item.values()
    return found


@pytest.mark.parametrize("detail", ["compact", "full"])
def test_from_dict_keeps_none_of_the_callers_lists(
    policy: kspolicy.Policy, detail: str
) -> None:
    data = policy.evaluate(CASE, as_of="2026-01-15").to_dict(detail=detail)
    kept = copy.deepcopy(data)
    decision = Decision.from_dict(data)
    before = decision.to_dict(detail=detail)
    for container in _lists(data):  # every list and dict of the data given, changed
        if isinstance(container, list):
            container.append("changed")
        else:
            container["changed"] = "changed"
    assert decision.to_dict(detail=detail) == before
    assert Decision.from_dict(kept).to_dict(detail=detail) == before


def test_from_dict_of_a_value_nested_past_the_stack_is_a_format_error(
    policy: kspolicy.Policy,
) -> None:
    data = policy.evaluate(CASE, as_of="2026-01-15").to_dict()
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    data["facts"]["project.topics"] = deep
    with pytest.raises(DecisionFormatError, match="not a decision in format compact/1"):
        Decision.from_dict(data)
