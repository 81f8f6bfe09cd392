"""The Pygments lexer: found by its entry point, every keyword of the grammar a keyword,
and no error token on any .pol file of the project."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error, Keyword, Operator

from kspolicy.lsp import words
from kspolicy.lsp.lexer import PolicyLexer

REPO = Path(__file__).resolve().parents[1]
SKIPPED = {".git", ".venv", "node_modules"}


def policy_files() -> list[Path]:
    found = []
    for path in sorted(REPO.rglob("*.pol")):
        if SKIPPED & set(path.relative_to(REPO).parts):
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # a fixture that is not UTF-8 on purpose (KSP110)
        found.append(path)
    return found


def test_the_lexer_is_registered_by_entry_point() -> None:
    assert isinstance(get_lexer_by_name("kspolicy"), PolicyLexer)
    assert isinstance(get_lexer_for_filename("policy.pol"), PolicyLexer)


@pytest.mark.parametrize("word", words.keywords())
def test_every_keyword_of_the_grammar_is_a_keyword(word: str) -> None:
    (token, text), *_ = PolicyLexer().get_tokens(f"{word} x")
    assert text == word
    assert str(token).startswith((str(Keyword), str(Operator.Word)))


def test_no_error_token_on_any_policy_file() -> None:
    files = policy_files()
    assert len(files) > 20
    lexer = PolicyLexer()
    for path in files:
        tokens = lexer.get_tokens(path.read_text(encoding="utf-8"))
        errors = [v for t, v in tokens if str(t).startswith(str(Error))]
        assert errors == [], path
