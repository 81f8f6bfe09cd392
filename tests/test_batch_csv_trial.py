"""What a new user's trial of `eval --batch` with CSV files found: a semicolon-separated
file rejected every row as unknown fields; rows of empty cells got no output line; a CSV
piped to `--batch -` gave a "not valid JSON" per line and a process substitution was
refused; header errors read as a case's; a cell's type mistakes did not say how to write
the value."""

from __future__ import annotations

import io
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy.tools.batch import HeaderError, read_batch
from kspolicy.tools.cli import main


def _run(
    tmp_path: Path, name: str, content: bytes | str, *extra: str
) -> tuple[int, list[dict[str, Any]]]:
    source = tmp_path / name
    source.write_bytes(content.encode() if isinstance(content, str) else content)
    out = tmp_path / "out.jsonl"
    code = main(["eval", "--batch", str(source), "--out", str(out), "--fields", "outcomes", *extra])
    lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
    return code, [json.loads(line) for line in lines]


def test_semi_csv_is_refused_at_its_header_saying_columns_are_separated_by_commas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # printf 'project.trl;partners[0].country\n3;CN\n4;BE\n' > semi.csv: every row was
    # rejected ("project.trl;partners: unknown field") and the batch exited 0.
    code, records = _run(tmp_path, "semi.csv", "project.trl;partners[0].country\n3;CN\n4;BE\n")
    err = capsys.readouterr().err
    assert code == 2 and records == []
    assert err.startswith(f"{tmp_path / 'semi.csv'}:1: error: the header line has 1 problem\n")
    assert "column 1 (`project.trl;partners[0].country`): a column's name holds `;`" in err
    assert "separated by commas" in err and "save it as CSV with commas" in err
    assert "unknown field" not in err and "(the case)" not in err
    # A tab-separated file is told the same, naming the tab.
    assert _run(tmp_path, "tabs.csv", "project.trl\tinstitution\n3\tUGent\n")[0] == 2
    assert "a column's name holds a tab" in capsys.readouterr().err


def test_csv_rows_of_empty_cells_each_get_an_output_line_and_the_counts_add_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 3,000 rows gave "2957 decided, 0 rejected": the 43 rows of empty cells were
    # dropped, and a program joining the results back by line lost them.
    rows = ["3,CN" if n % 7 else "," for n in range(300)]
    code, records = _run(
        tmp_path, "cases.csv", "project.trl,partners[0].country\n" + "\n".join(rows) + "\n"
    )
    assert code == 0
    assert [r["line"] for r in records] == list(range(2, 302))
    assert all("decision" in r for r in records)
    assert capsys.readouterr().err.endswith("300 decided, 0 rejected\n")
    # An empty row is decided as the JSON line `{}` is.
    empty = tmp_path / "empty.jsonl"
    empty.write_text("{}\n")
    assert main(["eval", "--batch", str(empty), "--fields", "outcomes"]) == 0
    from_json = json.loads(capsys.readouterr().out)["decision"]
    assert records[0]["decision"] == from_json
    # A blank line holds no row, as in JSON lines.
    assert list(read_batch(_write(tmp_path, "b.csv", "project.trl\n3\n\n4\n"))) == [
        (2, {"project": {"trl": 3}}),
        (4, {"project": {"trl": 4}}),
    ]


def test_csv_rows_with_too_few_or_too_many_cells_are_both_refused(tmp_path: Path) -> None:
    # A row short of a cell was read with the cells it had, into the first columns (a cell
    # lost in the middle shifts the rest into the wrong facts), while a row with one too
    # many was refused. Both are refused now; stray empty cells past the end are allowed.
    content = "project.trl,partners[0].country,institution\n3,CN\n4,BE,UGent,extra\n5,BE,UGent,,\n"
    code, records = _run(tmp_path, "cases.csv", content)
    assert code == 0
    assert [r.get("error") for r in records] == [
        ["the row has 2 cells; the header names 3 columns"],
        ["the row has 4 cells; the header names 3 columns"],
        None,
    ]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


CSV = "project.trl,partners[0].country\n3,CN\n4,BE\n"


