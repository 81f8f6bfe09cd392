"""`any x in xs: x in S` over a policy's set, in the generated three-valued code.

Written as set operations (`fastpath._among`, `_outside`) instead of each element's
test joined by `_or`: the same Kleene value for every list, unknown elements and an
empty set included (nothing is in an empty set, whatever the element)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kspolicy.eval.fastpath import _among, _in, _or, _outside

ELEMENTS = st.lists(st.one_of(st.none(), st.integers(0, 6), st.sampled_from(["a", "b"])))
SETS = st.frozensets(st.one_of(st.integers(0, 6), st.sampled_from(["a", "b"])), max_size=4)


@given(items=ELEMENTS, values=SETS)
def test_among_is_any_element_in_the_set(items: list[object], values: frozenset[object]) -> None:
    assert _among(items, values) is _or(*[_in(x, values, False, False) for x in items])


@given(items=ELEMENTS, values=SETS)
def test_outside_is_any_element_not_in_the_set(
    items: list[object], values: frozenset[object]
) -> None:
    assert _outside(items, values) is _or(*[_in(x, values, False, True) for x in items])


def test_an_empty_set_holds_nothing_even_unknown() -> None:
    assert _among([None, 1], frozenset()) is False
    assert _outside([None], frozenset()) is True
    assert _outside([], frozenset()) is False
    assert _among([None, 1], frozenset({2})) is None
    assert _outside([None, 2], frozenset({2})) is None
