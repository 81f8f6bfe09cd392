"""The language's words, read from grammar/kspolicy.lark: the one list editors use.

The grammar writes a keyword as a word in quotes (`"rule"`, `"when"`); every such word
is a keyword where the grammar expects it (the lexer is contextual, so `title` is also
a field name elsewhere). Completion, the Pygments lexer and the tests of the TextMate
grammar take their keywords from here, so a keyword added to the grammar reaches all of
them, or fails the test that says which highlighter misses it.
"""

from __future__ import annotations

import re
from functools import cache

from ..lang.parser import ITEM_KEYWORDS, grammar_text

_QUOTED_WORD = re.compile(r'"([a-z]+)"')

LITERAL_WORDS = frozenset({"true", "false"})
"""The keywords that are values."""

OPERATOR_WORDS = frozenset({"and", "or", "not", "in", "is", "matches", "known", "unknown"})
"""The keywords that join or test conditions."""

TYPE_WORDS = ("bool", "int", "decimal", "text", "date")
"""The built-in scalar types (names, not keywords, in the grammar)."""


@cache
def keywords() -> tuple[str, ...]:
    """Every keyword of the grammar, sorted."""
    words = set()
    for line in grammar_text().splitlines():
        code = line.split("//", 1)[0]
        words.update(_QUOTED_WORD.findall(code))
    return tuple(sorted(words))


def item_keywords() -> tuple[str, ...]:
    """The keywords that start an item (`rule`, `define`...)."""
    return ITEM_KEYWORDS
