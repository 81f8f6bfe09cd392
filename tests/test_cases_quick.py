"""Reading a case quickly (issue 16): the quick walk of `CaseReader` vouches only for
what the full checker accepts, with the same facts, and a batch line's read refuses
what it refused (depth, JSON), so nothing accepted was refused or refused accepted."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy import CaseError
from kspolicy.eval.cases import CaseReader, Unreadable, depth_exceeds, parse_case
from kspolicy.tools.caseline import read_line

from .generated import generated_cases
from .strategies import full_cases

POLICY = """policy quick version "1"

decision {
  verdict: scale clear < review
}

enum Kind { university, company, military }
enum Topic { ai, ai.vision, bio }

record Address {
  city: text
  country: Kind = "company"
}

record Partner {
  name: text required
  kind: Kind
  ties: bool = false
  share: number
  founded: date
  staff: int
  trl: int 1..9 = 3
  topics: list of Topic = []
  visits: list of date
  address: Address
}

record Project {
  title: text
  start: date = 2020-01-01
  budget: number = 1.5
}

schema {
  project: Project
  lead: Partner
  partners: list of Partner as partner = []
  scores: list of int
  flags: list of bool
  note: text = "none"
}

rule r cite "x" when project.title == "a" then verdict >= review because "b"
"""

# Small limits, so that a text or a list just past them is cheap to make.
LIMITS = kspolicy.Limits(max_text=30, max_items=3)


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> kspolicy.Policy:
    folder = tmp_path_factory.mktemp("quick")
    (folder / "policy.pol").write_text(POLICY, encoding="utf-8")
    return kspolicy.load(folder, limits=LIMITS)


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


class Level(enum.IntEnum):
    HIGH = 3


class Code(str):
    """A text that is not exactly a str: the quick walk leaves it to the full checker."""


# Values a case may hold in place of any other: of every kind JSON and TOML give, each
# just inside or just outside a limit or a type, and Python values an API caller may pass.
ODD: list[Any] = [
    None, True, False, 0, 1, 3, 9, 10, -1, 2**70, 1.5, 0.0, math.nan, math.inf, "",
    "x", "university", "ai.vision", "AI", "Ghent", "é", "x" * 30, "x" * 31, "\ud800",
    "2021-03-04", "20210304", "2021-13-01", dt.date(2021, 3, 4),
    dt.datetime(2021, 3, 4, 5, 6), dt.time(5, 6), [], [None], ["ai", "bio"],
    ["ai", "ai", "ai", "ai"], [1, 2], [True], ["2021-03-04", None], (1, 2), {}, {"x": 1},
    {"name": "n"}, {"city": "Gent"}, {"name": None}, Level.HIGH, Code("company"),
]  # fmt: skip


def outcome(reader: CaseReader, case: Any, fully: bool) -> tuple[str, Any]:
    """What reading the case gives, compared with every type and key order kept: the
    facts' repr, or each problem's path, message and code, in order."""
    try:
        facts = reader.read_fully(case) if fully else reader.read(case)
    except CaseError as error:
        return "error", [(p.path, p.message, p.code.number) for p in error.problems]
    return "facts", repr(facts)


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a case: each key of a table, each element of a list."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*path, key)
            yield from places(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield (*path, index)
            yield from places(inner, (*path, index))


@st.composite
def mutated(draw: st.DrawFn, case: dict[str, Any]) -> dict[str, Any]:
    """The case with a few places changed: a value replaced by an odd one, a key left
    out, or a key added that the record may or may not have."""
    case = json.loads(json.dumps(case, default=str))  # a copy, dates as texts
    for _ in range(draw(st.integers(1, 3))):
        spots = [()] + list(places(case))
        spot = draw(st.sampled_from(spots))
        parent: Any = case
        for step in spot[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if not spot:
            action = "add"
        if action == "add":
            target = parent[spot[-1]] if spot else case
            if isinstance(target, dict):
                key: Any = draw(st.sampled_from(["name", "kind", "city", "title", "nmae", 7]))
                target[key] = copy.deepcopy(draw(st.sampled_from(ODD)))
            elif isinstance(target, list):
                target.append(copy.deepcopy(draw(st.sampled_from(ODD))))
        elif action == "drop" and isinstance(parent, dict):
            del parent[spot[-1]]
        else:
            parent[spot[-1]] = copy.deepcopy(draw(st.sampled_from(ODD)))
    return case


def assert_same(reader: CaseReader, case: Any) -> None:
    assert outcome(reader, case, fully=False) == outcome(reader, case, fully=True)
    quickly = reader.read_quickly(case)
    if quickly is not None:  # what the quick walk vouches for, the full checker accepts
        assert repr(quickly) == outcome(reader, case, fully=True)[1]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_the_quick_walk_agrees_with_the_full_checker(
    quick: kspolicy.Policy, data: st.DataObject
) -> None:
    """Facts, or every problem with its path, message and code in the same order, for
    cases of every type a schema has (required fields, defaults, ranges, dates, lists
    of records and of values), changed in a few places."""
    case = data.draw(full_cases(quick.schema).flatmap(mutated))
    assert_same(quick._reader, case)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_the_quick_walk_agrees_on_changed_pack_cases(
    pack: kspolicy.Policy, data: st.DataObject
) -> None:
    """The same on the pack's schema, from the batch benchmark's generated cases."""
    seed = data.draw(st.integers(0, 10_000))
    case = data.draw(mutated(next(generated_cases(pack.schema, 1, seed=seed))))
    assert_same(pack._reader, case)


@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_every_odd_value_in_every_place_reads_as_before(quick: kspolicy.Policy, odd: Any) -> None:
    """Each odd value put in each place of a full case, one at a time."""
    case: dict[str, Any] = {
        "project": {"title": "t", "start": "2020-02-02", "budget": 2},
        "lead": {"name": "n", "kind": "company", "visits": ["2021-01-01"], "address": {}},
        "partners": [{"name": "p", "topics": ["ai"], "trl": 9}],
        "scores": [1],
        "flags": [False],
    }
    for spot in list(places(case)):
        changed = json.loads(json.dumps(case))
        parent: Any = changed
        for step in spot[:-1]:
            parent = parent[step]
        parent[spot[-1]] = copy.deepcopy(odd)
        assert_same(quick._reader, changed)


def test_generated_cases_are_read_quickly_with_the_full_checkers_facts(
    pack: kspolicy.Policy,
) -> None:
    """The cases a batch reads in the issue's benchmark all take the quick walk (were
    they left to the full checker, the properties above would prove nothing)."""
    reader = pack._reader
    for case in generated_cases(pack.schema, 300):
        quickly = reader.read_quickly(case)
        assert quickly is not None
        assert repr(quickly) == repr(reader.read_fully(case))


def test_the_example_cases_read_as_before(pack: kspolicy.Policy) -> None:
    """The pack's example cases, TOML with its dates, read quickly to the same facts."""
    folder = Path(__file__).parents[1] / "examples" / "cases"
    paths = sorted(folder.glob("*.toml"))
    assert len(paths) == 13
    for path in paths:
        case = parse_case(path.read_bytes(), ".toml", str(path))
        case.pop("as_of", None)
        assert pack._reader.read_quickly(case) is not None, path.name
        assert_same(pack._reader, case)


