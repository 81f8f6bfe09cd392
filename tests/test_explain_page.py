"""Issue 15, item 13: the explanation as people read it.

The first screen says the decision, what is still open and what to do next, in the
words of the policy (labels, titles, questions), not its code names; the details fold
away; links are links; the policy's sha256 is whole and copyable; the colours hold in
light, dark and print. The same page in a real browser: tests/test_browser_explain.py.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

import kspolicy
from kspolicy.eval.decision import Decision
from kspolicy.render.document import Block, Fold, Heading, to_html, to_markdown, to_text
from kspolicy.render.explain import SHOWN, explain, label, question_impact
from kspolicy.render.labels import in_sentence
from kspolicy.render.text import render_decision

from .conftest import ROOT

CASES = ROOT / "examples" / "cases"
DRONES = CASES / "drone-technology-with-chinese-university.toml"
IRAN = CASES / "phd-candidate-from-iranian-army-on-emotion-detection.toml"
RUSSIAN = CASES / "co-supervising-phd-at-sanctioned-russian-university.toml"
CLEAR = CASES / "csc-funded-visiting-phd-on-electricity-networks.toml"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def explained(
    pack: kspolicy.Policy, case: Path, lang: str = "en", **options: object
) -> tuple[Decision, list[Block]]:
    facts, _ = pack.read_case(case)
    decision = pack.evaluate(case, lang=lang, explain=True)
    return decision, explain(pack.checked, decision, case=facts, **options)  # type: ignore[arg-type]


def first_screen(html: str) -> str:
    """The text a reader sees before opening anything: folds show only their summary."""
    body = html[html.index("<main>") :]
    body = re.sub(
        r"<details[^>]*>\s*<summary>(.*?)</summary>.*?</details>", r"\1", body, flags=re.S
    )
    return unescape(re.sub(r"<[^>]+>", "", body))


def test_the_first_screen_of_a_clear_case_says_what_could_make_it_review(
    pack: kspolicy.Policy,
) -> None:
    """The issue's reproducer: a `clear` case whose "could become" was far below."""
    decision, blocks = explained(pack, CLEAR)
    headline = decision.headline
    assert headline is not None and headline.value == "clear" and headline.provisional
    shown = first_screen(to_html(blocks, "t", "en"))
    count = len(headline.questions)
    meaning = label(pack.checked, "verdict", headline.could_become or "", "en")
    could = in_sentence(meaning)
    assert f". {count} open questions could still change this to: {could}." in shown
    assert f"Open questions ({len(decision.open_questions)})" in shown
    impact = question_impact(pack.checked, decision)
    raising = sorted(
        (q for q in decision.open_questions if q.fact in headline.questions),
        key=lambda q: impact[q.fact],
    )
    assert len(raising) > SHOWN
    assert all(q.question in shown for q in raising[:SHOWN])
    assert not any(q.question in shown for q in raising[SHOWN:])  # folded
    assert f"{count - SHOWN} more questions could still change this to: {could}" in shown
    assert shown.index("What to do next") < shown.index("Why (")


@pytest.mark.parametrize("case", [DRONES, IRAN, RUSSIAN, CLEAR], ids=lambda p: p.stem)
def test_the_first_screen_has_no_code_style_names(pack: kspolicy.Policy, case: Path) -> None:
    """Codes, rule names and fact paths are for experts: only in the folded details."""
    decision, blocks = explained(pack, case)
    shown = first_screen(to_html(blocks, "t", "en"))
    certain = [c for value in decision.outcomes.values() if isinstance(value, list) for c in value]
    possible = [c for value in decision.possible.values() if isinstance(value, list) for c in value]
    names = certain + possible + [q.fact for q in decision.open_questions]
    names += [r.rule for r in decision.fired + decision.pending]
    assert names and [name for name in names if name in shown] == []
    assert not re.search(r"\w\[\d+\]", shown)  # no `partners[0]`: records are counted from 1
    # ...and the folded details still name the codes, for whoever opens them.
    everything = to_html(blocks, "t", "en")
    assert all(f"<code>{code}</code>" in everything for code in certain)


def test_fieldwork_questions_of_a_drone_project_fold_under_what_they_could_change(
    pack: kspolicy.Policy,
) -> None:
    """The issue's drone project showed fieldwork questions among those that matter: they
    can only add checks, so they are folded, grouped under the checks."""
    decision, blocks = explained(pack, DRONES)
    fieldwork = [q for q in decision.open_questions if q.fact.startswith("fieldwork.")]
    assert fieldwork, "the pack asks about fieldwork for this case"
    impact = question_impact(pack.checked, decision)
    order = list(pack.checked.outcomes)
    assert {order[impact[q.fact][0] - 1] for q in fieldwork} == {"checks"}
    text = to_text(blocks)
    open_part = text[text.index("Open questions") : text.index("What to do next")]
    listed, folded = open_part.split("more questions could change other outcomes")
    assert decision.headline is not None
    headline_questions = [
        q.question for q in decision.open_questions if q.fact in decision.headline.questions
    ]
    assert [line[2:] for line in listed.splitlines() if line.startswith("- ")] == headline_questions
    checks = folded.index("- Checks to carry out")
    assert all(folded.index(q.question) > checks for q in fieldwork)
    assert folded.index("- Obligations") < checks  # more important outcomes first
    more = next(b for b in blocks if isinstance(b, Fold) and b.anchor == "more")
    assert more.level == 3


