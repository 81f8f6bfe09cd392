"""An officer who opens a property file (`properties/*.toml`, `kspolicy prove
--property`) with a mistake in it sees it marked in the editor, with the message `prove`
gives, where it is written: on a condition's text inside its TOML string, else on the
key's line. Before, nothing showed until `kspolicy prove` failed."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

import kspolicy.prove
from kspolicy import check
from kspolicy.lsp.project import Project
from kspolicy.tools.cli import main

from .lsp_session import REPO, client, close_file, open_file, settled, shared, write_policy

__all__ = ["client", "shared"]  # the session's fixtures (tests/lsp_session.py)

pytestmark = pytest.mark.asyncio(loop_scope="module")

FILES = {
    "policy.pol": """policy props version "1"
lists "lists/*.toml"

enum Country "a country code" from COUNTRIES
enum DualUse { listed, possible, none }

record Partner named by name {
  name: text
  country: Country
}

schema {
  dual_use: DualUse
  partners: list of Partner as partner
}

decision {
  verdict: scale clear < review < prohibited
}

define risky_partner = any p in partners: p.country in RISKY

rule partner_in_risky_country
  cite "screening"
  when risky_partner
  then verdict >= review
  because "a partner is in a risky country"
""",
    "lists/countries.toml": """[COUNTRIES]
kind = "codes"
source = "test"
retrieved = 2026-01-01
entries = ["BE", "NL", "CN", "RU"]

[RISKY]
kind = "codes"
source = "test"
retrieved = 2026-01-01
entries = ["CN", "RU"]

[SAFE]
kind = "codes"
source = "test"
retrieved = 2026-01-01
entries = ["BE", "NL"]
""",
}

GOOD = """title = "A partner that moves to a risky country is never cleared"
given = [
  "dual_use == listed",
  "any p in partners: p.country in RISKY",
  "risky_partner or not risky_partner",
]

[change]
"partners.country" = ["SAFE", "RISKY"]

[expect]
verdict = "b >= a"
"""
PROPERTY = "properties/risky.toml"


def marks(client: LanguageClient, document: str) -> list[tuple[int, int, int, str | None, str]]:
    """The diagnostics shown in a document: line, columns, code and message (no help)."""
    found = []
    for d in client.diagnostics.get(document, []):
        code = None if d.code is None else str(d.code)
        message = d.message.split("\nhelp: ")[0]
        found.append(
            (d.range.start.line, d.range.start.character, d.range.end.character, code, message)
        )
    return sorted(found)


def marked(client: LanguageClient, document: str, text: str) -> list[str]:
    """The text each diagnostic of a one-line-per-mark document covers."""
    lines = text.split("\n")
    return [lines[line][start:end] for line, start, end, _, _ in marks(client, document)]


def prove_says(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What `kspolicy prove --property` prints of the property file's mistake."""
    capsys.readouterr()
    code = main(["prove", str(folder), "--property", str(folder / PROPERTY)])
    said = capsys.readouterr().err
    assert code != 0, said
    return said


def as_prove_says(folder: Path, line: int, column: int, code: str | None, message: str) -> str:
    """A mark (0-based, as the editor gets it) as `prove` prints it: the same place,
    1-based, the same code and message, as `kspolicy check` prints a diagnostic."""
    severity = f"error[{code}]" if code is not None else "error"
    return f"{folder / PROPERTY}:{line + 1}:{column + 1}: {severity}: {message}\n"


async def open_property(client: LanguageClient, folder: Path, text: str) -> str:
    """The property file written with `text` and opened in the editor as it stands."""
    write_policy(folder, {**FILES, PROPERTY: text})
    return await open_file(client, folder / PROPERTY, text)


async def test_the_property_of_these_tests_checks_and_proves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_policy(tmp_path, {**FILES, PROPERTY: GOOD})
    assert check(folder) == []
    capsys.readouterr()
    assert main(["prove", str(folder), "--property", str(folder / PROPERTY)]) == 0


