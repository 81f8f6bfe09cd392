"""tools/jsonline.py `dumps_made`: json's bytes (or exception) for data whose caller
vouches for the parts it does not give to be checked.

What orjson is told to refuse (a subclass of a built-in type, a date or time, a
dataclass) goes to json even in an unchecked part; what it would still write apart (a
float json writes with an exponent, NaN, an infinity, an enum that is not an int or a
str, a UUID, a `Fragment`) is what the caller vouches an unchecked part never holds. Each
claim is checked here against the orjson installed, not taken from its documentation.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import enum
import math
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kspolicy.tools import jsonline

from .test_jsonline import Colour, Level, Name, reference, texts, values

orjson = pytest.importorskip("orjson")


def made(data: Any, checked: list[Any]) -> bytes | type:
    try:
        return jsonline.dumps_made(data, checked)
    except Exception as error:  # noqa: BLE001 - the exception is the outcome compared
        return type(error)


def orjsons(value: Any) -> bytes | type:
    """What orjson writes with the options `dumps_made` gives it."""
    try:
        written: bytes = orjson.dumps(value, default=jsonline._refuse, option=jsonline._PASSTHROUGH)
        return written
    except orjson.JSONEncodeError as error:
        return type(error)


class Tiny(float, enum.Enum):
    SMALL = 1e-05


class Code(enum.StrEnum):
    UGENT = "UGent"


class Count(int):
    pass


class Amount(float):
    pass


class OwnItems(dict[str, Any]):
    def items(self) -> Any:  # json writes what this says, orjson the dict's own items
        return [("x", 1)]


class Row(list[Any]):
    pass


class Pair(tuple[int, int]):
    pass


Point = collections.namedtuple("Point", "x y")


@dataclasses.dataclass
class Thing:
    x: int = 1


# What orjson, with `dumps_made`'s options, writes otherwise than json: never in a part
# left unchecked (tools/batch.py `_given` argues why).
APART = [1e-05, 1.5e-07, math.nan, math.inf, -math.inf, Colour.RED, Tiny.SMALL]
APART += [uuid.UUID(int=7), orjson.Fragment(b'{"raw":1}')]

# What orjson is told to refuse: json writes it (or raises), checked or not.
REFUSED = [
    Name("x"), {Name("k"): 1}, Count(3), Amount(1e-05), Amount(0.5), OwnItems(a=2),
    Row([1, 2]), Pair((1, 2)), Point(1, 2), dt.date(2026, 1, 15),
    dt.datetime(2026, 1, 15, 12), dt.time(12), Thing(), {1, 2}, b"bytes",
]  # fmt: skip


@pytest.mark.parametrize("value", APART, ids=lambda value: type(value).__name__)
def test_what_orjson_writes_apart_is_what_an_unchecked_part_must_not_hold(value: Any) -> None:
    assert isinstance(orjsons(value), bytes)  # orjson writes it...
    assert orjsons(value) != reference(value)  # ...otherwise than json
    data = {"made": ["rule"], "given": [value]}
    assert made(data, [data["given"]]) == reference(data)  # checked: json's


@pytest.mark.parametrize("value", REFUSED, ids=lambda value: type(value).__name__)
def test_what_orjson_is_told_to_refuse_is_jsons_in_an_unchecked_part(value: Any) -> None:
    assert orjsons(value) is orjson.JSONEncodeError
    for data in ({"made": [value]}, [value], value):
        assert made(data, []) == reference(data)


@pytest.mark.parametrize("value", [Level.HIGH, Code.UGENT], ids=repr)
def test_enums_of_ints_and_strs_are_written_as_json_writes_them(value: Any) -> None:
    # orjson writes an enum's value natively, before it looks for a subclass: alike
    # for an int's or a str's, so an unchecked part may hold them.
    assert orjsons([value]) == reference([value])


def test_a_value_holding_itself_in_an_unchecked_part_is_jsons() -> None:
    loop: list[Any] = ["rule"]
    loop.append(loop)
    assert made({"made": loop}, []) is ValueError  # json: "Circular reference detected"
    deep: Any = "x"
    for _ in range(300):  # deeper than orjson goes
        deep = [deep]
    assert made(deep, []) == reference(deep)


def test_a_checked_part_holding_what_json_writes_apart_sends_the_whole_to_json() -> None:
    data = {"made": ["rule", 1], "facts": {"amount": 1e-05, "budget": 1e16}}
    assert (
        made(data, [data["facts"]])
        == b'{"made":["rule",1],"facts":{"amount":1e-05,"budget":1e+16}}'
    )


def test_without_orjson_dumps_made_writes_jsons_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonline, "_orjson", None)
    data = {"made": [Name("x"), 2**70], "given": [1e-05, math.nan]}
    assert made(data, [data["given"]]) == reference(data)


# Parts a caller may leave unchecked: anything but a float, an enum that is not an int
# or a str, a UUID or a Fragment, here with the subclasses, dates and dataclasses that
# orjson refuses.
unfloating = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | texts
    | st.sampled_from(REFUSED + [Level.HIGH, Code.UGENT]),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(texts | texts.map(Name), inner, max_size=5)
    ),
    max_leaves=30,
)


@given(values)
def test_dumps_made_keeps_the_promise_for_any_value_checked(data: Any) -> None:
    assert made(data, [data]) == reference(data)
    assert made([data], [[data]]) == reference([data])


@given(unfloating, values)
def test_dumps_made_keeps_the_promise_for_an_unchecked_part_free_of_floats(
    unchecked: Any, checked: Any
) -> None:
    data = {"made": unchecked, "given": checked}
    assert made(data, [checked]) == reference(data)
