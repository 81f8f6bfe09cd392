"""Files written in a folder others can write to: no planted name redirects a write."""

from __future__ import annotations

import io
import os
import tomllib
from pathlib import Path

import pytest

from kspolicy.tools.cli import main


def test_ask_never_follows_a_symlink_planted_at_its_temporary_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "someone-elses-file"
    victim.write_text("precious\n")
    case = tmp_path / "case.toml"
    case.write_text('institution = "UGent"\n')
    # ask once wrote every answer to the fixed name .case.toml.tmp, then renamed it
    (tmp_path / ".case.toml.tmp").symlink_to(victim)
    monkeypatch.setattr("sys.stdin", io.StringIO("0\nq\n"))
    assert main(["ask", str(case)]) == 0
    assert victim.read_text() == "precious\n"
    assert not case.is_symlink() and tomllib.loads(case.read_text())["partners"] == []
    assert {p.name for p in tmp_path.iterdir()} == {victim.name, case.name, ".case.toml.tmp"}


def test_ask_never_writes_its_backup_through_a_planted_symlink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.toml"
    case.write_text('# a comment worth a backup\ninstitution = "UGent"\n')
    elsewhere = tmp_path / "not-yet-there"
    (tmp_path / "case.orig.toml").symlink_to(elsewhere)  # dangling: exists() said no
    monkeypatch.setattr("sys.stdin", io.StringIO("0\nq\n"))
    assert main(["ask", str(case)]) == 0
    assert not elsewhere.exists()
    assert "kept as" not in capsys.readouterr().out


def test_ask_keeps_the_permissions_of_the_case_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.toml"
    case.write_text('institution = "UGent"\n')
    case.chmod(0o640)
    monkeypatch.setattr("sys.stdin", io.StringIO("0\nq\n"))
    assert main(["ask", str(case)]) == 0
    assert os.stat(case).st_mode & 0o777 == 0o640  # mkstemp alone would make it 0o600


def test_fmt_never_follows_a_symlink_planted_at_its_temporary_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "someone-elses-file"
    victim.write_text("precious\n")
    source = tmp_path / "p.pol"
    source.write_text('policy p version "1"\ndecision { level: scale low < high }\n\n\n')
    (tmp_path / ".p.pol.tmp").symlink_to(victim)
    assert main(["fmt", str(source)]) == 0
    assert "reformatted" in capsys.readouterr().out
    assert victim.read_text() == "precious\n" and not source.is_symlink()


def test_template_out_never_writes_through_a_dangling_symlink(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found in issue 11's review: template checked exists() (False for a dangling link)
    # and then wrote, through the link, to wherever it pointed.
    elsewhere = tmp_path / "not-yet-there"
    out = tmp_path / "new.toml"
    out.symlink_to(elsewhere)
    assert main(["template", "--out", str(out)]) == 2
    assert "exists; the template never overwrites a file" in capsys.readouterr().err
    assert not elsewhere.exists() and out.is_symlink()


def test_template_out_never_writes_through_a_symlink_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = tmp_path / "someone-elses-file"
    victim.write_text("precious\n")
    out = tmp_path / "new.toml"
    out.symlink_to(victim)
    assert main(["template", "--out", str(out)]) == 2
    assert victim.read_text() == "precious\n"


def test_template_out_writes_a_new_file_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new.toml"
    assert main(["template", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["template"]) == 0
    assert out.read_text() == capsys.readouterr().out
    assert (out.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
