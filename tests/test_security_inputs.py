"""A policy reads only files inside its folder, and every failure to read one is a
located diagnostic (issue 11, items 5 and 6): the reproducers, one test each."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy.diagnostics import Diagnostic
from kspolicy.render.diagnostics import render_diagnostics
from kspolicy.tools.cli import main

from .conftest import FIXTURES

HEADER = 'policy test version "1"\nimport "schema.pol"\nlists "lists/*.toml"\n'
RULE = 'rule r cite "x" when project.trl >= 3 then verdict >= notify because "b"\n'
SECRET = "secret_token_from_outside = 1\n"


def make_policy(folder: Path, extra: str = "") -> Path:
    """The common fixture schema and lists in `folder`, and a policy.pol with `extra`."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "common" / "schema.pol", folder / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", folder / "lists", dirs_exist_ok=True)
    (folder / "policy.pol").write_text(HEADER + extra + RULE, encoding="utf-8")
    return folder


def errors(folder: Path, **options: Any) -> list[Diagnostic]:
    return [d for d in kspolicy.check(folder, **options) if d.is_error]


def only(found: list[Diagnostic], code: str) -> Diagnostic:
    assert [d.code.number for d in found] == [code], render_diagnostics(found)
    return found[0]


def test_lists_with_an_absolute_pattern_is_a_located_diagnostic(tmp_path: Path) -> None:
    # Found in issue 11: `lists "/etc/*.toml"` raised NotImplementedError from pathlib.
    folder = make_policy(tmp_path / "policy", 'lists "/etc/*.toml"\n')
    found = only(errors(folder), "KSP213")
    assert found.message == "`/etc/*.toml` is an absolute path"
    assert (found.span.source.name, found.span.line) == ("policy.pol", 4)
    assert found.help and "copy the file into the folder" in found.help


def test_lists_with_an_empty_pattern_is_a_located_diagnostic(tmp_path: Path) -> None:
    # Found in issue 11: `lists ""` raised ValueError from pathlib.
    folder = make_policy(tmp_path / "policy", 'lists ""\n')
    found = only(errors(folder), "KSP213")
    assert found.message == "the pattern is empty"
    assert found.span.line == 4


def test_a_list_pattern_pathlib_refuses_is_a_located_diagnostic(tmp_path: Path) -> None:
    folder = make_policy(tmp_path / "policy", 'lists "lists/**x.toml"\n')
    found = only(errors(folder), "KSP213")
    assert found.message.startswith("cannot look for `lists/**x.toml`: ")
    assert found.span.line == 4


def test_an_import_of_a_very_long_file_name_is_a_located_diagnostic(tmp_path: Path) -> None:
    # Found in issue 11: OSError 36 (ENAMETOOLONG) from os.stat, a traceback.
    name = "a" * 300 + ".pol"
    folder = make_policy(tmp_path / "policy", f'import "{name}"\n')
    found = only(errors(folder), "KSP110")
    assert (
        found.message
        == f"cannot read `{'a' * 30}…{'a' * 26}.pol`: the name is too long for the file system"
    )
    assert found.help == "shorten the name"
    assert found.span.line == 4


def deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make everything under `denied` unreadable, as chmod does for anyone but root
    (the tests may run as root, whom permissions do not stop)."""
    real_open, real_scandir = os.open, os.scandir

    def refuse(path: Any) -> None:
        if Path(os.fsdecode(path)).resolve().is_relative_to(denied.resolve()):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> int:
        refuse(path)
        return real_open(path, *args, **kwargs)

    def fake_scandir(path: Any = ".") -> Any:
        refuse(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    monkeypatch.setattr(os, "listdir", lambda path=".": [*map(os.fsdecode, fake_scandir(path))])


def test_an_unreadable_policy_folder_is_a_located_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found in issue 11: PermissionError from os.stat, a traceback.
    folder = make_policy(tmp_path / "policy")
    deny(monkeypatch, folder)
    found = only(errors(folder), "KSP110")
    assert found.message == "cannot read `policy.pol`: permission denied"
    assert found.help == "check that this user may read the file and its folders"


def test_an_unreadable_imported_file_is_a_diagnostic_at_its_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_policy(tmp_path / "policy")
    deny(monkeypatch, folder / "schema.pol")
    found = [d for d in errors(folder) if d.code.number == "KSP110"]
    assert [(d.message, d.span.line) for d in found] == [
        ("cannot read `schema.pol`: permission denied", 2)
    ]


def test_an_unreadable_lists_folder_is_named_in_the_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_policy(tmp_path / "policy")
    deny(monkeypatch, folder / "lists")
    found = [d for d in errors(folder) if d.code.number == "KSP213"]
    assert [(d.message, d.help) for d in found] == [
        (
            "`lists/*.toml` finds no list file",
            "the folder `lists` cannot be read: permission denied; check that this user may "
            "read the file and its folders",
        )
    ]


@pytest.mark.parametrize("how", ["absolute", "dot-dot"])
def test_import_of_a_file_outside_the_policy_folder_never_quotes_it(
    tmp_path: Path, how: str
) -> None:
    # Found in issue 11: `import "/etc/passwd"` parsed the file as a policy, and the
    # diagnostic showed its first line (`root:x:0:0:...`).
    outside = tmp_path / "outside.pol"
    outside.write_text(SECRET)
    written = str(outside) if how == "absolute" else "../outside.pol"
    folder = make_policy(tmp_path / "policy", f'import "{written}"\n')
    found = errors(folder)
    text = render_diagnostics(found)
    assert "secret_token" not in text
    diagnostic = only(found, "KSP213")
    assert (
        diagnostic.message
        == {
            "absolute": f"`{outside}` is an absolute path",
            "dot-dot": "`../outside.pol` leads out of the policy's folder",
        }[how]
    )
    assert diagnostic.span.line == 4


@pytest.mark.skipif(not Path("/etc/passwd").exists(), reason="needs /etc/passwd")
def test_import_of_etc_passwd_is_refused_unread(tmp_path: Path) -> None:
    folder = make_policy(tmp_path / "policy", 'import "/etc/passwd"\n')
    found = errors(folder)
    assert "root:" not in render_diagnostics(found)
    assert only(found, "KSP213").message == "`/etc/passwd` is an absolute path"


def test_lists_leading_out_of_the_policy_folder_are_not_searched(tmp_path: Path) -> None:
    make_policy(tmp_path / "other")
    folder = make_policy(tmp_path / "policy", 'lists "../other/lists/*.toml"\n')
    found = only(errors(folder), "KSP213")
    assert found.message == "`../other/lists/*.toml` leads out of the policy's folder"


def test_a_link_inside_the_policy_folder_to_a_file_outside_is_refused(tmp_path: Path) -> None:
    # The choice made: a link is followed, then judged like `../`; what a policy reads
    # does not depend on how its folder was put together.
    outside = tmp_path / "outside.pol"
    outside.write_text(SECRET)
    folder = make_policy(tmp_path / "policy", 'import "link.pol"\n')
    (folder / "link.pol").symlink_to(outside)
    found = errors(folder)
    assert "secret_token" not in render_diagnostics(found)
    assert only(found, "KSP213").message == (
        "`link.pol` is a link to a file outside the policy's folder"
    )


def test_a_list_file_linked_from_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.toml"
    outside.write_text("[LEAK]\nkind = 'codes'\n")
    folder = make_policy(tmp_path / "policy")
    (folder / "lists" / "leak.toml").symlink_to(outside)
    found = only(errors(folder), "KSP213")
    assert found.message == "`lists/leak.toml` is a link to a file outside the policy's folder"


def test_links_and_dot_dot_that_stay_inside_the_policy_folder_are_followed(
    tmp_path: Path,
) -> None:
    folder = make_policy(tmp_path / "policy", 'import "sub/more.pol"\nimport "alias.pol"\n')
    (folder / "sub").mkdir()
    (folder / "sub" / "more.pol").write_text('import "../defs.pol"\n')
    (folder / "defs.pol").write_text("define high = project.trl >= 7\n")
    (folder / "alias.pol").symlink_to(folder / "defs.pol")
    policy = kspolicy.load(folder)
    assert [name for name, _ in policy.files] == [
        "policy.pol",
        "schema.pol",
        "lists/lists.toml",
        "sub/more.pol",
        "defs.pol",
    ]


def test_a_root_lets_policies_share_files_in_a_folder_above_them(tmp_path: Path) -> None:
    make_policy(tmp_path / "shared")
    folder = tmp_path / "policies" / "one"
    folder.mkdir(parents=True)
    (folder / "policy.pol").write_text(
        'policy one version "1"\nimport "../../shared/schema.pol"\n'
        'lists "../../shared/lists/*.toml"\n' + RULE
    )
    escapes = [d.message for d in errors(folder) if d.code.number == "KSP213"]
    assert escapes == [
        "`../../shared/schema.pol` leads out of the policy's folder",
        "`../../shared/lists/*.toml` leads out of the policy's folder",
    ]
    assert errors(folder, root=tmp_path) == []
    policy = kspolicy.load(folder, root=tmp_path)
    assert policy.evaluate({"project": {"trl": 4}}).outcomes["verdict"] == "notify"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_an_import_of_a_fifo_is_refused_unread(tmp_path: Path) -> None:
    folder = make_policy(tmp_path / "policy", 'import "pipe.pol"\n')
    os.mkfifo(folder / "pipe.pol")
    found = only(errors(folder), "KSP110")
    assert found.message == "cannot read `pipe.pol`: it is a named pipe (FIFO), not a file"


def test_the_cli_reports_the_escape_at_its_line_with_a_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_policy(tmp_path / "policy", 'import "../outside.pol"\n')
    assert main(["check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{folder}/policy.pol:4:1: error[KSP213]: `../outside.pol` leads out of")
    assert "help: a policy reads only files inside its folder" in out
