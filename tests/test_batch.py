"""Batch evaluation: every case gets its line, in order; a bad case never stops the rest."""

from __future__ import annotations

import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import CaseError, Decision
from kspolicy.tools.batch import Unreadable, read_batch
from kspolicy.tools.cli import main

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
    # Any: 42 is not a case on purpose, the batch reports it in its place.
    mixed: list[Any] = [good[0], {"partners": [{"country": "XX"}]}, good[1], 42, good[2]]
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


def test_workers_give_the_same_decisions(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kspolicy.policy.CHUNK", 4)  # chunks to the workers, not one
    monkeypatch.setattr("kspolicy.policy.STARTING", 0)  # the workers decide, not this process
    data = cases(pack) * 3 + [{"project": {"trl": "high"}}]
    alone = list(pack.evaluate_many(data))
    together = list(pack.evaluate_many(iter(data), workers=2))
    assert [
        r.to_dict(detail="full") if isinstance(r, Decision) else [str(p) for p in r.problems]
        for r in together
    ] == [
        r.to_dict(detail="full") if isinstance(r, Decision) else [str(p) for p in r.problems]
        for r in alone
    ]


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
    assert results[0]["error"] == ["the case nests more than 64 levels deep (max_depth)"]
    assert results[0]["codes"] == ["KSP407"]  # as `kspolicy eval` says of such a file
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
    assert first["error"] == [f"the line is {len(big)} bytes; a case may have 200 (max_case_bytes)"]
    assert "decision" in second


# ---- issue 11: batch input read line by line, within a budget, from a regular file --------


def run_batch(
    tmp_path: Path, name: str, content: bytes | str, *extra: str
) -> tuple[int, list[dict[str, Any]]]:
    source = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    source.write_bytes(content)
    out = tmp_path / "out.jsonl"
    code = main(["eval", "--batch", str(source), "--out", str(out), *extra])
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return code, records


def test_a_batch_jsonl_with_a_xff_byte_reports_that_line_and_decides_the_rest(
    tmp_path: Path,
) -> None:
    # Found in issue 11: UnicodeDecodeError, and no output at all.
    content = b'{"project": {"trl": 3}}\n{"project": {"title": "\xff"}}\n{"project": {"trl": 4}}\n'
    code, records = run_batch(tmp_path, "cases.jsonl", content)
    assert code == 0
    assert [r["line"] for r in records] == [1, 2, 3]
    assert records[1]["error"] == ["not UTF-8 text (column 24): save the file as UTF-8"]
    assert "decision" in records[0] and "decision" in records[2]


def test_a_batch_line_that_is_a_json_string_is_a_bad_line_never_a_path(tmp_path: Path) -> None:
    # Found in issue 11: the string was taken for the path of a case file, so a batch
    # could make the engine read any local file.
    secret = tmp_path / "secret.json"
    secret.write_text('{"project": {"trl": 9}}')
    lines = [json.dumps(str(secret)), "[1, 2]", "null", '{"project": {"trl": 3}}']
    code, records = run_batch(tmp_path, "cases.jsonl", "\n".join(lines) + "\n")
    assert code == 0
    assert [r.get("error") for r in records[:3]] == [
        ["each line must be a JSON object (a case), not a text"],
        ["each line must be a JSON object (a case), not a list"],
        ["each line must be a JSON object (a case), not null"],
    ]
    assert "decision" in records[3]


def test_a_batch_line_is_not_read_whole_before_its_size_check(tmp_path: Path) -> None:
    # Found in issue 11: a line was read into memory whole, then measured. A 64 MB line
    # now costs a chunk of memory, not 64 MB (and under the old code, well over that).
    source = tmp_path / "cases.jsonl"
    with source.open("wb") as handle:
        handle.write(b'{"project": {"title": "')
        for _ in range(64):
            handle.write(b"x" * (1 << 20))
        handle.write(b'"}}\n{"project": {"trl": 3}}\n')
    tracemalloc.start()
    try:
        read = list(read_batch(source, kspolicy.Limits()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20
    assert [number for number, _ in read] == [1, 2]
    too_long = read[0][1]
    assert isinstance(too_long, Unreadable) and too_long.code.number == "KSP406"
    assert too_long.message.startswith(f"the line is {(64 << 20) + 26:,} bytes")
    assert read[1][1] == {"project": {"trl": 3}}


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="/dev/zero")
@pytest.mark.parametrize("kind", ["dev-zero", "folder"])  # a FIFO is read as a stream
def test_a_batch_file_that_is_not_a_regular_file_is_refused_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    source = tmp_path / "cases.jsonl"
    if kind == "dev-zero":
        source.symlink_to("/dev/zero")
    else:
        source.mkdir()
    assert main(["eval", "--batch", str(source)]) == 2
    what = {"dev-zero": "a device", "folder": "a folder"}[kind]
    assert f"it is {what}, not a file [KSP401]" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("header", "column", "message"),
    [
        (
            "institution,institution.x",
            "institution.x",
            "header column 2: puts a field inside `institution`, which column 1 "
            "(`institution`) gives a value [KSP401]",
        ),
        (
            "partners.name,partners.0.name",
            "partners.0.name",
            "header column 2: makes `partners` a list, but column 1 (`partners.name`) makes it "
            "a table; a list's elements are numbered 0, 1, 2... [KSP401]",
        ),
        (
            "partners.100000000.name",
            "partners.100000000.name",
            "header column 1: index 100,000,000 is past the 1,000 elements a list may have "
            "(max_items); number the elements from 0 [KSP409]",
        ),
        (
            "partners.1.name,partners.01.name",
            "partners.01.name",
            "header column 2: names the same fact as column 1 (`partners.1.name`) [KSP401]",
        ),
        (
            "partners.0,partners.0.name",
            "partners.0.name",
            "header column 2: puts a field inside `partners[0]`, which column 1 "
            "(`partners.0`) gives a value [KSP401]",
        ),
        (
            "partners[0],partners[0].name",
            "partners[0].name",
            "header column 2: puts a field inside `partners[0]`, which column 1 "
            "(`partners[0]`) gives a value [KSP401]",
        ),
        (
            "partners[1].name,partners.1.name",
            "partners.1.name",
            "header column 2: names the same fact as column 1 (`partners[1].name`) [KSP401]",
        ),
        (
            "partners[x].name",
            "partners[x].name",
            "header column 1: `[x]` is not an index: an index is a whole number from 0; "
            "a column is a fact path such as `partners[0].country` [KSP401]",
        ),
        (
            "partners[0",
            "partners[0",
            "header column 1: `partners[0` has a `[` that is not closed; a column is a fact "
            "path such as `partners[0].country` [KSP401]",
        ),
        ("0.name", "0.name", "header column 1: a path starts with a field name, such as"),
        ("[0].name", "[0].name", "header column 1: `[0]` has no field name before its `[`"),
        (
            "project..trl",
            "project..trl",
            "header column 1: the path has an empty part between dots",
        ),
        ("project.trl,", "", "header column 2: has no name"),
    ],
)
def test_csv_headers_that_name_no_case_are_reported_once_naming_the_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], header: str, column: str, message: str
) -> None:
    # Found in issue 11: `institution,institution.x` gave a TypeError,
    # `partners.x,partners.0.name` a KeyError, `partners.100000000.name` a MemoryError
    # after 3.9 GB. Now the header is checked once, before any row.
    source = tmp_path / "cases.csv"
    cells = ",".join("1" for _ in header.split(","))
    source.write_text(header + "\n" + (cells + "\n") * 50)
    assert main(["eval", "--batch", str(source)]) == 2
    err = capsys.readouterr().err
    # Said of the header line, naming the column (it read as a case's problems before).
    assert err.startswith(f"{source}:1: error: the header line has 1 problem\n")
    number, said = message.removeprefix("header column ").split(": ", 1)
    named = f" (`{column}`)" if column else ""
    assert f"\n  column {number}{named}: {said}" in err
    assert err.count("\n  column ") == 1 and "the case" not in err


