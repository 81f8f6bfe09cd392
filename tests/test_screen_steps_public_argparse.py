"""`screen`'s refusal of a misspelled step is made with argparse's public API only (an
action's `choices` and `ArgumentError`), not by subclassing its private
`_SubParsersAction`, and says the same as before."""

from __future__ import annotations

import argparse
import ast
import inspect

import pytest

from kspolicy.tools import screen

from .test_screen_cli import _run


def test_screen_typo_refusal_uses_no_private_argparse_name() -> None:
    tree = ast.parse(inspect.getsource(screen))
    private = sorted(
        {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "argparse"
            and node.attr.startswith("_")
        }
    )
    assert private == []


def test_screen_reveiw_is_refused_with_the_spelling_that_screens_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _run(["screen", "reveiw", "HIT"], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == (
        "kspolicy screen: error: argument STEP: no step 'reveiw': did you mean `review`? "
        "to screen the name, write `kspolicy screen name reveiw`"
    )


def test_screen_name_reveiw_screens_the_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["screen", "name", "reveiw", "--list", "SEVEN_SONS"], capsys)
    assert (code, out) == (0, "reveiw: SEVEN_SONS: none\n")


def test_screen_help_still_lists_the_three_steps(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="kspolicy")
    screen.register(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):
        parser.parse_args(["screen", "--help"])
    listed = capsys.readouterr().out.split("positional arguments:")[1].split()
    assert listed[:4] == ["STEP", "name", "what", "each"]
    assert "batch" in listed and "review" in listed
