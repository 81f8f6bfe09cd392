"""An adjudication's country must be one a case of the policy can give a name (KSP225):
a name is screened with its case's country, so an answer for `XX`, or for a code the
policy's country enum lacks, would silently apply to no name.

docs/language.md, "KSP225"; docs/screening.md, "Adjudication".
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import KSP224, KSP225, Diagnostic

from .test_adjudication_lists import ENTITIES, SHA

POLICY = """\
policy p version "1"
lists "lists/*.toml"

decision {
  verdict: scale clear < notify
}

enum Country "a country code" { BE, CN, DE }

schema {
  partner_name: text
  partner_country: Country
}

rule r cite "s" when partner_name matches SANCTIONED_PARTIES then verdict >= notify because "b"
"""


def answer(country: str | None, listed: str = "SANCTIONED_PARTIES") -> str:
    """An adjudications list of one answer, as `screen review` writes it."""
    given = "" if country is None else f'country = "{country}"\n'
    return (
        '[ANSWERS]\nkind = "adjudications"\nsource = "kspolicy screen review"\n'
        "retrieved = 2026-01-01\n\n[[ANSWERS.entries]]\n"
        f'list = "{listed}"\nname = "Acme"\n{given}entry = "Acme Rockets"\n'
        f'entry_sha256 = "{SHA}"\nruling = "dismissed"\nby = "j.doe"\n'
        'at = 2026-01-02T10:00:00Z\nwhy = "another company"\n'
    )


def make_policy(folder: Path, adjudications: str, policy: str = POLICY) -> Path:
    (folder / "lists").mkdir()
    (folder / "policy.pol").write_text(policy)
    (folder / "lists" / "entities.toml").write_text(ENTITIES)
    (folder / "lists" / "answers.toml").write_text(adjudications)
    return folder


def of_code(diagnostics: list[Diagnostic], number: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code.number == number]


def test_an_answer_for_country_xx_is_refused_at_its_value(tmp_path: Path) -> None:
    text = answer("XX")
    folder = make_policy(tmp_path, text)
    [problem] = of_code(kspolicy.check(folder), KSP225.number)
    assert problem.is_error
    assert "the answer for `Acme`: `country` " in problem.message
    assert "'XX' is not" in problem.message
    assert problem.span.text == '"XX"'
    assert problem.span.line == text[: text.index('"XX"')].count("\n") + 1
    assert problem.help is not None and "leave the country out" in problem.help
    with pytest.raises(kspolicy.PolicyError, match="XX"):
        kspolicy.load(folder)


def test_an_answer_for_a_code_the_enum_lacks_is_refused(tmp_path: Path) -> None:
    folder = make_policy(tmp_path, answer("FR"))
    [problem] = of_code(kspolicy.check(folder), KSP225.number)
    assert problem.message.endswith("`country` 'FR' is not a country code")


def test_an_answer_in_lower_case_for_a_held_code_is_refused(tmp_path: Path) -> None:
    """As `screen` and a case's field refuse `cn` (session 10's review; it loaded as `CN`)."""
    folder = make_policy(tmp_path, answer("cn"))
    [problem] = of_code(kspolicy.check(folder), KSP225.number)
    assert problem.span.text == '"cn"' and "did you mean 'CN'?" in problem.message


def test_an_answer_in_lower_case_for_no_code_is_placed_at_its_value(tmp_path: Path) -> None:
    folder = make_policy(tmp_path, answer("xx"))
    [problem] = of_code(kspolicy.check(folder), KSP225.number)
    assert problem.span.text == '"xx"'


def test_an_answer_without_a_country_loads(tmp_path: Path) -> None:
    folder = make_policy(tmp_path, answer(None))
    assert not of_code(kspolicy.check(folder), KSP225.number)


def test_without_a_country_enum_two_letters_are_enough(tmp_path: Path) -> None:
    """A policy whose cases give countries as text: the answer's two letters are all
    that can be checked (when the list file is read, KSP215)."""
    policy = POLICY.replace("partner_country: Country", "partner_country: text")
    folder = make_policy(tmp_path, answer("XX"), policy)
    assert not of_code(kspolicy.check(folder), KSP225.number)


def test_a_misnamed_list_beside_an_unread_one_is_not_said_to_have_no_list(
    tmp_path: Path,
) -> None:
    """The entities list's file did not read: the help says so, not that the policy has
    no entities list."""
    folder = make_policy(tmp_path, answer("CN", listed="SANCTIONED"))
    entities = folder / "lists" / "entities.toml"
    entities.write_text(ENTITIES.replace('kind = "entities"', 'kind = "entities', 1))
    [problem] = of_code(kspolicy.check(folder), KSP224.number)
    assert problem.help is not None
    assert "no entities list" not in problem.help
    assert "did not read" in problem.help
