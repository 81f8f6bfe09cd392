"""Diagnostics a policy officer meets (issue 15, item 9): each mistake reported once, at
its cause, with the likely fix. The reproducers are fixtures under
fixtures/diagnostics (`CODE-slug.what`), whose rendering test_diagnostics.py pins."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kspolicy import check
from kspolicy.diagnostics import Diagnostic

from .conftest import FIXTURES

HEADER = (
    'policy t version "1"\nimport "../../common/schema.pol"\nlists "../../common/lists/*.toml"\n'
)


def errors(folder: str) -> list[Diagnostic]:
    found = check(FIXTURES / "diagnostics" / folder, root=FIXTURES)
    return [d for d in found if d.is_error]


def written(write_policy: Callable[..., Path], text: str) -> list[Diagnostic]:
    """The errors of a one-file policy beside a copy of the fixtures' common schema."""
    common = FIXTURES / "common"
    root = write_policy(
        {
            "common/schema.pol": (common / "schema.pol").read_text(encoding="utf-8"),
            "common/lists/lists.toml": (common / "lists" / "lists.toml").read_text(),
            "a/b/policy.pol": HEADER + text,
        }
    )
    return [d for d in check(root / "a" / "b", root=root) if d.is_error]


def test_misspelt_list_name_after_in_is_an_unknown_list() -> None:
    [found] = errors("KSP206-unknown-list.list-name-with-a-word-added")
    assert found.code.number == "KSP206"
    assert found.message == "unknown list `ADEQUATE_COUNTRIES`"
    assert found.help == "did you mean `ADEQUATE`?"  # not every country code


def test_unclosed_text_is_reported_at_its_opening_quote() -> None:
    [found] = errors("KSP103-unterminated-text.closed-lines-later")
    assert found.code.number == "KSP103"
    assert found.span.text == '"' and found.span.line == 6
    assert "runs on to line 9" in found.message


def test_missing_comma_between_codes_names_the_fix() -> None:
    [found] = errors("KSP101-unexpected-token.missing-comma")
    assert found.span.text == "licence"
    assert found.help == "separate the codes a rule adds with commas: `+= report, licence`"


def test_misspelt_because_names_the_keyword() -> None:
    [found] = errors("KSP101-unexpected-token.misspelt-keyword")
    assert found.span.text == "becuase" and found.help == "did you mean `because`?"


def test_misspelt_type_brings_no_follow_on_errors() -> None:
    found = errors("KSP207-unknown-type.no-follow-on-errors")
    assert [(d.code.number, d.span.text) for d in found] == [
        ("KSP207", "Host"),
        ("KSP207", "Partnr"),
    ]


def test_broken_list_file_brings_no_follow_on_errors() -> None:
    found = errors("KSP120-list-syntax.no-follow-on-errors")
    assert [d.code.number for d in found] == ["KSP120"]


def test_a_poisoned_name_hides_only_its_own_follow_ons(write_policy: Callable[..., Path]) -> None:
    found = written(
        write_policy,
        "record Visit {\n  host: Partnr\n  days: int\n}\n"
        "define v = any x in partners: x.kind == military\n"
        'rule r cite "c" when partner.militry_ties then verdict >= notify because "b"\n',
    )
    # The misspelt type is reported; an unrelated misspelt field still is too.
    assert sorted(d.code.number for d in found) == ["KSP201", "KSP207"]


def test_a_text_over_several_lines_is_not_taken_for_an_unclosed_one(
    write_policy: Callable[..., Path],
) -> None:
    [found] = written(
        write_policy,
        'rule r cite "risks" when partner.military_ties then verdict >= notify\n'
        '  because "a reason\n  over two lines" 42\n',
    )
    assert (found.code.number, found.span.text) == ("KSP101", "42")


def test_codes_with_commas_and_the_right_keyword_still_parse(
    write_policy: Callable[..., Path],
) -> None:
    assert (
        written(
            write_policy,
            'rule r cite "risks" when partner.military_ties then obligations += report, licence '
            'verdict >= notify because "b"\n',
        )
        == []
    )
