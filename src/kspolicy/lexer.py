"""A fast contextual lexer for the policy grammar: the next token, given the parser's state.

Lark's contextual lexer (a scanner per parser state, a Token with line and column
counted for every piece of text) was over half the time to parse a large policy. This
one reads a word, a number, a text or a symbol with one regular expression each, and
decides its terminal from what the parser accepts in its current state, as Lark's
does: a keyword where the parser accepts that keyword, else a name; `en "..."` a
language tag (priority 3 in the grammar); dates before decimals before whole numbers
(their priorities); the longest symbol the state accepts.

It serves lalr.py's reader, which is only ever the first attempt: at anything this
lexer cannot read (`NoToken`), or a syntax error, parser.py parses the item again with
Lark's own lexer and parser, so every diagnostic is Lark's.
tests/test_parser_positions.py checks that both read the same.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

# White space and comments, then a word if one comes next: one call for most tokens.
_SKIP_WORD = re.compile(r"(?:[ \t\f\r\n]+|#[^\n]*)*([A-Za-z_][A-Za-z0-9_]*)?")
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

END = "$END"
"""The terminal `Scanner.scan` gives at the end of the text (Lark's name for it)."""


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

    symbols: dict[str, list[tuple[str, str]]]

    def __init__(self, accepted: set[str], words: dict[str, str], symbols: dict[str, str]):
        self.keywords = {text: name for text, name in words.items() if name in accepted}
        self.prefixes = sorted(self.keywords.items(), key=lambda pair: -len(pair[0]))
        self.name = "NAME" in accepted
        self.langtag = "LANGTAG" in accepted
        self.langname = "LANGNAME" in accepted
        self.string = "STRING" in accepted
        self.numbers = tuple((name, rx) for name, rx in _NUMBERS if name in accepted)
        # By first character, longest first (`>=` before `>`).
        self.symbols = {}
        for text, name in sorted(
            ((text, name) for name, text in symbols.items() if name in accepted),
            key=lambda pair: -len(pair[0]),
        ):
            self.symbols.setdefault(text[0], []).append((text, name))


class Scanner:
    """Reads one token at a time; what it may be depends on the parser's state.

    `terminals` are Lark's terminal definitions (`Lark.terminals`), `ignored` the names
    of those skipped between tokens, `accepted` what each parser state accepts (the
    keys of its row in the parse table). Raises NoToken if the grammar has a terminal,
    or skips something, that this lexer does not know: it does not guess.
    """

    def __init__(
        self,
        terminals: Iterable[Any],
        ignored: Collection[str],
        accepted: Mapping[int, Collection[str]],
    ) -> None:
        terminals = list(terminals)
        # Lark's names are Token objects, whose `==` is a Python call: plain texts here.
        strings = {str(t.name): str(t.pattern.value) for t in terminals if t.pattern.type == "str"}
        skipped = {t.pattern.value for t in terminals if t.name in ignored}
        regexps = {str(t.name) for t in terminals if t.pattern.type == "re"} - set(ignored)
        if not regexps <= _TERMINALS or skipped != _IGNORED:
            raise NoToken(f"terminals {sorted(regexps - _TERMINALS)}, skipping {skipped}")
        words = {text: name for name, text in strings.items() if _WORD.fullmatch(text)}
        symbols = {name: text for name, text in strings.items() if text not in words}
        known = set(strings) | regexps
        self._states = {
            state: _State({str(name) for name in names} & known, words, symbols)
            for state, names in accepted.items()
        }

    def scan(self, text: str, pos: int, end: int, state: int) -> tuple[str, int, int]:
        """The token after `pos` (and any white space and comments): its terminal, start
        and end; `(END, end, end)` when only white space and comments are left."""
        found = _SKIP_WORD.match(text, pos, end)
        assert found is not None  # it matches everywhere, if only nothing
        stop = found.end()
        value = found[1]
        accepts = self._states[state]
        if value is not None:
            pos = stop - len(value)
            two_lower = len(value) == 2 and _LOWER_PAIR.fullmatch(value) is not None
            if accepts.langtag and two_lower and _QUOTE_AHEAD.match(text, stop, end):
                return "LANGTAG", pos, stop
            keyword = accepts.keywords.get(value)
            if keyword is not None:
                return keyword, pos, stop
            if accepts.name:
                return "NAME", pos, stop
            if accepts.langname and two_lower:
                return "LANGNAME", pos, stop
            # No name here: Lark reads an accepted keyword that the word starts with.
            for prefix, name in accepts.prefixes:
                if value.startswith(prefix):
                    return name, pos, pos + len(prefix)
            raise NoToken(pos)
        pos = stop
        if pos >= end:
            return END, end, end
        char = text[pos]
        if char == '"':
            string = _STRING.match(text, pos, end) if accepts.string else None
            if string is not None:
                return "STRING", pos, string.end()
        elif char.isdigit() or char == "-":
            for name, pattern in accepts.numbers:
                number = pattern.match(text, pos, end)
                if number is not None:
                    return name, pos, number.end()
        else:
            for symbol, name in accepts.symbols.get(char, ()):
                if text.startswith(symbol, pos, end):
                    return name, pos, pos + len(symbol)
        raise NoToken(pos)
