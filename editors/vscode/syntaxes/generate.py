"""Write kspolicy.tmLanguage.json from the grammar's keywords (kspolicy.lsp.words).

Run after a keyword is added to grammar/kspolicy.lark:
`python editors/vscode/syntaxes/generate.py`. tests/test_textmate.py fails while the
committed grammar differs from what this writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kspolicy.lsp import words

HERE = Path(__file__).resolve().parent
TARGET = HERE / "kspolicy.tmLanguage.json"


def _alternatives(found: Iterable[str]) -> str:
    # Longest first, so that a word is never cut short by a shorter one it starts with.
    return r"\b(?:" + "|".join(sorted(found, key=lambda w: (-len(w), w))) + r")\b"


def grammar() -> dict[str, Any]:
    """The TextMate grammar: texts, comments and numbers as the grammar's terminals,
    the grammar's keywords by kind, and every other word a name."""
    keywords = words.keywords()
    items = [w for w in keywords if w in words.item_keywords()]
    other = [
        w
        for w in keywords
        if w not in words.LITERAL_WORDS and w not in words.OPERATOR_WORDS and w not in items
    ]
    return {
        "name": "kspolicy",
        "scopeName": "source.kspolicy",
        "fileTypes": ["pol"],
        "patterns": [
            {"include": "#comment"},
            {"include": "#text"},
            {"include": "#literal"},
            {"include": "#keyword"},
            {"include": "#name"},
            {"include": "#operator"},
            {"include": "#punctuation"},
            # A character the language does not have (the parser's KSP102): marked, so
            # that it stands out, and still scoped.
            {"name": "invalid.illegal.kspolicy", "match": r"\S"},
        ],
        "repository": {
            "comment": {"name": "comment.line.number-sign.kspolicy", "match": "#.*$"},
            "text": {
                "patterns": [
                    {
                        # A language tag: two letters right before a text, as in the grammar.
                        "name": "entity.other.attribute-name.language.kspolicy",
                        "match": r'\b[a-z]{2}(?=\s*")',
                    },
                    {
                        "name": "string.quoted.double.kspolicy",
                        "begin": '"',
                        "end": '"',
                        "beginCaptures": {
                            "0": {"name": "punctuation.definition.string.begin.kspolicy"}
                        },
                        "endCaptures": {
                            "0": {"name": "punctuation.definition.string.end.kspolicy"}
                        },
                        "patterns": [
                            {"name": "constant.character.escape.kspolicy", "match": r"\\."}
                        ],
                    },
                ]
            },
            "literal": {
                "patterns": [
                    {"name": "constant.numeric.date.kspolicy", "match": r"\b\d{4}-\d{2}-\d{2}\b"},
                    {"name": "constant.numeric.decimal.kspolicy", "match": r"-?\b\d+\.\d+\b"},
                    {"name": "constant.numeric.integer.kspolicy", "match": r"-?\b\d+\b"},
                    {
                        "name": "constant.language.boolean.kspolicy",
                        "match": _alternatives(words.LITERAL_WORDS),
                    },
                ]
            },
            "keyword": {
                "patterns": [
                    {"name": "keyword.control.item.kspolicy", "match": _alternatives(items)},
                    {
                        "name": "keyword.operator.word.kspolicy",
                        "match": _alternatives(words.OPERATOR_WORDS),
                    },
                    {"name": "storage.type.kspolicy", "match": _alternatives(words.TYPE_WORDS)},
                    {"name": "keyword.other.kspolicy", "match": _alternatives(other)},
                ]
            },
            "name": {
                "patterns": [
                    {
                        "name": "variable.other.constant.list.kspolicy",
                        "match": r"\b[A-Z][A-Z0-9_]+\b",
                    },
                    {"name": "entity.name.type.kspolicy", "match": r"\b[A-Z][A-Za-z0-9_]*\b"},
                    {"name": "variable.other.kspolicy", "match": r"\b[a-z_][A-Za-z0-9_]*\b"},
                ]
            },
            "operator": {
                "name": "keyword.operator.kspolicy",
                "match": r"\.\.|>=|<=|==|!=|\+=|[<>=]",
            },
            "punctuation": {
                "patterns": [
                    {"name": "punctuation.separator.kspolicy", "match": "[,:]"},
                    {"name": "punctuation.accessor.kspolicy", "match": r"\."},
                    {"name": "punctuation.section.braces.kspolicy", "match": "[{}]"},
                    {"name": "punctuation.section.parens.kspolicy", "match": "[()]"},
                    {"name": "punctuation.section.brackets.kspolicy", "match": r"[\[\]]"},
                ]
            },
        },
    }


def text() -> str:
    """The grammar as the committed file holds it."""
    return json.dumps(grammar(), indent=2) + "\n"


if __name__ == "__main__":
    TARGET.write_text(text(), encoding="utf-8")
