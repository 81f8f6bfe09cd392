"""Issue 12 (cold load): the checker finds how to check a node of a condition by a lookup
on the node's class (`expressions._RESOLVE`) rather than a chain of `isinstance`; every
kind of expression node must be in that table, or checking it would fail with a KeyError
instead of a diagnostic."""

from __future__ import annotations

import typing

from kspolicy.lang import expressions
from kspolicy.lang import nodes as n


def test_every_expression_node_has_its_check() -> None:
    assert set(expressions._RESOLVE) == set(typing.get_args(n.Expr))


def test_the_table_holds_one_check_per_node_kind_but_and_and_or() -> None:
    # And and Or share their check (both are a list of conditions); the rest differ.
    checks = list(expressions._RESOLVE.values())
    assert expressions._RESOLVE[n.And] is expressions._RESOLVE[n.Or]
    assert len(set(checks)) == len(checks) - 1
