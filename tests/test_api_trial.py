"""A new user's trial of the Python API and the CLI (session 8, apifix): each test is
named after a reproducer of the trial."""

from __future__ import annotations

import ast
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import ArgumentError
from kspolicy import policy as facade

from .conftest import ROOT

SCREENING = ROOT / "examples" / "policies" / "screening"


@pytest.fixture(scope="module")
def small() -> kspolicy.Policy:
    return kspolicy.load(SCREENING)


@pytest.mark.parametrize("workers", ["two", 0, -1, True, 2.0])
def test_evaluate_many_workers_two_as_a_string_is_an_argument_error(
    small: kspolicy.Policy, workers: Any
) -> None:
    """`workers="two"` raised a raw TypeError from a comparison; `workers=0` was taken
    silently, while the CLI refuses `--workers 0`; a bool is not a count either."""
    with pytest.raises(ArgumentError, match=r"workers is a number of 1 or more, or None"):
        small.evaluate_many([], workers=workers)


def dies(policy: kspolicy.Policy, context: Any, chunk: list[Any]) -> Any:
    """A task whose process stops (as a worker that ran an unguarded script does)."""
    os.kill(os.getpid(), signal.SIGKILL)


def eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers at once, deciding every chunk after the first."""
    monkeypatch.setattr(facade, "CHUNK", 4)
    monkeypatch.setattr(facade, "STARTING", 0)


def test_evaluate_many_in_a_script_without_main_guard_names_the_guard_and_workers_1(
    small: kspolicy.Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's failure said "killed, or out of memory?" and "--workers 1", a CLI
    flag: from a script without a `__main__` guard it names the guard and `workers=1`."""
    eager(monkeypatch)
    script = tmp_path / "trial.py"
    script.write_text("print('the script')\n")  # what a spawned worker runs again
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    with pytest.raises(facade.WorkerFailed) as caught:
        list(facade.spread(small, dies, None, range(40), workers=2))
    said = str(caught.value)
    assert f"the main module {script} again" in said and '__name__ == "__main__"' in said
    assert "with workers=1 to decide" in said and "--workers" not in said


