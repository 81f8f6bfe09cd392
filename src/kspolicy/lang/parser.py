"""Policy text to syntax tree, and Lark's errors to diagnostics.

A file is first split into items at lines that start with an item keyword (`rule`,
`define`, `enum`...), outside texts in quotes. Each item is parsed on its own, so a
syntax error stops only its own item and every item's first error is reported in one
run. Spans are shifted from the item back to the file.

grammar/kspolicy.lark is the only definition of the language: an item is parsed by
Lark's LALR parser and contextual lexer, made from the grammar, and built into nodes as
Lark reduces each rule (Lark's public `transformer=` option), so no parse tree is made
and none walked. Even the splitting into items takes its texts in quotes and comments
from the grammar's terminals. No Lark class, terminal name or traceback reaches the
user: `_describe_expected` names what was expected in words.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any, cast

import lark
from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import (
    KSP101,
    KSP102,
    KSP103,
    KSP104,
    KSP105,
    KSP106,
    KSP130,
    KSP135,
    KSP210,
    KSP211,
    KSP219,
    Diagnostic,
    did_you_mean,
    error,
)
from ..limits import DEFAULT
from ..span import Source, Span
from . import nodes as n

ITEM_KEYWORDS = (
    "policy",
    "import",
    "lists",
    "decision",
    "schema",
    "record",
    "enum",
    "define",
    "rule",
    "if",
)

_INK = re.compile(r"\S")
"""Anything but white space: a range without it holds no item."""


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, the repository."""
    packaged = resources.files("kspolicy").joinpath("grammar").joinpath("kspolicy.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = FsPath(__file__).resolve().parents[3] / "grammar" / "kspolicy.lark"
    return checkout.read_text(encoding="utf-8")


def make_parser(grammar: str) -> lark.Lark:
    """Lark's parser for a grammar, building nodes as it parses (see `_Reductions`).

    Every token is kept (`keep_all_tokens`), so that each node's span can reach over
    its keywords and brackets; the reductions leave the keywords out. Lark does not
    propagate positions: it can only do so for its own trees, and spans taken from the
    tokens are cheaper anyway. `parse` returns `(items, start, end, height)`.
    """
    reductions = _Reductions()
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


@cache
def _item_scan(parser: lark.Lark) -> re.Pattern[str]:
    """Texts in quotes, comments and item starts, for `_layout`: the texts and comments
    as the grammar defines them. A text never closed runs to the end of the file."""
    terminals = {t.name: t.pattern.to_regexp() for t in parser.terminals}
    return re.compile(
        rf'(?P<text>{terminals["STRING"]}|"(?s:.*))'
        rf"|(?P<comment>{terminals['COMMENT']})"
        r"|(?P<item>^[ \t]*(?:" + "|".join(ITEM_KEYWORDS) + r")(?![A-Za-z0-9_]))",
        re.MULTILINE,
    )


def _build_item(chunk: str, builder: _Builder, max_height: int) -> list[n.Item] | None:
    """An item's nodes, built by `builder`; None if its tree is higher than `max_height`.

    Raises Lark's UnexpectedInput at a syntax error. Nodes are built bottom-up as Lark
    reduces, without recursion, so a tree too high is only dropped.
    """
    _current.builder = builder
    try:
        # With the reductions as its transformer, Lark gives what `_items` made.
        parsed: Any = _lark().parse(chunk)
        items, _, _, height = parsed
    finally:
        _current.builder = None
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
    ranges, found = _layout(source.text)
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
        builder = _Builder(source, start, stem, oneliners)
        try:
            # The grammar adds a level or two to the tree per condition.
            built = _build_item(chunk, builder, 2 * max_depth + 16)
        except UnexpectedInput as exc:
            diagnostics.append(_syntax_diagnostic(exc, source, start, end))
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


def _layout(text: str) -> tuple[list[tuple[int, int]], list[tuple[str, int, int]]]:
    """Where each item starts and ends, and each comment (its text, start and end), in
    one pass over the text. Text before the first item is a range of its own, unless it
    is only comments and white space."""
    starts: list[int] = []
    comments: list[tuple[str, int, int]] = []
    for match in _item_scan(_lark()).finditer(text):
        if match.lastgroup == "item":
            starts.append(match.start())
        elif match.lastgroup == "comment":
            comments.append((match.group(), match.start(), match.end()))
    if not starts or text[: starts[0]].strip() and not _only_comments(text[: starts[0]]):
        starts.insert(0, 0)
    bounds = starts + [len(text)]
    ranges = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if _INK.search(text, a, b)]
    return ranges, comments


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


