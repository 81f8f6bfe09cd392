"""Every path the command line takes, made bad in every way: an error in words, exit 2.

The subcommands and their path arguments are read from the argparse parser itself, so
a subcommand or a path option added later is tried here without anyone listing it.
Each is given a path that is missing, one in a folder nobody may write to, one whose
name is too long for the file system, one that is a folder, and one under a file; the
command must end with a message naming the path, never with a traceback.
"""

from __future__ import annotations

import argparse
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from kspolicy.tools.cli import _parser, main
from kspolicy.tools.output import OutFile

from .conftest import ROOT

POLICY = ROOT / "examples" / "policies" / "screening"
CASE = POLICY / "cases" / "drone-partner-in-china.toml"
IMPORTS = ROOT / "tests" / "data" / "screening" / "import"

# The arguments that make each subcommand succeed, by argparse `dest`. A subcommand not
# named here still runs below, with its required arguments filled in as files.
GOOD: dict[tuple[str, ...], list[dict[str, str]]] = {
    ("check",): [{"policy": "{policy}"}],
    ("eval",): [
        {"case": "{case}", "policy": "{policy}", "record": "{work}/new-log.jsonl"},
        {"batch": "{batch}", "policy": "{policy}", "out": "{work}/out.jsonl"},
    ],
    ("fmt",): [{"files": "{work}/copy.pol", "check": ""}],
    ("ask",): [{"case": "{work}/case.toml", "policy": "{policy}", "out": "{work}/asked.toml"}],
    ("template",): [{"policy": "{policy}", "out": "{work}/template.toml"}],
    ("test",): [{}],  # the built-in pack, which has tests
    ("verify",): [{"log": "{log}", "checkpoint": "{checkpoint}", "public_key": "{key}.pub"}],
    ("replay",): [{"log": "{log}", "policy": "{policy}"}],
    ("screen", "name"): [{"name": "Harbin Institute of Technology"}],
    ("screen", "batch"): [{"batch": "{work}/names.csv"}],
    ("screen", "review"): [
        {
            "reviewed": "HIT",
            "list_name": "SEVEN_SONS",
            "confirm": "",
            "by": "an officer",
            "why": "the partner's letterhead",
            "file": "{work}/adjudications.toml",
            "audit": "{work}/screen-log.jsonl",
        },
    ],
    ("schema",): [{"what": "case", "policy": "{policy}"}],
    ("reassess",): [{"recorded": "{log}", "case": "{case}", "policy": "{policy}"}],
    # --check: every option checked, then exit (a server would listen until stopped).
    ("serve",): [{"policy": "{policy}", "audit_log": "{work}/served.jsonl", "check": ""}],
    ("explain",): [{"case": "{case}", "policy": "{policy}", "out": "{work}/explained.txt"}],
    ("audit", "keygen"): [{"out": "{work}/new-key"}],
    ("audit", "checkpoint"): [
        {"log": "{log}", "key": "{key}", "out": "{work}/new.checkpoint", "previous": "{checkpoint}"}
    ],
    ("audit", "consistent"): [
        {"old": "{checkpoint}", "new": "{checkpoint}", "public_key": "{key}.pub"}
    ],
    ("diff",): [{"old": "{policy}", "new": "{policy}", "cases": "{batch}"}],
    ("prove",): [
        {
            "policies": "{policy}",
            "property": str(
                ROOT / "policies" / "knowledge-security" / "properties" / "6-cited.toml"
            ),
            "counterexamples": "{work}/counterexamples",
        }
    ],
    ("lists", "import"): [
        {
            "format": "uk",
            "file": str(IMPORTS / "uk.xml"),
            "out": "{work}/list.toml",
            "previous": str(IMPORTS / "uk.previous.toml"),
        }
    ],
}


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> dict[tuple[str, ...], argparse.ArgumentParser]:
    """Every leaf subcommand (`audit checkpoint` too) and its parser."""
    found: dict[tuple[str, ...], argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_commands(sub, (*prefix, name)))
    return found or {prefix: parser}


COMMANDS = _commands(_parser())


def _path_arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.type is Path or isinstance(a.type, OutFile)]


def _argv(
    command: tuple[str, ...], parser: argparse.ArgumentParser, given: dict[str, str]
) -> list[str]:
    argv = list(command)
    for action in parser._actions:
        if action.dest not in given:
            continue
        value = given[action.dest]
        if not action.option_strings:
            argv.append(value)
        elif value == "" and action.nargs == 0:
            argv.append(action.option_strings[0])
        else:
            argv += [action.option_strings[0], value]
    return argv


