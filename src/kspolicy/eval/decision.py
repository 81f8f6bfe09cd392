"""The decision: what a policy concludes about a case, and why.

Plain attrs data, turned into the stable JSON of docs/decision-format.md. Field names
here are that JSON's field names: other software relies on them. The JSON names its form
and version in a `format` field, written first; `eval.contract` derives the published
JSON Schema from these classes, so a field added here is a field added to the contract
(its test asks for a description).

Two forms. `full/1` (`FORMAT`) is every field of `Decision`, written by one cattrs
converter: what an audit record keeps and an explanation needs. `compact/1`
(`COMPACT_FORMAT`, the default of `to_dict`) says each thing once, the way Cedar's
response names the policies that decided rather than repeating them: rules by name with
the paths of the facts they read, each fact's value once in `facts`, unknown facts and
open questions by path. It leaves out what the policy itself holds (rule titles, reasons,
citations and effects, question texts, sources, entry data), which makes it a fifth of
the full form's bytes on cases with unknown facts; `CompactDecision` and `CompactRule`
describe it for the contract, and it is written and read by hand, for speed (a batch
writes one per case).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from ..diagnostics import KspolicyError, did_you_mean

OutcomeValues = dict[str, str | list[str]]

FORMAT = "full/1"
"""The form and version of the decision JSON this release writes: `FORM/VERSION`.

`full` is the form with every rule's facts and matches; each form has its own version,
raised only by a change that is not an addition (docs/decision-format.md)."""

COMPACT_FORMAT = "compact/1"
"""The compact form: each fact, match and question once, rules and questions by
reference (docs/decision-format.md)."""

DETAILS = {"compact": COMPACT_FORMAT, "full": FORMAT}
"""The forms by the name `detail` gives them (`to_dict(detail=...)`, `--detail`)."""

READABLE_FORMATS = frozenset({FORMAT, COMPACT_FORMAT})
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


# RuleResult and OpenQuestion keep their attributes in a dict, not in slots: a decision
# holds dozens of each, and an instance with a dict is made faster (its attributes
# stored in that dict: `open_question`, `runtime._rule_results`) than a frozen slotted
# one, each of whose fields is set through `object.__setattr__` or a slot's descriptor
# (measured: 0.6 µs a result against 1.0 by descriptors, 1.9 by the class). Immutable
# all the same; equality, hash, repr, `attrs.fields` and `attrs.evolve` as before.


@attrs.frozen(slots=False)
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


assert tuple(field.name for field in attrs.fields(RuleResult)) == (
    "rule", "title", "cite", "because", "binding", "facts", "matched", "outcomes", "unknown"
), "runtime._rule_results stores each of RuleResult's fields: keep the two in step"  # fmt: skip
_NEW = object.__new__


@attrs.frozen(slots=False)
class OpenQuestion:
    """An unknown fact that could change the decision, with the question to ask."""

    fact: str
    question: str
    rules: list[str]


assert tuple(field.name for field in attrs.fields(OpenQuestion)) == ("fact", "question", "rules")


def open_question(fact: str, question: str, rules: list[str]) -> OpenQuestion:
    """`OpenQuestion(fact, question, rules)`, the same object, made faster: each
    attribute stored in the instance's dict, without the call of the class."""
    made: OpenQuestion = _NEW(OpenQuestion)
    stored = made.__dict__
    stored["fact"] = fact
    stored["question"] = question
    stored["rules"] = rules
    return made


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

    def to_dict(self, detail: str = "compact") -> dict[str, Any]:
        """The decision as JSON-ready data (docs/decision-format.md): `compact/1`, or
        with `detail="full"` the `full/1` form with every rule's texts and facts."""
        return unstructure_decision(self, detail)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """A decision from its JSON form, either form: `Decision.from_dict(d.to_dict(
        detail="full")) == d`; from the compact form, the policy's texts it leaves out
        are empty (titles, reasons, citations, rule effects, questions, sources)."""
        return structure_decision(data)

    def to_json(self, detail: str = "compact") -> str:
        """The decision as JSON text: the same decision gives the same bytes."""
        return decision_json(self, detail)

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


