"""A decision assembles its rule results and sources on first read (issue 16).

`Policy.evaluate` leaves a decision what its `fired`, `pending` and `sources` are made of
(the findings, the policy's texts, the entries of a sources list by code) and makes each
on its first read (`decision.Decision`). These tests hold such a decision, read in every
way a caller can, to one built with `Decision(...)` from the same fields (whose fields
are made at once): the same values, forms, copies and pickles; the same object for two
readers at once; nothing of the program kept; each decision its own containers.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import json
import pickle
import threading
import types
import weakref
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval import decision as decision_module
from kspolicy.eval.decision import Decision, Match, RuleResult
from kspolicy.eval.runtime import Program, run
from kspolicy.eval.summary import sources_of

from .conftest import ROOT
from .generated import generated_cases
from .helpers import traced_program
from .strategies import forget, full_cases

DAY = dt.date(2026, 1, 15)
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.toml"))
ASSEMBLED = ("fired", "pending", "sources")


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def made_at_once(decision: Decision) -> Decision:
    """The decision as `Decision(...)` makes it: every field given, none left to make."""
    return Decision(
        **{field.name: getattr(decision, field.name) for field in attrs.fields(Decision)}
    )


def unread(decision: Decision) -> bool:
    """Whether none of the decision's assembled fields has been made yet."""
    return not any(name in vars(decision) for name in ASSEMBLED)


def cases(pack: kspolicy.Policy) -> list[Any]:
    return [*EXAMPLES, *generated_cases(pack.schema, 60)]


def test_a_decision_read_on_demand_is_the_decision_made_at_once(pack: kspolicy.Policy) -> None:
    for case in cases(pack):
        for lang in pack.languages:
            lazy = pack.evaluate(case, as_of=DAY, lang=lang)
            assert unread(lazy)
            compact, full = lazy.to_dict(), made_at_once(pack.evaluate(case, as_of=DAY, lang=lang))
            assert unread(lazy)  # the compact form wrote the rules from the findings
            assert compact == full.to_dict()
            assert lazy.to_json() == full.to_json()
            assert lazy.to_dict(detail="full") == full.to_dict(detail="full")
            assert lazy == full and full == lazy
            assert repr(lazy) == repr(full)


def test_unknown_facts_read_on_demand_give_the_decision_made_at_once(
    pack: kspolicy.Policy,
) -> None:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        rate = data.draw(st.sampled_from([0.0, 0.3, 0.6, 0.9]))
        case = data.draw(forget(data.draw(full_cases(pack.schema)), rate))
        lang = data.draw(st.sampled_from(pack.languages))
        # Read in a drawn order, some fields never: each reads as made at once.
        order = data.draw(st.permutations(ASSEMBLED))
        reads = data.draw(st.integers(0, len(order)))
        lazy = pack.evaluate(case, as_of=DAY, lang=lang)
        whole = made_at_once(pack.evaluate(case, as_of=DAY, lang=lang))
        for name in order[:reads]:
            assert getattr(lazy, name) == getattr(whole, name)
        assert lazy.to_dict() == whole.to_dict()
        assert lazy.to_dict(detail="full") == whole.to_dict(detail="full")

    check()


def test_sources_kept_by_code_are_the_sources_the_summary_gives(pack: kspolicy.Policy) -> None:
    checked = pack._program.policy
    sourced = 0
    for case in cases(pack):
        for lang in pack.languages:
            decision = pack.evaluate(case, as_of=DAY, lang=lang)
            expected = sources_of(checked, decision.outcomes, decision.possible, DAY, lang)
            assert decision.sources == expected
            sourced += bool(expected)
    assert sourced > len(EXAMPLES)  # the pack's `checks` name their sources


def test_sources_are_kept_once_per_outcome_not_per_set_of_codes(pack: kspolicy.Policy) -> None:
    policy = kspolicy.load()
    for case in generated_cases(policy.schema, 200):
        assert policy.evaluate(case, as_of=DAY).sources is not None
    sourced = [o for o in policy._program.policy.outcomes.values() if o.sources is not None]
    assert len(policy._program.memo["sources"]) == len(sourced)


