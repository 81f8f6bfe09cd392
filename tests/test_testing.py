"""The policy test runner: what it reports, how it fails, what coverage says."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from kspolicy.tools.cli import main

from .conftest import ROOT
from .helpers import fixture_policy

RULES = """
rule mature cite "x" when project.trl >= 7 then verdict >= notify obligations += report because "b"
rule risky cite "x" when partner.country in RISK and partner.military_ties then verdict >= review because "b"
"""

PASSING = """
[[test]]
name = "mature technology is reported"
case = { project = { trl = 8 } }
expect = { verdict = "notify", obligations = ["report"], fired = ["mature"] }
exact = { verdict = "notify", obligations = ["report"] }
never = { obligations = ["licence"] }

[[test]]
name = "a military partner in a risk country is pending until its ties are known"
case = { partners = [{ country = "CN" }] }
expect = { pending = ["risky"], open_questions = ["partners[0].military_ties"] }

[[test]]
name = "a case file, with changes"
case = "cases/iran.toml"
changes = { "partners.0.military_ties" = true }
expect = { verdict = "review", fired = ["risky"] }

[[test]]
name = "a bad country is rejected"
case = { partners = [{ country = "XX" }] }
error = "KSP404"
"""

FAILING = """
[[test]]
name = "expects too much"
case = { project = { trl = 8 } }
expect = { verdict = "review", obligations = ["licence"] }
exact = { obligations = [] }
never = { obligations = ["report"] }