@attrs.frozen
class CompactRule:
    """A fired or pending rule in the compact form: its name, binding and the paths of
    the facts it read (values in the decision's `facts`); fields that would be empty are
    left out."""

    rule: str
    binding: dict[str, int] = attrs.Factory(dict)
    facts: list[str] = attrs.Factory(list)
    matched: list[int] = attrs.Factory(list)
    unknown: list[str] = attrs.Factory(list)


@attrs.frozen
class CompactMatch:
    """A list entry a fact matched, in the compact form: as a match of the full form,
    its `value` left out when it is the fact's value in `facts`. A screened name keeps
    its evidence (band, score, rule, evidence, the list's source and hashes,
    adjudication), as in the full form: that is what a reviewer acts on."""

    list: str
    entry: str
    fact: str
    alias: str | None = None
    value: str | None = None
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
class CompactDecision:
    """The compact form of a decision: what an embedding system reads, each thing once
    (docs/decision-format.md). Describes the JSON for the contract; never built."""

    policy: PolicyInfo
    lang: str
    outcomes: OutcomeValues
    possible: OutcomeValues
    fired: list[CompactRule]
    pending: list[CompactRule]
    facts: dict[str, Any]
    matched: list[CompactMatch]
    open_questions: list[str]
    headline: Headline | None = None
    trace: list[RuleTrace] = attrs.Factory(list)


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


def unstructure_decision(decision: Decision, detail: str = "full") -> dict[str, Any]:
    """A decision as JSON-ready data in the form `detail` names (`Decision.to_dict`),
    its `format` first. The full form by default: what audit records keep."""
    if detail == "compact":
        return _compact(decision)
    if detail != "full":
        raise KspolicyError(f"detail {detail!r}: a decision is written compact or full")
    data: dict[str, Any] = {"format": FORMAT, **_decisions.unstructure(decision)}
    return data


def _compact(decision: Decision) -> dict[str, Any]:
    return compact_dict(
        decision.policy,
        decision.lang,
        decision.outcomes,
        decision.possible,
        decision.headline,
        decision.fired,
        decision.pending,
        decision.open_questions,
        decision.trace,
    )


class Supported(Protocol):
    """What the compact form reads of a fired or pending rule (a `RuleResult`); the
    decision's assembly gives it rows instead (`compact_rows`)."""

    @property
    def rule(self) -> str:
        """The rule's name."""

    @property
    def binding(self) -> dict[str, int]:
        """Each implicit variable's index."""

    @property
    def facts(self) -> dict[str, Any]:
        """The facts that support it, by path."""

    @property
    def matched(self) -> list[Match]:
        """The list entries it matched."""

    @property
    def unknown(self) -> list[str]:
        """The unknown facts it waits on (a pending rule)."""


def compact_dict(
    policy: PolicyInfo,
    lang: str,
    outcomes: OutcomeValues,
    possible: OutcomeValues,
    headline: Headline | None,
    fired: Sequence[Supported],
    pending: Sequence[Supported],
    open_questions: Sequence[OpenQuestion],
    trace: Sequence[RuleTrace] = (),
) -> dict[str, Any]:
    """The compact form (`compact/1`) of a decision made of these parts: what
    `Decision.to_dict()` gives (`compact_rows` writes it)."""
    return compact_rows(
        policy,
        lang,
        outcomes,
        possible,
        headline,
        [(r.rule, r.binding, r.facts, r.matched, r.unknown) for r in fired],
        [(r.rule, r.binding, r.facts, r.matched, r.unknown) for r in pending],
        [q.fact for q in open_questions],
        trace,
    )


CompactRow = tuple[str, dict[str, int], dict[str, Any], list[Match], list[str]]
"""A fired or pending rule as the compact form reads it: its name, binding, the facts
that support it, the entries it matched and the unknown facts it waits on."""


