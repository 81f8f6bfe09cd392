"""Decisions built from the fast path are the traced evaluation's, byte for byte (issue 16,
item 1).

Without an explanation, `evaluate` assembles the decision from what generated
three-valued code found (`Runner.findings`); the traced runtime runs only when an
explanation is asked for. Three evaluations must agree on the whole decision, both JSON
forms byte for byte: the fast path, the traced evaluation (with an explanation, its
trace set aside; and as a runner of its own) and, on what it knows (each rule's status
per binding, the certain and possible outcomes), the reference interpreter in
`tests/oracle.py`. On every example case, every case in the fixtures, and generated
policies and cases with unknown facts.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval import fastpath
from kspolicy.eval.decision import Decision
from kspolicy.eval.runtime import run

from .conftest import FIXTURES, ROOT
from .helpers import fast_path, traced_program
from .oracle import Oracle
from .strategies import forget, full_cases
from .test_differential import HEADER, compiled_statuses, policies
from .test_security_generated_code import (
    GENERATED,
    assert_only_the_engine_ran,
    generated_names,
    hostile_cases,
    watched,
)

AS_OF = dt.date(2026, 1, 15)


def the_three_agree(
    policy: kspolicy.Policy, case: Any, as_of: dt.date | None = None, lang: str = "en"
) -> Decision:
    """The fast decision, once checked against the traced ones (both JSON forms, byte
    for byte) and the oracle (statuses per binding, certain and possible outcomes)."""
    facts, case_as_of = policy.read_case(case)
    day = as_of or case_as_of or AS_OF
    fast = policy.evaluate(case, as_of=day, lang=lang)
    explained = attrs.evolve(policy.evaluate(case, as_of=day, lang=lang, explain=True), trace=[])
    traced = run(traced_program(policy), facts, day, lang, False)
    for detail in ("compact", "full"):
        assert fast.to_json(detail) == explained.to_json(detail) == traced.to_json(detail)
    # The compact form written straight from the findings, without a Decision.
    direct = policy.compact_decision(case, as_of=day, lang=lang)
    assert json.dumps(direct, ensure_ascii=False, indent=2) + "\n" == fast.to_json()
    oracle = Oracle(policy.checked, facts, day)
    assert compiled_statuses(fast) == {
        (rule, tuple(sorted(binding))): status
        for (rule, binding), status in oracle.statuses().items()
    }
    certain, possible = oracle.outcomes()
    entries = {o.name for o in policy.checked.outcomes.values() if o.kind == "entry"}
    assert {k: v for k, v in fast.outcomes.items() if k not in entries} == certain
    assert fast.possible == possible
    return fast


def test_fast_traced_and_oracle_agree_on_every_example_case() -> None:
    pack = kspolicy.load()
    paths = sorted((ROOT / "examples" / "cases").glob("*.toml"))
    assert len(paths) >= 13
    pending = 0
    for path in paths:
        for lang in pack.languages:
            pending += len(the_three_agree(pack, path, lang=lang).pending)
    assert pending  # cases with unknown facts, as the issue asks
    screening = kspolicy.load(ROOT / "examples" / "policies" / "screening")
    for path in sorted((ROOT / "examples" / "policies" / "screening" / "cases").glob("*.toml")):
        decision = the_three_agree(screening, path)
        assert any(r.matched for r in decision.fired + decision.pending)  # a name screened


def test_fast_traced_and_oracle_agree_on_every_fixture_case(tmp_path: Path) -> None:
    """The fixtures' cases (read against the fixtures' schema); one that does not fit
    it is refused the same way, whichever evaluation would have decided."""
    shutil.copy(FIXTURES / "common" / "schema.pol", tmp_path / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", tmp_path / "lists")
    body = (
        'rule r cite "x" when partner.country in RISK or project.trl >= 4 '
        'then verdict >= notify because "b"\n'
    )
    (tmp_path / "policy.pol").write_text(HEADER + body, encoding="utf-8")
    policy = kspolicy.load(tmp_path)
    cases = sorted((FIXTURES / "cases").glob("*.toml"))
    assert cases
    for path in cases:
        try:
            policy.read_case(path)
        except kspolicy.CaseError as error:
            with pytest.raises(kspolicy.CaseError) as fast:
                policy.evaluate(path, as_of=AS_OF)
            assert fast.value.problems == error.problems
            continue
        the_three_agree(policy, path)


def test_fast_traced_and_oracle_agree_on_generated_cases_with_unknowns(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("fastdecide")
    shutil.copy(FIXTURES / "common" / "schema.pol", folder / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", folder / "lists")

    def load(body: str) -> kspolicy.Policy:
        (folder / "policy.pol").write_text(HEADER + body, encoding="utf-8")
        return kspolicy.load(folder)

    schema = load('rule base cite "x" when true then verdict >= notify because "b"\n').schema

    @settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(body=policies(), data=st.data())
    def check(body: str, data: st.DataObject) -> None:
        policy = load(body)
        for rate in (0.0, 0.3, 0.6):
            case = data.draw(forget(data.draw(full_cases(schema)), rate))
            the_three_agree(policy, case)

    check()


def test_the_packs_generated_cases_decide_alike() -> None:
    """The benchmark's own cases (seeded, with unknown facts): ~40 pending rules each."""
    from .generated import generated_cases

    pack = kspolicy.load()
    for case in generated_cases(pack.schema, 40, seed=1616):
        the_three_agree(pack, case)