async def test_a_property_with_an_unknown_field_is_marked_where_it_is_written(
    tmp_path: Path, client: LanguageClient, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace("p.country in RISKY", "p.countri in RISKY")
    document = await open_property(client, tmp_path, text)
    assert marks(client, document) == [(3, 24, 31, "KSP201", "`Partner` has no field `countri`")]
    assert marked(client, document, text) == ["countri"]
    said = prove_says(tmp_path, capsys)
    assert as_prove_says(tmp_path, 3, 24, "KSP201", "`Partner` has no field `countri`") in said
    assert "help: did you mean `country`?" in said


async def test_a_condition_that_does_not_parse_is_marked_at_its_end(
    tmp_path: Path, client: LanguageClient, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace('"risky_partner or not risky_partner"', '"risky_partner or ("')
    document = await open_property(client, tmp_path, text)
    [(line, start, end, code, message)] = marks(client, document)
    # where the parser found it ends too early: just inside the closing quote
    assert (line, start, end, code) == (4, 21, 21, "KSP104")
    assert message.startswith("the item ends too early: expected ")
    assert as_prove_says(tmp_path, line, start, code, message) in prove_says(tmp_path, capsys)


async def test_a_condition_written_with_escapes_is_marked_on_its_keys_line(
    tmp_path: Path, client: LanguageClient
) -> None:
    text = GOOD.replace('"dual_use == listed"', '"dual_uses == \\"listed\\""')
    document = await open_property(client, tmp_path, text)
    assert marks(client, document) == [(1, 0, 9, "KSP202", "unknown name `dual_uses`")]


async def test_a_property_file_that_is_not_toml_is_marked_where_its_reading_stops(
    tmp_path: Path, client: LanguageClient, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace('"SAFE", "RISKY"]', '"SAFE" "RISKY"]')
    document = await open_property(client, tmp_path, text)
    [(line, start, _, code, message)] = marks(client, document)
    assert (line, start, code) == (8, 29, None)  # the second text, where the `,` is missing
    assert message == "not a property file: Unclosed array (at line 9, column 30)"
    assert as_prove_says(tmp_path, line, start, code, message) in prove_says(tmp_path, capsys)


async def test_a_misspelt_key_is_marked_on_its_line(
    tmp_path: Path, client: LanguageClient, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace("given =", "givn =")
    document = await open_property(client, tmp_path, text)
    assert marked(client, document, text) == ["givn = ["]
    [(line, start, _, code, message)] = marks(client, document)
    assert message.startswith("unknown key `givn` (the keys: change, ")
    assert as_prove_says(tmp_path, line, start, code, message) in prove_says(tmp_path, capsys)


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        ('"partners.countr" = ', '"partners.country" = '),
        ('verdikt = "b >= a"', 'verdict = "b >= a"'),
        ('verdict = "b > a"', 'verdict = "b >= a"'),
        ('verdict = "<= refused"', 'verdict = "b >= a"'),
    ],
    ids=["unknown-fact", "unknown-outcome", "no-comparison", "unknown-code"],
)
async def test_a_fact_or_outcome_prove_refuses_is_marked_on_its_key_as_prove_says_it(
    tmp_path: Path,
    client: LanguageClient,
    capsys: pytest.CaptureFixture[str],
    wrong: str,
    right: str,
) -> None:
    text = GOOD.replace(right, wrong)
    document = await open_property(client, tmp_path, text)
    line_of_key = text.split("\n")[text[: text.index(wrong)].count("\n")]
    # A misspelt code is marked in the value, where it is fixed; a name, on its line.
    assert marked(client, document, text) == ["refused" if "refused" in wrong else line_of_key]
    [(line, start, _, code, message)] = marks(client, document)
    said = prove_says(tmp_path, capsys)
    assert code is None and as_prove_says(tmp_path, line, start, code, message) in said


async def test_a_misspelt_list_in_a_change_group_is_an_error_on_its_name_as_prove_says_it(
    tmp_path: Path, client: LanguageClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # An error, not a warning: `prove` refuses the property (a misspelt list would make
    # its group empty, and the property proved weaker than written).
    text = GOOD.replace('"RISKY"]', '"RISKI"]')
    document = await open_property(client, tmp_path, text)
    assert marked(client, document, text) == ["RISKI"]
    [shown] = client.diagnostics[document]
    assert shown.severity == t.DiagnosticSeverity.Error
    message = (
        "change `partners.country`: `RISKI` is neither a list of the policy nor a code of "
        "`Country`, so no case would be in its group"
    )
    assert shown.message == message + "\nhelp: did you mean `RISKY`?"
    [(line, start, _, code, _)] = marks(client, document)
    said = prove_says(tmp_path, capsys)
    assert as_prove_says(tmp_path, line, start, code, message) in said
    assert "help: did you mean `RISKY`?" in said


async def test_the_marks_go_when_the_property_is_fixed_or_closed(
    tmp_path: Path, client: LanguageClient
) -> None:
    text = GOOD.replace("dual_use ==", "dual_uses ==")
    document = await open_property(client, tmp_path, text)
    assert marks(client, document) != []
    client.text_document_did_change(
        t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=document, version=2),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text=GOOD)],
        )
    )
    await published(client, document, lambda d: d is not None and len(d) == 0)
    await open_file(client, tmp_path / PROPERTY, text)
    assert marks(client, document) != []
    await close_file(client, document)
    assert list(client.diagnostics.get(document, ["none published"])) == []


