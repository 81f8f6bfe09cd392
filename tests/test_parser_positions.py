"""The fast reader builds what Lark's own lexer, parser and positions would, to the character.

For speed, an item is read by lalr.py: lexer.py's tokens, Lark's parse table, nodes
built as rules are reduced, spans worked out from the tokens. When it refuses an
item, Lark parses it (keeping every token) and parser.py walks the tree. The
reference here is the way it was first done: Lark's lexer and position propagation,
keywords filtered out by Lark and `?`-rules inlined. All three drive the same
builder; every node, span, diagnostic and tree height must come out the same, and
what Lark refuses, the reader must refuse.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import attrs
import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from kspolicy import parser
from kspolicy.lalr import Refused
from kspolicy.span import Source

from .conftest import ROOT

REFERENCE = lark.Lark(
    parser.grammar_text(),
    parser="lalr",
    lexer="contextual",
    propagate_positions=True,
    maybe_placeholders=True,
)
BENCH = ROOT.parent / "shared" / "bench"


def _reference_walk(builder: Any, tree: lark.Tree[Any]) -> Any:
    children = [
        _reference_walk(builder, child) if isinstance(child, lark.Tree) else child
        for child in tree.children
    ]
    build = getattr(builder, tree.data, None)
    return lark.Tree(tree.data, children) if build is None else build(tree.meta, *children)


def assert_same_spans(text: str, name: str = "p.pol") -> int:
    """Build every item three ways; the number of items compared."""
    source = Source(name, text)
    reader = parser._reader()
    assert reader is not None  # the fast reader can drive Lark's table for this grammar
    compared = 0
    for start, end in parser._layout(text)[0]:
        chunk = text[start:end]
        try:
            reference_tree = REFERENCE.parse(chunk)
        except lark.exceptions.UnexpectedInput:
            with pytest.raises(Refused):  # what Lark refuses, the reader refuses
                reader.read(chunk, parser._Builder(source, start, "p", 0))
            continue
        theirs = parser._Builder(source, start, "p", 0)
        expected = _reference_walk(theirs, reference_tree).children
        fast = parser._Builder(source, start, "p", 0)
        read, height = reader.read(chunk, fast)  # what Lark parses, the reader reads
        walker = parser._Builder(source, start, "p", 0)
        tree = parser._lark().parse(chunk)
        walked = walker.transform(tree).children
        assert height == parser._tree_depth(tree)
        for built, builder in ((read, fast), (walked, walker)):
            assert [attrs.asdict(i) for i in built] == [attrs.asdict(i) for i in expected], chunk
            assert [attrs.asdict(d) for d in builder.diagnostics] == [
                attrs.asdict(d) for d in theirs.diagnostics
            ]
        compared += 1
    return compared


def project_policy_files() -> list[Path]:
    return sorted(
        p for folder in ("policies", "examples", "tests") for p in (ROOT / folder).rglob("*.pol")
    )


@pytest.mark.parametrize("path", project_policy_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_project_file_gets_the_same_spans(path: Path) -> None:
    assert_same_spans(path.read_text(encoding="utf-8", errors="replace"), path.name)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=from_lark(REFERENCE, start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])})
)
def test_any_policy_gets_the_same_spans(text: str) -> None:
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
def test_tricky_constructs_get_the_same_spans(text: str) -> None:
    assert assert_same_spans(text) == 1


@pytest.mark.skipif(not BENCH.is_dir(), reason="no ../shared/bench here")
def test_the_benchmark_workload_gets_the_same_spans() -> None:
    sys.path[:0] = [str(BENCH), str(ROOT / "benchmarks")]
    try:
        import peer_adapter  # type: ignore[import-not-found]
        import workload  # type: ignore[import-not-found]
    finally:
        del sys.path[:2]
    assert assert_same_spans(peer_adapter.policy_source(workload.make_policy(300))) > 300


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
def test_any_edited_policy_is_refused_or_read_alike(
    text: str, edits: list[tuple[int, str]]
) -> None:
    # A character replaced, inserted or removed here and there: where the reader reads
    # what Lark would refuse, or the other way round, the comparison above fails.
    for place, replacement in edits:
        at = place % (len(text) + 1)
        text = text[:at] + replacement + text[at + 1 :]
    assert_same_spans(text)
