"""Issue 12, the cold load of the 3,000-rule benchmark policy (at most 2 s): what the
parser does so that Lark's parse loop runs as little Python per token as it can, each
checked for what it promises (timings are in the commit messages, not asserted here)."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from kspolicy.lang import nodes as n
from kspolicy.lang import parser
from kspolicy.lang.builder import Builder, current
from kspolicy.span import Source

from .helpers import benchmark_modules
from .test_grammar_levels import PROJECT, broken_lines


def test_lark_looks_up_rule_names_as_plain_strings() -> None:
    # Lark looks each reduced rule's name up among plain-string keys: a Token name would
    # run Token.__eq__ (Python) once per reduction. (That the parse is unchanged, the
    # parser's other tests say.)
    rules = parser._lark().rules
    assert rules
    assert all(type(rule.origin.name) is str for rule in rules)


# ---- a run of items in one parse -------------------------------------------------------------


def _parsed(text: str) -> tuple[Any, ...]:
    """Every node with every span, and every diagnostic with its place and help."""
    module, diagnostics = parser.parse_module(Source("t.pol", text))
    found = [(d.code.number, d.message, d.span.start, d.span.end, d.help) for d in diagnostics]
    return attrs.asdict(module, recurse=True), found


def _same_read_one_by_one(text: str) -> tuple[Any, ...]:
    at_once = _parsed(text)
    original = parser.ITEMS_PER_PARSE
    parser.ITEMS_PER_PARSE = 1  # every run one item: each item parsed on its own
    try:
        one_by_one = _parsed(text)
    finally:
        parser.ITEMS_PER_PARSE = original
    assert at_once == one_by_one
    return at_once


def test_items_are_parsed_a_run_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: 3,008 items cost 3,008 calls of Lark's parser, each with its set-up;
    now one call reads up to ITEMS_PER_PARSE of them."""
    workload, workload_kspolicy = benchmark_modules()
    text = workload_kspolicy.policy_source(workload.make_policy(150))
    lark_parser = parser._lark()
    calls: list[object] = []
    parse = lark_parser.parse

    def counted(text: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(text)
        return parse(text, *args, **kwargs)

    monkeypatch.setattr(lark_parser, "parse", counted)
    module, diagnostics = parser.parse_module(Source("policy.pol", text))
    assert diagnostics == []
    assert len(module.items) == 150 + 8  # the rules, and the header, records, schema...
    assert len(calls) == -(-len(module.items) // parser.ITEMS_PER_PARSE)


def test_the_benchmark_policy_parses_at_once_as_one_by_one() -> None:
    workload, workload_kspolicy = benchmark_modules()
    _same_read_one_by_one(workload_kspolicy.policy_source(workload.make_policy(200)))


@pytest.mark.parametrize("index", range(len(PROJECT)))
def test_every_project_policy_parses_at_once_as_one_by_one(index: int) -> None:
    _same_read_one_by_one(PROJECT[index])


def test_an_item_read_across_an_item_start_is_read_one_by_one() -> None:
    # Parsed at once, `rule` is a name after `and` and the whole text one rule; the
    # layout starts an item at the second line, so each item is read on its own and
    # both are syntax errors, as before.
    text = "rule r when a and\nrule == 1 then v >= y\nrule s when b then v >= y\n"
    builder = Builder(Source("t.pol", text), 0, "t", 0)
    current.builder = builder
    try:
        whole: Any = parser._lark().parse(text)  # one parse of it all: two rules
    finally:
        current.builder = None
    assert [item.name.text for item in whole[0]] == ["r", "s"]
    module, diagnostics = _same_read_one_by_one(text)
    assert [d[0] for d in diagnostics] == ["KSP104", "KSP101"]
    assert [item["name"]["text"] for item in module["items"]] == ["s"]


def test_a_syntax_error_leaves_the_other_items_of_its_run_parsed() -> None:
    rules = [f"rule r{i} when a.b{i} == {i} then v >= y\n" for i in range(100)]
    rules[70] = "rule r70 when a.b == then v >= y\n"
    module, diagnostics = _same_read_one_by_one("".join(rules))
    assert len(module["items"]) == 99
    assert [d[0] for d in diagnostics] == ["KSP101"]


def test_too_deep_an_item_in_a_run_is_reported_alone() -> None:
    deep = "rule d when " + "not " * 300 + "a then v >= y\n"
    text = "rule a when x then v >= y\n" + deep + "rule b when y then v >= y\n"
    module, codes = parse_with(text, max_depth=100)
    assert codes == ["KSP130"]
    assert [item.name.text for item in module.items if isinstance(item, n.Rule)] == ["a", "b"]


def parse_with(text: str, max_depth: int) -> tuple[n.Module, list[str]]:
    module, diagnostics = parser.parse_module(Source("t.pol", text), max_depth=max_depth)
    return module, [d.code.number for d in diagnostics]


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=broken_lines())
def test_broken_policies_parse_at_once_as_one_by_one(text: str) -> None:
    _same_read_one_by_one(text)
