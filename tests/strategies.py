"""Hypothesis strategies for cases, generated from a policy's own schema.

`full_cases(schema)` draws complete cases: every fact known. `forget(case)` drops a
random subset of facts (and whole collections), so each partial case comes with a known
completion: the full case it was drawn from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from kspolicy.lang.schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    Schema,
    TextType,
    Type,
)

NAMES = (
    "Harbin Institute of Technology", "HIT", "哈尔滨工业大学", "Beihang University",
    "Huawei Technologies Co., Ltd.", "ZTE Corporation", "Ghent University", "ACME Inc.",
    "Example State Technical University", "Université de Liège",
)  # fmt: skip


def values(type_: Type, depth: int = 0) -> st.SearchStrategy[Any]:
    """Every value a field of this type may hold (lists stay short)."""
    if isinstance(type_, BoolType):
        return st.booleans()
    if isinstance(type_, IntType):
        low = type_.low if type_.low is not None else -5
        high = type_.high if type_.high is not None else 100
        return st.integers(low, high)
    if isinstance(type_, NumberType):
        return st.floats(-1e6, 1e6, allow_nan=False)
    if isinstance(type_, TextType):
        return st.sampled_from(NAMES)
    if isinstance(type_, DateType):
        return st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))
    if isinstance(type_, EnumType):
        return st.sampled_from(type_.codes)
    if isinstance(type_, ListType):
        inner = values(type_.element, depth + 1)
        size = 3 if isinstance(type_.element, RecordType) else 2
        return st.lists(
            inner,
            max_size=size,
            unique_by=None if isinstance(type_.element, RecordType) else (lambda x: x),
        )
    assert isinstance(type_, RecordType)
    return records(type_, depth)


def records(record: RecordType, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {name: values(f.type, depth + 1) for name, f in record.fields.items()}
    )


def full_cases(schema: Schema) -> st.SearchStrategy[dict[str, Any]]:
    """Cases with every fact known."""
    return records(schema.root)


@st.composite
def forget(draw: st.DrawFn, case: dict[str, Any], rate: float = 0.3) -> dict[str, Any]:
    """A copy of the case with a random share of its facts left out (unknown)."""

    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            kept = {}
            for key, inner in value.items():
                if draw(st.floats(0, 1)) >= rate:
                    kept[key] = drop(inner)
            return kept
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [drop(item) for item in value]
        return value

    return drop(case)  # type: ignore[no-any-return]


@st.composite
def calm(
    draw: st.DrawFn, case: dict[str, Any], odds: int = 8, benign: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A copy of the case with most risk turned off, so that adding one changes things.

    Each true fact stays true, and each non-empty list of codes stays as it is, with a
    chance of 1 in `odds`; `benign` maps field names to the value they take otherwise.
    """
    benign = benign or {}

    def keep() -> bool:
        return draw(st.integers(1, odds)) == 1

    def settle(key: str | None, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: settle(k, v) for k, v in value.items()}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [settle(None, item) for item in value]
        if keep():
            return value
        if value is True:
            return False
        if key in benign:
            return benign[key]
        if (
            isinstance(value, list)
            and value
            and isinstance(value[0], str)
            and key not in ("topics",)
        ):
            return []
        return value

    return settle(None, case)  # type: ignore[no-any-return]
