"""A batch line read by orjson (the extra `fast`) gives what json gives (issue 16: the
read stage of a batch line): the same case, every value of the same type, or the same
`Unreadable` with json's words, for any bytes at all.

Each test reads a line twice, with orjson and with it taken away (json alone, as
before), and compares what the two give, types and key order kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval.cases import Unreadable
from kspolicy.limits import DEFAULT
from kspolicy.tools import caseline
from kspolicy.tools.caseline import read_line
from kspolicy.tools.cli import main

from .generated import generated_cases

pytestmark = pytest.mark.skipif(
    caseline._orjson is None, reason="the extra `fast` is not installed"
)

AS_OF = "2026-01-15"


def shown(read: Any) -> str:
    """What a read gives, as a text that tells apart what == does not: 1 from 1.0 and
    True, 0.0 from -0.0, and the order of a table's keys."""
    if isinstance(read, Unreadable):
        return f"Unreadable({read.message!r}, {read.code.number})"
    return repr(read)


def without_orjson(line: bytes, limits: kspolicy.Limits = DEFAULT) -> str:
    orjson, caseline._orjson = caseline._orjson, None
    try:
        return shown(read_line(line, limits))
    finally:
        caseline._orjson = orjson


def assert_read_alike(line: bytes, limits: kspolicy.Limits = DEFAULT) -> None:
    assert shown(read_line(line, limits)) == without_orjson(line, limits)


# JSON values of every kind, the awkward ones often: whole numbers around and far beyond
# 64 bits, floats of every size (NaN and infinities too, which json writes as NaN and
# Infinity), texts with any character, lone surrogates included.
NUMBERS = (
    st.integers()
    | st.integers(-(2**64) - 2, 2**64 + 2)
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**19])
    | st.floats()
    | st.floats(min_value=-1e-300, max_value=1e-300)
)
TEXTS = st.text(st.characters(codec=None, categories=None), max_size=8) | st.sampled_from(
    ["\ud800", "\udc00x", "\ud83d\ude00", "\x00", "\u2028", "\ufeff", "[[{", "0" * 19, "é"]
)
VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXTS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXTS, inner, max_size=4),
    max_leaves=16,
)


@st.composite
def json_lines(draw: st.DrawFn) -> bytes:
    """A JSON text as a line of a batch: mostly an object, written with any spacing,
    escaped or not, then maybe changed in one place (so that it may not be JSON at all)."""
    value = draw(st.dictionaries(TEXTS, VALUES, max_size=5) | VALUES)
    text = json.dumps(
        value,
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,\t", "\r: ")])),
    )
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 2))
        put = draw(st.text(st.sampled_from('{}[]",:0123456789.eE+-\\u tfnl\t\r\x0c\x00é\ufeff')))
        text = text[:at] + put + text[at + cut :]
    padding = draw(st.sampled_from(["", " ", "\t", "\r", "\x0c", "\ufeff"]))
    # surrogatepass: a lone surrogate written raw becomes the bytes UTF-8 forbids
    return (padding + text + padding[::-1]).encode("utf-8", "surrogatepass")


@given(line=json_lines())
def test_orjson_reading_gives_what_json_gives(line: bytes) -> None:
    assert_read_alike(line)


@given(pairs=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "\u00e9"]), VALUES), max_size=6))
def test_a_key_given_twice_reads_alike(pairs: list[tuple[str, Any]]) -> None:
    """json and orjson both keep the last value of a key given twice, where the key
    first stood."""
    text = "{" + ", ".join(f"{json.dumps(key)}: {json.dumps(value)}" for key, value in pairs)
    assert_read_alike((text + "}").encode("utf-8", "surrogatepass"))


@given(line=st.binary(max_size=40))
def test_any_bytes_read_alike(line: bytes) -> None:
    assert_read_alike(line)


