"""Policy text to syntax tree: the parse, on Lark's public API.

grammar/kspolicy.lark is the only definition of the language. A file is split into
items (`layout`), each item is parsed on its own by Lark's LALR parser and contextual
lexer, made from the grammar, and built into nodes as Lark reduces each rule (Lark's
public `transformer=` option, with `builder`'s reductions), so no parse tree is made and
none walked. A syntax error stops only its own item and every item's first error is
reported in one run, in words (`syntax`); spans are shifted from the item back to the
file. Even the splitting into items takes its texts in quotes and comments from the
grammar's terminals.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

import lark
from lark.exceptions import UnexpectedInput

from ..diagnostics import KSP130, KSP135, Diagnostic, error
from ..limits import DEFAULT
from ..span import Source, Span
from . import nodes as n
from .builder import Builder, Reductions, current
from .layout import ITEM_KEYWORDS, layout
from .syntax import syntax_diagnostic

__all__ = [
    "ITEM_KEYWORDS",
    "grammar_text",
    "make_parser",
    "parse_expression",
    "parse_module",
    "terminal_regex",
]


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, the repository."""
    packaged = resources.files("kspolicy").joinpath("grammar").joinpath("kspolicy.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = FsPath(__file__).resolve().parents[3] / "grammar" / "kspolicy.lark"
    return checkout.read_text(encoding="utf-8")


def make_parser(grammar: str) -> lark.Lark:
    """Lark's parser for a grammar, building nodes as it parses (see `Reductions`).

    Every token is kept (`keep_all_tokens`), so that each node's span can reach over
    its keywords and brackets; the reductions leave the keywords out. Lark does not
    propagate positions: it can only do so for its own trees, and spans taken from the
    tokens are cheaper anyway. `parse` returns `(items, start, end, height)`.
    """
    reductions = Reductions()
    parser = lark.Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        keep_all_tokens=True,
        maybe_placeholders=True,
        transformer=reductions,
        cache=False,
    )
    # Terminals with a name in the grammar (NAME, STRING...) are the tokens a node
    # keeps; the others are keywords and punctuation, written as "..." in the grammar.
    reductions.named.update(str(t.name) for t in parser.terminals if t.pattern.type == "re")
    # After each reduction Lark looks the rule's name up in its table of gotos, whose
    # keys are plain strings; the names it read from the grammar text are Tokens, whose
    # `__eq__` is Python code run once per lookup (140,000 for the 3,000-rule benchmark
    # policy, several % of a cold load). The same names as plain strings compare in C;
    # a rule's hash is its name's, the same either way.
    for rule in parser.rules:
        rule.origin.name = str(rule.origin.name)
    return parser


@cache
def _lark() -> lark.Lark:
    """The parser for grammar/kspolicy.lark: it parses every item and raises every
    syntax error."""
    return make_parser(grammar_text())


def terminal_regex(name: str) -> str:
    """The regular expression of one of the grammar's named terminals (`NAME`, `STRING`...),
    for code that must recognise what the parser reads (the formatter's plain names)."""
    for terminal in _lark().terminals:
        if terminal.name == name and terminal.pattern.type == "re":
            return str(terminal.pattern.to_regexp())
    raise KeyError(name)


def _build_item(chunk: str, builder: Builder, max_height: int) -> list[n.Item] | None:
    """An item's nodes, built by `builder`; None if its tree is higher than `max_height`.

    Raises Lark's UnexpectedInput at a syntax error. Nodes are built bottom-up as Lark
    reduces, without recursion, so a tree too high is only dropped.
    """
    current.builder = builder
    try:
        # With the reductions as its transformer, Lark gives what `builder._items` made.
        parsed: Any = _lark().parse(chunk)
        items, _, _, height = parsed
    finally:
        current.builder = None
    return items if height <= max_height else None


def parse_module(
    source: Source,
    max_depth: int = DEFAULT.max_depth,
    max_item_chars: int = DEFAULT.max_item_chars,
) -> tuple[n.Module, list[Diagnostic]]:
    """Parse one policy file: its tree (the items that parsed) and every diagnostic.

    An item longer than `max_item_chars` is reported (KSP135) and skipped unparsed; an
    item nested deeper than `max_depth` conditions is reported (KSP130) and skipped,
    before anything recursive walks it.
    """
    items: list[n.Item] = []
    diagnostics: list[Diagnostic] = []
    ranges, found = layout(source.text, _lark())
    comments = [n.Comment(text, Span(source, start, end)) for text, start, end in found]
    oneliners = 0
    stem = FsPath(source.name).stem  # once per file, not once per item
    for start, end in ranges:
        chunk = source.text[start:end]
        if len(chunk) > max_item_chars:
            diagnostics.append(
                error(
                    KSP135,
                    f"this item is {len(chunk):,} characters long; the limit is {max_item_chars:,}",
                    Span(source, start, start + len(chunk.split(None, 1)[0])),
                    "split a long condition into `define`s, or raise the limit (docs/limits.md)",
                )
            )
            continue
        builder = Builder(source, start, stem, oneliners)
        try:
            # The grammar adds a level or two to the tree per condition.
            built = _build_item(chunk, builder, 2 * max_depth + 16)
        except UnexpectedInput as exc:
            diagnostics.append(syntax_diagnostic(exc, source, start, end, _lark()))
            continue
        if built is None:
            diagnostics.append(
                error(
                    KSP130,
                    f"this item nests conditions more than {max_depth} deep",
                    Span(source, start, start + len(chunk.split(None, 1)[0])),
                    "split it with `define`, or raise the limit (docs/limits.md)",
                )
            )
            continue
        oneliners = builder.oneliners
        diagnostics.extend(builder.diagnostics)
        items.extend(built)
    module = n.Module(source.name, tuple(items), tuple(comments), Span(source, 0, len(source.text)))
    return module, diagnostics


def parse_expression(text: str, name: str = "<expression>") -> n.Expr:
    """Parse a lone expression (for tests and tools): `rule _ when <text>` in disguise."""
    source = Source(name, f"rule _ when {text} then _ += _")
    module, diagnostics = parse_module(source)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        from ..diagnostics import PolicyError

        raise PolicyError(errors)
    rule = module.items[0]
    assert isinstance(rule, n.Rule) and rule.when is not None
    return rule.when
