"""`kspolicy screen review` says when there is nothing to review and records nothing
(it used to write an answer that repeated what decisions already took: a confirmation
of a name already a match, a dismissal given twice); and it warns when `--file` is
outside the policy's folder, where the policy never reads it (KSP213), so the answer
would be recorded and never used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kspolicy
from kspolicy.tools import screen as screen_tool
from kspolicy.tools.cli import main

from .test_screen_language import decide, make_policy


def _review(
    capsys: pytest.CaptureFixture[str], folder: Path, name: str, *more: str
) -> tuple[int, str, str]:
    argv = ["screen", "review", name, "--list", "LISTED", "--by", "j.doe", "--why", "checked"]
    code = main([*argv, "--policy", str(folder / "policy.pol"), *more])
    out, err = capsys.readouterr()
    return code, out, err


def test_screen_review_with_nothing_to_review_says_so_and_records_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_policy(tmp_path)
    answers = tmp_path / "lists" / "adjudications.toml"
    # An exact name is already a match: confirming it changes no decision.
    code, out, _ = _review(
        capsys, tmp_path, "Harbin Institute of Technology", "--country", "CN", "--confirm"
    )
    assert code == 0
    assert "is already a match of Harbin Institute of Technology on LISTED" in out
    assert out.rstrip().endswith("nothing to review, nothing recorded")
    assert not answers.exists()
    # A possible match dismissed once is recorded; the same dismissal again is not.
    assert _review(capsys, tmp_path, "HIT", "--dismiss")[0] == 0
    first = answers.read_text(encoding="utf-8")
    code, out, _ = _review(
        capsys, tmp_path, "HIT", "--dismiss", "--entry", "Harbin Institute of Technology"
    )
    assert code == 0
    assert "j.doe already dismissed Harbin Institute of Technology on LISTED for HIT" in out
    assert "the entry has not changed since): nothing to review, nothing recorded" in out
    assert answers.read_text(encoding="utf-8") == first
    # A confirmation after the dismissal is an answer that changes something: recorded.
    code, out, _ = _review(
        capsys, tmp_path, "HIT", "--confirm", "--entry", "Harbin Institute of Technology"
    )
    assert code == 0 and "HIT confirmed as Harbin Institute of Technology" in out
    assert [r.rule for r in decide(kspolicy.load(tmp_path / "policy.pol"), "HIT").fired] == [
        "listed_partner"
    ]
    # ...and given again, with --json, it says so in its JSON, recording nothing.
    after = answers.read_text(encoding="utf-8")
    code, out, _ = _review(
        capsys, tmp_path, "HIT", "--confirm", "--entry", "Harbin Institute of Technology", "--json"
    )
    said = json.loads(out)
    assert code == 0 and said["recorded"] is False and said["file"] == str(answers)
    assert "already confirmed" in said["reason"]
    assert answers.read_text(encoding="utf-8") == after


def test_screen_review_nothing_to_review_raises_before_writing_to_the_audit_log(
    tmp_path: Path,
) -> None:
    policy = make_policy(tmp_path)
    log = tmp_path / "audit.jsonl"
    with pytest.raises(screen_tool.NothingToReview, match="already a match"):
        screen_tool.review(
            policy,
            list_name="LISTED",
            name="Harbin Institute of Technology",
            country="CN",
            ruling="confirmed",
            by="j.doe",
            why="checked",
            audit_log=log,
        )
    assert not log.exists()
    assert not (tmp_path / "lists" / "adjudications.toml").exists()


def test_screen_review_file_outside_the_policy_folder_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "policy"
    folder.mkdir()
    make_policy(folder)
    elsewhere = tmp_path / "answers.toml"
    code, out, err = _review(capsys, folder, "HIT", "--dismiss", "--file", str(elsewhere))
    assert code == 0 and elsewhere.exists()  # written, as asked; but said to be unused
    assert err.startswith(f"warning: {elsewhere} is outside the policy's folder {folder}")
    assert "decisions will not use this answer" in err
    assert f"Answer without --file (the policy's adjudications: {folder / 'lists'}" in err
    # Indeed: the policy still asks about HIT.
    assert [r.rule for r in decide(kspolicy.load(folder / "policy.pol"), "HIT").pending] == [
        "listed_partner"
    ]
    # A --file inside the folder is read by the policy: no warning.
    inside = folder / "lists" / "answers.toml"
    code, _, err = _review(capsys, folder, "HIT", "--dismiss", "--file", str(inside))
    assert code == 0 and inside.exists() and err == ""
    assert decide(kspolicy.load(folder / "policy.pol"), "HIT").pending == []


def test_screen_review_file_that_would_be_a_second_adjudications_list_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new `--file` inside the policy's folder, when the policy keeps its answers in
    another file: the policy reads every `lists/*.toml`, so it became a second list of
    the same name and the policy stopped loading (KSP209); found by a new user's trial."""
    make_policy(tmp_path)
    assert _review(capsys, tmp_path, "HIT", "--dismiss")[0] == 0  # answers kept: lists/
    other = tmp_path / "lists" / "other.toml"
    code, _, err = _review(
        capsys,
        tmp_path,
        "HIT",
        "--confirm",
        "--entry",
        "Harbin Institute of Technology",
        "--file",
        str(other),
    )
    assert code == 2
    assert "second adjudications file" in err and "adjudications.toml" in err
    assert not other.exists()
    assert not [d for d in kspolicy.check(tmp_path / "policy.pol") if d.is_error]


def test_screen_review_the_same_dismissal_again_without_entry_records_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dismissal takes its entry out of the candidates, so the same `--dismiss` again,
    without `--entry`, found no candidate and exited 2; docs/screening.md promises that an
    answer that changes nothing says so and exits 0 (found by a new user's trial)."""
    make_policy(tmp_path)
    answers = tmp_path / "lists" / "adjudications.toml"
    assert _review(capsys, tmp_path, "HIT", "--dismiss")[0] == 0
    first = answers.read_text(encoding="utf-8")
    code, out, err = _review(capsys, tmp_path, "HIT", "--dismiss")
    assert code == 0, err
    assert out.rstrip().endswith("nothing to review, nothing recorded")
    assert answers.read_text(encoding="utf-8") == first
    # A confirmation without --entry still asks for the entry: it changes something.
    code, _, err = _review(capsys, tmp_path, "HIT", "--confirm")
    assert code == 2 and '--entry "Harbin Institute of Technology"' in err