def test_csv_columns_may_come_in_any_order_and_leave_elements_out(tmp_path: Path) -> None:
    source = tmp_path / "cases.csv"
    header = "partners.2.country,partners.0.name,project.topics.1,project.topics.0,project.trl"
    source.write_text(f'{header}\nCN,Example University,robotics,"""ai""",4\n,,,,\n,,,,5\n')
    assert list(read_batch(source)) == [
        (
            2,
            {
                "partners": [{"name": "Example University"}, {}, {"country": "CN"}],
                "project": {"topics": ["ai", "robotics"], "trl": 4},
            },
        ),
        (3, {}),  # a row of empty cells: a case of which nothing is known, as `{}`
        (4, {"project": {"trl": 5}}),
    ]


def test_csv_rows_with_problems_are_reported_in_place(tmp_path: Path) -> None:
    content = (
        b"project.trl,institution\n"
        b"3,UGent\n"
        b"\xff,UGent\n"
        b"4,VUB,extra\n"
        b'"5","multi\nline"\n'
        b"6,KU Leuven\n"
    )
    code, records = run_batch(tmp_path, "cases.csv", content)
    assert code == 0
    assert [r["line"] for r in records] == [2, 3, 4, 5, 7]
    assert records[1]["error"] == ["not UTF-8 text (line 3, column 1): save the file as UTF-8"]
    assert records[2]["error"] == ["the row has 3 cells; the header names 2 columns"]
    # A quoted cell over two lines is one row, numbered by the line it starts on.
    assert records[3]["error"] == [
        "institution: 'multi\\nline' is not an institution of the guideline"
    ]
    assert "decision" in records[0] and "decision" in records[4]


