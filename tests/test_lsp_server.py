"""`kspolicy lsp` driven over stdio by pytest-lsp: every method, on the pack and on
policies with errors; the diagnostics equal `kspolicy check`'s on every golden fixture.
One server answers every test of this module (tests/lsp_session.py).
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

import kspolicy
from kspolicy import Limits, check

from .conftest import FIXTURES
from .lsp_session import (
    REPO,
    applied,
    client,
    close_file,
    configure,
    open_file,
    rename,
    shared,
    uri,
    where,
    write_policy,
)

__all__ = ["client", "shared"]  # the session's fixtures (tests/lsp_session.py)

pytestmark = pytest.mark.asyncio(loop_scope="module")

# the same server: the names say which files a test works on
pack = client
fixtures = client


PACK = REPO / "policies" / "knowledge-security"
DIAGNOSTICS = sorted(p for p in (FIXTURES / "diagnostics").iterdir() if p.is_dir())
COUNTRY = PACK / "rules" / "country.pol"
ELEMENTS = PACK / "rules" / "elements.pol"


async def test_pack_opens_with_no_diagnostics(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    assert list(pack.diagnostics.get(document, [])) == []


async def test_hover_shows_a_fields_type_and_question(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    hover = await pack.text_document_hover_async(
        t.HoverParams(t.TextDocumentIdentifier(document), where(COUNTRY, "partner.country", 9, 1))
    )
    assert hover is not None and isinstance(hover.contents, t.MarkupContent)
    text = hover.contents.value
    assert "**country**: `Country`" in text and "- en:" in text and "- nl:" in text


async def test_hover_shows_a_lists_title_source_and_entries(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    position = where(COUNTRY, "RISK_COUNTRIES", 3)
    hover = await pack.text_document_hover_async(
        t.HoverParams(t.TextDocumentIdentifier(document), position)
    )
    assert hover is not None and isinstance(hover.contents, t.MarkupContent)
    text = hover.contents.value
    assert "**list RISK_COUNTRIES**" in text and "source: Richtlijnen" in text
    assert "`CN`" in text and "11 entries" in text


async def test_hover_shows_an_outcome_codes_label(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    hover = await pack.text_document_hover_async(
        t.HoverParams(t.TextDocumentIdentifier(document), where(COUNTRY, "risk >= medium", 9))
    )
    assert hover is not None and isinstance(hover.contents, t.MarkupContent)
    assert "en: Medium" in hover.contents.value and "nl: Gemiddeld" in hover.contents.value


async def test_hover_on_a_cite_shows_the_cited_passage(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    hover = await pack.text_document_hover_async(
        t.HoverParams(t.TextDocumentIdentifier(document), where(COUNTRY, '"partner.country"', 3))
    )
    assert hover is not None and isinstance(hover.contents, t.MarkupContent)
    assert "**Land**" in hover.contents.value and "> " in hover.contents.value


async def test_completion_offers_fields_codes_lists_anchors_and_keywords(
    pack: LanguageClient,
) -> None:
    text = COUNTRY.read_text(encoding="utf-8") + '\nrule new_rule\n  cite ""\n  when partner.\n'
    document = await open_file(pack, COUNTRY, text)
    lines = text.split("\n")

    async def labels(line: int, character: int) -> set[str]:
        result = await pack.text_document_completion_async(
            t.CompletionParams(
                text_document=t.TextDocumentIdentifier(document),
                position=t.Position(line=line, character=character),
            )
        )
        assert isinstance(result, t.CompletionList)
        return {item.label for item in result.items}

    cite_line = len(lines) - 3
    assert {"partner.country", "risks", "case.1"} <= await labels(cite_line, 8)
    when_line = len(lines) - 2
    assert {"country", "name", "kind"} <= await labels(when_line, len(lines[when_line]))
    first = COUNTRY.read_text(encoding="utf-8").split("\n")
    medium = where(COUNTRY, "risk >= medium", 8)
    assert {"low", "medium", "high"} <= await labels(medium.line, medium.character)
    assert {"rule", "when", "then", "cite", "matches"} <= await labels(len(first), 0)
    await close_file(pack, document)  # the file on disk again, for the other tests


async def test_definition_and_references_of_a_define_across_files(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    position = where(COUNTRY, "military_partner and", 3)
    found = await pack.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(document), position)
    )
    assert isinstance(found, list) and len(found) == 1
    assert isinstance(found[0], t.Location) and found[0].uri == uri(ELEMENTS)
    refs = await pack.text_document_references_async(
        t.ReferenceParams(
            text_document=t.TextDocumentIdentifier(document),
            position=position,
            context=t.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None and len({r.uri for r in refs}) > 2


async def test_definition_of_an_import_is_the_file(pack: LanguageClient) -> None:
    main = PACK / "policy.pol"
    document = await open_file(pack, main)
    found = await pack.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(document), where(main, '"schema.pol"', 2))
    )
    assert isinstance(found, list) and found[0].uri == uri(PACK / "schema.pol")


async def test_definition_of_a_list_is_its_table_in_the_list_file(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    found = await pack.text_document_definition_async(
        t.DefinitionParams(t.TextDocumentIdentifier(document), where(COUNTRY, "RISK_COUNTRIES", 2))
    )
    assert isinstance(found, list) and found[0].uri == uri(PACK / "lists" / "countries.toml")


async def test_document_and_workspace_symbols(pack: LanguageClient) -> None:
    document = await open_file(pack, COUNTRY)
    symbols = await pack.text_document_document_symbol_async(
        t.DocumentSymbolParams(t.TextDocumentIdentifier(document))
    )
    assert symbols is not None
    names = {s.name for s in symbols}
    assert "partner_in_risk_country" in names
    found = await pack.workspace_symbol_async(t.WorkspaceSymbolParams(query="risk_location"))
    assert found is not None and "partner_in_risk_location" in {s.name for s in found}
    found = await pack.workspace_symbol_async(t.WorkspaceSymbolParams(query="SEVEN"))
    assert found is not None and "SEVEN_SONS" in {s.name for s in found}


async def test_formatting_whole_and_range(pack: LanguageClient) -> None:
    messy = COUNTRY.read_text(encoding="utf-8").replace(
        "  when partner.country", "  when   partner.country"
    )
    document = await open_file(pack, COUNTRY, messy)
    edits = await pack.text_document_formatting_async(
        t.DocumentFormattingParams(
            text_document=t.TextDocumentIdentifier(document),
            options=t.FormattingOptions(tab_size=2, insert_spaces=True),
        )
    )
    assert edits and edits[0].new_text == COUNTRY.read_text(encoding="utf-8")
    position = where(COUNTRY, "partner.country in", 0)
    edits = await pack.text_document_range_formatting_async(
        t.DocumentRangeFormattingParams(
            t.TextDocumentIdentifier(document),
            t.Range(position, position),
            t.FormattingOptions(2, True),
        )
    )
    assert edits and "when partner.country in RISK_COUNTRIES" in edits[0].new_text
    assert edits[0].range.start.line == 3  # the rule only, from its first line
    await close_file(pack, document)


async def test_code_lenses_run_tests_and_show_example_cases(pack: LanguageClient) -> None:
    document = await open_file(pack, PACK / "policy.pol")
    lenses = await pack.text_document_code_lens_async(
        t.CodeLensParams(t.TextDocumentIdentifier(document))
    )
    assert lenses and lenses[0].command is not None and lenses[0].command.title == "Run tests"
    result = await pack.workspace_execute_command_async(
        t.ExecuteCommandParams(
            command=lenses[0].command.command, arguments=lenses[0].command.arguments
        )
    )
    assert result is not None and result["failed"] == 0 and result["passed"] > 10
    document = await open_file(pack, COUNTRY)
    lenses = await pack.text_document_code_lens_async(
        t.CodeLensParams(t.TextDocumentIdentifier(document))
    )
    titles = [lens.command.title for lens in lenses or [] if lens.command]
    assert any(title.startswith("fires on ") and "example cases:" in title for title in titles)
    rule_lens = next(
        lens for lens in lenses or [] if lens.command and "example" in lens.command.title
    )
    assert rule_lens.command is not None
    result = await pack.workspace_execute_command_async(
        t.ExecuteCommandParams(
            command=rule_lens.command.command, arguments=rule_lens.command.arguments
        )
    )
    assert result is not None and result["of"] == 13 and result["cases"]


async def test_rename_a_list_across_policy_and_list_files(
    tmp_path_factory: pytest.TempPathFactory, pack: LanguageClient
) -> None:
    document = await open_file(pack, COUNTRY)
    position = where(COUNTRY, "RISK_COUNTRIES", 2)
    prepared = await pack.text_document_prepare_rename_async(
        t.PrepareRenameParams(text_document=t.TextDocumentIdentifier(document), position=position)
    )
    assert prepared is not None
    edit = await pack.text_document_rename_async(
        t.RenameParams(
            text_document=t.TextDocumentIdentifier(document),
            position=position,
            new_name="RISKY_COUNTRIES",
        )
    )
    assert edit is not None and edit.changes is not None
    assert uri(PACK / "lists" / "countries.toml") in edit.changes
    assert sum(len(v) for v in edit.changes.values()) > 3
    refused = await pack.text_document_prepare_rename_async(
        t.PrepareRenameParams(
            t.TextDocumentIdentifier(document), where(COUNTRY, "partner.country in", 9)
        )
    )
    assert refused is None


# A policy whose list files name its lists: a table inside a list's (`[LISTED.labels]`)
# and an adjudication that answers for it (`list = "LISTED"` in `[[ANSWERS.entries]]`).
# A rename that misses the adjudication leaves a policy that checks clean and decides
# otherwise: the answer no longer applies, the name screened is a possible match again.
RENAMING = {
    "policy.pol": """policy renaming version "1"