async def test_a_condition_that_names_a_definition_the_policy_lost_is_marked(
    tmp_path: Path, client: LanguageClient
) -> None:
    document = await open_property(client, tmp_path, GOOD)
    assert marks(client, document) == []
    main_file = tmp_path / "policy.pol"
    renamed = FILES["policy.pol"].replace("risky_partner", "partner_at_risk")
    await open_file(client, main_file, renamed)  # unsaved: the buffer as it stands
    assert marked(client, document, GOOD) == ["risky_partner", "risky_partner"]
    assert {m[3:] for m in marks(client, document)} == {("KSP202", "unknown name `risky_partner`")}


async def test_the_packs_properties_open_unmarked(client: LanguageClient) -> None:
    for path in sorted((REPO / "policies" / "knowledge-security" / "properties").glob("*.toml")):
        document = await open_file(client, path)
        assert marks(client, document) == [], path.name


async def published(client: LanguageClient, document: str, done: Callable[[Any], bool]) -> None:
    """Wait until the diagnostics published for a document satisfy `done` (a change is
    analysed after a pause for the next keystroke: asked again until then, at most
    about ten seconds)."""
    for _ in range(400):
        await settled(client, document)
        if done(client.diagnostics.get(document)):
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"not published: {client.diagnostics.get(document)}")


async def test_without_the_prove_extra_a_property_file_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checked in-process (the server's Project): z3 made unimportable, as when the
    # extra is not installed, and prove's modules imported afresh.
    folder = write_policy(tmp_path, {**FILES, PROPERTY: GOOD.replace("given", "givn")})
    monkeypatch.setitem(sys.modules, "z3", None)
    for name in ("kspolicy.prove.properties", "kspolicy.prove.encode"):
        monkeypatch.delitem(sys.modules, name, raising=False)
        monkeypatch.delattr(kspolicy.prove, name.rsplit(".", 1)[1], raising=False)
    project = Project(folder / "policy.pol")
    try:
        [problem] = project.property_problems((folder / PROPERTY).resolve())
    finally:
        project.close()
    assert problem.message == (
        "kspolicy prove needs the z3 solver: pip install 'kspolicy[prove]'; "
        "until then its file is not checked"
    )
    assert problem.span.line == 1


async def test_a_policy_with_errors_leaves_its_property_files_conditions_unmarked(
    tmp_path: Path, client: LanguageClient
) -> None:
    # Its errors would show in every condition; they show in the policy's files instead.
    text = GOOD.replace("p.country in RISKY", "p.countri in RISKY")
    document = await open_property(client, tmp_path, text)
    assert [m[3] for m in marks(client, document)] == ["KSP201"]
    broken = FILES["policy.pol"].replace("then verdict >= review", "then verdict >= reviewed")
    policy = await open_file(client, tmp_path / "policy.pol", broken)
    assert marks(client, policy) != []
    assert marks(client, document) == []
