"""Every error the library raises derives from KspolicyError (issue 15, item 7).

Two ways: the public API driven with bad arguments, and an audit of every `raise` in
src/: a built-in exception raised there must be caught inside the package, and the
list below says where; a new one fails here until it is a KspolicyError or listed.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import ArgumentError, KspolicyError
from kspolicy.paths import PathError, parse_path

from .conftest import ROOT

SRC = ROOT / "src" / "kspolicy"
POLICY = ROOT / "examples" / "policies" / "screening"

# Built-in exceptions raised in src/ that never leave the package, and who catches them.
CAUGHT_INSIDE = {
    ("eval/cases.py", "ValueError"): "json.loads' parse_constant: parse_case catches it",
    ("eval/fastpath.py", "AssertionError"): "an internal invariant of the code generator",
    (
        "eval/contract.py",
        "TypeError",
    ): "an internal invariant: a decision field type without a schema",
    (
        "lang/loader.py",
        "ValueError",
    ): "an internal invariant: observations are written by the loader",
    ("lang/parser.py", "KeyError"): "a lookup its caller catches",
    ("lang/cache.py", "OSError"): "the cache's secret: a cache it cannot trust is not used",
    ("tools/audit.py", "OSError"): "a write that made no progress: append reports it",
    ("tools/audit.py", "ValueError"): "a record nested too deep: the reader reports it",
    ("tools/checkpoint.py", "ValueError"): "checkpoint.read turns it into a KspolicyError",
    ("tools/caseline.py", "ValueError"): "json.loads' parse_constant: read_line catches it",
    ("tools/jsonline.py", "TypeError"): "orjson's default: a JSONEncodeError dumps_made catches",
    ("tools/output.py", "IsADirectoryError"): "caught at once and said in words",
    ("tools/cli.py", "SystemExit"): "the command's exit code",
    ("policy.py", "SystemExit"): "ends a worker re-running an unguarded script: one line",
    ("__init__.py", "AttributeError"): "the facade's lazy names: Python's own for a name it lacks",
    ("eval/decision.py", "AttributeError"): "a field a decision never had: Python's own word",
}


def _raised() -> set[tuple[str, str]]:
    found = set()
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else None
                if name and isinstance(getattr(builtins, name, None), type):
                    found.add((path.relative_to(SRC).as_posix(), name))
    return found


def test_every_builtin_exception_raised_in_src_is_caught_inside() -> None:
    assert _raised() - set(CAUGHT_INSIDE) == set()


def test_policy_evaluate_lang_fr_raises_a_kspolicy_error() -> None:
    policy = kspolicy.load(POLICY)
    with pytest.raises(KspolicyError, match="language 'fr': this policy has en, nl"):
        policy.evaluate({}, lang="fr")
    with pytest.raises(ValueError):  # what code written before caught, it still catches
        policy.evaluate({}, lang="fr")


BAD_CALLS: dict[str, Callable[[], Any]] = {
    "load(123)": lambda: kspolicy.load(123),  # type: ignore[arg-type]
    "check(123)": lambda: kspolicy.check(123),  # type: ignore[arg-type]
    "load(root=5)": lambda: kspolicy.load(POLICY, root=5),  # type: ignore[arg-type]
    "load(limits=5)": lambda: kspolicy.load(POLICY, limits=5),  # type: ignore[arg-type]
    "check(limits=None)": lambda: kspolicy.check(POLICY, limits=None),  # type: ignore[arg-type]
    "load('/nonexistent')": lambda: kspolicy.load("/nonexistent"),
    "evaluate(42)": lambda: kspolicy.load(POLICY).evaluate(42),  # type: ignore[arg-type]
    "evaluate(lang=3)": lambda: kspolicy.load(POLICY).evaluate({}, lang=3),  # type: ignore[arg-type]
    "evaluate(as_of='2026-13-01')": lambda: kspolicy.load(POLICY).evaluate({}, as_of="2026-13-01"),
    "evaluate('nowhere.toml')": lambda: kspolicy.load(POLICY).evaluate("nowhere.toml"),
    "evaluate_many(5)": lambda: list(kspolicy.load(POLICY).evaluate_many(5)),  # type: ignore[arg-type]
    "evaluate_many({})": lambda: list(kspolicy.load(POLICY).evaluate_many({})),
    "read_case([1])": lambda: kspolicy.load(POLICY).read_case([1]),  # type: ignore[arg-type]
    "parse_path('a[')": lambda: parse_path("a["),
}


@pytest.mark.parametrize("call", sorted(BAD_CALLS))
def test_the_public_api_with_bad_arguments_raises_kspolicy_errors(call: str) -> None:
    with pytest.raises(KspolicyError):
        BAD_CALLS[call]()


def test_argument_errors_are_still_value_and_type_errors() -> None:
    assert issubclass(ArgumentError, ValueError) and issubclass(ArgumentError, TypeError)
    assert issubclass(PathError, KspolicyError) and issubclass(PathError, ValueError)


def test_screening_errors_are_kspolicy_errors() -> None:
    from kspolicy.screening._extra import ScreeningUnavailable
    from kspolicy.screening.matching import compare

    assert issubclass(ScreeningUnavailable, KspolicyError)
    with pytest.raises(KspolicyError):
        compare("Acme", "Acme", kind="robot")  # type: ignore[arg-type]
    with pytest.raises(KspolicyError):
        compare(3, "Acme")  # type: ignore[arg-type]


def test_the_audit_finds_a_bare_raise(tmp_path: Path) -> None:
    """The audit is no test that cannot fail: it sees a raise of a built-in."""
    tree = ast.parse("def f():\n    raise ValueError('x')\n")
    raises = [n for n in ast.walk(tree) if isinstance(n, ast.Raise)]
    assert raises and isinstance(raises[0].exc, ast.Call)
    assert ("tools/cli.py", "SystemExit") in _raised()
