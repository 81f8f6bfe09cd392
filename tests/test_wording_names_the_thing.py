"""Messages that name what the user gave: the batch file (not "(the case)"), and a list
named to screen against that the policy does not have (not "the policy has no entities
list")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import kspolicy
from kspolicy.service import core, screening
from kspolicy.service.models import ScreenName, ScreenRequest
from kspolicy.service.problems import ProblemError
from kspolicy.tools.cli import main

from .test_screen_cli import _run

LISTS = "the policy's entities lists are HORIZON_IA_EXCLUDED, SANCTIONED_PARTIES, SEVEN_SONS"


def test_eval_batch_folder_names_the_batch_file_not_the_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--batch", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: --batch {tmp_path}: it is a folder, not a file [KSP401]\n"
    assert "(the case)" not in err


def test_eval_batch_missing_file_names_the_batch_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "cases.jsonl"
    assert main(["eval", "--batch", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: --batch {missing}: no such file [KSP401]\n"


def test_eval_batch_dash_with_standard_input_closed_names_the_batch(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    assert main(["eval", "--batch", "-"]) == 2
    assert capsys.readouterr().err.startswith("error: --batch -: standard input is closed")


@pytest.mark.parametrize(
    ("named", "said"),
    [
        ("FOO", f"unknown entities list `FOO`: {LISTS}"),
        ("SEVEN_SON", f"unknown entities list `SEVEN_SON`: did you mean `SEVEN_SONS`? ({LISTS})"),
        ("RISK_COUNTRIES", f"`RISK_COUNTRIES` is a codes list, not an entities list: {LISTS}"),
    ],
)
def test_screen_unknown_list_says_it_is_unknown_and_lists_the_ones_there_are(
    named: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["screen", "name", "HIT", "--list", named], capsys)
    assert (code, out, err) == (2, "", f"error: {said}\n")
    snapshot = core.make_snapshot(kspolicy.load(), 1)
    with pytest.raises(ProblemError) as refused:
        screening.check(snapshot, ScreenRequest([ScreenName("HIT")], [named]))
    [place] = refused.value.problem.errors
    assert (place.path, place.message) == ("lists[0]", said)  # the service's words too
