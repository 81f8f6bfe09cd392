"""`screen review --entry E` for a name that is no candidate of E: screening reads an
answer only for a name's candidates, so such an answer was written to the file (and the
audit log) and applied to no decision. It is refused, saying why, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from kspolicy.tools.cli import main
from kspolicy.tools.screen import screen_name

from .test_screen_language import make_policy

HARBIN = "Harbin Institute of Technology"
REVIEW = ["--list", "LISTED", "--by", "j.doe", "--why", "checked"]


def _review(tmp_path: Path, *argv: str) -> int:
    return main(["screen", "review", *argv, *REVIEW, "--policy", str(tmp_path / "policy.pol")])


def test_confirming_hit_from_de_as_harbin_by_entry_is_refused_not_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = make_policy(tmp_path)
    [none] = screen_name(policy, "HIT", country="DE", lists=["LISTED"])
    assert none.answer == "none"
    code = _review(tmp_path, "HIT", "--confirm", "--country", "DE", "--entry", HARBIN)
    out, err = capsys.readouterr()
    assert code == 2 and not out
    assert f"HIT from DE is no candidate of {HARBIN} on LISTED: it matches {HARBIN} only" in err
    assert "would apply to no decision and is not recorded" in err
    assert "`kspolicy screen name 'HIT' --country DE` shows its candidates" in err
    assert not (tmp_path / "lists" / "adjudications.toml").exists()


def test_an_answer_for_a_name_with_no_likeness_to_the_entry_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_policy(tmp_path)
    assert _review(tmp_path, "Zeta", "--dismiss", "--entry", HARBIN) == 2
    err = capsys.readouterr().err
    assert f"Zeta is no candidate of {HARBIN} on LISTED: screening finds no likeness" in err
    assert not (tmp_path / "lists" / "adjudications.toml").exists()


def test_an_answer_for_a_candidate_named_by_entry_is_still_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_policy(tmp_path)
    # HIT from CN is a candidate of Harbin (its weak alias, in its country): answered.
    assert _review(tmp_path, "HIT", "--dismiss", "--country", "CN", "--entry", HARBIN) == 0
    assert "HIT" in (tmp_path / "lists" / "adjudications.toml").read_text()
    capsys.readouterr()
    # ...and, dismissed, still one: confirming it again is an answer that applies.
    assert _review(tmp_path, "HIT", "--confirm", "--country", "CN", "--entry", HARBIN) == 0
