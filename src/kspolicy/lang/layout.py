"""Where the items and comments of a policy file are: the file's layout.

A file is split into items at lines that start with an item keyword (`rule`,
`define`, `enum`...), outside texts in quotes and comments, so that each item is parsed
on its own and a syntax error stops only its own item. Texts in quotes and comments are
recognised by the grammar's own terminals (`STRING`, `COMMENT`), taken from the Lark
parser the caller gives: the grammar stays the one definition of both.
"""

from __future__ import annotations

import re
from functools import cache

import lark

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
"""The words an item starts with, at the start of a line."""

_INK = re.compile(r"\S")
"""Anything but white space: a range without it holds no item."""


@cache
def _item_scan(parser: lark.Lark) -> re.Pattern[str]:
    """Texts in quotes, comments and item starts, for `layout`: the texts and comments
    as the grammar defines them. A text never closed runs to the end of the file."""
    terminals = {t.name: t.pattern.to_regexp() for t in parser.terminals}
    return re.compile(
        rf'(?P<text>{terminals["STRING"]}|"(?s:.*))'
        rf"|(?P<comment>{terminals['COMMENT']})"
        r"|(?P<item>^[ \t]*(?:" + "|".join(ITEM_KEYWORDS) + r")(?![A-Za-z0-9_]))",
        re.MULTILINE,
    )


def layout(
    text: str, parser: lark.Lark
) -> tuple[list[tuple[int, int]], list[tuple[str, int, int]]]:
    """Where each item starts and ends, and each comment (its text, start and end), in
    one pass over the text, with the terminals of `parser`'s grammar. Text before the
    first item is a range of its own, unless it is only comments and white space."""
    starts: list[int] = []
    comments: list[tuple[str, int, int]] = []
    for match in _item_scan(parser).finditer(text):
        if match.lastgroup == "item":
            starts.append(match.start())
        elif match.lastgroup == "comment":
            comments.append((match.group(), match.start(), match.end()))
    if not starts or text[: starts[0]].strip() and not _only_comments(text[: starts[0]]):
        starts.insert(0, 0)
    bounds = starts + [len(text)]
    ranges = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if _INK.search(text, a, b)]
    return ranges, comments


def first_ink(text: str, start: int, end: int) -> int:
    """Where the first character that is not white space lies in `text[start:end]`
    (`end` if none): where an item's first token starts, when the range holds an item."""
    found = _INK.search(text, start, end)
    return found.start() if found is not None else end


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())
