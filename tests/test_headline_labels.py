"""The provisional headline names codes by the labels the policy gives them, in the
decision's language, in a sentence a reader of that language would write: no codes in
it, no label quoted as if it were a name (a new-user trial read "voorlopig “Meld aan het
contactpunt; controles volgen” (notify): 3 open vragen kunnen dit verhogen tot …")."""

from __future__ import annotations

from pathlib import Path

import pytest

import kspolicy
from kspolicy.render.document import to_text
from kspolicy.render.explain import explain
from kspolicy.render.labels import headline_line, in_sentence
from kspolicy.render.text import render_decision

from .conftest import ROOT

DRONES = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def test_the_dutch_headline_names_codes_by_their_labels(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(DRONES, lang="nl")
    facts, _ = pack.read_case(DRONES)
    heading = to_text(explain(pack.checked, decision, case=facts)).splitlines()[0]
    assert heading == (
        "Voorlopige beslissing: meld het project bij het contactpunt; er volgen controles. "
        "3 open vragen kunnen dit nog veranderen in: dien een aanvraag in bij de bevoegde "
        "commissie."
    )
    words = pack.checked.messages.get("nl")
    assert headline_line(decision, words, pack.checked) == heading
    assert heading in render_decision(decision, pack.checked.messages, pack.checked)


def test_the_drone_headline_holds_no_code_in_either_language(pack: kspolicy.Policy) -> None:
    """The trial's reproducer (`kspolicy explain drone… --lang nl`): neither the Dutch
    nor the English sentence names a code, quotes a label or says "raise"."""
    for lang in ("nl", "en"):
        decision = pack.evaluate(DRONES, lang=lang)
        line = headline_line(decision, pack.checked.messages.get(lang), pack.checked)
        for code in ("notify", "review", "“", "(", "verhogen", "raise"):
            assert code not in line, (lang, code, line)
    english = pack.evaluate(DRONES, lang="en")
    assert headline_line(english, pack.checked.messages.get("en"), pack.checked) == (
        "Provisional decision: tell the contact point; checks follow. 3 open questions could "
        "still change this to: apply to the competent committee."
    )


def test_without_the_policy_the_headline_names_codes(pack: kspolicy.Policy) -> None:
    """A renderer given only the decision has no labels: it shows the codes, as before."""
    decision = pack.evaluate(DRONES, lang="nl")
    words = pack.checked.messages.get("nl")
    assert headline_line(decision, words) == (
        "Voorlopige beslissing: notify. 3 open vragen kunnen dit nog veranderen in: review."
    )


def test_a_code_without_a_label_is_named_by_the_code(tmp_path: Path) -> None:
    (tmp_path / "policy.pol").write_text(
        'policy t version "1"\n'
        "decision {\n  verdict: scale clear < notify < review\n}\n"
        "schema {\n  risky: bool\n}\n"
        'rule r cite "a" when risky then verdict >= review because "b"\n',
        encoding="utf-8",
    )
    policy = kspolicy.load(tmp_path)
    decision = policy.evaluate({})
    words = policy.checked.messages.get("en")
    assert headline_line(decision, words, policy.checked) == (
        "Provisional decision: clear. 1 open question could still change this to: review."
    )


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("Tell the contact point", "tell the contact point"),
        ("FWO does not fund this", "FWO does not fund this"),
        ("EU", "EU"),
        ("A legal bar applies", "a legal bar applies"),
        ("x", "x"),
        ("⟦Tell the contact point⟧", "⟦tell the contact point⟧"),
    ],
)
def test_a_label_starts_lower_case_in_a_sentence_unless_an_acronym(label: str, shown: str) -> None:
    assert in_sentence(label) == shown