def _fallback(parser: argparse.ArgumentParser, work: Path) -> dict[str, str]:
    """A command nobody wrote arguments for: its required arguments, files for paths."""
    given = {}
    for action in parser._actions:
        if action.required and action.dest != "help":
            if action.type is Path:
                empty = work / f"{action.dest}.given"
                empty.touch()
                given[action.dest] = str(empty)
            else:
                given[action.dest] = "x"
    return given


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The files the good arguments name: a case, a batch, an audit log, keys, a checkpoint."""
    work = tmp_path_factory.mktemp("world")
    shutil.copy(CASE, work / "case.toml")
    shutil.copy(POLICY / "policy.pol", work / "copy.pol")
    (work / "batch.jsonl").write_text('{"project": {"trl": 3}}\n', encoding="utf-8")
    (work / "names.csv").write_text("name,country\nHarbin Institute of Technology,CN\n", encoding="utf-8")
    log = work / "log.jsonl"
    places = {"policy": str(POLICY), "case": str(CASE), "batch": str(work / "batch.jsonl")}
    assert main(["eval", str(CASE), "--policy", str(POLICY), "--record", str(log)]) == 0
    assert main(["audit", "keygen", "--out", str(work / "key")]) == 0
    signed = work / "log.checkpoint"
    assert (
        main(["audit", "checkpoint", str(log), "--key", str(work / "key"), "--out", str(signed)])
        == 0
    )
    return {
        **places,
        "log": str(log),
        "key": str(work / "key"),
        "checkpoint": str(signed),
        "work": str(work),
    }


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refusing an argument: a message, exit 2
        code = exc.code if isinstance(exc.code, int) else 2
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _fresh(given: dict[str, str]) -> None:
    """Remove what a run before wrote, so that each run writes its outputs anew."""
    for name in ("out", "record"):
        if name in given and Path(given[name]).is_file():
            Path(given[name]).unlink()


def _bad_paths(tmp: Path) -> dict[str, Path]:
    folder = tmp / "folder.toml"
    folder.mkdir()
    a_file = tmp / "a-file.txt"
    a_file.write_text("x", encoding="utf-8")
    return {
        "missing": tmp / "nonexistent" / "dir" / "x.toml",
        # /sys refuses new files, root's too: a folder nobody may write in.
        "unwritable": Path("/sys/kspolicy-test.toml"),
        "too long": tmp / ("a" * 300 + ".toml"),
        "a folder": folder,
        "under a file": a_file / "x.toml",
    }


CASES = [
    (command, action.dest)
    for command, parser in sorted(COMMANDS.items())
    for action in _path_arguments(parser)
]


def test_every_subcommand_is_found_with_its_path_arguments() -> None:
    assert {("eval",), ("template",), ("audit", "checkpoint"), ("lists", "import")} <= set(COMMANDS)
    assert (("eval",), "out") in CASES and (("check",), "root") in CASES


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=" ".join)
def test_the_good_arguments_succeed(
    command: tuple[str, ...],
    world: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The baseline is sound: a bad path below fails because of that path alone."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    parser = COMMANDS[command]
    for given in GOOD.get(command) or [_fallback(parser, Path(world["work"]))]:
        filled = {k: v.format(**world) for k, v in given.items()}
        _fresh(filled)
        code, output = _run(_argv(command, parser, filled), capsys)
        assert "Traceback" not in output
        if command in GOOD:
            assert code == 0, output


@pytest.mark.parametrize(
    ("command", "dest"), CASES, ids=lambda x: " ".join(x) if isinstance(x, tuple) else x
)
def test_every_subcommand_with_unwritable_missing_too_long_and_folder_paths(
    command: tuple[str, ...],
    dest: str,
    world: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    parser = COMMANDS[command]
    action = next(a for a in parser._actions if a.dest == dest)
    variants = GOOD.get(command) or [_fallback(parser, Path(world["work"]))]
    base = next((v for v in variants if dest in v), variants[0])
    for kind, bad in _bad_paths(tmp_path).items():
        given: dict[str, Any] = {k: v.format(**world) for k, v in base.items()}
        _fresh(given)
        given[dest] = str(bad)
        code, output = _run(_argv(command, parser, given), capsys)
        assert "Traceback" not in output, (kind, output)
        takes_folder = action.metavar in ("DIR",) or command == ("fmt",)
        if kind == "a folder" and takes_folder:
            continue  # a folder is what it asks for
        assert code == 2, (kind, output)
        assert bad.name[:40] in output, (kind, output)
