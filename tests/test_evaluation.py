"""Evaluation semantics: Kleene logic, bindings, lists, time, outcomes, questions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import kspolicy

from .helpers import fired, fixture_policy, pending

AS_OF = "2026-01-01"


@pytest.fixture
def mil(tmp_path: Path) -> kspolicy.Policy:
    return fixture_policy(
        tmp_path,
        """
rule military_partner_in_risk_country
  title en "Military partner in a risk country" nl "Militaire partner in een risicoland"
  cite "risks"
  when partner.country in RISK and partner.military_ties
  then verdict >= review obligations += report
  because en "Elements coincide." nl "Elementen komen samen."
""",
    )


def test_a_rule_fires_once_per_matching_element_and_names_it(mil: kspolicy.Policy) -> None:
    case = {
        "partners": [
            {"name": "A", "country": "BE", "military_ties": True},
            {"name": "B", "country": "CN", "military_ties": True},
        ]
    }
    decision = mil.evaluate(case, as_of=AS_OF)
    assert decision.outcomes == {"verdict": "review", "obligations": ["report"]}
    [result] = decision.fired
    assert result.binding == {"partner": 1}
    assert result.facts == {"partners[1].country": "CN", "partners[1].military_ties": True}
    assert result.matched[0].list == "RISK" and result.matched[0].entry == "CN"
    assert result.cite == ["risks"]
    assert result.because == "Elements coincide."


def test_an_unknown_fact_makes_a_rule_pending_and_asks_for_it(mil: kspolicy.Policy) -> None:
    decision = mil.evaluate({"partners": [{"name": "B", "country": "CN"}]}, as_of=AS_OF)
    assert decision.fired == []
    assert pending(decision) == ["military_partner_in_risk_country"]
    assert decision.outcomes == {"verdict": "clear", "obligations": []}
    assert decision.possible == {"verdict": "review", "obligations": ["report"]}
    assert [q.fact for q in decision.open_questions] == ["partners[0].military_ties"]
    assert decision.open_questions[0].rules == ["military_partner_in_risk_country"]


def test_false_and_unknown_is_false(mil: kspolicy.Policy) -> None:
    decision = mil.evaluate({"partners": [{"country": "BE"}]}, as_of=AS_OF)
    assert decision.fired == [] and decision.pending == [] and decision.open_questions == []


def test_the_language_selects_texts(mil: kspolicy.Policy) -> None:
    case = {"partners": [{"country": "CN", "military_ties": True}]}
    decision = mil.evaluate(case, as_of=AS_OF, lang="nl")
    assert decision.fired[0].title == "Militaire partner in een risicoland"
    assert decision.fired[0].because == "Elementen komen samen."


def test_unless_makes_an_exception(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule r cite "x" when project.trl >= 5 unless project.programme == BOF then verdict >= notify because "b"
""",
    )
    assert fired(policy.evaluate({"project": {"trl": 6, "programme": "FWO"}})) == ["r"]
    assert fired(policy.evaluate({"project": {"trl": 6, "programme": "BOF"}})) == []
    unknown = policy.evaluate({"project": {"trl": 6}})
    assert pending(unknown) == ["r"]
    assert [q.fact for q in unknown.open_questions] == ["project.programme"]


def test_hierarchical_codes_contain_their_descendants(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule r cite "x" when any t in project.topics: t in {robotics} then verdict >= notify because "b"
""",
    )
    drones = policy.evaluate({"project": {"topics": ["history", "robotics.drones"]}})
    assert fired(drones) == ["r"]
    assert drones.fired[0].facts == {"project.topics[1]": "robotics.drones"}
    assert fired(policy.evaluate({"project": {"topics": ["history"]}})) == []


@pytest.mark.parametrize(
    "name",
    [
        "Harbin Institute of Technology",
        "harbin institute of technology co., ltd.",
        "HARBIN  INSTITUTE OF TECHNOLOGY, INC.",
        "HIT",
        "Hárbin Institute of Technology",
    ],
)
def test_matches_folds_case_accents_punctuation_suffixes_and_aliases(
    tmp_path: Path, name: str
) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule r cite "x" when partner.name matches SEVEN_SONS then verdict >= prohibited because "b"
""",
    )
    decision = policy.evaluate({"partners": [{"name": name}]})
    assert fired(decision) == ["r"]
    match = decision.fired[0].matched[0]
    assert (match.list, match.entry, match.fact, match.value) == (
        "SEVEN_SONS",
        "Harbin Institute of Technology",
        "partners[0].name",
        name,
    )
    assert match.alias == ("HIT" if name == "HIT" else None)


