"""Every diagnostic code: a fixture policy that produces it, and its rendering pinned.

Each folder under fixtures/diagnostics is named after the code it shows; `expected.txt`
beside it is the golden output of `kspolicy check` (regenerate with --update-golden).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kspolicy import Limits, check
from kspolicy.diagnostics import CODES, Diagnostic
from kspolicy.render.diagnostics import render_diagnostic
from kspolicy.span import Source, Span
from kspolicy.tools.cli import main

from .conftest import FIXTURES

POLICY_FIXTURES = sorted(p for p in (FIXTURES / "diagnostics").iterdir() if p.is_dir())


def limit_args(folder: Path) -> list[str]:
    """`--limit NAME=N` for each line of the fixture's limits.txt (fixtures of the limits)."""
    path = folder / "limits.txt"
    lines = path.read_text().split() if path.exists() else []
    return [arg for line in lines for arg in ("--limit", line)]


@pytest.mark.parametrize("folder", POLICY_FIXTURES, ids=lambda p: p.name)
def test_rendered_diagnostics_match_golden(
    folder: Path,
    golden: Callable[[Path, str], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(folder)
    # The fixtures share one schema, `../../common/schema.pol`: outside each policy's
    # folder, so the fixtures' folder is named as the root files must lie in.
    code = main(["check", ".", "--root", str(FIXTURES), *limit_args(folder)])
    out = capsys.readouterr().out
    golden(folder / "expected.txt", out)
    wanted = folder.name.split("-")[0]
    assert f"[{wanted}]" in out
    assert code == (1 if wanted < "KSP300" else 0)


@pytest.mark.parametrize("folder", POLICY_FIXTURES, ids=lambda p: p.name)
def test_fixture_shows_the_code_it_is_named_after(folder: Path) -> None:
    # `KSP206-unknown-list.what-else`: a second fixture of a code names what it shows.
    number, slug = folder.name.split(".")[0].split("-", 1)
    assert CODES[number].slug == slug
    limits = Limits(**{k: int(v) for k, v in (a.split("=") for a in limit_args(folder)[1::2])})
    assert number in {d.code.number for d in check(folder, limits=limits, root=FIXTURES)}


def test_every_policy_code_has_a_fixture() -> None:
    covered = {p.name.split("-")[0] for p in POLICY_FIXTURES}
    # KSP230 is about policy test files, not the policy: tests/test_testing.py shows it.
    policy_codes = {c for c in CODES if c < "KSP400"} - {"KSP230"}
    assert policy_codes - covered == set()


def test_every_code_is_documented() -> None:
    reference = (Path(__file__).resolve().parents[1] / "docs" / "language.md").read_text()
    for number, code in CODES.items():
        assert re.search(rf"^### {number} `{code.slug}`", reference, re.M), number


def test_no_internal_names_reach_the_user() -> None:
    for folder in POLICY_FIXTURES:
        text = (folder / "expected.txt").read_text()
        for leak in ("Traceback", "Token(", "__ANON", "UnexpectedToken", "lark", "$END"):
            assert leak not in text, (folder.name, leak)


@given(
    line=st.text(alphabet="ab( )x=9", min_size=1, max_size=600),
    data=st.data(),
)
def test_a_long_line_is_shown_as_a_window_with_the_caret_on_the_span(
    line: str, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(line) - 1))
    end = data.draw(st.integers(start, len(line)))
    source = Source("p.pol", "# first line\n" + line + "\n")
    span = Span(source, 13 + start, 13 + end)
    rendered = render_diagnostic(Diagnostic(CODES["KSP101"], "m", span)).splitlines()
    shown = rendered[2].split(" | ", 1)[1]
    caret = rendered[3].split(" | ", 1)[1]
    at = len(caret) - len(caret.lstrip(" "))
    assert shown[at] == line[start]  # the caret stands under the span's first character
    assert len(shown) <= max(len(line), 102)
    width = len(caret.strip())
    assert shown[at : at + width].rstrip("…") in line[start : max(end, start + 1)]