def test_evaluate_many_in_a_worker_running_the_script_again_says_the_guard(
    small: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a worker running an unguarded script again, the script's own evaluate_many
    printed multiprocessing's RuntimeError: now one line saying the guard."""
    eager(monkeypatch)
    monkeypatch.setattr(multiprocessing.current_process(), "_inheriting", True, raising=False)
    with pytest.raises(SystemExit, match=r'under `if __name__ == "__main__":`'):
        list(small.evaluate_many([{}] * 40, workers=2))


def test_evaluate_many_from_a_stdin_script_names_the_cause_and_workers_1() -> None:
    """`python - <<EOF` with workers=2 failed with "killed, or out of memory?" and
    "--workers 1": no worker can run a script read from standard input."""
    script = (
        "import kspolicy, kspolicy.policy as facade\n"
        "facade.CHUNK = 4\n"
        f"policy = kspolicy.load({str(SCREENING)!r})\n"
        "try:\n"
        "    list(policy.evaluate_many([{}] * 40, workers=2))\n"
        "except kspolicy.KspolicyError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, timeout=60
    )
    assert done.stderr == ""
    assert done.stdout.startswith("WorkerFailed worker processes run the main module again")
    assert "<stdin> is not a file" in done.stdout and "use workers=1" in done.stdout


def test_dir_of_kspolicy_offers_the_facade_not_any_or_type_checking() -> None:
    """`dir(kspolicy)` was `['Any', 'TYPE_CHECKING', '_HOMES', dunders]`: tab completion
    offered typing's names and none of the package's."""
    names = dir(kspolicy)
    assert set(kspolicy.__all__) <= set(names) and "__version__" in names
    assert "policy" in names  # a submodule imported (by the fixture's load)
    assert not {"Any", "TYPE_CHECKING", "_HOMES"} & set(names)
    assert not {"Any", "TYPE_CHECKING"} & set(vars(kspolicy))
    with pytest.raises(AttributeError):
        getattr(kspolicy, "Any")  # noqa: B009 (a name mypy knows is not there)


def test_help_of_kspolicy_lists_the_facade_not_only_getattr() -> None:
    """`help(kspolicy)` listed only `__getattr__`: its docstring names every name of the
    package, and pydoc shows the classes and functions."""
    import pydoc

    for name in kspolicy.__all__:
        assert f"`{name}`" in (kspolicy.__doc__ or ""), name
    shown = pydoc.plain(pydoc.render_doc(kspolicy))
    assert "class Policy(" in shown and "class Decision(" in shown
    assert "\n    load(" in shown and "\n    check(" in shown


CASE = ROOT / "examples" / "cases" / "aircraft-engine-noise-with-little-known-maltese-company.toml"


@pytest.mark.parametrize(
    "command",
    [
        ["eval", str(CASE), "--format", "json"],
        ["eval", str(CASE)],
        ["template"],
        ["explain", str(CASE)],
        ["explain", str(CASE), "--format", "md"],
    ],
)
def test_eval_out_dash_writes_to_standard_output(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`kspolicy eval CASE --out -` wrote a file named `-`: `-` is standard output, the
    same text as without `--out`, for every command whose output can go there."""
    from kspolicy.tools.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(command) == 0
    plain = capsys.readouterr().out
    assert main([*command, "--out", "-"]) == 0
    assert capsys.readouterr().out == plain != ""
    assert not (tmp_path / "-").exists()


def test_eval_batch_and_checkpoint_out_dash_write_to_standard_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--out -` of a batch gives its lines, of `audit checkpoint` the checkpoint (and
    what was signed, on stderr), not a file named `-`."""

    from kspolicy.tools.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "cases.jsonl").write_text('{"partners": [{"name": "HIT", "country": "CN"}]}\n')
    assert main(["eval", "--batch", "cases.jsonl", "--as-of", "2026-01-15", "--out", "-"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["line"] == 1 and line["decision"]["outcomes"]["verdict"] == "notify"
    assert main(["eval", str(CASE), "--record", "audit.jsonl"]) == 0
    assert main(["audit", "keygen", "--out", "key"]) == 0
    capsys.readouterr()
    assert main(["audit", "checkpoint", "audit.jsonl", "--key", "key", "--out", "-"]) == 0
    said = capsys.readouterr()
    assert json.loads(said.out)["size"] == 1 and said.err.startswith("-: 1 record, root ")
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (["ask", str(CASE)], "ask asks its questions on standard output"),
        (["audit", "keygen"], "the key pair is two files"),
        (["lists", "import", "ofac-sdn", "list.xml"], "a list file replaces the old one"),
    ],
)
def test_out_dash_is_refused_where_standard_output_cannot_hold_the_output(
    command: list[str],
    why: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Where the output cannot go to standard output, `--out -` is refused, not a file."""
    from kspolicy.tools.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--out", "-"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "argument --out: - (standard output) cannot be the output" in err and why in err
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--detail", "full"], "--detail full: the detail of the decision JSON, for --format json"),
        (["--detail", "compact"], "--detail compact: the detail of the decision JSON"),
        (["--explain"], "--explain: the trace goes into the decision JSON (--format json)"),
    ],
)
def test_eval_case_detail_full_with_text_format_is_refused(
    option: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`eval CASE --detail full` (text) ignored --detail, as `--explain` the trace: the
    text has one form, so both are refused, as docs/cli.md promises."""
    from kspolicy.tools.cli import main

    assert main(["eval", str(CASE), *option]) == 2
    assert said in capsys.readouterr().err
    assert main(["eval", str(CASE), *option, "--format", "json"]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["format"] == ("full/1" if "full" in option else "compact/1")
    assert ("trace" in decision) == ("--explain" in option or "full" in option)


def test_screen_name_after_a_dismissal_shows_the_dismissal_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After a reviewer dismissed a match, `screen name X` showed just `none`, without
    the note a confirmation gets: who dismissed which entry, when and why."""
    from kspolicy.tools.cli import main

    from .test_screen_language import make_policy

    make_policy(tmp_path)
    policy = ["--policy", str(tmp_path / "policy.pol")]
    review = ["screen", "review", "HIT", "--list", "LISTED", "--by", "j.doe", *policy]
    assert main([*review, "--why", "a namesake", "--dismiss"]) == 0
    capsys.readouterr()
    assert main(["screen", "name", "HIT", *policy]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("HIT: LISTED: none; Harbin Institute of Technology dismissed by j.doe")
    assert line.endswith(": a namesake")
    assert main(["screen", "name", "HIT", "--json", *policy]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["answer"] == "none" and "entry" not in found
    assert found["adjudication"].startswith("Harbin Institute of Technology dismissed by j.doe")
    # A later confirmation of the entry replaces the dismissal: a match, with its note.
    entry = ["--entry", "Harbin Institute of Technology"]
    assert main([*review, "--why", "the same", "--confirm", *entry]) == 0
    capsys.readouterr()
    assert main(["screen", "name", "HIT", *policy]) == 0
    line = capsys.readouterr().out.strip()
    assert ": match: Harbin Institute of Technology" in line and "dismissed" not in line
    # Another name, never reviewed, says none and nothing else.
    assert main(["screen", "name", "Acme Widgets", *policy]) == 0
    assert capsys.readouterr().out.strip() == "Acme Widgets: LISTED: none"


@pytest.mark.parametrize(
    "command",
    [
        ["eval", "--batch", "a.jsonl", "--batch", "b.jsonl"],
        ["eval", str(CASE), "--out", "o1", "--out", "o2"],
        ["eval", str(CASE), "--as-of", "2026-01-01", "--as-of=2026-01-02"],
        ["explain", str(CASE), "--format", "md", "--format", "html"],
        ["screen", "name", "HIT", "--country", "CN", "--country", "RU"],
        ["audit", "keygen", "--out", "k1", "--out", "k2"],
    ],
)
def test_batch_given_twice_is_refused_not_the_last_taken(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--batch a --batch b` and `--out o1 --out o2` took the last silently: an option
    that takes one value is refused when given twice, in every command, and nothing is
    written."""
    from kspolicy.tools.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(command)
    assert stopped.value.code == 2
    assert ": given twice: it takes one value" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_options_meant_to_repeat_still_repeat(capsys: pytest.CaptureFixture[str]) -> None:
    """`--limit` and `screen --list` append, flags may be said twice, and the parser's
    record of what was given stays out of the command's arguments."""
    from kspolicy.tools import cli

    args = cli._parser().parse_args(
        ["eval", str(CASE), "--limit", "max_depth=70", "--limit", "max_items=900", "--explain"]
    )
    assert args.limit == [("max_depth", 70), ("max_items", 900)] and args.explain
    assert not hasattr(args, cli._GIVEN)
    again = cli._parser().parse_args(["screen", "name", "HIT", "--list", "A", "--list", "B"])
    assert again.lists == ["A", "B"]
    assert cli.main(["eval", str(CASE), "--format", "json", "--explain", "--explain"]) == 0
    assert "trace" in json.loads(capsys.readouterr().out)


def test_a_misspelt_facade_name_is_still_a_type_error() -> None:
    """Found by a review: a module `__getattr__` that type checkers see makes every
    unknown name `Any`, so `kspolicy.Polcy` passed mypy. The lazy `__getattr__` is
    defined only outside type checking (`if not TYPE_CHECKING:`)."""
    tree = ast.parse(Path(kspolicy.__file__).read_text(encoding="utf-8"))
    top = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert "__getattr__" not in top
    hidden = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and "TYPE_CHECKING" in ast.unparse(node.test)
        and ast.unparse(node.test).startswith("not ")
        and any(isinstance(d, ast.FunctionDef) and d.name == "__getattr__" for d in node.body)
    ]
    assert hidden


@pytest.mark.parametrize("name", [".", "..x", "eval.decision", "Polcy"])
def test_a_name_that_is_no_attribute_of_kspolicy_is_an_attribute_error(name: str) -> None:
    assert not hasattr(kspolicy, name)
    with pytest.raises(AttributeError):
        getattr(kspolicy, name)