def test_changing_a_read_rule_result_reaches_no_later_decision(pack: kspolicy.Policy) -> None:
    for case in cases(pack)[:20]:
        before = copy.deepcopy(pack.evaluate(case, as_of=DAY))
        first = pack.evaluate(case, as_of=DAY)
        first.to_dict()  # written from the findings first: the results still their own
        for result in first.fired + first.pending:
            result.facts["changed"] = 1
            result.binding["changed"] = 1
            result.unknown.append("changed")
            result.cite.append("changed")
            for value in result.outcomes.values():
                if isinstance(value, list):
                    value.append("changed")
        for by_code in first.sources.values():
            for entries in by_code.values():
                entries[0]["changed"] = 1
                for value in entries[0].values():
                    if isinstance(value, list):
                        value.append("changed")
        again = pack.evaluate(case, as_of=DAY)
        assert again == before
        assert again.to_dict(detail="full") == before.to_dict(detail="full")


def test_a_decision_changed_before_its_sources_are_read_keeps_the_sources_it_had(
    pack: kspolicy.Policy,
) -> None:
    case = EXAMPLES[0]
    expected = pack.evaluate(case, as_of=DAY).sources
    decision = pack.evaluate(case, as_of=DAY)
    for values in (decision.outcomes, decision.possible):
        for value in values.values():
            if isinstance(value, list):
                value.clear()
    assert decision.sources == expected


def test_a_pickled_decision_is_whole_and_holds_nothing_it_was_made_from(
    pack: kspolicy.Policy,
) -> None:
    for case in cases(pack)[:20]:
        lazy = pack.evaluate(case, as_of=DAY)
        whole = made_at_once(pack.evaluate(case, as_of=DAY))
        written = pickle.dumps(lazy)
        assert b"_left_for_" not in written
        read = pickle.loads(written)
        assert sorted(vars(read)) == sorted(field.name for field in attrs.fields(Decision))
        assert read == whole
        assert read.to_dict() == whole.to_dict()
        assert pickle.loads(pickle.dumps(whole)) == whole


def test_copies_evolve_and_asdict_of_an_unread_decision_are_whole(pack: kspolicy.Policy) -> None:
    for case in cases(pack)[:20]:
        whole = made_at_once(pack.evaluate(case, as_of=DAY))
        deep = copy.deepcopy(pack.evaluate(case, as_of=DAY))
        assert deep == whole and set(vars(deep)) == set(vars(whole))
        lazy = pack.evaluate(case, as_of=DAY)
        shallow = copy.copy(lazy)
        assert shallow == whole
        assert shallow.fired is lazy.fired  # a shallow copy, as of any attrs class
        assert attrs.asdict(pack.evaluate(case, as_of=DAY)) == attrs.asdict(whole)
        evolved = attrs.evolve(pack.evaluate(case, as_of=DAY), lang="other")
        assert evolved == attrs.evolve(whole, lang="other")
        read = Decision.from_dict(pack.evaluate(case, as_of=DAY).to_dict(detail="full"))
        assert read == whole


def test_a_decision_made_by_hand_holds_what_it_was_given(pack: kspolicy.Policy) -> None:
    whole = made_at_once(pack.evaluate(EXAMPLES[0], as_of=DAY))
    fired, pending, sources = list(whole.fired), list(whole.pending), dict(whole.sources)
    made = attrs.evolve(whole, fired=fired, pending=pending, sources=sources)
    assert made.fired is fired and made.pending is pending and made.sources is sources
    assert Decision(**{**attrs.asdict(whole, recurse=False), "fired": []}).fired == []


