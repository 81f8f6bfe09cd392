"""Files written in a folder others can write to: no planted name redirects a write."""

from __future__ import annotations

import io
import os
import tomllib
from pathlib import Path

import pytest

from kspolicy.cli import main


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