[[test]]
name = "expects an error that does not come"
case = { project = { trl = 2 } }
error = "KSP404"
"""


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    fixture_policy(tmp_path, RULES)
    (tmp_path / "tests" / "cases").mkdir(parents=True)
    (tmp_path / "tests" / "cases" / "iran.toml").write_text('[[partners]]\ncountry = "IR"\n')
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_passing_tests(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (policy_dir / "tests" / "ok.toml").write_text(PASSING)
    code, out, _ = run(capsys, "test", str(policy_dir))
    assert (code, out) == (0, "4 passed, 0 failed\n")


def test_failures_show_the_difference(
    policy_dir: Path, capsys: pytest.CaptureFixture[str], golden: Callable[[Path, str], None]
) -> None:
    (policy_dir / "tests" / "ok.toml").write_text(PASSING)
    (policy_dir / "tests" / "wrong.toml").write_text(FAILING)
    code, out, _ = run(capsys, "test", str(policy_dir))
    assert code == 1
    golden(Path(__file__).parent / "golden" / "policy-test-failures.txt", out)
    assert out.endswith("4 passed, 2 failed\n")


def test_coverage_names_what_no_test_reached(
    policy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (policy_dir / "tests" / "one.toml").write_text(
        '[[test]]\nname = "only maturity"\ncase = { project = { trl = 8 } }\nexpect = { fired = ["mature"] }\n'
    )
    code, out, _ = run(capsys, "test", str(policy_dir), "--coverage")
    assert code == 0
    assert "coverage: 1 of 2 rules fired in a test" in out
    assert "policy.pol:6:1: rule `risky` never fired in a test" in out
    assert (
        "in rule `mature`, `project.trl >= 7` was never false" not in out
    )  # the whole condition is the rule's
    assert out.endswith("1 passed, 0 failed\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[[test]]\nname = "x"\ncase = {}\nexpct = {}\n',
            "unknown key `expct`; did you mean `expect`?",
        ),
        (
            '[[test]]\nname = "x"\ncase = {}\nexpect = { verdcit = "notify" }\n',
            "`expect` names no outcome `verdcit`; did you mean `verdict`?",
        ),
        ('[[test]]\nname = "x"\n', "no `case`"),
        ('[[test]]\nname = "x"\ncase = "nowhere.toml"\n', "no such file"),
        ("[test]\n", "holds `[[test]]` tables only"),
        ("[[test]\n", "not valid TOML"),
        # Once tracebacks: a value of the wrong type, a "digit" int() refuses.
        ('[[test]]\nname = "x"\ncase = {}\nexpect = [1]\n', "`expect` is a table"),
        ('[[test]]\nname = "x"\ncase = {}\nchanges = "trl"\n', "`changes` is a table"),
        ("[[test]]\nname = 3\ncase = {}\n", "`name` is a text"),
        ('[[test]]\nname = "x"\ncase = {}\nlang = 1\n', "`lang` is a text"),
        (
            '[[test]]\nname = "x"\ncase = { partners = [{}] }\n'
            'changes = { "partners.\u00b2.country" = "CN" }\n',
            "the change `partners.\u00b2.country` does not fit the case",
        ),
        (b'[[test]]\nname = "\xff"\ncase = {}\n', "not UTF-8 text"),
    ],
)
def test_bad_test_files(
    policy_dir: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, message: str
) -> None:
    bad = policy_dir / "tests" / "bad.toml"
    bad.write_bytes(content) if isinstance(content, bytes) else bad.write_text(content)
    code, _, err = run(capsys, "test", str(policy_dir))
    assert code == 2 and message in err and "Traceback" not in err


def test_a_test_in_a_language_the_policy_lacks_fails_without_a_traceback(
    policy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (policy_dir / "policy.pol").write_text(
        (policy_dir / "policy.pol")
        .read_text()
        .replace('version "1"', 'version "1"\n  languages en')
    )
    (policy_dir / "tests" / "lang.toml").write_text(
        '[[test]]\nname = "in German"\ncase = {}\nlang = "de"\n'
    )
    code, out, _ = run(capsys, "test", str(policy_dir))
    assert code == 1
    assert "lang 'de': this policy has en" in out and "1 failed" in out


def test_test_reads_a_policy_under_its_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    fixture_policy(shared, RULES)
    folder = tmp_path / "policies" / "one"
    (folder / "tests").mkdir(parents=True)
    (folder / "policy.pol").write_text(
        'policy one version "1"\nimport "../../shared/schema.pol"\n'
        'lists "../../shared/lists/*.toml"\n' + RULES
    )
    (folder / "tests" / "t.toml").write_text(
        '[[test]]\nname = "mature"\ncase = { project = { trl = 8 } }\n'
        'expect = { verdict = "notify" }\n'
    )
    code, _, err = run(capsys, "test", str(folder))
    assert code == 2 and "KSP213" in err
    code, out, _ = run(capsys, "test", str(folder), "--root", str(tmp_path))
    assert code == 0 and out.endswith("1 passed, 0 failed\n")


def test_no_tests_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixture_policy(tmp_path, RULES)
    code, _, err = run(capsys, "test", str(tmp_path))
    assert code == 2 and "no tests: put test files in" in err


EITHER_FORM = """
[[test]]
name = "changes at a bracketed path"
case = "cases/iran.toml"
changes = { "partners[0].military_ties" = true }
expect = { verdict = "review", fired = ["risky"] }

[[test]]
name = "open questions named in the older dotted form"
case = { partners = [{ country = "CN" }] }
expect = { open_questions = ["partners.0.military_ties"] }

[[test]]
name = "the bad field named in the older dotted form"
case = { partners = [{ country = "XX" }] }
error = "partners.0.country"

