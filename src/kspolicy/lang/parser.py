"""Policy text to syntax tree: the parse, on Lark's public API.

grammar/kspolicy.lark is the only definition of the language. A file is split into
items (`layout`), parsed by Lark's LALR parser and contextual lexer, made from the
grammar, and built into nodes as Lark reduces each rule (Lark's public `transformer=`
option, with `builder`'s reductions), so no parse tree is made and none walked. Items
are parsed a run at a time, and one by one where that would differ (`_Items.read`): a
syntax error stops only its own item and every item's first error is reported in one
run, in words (`syntax`); spans are the file's. Even the splitting into items takes its
texts in quotes and comments from the grammar's terminals.
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
from .layout import ITEM_KEYWORDS, first_ink, layout
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


ITEMS_PER_PARSE = 64
"""How many items one call of Lark's parser reads at most (see `_Items.read`)."""


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


class _Items:
    """The items of one file and their diagnostics, read a run of items at a time."""

    def __init__(self, source: Source, max_depth: int) -> None:
        self.source = source
        self.max_depth = max_depth
        self.max_height = 2 * max_depth + 16  # the grammar adds a level or two per condition
        self.stem = FsPath(source.name).stem  # once per file, not once per item
        self.oneliners = 0
        self.items: list[n.Item] = []
        self.diagnostics: list[Diagnostic] = []

    def read(self, run: list[tuple[int, int]]) -> None:
        """The items in `run`, ranges of the file (`layout`) next to each other: read in
        one parse when that gives what reading them one by one gives, else one by one.

        One call of Lark's parser per item cost a fifth of a millisecond of set-up (its
        lexer state, parser state, end token...): 3,000 items of the benchmark policy
        spent more on it than on checking their conditions. Read at once, the items are
        the same nodes with the same spans and diagnostics when each range holds whole
        items: the parse succeeds, an item starts where each range's text does, and no
        tree is too high. Otherwise (a syntax error, an item the grammar would read
        across a line the layout starts an item at) the run is read one item at a time,
        which says where and what, as before; at most `ITEMS_PER_PARSE` items parse twice.
        """
        if len(run) > 1 and self._read_at_once(run):
            return
        for start, end in run:
            self._read_one(start, end)

    def _read_at_once(self, run: list[tuple[int, int]]) -> bool:
        text = self.source.text
        # Lark reads a slice of the text in place; its tokens' places are the file's.
        builder = Builder(self.source, 0, self.stem, self.oneliners)
        current.builder = builder
        try:
            parsed: Any = _lark().parse(lark.TextSlice(text, run[0][0], run[-1][1]))
        except UnexpectedInput:
            return False
        finally:
            current.builder = None
        items, _, _, height = parsed
        starts = {item.span.start for item in items}
        if height > self.max_height or any(first_ink(text, a, b) not in starts for a, b in run):
            return False
        self.items.extend(items)
        self.diagnostics.extend(builder.diagnostics)
        self.oneliners = builder.oneliners
        return True

    def _read_one(self, start: int, end: int) -> None:
        source = self.source
        chunk = source.text[start:end]
        builder = Builder(source, start, self.stem, self.oneliners)
        try:
            built = _build_item(chunk, builder, self.max_height)
        except UnexpectedInput as exc:
            self.diagnostics.append(syntax_diagnostic(exc, source, start, end, _lark()))
            return
        if built is None:
            self.diagnostics.append(
                error(
                    KSP130,
                    f"this item nests conditions more than {self.max_depth} deep",
                    Span(source, start, start + len(chunk.split(None, 1)[0])),
                    "split it with `define`, or raise the limit (docs/limits.md)",
                )
            )
            return
        self.oneliners = builder.oneliners
        self.diagnostics.extend(builder.diagnostics)
        self.items.extend(built)


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
    text = source.text
    ranges, found = layout(text, _lark())
    comments = [n.Comment(body, Span(source, start, end)) for body, start, end in found]
    read = _Items(source, max_depth)
    run: list[tuple[int, int]] = []
    for start, end in ranges:
        if end - start > max_item_chars:
            read.read(run)
            run = []
            read.diagnostics.append(
                error(
                    KSP135,
                    f"this item is {end - start:,} characters long; the limit is "
                    f"{max_item_chars:,}",
                    Span(source, start, start + len(text[start:end].split(None, 1)[0])),
                    "split a long condition into `define`s, or raise the limit (docs/limits.md)",
                )
            )
            continue
        run.append((start, end))
        if len(run) == ITEMS_PER_PARSE:
            read.read(run)
            run = []
    read.read(run)
    module = n.Module(source.name, tuple(read.items), tuple(comments), Span(source, 0, len(text)))
    return module, read.diagnostics


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