@pytest.mark.parametrize("case", sorted(CASES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_open_question_could_change_the_decision(pack: kspolicy.Policy, case: Path) -> None:
    """The engine asks only what could change an outcome; the page's grouping relies on
    it (a question that could change nothing would be placed after every outcome)."""
    decision = pack.evaluate(case)
    impact = question_impact(pack.checked, decision)
    outcomes = len(pack.checked.outcomes)
    assert [fact for fact, (where, _, _) in impact.items() if where > outcomes] == []
    assert decision.headline is not None
    raising = {fact for fact, (where, _, _) in impact.items() if where == 0}
    assert raising == set(decision.headline.questions)


def test_a_decision_nothing_open_can_change_says_so(pack: kspolicy.Policy) -> None:
    decision, blocks = explained(pack, RUSSIAN)
    shown = first_screen(to_html(blocks, "t", "en"))
    assert "No open question can change this decision." in shown
    count = len(decision.open_questions)
    assert f"{count} questions could change other outcomes" in shown and "more" not in shown


@pytest.mark.parametrize("render", [to_text, to_markdown], ids=["text", "markdown"])
def test_text_and_markdown_keep_the_page_s_order(pack: kspolicy.Policy, render: object) -> None:
    _, blocks = explained(pack, DRONES, why_not="military_ties", full=True)
    text = render(blocks)  # type: ignore[operator]
    order = ["Provisional decision:", "Open questions (", "What to do next", "Why (", "Outcomes",
             "What unknown facts could still change", "Why rule", "Trace", "sha256:"]  # fmt: skip
    assert [text.index(heading) for heading in order] == sorted(
        text.index(heading) for heading in order
    )


def test_record_labels_are_counted_from_1_in_the_language(pack: kspolicy.Policy) -> None:
    _, blocks = explained(pack, IRAN, "nl")
    page = to_html(blocks, "t", "nl")
    assert "onderzoeker 1" in page
    assert "onderzoeker 0" not in page and "researcher 1" not in page


def test_links_are_links(pack: kspolicy.Policy) -> None:
    _, blocks = explained(pack, DRONES, "nl")
    page = to_html(blocks, "t", "nl")
    assert '<a href="https://www.opensanctions.org">OpenSanctions</a>' in page
    assert '<a href="mailto:researchsecurity@uantwerpen.be">' in page
    long = "https://www.uantwerpen.be/nl/onderzoek/beleid/ethiek-integriteit/kennisveiligheid/"
    assert f'<a href="{long}" title="{long}">uantwerpen.be/…/kennisveiligheid</a>' in page
    markdown = to_markdown(blocks)
    assert "[OpenSanctions](https://www.opensanctions.org)" in markdown
    assert "OpenSanctions <https://www.opensanctions.org>" in to_text(blocks)


def test_the_policy_sha256_is_shown_whole_where_it_is_copied(pack: kspolicy.Policy) -> None:
    decision, blocks = explained(pack, DRONES)
    sha = decision.policy.sha256
    assert len(sha) == 64
    assert f'<code class="copy">{sha}</code>' in to_html(blocks, "t", "en")
    assert f"`{sha}`" in to_markdown(blocks) and f"\n{sha}\n" in to_text(blocks)


def test_the_page_loads_nothing_from_elsewhere(pack: kspolicy.Policy) -> None:
    _, blocks = explained(pack, DRONES, full=True)
    page = to_html(blocks, "t", "en")
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b|\bsrc=|@import|url\(", page)
    assert all(h.anchor for h in blocks if isinstance(h, Heading) and h.level <= 2)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two #rrggbb colours."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_is_computed_as_wcag_says() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_every_text_colour_meets_wcag_aa_in_light_dark_and_print(pack: kspolicy.Policy) -> None:
    _, blocks = explained(pack, DRONES)
    css = to_html(blocks, "t", "en")
    schemes = re.findall(r":root \{([^}]*)\}", css)
    assert len(schemes) == 3  # light, dark, print
    for scheme in schemes:
        colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", scheme))
        for text in ("fg", "muted", "good", "warn", "bad", "link"):
            for background in ("bg", "code-bg"):
                ratio = contrast(colours[text], colours[background])
                assert ratio >= 4.5, (text, background, ratio, scheme)


def test_eval_text_asks_first_what_could_change_the_headline(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(DRONES)
    text = render_decision(decision, pack.checked.messages, pack.checked)
    asked = [line for line in text.splitlines() if line.startswith("  - ") and line.endswith(")")]
    facts = [line[line.rindex("(") + 1 : -1] for line in asked]
    assert decision.headline is not None
    first = facts[: len(decision.headline.questions)]
    assert sorted(first) == sorted(decision.headline.questions)
    assert text.index("Open questions:") < text.index("Where to look:") < text.index("Because:")