[[test]]
name = "the bad field named as decisions show it"
case = { partners = [{ country = "XX" }] }
error = "partners[0].country"
"""


def test_policy_tests_read_fact_paths_in_either_form(
    policy_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (policy_dir / "tests" / "paths.toml").write_text(EITHER_FORM)
    code, out, _ = run(capsys, "test", str(policy_dir))
    assert (code, out) == (0, "4 passed, 0 failed\n")
    (policy_dir / "tests" / "never.toml").write_text(
        '[[test]]\nname = "never"\ncase = { partners = [{ country = "CN" }] }\n'
        'never = { open_questions = ["partners.0.military_ties"] }\n'
    )
    code, out, _ = run(capsys, "test", str(policy_dir))
    assert code == 1 and "must not hold [partners[0].military_ties]" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('"partners[0" = 1', "the change `partners[0` is not a fact path: `partners[0` has a"),
        ('"0.country" = 1', "is not a fact path: a path starts with a field name"),
        # Once a KeyError (a digit into a table) or a key 0 quietly set in a table.
        ('"project.0.x" = 1', "the change `project.0.x` does not fit the case"),
        ('"project[0]" = 1', "the change `project[0]` does not fit the case"),
        ('"partners[5].country" = "CN"', "the change `partners[5].country` does not fit"),
        ('"partners.country" = "CN"', "the change `partners.country` does not fit the case"),
    ],
)
def test_changes_that_are_no_path_or_do_not_fit_are_refused_in_words(
    policy_dir: Path, capsys: pytest.CaptureFixture[str], change: str, message: str
) -> None:
    (policy_dir / "tests" / "bad.toml").write_text(
        '[[test]]\nname = "x"\ncase = { project = { trl = 3 }, partners = [{}] }\n'
        f"changes = {{ {change} }}\n"
    )
    code, _, err = run(capsys, "test", str(policy_dir))
    assert code == 2 and message in err and "Traceback" not in err


# ---- issue 15, item 6: the pack's tests travel with the pack ---------------------------


def test_kspolicy_test_with_no_folder_after_pip_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of the pack, away from the repository, is what `pip install .` installs: its
    tests must pass there, so they name only files inside the pack."""
    from kspolicy.lang.loader import default_policy_path

    copy = tmp_path / "installed" / "knowledge-security"
    shutil.copytree(default_policy_path(), copy)
    assert main(["test", str(copy)]) == 0, capsys.readouterr().out
    assert " 0 failed" in capsys.readouterr().out


def test_the_packs_test_cases_lie_inside_the_pack_and_match_the_examples() -> None:
    from kspolicy.lang.loader import default_policy_path

    pack = default_policy_path().resolve()
    named = 0
    for file in sorted((pack / "tests").glob("*.toml")):
        for test in tomllib.loads(file.read_text(encoding="utf-8"))["test"]:
            if isinstance(test["case"], str):
                named += 1
                case = (file.parent / test["case"]).resolve()
                assert case.is_relative_to(pack), (file.name, test["case"])
                example = ROOT / "examples" / "cases" / case.name
                if example.exists():  # a copy of an example: the two must not drift apart
                    assert case.read_bytes() == example.read_bytes(), case.name
    assert named > 0


# ---- issue 15, item 8: errors in test files with a code and a line number --------------


@pytest.mark.parametrize(
    ("content", "where"),
    [
        ('[[test]]\nname = "x"\ncase = {}\nexpct = {}\n', "bad.toml:4: error[KSP230]: test #1"),
        (
            '[[test]]\nname = "a"\ncase = {}\n\n[[test]]\nname = "b"\ncase = {}\n'
            'expect = { verdcit = "notify" }\n',
            "bad.toml:8: error[KSP230]: test #2 (b): `expect` names no outcome `verdcit`",
        ),
        ('[[test]]\nname = "x"\n', "bad.toml:1: error[KSP230]: test #1 (x): no `case`"),
        ('[[test]]\nname = "x"\ncase = "nowhere.toml"\n', "bad.toml:3: error[KSP401]:"),
        ("\n[test]\n", "bad.toml:2: error[KSP230]: a test file holds"),
        ("\n\n[[test]\n", "bad.toml:3: error[KSP230]: not valid TOML"),
        ("[[test]]\ncase = {}\n\nlang = 1\n", "bad.toml:4: error[KSP230]: test #1"),
        (b'[[test]]\ncase = {}\nname = "\xff"\n', "bad.toml:3: error[KSP230]: cannot read"),
        (
            '[[test]]\ncase = { partners = [{}] }\nchanges = { "partners[3].country" = "CN" }\n',
            "bad.toml:3: error[KSP230]: test #1: the change `partners[3].country` does not fit",
        ),
    ],
)
def test_errors_in_policy_test_files_with_a_code_and_a_line_number(
    policy_dir: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, where: str
) -> None:
    bad = policy_dir / "tests" / "bad.toml"
    bad.write_bytes(content) if isinstance(content, bytes) else bad.write_text(content)
    code, _, err = run(capsys, "test", str(policy_dir))
    assert code == 2
    assert err.startswith(f"{bad.parent}/{where}"), err