def test_matches_does_not_match_other_names(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule r cite "x" when partner.name matches SEVEN_SONS then verdict >= prohibited because "b"
""",
    )
    assert fired(policy.evaluate({"partners": [{"name": "Harbin Engineering University"}]})) == []


LISTS_WITH_DATES = """
[WATCH]
kind = "codes"
source = "test"
retrieved = 2025-01-01
entries = ["CN", { code = "RU", valid_from = 2025-06-01 }, { code = "IR", valid_until = 2024-12-31 }]
"""


def test_rules_and_list_entries_apply_on_their_dates(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule watched cite "x" when partner.country in WATCH then verdict >= notify because "b"
rule new_rule cite "x" valid from 2026-01-01 when project.trl >= 1 then verdict >= review because "b"
""",
        LISTS_WITH_DATES,
    )
    ru = {"partners": [{"country": "RU"}]}
    assert fired(policy.evaluate(ru, as_of="2025-05-31")) == []
    assert fired(policy.evaluate(ru, as_of="2025-06-01")) == ["watched"]
    ir = {"partners": [{"country": "IR"}]}
    assert fired(policy.evaluate(ir, as_of="2024-12-31")) == ["watched"]
    assert fired(policy.evaluate(ir, as_of="2025-01-01")) == []
    trl = {"project": {"trl": 3}}
    assert fired(policy.evaluate(trl, as_of="2025-12-31")) == []
    assert fired(policy.evaluate(trl, as_of="2026-01-01")) == ["new_rule"]
    assert fired(policy.evaluate({**trl, "as_of": "2026-02-01"})) == ["new_rule"]
    assert policy.evaluate({**trl, "as_of": "2026-02-01"}).policy.as_of == "2026-02-01"


def test_any_and_all_are_three_valued(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule some_military cite "x" when any p in partners: p.military_ties then obligations += report because "b"
rule all_known cite "x" when all p in partners: p.country is known then obligations += licence because "b"
""",
    )
    one_unknown = {"partners": [{"military_ties": False}, {"country": "BE"}]}
    decision = policy.evaluate(one_unknown)
    assert pending(decision) == ["some_military"]
    assert fired(decision) == []
    assert [q.fact for q in decision.open_questions] == ["partners[1].military_ties"]
    witness = policy.evaluate({"partners": [{"military_ties": True, "country": "BE"}]})
    assert fired(witness) == ["some_military", "all_known"]
    empty = policy.evaluate({"partners": []})
    assert fired(empty) == ["all_known"] and pending(empty) == []


def test_is_known_and_is_unknown_are_never_unknown(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule ask cite "x" when project.programme is unknown then obligations += report because "b"
""",
    )
    decision = policy.evaluate({"project": {}})
    assert fired(decision) == ["ask"]
    assert decision.fired[0].facts == {"project.programme": None}
    assert fired(policy.evaluate({"project": {"programme": "FWO"}})) == []


def test_not_in_and_sets(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule r cite "x" when project.programme not in {FWO, BOF} then verdict >= notify because "b"
""",
    )
    assert fired(policy.evaluate({"project": {"programme": "OTHER"}})) == ["r"]
    assert fired(policy.evaluate({"project": {"programme": "FWO"}})) == []
    assert pending(policy.evaluate({"project": {}})) == ["r"]


def test_a_list_fact_as_container(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule r cite "x" when "RU" in partner.owners then verdict >= review because "b"
""",
    )
    assert fired(policy.evaluate({"partners": [{"owners": ["BE", "RU"]}]})) == ["r"]
    assert pending(policy.evaluate({"partners": [{}]})) == ["r"]


