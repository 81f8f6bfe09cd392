"""tools/jsonline.py: `dumps` writes the bytes `json.dumps(..., ensure_ascii=False,
separators=(",", ":"))` writes, always, with orjson (the extra `fast`) or without it."""

from __future__ import annotations

import enum
import json
import math
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.tools import batch, jsonline
from kspolicy.tools.cli import main

from .generated import generated_cases

AS_OF = "2026-01-15"


def reference(data: Any, default: Callable[[Any], Any] | None = None) -> bytes | type:
    """What json writes, as UTF-8: the bytes, or the class of the exception raised."""
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=default).encode()
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error)


def outcome(data: Any, default: Callable[[Any], Any] | None = None) -> bytes | type:
    try:
        return jsonline.dumps(data, default)
    except Exception as error:  # noqa: BLE001
        return type(error)


# Floats where json and orjson part ways, and around the edges of where they agree.
EDGE_FLOATS = [
    1e16, 1e-5, 1.5e-07, 5e-324, -0.0, 0.0, 1e-4, 9999999999999998.0, 1e22, -1e16,
    2.2250738585072014e-308, 1.7976931308623157e308, math.nan, math.inf, -math.inf,
    0.1, 1 / 3, 123456789012345.6,
]  # fmt: skip

texts = st.text(st.characters(codec=None)) | st.sampled_from(
    ["\ud800", "a\udfffb", "\u2028\u2029", "\x00\x1f\x7f\x85", "😀\U0010ffff", '"\\/', "\ufeff"]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(EDGE_FLOATS)
    | texts
)
keys = texts | st.integers() | st.floats() | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(texts, inner, max_size=5)
        | st.dictionaries(keys, inner, max_size=3)
    ),
    max_leaves=30,
)


@given(values)
def test_the_bytes_are_jsons_for_any_value(data: Any) -> None:
    assert outcome(data) == reference(data)
    assert outcome(data, str) == reference(data, str)


@given(values)
def test_the_level_walk_python_3_13_uses_keeps_the_promise(data: Any) -> None:
    """`_below_by_values` (Python 3.13 and later) keeps the promise on any value too, so
    it holds whichever walk this Python uses."""
    walk = jsonline._below
    try:
        jsonline._below = jsonline._below_by_values
        assert outcome(data) == reference(data)
        assert outcome(data, str) == reference(data, str)
    finally:
        jsonline._below = walk


class _Attributes:
    pass


@pytest.mark.parametrize("walk", ["this Python's", "_below_by_values"])
def test_an_objects_attributes_dict_with_a_float_json_writes_apart_is_jsons(
    walk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by a review: on Python 3.13 gc.get_referents gives nothing for vars(obj),
    # so a float in it went to orjson unchecked (0.00001 for json's 1e-05, null for NaN).
    if walk != "this Python's":
        monkeypatch.setattr(jsonline, "_below", getattr(jsonline, walk))
    thing = _Attributes()
    thing.x = 1e-5  # type: ignore[attr-defined]
    thing.n = math.nan  # type: ignore[attr-defined]
    assert outcome({"r": vars(thing)}) == reference({"r": vars(thing)})
    assert not jsonline._plain({"r": vars(thing)})


@pytest.mark.parametrize("value", EDGE_FLOATS, ids=repr)
def test_floats_json_and_orjson_write_apart_are_jsons(value: float) -> None:
    for data in (value, [value], {"score": value}, {"a": [{"b": value}, "x"]}):
        assert outcome(data) == reference(data)


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


ODD = [
    Colour.RED,
    Level.HIGH,
    Name("x"),
    uuid.UUID(int=7),
    {1, 2},
    b"bytes",
    {Name("k"): 1},
    {1: "one", 2.5: "two", None: 0, False: 1},
    (1, [2, (3,)]),
]


@pytest.mark.parametrize("value", ODD, ids=repr)
def test_what_json_has_no_form_for_is_refused_or_defaulted_as_json_does(value: Any) -> None:
    # orjson writes an enum, a UUID or a subclass its own way: json decides them.
    for data in (value, [value], {"v": value}):
        assert outcome(data) == reference(data)
        assert outcome(data, str) == reference(data, str)


def test_a_value_holding_itself_or_nested_deeper_than_orjson_goes_is_jsons() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    assert outcome(loop) is ValueError  # json: "Circular reference detected"
    deep: Any = "x"
    for _ in range(300):  # orjson stops at 254 levels, json goes on
        deep = [deep]
    assert outcome(deep) == reference(deep)
    deep = {"k": deep}
    assert outcome(deep) == reference(deep)


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def test_decision_lines_are_written_by_orjson_when_installed(pack: kspolicy.Policy) -> None:
    """The fast path is taken for the lines batches write (with their float scores), so
    the bytes compared above are the bytes a batch gets."""
    if not jsonline.fast():
        pytest.skip("orjson is not installed (the extra `fast`)")
    job = batch.Job(as_of=AS_OF)
    cases = list(enumerate(generated_cases(pack.schema, 40), 1))
    data = [
        {"line": number, "decision": pack.compact_decision(case, as_of=AS_OF)}
        for number, case in cases
    ]
    assert any("score" in str(line) for line in data)
    assert all(jsonline._plain(line) for line in data)
    assert [jsonline.dumps(line) for line in data] == [reference(line) for line in data]
    assert batch.decide_lines(pack, iter(cases[:3]), job)  # the batch's own path runs


def _batch_bytes(tmp_path: Path, pack: kspolicy.Policy, extra: list[str]) -> bytes:
    source = tmp_path / "cases.jsonl"
    if not source.exists():
        lines = [json.dumps(case) for case in generated_cases(pack.schema, 60)]
        lines.insert(7, '{"project": {"trl": "high"}}')  # a case that does not fit
        lines.insert(9, "[1, 2]")  # a line that holds no case
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["eval", "--batch", str(source), "--out", str(out), "--as-of", AS_OF, *extra]
    assert main(args) in (0, 1)
    return out.read_bytes()


@pytest.mark.parametrize(
    "extra", [[], ["--detail", "full"], ["--fields", "outcomes,matched"]], ids=str
)
def test_a_batch_writes_the_same_bytes_without_orjson(
    tmp_path: Path, pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch, extra: list[str]
) -> None:
    fast = _batch_bytes(tmp_path, pack, extra)
    monkeypatch.setattr(jsonline, "_orjson", None)
    assert not jsonline.fast()
    slow = _batch_bytes(tmp_path, pack, extra)
    assert fast == slow
    assert b'"codes":["KSP402"]' in slow and b'"decision":' in slow
