"""Issue 12 (cold load of the 3,000-rule policy): the expression grammar has one rule
only where a level must be one (`or` in `expr`, the tests in `not_expr`), and a path of
one or two names is one alternative, so that Lark's LALR parser reduces fewer times per
operand. It must be the same language as the grammar with a rule per level and a
repeated path that it replaced: the same nodes, spans and syntax errors (Lark's
expected-token sets are what the messages say) for valid and broken texts alike.

The grammar before is made here, as the oracle, from the grammar itself: only its
expression block and its path are swapped back."""

from __future__ import annotations

import re
from typing import Any

import attrs
import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from kspolicy.lang import parser
from kspolicy.span import Source

from .conftest import ROOT
from .helpers import benchmark_modules

FLAT = """?expr: and_expr
     | and_expr ("or" and_expr)+                  -> or_expr
?and_expr: not_expr
         | not_expr ("and" not_expr)+             -> and_expr
?not_expr: "not" not_expr                         -> negation
         | "any" NAME "in" path ":" expr          -> any_quantifier
         | "all" NAME "in" path ":" expr          -> all_quantifier
         | path
         | literal
         | set_literal
         | "(" expr ")"
         | (path | literal | set_literal | "(" expr ")") comparison (path | literal | set_literal | "(" expr ")") -> compare
         | (path | literal | set_literal | "(" expr ")") "in" (path | literal | set_literal | "(" expr ")") -> in_test
         | (path | literal | set_literal | "(" expr ")") "not" "in" (path | literal | set_literal | "(" expr ")") -> not_in_test
         | (path | literal | set_literal | "(" expr ")") "matches" NAME -> matches_test
         | (path | literal | set_literal | "(" expr ")") "is" "known" -> known_test
         | (path | literal | set_literal | "(" expr ")") "is" "unknown" -> unknown_test
"""

ONE_RULE_PER_LEVEL = """?expr: or_expr
?or_expr: and_expr ("or" and_expr)*
?and_expr: not_expr ("and" not_expr)*
?not_expr: "not" not_expr                    -> negation
         | quantifier
         | test
quantifier: "any" NAME "in" path ":" expr    -> any_quantifier
          | "all" NAME "in" path ":" expr    -> all_quantifier

?test: operand
     | operand comparison operand             -> compare
     | operand "in" operand                   -> in_test
     | operand "not" "in" operand             -> not_in_test
     | operand "matches" NAME                 -> matches_test
     | operand "is" "known"                   -> known_test
     | operand "is" "unknown"                 -> unknown_test
?operand: path
        | literal
        | set_literal
        | "(" expr ")"
"""
"""The expression grammar before issue 12's cold-load work (session 7)."""

PATH = """path: NAME
    | NAME "." NAME
    | NAME "." NAME ("." NAME)+
"""
PATH_BEFORE = """path: NAME ("." NAME)*
"""
"""A path before that work: a reduction per further name, and a tree for Lark to splice."""


def _per_level() -> lark.Lark:
    grammar = parser.grammar_text()
    for now, before in ((FLAT, ONE_RULE_PER_LEVEL), (PATH, PATH_BEFORE)):
        assert now in grammar, "the grammar changed: update this test's copy"
        grammar = grammar.replace(now, before)
    return parser.make_parser(grammar)


PER_LEVEL = _per_level()


def _parsed(text: str, with_parser: lark.Lark | None = None) -> tuple[Any, ...]:
    """Every node with every span, and every diagnostic with its place and help."""
    original = parser._lark
    if with_parser is not None:
        parser._lark = lambda: with_parser  # type: ignore[assignment]
    try:
        module, diagnostics = parser.parse_module(Source("t.pol", text))
    finally:
        parser._lark = original
    found = [(d.code.number, d.message, d.span.start, d.span.end, d.help) for d in diagnostics]
    return attrs.asdict(module, recurse=True), found


def _same_as_per_level(text: str) -> None:
    assert _parsed(text) == _parsed(text, PER_LEVEL)


def _project_texts() -> list[str]:
    texts = []
    for folder in ("policies", "examples", "tests/fixtures"):
        for path in sorted((ROOT / folder).rglob("*.pol")):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts


PROJECT = _project_texts()
_WORDS = re.compile(r'"[^"\n]*"|[A-Za-z_]\w*|\d[\d.-]*|==|!=|<=|>=|\+=|\.\.|\S')
WORDS = sorted({w for text in PROJECT for w in _WORDS.findall(text)})


def test_the_flat_grammar_has_fewer_rules_than_one_per_level() -> None:
    # The change is real: the levels `or_expr` and `test` are gone from the grammar, and
    # so are `quantifier` and `operand` (written out where they stand).
    flat = {str(r.origin.name) for r in parser._lark().rules}
    per_level = {str(r.origin.name) for r in PER_LEVEL.rules}
    gone = {"or_expr", "test", "quantifier", "operand"}
    assert gone <= per_level - flat
    assert not gone & flat
    assert any(str(r.origin.name).startswith("__path_star") for r in PER_LEVEL.rules)


@pytest.mark.parametrize("index", range(len(PROJECT)))
def test_every_project_policy_parses_as_with_one_rule_per_level(index: int) -> None:
    _same_as_per_level(PROJECT[index])


def test_the_benchmark_policy_parses_as_with_one_rule_per_level() -> None:
    """The reproducer's policy (benchmarks/workload.py), at 100 rules."""
    workload, workload_kspolicy = benchmark_modules()
    _same_as_per_level(workload_kspolicy.policy_source(workload.make_policy(100)))


@st.composite
def broken_lines(draw: st.DrawFn) -> str:
    """A project policy with one line broken: words dropped, added or swapped."""
    text = draw(st.sampled_from(PROJECT))
    lines = text.split("\n")
    at = draw(st.integers(0, len(lines) - 1))
    words = _WORDS.findall(lines[at])
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.integers(0, len(words)))
        action = draw(st.sampled_from(["drop", "add", "swap"]))
        if action == "add" or not words:
            words.insert(where, draw(st.sampled_from(WORDS)))
        elif action == "drop":
            del words[min(where, len(words) - 1)]
        else:
            words[min(where, len(words) - 1)] = draw(st.sampled_from(WORDS))
    lines[at] = " ".join(words)
    return "\n".join(lines)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(text=broken_lines())
def test_broken_policies_get_the_errors_of_one_rule_per_level(text: str) -> None:
    _same_as_per_level(text)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(
    text=from_lark(PER_LEVEL, start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])})
)
def test_generated_policies_parse_as_with_one_rule_per_level(text: str) -> None:
    _same_as_per_level(text)


def test_the_oracle_sees_a_difference() -> None:
    # A grammar that does differ (`xor` where `or` was) is told apart.
    swapped = parser.make_parser(
        parser.grammar_text().replace(FLAT, ONE_RULE_PER_LEVEL.replace('"or"', '"xor"'))
    )
    text = "rule r when a or b then v >= y"
    assert _parsed(text) != _parsed(text, swapped)
