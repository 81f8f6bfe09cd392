"""`kspolicy screen` and `POST /v1/screen` read a country as a case's country field is
read (screening/inputs.py, eval/screen.py `policy_countries`), and `screen batch`
refuses unknown fields and reads `-` as standard input, as `eval --batch -` does."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import CaseError
from kspolicy.lang.loader import default_policy_path
from kspolicy.service import core, screening
from kspolicy.service.models import ScreenName, ScreenRequest
from kspolicy.service.problems import ProblemError

from .test_screen_cli import _run


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def _case_words(pack: kspolicy.Policy, country: str) -> str:
    """What `eval` says of a partner from `country`, without the field's path."""
    with pytest.raises(CaseError) as refused:
        pack.evaluate({"partners": [{"name": "Acme", "country": country}]}, as_of="2026-01-15")
    [problem] = refused.value.problems
    return problem.message


@pytest.mark.parametrize("country", ["XX", "ZZ", "cn", "China"])
def test_screen_name_country_xx_zz_and_lowercase_are_refused_as_eval_refuses_them(
    country: str, pack: kspolicy.Policy, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["screen", "name", "HIT", "--country", country], capsys)
    assert (code, out) == (2, "")
    assert err == f"error: --country: {_case_words(pack, country)}\n"
    assert "is not a country code (ISO 3166-1 alpha-2)" in err


def test_screen_name_lowercase_country_says_the_code_it_meant(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, err = _run(["screen", "name", "HIT", "--country", "cn"], capsys)
    assert err.endswith("did you mean 'CN'?\n")
    code, out, _ = _run(["screen", "name", "HIT", "--country", "CN"], capsys)
    assert code == 0 and "SEVEN_SONS: match" in out


def test_screen_review_country_xx_stores_no_review(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "pack"
    shutil.copytree(default_policy_path(), copy)
    before = {p.name: p.read_bytes() for p in (copy / "lists").iterdir()}
    argv = ["screen", "review", "HIT", "--list", "SEVEN_SONS", "--dismiss", "--by", "a"]
    code, out, err = _run([*argv, "--why", "b", "--country", "XX", "--policy", str(copy)], capsys)
    assert (code, out) == (2, "")
    assert "'XX' is not a country code" in err
    assert {p.name: p.read_bytes() for p in (copy / "lists").iterdir()} == before


@pytest.mark.parametrize("country", ["XX", "ZZ", "cn", " cn "])
def test_v1_screen_country_xx_zz_and_lowercase_are_422_with_the_case_words(
    country: str, pack: kspolicy.Policy
) -> None:
    snapshot = core.make_snapshot(pack, 1)
    with pytest.raises(ProblemError) as refused:
        screening.check(snapshot, ScreenRequest([ScreenName("HIT", country)]))
    assert refused.value.problem.status == 422
    [place] = refused.value.problem.errors
    assert (place.path, place.message) == ("names[0].country", _case_words(pack, country))


def test_v1_screen_a_country_a_case_holds_is_screened(pack: kspolicy.Policy) -> None:
    snapshot = core.make_snapshot(pack, 1)
    screening.check(snapshot, ScreenRequest([ScreenName("HIT", "CN")]))  # no error


# ---- screen batch --------------------------------------------------------------------


def test_screen_batch_unknown_field_is_refused_with_its_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "names.jsonl"
    names.write_text(
        '{"name": "Huawei", "country": "CN"}\n'
        '{"name": "HIT", "contry": "CN"}\n'
        '{"name": "ZTE", "country": 12}\n'
        '{"name": "HIT", "country": "CN", "id": 7}\n'
    )
    code, out, err = _run(["screen", "batch", str(names), "--list", "SEVEN_SONS"], capsys)
    assert code == 2
    assert out.splitlines() == [
        f"{names}:1: Huawei: SEVEN_SONS: none",
        f"{names}:2: error: unknown field `contry`: did you mean `country`?",
        f'{names}:3: error: `country` must be a text, as "CN", or left out',
        f"{names}:4: error: unknown field `id`: the fields are name, country",
    ]
    assert err == f"error: {names}: 3 lines not screened\n"


def test_screen_batch_csv_unknown_column_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "names.csv"
    names.write_text("name,contry\nHIT,CN\n")
    code, out, err = _run(["screen", "batch", str(names)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"error: {names}:1: unknown field `contry`: did you mean `country`?"
        " (the columns are name,country)\n"
    )


def test_screen_batch_dash_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = '{"name": "HIT", "country": "CN"}\n{"name": "HIT", "country": "XX"}\n'
    stdin = io.TextIOWrapper(io.BytesIO(lines.encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = _run(["screen", "batch", "-", "--list", "SEVEN_SONS", "--json"], capsys)
    assert code == 2
    first, second = (json.loads(line) for line in out.splitlines())
    assert (first["name"], first["answer"]) == ("HIT", "match")
    assert second == {
        "file": "<stdin>",
        "line": 2,
        "error": "'XX' is not a country code (ISO 3166-1 alpha-2)",
    }


def test_screen_batch_dash_with_standard_input_closed_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    code, out, err = _run(["screen", "batch", "-"], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("error: standard input is closed")
