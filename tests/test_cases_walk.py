"""The quick walk written as Python once per schema (issue 16: the read stage of a batch
line) reads exactly what the walk over the records' tables read: the same facts, of the
same types, in the same order, and leaves to the full checker exactly the cases it left.

`TableWalk` below is that earlier walk, kept as the reference; tests/test_cases_quick.py
checks both against the full checker.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval import cases
from kspolicy.eval.cases import CaseReader

from .generated import generated_cases
from .strategies import full_cases
from .test_cases_quick import LIMITS, ODD, POLICY, mutated, places


class TableWalk:
    """The quick walk as it was: a loop over each record's table, a branch per kind."""

    def __init__(self, reader: CaseReader) -> None:
        self.longest = reader.limits.max_text
        self.most = reader.limits.max_items
        self.root = reader._root_plan

    def read(self, data: Any) -> dict[str, Any] | None:
        if type(data) is not dict:
            return None
        try:
            return self.record(self.root, data)
        except cases._Unsure:
            return None

    def record(self, plan: Any, data: Any) -> dict[str, Any]:
        if type(data) is not dict:
            raise cases._Unsure
        out: dict[str, Any] = {}
        given = 0
        for key, kind, arg, missing in plan.fields:
            value = data.get(key, cases._REQUIRED)
            if value is cases._REQUIRED:
                if missing is None:
                    continue
                if missing is cases._REQUIRED:
                    raise cases._Unsure
                out[key] = cases._copy(missing) if type(missing) in (dict, list) else missing
                continue
            given += 1
            if value is None:
                continue
            if kind == cases._RECORD:
                value = self.record(arg, value)
            elif kind == cases._LIST:
                value = self.list(arg, value)
            else:
                value = self.scalar(kind, arg, value)
            out[key] = value
        if given != len(data):
            raise cases._Unsure
        return out

    def list(self, element: tuple[int, Any], value: Any) -> list[Any]:
        if type(value) is not list or len(value) > self.most:
            raise cases._Unsure
        kind, arg = element
        if kind == cases._RECORD:
            return [None if item is None else self.record(arg, item) for item in value]
        return [None if item is None else self.scalar(kind, arg, item) for item in value]

    def scalar(self, kind: int, arg: Any, value: Any) -> Any:
        t = type(value)
        if t is str:
            if len(value) > self.longest or not (value.isascii() or cases._encodes(value)):
                raise cases._Unsure
            if kind == cases._TEXT or (kind == cases._ENUM and value in arg):
                return value
            if kind == cases._DATE:
                try:
                    return dt.date.fromisoformat(value)
                except ValueError:
                    raise cases._Unsure from None
        elif kind == cases._BOOL:
            if t is bool:
                return value
        elif kind == cases._INT:
            if t is int and (arg is None or arg[0] <= value <= arg[1]):
                return value
        elif kind == cases._NUMBER:
            if t is int or (t is float and math.isfinite(value)):
                return value
        elif kind == cases._DATE and t is dt.date:
            return value
        raise cases._Unsure


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> kspolicy.Policy:
    folder = tmp_path_factory.mktemp("walk")
    (folder / "policy.pol").write_text(POLICY, encoding="utf-8")
    return kspolicy.load(folder, limits=LIMITS)


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def assert_walks_agree(reader: CaseReader, case: Any) -> None:
    """The same facts (repr: types and key order kept), or None from both."""
    before = TableWalk(reader).read(case)
    assert repr(reader.read_quickly(case)) == repr(before)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_the_written_walk_reads_what_the_table_walk_read(
    quick: kspolicy.Policy, data: st.DataObject
) -> None:
    """Every type a schema has (required fields, defaults, ranges, dates, lists of
    records, of values and of dates), with a few places changed to odd values."""
    case = data.draw(full_cases(quick.schema).flatmap(mutated))
    assert_walks_agree(quick._reader, case)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_the_written_walk_reads_changed_pack_cases_as_the_table_walk_did(
    pack: kspolicy.Policy, data: st.DataObject
) -> None:
    seed = data.draw(st.integers(0, 10_000))
    case = data.draw(mutated(next(generated_cases(pack.schema, 1, seed=seed))))
    assert_walks_agree(pack._reader, case)


@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_every_odd_value_in_every_place_walks_as_before(quick: kspolicy.Policy, odd: Any) -> None:
    case: dict[str, Any] = {
        "project": {"title": "t", "start": "2020-02-02", "budget": 2},
        "lead": {"name": "n", "kind": "company", "visits": ["2021-01-01"], "address": {}},
        "partners": [{"name": "p", "topics": ["ai"], "trl": 9, "visits": [None]}],
        "scores": [1, None],
        "flags": [False],
        "note": "x",
    }
    assert quick._reader.read_quickly(case) is not None  # the walk takes the case whole
    for spot in list(places(case)):
        changed = json.loads(json.dumps(case))
        parent: Any = changed
        for step in spot[:-1]:
            parent = parent[step]
        parent[spot[-1]] = odd
        assert_walks_agree(quick._reader, changed)


def test_the_batch_benchmarks_lines_walk_as_before(pack: kspolicy.Policy) -> None:
    """The issue's generated cases, and the pack's example cases (TOML, with dates)."""
    for case in generated_cases(pack.schema, 300, seed=16):
        assert pack._reader.read_quickly(case) is not None
        assert_walks_agree(pack._reader, case)
    folder = Path(__file__).parents[1] / "examples" / "cases"
    for path in sorted(folder.glob("*.toml")):
        case = cases.parse_case(path.read_bytes(), ".toml", str(path))
        case.pop("as_of", None)
        assert_walks_agree(pack._reader, case)


WORDY = """policy wordy version "1"

decision {
  verdict: scale clear < review
}

enum Kind { university, company }

record Inner {
  data: text
  out: int 0..3
}

record Odd {
  class: text required
  def: Kind
  v: list of Inner
  x: list of int
  _Unsure: bool = true
}

schema {
  data: Odd
  out: list of Odd as odd
  v: date
}

rule r cite "x" when v == 2020-01-01 then verdict >= review because "b"
"""


def test_field_names_that_are_python_words_or_the_walks_own_names_read_quickly(
    tmp_path: Path,
) -> None:
    """The walk writes each key as a literal, never as a Python name: a field called
    `class`, `def`, or a name the written code uses itself (`data`, `out`, `v`, `x`,
    `_Unsure`) reads as any other."""
    (tmp_path / "policy.pol").write_text(WORDY, encoding="utf-8")
    reader = kspolicy.load(tmp_path)._reader
    case: dict[str, Any] = {
        "data": {"class": "c", "def": "company", "v": [{"data": "d", "out": 2}, None]},
        "out": [{"class": "k", "x": [None]}, {"class": "k", "x": []}],
        "v": "2020-01-01",
    }
    facts = reader.read_quickly(case)
    assert facts == {
        "data": {
            "class": "c",
            "def": "company",
            "v": [{"data": "d", "out": 2}, None],
            "_Unsure": True,
        },
        "out": [
            {"class": "k", "x": [None], "_Unsure": True},
            {"class": "k", "x": [], "_Unsure": True},
        ],
        "v": dt.date(2020, 1, 1),
    }
    assert repr(facts) == repr(reader.read_fully(case))
    for changed in (
        {"data": {"def": "company"}},  # `class` is required
        {"out": [{"class": "k", "x": [1.0]}]},  # a float for an int: the full checker's
        {"data": {"class": "c", "v": [{"out": 4}]}},  # out of 0..3
    ):
        assert reader.read_quickly(changed) is None
        assert_walks_agree(reader, changed)
