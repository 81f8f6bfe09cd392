"""Syntax errors in words: Lark's exceptions to located diagnostics with help.

No Lark class, terminal name or traceback reaches the user: what was expected is named
in words (`a name`, `` `then` ``, `a comparison (`==`, `<`, …)`), the place is the
token where the parse stopped (shifted from the item back to the file), and the help
suggests the likely fix (a misspelt keyword, `=` for `==`, `&&` for `and`). A slip
that parses on for a while (a text not closed on its line, a misspelt clause keyword
or a missing comma between codes) is told at its cause (`_likely_cause`). Keywords
and punctuation are described from the grammar's terminals, of the parser the caller
gives.
"""

from __future__ import annotations

import re

import lark
from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import (
    KSP101,
    KSP102,
    KSP103,
    KSP104,
    Diagnostic,
    did_you_mean,
    error,
)
from ..span import Source, Span
from .layout import ITEM_KEYWORDS

_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a text in quotes",
    "INT": "a whole number",
    "DECIMAL": "a number",
    "DATE": "a date (YYYY-MM-DD)",
    "LANGTAG": "a language tag such as `en`",
    "LANGNAME": "a language code such as `en`",
}


def _describe_terminal(name: str, parser: lark.Lark) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    for terminal in parser.terminals:
        if terminal.name == name and terminal.pattern.type == "str":
            return f"`{terminal.pattern.value}`"
    return name.lower().replace("_", " ")


def _describe_expected(expected: set[str], parser: lark.Lark) -> str:
    # Inside an item, another item cannot start (the file was split at item keywords),
    # so item keywords in Lark's expected set are noise.
    item_starts = {f"`{k}`" for k in ITEM_KEYWORDS}
    described = {_describe_terminal(t, parser) for t in expected if t != "$END"} - item_starts
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


def syntax_diagnostic(
    exc: UnexpectedInput, source: Source, start: int, end: int, parser: lark.Lark
) -> Diagnostic:
    """The diagnostic for the syntax error `exc` that `parser` raised in the item of
    `source` from `start` to `end` (Lark's positions are in the item)."""
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
        expected = _describe_expected(set(exc.expected), parser)
        return error(KSP104, f"the item ends too early: expected {expected}", span)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = _describe_expected(set(exc.accepts or exc.expected), parser)
    if token.type == "$END":
        trimmed = source.text[start:end].rstrip()
        span = Span(source, start + len(trimmed), start + len(trimmed))
        return error(KSP104, f"the item ends too early: expected {expected}", span)
    span = _token_span(source, start, token, end)
    likely = _likely_cause(source, start, span.start, set(exc.accepts or exc.expected), parser)
    if likely is not None:
        return likely
    return error(
        KSP101,
        f"unexpected {_describe_found(token)}: expected {expected}",
        span,
        _syntax_help(token, set(exc.accepts or exc.expected), parser),
    )


_CLAUSE_WORDS = ("because", "cite", "title", "unless", "valid", "when")
# A text that ends right where the parser stopped (`"...\n... because "b`): the quote
# that was to open the next text closed it, and that text's first word failed.
_LAST_TEXT = re.compile(r'"(?:[^"\\]|\\.)*"$')
_LAST_WORDS = re.compile(r"(?:(\+=|,)\s*([\w.]+)\s+)?([\w.]+)\s*$")


def _likely_cause(
    source: Source, start: int, at: int, expected: set[str], parser: lark.Lark
) -> Diagnostic | None:
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
    if {_describe_terminal(t, parser) for t in expected} - {"`+=`", "`>=`"}:
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


def _syntax_help(token: Token, expected: set[str], parser: lark.Lark) -> str | None:
    value = str(token)
    keywords = [
        t.pattern.value for t in parser.terminals if t.name in expected and t.pattern.type == "str"
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
