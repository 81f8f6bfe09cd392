"""A rename in the language server reaches the policy's property files: the conditions
(`given`, `given_b`) that name the renamed definition or list, and the `[change]` groups
that name a list (`"partner.country" = ["RISKY"]`), edited in the same WorkspaceEdit.
Before, the rename left them: the property no longer checked (`kspolicy prove
--property` refused its condition), with nothing in the editor to say so."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from kspolicy import check
from kspolicy.tools.cli import main

from .lsp_session import applied, client, open_file, rename, shared, uri, where, write_policy
from .test_lsp_server import RENAMING

__all__ = ["client", "shared"]  # the session's fixtures (tests/lsp_session.py)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROPERTY = '''\
# A listed partner from a risky country: RISKY and LISTED named as the pack's
# principles name its lists.
title = "A listed partner is never clear"
given = ["any_listed", """any p in partners:
    p.name matches LISTED and p.country in RISKY""",
  'not (all p in partners: p.country in RISKY)',
  "\\"LISTED\\" != \\"x\\"",  # escaped: its text in the file is not the condition's
]

[change]
# RISKY in a comment stays as it is
"partners.country" = ["SAFE", "RISKY"]

[expect]
verdict = "b >= a"
'''

FILES = {
    **RENAMING,
    "policy.pol": RENAMING["policy.pol"]
    + """
define any_listed = any p in partners: p.name matches LISTED

rule some_partner_listed
  cite "screening"
  when any_listed
  then verdict >= review
  because "a partner is listed"
""",
    "lists/countries.toml": """[RISKY]
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
    "properties/listed.toml": PROPERTY,
}


def _prove(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["prove", str(folder), "--property", str(folder / "properties/listed.toml")])
    out, err = capsys.readouterr()
    return code, out + err


async def test_rename_a_list_reaches_the_property_files_conditions_and_groups(
    tmp_path: Path, client: LanguageClient, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_policy(tmp_path / "before", FILES)
    assert check(folder) == []
    proved, said = _prove(folder, capsys)
    assert proved == 0, said
    main_file = folder / "policy.pol"
    edit = await rename(client, main_file, where(main_file, "LISTED", 2), "SCREENED")
    texts = applied(folder, edit, FILES)
    prop = texts["properties/listed.toml"]
    assert "p.name matches SCREENED and p.country in RISKY" in prop
    assert '"\\"LISTED\\" != \\"x\\""' in prop  # escaped: left alone
    assert texts["policy.pol"].count("SCREENED") == 2
    second = write_policy(tmp_path / "second", texts)
    main_file = second / "policy.pol"
    edit = await rename(client, main_file, where(main_file, "any_listed", 2), "some_listed")
    texts = applied(second, edit, FILES)
    assert 'given = ["some_listed", ' in texts["properties/listed.toml"]
    # The codes list, from its list file: the conditions and the [change] group.
    third = write_policy(tmp_path / "third", texts)
    countries = third / "lists" / "countries.toml"
    edit = await rename(client, countries, where(countries, "RISKY", 1), "HIGH_RISK")
    assert edit is not None and uri(third / "properties/listed.toml") in edit.changes
    texts = applied(third, edit, FILES)
    prop = texts["properties/listed.toml"]
    assert '"partners.country" = ["SAFE", "HIGH_RISK"]' in prop
    assert "p.country in HIGH_RISK" in prop and "p.country in HIGH_RISK)" in prop
    assert "# RISKY in a comment stays as it is" in prop
    after = write_policy(tmp_path / "after", texts)
    assert check(after) == []
    proved, said = _prove(after, capsys)
    assert proved == 0, said  # the property still reads, checks and holds


async def test_references_of_a_list_include_the_property_files(
    tmp_path: Path, client: LanguageClient
) -> None:
    folder = write_policy(tmp_path, FILES)
    countries = folder / "lists" / "countries.toml"
    document = await open_file(client, countries)
    refs = await client.text_document_references_async(
        t.ReferenceParams(
            text_document=t.TextDocumentIdentifier(document),
            position=where(countries, "RISKY", 1),
            context=t.ReferenceContext(include_declaration=True),
        )
    )
    found = sorted((Path(r.uri).parent.name, r.range.start.line) for r in refs or [])
    # Its header in its list file; in the property file, two conditions and the group.
    assert found == [("lists", 0), ("properties", 4), ("properties", 5), ("properties", 11)]
