"""`--limit NAME=VALUE` says what a value must be in the words the language server uses:
a new-user trial was told "write NAME=NUMBER" for `max_items=-1`, though -1 is a number."""

from __future__ import annotations

import pytest

from kspolicy.limits import VALUE_WANTED
from kspolicy.lsp.options import read_settings
from kspolicy.tools.cli import main


@pytest.mark.parametrize("value", ["-1", "1.5", "x", "", "²"])
def test_kspolicy_check_limit_max_items_minus_one_says_a_whole_number_of_0_or_more(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--limit", f"max_items={value}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"'max_items={value}': the value of max_items must be {VALUE_WANTED}" in err
    assert "NAME=NUMBER" not in err and "Traceback" not in err


def test_the_cli_and_the_language_server_say_it_alike() -> None:
    problems = read_settings({"limits": {"max_items": -1}}).problems
    assert problems == (f"kspolicy.limits.max_items must be {VALUE_WANTED}, not -1",)
