"""A fact read from the case itself (an outcome's key, read for every case a batch
decides; issue 16) gives what the general read gave: the same value, the same path and
value for the decision, the same unknown, the same trace step when traced.

`general_read` below is `visit_Fact`'s read as it was for every fact, the reference.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Mapping
from typing import Any

import pytest

import kspolicy
from kspolicy.eval.compiler import Compiler, _step
from kspolicy.eval.facts import UNKNOWN_COLLECTION, Facts
from kspolicy.eval.runtime import Env, Ev, jsonable
from kspolicy.lang import checked as c
from kspolicy.lang import nodes as n
from kspolicy.lang.schema import TextType
from kspolicy.paths import child


def general_read(expr: c.Fact, env: Env) -> Ev:
    value: Any = env.facts.root
    path = ""
    if value is UNKNOWN_COLLECTION:
        return Ev(None, (), (path,), (), _step(env, expr, None))
    for field in expr.fields:
        path = child(path, field)
        value = Facts.field(value, field)
    if value is None:
        return Ev(None, (), (path,), (), _step(env, expr, None))
    return Ev(value, ((path, jsonable(value)),), (), (), _step(env, expr, value))


def parts(ev: Ev) -> tuple[Any, ...]:
    """Everything an Ev holds, with the types of what it holds."""
    step = ev.step
    shown = None if step is None else (step.expr, step.value, step.children)
    return (repr(ev.value), repr(ev.facts), ev.unknowns, ev.hits, shown)


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def fact(pack: kspolicy.Policy, *fields: str) -> c.Fact:
    """A fact of the pack's case with the node (and span) of the outcome's key."""
    key = next(o.key for o in pack._program.policy.outcomes.values() if o.key is not None)
    assert isinstance(key, c.Fact) and isinstance(key.node, n.Expr)
    return c.Fact(None, fields, TextType(), key.node)


ROOTS: list[Any] = [
    {},
    {"institution": "VITO"},
    {"project": {"title": "t", "trl": 3, "dual_use": "none", "sensitive": True}},
    {"project": {"share": 0.5, "start": dt.date(2020, 1, 2), "topics": ["ai", None]}},
    {"project": None},
    {"project": "not a record"},
    {"partners": [{"name": "p", "since": dt.date(2021, 3, 4)}, None]},
    types.MappingProxyType({"institution": "VITO", "project": {"title": "t"}}),
    {"institution": {"nested": {"deep": None, "day": dt.date(2020, 1, 1)}}},
]
FIELDS = [
    ("institution",),
    ("project",),
    ("project", "title"),
    ("project", "trl"),
    ("project", "share"),
    ("project", "start"),
    ("project", "topics"),
    ("project", "sensitive"),
    ("partners",),
    ("institution", "nested"),
]


@pytest.mark.parametrize("tracing", [False, True])
@pytest.mark.parametrize("root", ROOTS, ids=repr)
def test_a_fact_read_from_the_case_gives_what_the_general_read_gave(
    pack: kspolicy.Policy, root: Mapping[str, Any], tracing: bool
) -> None:
    compiler = Compiler(pack._program.policy)
    for fields in FIELDS:
        expr = fact(pack, *fields)
        env = Env(Facts(root), dt.date(2026, 1, 15), tracing)
        assert parts(compiler.visit(expr)(env)) == parts(general_read(expr, env))


def test_a_fact_read_from_an_unknown_collection_is_unknown(pack: kspolicy.Policy) -> None:
    expr = fact(pack, "project", "title")
    env = Env(Facts(UNKNOWN_COLLECTION), dt.date(2026, 1, 15), False)  # type: ignore[arg-type]
    read = Compiler(pack._program.policy).visit(expr)(env)
    assert parts(read) == parts(general_read(expr, env))
    assert read.unknowns == ("",)
