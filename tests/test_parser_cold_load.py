"""Issue 12, the cold load of the 3,000-rule benchmark policy (at most 2 s): what the
parser does so that Lark's parse loop runs as little Python per token as it can, each
checked for what it promises (timings are in the commit messages, not asserted here)."""

from __future__ import annotations

from kspolicy.lang import parser


def test_lark_looks_up_rule_names_as_plain_strings() -> None:
    # Lark looks each reduced rule's name up among plain-string keys: a Token name would
    # run Token.__eq__ (Python) once per reduction. (That the parse is unchanged, the
    # parser's other tests say.)
    rules = parser._lark().rules
    assert rules
    assert all(type(rule.origin.name) is str for rule in rules)