def test_a_csv_line_longer_than_a_case_may_be_is_reported_in_place(tmp_path: Path) -> None:
    content = "project.trl,institution\n3," + "x" * 500 + "\n4,VUB\n"
    code, records = run_batch(tmp_path, "cases.csv", content, "--limit", "max_case_bytes=200")
    assert [r["line"] for r in records] == [2, 3]
    assert records[0]["error"] == ["the line is 502 bytes; a case may have 200 (max_case_bytes)"]
    assert "decision" in records[1]


def test_a_byte_order_mark_does_not_hide_the_first_line(tmp_path: Path) -> None:
    code, records = run_batch(tmp_path, "cases.jsonl", b'\xef\xbb\xbf{"project": {"trl": 3}}\n')
    assert "decision" in records[0]
    code, records = run_batch(tmp_path, "cases.csv", b"\xef\xbb\xbfproject.trl\n3\n")
    assert "decision" in records[0]


def test_a_batch_line_nested_deeper_than_the_limit_is_reported_in_place(tmp_path: Path) -> None:
    deep = '{"project": {"topics": ' + "[" * 70 + "]" * 70 + "}}"
    code, records = run_batch(tmp_path, "cases.jsonl", deep + "\n")
    assert records[0]["error"] == ["the case nests more than 64 levels deep (max_depth)"]


def test_a_batch_output_that_cannot_be_written_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text('{"project": {"trl": 3}}\n')
    out = tmp_path / "no-such-folder" / "out.jsonl"
    assert main(["eval", "--batch", str(source), "--out", str(out)]) == 2
    assert f"cannot write {out}: there is no folder {out.parent}" in capsys.readouterr().err


