"""A fast contextual lexer for the policy grammar, a drop-in for Lark's own.

Lark's contextual lexer (a scanner per parser state, a Token with line and column
counted for every piece of text) was over half the time to parse a large policy. This
one reads a word, a number, a text or a symbol with one regular expression each, and
decides its terminal from what the parser accepts in its current state, as Lark's
does: a keyword where the parser accepts that keyword, else a name; `en "..."` a
language tag (priority 3 in the grammar); dates before decimals before whole numbers
(their priorities); the longest symbol the state accepts.

It is only ever the first attempt: at anything it cannot lex (`NoToken`), or a syntax
error, parser.py parses the item again with Lark's lexer, so every diagnostic is
Lark's. Tokens carry offsets only (no line or column: spans compute those when shown).
tests/test_parser_positions.py checks that trees and spans are the same both ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lark import Token
from lark.lexer import Lexer, LexerState

_SKIP = re.compile(r"(?:[ \t\f\r\n]+|#[^\n]*)+")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r'"(?:\\.|[^"\\])*"', re.DOTALL)
_NUMBERS = (  # by priority, as in the grammar
    ("DATE", re.compile(r"\d{4}-\d{2}-\d{2}")),
    ("DECIMAL", re.compile(r"-?\d+\.\d+")),
    ("INT", re.compile(r"-?\d+")),
)
_QUOTE_AHEAD = re.compile(r'\s*"')
_TERMINALS = {"NAME", "STRING", "INT", "DECIMAL", "DATE", "LANGTAG", "LANGNAME"}
_IGNORED = {"[ \t\f\r\n]+", "#[^\n]*"}  # what _SKIP skips, as Lark reads the grammar
_LOWER_PAIR = re.compile(r"[a-z]{2}")


class NoToken(Exception):
    """The text at this place is no token the parser accepts here (so: Lark's turn)."""


class _State:
    """What the parser accepts in one state, arranged for lexing."""

    __slots__ = (
        "keywords",
        "prefixes",
        "name",
        "langtag",
        "langname",
        "string",
        "numbers",
        "symbols",
    )

    def __init__(self, accepted: set[str], words: dict[str, str], symbols: dict[str, str]):
        self.keywords = {text: name for text, name in words.items() if name in accepted}
        self.prefixes = sorted(self.keywords.items(), key=lambda pair: -len(pair[0]))
        self.name = "NAME" in accepted
        self.langtag = "LANGTAG" in accepted
        self.langname = "LANGNAME" in accepted
        self.string = "STRING" in accepted
        self.numbers = tuple((name, rx) for name, rx in _NUMBERS if name in accepted)
        self.symbols = sorted(
            ((text, name) for name, text in symbols.items() if name in accepted),
            key=lambda pair: -len(pair[0]),
        )


class ContextualLexer(Lexer):
    """Lark's custom-lexer interface (`Lark(lexer=ContextualLexer)`)."""

    __future_interface__ = 2

    def __init__(self, conf: Any) -> None:
        strings = {t.name: t.pattern.value for t in conf.terminals if t.pattern.type == "str"}
        ignored = {t.pattern.value for t in conf.terminals if t.name in conf.ignore}
        regexps = {t.name for t in conf.terminals if t.pattern.type == "re"} - set(conf.ignore)
        # A terminal, or something skipped, that this lexer does not know: do not guess.
        if not regexps <= _TERMINALS or ignored != _IGNORED:
            raise NoToken(f"terminals {sorted(regexps - _TERMINALS)}, skipping {ignored}")
        self._words = {text: name for name, text in strings.items() if _WORD.fullmatch(text)}
        self._symbols = {name: text for name, text in strings.items() if text not in self._words}
        self._terminals = set(strings) | regexps
        self._states: dict[Any, _State] = {}

    def _state(self, parser_state: Any) -> _State:
        position = parser_state.position
        found = self._states.get(position)
        if found is None:
            accepted = set(parser_state.parse_conf.states[position]) & self._terminals
            found = self._states[position] = _State(accepted, self._words, self._symbols)
        return found

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        text_slice = lexer_state.text
        text, pos, end = text_slice.text, text_slice.start, text_slice.end
        assert isinstance(text, str)
        while True:
            skipped = _SKIP.match(text, pos, end)
            if skipped:
                pos = skipped.end()
            if pos >= end:
                return
            state = self._state(parser_state)
            char = text[pos]
            kind: str | None = None
            stop = pos
            if char.isalpha() or char == "_":
                word = _WORD.match(text, pos, end)
                if word is None:
                    raise NoToken(pos)
                value, stop = word.group(), word.end()
                two_lower = len(value) == 2 and _LOWER_PAIR.fullmatch(value) is not None
                if state.langtag and two_lower and _QUOTE_AHEAD.match(text, stop, end):
                    kind = "LANGTAG"
                elif value in state.keywords:
                    kind = state.keywords[value]
                elif state.name:
                    kind = "NAME"
                elif state.langname and two_lower:
                    kind = "LANGNAME"
                else:  # no name here: Lark reads an accepted keyword the word starts with
                    for keyword, name in state.prefixes:
                        if value.startswith(keyword):
                            kind, stop = name, pos + len(keyword)
                            break
            elif char == '"':
                found = _STRING.match(text, pos, end) if state.string else None
                if found is not None:
                    kind, stop = "STRING", found.end()
            elif char.isdigit() or char == "-":
                for name, pattern in state.numbers:
                    found = pattern.match(text, pos, end)
                    if found is not None:
                        kind, stop = name, found.end()
                        break
            else:
                for symbol, name in state.symbols:
                    if text.startswith(symbol, pos, end):
                        kind, stop = name, pos + len(symbol)
                        break
            if kind is None:
                raise NoToken(pos)
            yield Token(kind, text[pos:stop], pos, None, None, None, None, stop)
            pos = stop
