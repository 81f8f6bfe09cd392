"""The decision: what a policy concludes about a case, and why.

Plain attrs data, turned into the stable JSON of docs/language.md by one cattrs converter (below).
Field names here are that JSON's field names: other software relies on them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

OutcomeValues = dict[str, str | list[str]]


@attrs.frozen
class PolicyInfo:
    """Which policy decided, on which data: name, version, sha256 of its files, as_of."""

    name: str
    version: str
    sha256: str
    as_of: str


@attrs.frozen
class Match:
    """A list entry that a fact matched: which list, which entry, by which alias.

    The one record of a match: evaluation collects these as it goes (`runtime.Ev.hits`)
    and the decision lists them (`RuleResult.matched`). Frozen, so equal matches found
    twice are named once.
    """

    list: str
    entry: str
    fact: str
    value: str
    alias: str | None = None


@attrs.frozen
class RuleResult:
    """A rule that fired (or is pending) for one binding of its implicit variables."""

    rule: str
    title: str
    cite: list[str]
    because: str
    binding: dict[str, int]
    facts: dict[str, Any]
    matched: list[Match]
    outcomes: OutcomeValues
    unknown: list[str] = attrs.Factory(list)


@attrs.frozen
class OpenQuestion:
    """An unknown fact that could change the decision, with the question to ask."""

    fact: str
    question: str
    rules: list[str]


@attrs.frozen
class TraceNode:
    """One evaluated expression: its text, its value, and how its parts evaluated."""

    expr: str
    value: str
    children: list[TraceNode] = attrs.Factory(list)


@attrs.frozen
class RuleTrace:
    """How one rule evaluated for one binding: fired, pending, silent or inactive."""

    rule: str
    binding: dict[str, int]
    result: str
    steps: list[TraceNode] = attrs.Factory(list)


@attrs.frozen
class Headline:
    """The outcome a decision is headed by (the scale marked `headline`), and whether
    it is provisional: while a pending rule could still raise it, `provisional` is
    true, `could_become` the highest code it could reach and `questions` the open facts
    whose answers could raise it."""

    outcome: str
    value: str
    provisional: bool = False
    could_become: str | None = None
    questions: list[str] = attrs.Factory(list)


@attrs.frozen
class Decision:
    """The decision for one case. `to_dict()` gives the JSON form."""

    policy: PolicyInfo
    outcomes: OutcomeValues
    possible: OutcomeValues
    fired: list[RuleResult]
    pending: list[RuleResult]
    open_questions: list[OpenQuestion]
    references: dict[str, dict[str, Any]]
    trace: list[RuleTrace]
    lang: str = "en"
    # Additive fields (docs/language.md, "What a decision means"): the headline and
    # whether it is provisional; for an outcome declared with `sources LIST`, each code's
    # sources (the list's entries for that code, in force on the decision's date).
    headline: Headline | None = None
    sources: dict[str, dict[str, list[dict[str, Any]]]] = attrs.Factory(dict)

    def to_dict(self) -> dict[str, Any]:
        """The decision as JSON-ready data (the stable format of docs/language.md)."""
        return unstructure_decision(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        """A decision from its JSON form: `Decision.from_dict(d.to_dict()) == d`."""
        return structure_decision(data)

    def to_json(self) -> str:
        """The decision as JSON text: the same decision gives the same bytes."""
        return decision_json(self)

    @property
    def certain(self) -> OutcomeValues:
        """The outcomes that hold whatever the unknown facts turn out to be (`outcomes`)."""
        return self.outcomes


attrs.resolve_types(TraceNode)


# ---- the JSON form ------------------------------------------------------------------

_decisions = cattrs.Converter()
_decisions.register_structure_hook(
    str | list[str], lambda v, _: v if isinstance(v, str) else [str(x) for x in v]
)
_decisions.register_structure_hook(Any, lambda v, _: v)


def unstructure_decision(decision: Decision) -> dict[str, Any]:
    """A decision as JSON-ready data (`Decision.to_dict`)."""
    data: dict[str, Any] = _decisions.unstructure(decision)
    return data


def structure_decision(data: Mapping[str, Any]) -> Decision:
    """A decision from its JSON-ready data (`Decision.from_dict`)."""
    return _decisions.structure(dict(data), Decision)


def decision_json(decision: Decision) -> str:
    """A decision as JSON text (`Decision.to_json`)."""
    return json.dumps(unstructure_decision(decision), ensure_ascii=False, indent=2) + "\n"