def test_a_csv_row_over_many_lines_larger_than_a_case_ends_the_file_there(
    tmp_path: Path,
) -> None:
    # Each line is short, but a quoted cell goes on: the row is cut at the budget, and
    # since what follows is inside that cell, nothing after it is taken for a row.
    source = tmp_path / "cases.csv"
    source.write_text('project.trl,institution\n3,"' + "x\n" * 5000 + '"\n4,VUB\n')
    (number, unread), *rest = read_batch(source, kspolicy.Limits(max_case_bytes=1000))
    assert number == 2 and rest == []
    assert isinstance(unread, Unreadable) and unread.code.number == "KSP406"
    assert unread.message == (
        "the row holds more than 1,000 bytes, the most a case may have (max_case_bytes); "
        "the lines after it are not read"
    )


def test_a_csv_column_into_an_element_an_earlier_column_left_unknown(tmp_path: Path) -> None:
    """Found by the case fuzzer: `x.1` first filled `x.0` with an unknown element, and
    `x.0.country` then tried to set a field of it (TypeError). The element becomes a
    table; the schema then judges the case as usual."""
    path = tmp_path / "cases.csv"
    path.write_text("partners.1,partners.0.country\nBE,CN\n", encoding="utf-8")
    ((line, case),) = list(read_batch(path))
    assert (line, case) == (2, {"partners": [{"country": "CN"}, "BE"]})


def test_csv_headers_read_fact_paths_in_either_form(tmp_path: Path) -> None:
    """`partners[0].name` is the one syntax; headers written as `partners.0.name` before
    it still read, to the same case."""
    rows = 'CN,Example University,robotics,"""ai""",4\n'
    bracketed, dotted = tmp_path / "bracketed.csv", tmp_path / "dotted.csv"
    bracketed.write_text(
        "partners[2].country,partners[0].name,project.topics[1],project.topics[0],project.trl\n"
        + rows
    )
    dotted.write_text(
        "partners.2.country,partners.0.name,project.topics.1,project.topics.0,project.trl\n" + rows
    )
    expected = {
        "partners": [{"name": "Example University"}, {}, {"country": "CN"}],
        "project": {"topics": ["ai", "robotics"], "trl": 4},
    }
    assert list(read_batch(bracketed)) == list(read_batch(dotted)) == [(2, expected)]


def test_a_batch_line_holding_nan_is_rejected_as_a_case_file_is(tmp_path: Path) -> None:
    # NaN and Infinity are not JSON: a case file refuses them (KSP401), and so does a
    # batch line now, as the service's /v1/batch does; before, NaN reached the schema.
    content = (
        '{"project": {"trl": NaN}}\n{"project": {"trl": -Infinity}}\n{"project": {"trl": 3}}\n'
    )
    code, records = run_batch(tmp_path, "cases.jsonl", content)
    assert records[0]["codes"] == records[1]["codes"] == ["KSP401"]
    assert records[0]["error"] == ["not valid JSON: NaN is not a number a case may hold"]
    assert records[1]["error"] == ["not valid JSON: -Infinity is not a number a case may hold"]
    assert "decision" in records[2]


def test_a_csv_column_into_a_gap_an_earlier_column_filled_in_another_shape(
    tmp_path: Path,
) -> None:
    """Found by the case fuzzer: `p[1][0]` filled the gap `p[0]` with an empty list, and
    `p[0].a` then set a field of that list (TypeError, a traceback). A gap holds nothing
    known: the element takes the shape the later column gives; the schema then judges."""
    path = tmp_path / "cases.csv"
    path.write_text("p[1][0],p[0].a\n1,2\n", encoding="utf-8")
    ((line, case),) = list(read_batch(path))
    assert (line, case) == (2, {"p": [{"a": 2}, [1]]})
    reversed_path = tmp_path / "reversed.csv"
    reversed_path.write_text("p[1].a,p[0][2]\n1,2\n", encoding="utf-8")
    ((line, case),) = list(read_batch(reversed_path))
    assert (line, case) == (2, {"p": [[None, None, 2], {"a": 1}]})