def compact_rows(
    policy: PolicyInfo,
    lang: str,
    outcomes: OutcomeValues,
    possible: OutcomeValues,
    headline: Headline | None,
    fired: Iterable[CompactRow],
    pending: Iterable[CompactRow],
    open_questions: list[str],
    trace: Sequence[RuleTrace] = (),
) -> dict[str, Any]:
    """The compact form (`compact/1`) of a decision made of these parts, its rules given
    as rows and its open questions as their facts (the list is the decision's): what
    `compact_dict` gives, and what `runtime.compact_decision` writes straight from a
    case's findings (the one function both use, so they cannot drift apart)."""
    facts: dict[str, Any] = {}
    matches: dict[Match, int] = {}

    def rules(rows: Iterable[CompactRow], pending: bool) -> list[dict[str, Any]]:
        # Built by hand, not by cattrs: a batch writes one of these per rule per case.
        written = []
        for name, binding, found, matched, unknown in rows:
            out: dict[str, Any] = {"rule": name}
            if binding:
                out["binding"] = binding
            if found:
                out["facts"] = list(found)
                facts.update(found)
            if matched:
                out["matched"] = [matches.setdefault(m, len(matches)) for m in matched]
            if pending:
                out["unknown"] = unknown
            written.append(out)
        return written

    data: dict[str, Any] = {
        "format": COMPACT_FORMAT,
        "policy": {
            "name": policy.name,
            "version": policy.version,
            "sha256": policy.sha256,
            "as_of": policy.as_of,
        },
        "lang": lang,
        "outcomes": outcomes,
        "possible": possible,
    }
    if headline is not None:
        data["headline"] = {
            "outcome": headline.outcome,
            "value": headline.value,
            "provisional": headline.provisional,
            "could_become": headline.could_become,
            "questions": headline.questions,
        }
    data["fired"] = rules(fired, False)
    data["pending"] = rules(pending, True)
    data["facts"] = facts
    data["matched"] = [_compact_match(m, facts) for m in matches]
    data["open_questions"] = open_questions
    if trace:
        data["trace"] = _decisions.unstructure(trace)
    return data


def _compact_match(match: Match, facts: Mapping[str, Any]) -> dict[str, Any]:
    out = {"list": match.list, "entry": match.entry, "fact": match.fact, "alias": match.alias}
    if facts.get(match.fact, _ABSENT) != match.value:
        out["value"] = match.value
    for name in _SCREENING:
        if getattr(match, name) is not None:
            out[name] = getattr(match, name)
    return out


# What a screened name's match says beyond the list and entry (docs/screening.md).
_SCREENING = (
    "band",
    "score",
    "rule",
    "evidence",
    "source",
    "source_url",
    "sha256",
    "entry_sha256",
    "adjudication",
)


_ABSENT = object()


def _from_compact(data: Mapping[str, Any]) -> Decision:
    """A Decision from the compact form; the policy's texts it leaves out stay empty."""
    facts: Mapping[str, Any] = data["facts"]
    matches = [
        Match(
            str(m["list"]),
            str(m["entry"]),
            str(m["fact"]),
            str(m["value"]) if m.get("value") is not None else str(facts.get(m["fact"], "")),
            m.get("alias"),
            **{name: m[name] for name in _SCREENING if m.get(name) is not None},
        )
        for m in data["matched"]
    ]

    def rule(item: Mapping[str, Any]) -> RuleResult:
        return RuleResult(
            rule=str(item["rule"]),
            title="",
            cite=[],
            because="",
            binding={str(k): int(v) for k, v in item.get("binding", {}).items()},
            facts={path: facts[path] for path in item.get("facts", [])},
            matched=[matches[i] for i in item.get("matched", [])],
            outcomes={},
            unknown=[str(path) for path in item.get("unknown", [])],
        )

    rest = {key: data[key] for key in ("policy", "outcomes", "possible", "lang", "trace")}
    if data.get("headline") is not None:
        rest["headline"] = data["headline"]
    base = _decisions.structure(
        {"fired": [], "pending": [], "open_questions": [], "references": {}, **rest}, Decision
    )
    return attrs.evolve(
        base,
        fired=[rule(item) for item in data["fired"]],
        pending=[rule(item) for item in data["pending"]],
        open_questions=[OpenQuestion(str(path), "", []) for path in data["open_questions"]],
    )


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
    if form == COMPACT_FORMAT:
        try:
            return _from_compact({"trace": [], **fields})
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise KspolicyError(
                f"not a decision in format {form}: {type(exc).__name__} {exc} "
                "(docs/decision-format.md)"
            ) from None
    return _decisions.structure(fields, Decision)


def decision_json(decision: Decision, detail: str = "compact") -> str:
    """A decision as JSON text (`Decision.to_json`)."""
    data = unstructure_decision(decision, detail)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
