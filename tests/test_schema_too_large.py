"""A schema whose records multiply its fact paths (each holding two of the next) made
`kspolicy check` run for hours (26 levels: 2^26 paths walked by the lints), and a chain of
records longer than the stack ran out of it: both are refused (KSP227) at once."""

from __future__ import annotations

from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import KSP227
from kspolicy.tools.cli import main


def _levels(tmp_path: Path, count: int, fields: str) -> Path:
    lines = ['policy t version "1"']
    for i in range(count - 1):
        lines.append(f"record R{i} {{ {fields.format(next=f'R{i + 1}')} }}")
    lines += [f"record R{count - 1} {{ name: text }}", "schema { top: R0 }"]
    (tmp_path / "policy.pol").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_records_each_holding_two_of_the_next_are_refused_not_walked_for_hours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _levels(tmp_path, 40, "a: {next}  b: {next}")  # 2^40 paths: never walked
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "error[KSP227]: the schema has more than 100,000 fact paths" in out
    assert "1 error found" in out  # the fields' uses are not reported again


def test_a_chain_of_records_longer_than_the_stack_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _levels(tmp_path, 3_000, "next: {next}")
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "records nested 3000 deep, and a case nests at most 64 (max_depth)" in out
    with pytest.raises(kspolicy.PolicyError) as raised:
        kspolicy.load(folder)
    assert [d.code for d in raised.value.diagnostics] == [KSP227]


def test_a_record_held_in_many_places_within_the_bounds_is_accepted(tmp_path: Path) -> None:
    folder = _levels(tmp_path, 10, "a: {next}  b: list of {next}")  # ~2,000 paths, 10 deep
    policy = kspolicy.load(folder)
    assert "top" in policy.schema.root.fields
