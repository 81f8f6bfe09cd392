"""The compact decision form (issue 16, item 2): each fact, match and question once, rules
and questions by reference, at most a fifth of the full form's bytes; the full form stays
one argument away, and audit records keep it."""

from __future__ import annotations

import json
from typing import Any

import pytest

import kspolicy
from kspolicy.diagnostics import KspolicyError
from kspolicy.eval import contract
from kspolicy.eval.decision import COMPACT_FORMAT, FORMAT, Decision

from .conftest import ROOT
from .generated import generated_cases

AS_OF = "2026-01-15"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.toml"))
PUBLISHED = ROOT / "docs" / "decision.compact.schema.json"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


@pytest.fixture(scope="module")
def decisions(pack: kspolicy.Policy) -> list[Decision]:
    """The example cases and 150 generated cases with unknown facts, decided."""
    cases: list[Any] = [*EXAMPLES, *generated_cases(pack.schema, 150)]
    return [pack.evaluate(case, as_of=AS_OF) for case in cases]


def line(data: dict[str, Any], separators: tuple[str, str] | None) -> int:
    return len(json.dumps(data, ensure_ascii=False, separators=separators).encode())


def test_the_compact_form_is_the_default_and_the_full_one_is_asked_for(
    decisions: list[Decision],
) -> None:
    decision = decisions[0]
    assert decision.to_dict()["format"] == COMPACT_FORMAT == "compact/1"
    assert decision.to_dict(detail="full")["format"] == FORMAT == "full/1"
    assert json.loads(decision.to_json())["format"] == "compact/1"
    assert decision.to_json(detail="full").startswith('{\n  "format": "full/1",')


def test_a_compact_decision_is_at_most_a_fifth_of_todays_bytes(
    decisions: list[Decision],
) -> None:
    """The issue's measure: a batch line of today (the full form, default separators)
    against the batch line of now (the compact form, no spaces), over cases with
    unknown facts."""
    generated = decisions[len(EXAMPLES) :]
    full = sum(line(d.to_dict(detail="full"), None) for d in generated)
    compact = sum(line(d.to_dict(), (",", ":")) for d in generated)
    assert compact * 5 <= full, f"compact/full = {compact / full:.3f}"


def test_the_compact_form_says_each_thing_once(decisions: list[Decision]) -> None:
    for decision in decisions:
        data = decision.to_dict()
        texts = json.dumps(data, ensure_ascii=False)
        # The policy's texts are referred to by name and path, never repeated.
        for result in [*decision.fired, *decision.pending]:
            assert result.because == "" or result.because not in texts
        for question in decision.open_questions:
            assert question.question not in texts
        assert data["open_questions"] == [q.fact for q in decision.open_questions]
        for result in [*data["fired"], *data["pending"]]:
            assert set(result.get("facts", [])) <= set(data["facts"])
            assert all(0 <= i < len(data["matched"]) for i in result.get("matched", []))
        assert all("unknown" not in r for r in data["fired"])
        assert all(r["unknown"] for r in data["pending"])


def test_a_compact_decision_reads_back_with_all_it_holds(decisions: list[Decision]) -> None:
    for decision in decisions:
        data = decision.to_dict()
        back = Decision.from_dict(data)
        assert back.to_dict() == data
        assert (back.policy, back.outcomes, back.possible, back.headline, back.lang) == (
            decision.policy,
            decision.outcomes,
            decision.possible,
            decision.headline,
            decision.lang,
        )
        for mine, theirs in zip(
            [*back.fired, *back.pending], [*decision.fired, *decision.pending], strict=True
        ):
            assert (mine.rule, mine.binding, mine.facts, mine.matched, mine.unknown) == (
                theirs.rule,
                theirs.binding,
                theirs.facts,
                theirs.matched,
                theirs.unknown,
            )
        assert [q.fact for q in back.open_questions] == data["open_questions"]
        # The full form still reads back whole.
        assert Decision.from_dict(decision.to_dict(detail="full")) == decision


def test_an_explained_compact_decision_keeps_its_trace(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(EXAMPLES[0], as_of=AS_OF, explain=True)
    data = decision.to_dict()
    assert data["trace"] and Decision.from_dict(data).trace == decision.trace
    assert "trace" not in pack.evaluate(EXAMPLES[0], as_of=AS_OF).to_dict()


@pytest.mark.parametrize(
    "broken",
    [
        {"facts": "no"},
        {"pending": [{"rule": "x", "matched": [99]}]},
        {"pending": [{"rule": "x", "facts": ["nowhere"]}]},
        {"fired": None},
    ],
)
def test_a_broken_compact_decision_is_refused_in_words(
    decisions: list[Decision], broken: dict[str, Any]
) -> None:
    data = {**decisions[0].to_dict(), **broken}
    with pytest.raises(KspolicyError, match="not a decision in format compact/1"):
        Decision.from_dict(data)


def test_a_detail_that_is_no_form_is_refused(decisions: list[Decision]) -> None:
    with pytest.raises(KspolicyError, match="compact or full"):
        decisions[0].to_dict(detail="short")


def test_the_published_compact_schema_is_the_generated_one() -> None:
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert published == contract.decision_schema(COMPACT_FORMAT), (
        "docs/decision.compact.schema.json is out of date: regenerate it with "
        "contract.decision_schema('compact/1')"
    )
    assert list(published["$defs"]) == [
        "CompactMatch", "CompactRule", "Headline", "PolicyInfo", "RuleTrace", "TraceNode",
        "compact/1",
    ]  # fmt: skip


def test_the_audit_record_keeps_the_full_form(pack: kspolicy.Policy, tmp_path: Any) -> None:
    """Records written before the compact form and after it are the same form, so they
    verify and replay alike."""
    import datetime as dt

    from kspolicy.tools import audit

    decision = pack.evaluate(EXAMPLES[0], as_of=AS_OF)
    case, _ = pack.read_case(EXAMPLES[0])
    record = audit.record_of(pack, case, decision, "test", dt.datetime.now(dt.UTC))
    assert record["decision"] == decision.to_dict(detail="full")
    log = tmp_path / "log.jsonl"
    audit.append(log, json.loads(json.dumps(record, default=str)))
    assert audit.verify(log).ok
    assert audit.replay(log, pack).changes == ()
