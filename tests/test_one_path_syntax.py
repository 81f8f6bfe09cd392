"""Issue 12 (one place per concept, fact paths): every path the project writes is in
the one syntax, `partners[0].country`. The older `partners.0.country` is still read
(tests/test_paths.py, tests/test_batch.py); the project's own files no longer write it."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kspolicy.paths import format_path, parse_path

from .conftest import ROOT


def _test_files() -> list[Path]:
    return sorted(
        p
        for folder in ("policies", "examples")
        for p in (ROOT / folder).rglob("*.toml")
        if "tests" in p.relative_to(ROOT).parts
    )


def _written_paths(test: dict[str, object]) -> Iterator[str]:
    """The fact paths a policy test writes: its changes' keys, its open questions, its
    expected error's path."""
    changes = test.get("changes")
    if isinstance(changes, dict):
        yield from changes
    for key in ("expect", "never"):
        expect = test.get(key)
        if isinstance(expect, dict):
            questions = expect.get("open_questions", [])
            yield from (q for q in questions if isinstance(q, str))
    error = test.get("error")
    if isinstance(error, str):
        yield error


def test_the_pack_s_tests_are_found() -> None:
    names = {p.name for p in _test_files()}
    assert "scenarios.toml" in names


@pytest.mark.parametrize("path", _test_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_scenarios_write_paths_in_brackets(path: Path) -> None:
    tests = tomllib.loads(path.read_text(encoding="utf-8")).get("test", [])
    for test in tests:
        for written in _written_paths(test):
            assert format_path(parse_path(written)) == written, f"{test.get('name')}: {written}"