# ---- syntax errors -----------------------------------------------------------------

_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a text in quotes",
    "INT": "a whole number",
    "DECIMAL": "a number",
    "DATE": "a date (YYYY-MM-DD)",
    "LANGTAG": "a language tag such as `en`",
    "LANGNAME": "a language code such as `en`",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    for terminal in _lark().terminals:
        if terminal.name == name and terminal.pattern.type == "str":
            return f"`{terminal.pattern.value}`"
    return name.lower().replace("_", " ")


def _describe_expected(expected: set[str]) -> str:
    # Inside an item, another item cannot start (the file was split at item keywords),
    # so item keywords in Lark's expected set are noise.
    item_starts = {f"`{k}`" for k in ITEM_KEYWORDS}
    described = {_describe_terminal(t) for t in expected if t != "$END"} - item_starts
    comparisons = {"`==`", "`!=`", "`<`", "`<=`", "`>`", "`>=`"}
    if comparisons <= described:
        described = (described - comparisons) | {"a comparison (`==`, `<`, …)"}
    # Descriptions ("a name") first, then keywords and symbols.
    words = sorted(described, key=lambda w: (w.startswith("`"), w))
    if "$END" in expected:
        words.append("the end of the item")
    if not words:
        return "something else"
    if len(words) > 8:
        return ", ".join(words[:8]) + ", …"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _token_span(source: Source, offset: int, token: Token | None, fallback_end: int) -> Span:
    if token is not None and token.start_pos is not None and token.end_pos is not None:
        return Span(source, offset + token.start_pos, offset + token.end_pos)
    return Span(source, fallback_end, fallback_end)


def _syntax_diagnostic(exc: UnexpectedInput, source: Source, start: int, end: int) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        at = start + (exc.pos_in_stream or 0)
        char = source.text[at] if at < len(source.text) else ""
        span = Span(source, at, at + 1)
        if char == '"':
            return error(
                KSP103,
                "this text in quotes is never closed",
                span,
                'add the closing `"`; a `"` inside a text is written `\\"`',
            )
        hint = {
            "&": "write `and`",
            "|": "write `or`",
            "!": "write `not`, or `!=` for 'is not equal to'",
            "'": 'texts are written in double quotes: "like this"',
            "=": "compare with `==`; raise a scale with `>=`, add to a set with `+=`",
        }.get(char, "remove it, or put it inside a text in quotes")
        shown = repr(char)[1:-1] if char.strip() else repr(char)
        return error(KSP102, f"unexpected character `{shown}`", span, hint)
    if isinstance(exc, UnexpectedEOF):
        span = Span(source, end, end)
        expected = _describe_expected(set(exc.expected))
        return error(KSP104, f"the item ends too early: expected {expected}", span)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = _describe_expected(set(exc.accepts or exc.expected))
    if token.type == "$END":
        trimmed = source.text[start:end].rstrip()
        span = Span(source, start + len(trimmed), start + len(trimmed))
        return error(KSP104, f"the item ends too early: expected {expected}", span)
    span = _token_span(source, start, token, end)
    likely = _likely_cause(source, start, span.start, set(exc.accepts or exc.expected))
    if likely is not None:
        return likely
    return error(
        KSP101,
        f"unexpected {_describe_found(token)}: expected {expected}",
        span,
        _syntax_help(token, set(exc.accepts or exc.expected)),
    )


_CLAUSE_WORDS = ("because", "cite", "title", "unless", "valid", "when")
# A text that ends right where the parser stopped (`"...\n... because "b`): the quote
# that was to open the next text closed it, and that text's first word failed.
_LAST_TEXT = re.compile(r'"(?:[^"\\]|\\.)*"$')
_LAST_WORDS = re.compile(r"(?:(\+=|,)\s*([\w.]+)\s+)?([\w.]+)\s*$")