def test_definitions_bind_implicitly_and_are_traced(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
define military title "Military partner" = partner.military_ties or partner.kind == military
rule r cite "x" when military and partner.country in RISK then verdict >= review because "b"
""",
    )
    case = {"partners": [{"kind": "military", "country": "CN"}, {"kind": "university"}]}
    decision = policy.evaluate(case, explain=True)
    assert [r.binding for r in decision.fired] == [{"partner": 0}]
    first = decision.trace[0]
    assert first.result == "fired" and first.binding == {"partner": 0}
    assert first.steps[0].children[0].expr == "military"
    assert first.steps[0].children[0].value == "true"
    assert [t.result for t in decision.trace] == ["fired", "pending"]


def test_the_one_line_form(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path, 'if project.trl >= 7 then verdict >= notify cite "topic.trl"\n'
    )
    decision = policy.evaluate({"project": {"trl": 8}})
    assert fired(decision) == ["policy.if1"]
    assert decision.fired[0].cite == ["topic.trl"]


def test_scales_take_the_highest_and_sets_the_union(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule a cite "x" when project.trl >= 1 then verdict >= review obligations += report because "b"
rule b cite "x" when project.trl >= 2 then verdict >= notify obligations += licence, report because "b"
rule c cite "x" when project.shares_outside_eu then verdict >= prohibited obligations += clearance because "b"
""",
    )
    decision = policy.evaluate({"project": {"trl": 5}})
    assert decision.outcomes == {"verdict": "review", "obligations": ["report", "licence"]}
    assert decision.possible == {"verdict": "prohibited", "obligations": ["clearance"]}


def test_a_pending_rule_that_cannot_change_anything_asks_nothing(tmp_path: Path) -> None:
    policy = fixture_policy(
        tmp_path,
        """
rule a cite "x" when project.trl >= 1 then verdict >= review because "b"
rule b cite "x" when project.shares_outside_eu then verdict >= notify because "b"
""",
    )
    decision = policy.evaluate({"project": {"trl": 5}})
    assert pending(decision) == ["b"]
    assert decision.possible == {} and decision.open_questions == []


def test_an_unknown_collection_is_pending_not_empty(tmp_path: Path) -> None:
    shutil_body = """
rule r cite "x" when any t in project.topics: t in {robotics} then verdict >= notify because "b"
rule owners cite "x" when "RU" in partner.owners then verdict >= review because "b"
"""
    policy = fixture_policy(tmp_path, shutil_body)
    decision = policy.evaluate({"project": {}})
    assert fired(decision) == []  # topics defaults to []: known to be empty
    decision = policy.evaluate({"partners": [{"name": "X"}]})
    assert [q.fact for q in decision.open_questions] == ["partners[0].owners"]


def test_decisions_are_deterministic_and_json_stable(mil: kspolicy.Policy) -> None:
    case = {"partners": [{"name": "B", "country": "CN"}]}
    first = mil.evaluate(case, as_of=AS_OF, explain=True).to_json(detail="full")
    second = mil.evaluate(case, as_of=AS_OF, explain=True).to_json(detail="full")
    assert first == second
    data = json.loads(first)
    assert list(data) == [
        "format",
        "policy",
        "outcomes",
        "possible",
        "fired",
        "pending",
        "open_questions",
        "references",
        "trace",
        "lang",
        "headline",
        "sources",
    ]
    assert data["policy"]["as_of"] == AS_OF and len(data["policy"]["sha256"]) == 64


def test_the_trace_is_recorded_only_when_asked(mil: kspolicy.Policy) -> None:
    case = {"partners": [{"country": "CN", "military_ties": True}]}
    assert mil.evaluate(case).trace == []
    assert mil.evaluate(case, explain=True).trace != []


