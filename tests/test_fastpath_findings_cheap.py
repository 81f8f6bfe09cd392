"""The findings function, made cheaper on cases with unknown facts (issue 16), finds
what it found before: what it now does once (a name's screening record, a record's
reader, an entry matched added to a finding) or in one call (`_within`) says what the
code it replaces said.

The decisions themselves are checked against the traced evaluation and the oracle in
tests/test_fastpath_decisions.py (generated policies and cases too); here, the cases
that reach what changed, and the helpers' laws.
"""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import weakref
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval import fastpath, screen
from kspolicy.eval.decision import Match

from .conftest import FIXTURES
from .test_differential import HEADER
from .test_fastpath_decisions import the_three_agree

AS_OF = dt.date(2026, 1, 15)


def fixture_policy(folder: Path, body: str) -> kspolicy.Policy:
    shutil.copy(FIXTURES / "common" / "schema.pol", folder / "schema.pol")
    shutil.copytree(FIXTURES / "common" / "lists", folder / "lists", dirs_exist_ok=True)
    (folder / "policy.pol").write_text(HEADER + body, encoding="utf-8")
    return kspolicy.load(folder)


def test_an_entry_matched_twice_in_one_finding_is_named_once(tmp_path: Path) -> None:
    """The same country looked up in the same list by two parts of a pending rule: one
    entry in the finding (added once, where it came first), as the traced evaluation."""
    body = (
        'rule r cite "x" when partner.country in RISK and '
        "(partner.country in RISK or partner.military_ties) and project.shares_outside_eu "
        'then verdict >= notify because "b"\n'
    )
    policy = fixture_policy(tmp_path, body)
    case = {"partners": [{"name": "A", "country": "CN"}]}
    decision = the_three_agree(policy, case)
    [pending] = decision.pending
    assert [(m.list, m.entry, m.fact) for m in pending.matched] == [
        ("RISK", "CN", "partners[0].country")
    ]


def test_a_name_screened_for_several_rules_and_cases_gets_the_same_record(
    tmp_path: Path,
) -> None:
    """A name's screening record is made once and shared by the findings (and cases)
    that screen it: equal records, decisions the traced evaluation's; an unknown name
    waits on its own fact, with no screening."""
    body = (
        'rule a cite "x" when partner.name matches SEVEN_SONS then verdict >= review '
        'because "b"\n'
        'rule b cite "x" when partner.name matches SEVEN_SONS and project.trl >= 4 '
        'then verdict >= notify because "b"\n'
    )
    policy = fixture_policy(tmp_path, body)
    case = {"partners": [{"name": "HIT", "country": "CN"}]}
    first, again = the_three_agree(policy, case), the_three_agree(policy, case)
    records = [r.matched for r in first.fired + first.pending]
    assert len(records) == 2 and records[0] == records[1] and records[0]
    assert records == [r.matched for r in again.fired + again.pending]
    assert records[0][0].entry == "Harbin Institute of Technology"
    unknown = the_three_agree(policy, {"project": {"trl": 7}, "partners": [{"country": "CN"}]})
    assert {q for r in unknown.pending for q in r.unknown} == {"partners[0].name"}


def test_a_name_that_is_no_text_is_never_taken_for_a_text(tmp_path: Path) -> None:
    """Screening is kept by name only for texts: `True` and `1` (equal, and hashed
    alike) and the texts `"1"` and `"True"` each keep their own value in the facts."""
    policy = fixture_policy(tmp_path, "")
    named = policy.checked.lists["SEVEN_SONS"]
    screener = screen.screener(policy.checked, named, AS_OF)
    kept = fastpath._Memo()
    for name in (True, 1, "1", "True", 1, True):
        facts: dict[str, Any] = {}
        unknowns: list[str] = []
        hits: list[Match] = []
        fastpath._screened(facts, unknowns, hits, screener, name, "p.name", None, None, kept)
        assert facts == {"p.name": name} and type(facts["p.name"]) is type(name)
        assert [m.value for m in hits] == [str(name)] * len(hits)


codes = st.sampled_from(["a", "a.b", "a.b.c", "b", "b.c", "c.a", "ab", "a.bc"])


@given(
    items=st.lists(st.one_of(st.none(), codes)),
    container=st.frozensets(codes),
    negated=st.booleans(),
)
def test_within_says_what_in_joined_by_or_says(
    items: list[str | None], container: frozenset[str], negated: bool
) -> None:
    """`_within` (one call) is the Kleene `or` of `_in` over the elements, as the
    generated code wrote it before, for an empty set and unknown elements too."""
    expected = fastpath._or(*[fastpath._in(x, container, True, negated) for x in items])
    assert fastpath._within(items, container, negated) is expected


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)


@given(record=values, key=st.sampled_from(["a", "b", "c"]))
def test_a_records_reader_says_what_get_says(record: Any, key: str) -> None:
    """`_getter(record)(key)` is `_get(record, key)`: the field of a dict, else None."""
    assert fastpath._getter(record)(key) == fastpath._get(record, key)
    if not isinstance(record, dict):
        assert fastpath._getter(record)(key) is None


def test_the_nothing_a_reader_reads_stays_empty(tmp_path: Path) -> None:
    """A value that is no record is read through the one empty dict's `get`: deciding
    never writes to it (it would then answer for every such value)."""
    policy = fixture_policy(
        tmp_path,
        'rule r cite "x" when partner.country in RISK then verdict >= notify because "b"\n',
    )
    cases: list[dict[str, Any]] = [{"partners": [{"country": "CN"}, {"name": "B"}]}, {}]
    for case in cases:
        the_three_agree(policy, case)
    assert fastpath._NOTHING == {}


@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_the_packs_generated_cases_find_alike_at_every_rate(rate: float) -> None:
    """The benchmark's kind of case, fewer or more facts unknown than it has."""
    from .generated import generated_cases

    pack = kspolicy.load()
    for case in generated_cases(pack.schema, 15, seed=1617, rate=rate):
        the_three_agree(pack, case)


def test_a_dropped_policy_takes_its_screenings_with_it(tmp_path: Path) -> None:
    """What the findings function keeps of a screener's answers is its own: once the
    policy is dropped, nothing holds its screeners (a service loading policy after
    policy would otherwise keep every one)."""

    def decided() -> list[weakref.ref[Any]]:
        body = (
            'rule a cite "x" when partner.name matches SEVEN_SONS then verdict >= review '
            'because "b"\n'
        )
        policy = fixture_policy(tmp_path, body)
        the_three_agree(policy, {"partners": [{"name": "HIT", "country": "CN"}]})
        named = policy.checked.lists["SEVEN_SONS"]
        return [weakref.ref(screen.screener(policy.checked, named, AS_OF))]

    refs = decided()
    gc.collect()
    assert [ref() for ref in refs] == [None]
