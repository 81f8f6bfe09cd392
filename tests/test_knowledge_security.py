"""The knowledge-security pack: the guideline's scenarios, its anchors, its principles.

Each scenario of DOMAIN.md section 7 is a case file in examples/cases/; a "when ..." in
the scenario is the same case with some facts changed. The six principles of section 6
are checked on cases generated from the pack's own schema.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy import Decision
from kspolicy.lang.schema import RecordType
from kspolicy.tools import testing

from .conftest import ROOT
from .strategies import calm, forget, full_cases

PACK = ROOT / "policies" / "knowledge-security"
CASES = ROOT / "examples" / "cases"
VERDICTS = ("clear", "notify", "review", "prohibited")
RISKS = ("low", "medium", "high")
SETS = ("obligations", "restrictions", "checks", "mitigations")


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load(PACK)


def test_the_pack_checks_without_errors_or_warnings() -> None:
    assert kspolicy.check(PACK) == []


def test_the_pack_is_the_default(pack: kspolicy.Policy) -> None:
    default = kspolicy.load()
    assert (default.name, default.sha256) == (pack.name, pack.sha256)


# ---- DOMAIN.md section 7: the guideline's own scenarios ------------------------------


# The scenarios' expectations live in the pack's own test files (policies/knowledge-security/
# tests/*.toml), which policy officers run with `kspolicy test`; here each one is a case.
POLICY_TESTS = [
    t
    for f in testing.test_files(PACK)
    for t in testing.read_tests(f, kspolicy.load(PACK).checked.outcomes)
]


def test_every_scenario_has_a_case_file_and_a_test() -> None:
    cases = {p.stem for p in CASES.glob("*.toml")}
    assert len(cases) == 13
    named = " ".join(t.name for t in POLICY_TESTS)
    assert all(f"Scenario {n}:" in named for n in range(1, 14))


@pytest.mark.parametrize("test", POLICY_TESTS, ids=lambda t: t.where)
def test_policy_test(pack: kspolicy.Policy, test: testing.PolicyTest) -> None:
    [result] = testing.run_tests(pack, [test])
    assert result.failures == (), result.test.name


def test_every_rule_fires_in_a_test(pack: kspolicy.Policy) -> None:
    coverage = testing.Coverage()
    testing.run_tests(pack, POLICY_TESTS, coverage)
    assert [line for line in coverage.report(pack) if "never fired" in line] == []


# ---- DOMAIN.md section 2: every anchor is cited -------------------------------------

ANCHORS = (
    "intro", "principles", "risks", "topic.interference", "topic.critical-tech", "topic.dual-use",
    "topic.export-control", "topic.trl", "partner.institution", "partner.researcher",
    "partner.funder", "partner.country", "restrictions.fwo", "restrictions.seven-sons",
    "restrictions.iran", "restrictions.russia", "military", "mitigation.measures",
    "mitigation.legal", "mitigation.reporting", "mitigation.stop", "contacts",
    "case.1", "case.2", "case.3", "case.4", "case.5", "case.6",
)  # fmt: skip


def test_every_anchor_is_cited_by_a_rule(pack: kspolicy.Policy) -> None:
    cited = {anchor for rule in pack.checked.rules for anchor in rule.cites}
    # `contacts` is data: the contact points list cites it, and every decision carries it.
    assert set(ANCHORS) - {"contacts"} - cited == set()
    assert pack.checked.lists["CONTACT_POINTS"].cite == "contacts"


def test_rules_cite_only_known_anchors(pack: kspolicy.Policy) -> None:
    for rule in pack.checked.rules:
        assert rule.cites, rule.name
        assert set(rule.cites) <= set(ANCHORS), rule.name
    for named in pack.checked.lists.values():
        assert named.cite is None or named.cite in ANCHORS, named.name


def test_every_text_is_in_english_and_dutch(pack: kspolicy.Policy) -> None:
    for rule in pack.checked.rules:
        for text in (rule.title, rule.because):
            assert text is not None and text.languages() == {"en", "nl"}, rule.name
    for path, field in pack.schema.fields():
        if isinstance(field.type, RecordType):
            continue  # a record groups facts; its fields carry the questions
        assert field.question is not None and field.question.languages() == {"en", "nl"}, path


def test_every_institution_has_a_contact_point(pack: kspolicy.Policy) -> None:
    institutions = pack.schema.enums["Institution"].codes
    assert set(pack.checked.lists["CONTACT_POINTS"].codes()) == set(institutions)
    for institution in institutions:
        decision = pack.evaluate({"institution": institution})
        assert decision.outcomes["contact_point"] == institution


# ---- DOMAIN.md section 6: the principles, on generated cases -------------------------

PROPERTY = settings(suppress_health_check=[HealthCheck.too_slow])


def _rank(scale: tuple[str, ...], value: object) -> int:
    assert isinstance(value, str)
    return scale.index(value)


def _includes(big: Decision, small: Decision) -> bool:
    """`big` is at least as severe as `small` on every scale and set."""
    return (
        _rank(VERDICTS, big.outcomes["verdict"]) >= _rank(VERDICTS, small.outcomes["verdict"])
        and _rank(RISKS, big.outcomes["risk"]) >= _rank(RISKS, small.outcomes["risk"])
        and all(set(small.outcomes[s]) <= set(big.outcomes[s]) for s in SETS)
    )


RISK_BOOLS = {
    "project": ["military_end_use", "shares_outside_eu", "shares_intra_eu", "institutional_agreement", "results_sensitive",
                "annex_i_confirmed"],
    "fieldwork": ["human_participants", "vulnerable_group", "photo_video"],
    "partners": ["military_ties", "human_rights_concerns", "state_owned", "signed_rectors_declaration",
                 "serious_human_rights_violations", "authoritarian_regime", "conflict_zone"],
    "researchers": ["military_background", "military_research", "military_affiliated", "cv_gaps"],
    "funders": ["repressive_on_topic", "unusual_terms", "publication_restrictions", "sole_funder",
                "human_rights_violations"],
}  # fmt: skip
COUNTRY_FIELDS = {
    "partners": ["country"],
    "researchers": ["nationality", "home_country"],
    "funders": ["country"],
    "fieldwork": ["country"],
}
RISK_COUNTRIES = ["CN", "IR", "IL", "KP", "PK", "RU", "SA", "SY", "TR", "AE", "BY"]
# Countries that a risk addition moves a party to: footnote 12 countries, and with them
# countries under binding measures (lists/measures.toml): KP, IR, RU, BY.
ADDED_COUNTRIES = ("CN", "IR", "RU", "TR", "KP", "BY")
# The dates cases are decided on: around the dates of the binding measures, and today.
AS_OF = ("2016-06-01", "2022-03-15", "2022-04-15", "2026-01-15")


LEVELS = ["none", "restricted", "confidential", "secret", "top_secret"]
ADDED_TOPICS = ["robotics.drones", "misuse.surveillance", "society.minorities", "quantum"]


def risk_additions(
    case: dict[str, Any], eu: frozenset[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every case that adds one risk element to `case` (DOMAIN.md 6.1), with what it adds."""

    def variant(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        changed = copy.deepcopy(case)
        change(changed)
        return changed

    def records(data: dict[str, Any], group: str) -> list[dict[str, Any]]:
        value = data.get(group)
        if group in ("project", "fieldwork"):
            return [data.setdefault(group, {})]
        return value if isinstance(value, list) else []

    def set_field(group: str, i: int, field: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda data: records(data, group)[i].__setitem__(field, value)

    for group, fields in RISK_BOOLS.items():
        for i, record in enumerate(records(copy.deepcopy(case), group)):
            for field in fields:
                if record.get(field) is not True:
                    yield f"{group}[{i}].{field}", variant(set_field(group, i, field, True))
    for group, fields in COUNTRY_FIELDS.items():
        for i, record in enumerate(records(copy.deepcopy(case), group)):
            for field in fields:
                # A risk country replaces an unknown country or an EU member's code:
                # replacing one third country with another is not adding a risk element.
                if field not in record or record[field] in eu:
                    for country in ADDED_COUNTRIES:
                        yield (
                            f"{group}[{i}].{field}={country}",
                            variant(set_field(group, i, field, country)),
                        )
    for group in ("partners", "researchers", "funders"):
        for i, record in enumerate(records(copy.deepcopy(case), group)):
            for regime in ("EU", "US"):
                sanctions = [*record.get("sanctions", []), regime]
                yield (
                    f"{group}[{i}].sanctions+{regime}",
                    variant(set_field(group, i, "sanctions", sanctions)),
                )
            if group != "researchers" and record.get("information") != "none":
                yield (
                    f"{group}[{i}].information",
                    variant(set_field(group, i, "information", "none")),
                )
    # Defence money is a military element (section Militaire onderzoeksfinanciering);
    # other funder kinds are not ordered, so only a move to a defence kind adds risk.
    for i, record in enumerate(records(copy.deepcopy(case), "funders")):
        if record.get("kind") not in ("defence", "defence_industry"):
            for kind in ("defence", "defence_industry"):
                yield f"funders[{i}].kind={kind}", variant(set_field("funders", i, "kind", kind))
    project = case.get("project", {})
    if project.get("dual_use") != "listed":
        yield "dual_use", variant(set_field("project", 0, "dual_use", "listed"))
    if project.get("trl", 0) < 9:
        yield "trl", variant(set_field("project", 0, "trl", 9))
    level = LEVELS.index(project.get("classification", "none"))
    for higher in LEVELS[level + 1 :]:
        yield f"classification={higher}", variant(set_field("project", 0, "classification", higher))
    if "topics" in project:
        for topic in ADDED_TOPICS:
            yield (
                f"topic {topic}",
                variant(set_field("project", 0, "topics", [*project["topics"], topic])),
            )


# What each field is when a generated case is calmed down (see strategies.calm).
BENIGN = {
    "dual_use": "none", "classification": "none", "information": "ample", "kind": "university",
    "topics": ["linguistics"], "programme": "BOF", "action_type": "RIA",
}  # fmt: skip


@st.composite
def cases(
    draw: st.DrawFn, pack: kspolicy.Policy, rate: float = 0.3, calmed: bool | None = None
) -> dict[str, Any]:
    """Partial cases: with unknown facts, and (always, or at random) few risk elements."""
    case = draw(full_cases(pack.schema))
    if calmed or (calmed is None and draw(st.booleans())):
        case = draw(calm(case, benign=BENIGN))
    return draw(forget(case, rate))


def test_principle_1_monotone(pack: kspolicy.Policy) -> None:
    """Adding any one risk element never lowers a scale nor removes a code."""
    eu = frozenset(pack.checked.lists["EU_MEMBERS"].codes())

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        before = data.draw(cases(pack, rate=0.15, calmed=True))
        day = data.draw(st.sampled_from(AS_OF))
        decided = pack.evaluate(before, as_of=day)
        for added, after in risk_additions(before, eu):
            assert _includes(pack.evaluate(after, as_of=day), decided), added

    check()


NEUTRAL: dict[str, Any] = {
    "dual_use": "none", "programme": ["BOF", "INDUSTRY", "OTHER"], "classification": "none",
    "military_end_use": False, "shares_outside_eu": False, "shares_intra_eu": False,
    "institutional_agreement": False, "results_sensitive": False, "annex_i": [],
    "annex_i_confirmed": False,
}  # fmt: skip
# The rules that apply a binding measure that bars a country's sponsored parties
# (lists/measures.toml): a legal bar, the only bars principle 2 allows on a country.
MEASURE_BARS = {
    "partner_under_suspended_scientific_cooperation",
    "researcher_under_suspended_scientific_cooperation",
    "funder_under_suspended_scientific_cooperation",
}


def test_principle_2_country_neutral(pack: kspolicy.Policy) -> None:
    """A case whose only risk element is a risk country, an authoritarian state or a
    conflict zone is never review or prohibited; the one bar on a country is a binding
    measure that bars it (UN sanctions suspending scientific cooperation), and then only
    through the rules that apply that measure."""
    countries = st.sampled_from(["BE", "DE", "US", "JP", "BR", *RISK_COUNTRIES])
    benign_topics = st.lists(
        st.sampled_from(["linguistics", "medicine", "humanities", "economics"]), max_size=2
    )
    partner = st.fixed_dictionaries(
        {
            "name": st.sampled_from(["Ghent University", "Example University", "ACME Inc."]),
            "country": countries,
            "kind": st.sampled_from(
                ["university", "research_institute", "company", "government", "hospital", "ngo"]
            ),
            "military_ties": st.just(False),
            "human_rights_concerns": st.just(False),
            "sanctions": st.just([]),
            "information": st.just("ample"),
            "state_owned": st.booleans(),
            "signed_rectors_declaration": st.just(False),
            "serious_human_rights_violations": st.just(False),
            # Where a partner is: locations are country elements too.
            "authoritarian_regime": st.booleans(),
            "conflict_zone": st.booleans(),
            # Russian or Belarusian owners bring the Russia sanctions regime: not a country alone.
            "owner_countries": st.lists(
                countries.filter(lambda c: c not in ("RU", "BY")), max_size=2
            ),
        }
    )
    researcher = st.fixed_dictionaries(
        {
            "role": st.sampled_from(
                ["phd", "joint_phd", "visiting", "exchange", "postdoc", "staff"]
            ),
            "nationality": countries,
            "home_country": countries,
            "stay": st.sampled_from(["temporary", "permanent"]),
            "military_background": st.just(False),
            "military_research": st.just(False),
            "military_affiliated": st.just(False),
            "cv_gaps": st.just(False),
            "sanctions": st.just([]),
            "home_institution": st.just("Example University"),
        }
    )
    funder = st.fixed_dictionaries(
        {
            "name": st.just("Example Foundation"),
            "country": countries,
            "kind": st.sampled_from(["government", "company", "foundation", "eu", "university"]),
            "repressive_on_topic": st.just(False),
            "unusual_terms": st.just(False),
            "information": st.just("ample"),
            "publication_restrictions": st.just(False),
            "sole_funder": st.booleans(),
            "sanctions": st.just([]),
            "human_rights_violations": st.just(False),
        }
    )
    case = st.fixed_dictionaries({
        "project": st.fixed_dictionaries({
            **{k: st.just(v) for k, v in NEUTRAL.items() if k != "programme"},
            "programme": st.sampled_from(NEUTRAL["programme"]), "topics": benign_topics, "trl": st.integers(1, 9),
        }),
        "fieldwork": st.fixed_dictionaries({"country": countries, "human_participants": st.booleans(),
                                            "vulnerable_group": st.just(False), "photo_video": st.booleans()}),
        "partners": st.lists(partner, max_size=3), "researchers": st.lists(researcher, max_size=2),
        "funders": st.lists(funder, max_size=2),
    })  # fmt: skip

    suspended = pack.checked.lists["SCIENTIFIC_COOPERATION_SUSPENDED"]

    @PROPERTY
    @given(case=case, day=st.sampled_from(AS_OF))
    def check(case: dict[str, Any], day: str) -> None:
        decision = pack.evaluate(case, as_of=day)
        barred = {e.key for e in suspended.entries_on(dt.date.fromisoformat(day))}
        places = [p["country"] for p in case["partners"]] + [f["country"] for f in case["funders"]]
        places += [r["home_country"] for r in case["researchers"]]
        if barred & set(places):
            # A binding measure: the bar is the sanction, from the rules that apply it.
            assert set(decision.outcomes["restrictions"]) <= {"sanctioned_party"}
            for result in decision.fired:
                if result.outcomes.get("verdict") in ("review", "prohibited"):
                    assert result.rule in MEASURE_BARS, result.rule
            return
        assert decision.outcomes["verdict"] in ("clear", "notify")
        assert decision.possible.get("verdict") in (None, "notify")
        assert decision.outcomes["restrictions"] == []  # no rule bars a whole country

    check()


def test_principle_3_export_control_is_about_the_item(pack: kspolicy.Policy) -> None:
    @PROPERTY
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(cases(pack))
        case["project"] = {
            **case.get("project", {}),
            "dual_use": "listed",
            "shares_outside_eu": True,
        }
        day = data.draw(st.sampled_from(AS_OF))
        assert "export_licence" in pack.evaluate(case, as_of=day).outcomes["obligations"]

    check()


def _summary(decision: Decision) -> tuple[Any, ...]:
    return (
        decision.outcomes, decision.possible, decision.references,
        sorted((r.rule, sorted(map(json.dumps, r.facts.values()))) for r in decision.fired),
        sorted((r.rule, sorted(map(json.dumps, r.facts.values()))) for r in decision.pending),
        # A question about an element whose name is unknown names it by its place
        # ("partner 2"): the numbers may change with the order, nothing else.
        sorted(re.sub(r"\d+", "#", q.question) for q in decision.open_questions),
    )  # fmt: skip


def test_principle_4_order_and_identity(pack: kspolicy.Policy) -> None:
    @PROPERTY
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        case = data.draw(cases(pack))
        shuffled = dict(case)
        for group in ("partners", "researchers", "funders"):
            if isinstance(case.get(group), list):
                shuffled[group] = data.draw(st.permutations(case[group]))
        day = data.draw(st.sampled_from(AS_OF))
        first = pack.evaluate(case, as_of=day)
        assert _summary(first) == _summary(pack.evaluate(shuffled, as_of=day))
        assert first.to_json(detail="full") == pack.evaluate(case, as_of=day).to_json(detail="full")

    check()


def test_principle_5_unknowns_are_never_false(pack: kspolicy.Policy) -> None:
    """Whatever the unknown facts turn out to be, the certain outcomes stay, and nothing
    appears that the decision did not call possible."""

    @PROPERTY
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        full = data.draw(full_cases(pack.schema))
        partial = data.draw(forget(full, data.draw(st.sampled_from([0.1, 0.3, 0.6]))))
        day = data.draw(st.sampled_from(AS_OF))
        known = pack.evaluate(partial, as_of=day)
        completed = pack.evaluate(full, as_of=day)
        for scale, order in (("verdict", VERDICTS), ("risk", RISKS)):
            low = _rank(order, known.outcomes[scale])
            high = max(low, _rank(order, known.possible.get(scale, known.outcomes[scale])))
            assert low <= _rank(order, completed.outcomes[scale]) <= high, scale
        for outcome in SETS:
            certain, possible = set(known.outcomes[outcome]), set(known.possible.get(outcome, []))
            assert certain <= set(completed.outcomes[outcome]) <= certain | possible, outcome
        # An unknown fact that changed an outcome was asked for.
        if _summary_outcomes(known) != _summary_outcomes(completed):
            assert known.open_questions

    check()


def _summary_outcomes(decision: Decision) -> dict[str, Any]:
    return {k: v for k, v in decision.outcomes.items() if k != "contact_point"}


def test_principle_6_every_outcome_is_cited(pack: kspolicy.Policy) -> None:
    @PROPERTY
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        decision = pack.evaluate(data.draw(cases(pack)), as_of=data.draw(st.sampled_from(AS_OF)))
        for outcome in SETS:
            for code in decision.outcomes[outcome]:
                assert any(
                    code in r.outcomes.get(outcome, []) and r.cite for r in decision.fired
                ), code
        for scale, order in (("verdict", VERDICTS), ("risk", RISKS)):
            value = decision.outcomes[scale]
            if value != order[0]:
                assert any(r.outcomes.get(scale) == value and r.cite for r in decision.fired), value
        for result in decision.fired + decision.pending:
            assert set(result.cite) <= set(ANCHORS)

    check()


def test_a_case_without_facts_is_clear_with_every_question_open(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate({}, as_of="2026-01-15")
    assert decision.outcomes["verdict"] == "clear" and decision.fired == []
    assert decision.possible["verdict"] == "prohibited"
    assert {"partners", "researchers", "funders", "institution"} <= {
        q.fact for q in decision.open_questions
    }


def test_questions_are_asked_in_dutch(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate({"partners": [{"name": "Acme"}]}, as_of="2026-01-15", lang="nl")
    questions = {q.fact: q.question for q in decision.open_questions}
    assert questions["partners[0].country"] == "In welk land is Acme gevestigd?"