def _likely_cause(source: Source, start: int, at: int, expected: set[str]) -> Diagnostic | None:
    """A syntax error told at its cause rather than where the parser stopped, for the
    slips that parse on for a while: a text whose closing quote is missing (the next
    text's opening quote closes it, lines later), and, where an assignment must go on
    (`>=`/`+=` expected, as assignments follow each other without a separator), a
    misspelt clause keyword (`becuase`) or two codes without a comma (`+= a b`)."""
    before = source.text[start:at]
    text = _LAST_TEXT.search(before)
    if text is not None and "\n" in text.group():
        opened = start + text.start()
        line = source.text.count("\n", 0, start + text.end()) + 1
        return error(
            KSP103,
            f"this text in quotes is not closed on its line: it runs on to line {line}",
            Span(source, opened, opened + 1),
            'add the closing `"` on this line; a text may span lines, so the next `"` '
            "closed this one instead",
        )
    if {_describe_terminal(t) for t in expected} - {"`+=`", "`>=`"}:
        return None
    # The last few words are enough, and a window keeps the search linear.
    window = max(0, len(before) - 200)
    words = _LAST_WORDS.search(before, window)
    if words is None:
        return None
    word = words.group(3)
    span = Span(source, start + words.start(3), start + words.end(3))
    keyword = did_you_mean(word, _CLAUSE_WORDS)
    if keyword is not None:
        return error(KSP101, f"`{word}` is not a keyword here", span, keyword)
    if words.group(1) is not None:
        previous = words.group(2)
        return error(
            KSP101,
            f"a comma is missing between `{previous}` and `{word}`",
            span,
            f"separate the codes a rule adds with commas: `+= {previous}, {word}`",
        )
    return None


def _describe_found(token: Token) -> str:
    if token.type == "NAME":
        return f"name `{token}`"
    if token.type == "STRING":
        return "text in quotes"
    return f"`{token}`"


def _syntax_help(token: Token, expected: set[str]) -> str | None:
    value = str(token)
    keywords = [
        t.pattern.value for t in _lark().terminals if t.name in expected and t.pattern.type == "str"
    ]
    if token.type == "NAME" and keywords:
        suggestion = did_you_mean(value, keywords)
        if suggestion:
            return suggestion
    if value in ITEM_KEYWORDS:
        return f"`{value}` starts a new item: put it at the start of a line"
    if value == "=":
        return "compare with `==`; raise a scale with `>=`, add to a set with `+=`"
    if value in ("&&", "||"):
        return "write `and` / `or`"
    if "STRING" in expected and token.type == "NAME":
        return 'texts are written in double quotes: "like this"'
    return None


# ---- tree to AST -------------------------------------------------------------------

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(.)", re.S)


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    if "\\" not in body:  # most texts: nothing to replace
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def _fold(text: str) -> str:
    """Runs of white space in a displayed text (titles, reasons) count as one space."""
    return " ".join(text.split())


class _Current(threading.local):
    """The builder of the item being parsed in this thread (Lark's reductions are made
    once per parser, so they find their builder here)."""

    builder: _Builder | None = None


_current = _Current()

_UNWRAPPED = {"operand": 1, "title": 1}
"""Trees that stand for the child at that place: `( expr )` and `title text`."""

_KEEPS_TOKENS = frozenset({"comparison"})
"""Rules whose keywords the builder is given: a comparison's one token is its operator."""

_Reduction = Callable[[list[Any]], tuple[Any, int, int, int]]
"""What Lark calls as it reduces: the children in, `(value, start, end, height)` out."""


