"""`kspolicy prove --property FILE` refuses a property file that would prove less than
it says, and says each mistake as `kspolicy check` says a policy's: file, line, column,
code, the line with a caret, the help (the new user's trial, session 8)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import ROOT

pytest.importorskip("z3")

from kspolicy.prove.compare import bound_of  # noqa: E402
from kspolicy.tools.cli import main  # noqa: E402

PACK = ROOT / "policies" / "knowledge-security"


def refused(file: Path, capsys: pytest.CaptureFixture[str], *options: str) -> str:
    """What prove says of a property file it refuses (exit 2, nothing on stdout)."""
    capsys.readouterr()
    code = main(["prove", "--property", str(file), str(PACK), "-k", "1", *options])
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), (code, out, err)
    return err


@pytest.mark.parametrize("format", ["text", "json"])
def test_a_misspelt_list_in_a_change_group_is_refused_not_proved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], format: str
) -> None:
    # b8b.toml: a misspelt list made its group empty, and the weaker property "proved".
    file = tmp_path / "b8b.toml"
    file.write_text(
        'title = "x"\n[change]\n"partners.country" = ["EU_MEMBERS","RISK_COUNTRIESS"]\n'
        '[expect]\nverdict = "b >= a"\n'
    )
    err = refused(file, capsys, "--format", format)
    assert err.startswith(
        f"{file}:3:37: error: change `partners.country`: `RISK_COUNTRIESS` is neither a "
        "list of the policy nor a code of `Country`, so no case would be in its group\n"
    )
    assert "\n3 | " in err and "^" * len("RISK_COUNTRIESS") in err
    assert "help: did you mean `RISK_COUNTRIES`?" in err
    assert "proved" not in err


def test_a_condition_that_does_not_check_is_said_as_check_says_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Was one line: "a condition does not check: `Partner` has no field `kindd`; ...".
    file = tmp_path / "kinds.toml"
    file.write_text(
        'title = "kinds"\ngiven = [\n  "project.dual_use == listed",\n'
        '  "all p in partners: p.kindd != military",\n]\n[expect]\nverdict = "b == a"\n'
    )
    err = refused(file, capsys)
    assert f"{file}:4:25: error[KSP201]: `Partner` has no field `kindd`\n" in err
    assert "help: did you mean `kind`?" in err
    assert "a condition does not check" not in err


def test_a_condition_written_with_escapes_is_said_on_its_keys_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "escaped.toml"
    file.write_text('given = ["project.dual_uses == \\"listed\\""]\n')
    err = refused(file, capsys)
    assert err.startswith(f"{file}:1:1: error[KSP201]: ")


def test_a_title_that_is_not_a_text_is_refused_at_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Was accepted, and printed `5: proved`.
    file = tmp_path / "title.toml"
    file.write_text('given = []\ntitle = 5\n[expect]\nverdict = "b == a"\n')
    err = refused(file, capsys)
    assert err.startswith(f'{file}:2:1: error: `title` is a text: title = "5"\n')


def test_every_rule_cites_that_is_not_true_or_false_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `bool("false")` is True: a text here asked for what it seemed to turn off.
    file = tmp_path / "cites.toml"
    file.write_text('every_rule_cites = "false"\n')
    err = refused(file, capsys)
    assert err.startswith(f"{file}:1:1: error: `every_rule_cites` is true or false\n")


def test_a_bound_of_one_says_element_and_text_in_the_singular() -> None:
    # Was "at most 1 elements ... (and 1 texts ...)".
    one = bound_of(1, None).describe()
    assert "at most 1 element in each list of records (and 1 text nobody names" in one
    three = bound_of(3, None).describe()
    assert "at most 3 elements in each list of records (and 3 texts nobody names" in three


def test_a_policy_with_errors_of_its_own_is_said_at_its_own_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Its errors are found in the copy the conditions are added to: said at the policy's
    # files, not at the copy's (which is gone when they are read).
    policy = tmp_path / "policy"
    shutil.copytree(PACK, policy)
    with (policy / "policy.pol").open("a", encoding="utf-8") as main_file:
        main_file.write("\ndefine broken\n  = project.dual_usage == listed\n")
    file = tmp_path / "p.toml"
    file.write_text('given = ["project.dual_use == listed"]\n')
    capsys.readouterr()
    assert main(["prove", "--property", str(file), str(policy), "-k", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{policy / 'policy.pol'}:" in err and "dual_usage" in err
    assert "kspolicy_property" not in err and str(file) not in err


def test_a_condition_and_a_group_member_wrong_together_are_both_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every mistake at once, as the editor marks them, not one per run.
    file = tmp_path / "both.toml"
    file.write_text(
        'given = ["project.dual_usage == listed"]\n[change]\n'
        '"partners.country" = ["EU_MEMBERS", "RISKY_COUNTRIES"]\n'
    )
    err = refused(file, capsys)
    assert f"{file}:1:19: error[KSP201]: `Project` has no field `dual_usage`\n" in err
    assert f"{file}:3:38: error: change `partners.country`: `RISKY_COUNTRIES` is " in err


def test_misspelt_names_in_change_and_expect_get_did_you_mean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt fact in `[change]`, outcome in `[expect]` or code in a bound was refused
    without the name meant, as `check` names it for a policy."""
    file = tmp_path / "typos.toml"
    file.write_text(
        'title = "typos"\n[change]\n"project.dualuse" = "up"\n'
        '[expect]\nverdictt = "b >= a"\nrisk = "<= hihg"\n'
    )
    err = refused(file, capsys)
    assert "change `project.dualuse`: no such fact in the schema" in err
    assert "help: did you mean `project.dual_use`?" in err
    assert "expect `verdictt`: no scale or set outcome of that name" in err
    assert "help: did you mean `verdict`?" in err
    assert "expect `risk`: 'hihg' is not a code of it" in err
    assert "help: did you mean `high`?" in err
