"""The knowledge-security pack's second edition (issue 13): each reproducer of the issue,
and the properties the issue asks of the whole pack (every bar is high risk, every date
is accounted for, every outcome code is reachable, Dutch texts spelt as Dutch).

The per-point tests on cases built for them are the pack's own policy tests
(policies/knowledge-security/tests/second-edition.toml), run by test_knowledge_security.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import kspolicy
from kspolicy.lang.nodes import Text

from .conftest import ROOT

PACK = ROOT / "policies" / "knowledge-security"
DOCS = ROOT / "docs" / "knowledge-security.md"
DRONES = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"
DAY = "2026-01-15"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load(PACK)


def _fired(decision: kspolicy.Decision) -> set[str]:
    return {r.rule for r in decision.fired}


# ---- the reproducers ------------------------------------------------------------


def test_drone_technology_with_chinese_university_is_not_clear(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(DRONES)
    assert decision.outcomes["verdict"] == "notify"
    assert "report_contact_point" in decision.outcomes["obligations"]
    assert "dual_use_topic_abroad" in _fired(decision)


def test_possible_dual_use_shared_outside_the_eu_keeps_the_licence_possible(
    pack: kspolicy.Policy,
) -> None:
    case = {"project": {"dual_use": "possible", "shares_outside_eu": True}}
    decision = pack.evaluate(case, as_of=DAY)
    assert "export_licence" not in decision.outcomes["obligations"]
    assert "export_licence" in decision.possible["obligations"]
    assert "project.annex_i_confirmed" in {q.fact for q in decision.open_questions}
    confirmed = {"project": {**case["project"], "annex_i_confirmed": True}}
    assert "export_licence" in pack.evaluate(confirmed, as_of=DAY).outcomes["obligations"]


@pytest.mark.parametrize("country", ["RU", "BY"])
@pytest.mark.parametrize("kind", ["company", "research_institute"])
def test_a_company_or_institute_located_in_russia_or_belarus_is_not_clear(
    pack: kspolicy.Policy, country: str, kind: str
) -> None:
    case = {"partners": [{"country": country, "kind": kind}]}
    decision = pack.evaluate(case, as_of=DAY)
    assert decision.outcomes["verdict"] == "notify"
    assert decision.outcomes["risk"] == "high"
    assert "sanctions_screening" in decision.outcomes["checks"]


def test_horizon_2020_with_a_russian_entity_is_barred_from_april_2022(
    pack: kspolicy.Policy,
) -> None:
    case = {"project": {"programme": "HORIZON_2020"}, "partners": [{"country": "RU"}]}
    assert pack.evaluate(case, as_of="2022-04-01").outcomes["verdict"] == "prohibited"
    assert "horizon_2020_russian_entity" not in _fired(pack.evaluate(case, as_of="2022-03-31"))


def test_north_korea_is_not_treated_like_any_footnote_12_country(pack: kspolicy.Policy) -> None:
    north_korea = pack.evaluate({"partners": [{"country": "KP"}]}, as_of=DAY)
    assert north_korea.outcomes["verdict"] == "prohibited"
    assert north_korea.outcomes["restrictions"] == ["sanctioned_party"]
    # A footnote-12 country without a measure that bars it stays a reason to look closer.
    pakistan = pack.evaluate({"partners": [{"country": "PK"}]}, as_of=DAY)
    assert pakistan.outcomes["verdict"] == "clear"
    assert pakistan.outcomes["restrictions"] == []


def test_the_anno_2025_measures_against_iran_and_belarus_are_a_risk_element(
    pack: kspolicy.Policy,
) -> None:
    for country in ("IR", "RU", "BY"):
        case = {"project": {"dual_use": "listed"}, "partners": [{"country": country}]}
        decision = pack.evaluate(case, as_of=DAY)
        assert decision.outcomes["verdict"] == "review", country
        assert "dual_use_with_partner_under_export_measures" in _fired(decision)
    china = {"project": {"dual_use": "listed"}, "partners": [{"country": "CN"}]}
    assert "dual_use_with_partner_under_export_measures" not in _fired(
        pack.evaluate(china, as_of=DAY)
    )


@pytest.mark.parametrize(
    ("country", "verdict", "risk"),
    [("JP", "notify", "medium"), ("US", "notify", "medium"), ("TR", "notify", "high"),
     ("AE", "review", "high")],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["defence", "defence_industry"])
def test_defence_funders_from_japan_the_us_and_turkey(
    pack: kspolicy.Policy, country: str, verdict: str, risk: str, kind: str
) -> None:
    case = {"funders": [{"kind": kind, "country": country}]}
    decision = pack.evaluate(case, as_of=DAY)
    assert (decision.outcomes["verdict"], decision.outcomes["risk"]) == (verdict, risk)
    assert "report_contact_point" in decision.outcomes["obligations"]


def test_a_seven_sons_partner_weighs_as_military_ties(pack: kspolicy.Policy) -> None:
    # An abbreviation counts where the countries agree (docs/screening.md).
    partner = {"name": "NUAA", "country": "CN"}
    case = {"project": {"topics": ["robotics.drones"]}, "partners": [partner]}
    decision = pack.evaluate(case, as_of=DAY)
    assert decision.outcomes["verdict"] == "review"
    assert {"military_ties", "sensitive_research_with_military_partner"} <= _fired(decision)


def test_fwo_bars_a_researcher_from_a_seven_sons_university(pack: kspolicy.Policy) -> None:
    case = {"project": {"programme": "FWO"}, "researchers": [{"home_institution": "北京理工大学"}]}
    decision = pack.evaluate(case, as_of=DAY)
    assert decision.outcomes["verdict"] == "prohibited"
    assert "no_fwo_funding" in decision.outcomes["restrictions"]


def test_fwo_with_russia_is_prohibited_and_high_risk(pack: kspolicy.Policy) -> None:
    case = {"project": {"programme": "FWO"}, "partners": [{"country": "RU"}]}
    decision = pack.evaluate(case, as_of=DAY)
    assert (decision.outcomes["verdict"], decision.outcomes["risk"]) == ("prohibited", "high")


def test_human_rights_concerns_are_not_a_failed_human_rights_test(pack: kspolicy.Policy) -> None:
    project = {"topics": ["linguistics"], "dual_use": "none", "results_sensitive": False}
    concerns = {"project": project, "partners": [{"human_rights_concerns": True}]}
    assert pack.evaluate(concerns, as_of=DAY).outcomes["verdict"] == "notify"
    serious = {"project": project, "partners": [{"serious_human_rights_violations": True}]}
    assert pack.evaluate(serious, as_of=DAY).outcomes["verdict"] == "review"


def test_risk_countries_apply_to_a_case_dated_2024(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate({"partners": [{"country": "CN"}]}, as_of="2024-06-01")
    assert "partner_in_risk_country" in _fired(decision)


# ---- properties of the whole pack -------------------------------------------------------


def _effects(rule: object) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for effect in rule.effects:  # type: ignore[attr-defined]
        found.setdefault(effect.outcome.name, set()).update(effect.codes)
    return found


def test_the_risk_scale_is_consistent_with_the_verdict(pack: kspolicy.Policy) -> None:
    """A bar or a committee is high risk and needs the institution's approval; a report
    is at least medium risk; high risk always names institutional approval."""
    for rule in pack.checked.rules:
        effects = _effects(rule)
        verdict, risk = effects.get("verdict", set()), effects.get("risk", set())
        obligations = effects.get("obligations", set())
        if verdict & {"review", "prohibited"}:
            assert risk == {"high"}, rule.name
        if verdict:
            assert risk & {"medium", "high"}, rule.name
            assert "report_contact_point" in obligations, rule.name
        if "high" in risk:
            assert "institutional_approval" in obligations, rule.name


@pytest.mark.parametrize("outcome", ["obligations", "restrictions", "checks", "mitigations"])
def test_every_outcome_code_is_given_by_some_rule(pack: kspolicy.Policy, outcome: str) -> None:
    given = {code for rule in pack.checked.rules for code in _effects(rule).get(outcome, ())}
    assert set(pack.checked.outcomes[outcome].enum.codes) == given


def test_the_export_licence_names_the_licensing_authority(pack: kspolicy.Policy) -> None:
    label = pack.checked.outcomes["obligations"].enum.labels["export_licence"]
    assert "Flemish or Brussels government" in label.get("en")
    assert "Vlaamse of Brusselse overheid" in label.get("nl")


def _texts(pack: kspolicy.Policy) -> list[tuple[str, Text]]:
    found: list[tuple[str, Text]] = []
    for rule in pack.checked.rules:
        found += [(rule.name, t) for t in (rule.title, rule.because) if t is not None]
    for name, outcome in pack.checked.outcomes.items():
        found += [(f"{name}.{code}", label) for code, label in outcome.enum.labels.items()]
    for path, field in pack.schema.fields():
        if field.question is not None:
            found.append((".".join(path), field.question))
    for enum in pack.schema.enums.values():
        found += [(f"{enum.name}.{code}", label) for code, label in enum.labels.items()]
    return found


def test_dutch_texts_write_dual_use_with_a_hyphen(pack: kspolicy.Policy) -> None:
    """In Dutch, the English "dual use" joined to a Dutch word takes hyphens:
    dual-use-item, dual-use-exportvergunning (not "dual use-item")."""
    for where, text in _texts(pack):
        dutch = text.get("nl")
        assert not re.search(r"[Dd]ual use-", dutch), (where, dutch)
        assert "dual-use item" not in dutch, (where, dutch)


# Dates in the pack's files: validity dates (`valid from`, `valid_from`, `valid_until`).
# `retrieved` is when a list was taken, not a validity date.
_DATE = re.compile(r"(valid from|valid until|valid_from|valid_until)\s*=?\s*(\d{4}-\d{2}-\d{2})")


def test_every_date_in_the_pack_is_accounted_for_in_the_docs() -> None:
    """Issue 13, point 10: every validity date comes from a passage or is marked as an
    interpretation; docs/knowledge-security.md's table of dates says which, for each."""
    docs = DOCS.read_text(encoding="utf-8")
    table = docs.split("### Every date in the pack", 1)[1].split("\n## ", 1)[0]
    files = sorted(PACK.glob("rules/*.pol")) + sorted(PACK.glob("lists/*.toml"))
    dates = {m.group(2) for f in files for m in _DATE.finditer(f.read_text(encoding="utf-8"))}
    assert dates, "the pattern finds the pack's dates"
    for date in sorted(dates):
        rows = [line for line in table.splitlines() if f"`{date}`" in line]
        assert rows, f"{date} is not in the docs' table of dates"
        assert all(re.search(r"\| (passage|interpretation|source) \|", row) for row in rows), rows


def test_every_binding_measure_says_what_it_bars_and_where_it_comes_from() -> None:
    """Binding country measures are data: each list says what it bars (its title), each
    entry names its measure (a note)."""
    data = tomllib.loads((PACK / "lists" / "measures.toml").read_text(encoding="utf-8"))
    assert data
    for name, table in data.items():
        assert table["title"] and table["source"], name
        for entry in table["entries"]:
            assert isinstance(entry, dict) and entry.get("note"), (name, entry)


def test_cases_valid_before_the_second_edition_are_still_valid(pack: kspolicy.Policy) -> None:
    """New facts are optional: every example case still reads, and an unknown new fact is
    asked, never taken as false."""
    for path in sorted(Path(ROOT / "examples" / "cases").glob("*.toml")):
        facts, _ = pack.read_case(path)
        assert facts is not None, path.name
    decision = pack.evaluate({"partners": [{"name": "Acme", "human_rights_concerns": True}]})
    asked = {q.fact for q in decision.open_questions}
    assert "partners[0].serious_human_rights_violations" in asked
