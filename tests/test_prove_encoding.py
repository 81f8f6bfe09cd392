"""The encoder against the evaluator: what makes a proof trustworthy (issue 19).

A random case within the bound is fixed in the formula; the formula must then say for
every rule what the engine says: fires, pending or silent. With `exact` matching this is
an equality; with screening left free, the engine's answer must be one the formula
allows (a proof covers every answer screening may give).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy

from .conftest import ROOT
from .strategies import forget, full_cases

z3 = pytest.importorskip("z3")

from kspolicy.prove import encode  # noqa: E402

PACK = ROOT / "policies" / "knowledge-security"


class Encoded:
    """The pack encoded once: every rule's fired and pending formula."""

    def __init__(self) -> None:
        self.policy = kspolicy.load(PACK)
        checked = self.policy.checked
        self.space = encode.Space(sorted(encode.strings_of([checked])), k=3)
        self.encoder = encode.Encoder(self.space, checked, "pack")
        self.rules = [
            (r.name, self.encoder.fired(r), self.encoder.pending(r)) for r in checked.rules
        ]
        assert not self.encoder.unsupported
        self.solver = z3.Solver()
        self.solver.add(*self.space.constraints)

    def statuses(self, case: dict[str, Any], day: dt.date, exact: bool) -> Any:
        """The model of the case, or None if the formula has none."""
        facts = encode.assignment(self.space, case, day)
        assert facts is not None
        self.solver.push()
        try:
            self.solver.add(*facts)
            wanted = self.space.exact if exact else z3.Not(self.space.exact)
            if self.solver.check(wanted) != z3.sat:
                return None
            model = self.solver.model()
            return [
                (name, z3.is_true(model.eval(f, True)), z3.is_true(model.eval(p, True)))
                for name, f, p in self.rules
            ]
        finally:
            self.solver.pop()

    def allows(
        self, case: dict[str, Any], day: dt.date, fired: set[str], pending: set[str]
    ) -> bool:
        """Whether the formula, screening left free, allows the engine's statuses."""
        facts = encode.assignment(self.space, case, day)
        assert facts is not None
        self.solver.push()
        try:
            self.solver.add(*facts, z3.Not(self.space.exact))
            for name, f, p in self.rules:
                self.solver.add(f == (name in fired), p == (name in pending))
            return bool(self.solver.check() == z3.sat)
        finally:
            self.solver.pop()


@pytest.fixture(scope="module")
def encoded() -> Encoded:
    return Encoded()


DAYS = st.sampled_from(
    [dt.date(2016, 6, 1), dt.date(2022, 3, 15), dt.date(2022, 4, 15), dt.date(2026, 1, 15)]
)


def test_random_cases_within_the_bound_evaluate_the_same_symbolically_and_concretely(
    encoded: Encoded,
) -> None:
    # Names: those the pack's lists spell, and others nobody spells.
    seven_sons = encoded.policy.checked.lists["SEVEN_SONS"]
    spelled = sorted(
        {e.key for e in seven_sons.entries} | {a for e in seven_sons.entries for a in e.aliases}
    )
    names = st.sampled_from([*spelled[:6], "other 1", "other 2"])

    def renamed(case: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
        for group, field in (("partners", "name"), ("researchers", "home_institution")):
            for record in case.get(group) or []:
                if field in record:
                    record[field] = data.draw(names)
        return case

    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        full = data.draw(full_cases(encoded.policy.schema))
        case = renamed(data.draw(forget(full, data.draw(st.sampled_from([0.0, 0.2, 0.5])))), data)
        day = data.draw(DAYS)
        statuses = encoded.policy.rule_statuses(case, as_of=day)
        fired, pending = set(statuses.fired), set(statuses.pending)
        symbolic = encoded.statuses(case, day, exact=True)
        assert symbolic is not None, "the formula has no model of the case"
        for name, is_fired, is_pending in symbolic:
            assert is_fired == (name in fired), (name, "fired", case)
            assert is_pending == (name in pending), (name, "pending", case)
        assert encoded.allows(case, day, fired, pending)

    check()


def test_a_name_screening_might_match_is_left_open(encoded: Encoded) -> None:
    # A partner named by a text nobody spells: with screening left free the Seven Sons
    # rule may fire or stay silent; with exact matching it stays silent.
    case = {"partners": [{"name": "other 9", "country": "CN"}]}
    day = dt.date(2026, 1, 15)
    exact = {n: f for n, f, _ in encoded.statuses(case, day, exact=True) or []}
    assert exact["seven_sons_partner"] is False
    [fired] = [f for n, f, _ in encoded.rules if n == "seven_sons_partner"]
    facts = encode.assignment(encoded.space, case, day)
    assert facts is not None
    for value in (True, False):
        encoded.solver.push()
        encoded.solver.add(*facts, z3.Not(encoded.space.exact), fired == value)
        assert encoded.solver.check() == z3.sat
        encoded.solver.pop()
