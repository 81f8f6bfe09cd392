"""`kspolicy check` on a `policy` header whose name is in quotes (`policy "x" version
"1"`) says what is wrong with the header and how to write it: it used to say the policy
had no `policy` header at all, pointing at the start of the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from kspolicy import check
from kspolicy.tools.cli import main

BODY = "\nschema {\n  a: bool\n}\n"


def _header_diagnostics(folder: Path, header: str) -> list[tuple[int, str, str | None]]:
    (folder / "policy.pol").write_text(header + "\n" + BODY, encoding="utf-8")
    found = check(folder)
    return [(d.span.start, d.message, d.help) for d in found if d.code.number == "KSP214"]


def test_check_policy_header_with_a_quoted_name_says_the_name_is_not_a_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = _header_diagnostics(tmp_path, 'policy "Export control 2" version "1"')
    assert found == [
        (
            7,  # at the quoted name, not at the start of the file
            'the policy\'s name is written in quotes, "Export control 2": it is a name'
            " (letters, digits and `_`), not a text, so this `policy` header does not read",
            'write it without quotes: `policy export_control_2 version "..."`; a title in'
            ' words goes in `title en "..."` under it',
        )
    ]
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "no `policy` header" not in out and "written in quotes" in out
    # The fix the help gives reads.
    fixed = 'policy export_control_2 version "1"'
    assert _header_diagnostics(tmp_path, fixed) == []


def test_check_without_any_header_still_says_there_is_none(tmp_path: Path) -> None:
    found = _header_diagnostics(tmp_path, '# policy "x" is only a comment here')
    assert [message for _, message, _ in found] == ["this policy has no `policy` header"]
    assert _header_diagnostics(tmp_path, 'policy "9" version "1"')[0][2] == (
        'write it without quotes: `policy policy_9 version "..."`; a title in words goes'
        ' in `title en "..."` under it'
    )