HOSTILE = [
    # whole numbers at and past 64 bits: orjson reads those past as floats
    b'{"a": 9223372036854775807}',
    b'{"a": 9223372036854775808}',
    b'{"a": 18446744073709551615}',
    b'{"a": 18446744073709551616}',
    b'{"a": -9223372036854775808}',
    b'{"a": -9223372036854775809}',
    b'{"a": 99999999999999999999999}',
    b'{"a": [1, -100000000000000000000]}',
    b'{"a": 1' + b"0" * 5000 + b"}",  # past Python's 4,300 digits
    b'{"a": "1234567890123456789"}',  # 19 digits in a text: json reads it, the same
    # floats
    b'{"a": 1e400}',
    b'{"a": -1e400}',
    b'{"a": 1.7976931348623159e308}',
    b'{"a": 2.4703282292062328e-324}',
    b'{"a": 1e-400}',
    b'{"a": -0}',
    b'{"a": -0.0}',
    b'{"a": 1E2}',
    b'{"a": 0.1000000000000000055511151231257827}',
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": -Infinity}',
    # texts
    b'{"a": "\\ud800"}',
    b'{"a": "\\udc00\\ud800"}',
    b'{"\\ud800": 1}',
    b'{"a": "\\ud83d\\ude00"}',
    b'{"a": "\xed\xa0\x80"}',  # a surrogate in UTF-8's bytes
    b'{"a": "\xc3"}',  # cut short
    b'\xff{"a": 1}',
    b'{"a": "\\u0000\x7f\xf4\x8f\xbf\xbf\xef\xbf\xbe"}',
    b'{"a": "\x1f"}',
    b'{"a": "\\x"}',
    # keys given twice
    b'{"a": 1, "b": 2, "a": 3}',
    b'{"a": {"x": 1}, "a": [1]}',
    # around the text
    b'\xef\xbb\xbf{"a": 1}',
    b' \t{"a": 1}\r ',
    b'\x0c{"a": 1}',
    b'{"a": 1}\x0c',
    b'{"a": 1}\x00',
    b'{"a": 1} {"a": 2}',
    b'{"a": 1,}',
    b'{"a": [1,]}',
    b"{'a': 1}",
    b'{"a": 01}',
    b'{"a": 1.}',
    b'{"a": .5}',
    b'{"a": +1}',
    b'{"a": 0x10}',
    b'{"a": tru}',
    b'{"a": 1} // note',
    b"",
    b"   ",
    # not a case
    b"[1, 2]",
    b'"a"',
    b"1",
    b"null",
    # nesting: at and past max_depth (64), orjson's 1,024 and json's stack
    b'{"a": ' + b"[" * 63 + b"]" * 63 + b"}",
    b'{"a": ' + b"[" * 64 + b"]" * 64 + b"}",
    b'{"a": "' + b"[" * 300 + b'", "b": []}',
    b'{"a": ' + b"[" * 1023 + b"]" * 1023 + b"}",
    b'{"a": ' + b"[" * 1025 + b"]" * 1025 + b"}",
    b"[" * 100_000,
]


@pytest.mark.parametrize("line", HOSTILE, ids=lambda line: repr(line[:40]))
def test_hostile_lines_read_alike(line: bytes) -> None:
    assert_read_alike(line)


@pytest.mark.parametrize("depth", [1, 2, 3, 300, 2000])
def test_hostile_lines_read_alike_under_other_depth_limits(depth: int) -> None:
    limits = kspolicy.Limits(max_depth=depth)
    for line in HOSTILE:
        assert_read_alike(line, limits)


def test_a_whole_number_beyond_64_bits_is_read_as_the_int_it_is() -> None:
    """orjson would read it as a float, and a case's message would show 1.8e+19 where
    the line wrote 18446744073709551616."""
    for number in (2**64, -(2**63) - 1, 10**30):
        read = read_line(f'{{"project": {{"trl": {number}}}}}'.encode())
        assert read == {"project": {"trl": number}}
        assert type(read["project"]["trl"]) is int


class Spy:
    """orjson, counting the lines it reads."""

    def __init__(self, orjson: Any) -> None:
        self.orjson = orjson
        self.JSONDecodeError = orjson.JSONDecodeError
        self.read = 0

    def loads(self, line: bytes) -> Any:
        self.read += 1
        return self.orjson.loads(line)


def lines(pack: kspolicy.Policy, count: int) -> Iterator[bytes]:
    for case in generated_cases(pack.schema, count, seed=16):
        yield json.dumps(case).encode()


def test_the_batch_lines_of_the_benchmark_are_read_by_orjson(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The comparisons above prove something only if orjson reads the lines a batch
    has: each of the benchmark's lines is read by orjson once, and not again by json."""
    pack = kspolicy.load()
    spy = Spy(caseline._orjson)
    monkeypatch.setattr(caseline, "_orjson", spy)
    monkeypatch.setattr(caseline, "_JSON", None)  # json's decoder: not called
    batch = list(lines(pack, 200))
    for line in batch:
        assert isinstance(read_line(line), dict)
    assert spy.read == len(batch)


def test_a_batch_reads_the_same_cases_without_orjson(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`eval --batch` writes the same bytes, the decisions of the benchmark's cases and
    the errors of the hostile lines, whether orjson reads the lines or json does."""
    pack = kspolicy.load()
    source = tmp_path / "cases.jsonl"
    source.write_bytes(
        b"\n".join([*lines(pack, 100), *[line for line in HOSTILE if b"\n" not in line]])
    )

    def batch() -> bytes:
        out = tmp_path / "out.jsonl"
        args = ["eval", "--batch", str(source), "--out", str(out), "--as-of", AS_OF]
        assert main([*args, "--workers", "1"]) in (0, 1)
        return out.read_bytes()

    fast = batch()
    monkeypatch.setattr(caseline, "_orjson", None)
    slow = batch()
    assert fast == slow
    assert b'"codes":["KSP401"]' in slow and b'"decision":' in slow
