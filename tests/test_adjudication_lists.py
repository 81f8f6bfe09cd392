"""An adjudication must name a list the policy has (KSP224): an officer's answer for a
list that is not there (a typo, a list renamed) would silently apply to nothing.

docs/language.md, "KSP224"; docs/screening.md, "Adjudication".
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import KSP120, KSP224, Diagnostic

POLICY = """\
policy p version "1"
lists "lists/*.toml"

decision {
  verdict: scale clear < notify
}

schema {
  partner: text
}

rule r cite "s" when partner matches SANCTIONED_PARTIES then verdict >= notify because "b"
"""

ENTITIES = """\
[SANCTIONED_PARTIES]
kind = "entities"
source = "a sanctions list"
retrieved = 2026-01-01
entries = [{ name = "Acme Rockets", aliases = ["Acme"] }]

[CODES]
kind = "codes"
source = "a guideline"
retrieved = 2026-01-01
entries = ["a"]
"""

SHA = "0" * 64


def answers(*lists: str) -> str:
    """An adjudications list with one answer per list named, as `screen review` writes."""
    head = '[ANSWERS]\nkind = "adjudications"\nsource = "kspolicy screen review"\n'
    head += "retrieved = 2026-01-01\n"
    tables = [
        textwrap.dedent(
            f"""
            [[ANSWERS.entries]]
            list = "{name}"
            name = "Acme"
            entry = "Acme Rockets"
            entry_sha256 = "{SHA}"
            ruling = "dismissed"
            by = "j.doe"
            at = 2026-01-02T10:00:00Z
            why = "another company"
            """
        )
        for name in lists
    ]
    return head + "".join(tables)


def make_policy(folder: Path, adjudications: str, entities: str = ENTITIES) -> Path:
    (folder / "lists").mkdir()
    (folder / "policy.pol").write_text(POLICY)
    (folder / "lists" / "entities.toml").write_text(entities)
    (folder / "lists" / "answers.toml").write_text(adjudications)
    return folder


def of_code(diagnostics: list[Diagnostic], number: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code.number == number]


def test_an_adjudication_naming_no_list_is_an_error(tmp_path: Path) -> None:
    text = answers("SANCTIONED_PARTIES", "SANCTIONED_PARTIE")
    folder = make_policy(tmp_path, text)
    found = of_code(kspolicy.check(folder), KSP224.number)
    assert len(found) == 1  # the answer that names its list is not reported
    [problem] = found
    assert problem.is_error
    assert "`SANCTIONED_PARTIE`" in problem.message
    assert "no list has that name" in problem.message
    assert problem.help is not None
    assert problem.help.startswith("did you mean `SANCTIONED_PARTIES`?")
    assert "set `list` to the entities list" in problem.help
    # At the second answer's `list` value, the quoted name, line and column.
    where = problem.to_dict()
    second = text.index('"SANCTIONED_PARTIE"\n')
    line = text.count("\n", 0, second) + 1
    column = second - text.rfind("\n", 0, second)
    assert (where["file"], where["line"], where["column"]) == ("lists/answers.toml", line, column)
    assert problem.span.text == '"SANCTIONED_PARTIE"'
    # An error: the policy does not load, so the broken answer cannot go unnoticed.
    with pytest.raises(kspolicy.PolicyError, match="SANCTIONED_PARTIE"):
        kspolicy.load(folder)


def test_an_adjudication_naming_its_list_loads(tmp_path: Path) -> None:
    folder = make_policy(tmp_path, answers("SANCTIONED_PARTIES"))
    assert not of_code(kspolicy.check(folder), KSP224.number)
    assert kspolicy.load(folder).checked.lists["ANSWERS"].adjudications


def test_a_renamed_list_is_reported_with_the_lists_there_are(tmp_path: Path) -> None:
    folder = make_policy(tmp_path, answers("EU_CONSOLIDATED"))
    [problem] = of_code(kspolicy.check(folder), KSP224.number)
    assert problem.help is not None
    assert "did you mean" not in problem.help
    # Only an entities list can be what an answer is for: the codes list is not offered.
    assert "(the policy has: SANCTIONED_PARTIES)" in problem.help


def test_each_wrong_answer_is_placed_at_its_own_line(tmp_path: Path) -> None:
    text = answers("NOPE", "SANCTIONED_PARTIES", "NOPE")
    folder = make_policy(tmp_path, text)
    found = of_code(kspolicy.check(folder), KSP224.number)
    lines = [d.span.line for d in found]
    first = text.index('"NOPE"')
    third = text.index('"NOPE"', first + 1)
    assert lines == [text.count("\n", 0, first) + 1, text.count("\n", 0, third) + 1]


def test_an_inline_adjudication_is_placed_at_its_value(tmp_path: Path) -> None:
    text = textwrap.dedent(
        f"""\
        [ANSWERS]
        kind = "adjudications"
        source = "kspolicy screen review"
        retrieved = 2026-01-01
        entries = [
          {{ list = "SANCTIONED_PARTIES", name = "Acme", entry = "Acme Rockets", entry_sha256 = "{SHA}", ruling = "dismissed", by = "j", at = 2026-01-02T10:00:00Z, why = "w" }},
          {{ list = 'SANCTIONED', name = "Acme", entry = "Acme Rockets", entry_sha256 = "{SHA}", ruling = "dismissed", by = "j", at = 2026-01-02T10:00:00Z, why = "w" }},
        ]
        """  # noqa: E501
    )
    folder = make_policy(tmp_path, text)
    [problem] = of_code(kspolicy.check(folder), KSP224.number)
    assert problem.span.text == "'SANCTIONED'"
    assert problem.span.line == 7


def test_an_answer_for_a_list_whose_file_does_not_read_is_not_reported_again(
    tmp_path: Path,
) -> None:
    broken = ENTITIES.replace('kind = "entities"', 'kind = "entities', 1)
    folder = make_policy(tmp_path, answers("SANCTIONED_PARTIES"), entities=broken)
    found = kspolicy.check(folder)
    assert of_code(found, KSP120.number)
    assert not of_code(found, KSP224.number)
