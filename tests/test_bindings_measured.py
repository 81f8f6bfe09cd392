"""`check_bindings` measures a case's collections as it did before it read them in place
(issue 16: it runs for every case a batch decides): the same refusal, with the same
message, or none, whatever the facts hold (a caller's data need not be checked first:
`rule_statuses(check_case=False)`).

`measured_as_before` is the function as it was, the reference.
"""

from __future__ import annotations

import types
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.diagnostics import CaseError
from kspolicy.eval.facts import Facts
from kspolicy.eval.runtime import Program, check_bindings
from kspolicy.paths import format_path


def measured_as_before(program: Program, facts: Facts) -> str | None:
    """The message check_bindings gave, or None: the loop over `facts.value_at`."""
    limit = program.limits.max_bindings
    for collections in program.combinations:
        count = 1
        for fields in collections:
            value = facts.value_at(fields)
            count *= len(value) if isinstance(value, list | tuple) else 1
        if count > limit:
            break
    else:
        return None
    for rule, collections in program.bound:
        total = 1
        named = []
        for fields in collections:
            value = facts.value_at(fields)
            size = len(value) if isinstance(value, list | tuple) else 1
            named.append((format_path(fields), size))
            total *= size
        if total > limit:
            return f"rule `{rule.name}` ({rule.node.name.span}) would be evaluated for {total:,}"
    return None


def measured(program: Program, facts: Facts) -> str | None:
    try:
        check_bindings(program, facts)
    except CaseError as error:
        (problem,) = error.problems
        assert problem.code.number == "KSP410"
        return problem.message.split(" bindings")[0]
    return None


@pytest.fixture(scope="module")
def tight() -> kspolicy.Policy:
    """The pack, allowed at most two bindings a rule: a list of three is refused."""
    return kspolicy.load(limits=kspolicy.Limits(max_bindings=2))


COLLECTION: st.SearchStrategy[Any] = st.one_of(
    st.lists(st.none() | st.fixed_dictionaries({}), max_size=4),
    st.lists(st.none(), max_size=4).map(tuple),
    st.sampled_from([None, "abc", 3, {"a": 1, "b": 2, "c": 3}, {}]),
)


@given(
    given_=st.dictionaries(st.sampled_from(["partners", "researchers", "funders"]), COLLECTION),
    proxy=st.booleans(),
)
def test_bindings_are_measured_as_before(
    tight: kspolicy.Policy, given_: dict[str, Any], proxy: bool
) -> None:
    root: Any = types.MappingProxyType(given_) if proxy else given_
    program = tight._program
    assert measured(program, Facts(root)) == measured_as_before(program, Facts(root))


def test_a_list_past_the_limit_is_refused_in_a_mapping_that_is_not_a_dict(
    tight: kspolicy.Policy,
) -> None:
    root: Any = types.MappingProxyType({"partners": ({},) * 3})
    assert measured(tight._program, Facts(root)) is not None
    assert measured(tight._program, Facts({"partners": [{}] * 2})) is None
