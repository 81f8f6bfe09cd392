"""`kspolicy screen` as a command with steps (`name`, `batch`, `review`), its short
spellings kept, and argparse's own help and errors for each (docs/screening.md).

Issue 14's closing note: `screen review` was a positional word checked by hand, so
`kspolicy screen --help` mixed the options of both and `screen review --help` did not
exist; a missing option was found after the policy had loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kspolicy.tools.cli import main
from kspolicy.tools.screen import respelled

from .test_screen_language import make_policy


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: --help, or an argument refused
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def policy(tmp_path: Path) -> str:
    make_policy(tmp_path)
    return str(tmp_path / "policy.pol")


def test_screen_review_is_a_subcommand_with_its_own_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(["screen", "review", "--help"], capsys)
    assert code == 0
    assert out.startswith("usage: kspolicy screen review ")
    for option in ("--list LIST", "--confirm", "--dismiss", "--by WHO", "--why WHY", "--entry"):
        assert option in out, option
    assert "--as-of" not in out and "--batch" not in out  # the other steps' options


def test_screen_help_lists_the_steps_and_the_short_forms(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(["screen", "--help"], capsys)
    assert code == 0
    for step in ("name", "batch", "review"):
        assert f"kspolicy screen {step} " in out
    assert "kspolicy screen NAME" in out and "kspolicy screen --batch FILE" in out
    code, out, _ = _run(["screen", "name", "--help"], capsys)
    assert code == 0 and "--country CC" in out and "--confirm" not in out


def test_the_short_spellings_read_as_the_steps(
    policy: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "names.csv"
    batch.write_text("name,country\nHIT,\nAcme Rockets,RU\n", encoding="utf-8")
    same = [
        (["screen", "HIT", "--country", "IN"], ["screen", "name", "HIT", "--country", "IN"]),
        (["screen", "--country", "IN", "HIT"], ["screen", "name", "HIT", "--country", "IN"]),
        (["screen", "--batch", str(batch)], ["screen", "batch", str(batch)]),
        (["screen", "--json", f"--batch={batch}"], ["screen", "batch", str(batch), "--json"]),
    ]
    for old, new in same:
        old_result = _run([*old, "--policy", policy], capsys)
        assert old_result[0] == 0, old_result
        assert old_result == _run([*new, "--policy", policy], capsys), old
    code, out, _ = _run(["screen", "HIT", "--country", "IN", "--policy", policy], capsys)
    assert out == "HIT: LISTED: none\n"


def test_review_after_an_option_is_still_the_review_step() -> None:
    assert respelled(["screen", "--policy", "p", "review", "HIT", "--list", "L"]) == [
        "screen", "review", "--policy", "p", "HIT", "--list", "L",
    ]  # fmt: skip
    # the value of an option is no step: a policy folder named `review`
    assert respelled(["screen", "--policy", "review", "HIT"])[:2] == ["screen", "name"]
    # a name that is a step's word is screened by writing the step
    assert respelled(["screen", "name", "review"]) == ["screen", "name", "review"]
    # other commands pass as they are
    assert respelled(["eval", "HIT", "--batch", "x"]) == ["eval", "HIT", "--batch", "x"]


def test_review_through_the_old_spelling_records_the_answer(
    policy: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "answers.toml"
    argv = ["--list", "LISTED", "--dismiss", "--by", "j.doe", "--why", "Hitachi"]
    code, out, err = _run(
        ["screen", "--policy", policy, "review", "HIT", *argv, "--file", str(answers)], capsys
    )
    assert code == 0, err
    assert out.startswith(f"{answers}: HIT dismissed as Harbin Institute of Technology on LISTED")
    code, out, err = _run(
        ["screen", "review", "HIT", *argv, "--policy", policy, "--file", str(answers), "--json"],
        capsys,
    )
    assert code == 0, err
    recorded = json.loads(out)
    assert recorded["file"] == str(answers) and recorded["ruling"] == "dismissed"
    assert answers.read_text(encoding="utf-8").count("[[ADJUDICATIONS.entries]]") == 2


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["screen"], "the following arguments are required: STEP"),
        (["screen", "review", "HIT", "--list", "LISTED"], "required: --by, --why"),
        (
            ["screen", "review", "HIT", "--list", "LISTED", "--by", "a", "--why", "b"],
            "one of the arguments --confirm --dismiss is required",
        ),
        (
            ["screen", "review", "HIT", "--list", "A", "--list", "B", "--dismiss"],
            "argument --list: give one list",
        ),
        (
            ["screen", "review", "HIT", "--list", "A", "--confirm", "--dismiss"],
            "argument --dismiss: not allowed with argument --confirm",
        ),
        (
            ["screen", "review", "HIT", "--list", "A", "--confirm", "--by", " ", "--why", "x"],
            "argument --by: say who reviewed",
        ),
        (
            ["screen", "HIT", "--as-of", "2026-13-01"],
            "'2026-13-01' is not a date: write YYYY-MM-DD",
        ),
        (["screen", "--country", "CN"], "screen name: error: the following arguments are required"),
        (["screen", "batch"], "the following arguments are required: FILE"),
        (["screen", "--json", "--batch"], "screen batch: error: the following arguments are"),
    ],
)
def test_bad_arguments_get_argparse_errors_naming_the_fix(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(argv, capsys)
    assert code == 2
    assert out == ""
    assert says in err, err
    assert err.startswith("usage: kspolicy screen")
    assert "Traceback" not in err


def test_a_policy_error_after_parsing_is_a_message(
    policy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["screen", "HIT", "--list", "LISTS", "--policy", policy], capsys)
    assert code == 2 and "did you mean" in err.lower()
    code, _, err = _run(["screen", "batch", "/nonexistent/names.csv", "--policy", policy], capsys)
    assert (code, err) == (2, "error: cannot read /nonexistent/names.csv: no such file\n")


def test_hit_is_no_match_for_huawei_on_the_pack(capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 14's closing note: the pack flagged HIT as a possible Huawei (acronym).
    for argv in (["screen", "HIT"], ["screen", "HIT", "--country", "CN"]):
        code, out, _ = _run(argv, capsys)
        assert code == 0
        assert "HIT: HORIZON_IA_EXCLUDED: none\n" in out, out
    assert "SEVEN_SONS: match: Harbin Institute of Technology" in out