import "schema.pol"
import "rules/listed.pol"
lists "lists/*.toml"

decision {
  verdict: scale clear < review < prohibited
}

define listed = partner.name matches LISTED
""",
    "schema.pol": """record Partner named by name {
  name: text
  country: text
}
schema {
  partners: list of Partner as partner
}
""",
    "rules/listed.pol": """rule listed_partner
  cite "screening"
  when listed
  then verdict >= prohibited
  because "the partner is listed"

rule listed_abroad
  cite "screening"
  when listed and partner.country != "BE"
  then verdict >= review
  because "the partner is listed abroad"
""",
    "lists/listed.toml": """[LISTED]
kind = "entities"
source = "test"
retrieved = 2026-01-01
entries = [
  { name = "Harbin Institute of Technology", weak_aliases = ["HIT"], country = "CN" },
]

[LISTED.labels]
country = { en = "country", nl = "land" }
""",
    "lists/answers.toml": """[ANSWERS]
kind = "adjudications"
source = "kspolicy screen review"
retrieved = 2026-01-02

[[ANSWERS.entries]]
list = "LISTED"
name = "HIT"
entry = "Harbin Institute of Technology"
entry_sha256 = "ca3f71817d369ab3cafe28b210137bc63a2284022d34d4777d2cc6795f6e9154"
ruling = "dismissed"
by = "a reviewer"
at = 2026-01-02T10:00:00Z
why = "the Hellenic Institute of Transport, not Harbin"
""",
}
SCREENED_HIT = {"partners": [{"name": "HIT"}]}  # dismissed by the adjudication


async def test_rename_a_list_renames_it_in_the_list_files_that_name_it(
    tmp_path: Path, client: LanguageClient
) -> None:
    folder = write_policy(tmp_path / "before", RENAMING)
    main = folder / "policy.pol"
    assert kspolicy.load(folder).evaluate(SCREENED_HIT).pending == []
    document = await open_file(client, main)
    position = where(main, "LISTED", 2)
    refs = await client.text_document_references_async(
        t.ReferenceParams(
            text_document=t.TextDocumentIdentifier(document),
            position=position,
            context=t.ReferenceContext(include_declaration=True),
        )
    )
    found = sorted((Path(r.uri).name, r.range.start.line) for r in refs or [])
    assert [f for f in found if f[0] == "answers.toml"] == [("answers.toml", 6)]
    assert [f for f in found if f[0] == "listed.toml"] == [("listed.toml", 0), ("listed.toml", 8)]
    edit = await rename(client, main, position, "SCREENED")
    assert edit is not None and edit.changes is not None
    renamed = {(Path(d).name, e.range.start.line) for d, es in edit.changes.items() for e in es}
    assert renamed == set(found)  # every place find references reports, and no other
    texts = applied(folder, edit, RENAMING)
    assert 'list = "SCREENED"' in texts["lists/answers.toml"]
    assert "[SCREENED.labels]" in texts["lists/listed.toml"] and "LISTED" not in str(texts)
    after = write_policy(tmp_path / "after", texts)
    assert check(after) == []
    assert kspolicy.load(after).evaluate(SCREENED_HIT).pending == []  # the answer holds


async def test_rename_a_define_across_policy_files_checks_clean(
    tmp_path: Path, client: LanguageClient
) -> None:
    folder = write_policy(tmp_path, RENAMING)
    rules = folder / "rules" / "listed.pol"
    edit = await rename(client, rules, where(rules, "listed and", 1), "on_the_list")
    texts = applied(folder, edit, RENAMING)
    assert "define on_the_list = partner.name matches LISTED" in texts["policy.pol"]
    assert texts["rules/listed.pol"].count("when on_the_list") == 2
    assert check(write_policy(tmp_path / "after", texts)) == []


# ---- policies with errors ----------------------------------------------------------


def fixture_limits(folder: Path) -> dict[str, int]:
    """The limits a golden fixture is checked with: its limits.txt, `NAME=N` a line (as
    tests/test_diagnostics.py gives them to `kspolicy check --limit`)."""
    path = folder / "limits.txt"
    lines = path.read_text(encoding="utf-8").split() if path.exists() else []
    return {name: int(value) for name, value in (line.split("=") for line in lines)}


def expected(
    folder: Path, limits: Limits | None = None
) -> list[tuple[str, int, int, str, str, str | None]]:
    """`kspolicy check`'s diagnostics of a fixture: file, line, column, code, message, help."""
    found = []
    limits = limits or attrs.evolve(Limits(), **fixture_limits(folder))
    for d in check(folder, limits=limits, root=FIXTURES):
        name = d.span.source.name
        path = Path(name) if Path(name).is_absolute() else (folder / name).resolve()
        line, column = d.span.source.position(d.span.start)
        found.append((str(path), line - 1, column - 1, d.code.number, d.message, d.help))
    return sorted(found)


