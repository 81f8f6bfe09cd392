"""Explanations for people: golden text, Markdown and HTML, in English and Dutch.

The policy's sha256 is replaced by a placeholder before comparing, so that editing the
pack does not rewrite every golden file; everything else a person reads is pinned. The
page in a real browser is tests/test_browser_explain.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import kspolicy
from kspolicy.diagnostics import KspolicyError
from kspolicy.render.document import Block, to_html, to_markdown, to_text
from kspolicy.render.explain import explain
from kspolicy.tools.cli import main

from .conftest import ROOT

GOLDEN = Path(__file__).parent / "golden" / "explain"
CASES = ROOT / "examples" / "cases"
SCENARIOS = [
    "phd-candidate-from-iranian-army-on-emotion-detection",
    "drone-technology-with-chinese-university",
    "co-supervising-phd-at-sanctioned-russian-university",
    "fieldwork-on-minority-languages-in-china",
]
RENDER: dict[str, Callable[[list[Block], str], str]] = {
    "txt": lambda blocks, lang: to_text(blocks),
    "md": lambda blocks, lang: to_markdown(blocks),
    "html": lambda blocks, lang: to_html(blocks, "explanation", lang),
}


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def rendered(pack: kspolicy.Policy, name: str, lang: str, fmt: str, **options: object) -> str:
    path = CASES / f"{name}.toml"
    facts, _ = pack.read_case(path)
    decision = pack.evaluate(path, lang=lang, explain=True)
    text = RENDER[fmt](explain(pack.checked, decision, case=facts, **options), lang)  # type: ignore[arg-type]
    return text.replace(decision.policy.sha256, "<sha256>")


@pytest.mark.parametrize("fmt", sorted(RENDER))
@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("name", SCENARIOS)
def test_explanations_match_golden(
    pack: kspolicy.Policy, golden: Callable[[Path, str], None], name: str, lang: str, fmt: str
) -> None:
    golden(GOLDEN / f"{name}.{lang}.{fmt}", rendered(pack, name, lang, fmt))


def test_an_explanation_names_every_outcome_rule_anchor_and_fact(pack: kspolicy.Policy) -> None:
    path = CASES / "drone-technology-with-chinese-university.toml"
    decision = pack.evaluate(path)
    text = rendered(pack, "drone-technology-with-chinese-university", "en", "txt")
    for result in decision.fired:
        assert result.title in text and all(anchor in text for anchor in result.cite)
        assert all(f"{k} = {v}" in text for k, v in result.facts.items())
    for question in decision.open_questions:
        assert question.question in text
    assert "Example University of Technology" in text  # which partner


def test_why_not_shows_the_condition_that_failed(
    pack: kspolicy.Policy, golden: Callable[[Path, str], None]
) -> None:
    text = rendered(
        pack,
        "drone-technology-with-chinese-university",
        "en",
        "txt",
        why_not="sensitive_research_with_military_partner",
    )
    why_not = text[text.index("Why rule") : text.rindex("\nPolicy ") + 1]  # not the footer
    golden(GOLDEN / "why-not.en.txt", why_not)
    assert "partner.military_ties → unknown" in why_not and "partner.kind → university" in why_not


def test_why_not_for_a_rule_that_does_not_exist(pack: kspolicy.Policy) -> None:
    with pytest.raises(KspolicyError, match="did you mean `military_ties`"):
        rendered(
            pack, "drone-technology-with-chinese-university", "en", "txt", why_not="military_tie"
        )


def test_why_not_with_nothing_to_bind(pack: kspolicy.Policy) -> None:
    text = rendered(pack, "european-defence-fund-call", "en", "txt", why_not="military_ties")
    assert "There is nothing to bind it to: partners is empty." in text


def test_full_adds_the_trace(pack: kspolicy.Policy) -> None:
    text = rendered(
        pack, "co-supervising-phd-at-sanctioned-russian-university", "en", "txt", full=True
    )
    assert "Trace" in text and "partner_under_binding_sanctions (partner 1) — result: fired" in text


def test_colour_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    case = str(CASES / "drone-technology-with-chinese-university.toml")
    assert main(["explain", case, "--color", "always"]) == 0
    assert "\x1b[" in capsys.readouterr().out
    assert main(["explain", case]) == 0  # captured output is not a terminal
    assert "\x1b[" not in capsys.readouterr().out


def test_the_cli_writes_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = str(CASES / "fieldwork-on-minority-languages-in-china.toml")
    for fmt in ("text", "md", "html"):
        out = tmp_path / f"x.{fmt}"
        assert main(["explain", case, "--format", fmt, "--lang", "nl", "--out", str(out)]) == 0
        assert "Open vragen" in out.read_text() or fmt != "text"
    assert main(["explain", case, "--why-not", "nope"]) == 2
    assert "the policy has no rule `nope`" in capsys.readouterr().err
