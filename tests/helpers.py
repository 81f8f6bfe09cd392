"""Build policies for tests from text, on top of the shared fixture schema."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import kspolicy
from kspolicy.eval.fastpath import FastPath
from kspolicy.eval.runtime import Program, Traced
from kspolicy.limits import DEFAULT

from .conftest import FIXTURES, ROOT

HEADER = 'policy test version "1"\nimport "schema.pol"\nlists "lists/*.toml"\n'


def fixture_policy(
    tmp_path: Path,
    body: str,
    extra_lists: str | None = None,
    limits: kspolicy.Limits = DEFAULT,
) -> kspolicy.Policy:
    """A policy made of the common fixture schema and lists, plus `body` (rules...)."""
    shutil.copy(FIXTURES / "common" / "schema.pol", tmp_path / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", tmp_path / "lists", dirs_exist_ok=True)
    if extra_lists:
        (tmp_path / "lists" / "extra.toml").write_text(extra_lists, encoding="utf-8")
    (tmp_path / "policy.pol").write_text(HEADER + body, encoding="utf-8")
    return kspolicy.load(tmp_path, limits=limits)


def fired(decision: kspolicy.Decision) -> list[str]:
    return [r.rule for r in decision.fired]


def pending(decision: kspolicy.Decision) -> list[str]:
    return [r.rule for r in decision.pending]


def benchmark_modules() -> tuple[Any, Any]:
    """The peer benchmark's workload generator (vendored in benchmarks/) and kspolicy's
    translation of it to kspolicy, imported from benchmarks/ without leaving it on sys.path."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import workload  # type: ignore[import-not-found]
        import workload_kspolicy  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return workload, workload_kspolicy


def fast_path(policy: kspolicy.Policy) -> FastPath:
    """The fast runner a loaded policy decides with (for its generated code)."""
    runner = policy._program.runner
    assert isinstance(runner, FastPath)
    return runner


def traced_program(policy: kspolicy.Policy) -> Program:
    """A loaded policy's program, with the traced evaluation as its runner."""
    program = policy._program
    runner = Traced(program.policy, program.rules)
    return Program(program.policy, program.rules, program.entries, runner, program.limits)