class _Reductions(lark.Transformer[Token, Any]):
    """What Lark calls as it reduces by a rule: one function per rule (or alias).

    Each is given the rule's children as Lark shapes a tree (its documented "tree
    construction" rules: `_rule`s spliced into their parent, a `?rule` with one child
    replaced by it, an absent `[optional]` part as None), with every token kept.
    What a reduction gives is a tuple `(value, start, end, height)`: the node the
    builder made, where the rule's text starts and ends in the item (-1 when it holds
    no token), and how high the parse tree Lark would have made is there (brackets and
    titles add no level), for the depth limit. Everything is bottom-up, nothing
    recursive, so an item can nest as deep as the limit allows. (A Transformer, as
    Lark's `transformer=` option asks; it is never used to walk a tree.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.named: set[str] = set()
        for name, method in vars(_Builder).items():
            if not name.startswith("_") and callable(method):
                setattr(self, name, _reduction(method, self.named, name in _KEEPS_TOKENS))
        for name, index in _UNWRAPPED.items():
            setattr(self, name, _unwrapping(index))
        self.start = _items


def _reduction(method: Callable[..., Any], named: set[str], keeps_tokens: bool) -> _Reduction:
    """The reduction that calls one of the builder's methods: with the node's span and
    its children's values, keywords and punctuation left out (unless `keeps_tokens`)."""

    def reduce(children: list[Any]) -> tuple[Any, int, int, int]:
        start = end = -1
        height = 0
        values: list[Any] = []
        for child in children:
            if child.__class__ is tuple:  # a node, as a reduction gave it
                value, child_start, child_end, child_height = child
                if child_start >= 0:
                    if start < 0:
                        start = child_start
                    end = child_end
                if child_height > height:
                    height = child_height
                values.append(value)
            elif child is None:  # an absent [optional] part
                values.append(None)
            else:  # a token
                if start < 0:
                    start = child.start_pos
                end = child.end_pos
                if keeps_tokens or child.type in named:
                    values.append(child)
        builder = _current.builder
        assert builder is not None
        offset = builder.offset
        if start < 0:
            span = Span(builder.source, offset, offset)
        else:
            span = Span(builder.source, offset + start, offset + end)
        return method(builder, span, *values), start, end, height + 1

    return reduce


def _unwrapping(index: int) -> _Reduction:
    """The reduction of `( expr )` or `title text`: the child at `index`, unchanged,
    its place reaching over the brackets or the keyword for the node around it (as
    Lark's inlined rules with propagated positions did)."""

    def unwrap(children: list[Any]) -> tuple[Any, int, int, int]:
        first, last = children[0], children[-1]
        inner = children[index]
        start = first.start_pos if first.__class__ is not tuple else first[1]
        end = last.end_pos if last.__class__ is not tuple else last[2]
        return inner[0], start, end, inner[3]

    return unwrap


def _items(children: list[Any]) -> tuple[list[n.Item], int, int, int]:
    """The reduction of `start`: the list of the item's nodes (one, but for `start: item*`)."""
    height = max((child[3] for child in children), default=0)
    return [child[0] for child in children], -1, -1, height + 1


