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
from cattrs.gen import make_dict_unstructure_fn, override

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

    A name screened against an entities list (`matches`, docs/screening.md) also says
    how well it matched: the `band` (`match`, or `possible` for a person to adjudicate),
    the `score` (0 to 1), the comparison `rule` and the `evidence` in words; the list's
    `source`, `source_url` and `sha256` (of the file it was imported from), the entry's
    own `entry_sha256`, and the `adjudication` a reviewer gave, if any. These fields are
    None for a code found in a codes list.
    """

    list: str
    entry: str
    fact: str
    value: str
    alias: str | None = None
    band: str | None = None
    score: float | None = None
    rule: str | None = None
    evidence: str | None = None
    source: str | None = None
    source_url: str | None = None
    sha256: str | None = None
    entry_sha256: str | None = None
    adjudication: str | None = None


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
# A match's screening fields appear only when set: a code found in a codes list, or a
# name found in an exact list, keeps the JSON it always had.
_decisions.register_unstructure_hook(
    Match,
    make_dict_unstructure_fn(
        Match,
        _decisions,
        **{  # type: ignore[arg-type]  # cattrs takes overrides as keyword arguments
            field.name: override(omit_if_default=True)
            for field in attrs.fields(Match)
            if field.default is None and field.name != "alias"
        },
    ),
)


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
