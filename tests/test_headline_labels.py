"""The provisional headline names codes by the labels the policy gives them, in the
decision's language: a Dutch sentence read "voorlopig notify … dit review maken"."""

from __future__ import annotations

from pathlib import Path

import pytest

import kspolicy
from kspolicy.render.document import to_text
from kspolicy.render.explain import explain
from kspolicy.render.labels import headline_line
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
        "Beslissing: voorlopig “Meld aan het contactpunt; controles volgen” (notify): "
        "3 open vragen kunnen dit verhogen tot “Dien een aanvraag in bij de bevoegde "
        "commissie” (review)"
    )
    words = pack.checked.messages.get("nl")
    assert headline_line(decision, words, pack.checked) == heading.removeprefix("Beslissing: ")
    assert "voorlopig “Meld aan het contactpunt" in render_decision(
        decision, pack.checked.messages, pack.checked
    )


def test_without_the_policy_the_headline_names_codes(pack: kspolicy.Policy) -> None:
    """A renderer given only the decision has no labels: it shows the codes, as before."""
    decision = pack.evaluate(DRONES, lang="nl")
    words = pack.checked.messages.get("nl")
    assert headline_line(decision, words) == (
        "voorlopig notify: 3 open vragen kunnen dit verhogen tot review"
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
        "so far clear: 1 open question could raise this to review"
    )
