"""`or` and `in` before a text, after a path, are keywords, not language tags.

A language tag is two lowercase letters right before a text (`en "..."`). Lark shared
one helper rule between a path's `("." NAME)` and a code's, so after `b.c.f` the lexer
also expected what may follow a code (a text) and read `or "x"` as a tag: `when b.c.f or
"x" == s` was refused (KSP101 "unexpected `or`"), and `fmt` could not read back what it
wrote for `b.c.f or ("x" == s)`. Found by a review of the flatter grammar.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kspolicy
from kspolicy.lang.formatter import format_source

POLICY = """\
policy lt version "1"
  title en "t" nl "t"
  languages en, nl

decision {{
  verdict: scale clear < notify
}}

record C {{ f: bool  t: text }}
record B {{ c: C  g: bool }}

schema {{
  b: B
  s: text
}}

rule r
  title en "r" nl "r"
  cite "x"
  when {condition}
  then verdict >= notify
  because en "x" nl "x"
"""

CONDITIONS = [
    'b.c.f or "x" == s',
    'b.g or "x" == s',
    'b.c.f or ("x" == s)',
    'b.c.f or "x" in {"x", "y"} and not b.g',
    'b.c.t in {"y"} or b.g',
    'not b.c.f or "x" != s and b.g',
]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_or_before_a_text_after_a_path_is_a_keyword(tmp_path: Path, condition: str) -> None:
    (tmp_path / "policy.pol").write_text(POLICY.format(condition=condition), encoding="utf-8")
    assert [str(d) for d in kspolicy.check(tmp_path) if d.is_error] == []
    decision = kspolicy.load(tmp_path).evaluate(
        {"b": {"c": {"f": False, "t": "y"}, "g": False}, "s": "x"}, as_of="2025-01-01"
    )
    assert decision.outcomes["verdict"] == "notify"


@pytest.mark.parametrize("condition", CONDITIONS)
def test_fmt_reads_back_what_it_writes_for_or_before_a_text(condition: str) -> None:
    source = POLICY.format(condition=condition)
    formatted = format_source(source)
    assert format_source(formatted) == formatted


def test_a_language_tag_still_reads_before_a_text_in_a_code() -> None:
    """The codes of an inline enum still take a text in languages after them."""
    source = POLICY.format(condition="b.g").replace(
        "schema {", 'enum kind { a.b en "A B" nl "A B", c nl "C" }\n\nschema {'
    )
    assert format_source(source).count('en "A B" nl "A B"') == 1