def test_cat_cases_csv_to_batch_stdin_stops_at_the_header_saying_stdin_takes_json_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `cat cases.csv | kspolicy eval --batch -` gave 3,001 "not valid JSON" lines, exit 0.
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(CSV.encode())))
    assert main(["eval", "--batch", "-"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("error: --batch -: line 1 is not JSON but looks like a CSV header")
    assert "`--batch -` reads JSON lines" in err and "`--batch cases.csv`" in err


def test_a_csv_named_other_than_csv_is_told_to_be_renamed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, records = _run(tmp_path, "cases.txt", "\n" + CSV)
    assert code == 2 and records == []
    err = capsys.readouterr().err
    assert "line 2 is not JSON but looks like a CSV header" in err
    assert "rename it to cases.csv" in err
    # JSON lines that are not cases are still rejected in their place, not taken for CSV.
    code, records = _run(tmp_path, "cases.jsonl", '"project.trl"\nproject.trl\n{}\n')
    assert code == 0 and [("error" in r) for r in records] == [True, True, False]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_batch_process_substitution_of_cases_jsonl_is_read_as_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--batch <(cat cases.jsonl)` was refused ("a named pipe (FIFO), not a file") though
    # `--out` writes into one: a pipe is now read as a stream of JSON lines, as `-` is.
    pipe = tmp_path / "cases"
    os.mkfifo(pipe)

    def feed(data: bytes) -> None:
        with pipe.open("wb") as writer:  # waits for the batch to open its end
            writer.write(data)

    lines = b'{"project": {"trl": 3}}\n{"project": {"trl": 4}}\n'
    feeding = threading.Thread(target=feed, args=(lines,), daemon=True)
    feeding.start()
    assert main(["eval", "--batch", str(pipe), "--fields", "outcomes"]) == 0
    feeding.join(10)
    out, err = capsys.readouterr()
    assert [json.loads(line)["line"] for line in out.splitlines()] == [1, 2]
    assert err == "2 decided, 0 rejected\n"
    # A CSV through a pipe stops at its header, saying how to give one.
    feeding = threading.Thread(target=feed, args=(CSV.encode(),), daemon=True)
    feeding.start()
    assert main(["eval", "--batch", str(pipe)]) == 2
    feeding.join(10)
    assert "a pipe reads JSON lines" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"project.trl,\xff\n3,4\n",
            "  not UTF-8 text (line 1, column 13): save the file as UTF-8",
        ),
        (b"project.trl,\n3,4\n", "  column 2: has no name; a column is a fact path such as"),
    ],
)
def test_u16_csv_header_errors_read_as_errors_of_the_header_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    # Was `u16.csv:1: error: the case has 1 problem` / `(the case): the header: not
    # UTF-8 ...`: the header line is not a case.
    code, _ = _run(tmp_path, "u16.csv", content)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"{tmp_path / 'u16.csv'}:1: error: the header line has 1 problem\n")
    assert f"\n{message}" in err and "the case" not in err
    # The API raises it as a CaseError still, saying the same.
    with pytest.raises(HeaderError, match="the header line has 1 problem") as raised:
        read_batch(tmp_path / "u16.csv")
    assert isinstance(raised.value, kspolicy.CaseError)


def test_csv_cells_typed_wrong_say_how_to_write_the_value(tmp_path: Path) -> None:
    # A cell that parses as JSON is read as JSON: `123` for a name is a number, `True`
    # or `yes` for a yes/no fact is a text, `EU,US` for a list is a text.
    content = (
        "partners[0].name,project.shares_outside_eu,project.topics\n"
        '123,True,"ai,quantum"\n'
        '"""123""",yes,"[""ai"",""quantum""]"\n'
        '"""123""",true,\n'
    )
    code, records = _run(tmp_path, "cases.csv", content)
    assert records[0]["error"] == [
        'project.topics: expected a list, got \'ai,quantum\' (a text): write ["ai", "quantum"],'
        " or in a CSV file columns `project.topics[0]`, `project.topics[1]`...",
        "project.shares_outside_eu: expected true or false, got 'True' (a text): write true"
        " or false (in lower case, without quotes)",
        'partners[0].name: expected a text, got 123 (a whole number): write "123" to give it'
        " as a text",
    ]
    assert records[1]["error"] == [
        "project.shares_outside_eu: expected true or false, got 'yes' (a text): write true"
        " or false (in lower case, without quotes)",
    ]
    assert "decision" in records[2]


def test_json_cases_typed_wrong_say_how_to_write_the_value_in_json_words() -> None:
    policy = kspolicy.load("policies/knowledge-security")
    case = {"partners": [{"name": True}], "project": {"shares_outside_eu": 1, "topics": "ai"}}
    with pytest.raises(kspolicy.CaseError) as raised:
        policy.evaluate(case)
    assert sorted(str(p) for p in raised.value.problems) == [
        'partners[0].name: expected a text, got true (true/false): write "true" to'
        " give it as a text",
        "project.shares_outside_eu: expected true or false, got 1 (a whole number): write"
        " true or false (in lower case, without quotes)",
        "project.topics: expected a list, got 'ai' (a text): write [\"ai\"], or in a CSV"
        " file columns `project.topics[0]`, `project.topics[1]`...",
    ]
