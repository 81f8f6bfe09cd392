"""The decision: what a policy concludes about a case, and why.

Plain attrs data, turned into the stable JSON of docs/decision-format.md by one cattrs
converter (below). Field names here are that JSON's field names: other software relies on
them. The JSON names its form and version in a `format` field (`FORMAT`), written first;
`eval.contract` derives the published JSON Schema from these classes, so a field added
here is a field added to the contract (its test asks for a description).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from ..diagnostics import KspolicyError, did_you_mean

OutcomeValues = dict[str, str | list[str]]

FORMAT = "full/1"
"""The form and version of the decision JSON this release writes: `FORM/VERSION`.

`full` is the form with every rule's facts and matches; each form has its own version,
raised only by a change that is not an addition (docs/decision-format.md)."""

READABLE_FORMATS = frozenset({FORMAT})
"""The forms `Decision.from_dict` reads; JSON without `format` is from before it existed
and has the same fields as `full/1`."""


class OutcomeError(KspolicyError, LookupError):
    """An outcome asked of a decision by a name it does not have, or as the wrong kind
    (the codes of a scale, the code of a set)."""


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

    # Typed reading of the outcomes, for code that embeds the engine: `outcomes` maps a
    # name to a code (a scale, an entry) or a list of codes (a set), which a type checker
    # cannot tell apart by name. Every scale and set outcome is in `outcomes`, so a name
    # missing there is a misspelling, and is said so rather than read as "nothing".

    def scale(self, name: str) -> str:
        """The code a scale outcome certainly has (`decision.scale("verdict")`)."""
        value = self._value(name, self.outcomes, "scale")
        if isinstance(value, list):
            raise OutcomeError(f"`{name}` is a set of codes: read it with codes({name!r})")
        return value

    def codes(self, name: str) -> frozenset[str]:
        """The codes a set outcome certainly holds (`decision.codes("obligations")`)."""
        return self._codes(name, self.outcomes)

    def entry(self, name: str) -> str | None:
        """The key of the entry an entry outcome found (`contact_point`), None when none
        was found: the fact that picks it is unknown or matches no entry."""
        if name in self.outcomes:
            value = self.outcomes[name]
            if isinstance(value, str):
                return value
            raise OutcomeError(f"`{name}` is a set of codes: read it with codes({name!r})")
        return None

    def possible_scale(self, name: str) -> str | None:
        """The highest code a scale outcome could still reach if unknown facts turn out
        badly; None when no unknown fact can raise it."""
        self._value(name, self.outcomes, "scale")
        value = self.possible.get(name)
        if isinstance(value, list):
            raise OutcomeError(f"`{name}` is a set of codes: read it with possible_codes({name!r})")
        return value

    def possible_codes(self, name: str) -> frozenset[str]:
        """The codes unknown facts could still add to a set outcome (empty when none)."""
        self._codes(name, self.outcomes)
        return self._codes(name, self.possible) if name in self.possible else frozenset()

    def _value(self, name: str, values: OutcomeValues, kind: str) -> str | list[str]:
        if name not in values:
            hint = did_you_mean(name, values)
            known = ", ".join(f"`{n}`" for n in self.outcomes) or "none"
            raise OutcomeError(
                f"the decision has no {kind} outcome `{name}`; "
                + (hint or f"its outcomes are {known}")
            )
        return values[name]

    def _codes(self, name: str, values: OutcomeValues) -> frozenset[str]:
        value = self._value(name, values, "set")
        if isinstance(value, str):
            raise OutcomeError(f"`{name}` is a scale: read its code with scale({name!r})")
        return frozenset(value)


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
    """A decision as JSON-ready data (`Decision.to_dict`), its `format` first."""
    data: dict[str, Any] = {"format": FORMAT, **_decisions.unstructure(decision)}
    return data


def structure_decision(data: Mapping[str, Any]) -> Decision:
    """A decision from its JSON-ready data (`Decision.from_dict`); KspolicyError when it
    is in a format this release does not read."""
    fields = dict(data)
    form = fields.pop("format", FORMAT)
    if form not in READABLE_FORMATS:
        readable = ", ".join(sorted(READABLE_FORMATS))
        raise KspolicyError(
            f"a decision in format {form!r}: this release reads {readable} "
            "(docs/decision-format.md)"
        )
    return _decisions.structure(fields, Decision)


def decision_json(decision: Decision) -> str:
    """A decision as JSON text (`Decision.to_json`)."""
    return json.dumps(unstructure_decision(decision), ensure_ascii=False, indent=2) + "\n"
