"""The fast path decides exactly what the traced evaluation decides.

On generated policies and cases (with unknown facts, so that both the two-valued and
the three-valued generated functions run), on the guideline's scenarios, and on the
peer benchmark's own workload (vendored in benchmarks/workload.py), rule by rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval.facts import Facts

from .conftest import ROOT
from .helpers import benchmark_modules, fast_path, traced_program
from .strategies import forget, full_cases
from .test_differential import folder, load, policies  # noqa: F401  (a fixture and strategies)

AS_OF = dt.date(2026, 1, 15)
PEER_BENCH = ROOT.parent / "shared" / "bench"  # the peer benchmark, where it lies beside


def traced(policy: kspolicy.Policy, case: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    decision = policy.evaluate(case, as_of=AS_OF, explain=True)
    fired = tuple(dict.fromkeys(r.rule for r in decision.fired))
    return fired, tuple(dict.fromkeys(r.rule for r in decision.pending))


def test_fast_and_traced_agree_on_generated_policies(folder: Path) -> None:  # noqa: F811
    schema_policy = load(
        folder, 'rule base cite "x" when true then verdict >= notify because "b"\n'
    )

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(body=policies(), data=st.data())
    def check(body: str, data: st.DataObject) -> None:
        policy = load(folder, body)
        for rate in (0.0, 0.3):
            case = data.draw(forget(data.draw(full_cases(schema_policy.schema)), rate))
            statuses = policy.rule_statuses(case, as_of=AS_OF)
            assert (statuses.fired, statuses.pending) == traced(policy, case)

    check()


def test_decisions_with_and_without_explanation_are_the_same(folder: Path) -> None:  # noqa: F811
    schema_policy = load(
        folder, 'rule base cite "x" when true then verdict >= notify because "b"\n'
    )

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(body=policies(), data=st.data())
    def check(body: str, data: st.DataObject) -> None:
        policy = load(folder, body)
        case = data.draw(forget(data.draw(full_cases(schema_policy.schema)), 0.3))
        fast = policy.evaluate(case, as_of=AS_OF).to_dict(detail="full")
        slow = policy.evaluate(case, as_of=AS_OF, explain=True).to_dict(detail="full")
        slow["trace"] = []
        assert fast == slow

    check()


def test_fast_and_traced_agree_on_the_scenarios() -> None:
    pack = kspolicy.load()
    for path in sorted((ROOT / "examples" / "cases").glob("*.toml")):
        statuses = pack.rule_statuses(path, as_of=AS_OF)
        assert (statuses.fired, statuses.pending) == traced(pack, path), path.name


@pytest.fixture(scope="module")
def workloads(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[Any, kspolicy.Policy]]:
    """The benchmark workload's policies (neutral and loaded) at 30 and 300 rules, loaded
    once for the tests below that share them."""
    workload, as_kspolicy = benchmark_modules()
    loaded: dict[int, tuple[Any, kspolicy.Policy]] = {}
    for size in (30, 300):
        neutral = workload.make_policy(size)
        where = tmp_path_factory.mktemp(f"workload-{size}")
        loaded[size] = neutral, as_kspolicy.load_policy(neutral, where)
    return loaded


def traced_statuses(policy: kspolicy.Policy, case: Any) -> tuple[tuple[str, ...], ...]:
    """Fired and pending by the traced runner alone (runtime.Traced, the reference the
    fast path is held to): every rule's closures for every binding, with no explanation
    built, which at 300 rules is most of what `traced` costs."""
    program = traced_program(policy)
    fired, pending = program.runner.statuses(Facts(policy.read_case(case)[0]), AS_OF)
    names = [compiled.rule.name for compiled in program.rules]
    return tuple(names[i] for i in fired), tuple(names[i] for i in pending)


@pytest.mark.parametrize("size", [30, 300])
def test_fast_and_traced_agree_on_the_benchmark_workload(
    size: int, workloads: dict[int, tuple[Any, kspolicy.Policy]]
) -> None:
    workload, _ = benchmark_modules()
    neutral, policy = workloads[size]
    labels = {r.id: r.label for r in neutral.rules}
    for case in workload.make_cases(150):
        expected = workload.reference_decide(neutral, case)
        fast = policy.rule_statuses(case, as_of=AS_OF, check_case=False)
        assert {labels[name] for name in fast.fired} == expected
        assert fast.fired == traced_statuses(policy, case)[0]


def _forgetting(value: Any, rng: Any, rate: float) -> Any:
    """A copy of a case with each field, at every level, left out with probability `rate`."""
    if isinstance(value, dict):
        return {k: _forgetting(v, rng, rate) for k, v in value.items() if rng.random() >= rate}
    if isinstance(value, list):
        return [_forgetting(v, rng, rate) for v in value]
    return value


def test_shared_and_guarded_conditions_agree_with_traced_when_facts_are_unknown(
    workloads: dict[int, tuple[Any, kspolicy.Policy]],
) -> None:
    """At 300 rules the fast path shares conditions, groups rules under a lead,
    computes other conditions only when a lead needs them and tests `any` conditions
    over one collection in one loop; with facts left out, some unknown facts are never
    read. Fired and pending must still be what tracing says."""
    import random

    workload, _ = benchmark_modules()
    _, policy = workloads[300]
    rng = random.Random(6)
    for case in workload.make_cases(80):
        partial = _forgetting(case, rng, 0.08)
        fast = policy.rule_statuses(partial, as_of=AS_OF, check_case=False)
        assert (fast.fired, fast.pending) == traced_statuses(policy, partial)
    generated = fast_path(policy).sources[AS_OF]
    assert " else False" in generated  # the guarded conditions were there to be tested
    assert "\n    for q0 in " in generated  # and conditions sharing a loop over partners


def test_a_rule_that_fires_for_several_bindings_is_named_once(tmp_path: Path) -> None:
    from .helpers import fixture_policy

    policy = fixture_policy(
        tmp_path, 'rule r cite "x" when partner.country == CN then verdict >= notify because "b"\n'
    )
    two = {"partners": [{"name": "A", "country": "CN"}, {"name": "B", "country": "CN"}]}
    assert policy.rule_statuses(two, as_of=AS_OF).fired == ("r",)
    unknown_too = {
        "partners": [{"name": "A", "country": "CN"}, {"name": "B"}, {"name": "C", "country": "CN"}]
    }
    statuses = policy.rule_statuses(unknown_too, as_of=AS_OF)  # the three-valued path
    assert (statuses.fired, statuses.pending) == (("r",), ("r",)) == traced(policy, unknown_too)


def test_the_vendored_workload_is_the_peer_benchmarks_own() -> None:
    """benchmarks/workload.py is a copy: below its header, the peer benchmark's file,
    whose sha256 the header records. Checked on the copy always, and on the peer's file
    too where the peer benchmark lies beside this clone (never skipped: a clean clone
    still proves the copy is the file the header names)."""
    ours = (ROOT / "benchmarks" / "workload.py").read_bytes()
    start = ours.index(b'"""Engine-neutral')
    recorded = re.search(rb"sha256 of shared/bench/workload.py: ([0-9a-f]{64})", ours[:start])
    assert recorded is not None, "the header records the peer file's sha256"
    assert hashlib.sha256(ours[start:]).hexdigest() == recorded[1].decode()
    theirs = PEER_BENCH / "workload.py"
    if theirs.is_file():
        assert hashlib.sha256(theirs.read_bytes()).hexdigest() == recorded[1].decode()