def test_cases_from_files(mil: kspolicy.Policy, tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('[[partners]]\ncountry = "CN"\nmilitary_ties = true\n')
    js = tmp_path / "c.json"
    js.write_text('{"partners": [{"country": "CN", "military_ties": true}]}')
    assert mil.evaluate(toml, as_of=AS_OF) == mil.evaluate(str(js), as_of=AS_OF)


def test_a_decision_carries_the_entry_looked_up_by_a_fact(
    write_policy: Callable[..., Path],
) -> None:
    folder = write_policy(
        {
            "policy.pol": """
policy desk version "1"
lists "desks.toml"
enum Site { Ghent, Leuven }
schema { site: Site question en "Where?" }
decision {
  verdict: scale clear < notify
  helpdesk: entry of HELPDESKS for site
}
rule r cite "x" when site == Ghent then verdict >= notify because "b"
""",
            "desks.toml": """
[HELPDESKS]
kind = "records"
source = "test"
retrieved = 2025-01-01
entries = [
  { key = "Ghent", email = "help@ghent.example", phones = ["1", "2"] },
  { key = "Leuven", email = "old@leuven.example", valid_until = 2025-12-31 },
  { key = "Leuven", email = "new@leuven.example", valid_from = 2026-01-01 },
]
""",
        }
    )
    policy = kspolicy.load(folder)
    ghent = policy.evaluate({"site": "Ghent"}, as_of=AS_OF)
    assert ghent.outcomes == {"verdict": "notify", "helpdesk": "Ghent"}
    assert ghent.references == {
        "helpdesk": {"key": "Ghent", "email": "help@ghent.example", "phones": ["1", "2"]}
    }
    leuven = policy.evaluate({"site": "Leuven"}, as_of=AS_OF)
    assert leuven.references["helpdesk"]["email"] == "new@leuven.example"
    unknown = policy.evaluate({}, as_of=AS_OF)
    assert "helpdesk" not in unknown.outcomes and unknown.references == {}
    # `site` is asked once, for the rule that reads it (the entry needs it too).
    assert [(q.fact, q.question, q.rules) for q in unknown.open_questions] == [
        ("site", "Where?", ["r"])
    ]


def test_loading_pauses_the_cycle_collector_and_restores_it(
    write_policy: Callable[..., Path],
) -> None:
    import gc

    broken = write_policy({"policy.pol": 'policy p version "1"\nrule r when x then y >= z\n'})
    assert gc.isenabled()
    kspolicy.load()
    assert gc.isenabled()
    with pytest.raises(kspolicy.PolicyError):
        kspolicy.load(broken)
    assert gc.isenabled()
    gc.disable()  # a program that turned it off itself keeps it off
    try:
        kspolicy.load()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_load_freezes_nothing_and_frozen_objects_stay_frozen() -> None:
    import gc

    kspolicy.load()
    assert gc.get_freeze_count() == 0
    gc.freeze()  # a program that freezes what it has loaded
    try:
        frozen = gc.get_freeze_count()
        kspolicy.load()
        assert gc.get_freeze_count() == frozen  # its objects are not unfrozen
    finally:
        gc.unfreeze()


def test_today_is_asked_again_when_the_clock_leaves_the_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import datetime as dt
    from types import SimpleNamespace

    from kspolicy import policy as facade

    midnight = dt.datetime(2026, 3, 1).timestamp()  # local midnight, as `today` means
    clock = [midnight - 1]
    monkeypatch.setattr(facade, "time", SimpleNamespace(time=lambda: clock[0]))
    monkeypatch.setattr(facade, "_day", (0.0, 0.0, dt.date.min))
    assert facade._today() == dt.date(2026, 2, 28)
    clock[0] = midnight
    assert facade._today() == dt.date(2026, 3, 1)
    clock[0] = midnight + 86399
    assert facade._today() == dt.date(2026, 3, 1)
    clock[0] = midnight - 3600  # the clock was set back
    assert facade._today() == dt.date(2026, 2, 28)
