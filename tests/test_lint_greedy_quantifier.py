"""KSP305: an `any`/`all` whose body takes in an `or`/`and` that is not about it.

A quantifier's body reaches as far right as it can, so a test written after it, meant
for the whole condition, lands in the body (it once did in the pack's partner.pol).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import KSP305, Diagnostic, Severity

from .conftest import FIXTURES, ROOT
from .helpers import HEADER, fired, fixture_policy


def greedy(tmp_path: Path, body: str) -> list[Diagnostic]:
    """The KSP305 warnings of a policy made of the common fixture schema plus `body`."""
    shutil.copy(FIXTURES / "common" / "schema.pol", tmp_path / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", tmp_path / "lists", dirs_exist_ok=True)
    (tmp_path / "policy.pol").write_text(HEADER + body, encoding="utf-8")
    diagnostics = kspolicy.check(tmp_path)
    assert not any(d.is_error for d in diagnostics), diagnostics
    return [d for d in diagnostics if d.code == KSP305]


def rule(condition: str, name: str = "r") -> str:
    """A rule that holds when `condition` does, and warns of nothing else."""
    return f'rule {name} cite "a" when {condition} then verdict >= notify because "b"\n'


def test_a_quantifier_body_that_swallows_an_or_is_flagged(tmp_path: Path) -> None:
    found = greedy(tmp_path, rule("any p in partners: p.country == CN or project.trl >= 7"))
    assert len(found) == 1
    (warning,) = found
    assert warning.severity is Severity.WARNING
    assert warning.span.text == "or project.trl >= 7"
    assert warning.message == (
        "`or project.trl >= 7` is read as part of `any p in partners: ...`, "
        "though it does not use `p`"
    )
    assert warning.help is not None
    assert "`(any p in partners: ...) or project.trl >= 7`" in warning.help
    assert "`any p in partners: (... or project.trl >= 7)`" in warning.help


def test_the_swallowed_or_changes_the_decision(tmp_path: Path) -> None:
    """What the lint is for: without partners, the swallowed test is never asked."""
    body = rule("any p in partners: p.country == CN or project.trl >= 7", "greedy")
    body += rule("(any p in partners: p.country == CN) or project.trl >= 7", "meant")
    policy = fixture_policy(tmp_path, body)
    decision = policy.evaluate({"project": {"trl": 8}, "partners": []})
    assert decision.outcomes["verdict"] == "notify"
    assert fired(decision) == ["meant"]


def test_a_quantifier_body_that_swallows_an_and_is_flagged(tmp_path: Path) -> None:
    (warning,) = greedy(tmp_path, rule("all p in partners: p.country in RISK and project.trl >= 7"))
    assert warning.span.text == "and project.trl >= 7"
    assert "`(all p in partners: ...) and project.trl >= 7`" in (warning.help or "")


def test_a_quantifier_after_an_and_that_swallows_an_or_is_flagged(tmp_path: Path) -> None:
    condition = (
        "project.trl >= 3 and any p in partners: p.country in RISK or project.shares_outside_eu"
    )
    (warning,) = greedy(tmp_path, rule(condition))
    assert warning.span.text == "or project.shares_outside_eu"


def test_a_swallowed_condition_in_brackets_is_shown_with_them(tmp_path: Path) -> None:
    condition = (
        "any p in partners: p.country == CN\n"
        "    or (project.trl >= 7 and project.shares_outside_eu)"
    )
    (warning,) = greedy(tmp_path, rule(condition))
    assert warning.span.text == "or (project.trl >= 7 and project.shares_outside_eu)"
    assert warning.span.line == 5  # the line of the `or`, not of the quantifier


def test_definitions_and_exceptions_are_linted_too(tmp_path: Path) -> None:
    body = (
        "define d = any p in partners: p.country == CN or project.trl >= 7\n"
        'rule r cite "a" when d unless all p in partners: p.kind == company and '
        'project.programme == FWO then verdict >= notify because "b"\n'
    )
    found = greedy(tmp_path, body)
    assert [d.span.text for d in found] == ["or project.trl >= 7", "and project.programme == FWO"]


@pytest.mark.parametrize(
    "condition",
    [
        # Brackets say which reading is meant: around the body, or around the quantifier.
        "any p in partners: (p.country == CN or project.trl >= 7)",
        "(any p in partners: p.country == CN) or project.trl >= 7",
        # Every operand after the first is about `p`.
        "any p in partners: p.country == CN or p.kind == military",
        "any p in partners: project.trl >= 7 and p.country == CN",
        "any p in partners: p.kind == company or any c in p.owners: c in RISK",
        "any p in partners: p.country == CN or (p.kind == military and project.trl >= 7)",
        # A body that is one test.
        "any p in partners: p.country == CN",
    ],
)
def test_a_quantifier_that_takes_in_nothing_foreign_is_not_flagged(
    tmp_path: Path, condition: str
) -> None:
    assert greedy(tmp_path, rule(condition)) == []


def test_the_pack_has_no_greedy_quantifier() -> None:
    pack = ROOT / "policies" / "knowledge-security"
    assert [str(d) for d in kspolicy.check(pack) if d.code == KSP305] == []


def test_ksp305_help_says_in_plain_words_what_an_empty_collection_does(tmp_path: Path) -> None:
    """The trial's reproducer: "the body reaches as far right as it can" is jargon for a
    policy officer; the help now says what the rule requires as written (and the
    evaluation bears it out), keeping both bracketings as fixes."""
    (warning,) = greedy(tmp_path, rule("any p in partners: p.country == CN or project.trl >= 7"))
    assert warning.help is not None and "as far right" not in warning.help
    assert (
        "as written, when `partners` is empty this is false, even if `project.trl >= 7` holds"
    ) in warning.help
    assert "`(any p in partners: ...) or project.trl >= 7`" in warning.help
    assert "`any p in partners: (... or project.trl >= 7)`" in warning.help
    (tmp_path / "any").mkdir()
    condition = "any p in partners: p.country == CN or project.trl >= 7"
    policy = fixture_policy(tmp_path / "any", rule(condition))
    assert fired(policy.evaluate({"project": {"trl": 8}, "partners": []})) == []


def test_ksp305_help_for_all_and_says_an_empty_collection_lets_it_hold(tmp_path: Path) -> None:
    condition = "all p in partners: p.country in RISK and project.trl >= 7"
    (warning,) = greedy(tmp_path, rule(condition))
    assert (
        "as written, when `partners` is empty this holds, even if `project.trl >= 7` does not"
    ) in (warning.help or "")
    (tmp_path / "all").mkdir()
    policy = fixture_policy(tmp_path / "all", rule(condition))
    assert fired(policy.evaluate({"project": {"trl": 1}, "partners": []})) == ["r"]


@pytest.mark.parametrize(
    "condition",
    [
        "any p in partners: p.country in RISK and project.trl >= 7",
        "all p in partners: p.country in RISK or project.trl >= 7",
    ],
)
def test_ksp305_help_claims_no_consequence_where_both_readings_agree(
    tmp_path: Path, condition: str
) -> None:
    (warning,) = greedy(tmp_path, rule(condition))
    assert "checked for each element of `partners`" in (warning.help or "")
    assert "as written" not in (warning.help or "")
