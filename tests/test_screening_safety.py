"""No name of a case reaches a regular expression or generated code unescaped.

Screening folds names with fixed patterns and compares them as data: a name made of
regular-expression syntax or Python code is only text. Each name below would show it
otherwise: `.*` would match anything, `(a+)+$` on a long run of a's would backtrack for
minutes, and the code would run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kspolicy.screening
from kspolicy.screening import Entity, ScreeningIndex, compare

HOSTILE = [
    ".*",
    "(a+)+$",
    "[^]]|\\1(?P<x>",
    "__import__('os').system('exit 3')",
    "'); import os; os._exit(3); ('",
    "{0.__class__}",
    "${name} %s %(x)s",
    "\\d+ \\w* \\",
    "\x00 \u202e \ufeff",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_name_of_regex_or_python_syntax_is_only_text(name: str) -> None:
    assert compare(name, "Huawei Technologies Co., Ltd.").band == "none"
    assert compare(name, name).band in ("match", "none")  # equal to itself, or no letters
    assert compare("Huawei", name, kind="person").band == "none"


def test_a_backtracking_pattern_as_a_name_takes_no_time() -> None:
    # Used as a pattern, `(a+)+$` against 40 a's and a b would take longer than any test run.
    assert compare("(a+)+$", "a" * 40 + "b").band == "none"


def test_hostile_names_in_an_index_are_text_too() -> None:
    index = ScreeningIndex(Entity(f"e{n}", name) for n, name in enumerate(HOSTILE))
    for name in HOSTILE:
        for candidate in index.query(name, lowest="none"):
            assert candidate.entity.name in HOSTILE


def test_screening_never_compiles_or_runs_anything_made_from_a_name() -> None:
    # Every regular expression is a constant, and nothing is compiled or evaluated.
    package = Path(kspolicy.screening.__file__).parent
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                assert name not in ("eval", "exec", "__import__"), (path, node.lineno)
                of_re = (
                    isinstance(func, ast.Attribute)
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "re"
                )
                assert name != "compile" or of_re, (path, node.lineno)
                if of_re:
                    assert node.args and isinstance(node.args[0], ast.Constant), (path, node.lineno)