def test_a_rule_the_findings_function_has_no_code_for_is_found_by_the_traced_runner(
    tmp_path: Path,
) -> None:
    """A rule reading a definition too large to write out (computed once per case)
    is left to the traced runner; its findings are merged in policy order."""
    shutil.copy(FIXTURES / "common" / "schema.pol", tmp_path / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", tmp_path / "lists")
    large = " or ".join(f"project.trl == {n}" for n in range(60))  # over 100 nodes
    body = (
        f"define big = {large}\n"
        'rule a cite "x" when partner.country in RISK then verdict >= notify because "b"\n'
        'rule b cite "x" when big and partner.military_ties then verdict >= review '
        'because "b"\n'
        'rule c cite "x" when project.trl is unknown then verdict >= notify because "b"\n'
    )
    (tmp_path / "policy.pol").write_text(HEADER + body, encoding="utf-8")
    policy = kspolicy.load(tmp_path)
    writer = fastpath._Writer(policy.checked, fast_path(policy).plan, AS_OF)
    assert writer.findings()[1] == [1]  # rule b
    partners = [{"name": "A", "country": "CN"}, {"name": "B", "military_ties": True}]
    for case in ({"partners": partners}, {"project": {"trl": 7}, "partners": partners}, {}):
        decision = the_three_agree(policy, case)
        assert [r.rule for r in decision.fired + decision.pending]


def test_a_fault_in_a_findings_helper_is_raised_not_taken_for_an_unknown_fact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The findings function catches nothing: a helper that fails fails the decision."""

    def broken(path: str, index: int | None) -> str:
        raise KeyError("a fault in the engine")

    monkeypatch.setitem(fastpath._HELPERS, "_elem", broken)
    pack = kspolicy.load()
    with pytest.raises(KeyError, match="a fault in the engine"):
        pack.evaluate(ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml")


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-decisions")


def test_hostile_texts_never_run_in_the_findings_function(hostile_folder: Path) -> None:
    """Policy and case texts made of Python's own syntax stay data in the findings
    function too: it holds only the engine's names, nothing but the engine runs while
    it decides, and its decisions are the traced evaluation's and the oracle's."""
    marker = hostile_folder / "ran"

    @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=hostile_cases(str(marker)))
    def check(drawn: tuple[str, str, list[str], dict[str, Any]]) -> None:
        text, lists, _, case = drawn
        (hostile_folder / "policy.pol").write_text(text, encoding="utf-8")
        (hostile_folder / "lists.toml").write_text(lists, encoding="utf-8")
        policy = kspolicy.load(hostile_folder)
        # The traced evaluation first: it screens the same names, so whatever the
        # screening library loads for their characters is loaded before watching.
        the_three_agree(policy, case)
        fast_path(policy).finder(AS_OF)  # built outside: compiling is watched elsewhere
        with watched() as events:
            policy.evaluate(case, as_of=AS_OF)
        assert_only_the_engine_ran(events)
        names = generated_names(policy)
        assert {n for n in names if not GENERATED.fullmatch(n)} == set()
        assert not marker.exists()

    check()
