"""Batch evaluation: every case gets its line, in order; a bad case never stops the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kspolicy
from kspolicy import CaseError, Decision
from kspolicy.cli import main

from .conftest import ROOT

CASES = sorted((ROOT / "examples" / "cases").glob("*.toml"))


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def cases(pack: kspolicy.Policy) -> list[dict[str, object]]:
    return [{**pack.read_case(path)[0], "as_of": "2026-01-15"} for path in CASES]


def test_evaluate_many_keeps_the_order_and_reports_bad_cases_in_place(
    pack: kspolicy.Policy,
) -> None:
    good = cases(pack)
    mixed = [good[0], {"partners": [{"country": "XX"}]}, good[1], 42, good[2]]
    results = list(pack.evaluate_many(mixed))
    assert [type(r).__name__ for r in results] == [
        "Decision",
        "CaseError",
        "Decision",
        "CaseError",
        "Decision",
    ]
    assert results[0] == pack.evaluate(good[0])
    assert (
        isinstance(results[1], CaseError) and results[1].problems[0].path == "partners[0].country"
    )


def test_workers_give_the_same_decisions(pack: kspolicy.Policy) -> None:
    data = cases(pack) * 3 + [{"project": {"trl": "high"}}]
    alone = list(pack.evaluate_many(data))
    together = list(pack.evaluate_many(iter(data), workers=2))
    assert [
        r.to_dict() if isinstance(r, Decision) else [str(p) for p in r.problems] for r in together
    ] == [r.to_dict() if isinstance(r, Decision) else [str(p) for p in r.problems] for r in alone]


def test_the_cli_batch_from_json_lines(
    pack: kspolicy.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cases.jsonl"
    lines = [json.dumps(c, default=str) for c in cases(pack)[:3]]
    source.write_text("\n".join([lines[0], "{not json", lines[1], "", lines[2]]) + "\n")
    out = tmp_path / "decisions.jsonl"
    assert main(["eval", "--batch", str(source), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["line"] for r in records] == [1, 2, 3, 5]
    assert "decision" in records[0] and "not valid JSON" in records[1]["error"][0]
    assert records[2]["decision"]["outcomes"] == pack.evaluate(cases(pack)[1]).to_dict()["outcomes"]
    assert "3 decided, 1 rejected" in capsys.readouterr().err


def test_the_cli_batch_from_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "cases.csv"
    source.write_text(
        "institution,as_of,project.topics,partners.0.name,partners.0.country,partners.0.military_ties,project.trl\n"
        'UGent,2026-01-15,"[""robotics.drones""]",Example University,CN,true,4\n'
        "VUB,2026-01-15,,,,,12\n"
    )
    assert main(["eval", "--batch", str(source)]) == 0
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["line"] == 2 and first["decision"]["outcomes"]["verdict"] == "review"
    assert second["line"] == 3 and second["error"] == ["project.trl: 12 is not between 1 and 9"]


def test_batch_arguments(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["eval"]) == 2
    assert "give a CASE file or --batch FILE" in capsys.readouterr().err
    assert main(["eval", "--batch", str(tmp_path / "none.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_a_line_nested_too_deep_or_with_a_huge_number_is_reported_in_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found in session 2: a deeply nested line made json.loads raise RecursionError,
    # and the whole batch stopped with a traceback.
    lines = [
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"project": {"trl": 3}}',
        '{"project": {"trl": ' + "9" * 5000 + "}}",
    ]
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["eval", "--batch", str(source), "--out", str(out)]) == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in results] == [1, 2, 3]
    assert results[0]["error"] == ["not valid JSON: it nests too deep to read"]
    assert "decision" in results[1]
    assert results[2]["error"] == ["not valid JSON: a whole number has more than 4,300 digits"]


def test_a_line_larger_than_a_case_may_be_is_rejected_unread(tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    big = json.dumps({"project": {"title": "x" * 500}})
    source.write_text(big + '\n{"project": {"trl": 3}}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["eval", "--batch", str(source), "--out", str(out), "--limit", "max_case_bytes=200"]
    assert main(args) == 0
    first, second = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert first["error"] == [f"the line is {len(big)} characters; a case may have 200"]
    assert "decision" in second