def test_left_out_records_and_lists_give_fresh_facts_each_time(quick: kspolicy.Policy) -> None:
    """Defaults come from one table made per schema; a caller changing the facts of one
    case must not change the next case's."""
    first = quick._reader.read({})
    first["project"]["budget"] = 99
    first["partners"].append({"name": "x"})
    assert quick._reader.read({}) == quick._reader.read_fully({})
    assert quick._reader.read({})["project"] == {"start": dt.date(2020, 1, 1), "budget": 1.5}


# ---- a batch line: depth and JSON ----------------------------------------------------


def old_depth_exceeds(value: Any, limit: int) -> bool:
    """depth_exceeds as it was before the quick read: the reference for the new one."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "[[{", "}]"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=12,
)


@given(value=JSON_VALUES, limit=st.integers(0, 6))
def test_depth_exceeds_says_what_it_said(value: Any, limit: int) -> None:
    assert depth_exceeds(value, limit) == old_depth_exceeds(value, limit)


@given(value=JSON_VALUES, limit=st.integers(1, 6))
def test_a_line_nesting_too_deep_is_refused_as_before(value: Any, limit: int) -> None:
    """Counting brackets spares the walk only when the case cannot be too deep: a line
    is refused for its depth exactly when the walk of its case says so, brackets in
    texts or not."""
    line = json.dumps({"a": value}).encode()
    read = read_line(line, kspolicy.Limits(max_depth=limit))
    too_deep = isinstance(read, Unreadable) and read.code.number == "KSP407"
    assert too_deep == old_depth_exceeds({"a": value}, limit)


def test_a_line_deeper_than_the_limit_with_few_brackets_is_refused() -> None:
    read = read_line(b'{"a": {"b": {"c": []}}}', kspolicy.Limits(max_depth=3))
    assert read == Unreadable("the case nests more than 3 levels deep (max_depth)", read.code)
    assert read.code.number == "KSP407"
    assert read_line(b'{"a": {"b": {"c": 1}}, "t": "[[[["}', kspolicy.Limits(max_depth=3)) == {
        "a": {"b": {"c": 1}},
        "t": "[[[[",
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"a": NaN}', "not valid JSON: NaN is not a number a case may hold"),
        (b'{"a": -Infinity}', "not valid JSON: -Infinity is not a number a case may hold"),
        (
            b"\xef\xbb\xbf{}",
            "not valid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 "
            "(char 0)",
        ),
        (b'{"a": 1} x', "not valid JSON: Extra data: line 1 column 10 (char 9)"),
        (b"", "not valid JSON: Expecting value: line 1 column 1 (char 0)"),
    ],
)
def test_a_line_that_is_not_json_gets_the_message_it_got(line: bytes, message: str) -> None:
    """The line's decoder is made once; what it refuses, and the words, are json.loads's."""
    read = read_line(line)
    assert isinstance(read, Unreadable)
    assert read.message == message
    assert read.code.number == "KSP401"


def test_a_key_that_is_not_a_text_is_an_unknown_field(quick: kspolicy.Policy) -> None:
    """A Python caller's `{7: ...}` was compared with the field names as a text and
    sorted with them: a TypeError's traceback instead of the case's problems."""
    case: dict[Any, Any] = {7: 1, "project": {"title": "t", 2.5: 1, "titel": 2}}
    with pytest.raises(CaseError) as info:
        quick.read_case(case)
    assert [(p.path, p.message, p.code.number) for p in info.value.problems] == [
        ("project.2.5", "unknown field; known fields here: title, start, budget", "KSP403"),
        ("project.titel", "unknown field; did you mean 'title'?", "KSP403"),
        ("7", "unknown field; known fields here: " + ", ".join(quick.schema.root.fields), "KSP403"),
    ]