def shown(client: LanguageClient, folder: Path) -> list[tuple[str, int, int, str, str, str | None]]:
    """The diagnostics the server published for a fixture's files, as `expected` gives
    check's (without the echoes of a list file's errors where the list is used)."""
    got = []
    for published, found in client.diagnostics.items():
        path = Path(published.removeprefix("file://"))
        if not (path.is_relative_to(folder.resolve()) or path.is_relative_to(FIXTURES / "common")):
            continue
        for d in found:
            assert isinstance(d.data, dict)
            if d.data["echo"]:
                continue
            message = d.message.split("\nhelp: ")[0]
            got.append(
                (
                    str(path),
                    d.range.start.line,
                    d.range.start.character,
                    str(d.code),
                    message,
                    d.data["help"],
                )
            )
    return sorted(got)


@pytest.mark.parametrize("folder", DIAGNOSTICS, ids=lambda p: p.name)
async def test_diagnostics_equal_checks_on_every_golden_fixture(
    fixtures: LanguageClient, folder: Path
) -> None:
    main = folder / "policy.pol"
    try:
        text = main.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        pytest.skip("the main file is not text an editor opens")
    limits = fixture_limits(folder)
    if limits:  # the fixtures of the limits: given as an editor's settings give them
        await configure(fixtures, {"limits": limits})
    await open_file(fixtures, main, text)
    assert shown(fixtures, folder) == expected(folder)


