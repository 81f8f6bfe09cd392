"""The Pygments lexer for policy files, registered as `kspolicy` by entry point.

Installed with kspolicy, it lets Pygments (and so Sphinx, MkDocs and Markdown renderers
that use it) colour ```` ```kspolicy ```` blocks and `.pol` files. Its keywords are the
grammar's (`words.keywords`); its texts, comments, dates and numbers follow the
grammar's terminals, so every policy file lexes without an error token (a test runs it
on every .pol file of the project).
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from . import words as policy_words

_OTHER_KEYWORDS = tuple(
    w
    for w in policy_words.keywords()
    if w not in policy_words.LITERAL_WORDS and w not in policy_words.OPERATOR_WORDS
)


class PolicyLexer(RegexLexer):
    """Policy files of the kspolicy language (`.pol`)."""

    name = "kspolicy"
    aliases: ClassVar[list[str]] = ["kspolicy", "pol"]
    filenames: ClassVar[list[str]] = ["*.pol"]
    mimetypes: ClassVar[list[str]] = ["text/x-kspolicy"]
    url = "https://pypi.org/project/kspolicy/"

    tokens: ClassVar[dict[str, list[object]]] = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            # A language tag is two letters right before a text, as in the grammar.
            (r'[a-z]{2}(?=\s*")', Name.Attribute),
            (r'"(\\.|[^"\\])*"', String.Double),
            (r"\d{4}-\d{2}-\d{2}", Number.Other),
            (r"-?\d+\.\d+", Number.Float),
            (r"-?\d+", Number.Integer),
            (words(tuple(policy_words.LITERAL_WORDS), suffix=r"\b"), Keyword.Constant),
            (words(tuple(policy_words.OPERATOR_WORDS), suffix=r"\b"), Operator.Word),
            (words(policy_words.TYPE_WORDS, suffix=r"\b"), Keyword.Type),
            (words(_OTHER_KEYWORDS, suffix=r"\b"), Keyword),
            (r"[A-Z][A-Z0-9_]+\b", Name.Constant),
            (r"[A-Za-z_][A-Za-z0-9_]*", Name),
            (r"\.\.|>=|<=|==|!=|\+=|[<>=]", Operator),
            (r"[{}(),:.\[\]]", Punctuation),
            # An unclosed text runs to the end, as the parser reads it.
            (r'"(?s:.*)', String.Double),
            (r".", Text),
        ],
    }
