"""Two evaluators that agree: the compiled evaluation tree against the reference oracle,
on generated policies and generated cases (with unknown facts), outcome by outcome."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy

from .conftest import FIXTURES
from .oracle import Oracle
from .strategies import forget, full_cases

ATOMS = [
    "project.trl >= {n}", "project.trl < {n}", "project.shares_outside_eu",
    "project.programme == {prog}", "project.programme in {{FWO, BOF}}", "project.programme != OTHER",
    "any t in project.topics: t in {{robotics}}", "all t in project.topics: t in TOPICS",
    "partner.country in RISK", "partner.country not in RISK", "partner.military_ties",
    "partner.kind == military", "partner.name matches SEVEN_SONS", '"RU" in partner.owners',
    "partner.country is known", "project.trl is unknown", "all p in partners: p.military_ties",
    "any p in partners: p.country in RISK and p.kind == university", "true", "false", "d0",
]  # fmt: skip


@st.composite
def condition(draw: st.DrawFn, depth: int = 0) -> str:
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        atom = draw(st.sampled_from(ATOMS))
        return atom.format(
            n=draw(st.integers(1, 9)), prog=draw(st.sampled_from(["FWO", "BOF", "OTHER"]))
        )
    kind = draw(st.sampled_from(["and", "or", "not"]))
    if kind == "not":
        return f"not ({draw(condition(depth + 1))})"
    parts = [draw(condition(depth + 1)) for _ in range(draw(st.integers(2, 3)))]
    return "(" + f" {kind} ".join(f"({p})" for p in parts) + ")"


@st.composite
def policies(draw: st.DrawFn) -> str:
    define = draw(condition(2)).replace("d0", "true")
    rules = [f"define d0 = {define}"]
    for i in range(draw(st.integers(1, 6))):
        when = draw(condition())
        unless = f" unless {draw(condition(2))}" if draw(st.booleans()) else ""
        verdict = draw(st.sampled_from(["notify", "review", "prohibited"]))
        obligations = draw(
            st.lists(
                st.sampled_from(["report", "licence", "clearance"]),
                min_size=1,
                max_size=2,
                unique=True,
            )
        )
        valid = draw(st.sampled_from(["", " valid from 2026-06-01", " valid until 2025-12-31"]))
        rules.append(
            f'rule r{i} cite "x"{valid} when {when}{unless} then verdict >= {verdict} '
            f'obligations += {", ".join(obligations)} because "b"'
        )
    return "\n".join(rules) + "\n"


HEADER = 'policy generated version "1"\nimport "schema.pol"\nlists "lists/*.toml"\n'
AS_OF = dt.date(2026, 1, 15)


def load(folder: Path, body: str) -> kspolicy.Policy:
    (folder / "policy.pol").write_text(HEADER + body)
    return kspolicy.load(folder)


def compiled_statuses(
    decision: kspolicy.Decision,
) -> dict[tuple[str, tuple[tuple[str, int], ...]], str]:
    found = {}
    for status, results in (("fired", decision.fired), ("pending", decision.pending)):
        for result in results:
            found[(result.rule, tuple(sorted(result.binding.items())))] = status
    return found


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("differential")
    shutil.copy(FIXTURES / "common" / "schema.pol", path / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", path / "lists")
    return path


def test_compiled_and_reference_evaluation_agree(folder: Path) -> None:
    schema_policy = load(
        folder, 'rule base cite "x" when true then verdict >= notify because "b"\n'
    )

    @settings(
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(body=policies(), data=st.data())
    def check(body: str, data: st.DataObject) -> None:
        policy = load(folder, body)
        for _ in range(4):
            case: dict[str, Any] = data.draw(
                forget(data.draw(full_cases(schema_policy.schema)), 0.3)
            )
            for explain in (False, True):
                decision = policy.evaluate(case, as_of=AS_OF, explain=explain)
                facts, _ = policy.read_case(case)
                oracle = Oracle(policy.checked, facts, AS_OF)
                assert compiled_statuses(decision) == {
                    (rule, tuple(sorted(binding))): status
                    for (rule, binding), status in oracle.statuses().items()
                }
                certain, possible = oracle.outcomes()
                assert decision.outcomes == certain
                assert decision.possible == possible

    check()


def test_the_oracle_agrees_on_the_guideline_scenarios() -> None:
    pack = kspolicy.load()
    for path in sorted((Path(__file__).resolve().parents[1] / "examples" / "cases").glob("*.toml")):
        facts, as_of = pack.read_case(path)
        assert as_of is not None
        decision = pack.evaluate(path)
        oracle = Oracle(pack.checked, facts, as_of)
        certain, possible = oracle.outcomes()
        assert {k: v for k, v in decision.outcomes.items() if k != "contact_point"} == certain, (
            path.name
        )
        assert decision.possible == possible, path.name