async def test_limits_from_the_configuration_apply_to_open_policies(
    fixtures: LanguageClient,
) -> None:
    folder = FIXTURES / "diagnostics" / "KSP132-too-many-rules"
    await open_file(fixtures, folder / "policy.pol")
    assert "KSP132" not in {code for _, _, _, code, _, _ in shown(fixtures, folder)}
    await configure(fixtures, {"limits": {"max_rules": 1}})  # the open policy again
    assert shown(fixtures, folder) == expected(folder, Limits(max_rules=1))
    await configure(fixtures, {"limits": {"max_rules": "many", "max_rulez": 3}})
    problems = [m.message for m in fixtures.messages]
    assert any("kspolicy.limits.max_rules must be a whole number" in m for m in problems)
    assert any("no limit `max_rulez`; did you mean `max_rules`?" in m for m in problems)
    assert "KSP132" not in {code for _, _, _, code, _, _ in shown(fixtures, folder)}  # left out


async def test_the_initialization_options_lie_over_the_command_line(
    client: LanguageClient,
) -> None:
    # `kspolicy lsp --limit max_rules=1`, and max_rules=20000 in the options
    rules = FIXTURES / "diagnostics" / "KSP132-too-many-rules"
    await open_file(client, rules / "policy.pol")
    assert "KSP132" not in {code for _, _, _, code, _, _ in shown(client, rules)}
    document = await open_file(client, COUNTRY)
    assert list(client.diagnostics.get(document, [])) == []
