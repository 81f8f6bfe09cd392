"""The parser builds what Lark's own positions would give, to the character.

An item is parsed by Lark with every token kept and built into nodes as Lark reduces
(builder.py's `Reductions`), spans worked out from the tokens and the tree's height
counted for the depth limit. The reference here is the way it was first done: Lark's
tree with its own position propagation, keywords filtered out and `?`-rules inlined by
Lark, then walked with the same builder. Every node, span, diagnostic and tree height
must come out the same, and what Lark refuses must be a syntax error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import attrs
import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from kspolicy.lang import parser
from kspolicy.lang.builder import Builder, current
from kspolicy.lang.layout import layout
from kspolicy.span import Source, Span

from .conftest import ROOT
from .helpers import benchmark_modules

REFERENCE = lark.Lark(
    parser.grammar_text(),
    parser="lalr",
    lexer="contextual",
    propagate_positions=True,
    maybe_placeholders=True,
)
SYNTAX_ERRORS = {"KSP101", "KSP102", "KSP103", "KSP104"}


def _reference_walk(builder: Any, tree: lark.Tree[Any]) -> Any:
    """The reference tree built into nodes, recursively, each span from Lark's positions."""
    children = [
        _reference_walk(builder, child) if isinstance(child, lark.Tree) else child
        for child in tree.children
    ]
    build = getattr(builder, tree.data, None)
    if build is None:
        return lark.Tree(tree.data, children)
    meta, offset = tree.meta, builder.offset
    if meta.empty:
        span = Span(builder.source, offset, offset)
    else:
        span = Span(builder.source, offset + meta.start_pos, offset + meta.end_pos)
    return build(span, *children)


def _height(tree: lark.Tree[Any]) -> int:
    """How high a tree is (Lark inlines brackets and titles, so they add no level)."""
    return 1 + max((_height(c) for c in tree.children if isinstance(c, lark.Tree)), default=0)


def assert_same_spans(text: str, name: str = "p.pol") -> int:
    """Parse every item of `text` and check it against the reference; the number of
    items compared (the others Lark refuses)."""
    source = Source(name, text)
    module, diagnostics = parser.parse_module(source, max_depth=10_000)
    syntax_errors = [d.span.start for d in diagnostics if d.code.number in SYNTAX_ERRORS]
    compared = built_items = 0
    for start, end in layout(text, parser._lark())[0]:
        chunk = text[start:end]
        try:
            reference_tree = REFERENCE.parse(chunk)
        except lark.exceptions.UnexpectedInput:
            assert any(start <= at <= end for at in syntax_errors), chunk
            continue
        theirs = Builder(source, start, "p", 0)
        expected = _reference_walk(theirs, reference_tree).children
        ours = Builder(source, start, "p", 0)
        built, height = _parse_item(chunk, ours)
        assert height == _height(reference_tree), chunk
        assert [attrs.asdict(i) for i in built] == [attrs.asdict(i) for i in expected], chunk
        assert [attrs.asdict(d) for d in ours.diagnostics] == [
            attrs.asdict(d) for d in theirs.diagnostics
        ]
        built_items += len(built)
        compared += 1
    assert len(module.items) == built_items  # parse_module kept every item that parsed
    return compared


def _parse_item(chunk: str, builder: Any) -> tuple[list[Any], int]:
    current.builder = builder
    try:
        # The builder reduces while Lark parses, so `parse` returns its tuple, not a Tree.
        parsed = cast(tuple[list[Any], Any, Any, int], parser._lark().parse(chunk))
        items, _, _, height = parsed
    finally:
        current.builder = None
    return items, height


def project_policy_files() -> list[Path]:
    return sorted(
        p for folder in ("policies", "examples", "tests") for p in (ROOT / folder).rglob("*.pol")
    )


@pytest.mark.parametrize("path", project_policy_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_project_file_gets_lark_s_own_spans(path: Path) -> None:
    assert_same_spans(path.read_text(encoding="utf-8", errors="replace"), path.name)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    text=from_lark(REFERENCE, start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])})
)
def test_any_policy_gets_lark_s_own_spans(text: str) -> None:
    assert_same_spans(text)


@pytest.mark.parametrize(
    "text",
    [
        "rule r when ((not (x))) and (((y or z))) then a >= b",
        "rule r when {1, 2} == {} and x in (({a})) then a += b, c",
        'record R title en "a" nl "b" { x: int 1..3 = 2 required as r question "q {x}" }',
        'define d title "t" = (x in {a, b})\n',
        'decision { a: scale x < y title "t"  b: set of E  c: entry of L for p.q }',
        "rule r valid until 2025-01-01 when x is known then a >= b  # trailing\n",
        'if (x) then a >= b cite "s" because "r"',
    ],
)
def test_tricky_constructs_get_lark_s_own_spans(text: str) -> None:
    assert assert_same_spans(text) == 1


def test_the_benchmark_workload_gets_lark_s_own_spans() -> None:
    workload, as_kspolicy = benchmark_modules()
    assert assert_same_spans(as_kspolicy.policy_source(workload.make_policy(300))) > 300


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    text=from_lark(REFERENCE, start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])}),
    edits=st.lists(
        st.tuples(
            st.integers(min_value=0),
            st.sampled_from(['"', "(", ")", ",", ".", "=", "x", " ", "", "1", "-", "\\"]),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_any_edited_policy_is_refused_or_gets_lark_s_own_spans(
    text: str, edits: list[tuple[int, str]]
) -> None:
    # A character replaced, inserted or removed here and there.
    for place, replacement in edits:
        at = place % (len(text) + 1)
        text = text[:at] + replacement + text[at + 1 :]
    assert_same_spans(text)
