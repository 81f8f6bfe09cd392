"""The formatter: one layout, every comment kept, the tree unchanged, idempotent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from kspolicy.lang import formatter
from kspolicy.lang.parser import _lark, parse_module
from kspolicy.span import Source
from kspolicy.tools.cli import main

from .conftest import FIXTURES, ROOT

MESSY = FIXTURES / "format" / "messy.pol"


def project_policy_files() -> list[Path]:
    files = []
    for folder in ("policies", "examples", "tests/fixtures"):
        for path in sorted((ROOT / folder).rglob("*.pol")):
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # a fixture that is deliberately not UTF-8
            _, diagnostics = parse_module(Source(str(path), text))
            if not any(d.code.number < "KSP200" or d.code.number == "KSP210" for d in diagnostics):
                files.append(path)
    return files


def same(text: str) -> tuple[object, list[str]]:
    module, _ = parse_module(Source("x.pol", text))
    return module.items, sorted(c.text.rstrip() for c in module.comments)


def test_a_messy_file_gets_the_canonical_layout(golden: Callable[[Path, str], None]) -> None:
    formatted = formatter.format_source(MESSY.read_text(), "messy.pol")
    golden(FIXTURES / "format" / "messy.expected.pol", formatted)
    assert same(formatted) == same(MESSY.read_text())


@pytest.mark.parametrize("path", project_policy_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_project_policy_keeps_its_tree_and_comments(path: Path) -> None:
    original = path.read_text(encoding="utf-8")
    formatted = formatter.format_source(original, path.name)
    assert same(formatted) == same(original)
    assert formatter.format_source(formatted, path.name) == formatted


def test_the_project_policies_are_formatted(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fmt", "--check", str(ROOT / "policies"), str(ROOT / "examples")])
    assert code == 0, capsys.readouterr().out


policies = from_lark(_lark(), start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])})


@settings(
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(text=policies)
def test_generated_policies_keep_their_tree(text: str) -> None:
    module, diagnostics = parse_module(Source("x.pol", text))  # named as same() names it
    assume(
        module.items
        and not any(d.code.number < "KSP200" or d.code.number == "KSP210" for d in diagnostics)
    )
    formatted = formatter.format_source(text, "g.pol")
    assert same(formatted)[0] == module.items
    assert formatter.format_source(formatted, "g.pol") == formatted


@given(data=st.data())
def test_comments_anywhere_are_kept(data: st.DataObject) -> None:
    lines = MESSY.read_text().splitlines()
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(lines) - 1))
        note = f"# note {data.draw(st.integers(0, 999))}"
        if data.draw(st.booleans()):
            lines.insert(at, note)  # on a line of its own
        elif '"' not in lines[at] and "#" not in lines[at]:
            lines[at] += "  " + note  # at the end of a line of code
    text = "\n".join(lines) + "\n"
    formatted = formatter.format_source(text, "c.pol")
    assert same(formatted) == same(text)
    assert formatter.format_source(formatted, "c.pol") == formatted


def test_it_refuses_to_write_when_the_tree_would_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        formatter, "_operands", lambda expr: [formatter.expression(o) for o in expr.operands]
    )
    with pytest.raises(formatter.FormatError, match="would change the policy"):
        formatter.format_source("rule r when (a or b) and c then v >= x\n")


def test_fmt_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.pol"
    path.write_text("rule r when a  then v>=x\n")
    assert main(["fmt", "--check", str(path)]) == 1
    assert f"would reformat {path}" in capsys.readouterr().out
    assert path.read_text() == "rule r when a  then v>=x\n"  # --check changes nothing
    assert main(["fmt", str(path)]) == 0
    assert path.read_text() == "rule r\n  when a\n  then v >= x\n"
    assert main(["fmt", "--check", str(tmp_path)]) == 0


def test_fmt_refuses_a_file_with_syntax_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.pol"
    path.write_text("rule r when a = 1 then v >= x\n")
    assert main(["fmt", str(path)]) == 2
    err = capsys.readouterr().err
    assert "error[KSP101]" in err and "fix them before formatting" in err
    assert path.read_text() == "rule r when a = 1 then v >= x\n"


def test_two_comments_that_would_share_a_line_keep_a_line_each() -> None:
    # Found by Hypothesis: a comment inside a one-line item and one at its end were both
    # put at the end of the line, where the first swallowed the second.
    text = 'policy A version # inside\n "1"  # at the end\n'
    formatted = formatter.format_source(text, "c.pol")
    assert formatted == 'policy A version "1"  # at the end\n'.replace(
        "policy", "# inside\npolicy", 1
    )
    assert formatter.format_source(formatted, "c.pol") == formatted