class _Builder:
    """Builds AST nodes for one item; collects what is wrong on the way.

    Each grammar rule (or alias) has a method here, called by `_Reductions` as Lark
    reduces by that rule, with the node's span and its children already built.
    """

    def __init__(self, source: Source, offset: int, stem: str, oneliners: int) -> None:
        self.source = source
        self.offset = offset
        self.stem = stem
        self.oneliners = oneliners
        self.diagnostics: list[Diagnostic] = []

    # spans

    def _tspan(self, token: Token) -> Span:
        assert token.start_pos is not None and token.end_pos is not None
        return Span(self.source, self.offset + token.start_pos, self.offset + token.end_pos)

    def _name(self, token: Token) -> n.Name:
        return n.Name(str(token), self._tspan(token))

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self.diagnostics.append(
                error(
                    KSP105,
                    f"`{token}` is not a date that exists",
                    self._tspan(token),
                    "write a real date as YYYY-MM-DD, e.g. 2025-01-31",
                )
            )
            return dt.date(1, 1, 1)

    def _int(self, token: Token) -> int:
        try:
            return int(token)
        except ValueError:  # Python reads whole numbers of at most 4,300 digits
            digits = len(token.lstrip("-"))
            self._bad_number(token, f"has {digits:,} digits; whole numbers may have up to 4,300")
            return 0

    def _decimal(self, token: Token) -> float:
        value = float(token)
        if math.isinf(value):
            self._bad_number(token, "is too large to compute with (the limit is about 10^308)")
            return 0.0
        return value

    def _bad_number(self, token: Token, what: str) -> None:
        shown = token if len(token) <= 24 else f"{token[:12]}…{token[-6:]}"
        self.diagnostics.append(
            error(
                KSP106,
                f"`{shown}` {what}",
                self._tspan(token),
                "write a number of at most 300 digits",
            )
        )

    # header, imports, lists

    def policy_header(
        self, span: Span, name: Token, version: Token, *clauses: Any
    ) -> n.PolicyHeader:
        title = next((c.value for c in clauses if c.keyword == "title"), None)
        languages: tuple[n.Name, ...] = ()
        for clause in clauses:
            if clause.keyword == "languages":
                languages = clause.value
        return n.PolicyHeader(self._name(name), _unquote(version), title, languages, span)

    def title_clause(self, span: Span, text: n.Text) -> n.Clause:
        return n.Clause("title", text, span)

    def languages_clause(self, span: Span, *langs: Token) -> n.Clause:
        return n.Clause("languages", tuple(self._name(t) for t in langs), span)

    def import_stmt(self, span: Span, path: Token) -> n.Import:
        return n.Import(_unquote(path), span)

    def lists_stmt(self, span: Span, pattern: Token) -> n.Lists:
        return n.Lists(_unquote(pattern), span)

    # decision

    def decision_decl(self, span: Span, *outcomes: n.OutcomeDecl) -> n.DecisionDecl:
        return n.DecisionDecl(tuple(outcomes), span)

    def outcome_decl(
        self,
        span: Span,
        name: Token,
        kind: tuple[Any, ...],
        headline: Any,
        sources: Any,
        title: Any,
    ) -> n.OutcomeDecl:
        key = kind[3] if len(kind) > 3 else None
        return n.OutcomeDecl(
            self._name(name), kind[0], kind[1], kind[2], title, key, headline, span, sources
        )

    def sources(self, span: Span, name: Token) -> n.Name:
        return self._name(name)

    def headline(self, span: Span) -> n.Name:
        return n.Name("headline", span)

    def scale_inline(self, span: Span, *codes: n.Name) -> tuple[str, tuple[n.Name, ...], None]:
        return ("scale", codes, None)

    def scale_of(self, span: Span, enum: Token) -> tuple[str, tuple[n.Name, ...], n.Name]:
        return ("scale", (), self._name(enum))

    def set_of(self, span: Span, enum: Token) -> tuple[str, tuple[n.Name, ...], n.Name]:
        return ("set", (), self._name(enum))

    def entry_of(self, span: Span, records: Token, key: n.Path) -> tuple[Any, ...]:
        return ("entry", (), self._name(records), key)

    # schema

    def schema_decl(self, span: Span, *fields: n.FieldDecl) -> n.SchemaDecl:
        return n.SchemaDecl(fields, span)

    def record_decl(
        self,
        span: Span,
        name: Token,
        title: n.Text | None,
        named_by: n.Name | None,
        *fields: n.FieldDecl,
    ) -> n.RecordDecl:
        return n.RecordDecl(self._name(name), title, named_by, fields, span)

    def named_by(self, span: Span, field: Token) -> n.Name:
        return self._name(field)

    def field_decl(
        self, span: Span, name: Token, type_ref: n.TypeRef, *options: n.Clause
    ) -> n.FieldDecl:
        seen: dict[str, n.Clause] = {}
        for option in options:
            if option.keyword in seen:
                self.diagnostics.append(
                    error(
                        KSP210,
                        f"field `{name}` has `{option.keyword}` twice",
                        option.span,
                        "keep one of them",
                    )
                )
                continue
            seen[option.keyword] = option
        default = seen["default"].value if "default" in seen else None
        return n.FieldDecl(
            self._name(name),
            type_ref,
            "required" in seen,
            default,
            seen["as"].value if "as" in seen else None,
            seen["question"].value if "question" in seen else None,
            span,
        )

    def scalar_type(self, span: Span, name: Token, int_range: tuple[int, int] | None) -> n.TypeRef:
        return n.TypeRef(self._name(name), False, int_range, span)

    def list_type(self, span: Span, name: Token) -> n.TypeRef:
        return n.TypeRef(self._name(name), True, None, span)

    def int_range(self, span: Span, low: Token, high: Token) -> tuple[int, int]:
        return (self._int(low), self._int(high))

    def required_option(self, span: Span) -> n.Clause:
        return n.Clause("required", True, span)

    def default_option(self, span: Span, literal: n.Literal) -> n.Clause:
        return n.Clause("default", literal, span)

    def empty_default_option(self, span: Span) -> n.Clause:
        return n.Clause("default", n.Literal((), span), span)  # type: ignore[arg-type]

    def binder_option(self, span: Span, name: Token) -> n.Clause:
        return n.Clause("as", self._name(name), span)

    def question_option(self, span: Span, text: n.Text) -> n.Clause:
        return n.Clause("question", text, span)

    def enum_decl(
        self, span: Span, name: Token, description: Token | None, body: Any
    ) -> n.EnumDecl:
        values, from_list, hierarchical = body
        return n.EnumDecl(
            self._name(name),
            _unquote(description) if description is not None else None,
            values,
            from_list,
            hierarchical,
            span,
        )

    def enum_inline(self, span: Span, *values: n.EnumValue) -> tuple[Any, ...]:
        return (values, None, any("." in v.code.text for v in values))

    def enum_from_list(self, span: Span, list_name: Token) -> tuple[Any, ...]:
        return ((), self._name(list_name), False)

    def enum_from_hierarchy(self, span: Span, list_name: Token) -> tuple[Any, ...]:
        return ((), self._name(list_name), True)

    def enum_value(self, span: Span, code: n.Name | Token, label: n.Text | None) -> n.EnumValue:
        if isinstance(code, Token):
            code = n.Name(_unquote(code), self._tspan(code))
        return n.EnumValue(code, label, span)

    # definitions and rules

    def define(self, span: Span, name: Token, title: n.Text | None, expr: n.Expr) -> n.Define:
        return n.Define(self._name(name), title, expr, span)

    def rule(self, span: Span, name: Token, *clauses: n.Clause) -> n.Rule:
        return self._rule(self._name(name), clauses, span, oneline=False)

    def oneline(self, span: Span, when: n.Expr, *rest: Any) -> n.Rule:
        self.oneliners += 1
        span = span
        assignments = tuple(a for a in rest if isinstance(a, n.Assignment))
        clauses = [n.Clause("when", when, when.span), n.Clause("then", assignments, span)]
        clauses += [c for c in rest if isinstance(c, n.Clause)]
        name = n.Name(
            f"{self.stem}.if{self.oneliners}", Span(self.source, span.start, span.start + 2)
        )
        return self._rule(name, clauses, span, oneline=True)

    def _rule(self, name: n.Name, clauses: Any, span: Span, oneline: bool) -> n.Rule:
        seen: dict[str, n.Clause] = {}
        unless: list[n.Expr] = []
        for clause in clauses:
            if clause.keyword == "unless":
                unless.append(clause.value)
            elif clause.keyword in seen:
                self.diagnostics.append(
                    error(
                        KSP210,
                        f"rule `{name.text}` has more than one `{clause.keyword}`",
                        clause.span,
                        "join them into one clause"
                        + (" with `and`" if clause.keyword == "when" else ""),
                    )
                )
            else:
                seen[clause.keyword] = clause
        for needed in ("when", "then"):
            if needed not in seen:
                self.diagnostics.append(
                    error(
                        KSP211,
                        f"rule `{name.text}` has no `{needed}` clause",
                        name.span,
                        "a rule needs `when <condition>` and `then <outcomes>`",
                    )
                )
        valid = seen["valid"].value if "valid" in seen else (None, None)
        if valid[0] and valid[1] and valid[1] < valid[0]:
            self.diagnostics.append(
                error(
                    KSP219,
                    f"rule `{name.text}` stops being valid before it starts",
                    seen["valid"].span,
                    "the `until` date must be on or after the `from` date",
                )
            )
        return n.Rule(
            name=name,
            title=seen["title"].value if "title" in seen else None,
            cites=seen["cite"].value if "cite" in seen else (),
            valid_from=valid[0],
            valid_until=valid[1],
            when=seen["when"].value if "when" in seen else None,
            unless=tuple(unless),
            then=seen["then"].value if "then" in seen else (),
            because=seen["because"].value if "because" in seen else None,
            oneline=oneline,
            valid_span=seen["valid"].span if "valid" in seen else None,
            span=span,
        )

    def cite_clause(self, span: Span, *anchors: Token) -> n.Clause:
        names = tuple(n.Name(_unquote(a), self._tspan(a)) for a in anchors)
        return n.Clause("cite", names, span)

    def valid_clause(self, span: Span, validity: tuple[dt.date | None, dt.date | None]) -> n.Clause:
        return n.Clause("valid", validity, span)

    def validity(self, span: Span, *tokens: Token) -> tuple[dt.date | None, dt.date | None]:
        dates = [self._date(t) for t in tokens]
        text = span.text
        if text.lstrip().startswith("until"):
            return (None, dates[0])
        return (dates[0], dates[1] if len(dates) > 1 else None)

    def when_clause(self, span: Span, expr: n.Expr) -> n.Clause:
        return n.Clause("when", expr, span)

    def unless_clause(self, span: Span, expr: n.Expr) -> n.Clause:
        return n.Clause("unless", expr, span)

    def then_clause(self, span: Span, *assignments: n.Assignment) -> n.Clause:
        return n.Clause("then", assignments, span)

    def because_clause(self, span: Span, text: n.Text) -> n.Clause:
        return n.Clause("because", text, span)

    def raise_clause(self, span: Span, outcome: Token, value: Any) -> n.Assignment:
        return n.Assignment(self._name(outcome), ">=", (self._code(value),), span)

    def add_clause(self, span: Span, outcome: Token, *values: Any) -> n.Assignment:
        codes = tuple(self._code(v) for v in values)
        return n.Assignment(self._name(outcome), "+=", codes, span)

    def _code(self, value: n.Name | Token) -> n.Name:
        return n.Name(_unquote(value), self._tspan(value)) if isinstance(value, Token) else value

    # expressions

    def or_expr(self, span: Span, *operands: n.Expr) -> n.Or:
        return n.Or(operands, span)

    def and_expr(self, span: Span, *operands: n.Expr) -> n.And:
        return n.And(operands, span)

    def not_expr(self, span: Span, operand: n.Expr) -> n.Not:
        return n.Not(operand, span)

    def any_quantifier(self, span: Span, var: Token, coll: n.Path, body: n.Expr) -> n.Quantifier:
        return n.Quantifier("any", self._name(var), coll, body, span)

    def all_quantifier(self, span: Span, var: Token, coll: n.Path, body: n.Expr) -> n.Quantifier:
        return n.Quantifier("all", self._name(var), coll, body, span)

    def compare(self, span: Span, left: n.Expr, op: n.CompareOp, right: n.Expr) -> n.Compare:
        return n.Compare(op, left, right, span)

    def comparison(self, span: Span, op: Token) -> n.CompareOp:
        return cast(n.CompareOp, str(op))  # the grammar's `comparison` allows these six

    def in_test(self, span: Span, element: n.Expr, container: n.Expr) -> n.In:
        return n.In(element, container, False, span)

    def not_in_test(self, span: Span, element: n.Expr, container: n.Expr) -> n.In:
        return n.In(element, container, True, span)

    def matches_test(self, span: Span, subject: n.Expr, list_name: Token) -> n.Matches:
        return n.Matches(subject, self._name(list_name), span)

    def known_test(self, span: Span, subject: n.Expr) -> n.IsKnown:
        return n.IsKnown(subject, True, span)

    def unknown_test(self, span: Span, subject: n.Expr) -> n.IsKnown:
        return n.IsKnown(subject, False, span)

    def path(self, span: Span, *names: Any) -> n.Path:
        # The most frequent node of all (a large policy has tens of thousands): its
        # names (tokens, always placed) are made here rather than by a call of `_name` each.
        source, offset, name, place = self.source, self.offset, n.Name, Span
        parts = [
            name(str(t), place(source, offset + t.start_pos, offset + t.end_pos)) for t in names
        ]
        return n.Path(tuple(parts), span)

    def code_name(self, span: Span, *names: Token) -> n.Name:
        return n.Name(".".join(names), span)

    def set_literal(self, span: Span, *items: n.Expr | None) -> n.SetLiteral:
        return n.SetLiteral(tuple(i for i in items if i is not None), span)

    def string(self, span: Span, token: Token) -> n.Literal:
        return n.Literal(_unquote(token), span)

    def integer(self, span: Span, token: Token) -> n.Literal:
        return n.Literal(self._int(token), span)

    def decimal(self, span: Span, token: Token) -> n.Literal:
        return n.Literal(self._decimal(token), span)

    def date(self, span: Span, token: Token) -> n.Literal:
        return n.Literal(self._date(token), span)

    def true(self, span: Span) -> n.Literal:
        return n.Literal(True, span)

    def false(self, span: Span) -> n.Literal:
        return n.Literal(False, span)

    # texts

    def text(self, span: Span, *parts: Any) -> n.Text:
        if len(parts) == 1 and isinstance(parts[0], Token):
            return n.Text(((None, _fold(_unquote(parts[0]))),), span)
        return n.Text(tuple(parts), span)

    def lang_text(self, span: Span, lang: Token, value: Token) -> tuple[str, str]:
        return (str(lang), _fold(_unquote(value)))
