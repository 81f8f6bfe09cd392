"""A record that contains itself, directly or through other records or lists, is refused
by the checker (KSP226), at the field that closes the cycle: a case's records must nest
finitely, and reading a case of such a policy went round the cycle without end (a
RecursionError traceback from `kspolicy eval`, while `kspolicy check` found nothing).

docs/language.md, "Records and the schema" and "KSP226".
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import KSP226, Diagnostic, PolicyError
from kspolicy.tools.cli import main

HEADER = """\
policy p version "1"

decision {
  verdict: scale clear < review
}

rule r cite "s" when some_flag then verdict >= review because "b"
"""


def policy(folder: Path, body: str) -> Path:
    """A policy folder whose policy declares `body` and a flag for its one rule."""
    (folder / "policy.pol").write_text(HEADER + body)
    return folder


def refusals(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code.number == KSP226.number]


SELF = "record R { name: text  kids: list of R = [] }\nschema { r: R  some_flag: bool }\n"


def test_a_record_that_contains_itself_is_refused_by_check(tmp_path: Path) -> None:
    folder = policy(tmp_path, SELF)
    diagnostics = kspolicy.check(folder)
    [problem] = refusals(diagnostics)
    assert problem.is_error
    assert "R.kids -> R" in problem.message
    assert problem.span.text.startswith("kids")
    assert problem.help is not None and "text id" in problem.help
    # The cycle is the only problem: no knock-on error about the field it dropped.
    assert [d for d in diagnostics if d.is_error] == [problem]


def test_a_record_holding_itself_directly_is_refused_by_check(tmp_path: Path) -> None:
    folder = policy(
        tmp_path, "record R { name: text  next: R }\nschema { r: R  some_flag: bool }\n"
    )
    [problem] = refusals(kspolicy.check(folder))
    assert "R.next -> R" in problem.message
    assert problem.span.text.startswith("next")
    assert "`next_id: text`" in (problem.help or "")


def test_a_record_that_contains_itself_through_another_record_is_refused_by_check(
    tmp_path: Path,
) -> None:
    folder = policy(
        tmp_path,
        "record R { s: S }\nrecord S { rs: list of R as r_each = [] }\n"
        "schema { r: R  some_flag: bool }\n",
    )
    [problem] = refusals(kspolicy.check(folder))
    assert "R.s -> S.rs -> R" in problem.message
    assert problem.span.text.startswith("rs")
    assert "`rs_id: list of text`" in (problem.help or "")


def test_each_cycle_among_records_is_refused_once(tmp_path: Path) -> None:
    # Two cycles sharing a record, and records held in many places that hold no cycle.
    folder = policy(
        tmp_path,
        "record A { b: B  c: C  a2: list of A = [] }\nrecord B { a: A  d: D  d2: D }\n"
        "record C { d: D  d2: D }\nrecord D { x: int }\n"
        "schema { a: A  some_flag: bool }\n",
    )
    problems = refusals(kspolicy.check(folder))
    assert sorted(p.message.split("(")[1] for p in problems) == [
        "A.a2 -> A)",
        "A.b -> B.a -> A)",
    ]


def test_load_refuses_a_record_that_contains_itself(tmp_path: Path) -> None:
    folder = policy(tmp_path, SELF)
    with pytest.raises(PolicyError) as raised:
        kspolicy.load(folder / "policy.pol")
    assert [d.code.number for d in raised.value.diagnostics if d.is_error] == [KSP226.number]


def test_eval_of_a_policy_with_a_record_holding_itself_gives_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = policy(tmp_path, SELF)
    case = tmp_path / "c.json"
    case.write_text("{}")
    code = main(["eval", "--policy", str(folder / "policy.pol"), str(case)])
    captured = capsys.readouterr()
    assert code != 0
    assert "KSP226" in captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
    assert "R.kids -> R" in captured.out + captured.err