def test_two_threads_reading_a_field_at_once_get_one_object(pack: kspolicy.Policy) -> None:
    decisions = [pack.evaluate(case, as_of=DAY) for case in cases(pack)]

    def read(name: str, start: threading.Barrier, into: list[Any]) -> None:
        start.wait()
        into.extend(getattr(d, name) for d in decisions)

    for name in ASSEMBLED:
        start = threading.Barrier(2)
        got: list[list[Any]] = [[], []]
        threads = [threading.Thread(target=read, args=(name, start, got[i])) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(a is b for a, b in zip(*got, strict=True))


def test_a_field_made_twice_at_once_is_read_as_the_one_stored_first(
    pack: kspolicy.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another reader finishing while this one makes the field: what it stored is what
    # both read, and this one's is dropped.
    decision = pack.evaluate(EXAMPLES[0], as_of=DAY)
    assembled = vars(Decision)["fired"]
    make = assembled.make
    calls: list[int] = []
    first: list[Any] = []

    def racing(left: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            first.append(decision.fired)  # the other reader, within this one's making
        return make(left)

    monkeypatch.setattr(assembled, "make", racing)
    read = decision.fired
    assert len(calls) == 2  # both made it
    assert read is first[0]
    assert decision.fired is read
    assert read == made_at_once(pack.evaluate(EXAMPLES[0], as_of=DAY)).fired


def test_an_unread_decision_keeps_no_program_alive(pack: kspolicy.Policy) -> None:
    program: Program | None = traced_program(pack)  # a program of its own, no one else's
    assert program is not None
    facts, _ = pack.read_case(EXAMPLES[0])
    decision = run(program, facts, DAY, "en", False)
    assert unread(decision)
    gone = weakref.ref(program)
    program = None
    gc.collect()
    assert gone() is None
    assert decision == made_at_once(pack.evaluate(EXAMPLES[0], as_of=DAY))


def test_an_unread_decision_holds_only_data(pack: kspolicy.Policy) -> None:
    # Nothing a decision holds, through any container, is code or a program.
    decision = pack.evaluate(EXAMPLES[0], as_of=DAY)
    assert unread(decision)
    seen: set[int] = set()
    todo: list[Any] = [vars(decision)]
    while todo:
        held = todo.pop()
        if id(held) in seen or isinstance(held, type):
            continue
        seen.add(id(held))
        assert not isinstance(
            held, Program | types.FunctionType | types.CodeType | types.ModuleType
        ), held
        todo.extend(gc.get_referents(held))
    assert len(seen) > 100  # the walk reached the findings


def test_the_assembled_fields_are_set_on_the_class_only_for_reading() -> None:
    for name in ASSEMBLED:
        assert not hasattr(vars(Decision)[name], "__set__")  # the instance's dict wins
    assert [f.name for f in attrs.fields(Decision)][3:5] == ["fired", "pending"]
    assert decision_module._DECISION_FIELDS == tuple(f.name for f in attrs.fields(Decision))


def test_the_full_form_written_by_hand_is_what_cattrs_writes(pack: kspolicy.Policy) -> None:
    # Rule results and sources are written by hand (`decision._result_dict`,
    # `_sources_dict`); cattrs's own converter for the form is the reference.
    reference = decision_module._converter()
    odd = RuleResult(
        "r",
        "t",
        ["c"],
        "b",
        {"partner": 1},
        {
            "a": [1, "x", None, [2.5, True]],
            "b": {"k": [dt.date(2026, 1, 15)]},
            "c": ("t", 1),
            "d": dt.date(2026, 1, 15),
        },
        [Match("list", "entry", "a", "x", band="possible", score=0.5)],
        {"verdict": "refer", "checks": ["x", "y"]},
        ["a"],
    )
    decisions = [pack.evaluate(case, as_of=DAY) for case in cases(pack)]
    odd_sources = {"o": {"c": [{"key": "k", "codes": ["c", ("t",)], "n": {"x": [1]}}]}}
    decisions.append(
        attrs.evolve(decisions[0], fired=[odd], pending=[odd, odd], sources=odd_sources)
    )
    for decision in decisions:
        written = decision.to_dict(detail="full")
        assert written == {"format": "full/1", **reference.unstructure(decision)}
        assert json.dumps(written, default=str) == json.dumps(
            {"format": "full/1", **reference.unstructure(decision)}, default=str
        )
    # Each container written anew: changing the JSON changes no decision.
    written = decisions[-1].to_dict(detail="full")
    written["fired"][0]["facts"]["a"][3].append("changed")
    written["fired"][0]["outcomes"]["checks"].append("changed")
    written["sources"]["o"]["c"][0]["codes"].append("changed")
    assert odd.facts["a"][3] == [2.5, True] and odd.outcomes["checks"] == ["x", "y"]
    assert odd_sources["o"]["c"][0]["codes"] == ["c", ("t",)]


def test_a_decision_missing_a_field_says_so_as_an_attribute() -> None:
    """A decision without a field (made with `Decision.__new__`, or unpickled from a
    release before the field existed) raised KeyError on reading it, so `hasattr` and
    `getattr(d, name, default)` failed instead of answering."""

    bare = Decision.__new__(Decision)
    for name in ("fired", "pending", "sources"):
        assert not hasattr(bare, name)
        assert getattr(bare, name, "default") == "default"
        with pytest.raises(AttributeError, match=name):
            getattr(bare, name)


def test_an_explained_decision_s_trace_binding_is_its_own() -> None:
    """With `explain=True`, a trace entry and the rule result of the same binding held
    one dict: changing either changed the other."""
    policy = kspolicy.load()
    case = {"partners": [{"name": "HIT", "country": "CN"}, {"name": "Acme", "country": "BE"}]}
    decision = policy.evaluate(case, explain=True)
    results = [r for r in decision.fired + decision.pending if r.binding]
    assert results
    for result in results:
        result.binding["partner"] = 99
    assert all(step.binding.get("partner") != 99 for step in decision.trace)
