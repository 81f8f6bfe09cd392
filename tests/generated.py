"""Seeded cases with unknown facts, generated from a policy's schema, without Hypothesis.

For what must be the same on every run and every machine, and cheap in any number: the
batch benchmark's 100,000 cases (benchmarks/bench_batch.py) and the tests that stream
many cases. Like `strategies.full_cases` followed by `strategies.forget`: every field of
every record is drawn from its type, then left out (unknown) with probability `rate`;
collections of records hold up to three elements. Values are in their JSON form (dates
as YYYY-MM-DD texts), so a case is also a line of a batch file.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

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

from .strategies import NAMES

SEED = 16  # the number: the benchmark's cases are these
START = dt.date(2015, 1, 1)


def generated_cases(
    schema: Schema, count: int, seed: int = SEED, rate: float = 0.3
) -> Iterator[dict[str, Any]]:
    """`count` cases for `schema`, streamed: the same seed gives the same cases."""
    rng = random.Random(seed)
    for _ in range(count):
        yield _record(rng, schema.root, rate)


def _record(rng: random.Random, record: RecordType, rate: float) -> dict[str, Any]:
    return {
        name: _value(rng, field.type, rate)
        for name, field in record.fields.items()
        if rng.random() >= rate
    }


def _value(rng: random.Random, type_: Type, rate: float) -> Any:
    if isinstance(type_, BoolType):
        return rng.random() < 0.25  # risk facts are mostly false, as in real cases
    if isinstance(type_, IntType):
        low = type_.low if type_.low is not None else 0
        high = type_.high if type_.high is not None else 100
        return rng.randint(low, high)
    if isinstance(type_, NumberType):
        return round(rng.uniform(0, 1e6), 2)
    if isinstance(type_, TextType):
        return rng.choice(NAMES)
    if isinstance(type_, DateType):
        return (START + dt.timedelta(days=rng.randrange(5000))).isoformat()
    if isinstance(type_, EnumType):
        return rng.choice(type_.codes)
    if isinstance(type_, ListType):
        if isinstance(type_.element, RecordType):
            return [_record(rng, type_.element, rate) for _ in range(rng.randint(0, 3))]
        return sorted({_value(rng, type_.element, rate) for _ in range(rng.randint(0, 2))})
    assert isinstance(type_, RecordType)
    return _record(rng, type_, rate)


def filled(schema: Schema, case: dict[str, Any], seed: int = SEED) -> dict[str, Any]:
    """The same case with every unknown fact given a value (drawn with `seed`): what
    deciding costs when nothing is unknown, beside the case itself."""
    rng = random.Random(seed)
    return _filled(rng, schema.root, case)


def _filled(rng: random.Random, record: RecordType, given: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, field in record.fields.items():
        if name not in given:
            out[name] = _value(rng, field.type, 0.0)
            continue
        value, type_ = given[name], field.type
        if isinstance(type_, RecordType):
            value = _filled(rng, type_, value)
        elif isinstance(type_, ListType) and isinstance(type_.element, RecordType):
            value = [_filled(rng, type_.element, item) for item in value]
        out[name] = value
    return out
