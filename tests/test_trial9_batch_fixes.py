"""What a new user's trial (session 9, main at 5f1790f) found in `eval --batch`, `eval`,
`--fields`, `screen --country` and `prove --property`: a misspelt CSV column rejected
every row alike instead of stopping at the header; a case file given as a batch rejected
each of its lines as "not valid JSON"; a missing case file was said as the case's
problem; `trl = 4.0` got no hint; `--fields` named one unknown field at a time; the
country's option went unnamed; a property file's errors came out of the file's order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import CaseError
from kspolicy.tools.cli import main

from .conftest import ROOT

PACK = ROOT / "policies" / "knowledge-security"
EXAMPLE_CASE = ROOT / "examples" / "cases" / "european-defence-fund-call.toml"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ---- 1. a misspelt CSV column ----------------------------------------------------------


def test_badcol_csv_misspelt_column_stops_the_batch_at_line_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Was: `0 decided, 2002 rejected`, exit 0, the same did-you-mean 2,002 times.
    source = tmp_path / "badcol.csv"
    source.write_text("partners[0].countri,project.trl\n" + "CN,3\n" * 2_002)
    out_file = tmp_path / "bc.jsonl"
    code, out, err = _run(["eval", "--batch", str(source), "--out", str(out_file)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"{source}:1: error: the header line has 1 problem\n"
        "  column 1 (`partners[0].countri`): unknown field 'countri' in `partners[0]`;"
        " did you mean 'country'? [KSP403]\n"
    )
    assert not out_file.exists()


def test_badcol_csv_every_column_naming_no_field_is_said_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "badcols.csv"
    source.write_text("projct.trl,project.trl.x,partners[0].country\n3,1,CN\n")
    code, _, err = _run(["eval", "--batch", str(source)], capsys)
    assert code == 2
    assert "the header line has 2 problems" in err
    assert "column 1 (`projct.trl`): unknown field 'projct'; did you mean 'project'?" in err
    assert "column 2 (`project.trl.x`): `project.trl` holds a value, not fields" in err
    assert "column 3" not in err


def test_badcol_csv_as_of_and_known_columns_are_read_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `as_of` is a case's date, not a fact of the schema: still a column a CSV may have.
    source = tmp_path / "good.csv"
    source.write_text("partners[0].country,project.trl,as_of\nCN,3,2025-01-01\n")
    code, out, err = _run(["eval", "--batch", str(source)], capsys)
    assert code == 0 and err == "1 decided, 0 rejected\n"
    assert "decision" in json.loads(out)


# ---- 2. one case file given as a batch -------------------------------------------------


def test_european_defence_fund_call_toml_as_a_batch_is_refused_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Was: `0 decided, 12 rejected`, each "not valid JSON: Expecting value".
    code, out, err = _run(["eval", "--batch", str(EXAMPLE_CASE)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"error: --batch {EXAMPLE_CASE}: a batch is JSON lines (.jsonl), a case a line, or"
        " CSV (.csv), a case a row; this is one case file: decide it with"
        f" `kspolicy eval {EXAMPLE_CASE}` [KSP401]\n"
    )


def test_european_defence_fund_call_json_as_a_batch_is_refused_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = {"project": {"trl": 4, "dual_use": "none"}, "partners": [{"country": "FR"}]}
    source = tmp_path / "one.json"
    source.write_text(json.dumps(case, indent=2) + "\n")
    code, out, err = _run(["eval", "--batch", str(source)], capsys)
    assert (code, out) == (2, "")
    assert "this is one case file: decide it with `kspolicy eval" in err
    assert err.count("\n") == 1


def test_a_json_batch_whose_first_line_is_json_is_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The rule for .json: refused only when its first line is not JSON and the whole
    # file is one object; JSON lines named .json, or a broken one, are read line by line.
    lines = tmp_path / "lines.json"
    lines.write_text('{"project": {"trl": 3}}\n{"project": {"trl": 4}}\n')
    assert _run(["eval", "--batch", str(lines)], capsys)[2] == "2 decided, 0 rejected\n"
    broken = tmp_path / "broken.json"
    broken.write_text('{\n"project": {"trl": 3}}\n{"project": {"trl": 4}}\n')
    code, out, err = _run(["eval", "--batch", str(broken)], capsys)
    assert code == 0 and err == "1 decided, 2 rejected\n"
    assert [json.loads(line)["line"] for line in out.splitlines()] == [1, 2, 3]


# ---- 3. a missing case file ------------------------------------------------------------


@pytest.mark.parametrize("command", ["eval", "explain"])
def test_eval_nope_toml_is_a_file_error_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # Was: "the case has 1 problem / (the case): no such file".
    missing = tmp_path / "nope.toml"
    code, out, err = _run([command, str(missing)], capsys)
    assert (code, out) == (2, "")
    assert err == f"error: cannot read the case file {missing}: no such file [KSP401]\n"


# ---- 4. a whole number written 4.0 -----------------------------------------------------


def test_trl_4_0_says_write_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CaseError) as refused:
        kspolicy.load().evaluate({"project": {"trl": 4.0}})
    [problem] = refused.value.problems
    assert problem.message == "expected a whole number, got 4.0 (a number): write 4"
    case = tmp_path / "case.toml"
    case.write_text("[project]\ntrl = 4.0\n")
    code, _, err = _run(["eval", str(case)], capsys)
    assert code == 2 and "project.trl: expected a whole number, got 4.0 (a number): write 4" in err
    # A fraction is no whole number written otherwise: no hint to write one.
    with pytest.raises(CaseError) as fraction:
        kspolicy.load().evaluate({"project": {"trl": 4.5}})
    assert fraction.value.problems[0].message.endswith("got 4.5 (a number)")


# ---- 5. --fields -----------------------------------------------------------------------


def test_fields_outcome_nope_names_every_unknown_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "cases.jsonl"
    batch.write_text('{"project": {"trl": 3}}\n')
    code, out, err = _run(["eval", "--batch", str(batch), "--fields", "outcome,nope"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith(
        "error: --fields: a decision has no fields `outcome` (did you mean `outcomes`?)"
        " and `nope`; the compact form's fields: format, "
    )


def test_fields_line_says_line_is_always_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Was: "did you mean `headline`?".
    batch = tmp_path / "cases.jsonl"
    batch.write_text('{"project": {"trl": 3}}\n')
    for fields in ("line", "line,outcomes"):
        code, _, err = _run(["eval", "--batch", str(batch), "--fields", fields], capsys)
        assert code == 2
        assert "--fields: `line` is written on every line, with or without --fields" in err
        assert "headline" not in err.split(";")[0]


# ---- 6. screen --country ---------------------------------------------------------------


def test_screen_name_hit_country_cn_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["screen", "name", "HIT", "--country", "cn"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("error: --country: 'cn' is not a country code")
    assert err.endswith("did you mean 'CN'?\n")


# ---- 7. prove --property ---------------------------------------------------------------

ORDER = """\
title = "order"
given = ["project.trll >= 3"]
[change]
"project.trrl" = "up"
"partners.countri" = "up"
[expect]
verdikt = "b >= a"
verdict = "<= notfy"
risk = "b > a"
"""


def test_prove_property_errors_are_listed_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("z3")
    # Was: lines 2, 7, 8, 9, 4, 5 (the conditions, then [expect], then [change]).
    file = tmp_path / "order.toml"
    file.write_text(ORDER)
    code, out, err = _run(["prove", "--property", str(file), str(PACK), "-k", "1"], capsys)
    assert (code, out) == (2, "")
    places = [line.split(": ")[0] for line in err.splitlines() if line.startswith(str(file))]
    lines = [int(place.split(":")[-2]) for place in places]
    assert lines == [2, 4, 5, 7, 8, 9]


def test_prove_property_misspelt_bound_code_is_underlined_in_its_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("z3")
    file = tmp_path / "bound.toml"
    file.write_text('title = "bound"\n[expect]\nrisk = "<= hihg"\n')
    code, _, err = _run(["prove", "--property", str(file), str(PACK), "-k", "1"], capsys)
    assert code == 2
    assert err.startswith(f"{file}:3:12: error: expect `risk`: 'hihg' is not a code of it\n")
    assert '3 | risk = "<= hihg"\n  |            ^^^^\n' in err
    assert "help: did you mean `high`?" in err
