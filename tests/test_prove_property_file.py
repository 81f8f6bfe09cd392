"""`kspolicy prove --property FILE` refuses a property file that would prove less than
it says, and says each mistake as `kspolicy check` says a policy's: file, line, column,
code, the line with a caret, the help (the new user's trial, session 8)."""

from __future__ import annotations

import pytest

pytest.importorskip("z3")

from kspolicy.prove.compare import bound_of  # noqa: E402


def test_a_bound_of_one_says_element_and_text_in_the_singular() -> None:
    # Was "at most 1 elements ... (and 1 texts ...)".
    one = bound_of(1, None).describe()
    assert "at most 1 element in each list of records (and 1 text nobody names" in one
    three = bound_of(3, None).describe()
    assert "at most 3 elements in each list of records (and 3 texts nobody names" in three
