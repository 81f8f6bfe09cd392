"""Dutch questions list their options in Dutch; codes appear only where one is typed,
each with its label: a new-user trial saw "Risico: medium — Gemiddeld" and Dutch
questions listing "(none, restricted, confidential, secret, top_secret)"."""

from __future__ import annotations

import pytest

import kspolicy
from kspolicy.render.document import to_text
from kspolicy.render.explain import explain
from kspolicy.tools import interview

from .conftest import ROOT

DRONES = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"
ENGLISH_CODES = ("top_secret", "(ample, little, none)", "(listed, possible", "medium")


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def test_the_dutch_drone_page_shows_no_english_option_codes(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(DRONES, lang="nl")
    facts, _ = pack.read_case(DRONES)
    page = to_text(explain(pack.checked, decision, case=facts))
    first_screen = page.split("Waarom (")[0]  # the details below list the codes
    assert "Risico: Gemiddeld\n" in first_screen
    for code in ENGLISH_CODES:
        assert code not in first_screen, code
    assert (
        "Wat is de hoogste classificatie van de gebruikte informatie (niet geclassificeerd, "
        "beperkte verspreiding, vertrouwelijk, geheim, zeer geheim)?"
    ) in first_screen


def test_a_code_question_says_to_type_a_code_and_glosses_each_in_dutch(
    pack: kspolicy.Policy,
) -> None:
    decision = pack.evaluate(DRONES, lang="nl")
    asked = {q.fact: q for q in interview.questions(pack, decision)}
    catalogue = pack.checked.messages
    assert asked["project.classification"].hint("nl", catalogue) == (
        "typ een van: none (niet geclassificeerd), restricted (beperkte verspreiding), "
        "confidential (vertrouwelijk), secret (geheim), top_secret (zeer geheim)"
    )
    assert asked["partners[0].information"].hint("en", catalogue) == (
        "type one of: ample (much is known), little (little is known), none (nothing is known)"
    )
    # What is typed is still the code.
    assert interview.parse_answer(asked["project.classification"], "secret", catalogue) == (
        "secret"
    )


def test_a_code_without_labels_is_listed_as_it_is() -> None:
    question = interview.Question("x", "x?", "code", ("RIA", "IA"), (), 0)
    assert question.hint("nl") == "typ een van: RIA, IA"
    assert question.hint("en") == "type one of: RIA, IA"
