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
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
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


class DecisionFormatError(KspolicyError, ValueError):
    """Data `Decision.from_dict` cannot read as a decision: not a JSON object, in a
    format this release does not read, or a field missing or of the wrong kind (the
    message names it by its JSON path, `fired[2].rule`)."""


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


@attrs.frozen(slots=False)
class Decision:
    """The decision for one case. `to_dict()` gives the JSON form.

    A decision that `Policy.evaluate` makes assembles `fired`, `pending` and `sources`
    on first read, from what evaluation found (kept in the decision until then: the
    findings and the policy's texts, never the policy's code), and keeps what it made:
    a caller that reads only the outcomes, the headline or the open questions does not
    pay for fifty rule results, and the compact form (`to_dict()`) writes the rules
    straight from the findings. Every reader sees the same values: attribute access,
    `==`, `attrs.evolve`, `attrs.asdict`, `to_dict`, `copy`, `pickle` (which writes the
    whole decision); two threads reading a field at once get the same object. `repr`
    is a one-line summary that counts the rules without making them. A decision made
    with `Decision(...)` holds its fields as given.
    """

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

    def __repr__(self) -> str:
        """A summary, one line: the policy, the date, the certain outcomes, whether the
        headline is provisional, and how many rules fired, are pending, and facts are
        open (`Decision(policy='knowledge_security 2025.1', as_of='2026-01-15',
        outcomes={...}, provisional=True, fired=12, pending=30, open_questions=14)`).

        Not the fields themselves: a decision holds dozens of rule results, each with
        its facts and matches, and printing them all (57 KB for one partner) buried the
        answer in a REPL; as attrs' `repr=False` and pydantic's `repr=False` leave a
        large field out, this counts them. Counting never assembles `fired` or
        `pending` (a finding is one rule result). Every field is still read by name, and
        `to_dict(detail="full")` or `attrs.asdict` gives them all."""
        policy = self.policy
        parts = [f"policy={f'{policy.name} {policy.version}'!r}", f"as_of={policy.as_of!r}"]
        parts.append(f"outcomes={self.outcomes!r}")
        if self.headline is not None:
            parts.append(f"provisional={self.headline.provisional!r}")
        for name in ("fired", "pending"):
            left = self.__dict__.get(_LEFT + name)
            parts.append(f"{name}={len(getattr(self, name) if left is None else left[1])}")
        parts.append(f"open_questions={len(self.open_questions)}")
        if self.trace:
            parts.append(f"trace={len(self.trace)}")
        if self.lang != "en":
            parts.append(f"lang={self.lang!r}")
        return f"Decision({', '.join(parts)})"

    def __getstate__(self) -> dict[str, Any]:
        """Every field, made if not yet (what `pickle` and `copy` keep): a pickled
        decision is whole, and holds nothing of what it was assembled from."""
        return {name: getattr(self, name) for name in _DECISION_FIELDS}

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
_DECISION_FIELDS = tuple(field.name for field in attrs.fields(Decision))


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


# ---- assembled on first read ---------------------------------------------------------
#
# `runtime.run` makes a decision without calling the class (`object.__new__`), stores the
# fields it has made in the instance's dict, and for `fired`, `pending` and `sources`
# leaves under `_LEFT + name` what they are made of: data only (findings, the texts of
# the policy's rules in the decision's language, shared and never changed; the entries
# of a `sources` list by code), never the program, whose generated code a decision must
# not keep alive. `_Assembled`, set on the class for those fields after attrs made it
# (attrs keeps no class attribute of a field's name on a class with a dict), is a
# non-data descriptor: Python reads the instance's dict first, so it runs only while the
# field is not there, and a decision made with `Decision(...)` (whose `__init__` stores
# every field in that dict) never reaches it.

_LEFT = "_left_for_"

RuleTexts = tuple[str, str, tuple[str, ...], str, OutcomeValues, tuple[str, ...]]
"""A rule's name, title, citations and reason in one language, its effects (a
`RuleResult`'s `outcomes`), and the outcomes whose codes are lists (each result needs
lists of its own). Made once per program and language (`runtime._texts`), shared."""

Found = tuple[int, bool | None, dict[str, int], dict[str, Any], list[str], list[Match]]
"""A finding (`runner.Finding`): a rule's index, value, binding, facts, unknowns, matches."""

SourceEntries = Sequence[tuple[dict[str, Any], tuple[str, ...]]]
"""A code's sources: each entry's data, with the names of its fields that hold lists."""

SourcesLeft = tuple[tuple[str, Mapping[str, SourceEntries], tuple[str, ...]], ...]
"""What a decision's `sources` is made of: for each outcome declared with `sources`,
its entries by code (each entry's data with the names of its fields that hold lists;
shared between decisions, never changed) and the decision's codes, certain then
possible."""


def rule_results(texts: Sequence[RuleTexts], found: Iterable[Found]) -> list[RuleResult]:
    """The rule results of these findings, each as `RuleResult(...)` makes it, with
    lists and dicts of its own where the policy's texts are shared (citations,
    effects). Many per decision, so made in one loop, each result's attributes stored
    in its dict (a call per result cost a fifth of the loop)."""
    results: list[RuleResult] = []
    append = results.append
    new = object.__new__
    for index, _, binding, facts, unknown, matched in found:
        name, title, cites, because, effects, lists = texts[index]
        outcomes = effects.copy()  # in the effects' order; each set's codes copied
        for key in lists:
            outcomes[key] = outcomes[key][:]
        result = new(RuleResult)
        made = result.__dict__
        made["rule"] = name
        made["title"] = title
        made["cite"] = [*cites]
        made["because"] = because
        made["binding"] = binding
        made["facts"] = facts
        made["matched"] = matched
        made["outcomes"] = outcomes
        made["unknown"] = unknown
        append(result)
    return results


def _rules_of(left: tuple[Sequence[RuleTexts], list[Found]]) -> list[RuleResult]:
    return rule_results(*left)


def sources_from(left: SourcesLeft) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """A decision's `sources` from what it was left (`SourcesLeft`): each code's
    entries, each entry's data a dict of its own and each list in it too."""
    sources: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, entries_of, codes in left:  # loops, not calls: a dozen entries per decision
        by_code: dict[str, list[dict[str, Any]]] = {}
        for code in codes:
            entries = entries_of.get(code)
            if not entries or code in by_code:
                continue
            copies = by_code[code] = []
            for data, lists in entries:
                copied = data.copy()
                for field in lists:
                    copied[field] = copied[field][:]
                copies.append(copied)
        if by_code:
            sources[name] = by_code
    return sources


class _Assembled:
    """A field of a decision made on first read from what the decision was left, then
    kept in the instance's dict (see above)."""

    __slots__ = ("name", "left", "make")

    def __init__(self, name: str, make: Callable[[Any], Any]) -> None:
        self.name = name
        self.left = _LEFT + name
        self.make = make

    def __get__(self, decision: Decision | None, owner: type | None = None) -> Any:
        if decision is None:
            return self
        stored = decision.__dict__
        left = stored.get(self.left)
        if left is None:  # made by another thread since Python looked, or never given
            try:
                return stored[self.name]
            except KeyError:  # as an attribute never set: hasattr and getattr's default
                raise AttributeError(self.name, name=self.name, obj=decision) from None
        # Two threads may both make it: the first stored is the one every reader gets.
        made = stored.setdefault(self.name, self.make(left))
        stored.pop(self.left, None)  # after the field is there: a reader finds one
        return made


for _name, _make in (("fired", _rules_of), ("pending", _rules_of), ("sources", sources_from)):
    setattr(Decision, _name, _Assembled(_name, _make))


def assembled(
    policy: PolicyInfo,
    outcomes: OutcomeValues,
    possible: OutcomeValues,
    texts: Sequence[RuleTexts],
    fired: list[Found],
    pending: list[Found],
    open_questions: list[OpenQuestion],
    references: dict[str, dict[str, Any]],
    trace: list[RuleTrace],
    lang: str,
    headline: Headline | None,
    sources: SourcesLeft,
) -> Decision:
    """A decision whose rule results and sources are made on first read (see
    `Decision`): what `Decision(...)` would hold with `fired=rule_results(texts, fired)`,
    the same for `pending`, and `sources=sources_from(sources)`."""
    decision: Decision = _NEW(Decision)
    stored = decision.__dict__
    stored["policy"] = policy
    stored["outcomes"] = outcomes
    stored["possible"] = possible
    stored[_LEFT_FIRED] = (texts, fired)
    stored[_LEFT_PENDING] = (texts, pending)
    stored["open_questions"] = open_questions
    stored["references"] = references
    stored["trace"] = trace
    stored["lang"] = lang
    stored["headline"] = headline
    if sources:
        stored[_LEFT_SOURCES] = sources
    else:
        stored["sources"] = {}
    return decision


_LEFT_FIRED = _LEFT + "fired"
_LEFT_PENDING = _LEFT + "pending"
_LEFT_SOURCES = _LEFT + "sources"


def _rows(decision: Decision) -> tuple[list[str], list[Found], list[Found]]:
    """The compact form's rows of a decision's fired and pending rules (`compact_rows`),
    with the names their indices refer to: its findings while the results are not made,
    else its results, each row with a binding and an unknown list of its own (the
    decision keeps its own: a second `to_dict()` must not see the first one's changes)."""
    names: list[str] = []
    rows: list[list[Found]] = []
    for name in ("fired", "pending"):
        start = len(names)
        left = decision.__dict__.get(_LEFT + name)
        if left is None:
            results: list[RuleResult] = getattr(decision, name)
            names += [r.rule for r in results]
            rows.append(
                [
                    (start + i, None, {**r.binding}, r.facts, [*r.unknown], r.matched)
                    for i, r in enumerate(results)
                ]
            )
        else:
            texts, found = left
            names += [text[0] for text in texts]
            rows.append(
                [
                    (start + index, None, {**binding}, facts, [*unknown], matched)
                    for index, _, binding, facts, unknown, matched in found
                ]
            )
    return names, rows[0], rows[1]


# ---- the JSON form ------------------------------------------------------------------


def _converter() -> cattrs.Converter:
    """The converter of the full form, as cattrs makes it: `_decisions` is this, with a
    rule result and sources written by hand (`_result_dict`, `_sources_dict`), which
    the tests hold to it."""
    converter = cattrs.Converter()
    # Read as given, never converted: cattrs' own hooks call the type (`str(5)` is
    # "5", `int("3")` is 3, `bool("no")` is True), which would read a rule named 5 or
    # a binding of "3" as if it were right. A value of the wrong kind is refused, and
    # `_what_is_wrong` names its JSON path.
    for kind in (str, int, float, bool):
        converter.register_structure_hook(kind, _exactly)
    # The commonest values (a text, a whole number, a list of texts: a decision holds
    # hundreds) taken at once when they are exactly that; anything else goes the way
    # above, where a wrong one is named by its path. Reading a compact decision cost
    # 1.75x what it did before the checks without these, ~1.4x with them.
    converter.register_structure_hook(str, _a_text)
    converter.register_structure_hook(int, _a_whole)
    listed = converter.get_structure_hook(list[str])
    converter.register_structure_hook_func(
        lambda kind: kind == list[str], lambda v, _: _texts(v) or listed(v, list[str])
    )
    converter.register_structure_hook(
        str | list[str],
        lambda v, _: v if isinstance(v, str) else converter.structure(_listed(v), list[str]),
    )
    # A fact's value, an entry's data: the caller's lists and dicts copied, so that
    # changing the data read changes nothing the decision gives later.
    converter.register_structure_hook(Any, lambda v, _: _fresh(v))
    # A match's screening fields appear only when set: a code found in a codes list, or
    # a name found in an exact list, keeps the JSON it always had.
    converter.register_unstructure_hook(
        Match,
        make_dict_unstructure_fn(
            Match,
            converter,
            **{  # type: ignore[arg-type]  # cattrs takes overrides as keyword arguments
                field.name: override(omit_if_default=True)
                for field in attrs.fields(Match)
                if field.default is None and field.name != "alias"
            },
        ),
    )
    return converter


def _exactly(value: Any, kind: type) -> Any:
    """A JSON value read as `kind` if it is one (a whole number as a float): a string,
    a number or true or false of another kind is refused, not converted."""
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    # A DecisionFormatError is a ValueError: cattrs says it as "expected str" at its path.
    raise DecisionFormatError(f"expected {kind.__name__}, got {_kind(value)}")


def _a_text(value: Any, kind: type) -> Any:
    """`_exactly(value, str)`, at once for a str."""
    return value if value.__class__ is str else _exactly(value, kind)


def _a_whole(value: Any, kind: type) -> Any:
    """`_exactly(value, int)`, at once for an int (never a bool: its class is bool)."""
    return value if value.__class__ is int else _exactly(value, kind)


def _texts(value: Any) -> list[str] | None:
    """A new list of a list's items if they are all exactly texts; else None (the list
    is then read item by item, a wrong one named by its index)."""
    if value.__class__ is list and set(map(type, value)) <= _TEXT:
        return [*value]
    return None


_TEXT = frozenset({str})


def _listed(value: Any) -> list[Any]:
    """A set outcome's codes: a list, not any iterable (a dict's keys, a string's
    letters), so its items are checked one by one and named by index."""
    if not isinstance(value, list):
        raise DecisionFormatError(f"expected a string or a list of strings, got {_kind(value)}")
    return value


_decisions = _converter()
_match_dict = _decisions.get_unstructure_hook(Match)
_PLAIN = frozenset({str, int, float, bool, type(None)})  # written as they are


def _plain(value: Any) -> Any:
    """A value of no declared type (a fact's, a set's codes) as cattrs writes it: plain
    values as they are, lists and dicts anew, anything else by cattrs."""
    kind = value.__class__
    if kind in _PLAIN:
        return value
    if kind is list:
        return [item if item.__class__ in _PLAIN else _plain(item) for item in value]
    if kind is dict:
        return {_plain(key): _plain(item) for key, item in value.items()}
    return _decisions.unstructure(value)


def _result_dict(result: RuleResult) -> dict[str, Any]:
    """A rule result in the full form: what cattrs's hook for the class gives (the same
    keys, in order, each container a new one), written out: a decision holds dozens, and
    cattrs, which asks for each value's hook by its type, spent four fifths of the full
    form's time on them."""
    facts = {**result.facts}
    for path, value in facts.items():  # values replaced, keys kept: no change of size
        if value.__class__ not in _PLAIN:
            facts[path] = _plain(value)
    outcomes = {**result.outcomes}
    for name, value in outcomes.items():
        if value.__class__ is not str:
            outcomes[name] = _plain(value)
    return {
        "rule": result.rule,
        "title": result.title,
        "cite": [*result.cite],
        "because": result.because,
        "binding": {**result.binding},
        "facts": facts,
        "matched": list(map(_match_dict, result.matched)),
        "outcomes": outcomes,
        "unknown": [*result.unknown],
    }


def _sources_dict(
    sources: dict[str, dict[str, list[dict[str, Any]]]],
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """A decision's `sources` as cattrs writes it (each container anew), written out:
    a dozen entries per decision, each value's hook asked for by cattrs by its type."""
    return {
        name: {
            code: [
                {
                    key: value if value.__class__ in _PLAIN else _plain(value)
                    for key, value in entry.items()
                }
                for entry in entries
            ]
            for code, entries in by_code.items()
        }
        for name, by_code in sources.items()
    }


_decisions.register_unstructure_hook(RuleResult, _result_dict)
_SOURCES = dict[str, dict[str, list[dict[str, Any]]]]  # `Decision.sources`'s type
_decisions.register_unstructure_hook_func(lambda kind: kind == _SOURCES, _sources_dict)


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
    # Its rules as rows (`_rows`): from the findings while the results are not made (not
    # assembled for this), else from the results.
    names, fired, pending = _rows(decision)
    return compact_rows(
        decision.policy,
        decision.lang,
        decision.outcomes,
        decision.possible,
        decision.headline,
        names,
        fired,
        pending,
        [q.fact for q in decision.open_questions],
        decision.trace,
    )


def compact_rows(
    policy: PolicyInfo,
    lang: str,
    outcomes: OutcomeValues,
    possible: OutcomeValues,
    headline: Headline | None,
    names: Sequence[str],
    fired: Sequence[Found],
    pending: Sequence[Found],
    open_questions: list[str],
    trace: Sequence[RuleTrace] = (),
    *,
    held: bool = True,
) -> dict[str, Any]:
    """The compact form (`compact/1`) of a decision made of these parts, its rules given
    as rows shaped as findings (`Found`, the rule's name `names[index]`, the value not
    read) and its open questions as their facts (a list made for it, kept as is): what
    `Decision.to_dict()` gives, and what `runtime.compact_decision` writes straight from a
    case's findings (the one function both use, so they cannot drift apart).

    Every container of the result is the caller's. The rows' bindings and unknown lists
    go into it as they are: the caller gives containers it may hand over (`_rows`
    copies a decision's; a batch's findings are made for its line). `held` (the
    default): the other parts are a decision's, so their containers (outcomes' sets,
    headline questions) are copied, and changing the result changes neither the
    decision nor a second `to_dict()`; `held=False` for parts made for this call alone
    (`runtime.compact_decision`, a batch's line). Fact values that are lists or dicts
    are copied either way: they are the case's, the caller's. The rest is made here
    anyway. Both give the same data."""
    facts: dict[str, Any] = {}
    matches: dict[Match, int] = {}
    data: dict[str, Any] = {
        "format": COMPACT_FORMAT,
        "policy": {
            "name": policy.name,
            "version": policy.version,
            "sha256": policy.sha256,
            "as_of": policy.as_of,
        },
        "lang": lang,
        "outcomes": _own(outcomes) if held else outcomes,
        "possible": _own(possible) if held else possible,
    }
    if headline is not None:
        data["headline"] = {
            "outcome": headline.outcome,
            "value": headline.value,
            "provisional": headline.provisional,
            "could_become": headline.could_become,
            "questions": [*headline.questions] if held else headline.questions,
        }
    numbered: dict[int, int] = {}  # each match's number by its identity (see `_written`)
    data["fired"] = _written(names, fired, False, facts, matches, numbered)
    data["pending"] = _written(names, pending, True, facts, matches, numbered)
    for path, value in facts.items():
        if value.__class__ is list or value.__class__ is dict:
            facts[path] = _fresh(value)
    data["facts"] = facts
    data["matched"] = [_compact_match(m, facts) for m in matches]
    data["open_questions"] = open_questions
    if trace:
        data["trace"] = _decisions.unstructure(trace)
    return data


def _written(
    names: Sequence[str],
    rows: Sequence[Found],
    pending: bool,
    facts: dict[str, Any],
    matches: dict[Match, int],
    numbered: dict[int, int],
) -> list[dict[str, Any]]:
    """The compact form's rules of these rows (see `compact_rows`), the facts they read
    added to `facts` and the entries they matched numbered in `matches` (equal matches
    are one entry). Built by hand, not by cattrs: a batch writes one of these per rule
    per case.

    The same match recurs (a rule's bindings, rules that read one list: 7 matches a
    case, 3 or 4 objects): each is hashed once (attrs hashes its 14 fields in Python),
    then found by identity in `numbered`. Sound while the rows hold their matches, which
    sequences do (an object's id is only its own while it lives)."""
    written: list[dict[str, Any]] = []
    append = written.append
    for index, _, binding, found, unknown, matched in rows:
        out: dict[str, Any] = (
            {"rule": names[index], "binding": binding} if binding else {"rule": names[index]}
        )
        if found:
            out["facts"] = [*found]
            # `|=`, not `update`: the same merge without a call's argument tuple
            # (`dict.update` takes *args): a third fewer instructions.
            facts |= found
        if matched:
            at = []
            for match in matched:
                number = numbered.get(id(match))
                if number is None:
                    number = numbered[id(match)] = matches.setdefault(match, len(matches))
                at.append(number)
            out["matched"] = at
        if pending:
            out["unknown"] = unknown
        append(out)
    return written


def _own(outcomes: OutcomeValues) -> OutcomeValues:
    """Outcomes the caller may change: each set's list anew (a code is a str)."""
    return {name: value if value.__class__ is str else [*value] for name, value in outcomes.items()}


def _fresh(value: Any) -> Any:
    """A fact's value, each list and dict in it anew (the rest is immutable JSON)."""
    if value.__class__ is list:
        return [_fresh(item) for item in value]
    if value.__class__ is dict:
        return {key: _fresh(item) for key, item in value.items()}
    return value


def _compact_match(match: Match, facts: Mapping[str, Any]) -> dict[str, Any]:
    out = {"list": match.list, "entry": match.entry, "fact": match.fact, "alias": match.alias}
    if facts.get(match.fact, _ABSENT) != match.value:
        out["value"] = match.value
    screening = _SCREENED(match)  # read in one call: a code found in a list has none
    if screening != _UNSCREENED:
        for name, value in zip(_SCREENING, screening, strict=True):
            if value is not None:
                out[name] = value
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
_SCREENED = operator.attrgetter(*_SCREENING)
_UNSCREENED = (None,) * len(_SCREENING)


_ABSENT = object()


def _from_compact(data: CompactDecision) -> Decision:
    """A Decision from the compact form, as cattrs read it (each value of its kind);
    the policy's texts it leaves out stay empty."""
    facts = data.facts
    matches = [
        Match(
            m.list,
            m.entry,
            m.fact,
            m.value if m.value is not None else str(facts.get(m.fact, "")),
            m.alias,
            **{name: getattr(m, name) for name in _SCREENING},
        )
        for m in data.matched
    ]

    def matched(index: int) -> Match:
        if index < 0:  # a list's index from its end is none of the form's (`_dangling`)
            raise DecisionFormatError(f"matched: {index} is no index")
        return matches[index]

    def rule(item: CompactRule) -> RuleResult:
        return RuleResult(
            rule=item.rule,
            title="",
            cite=[],
            because="",
            binding=item.binding,
            facts={path: facts[path] for path in item.facts},
            matched=[matched(i) for i in item.matched],
            outcomes={},
            unknown=item.unknown,
        )

    return Decision(
        policy=data.policy,
        outcomes=data.outcomes,
        possible=data.possible,
        fired=[rule(item) for item in data.fired],
        pending=[rule(item) for item in data.pending],
        open_questions=[OpenQuestion(path, "", []) for path in data.open_questions],
        references={},
        trace=data.trace,
        lang=data.lang,
        headline=data.headline,
    )


def structure_decision(data: Mapping[str, Any]) -> Decision:
    """A decision from its JSON-ready data (`Decision.from_dict`); DecisionFormatError,
    naming the JSON path and what is wrong there, when it is not a decision in a format
    this release reads."""
    if not isinstance(data, Mapping):
        raise DecisionFormatError(
            f"a decision is a JSON object (a dict), not {type(data).__name__}"
            " (docs/decision-format.md)"
        )
    fields = dict(data)
    form = fields.pop("format", FORMAT)
    if form not in READABLE_FORMATS:
        readable = ", ".join(sorted(READABLE_FORMATS))
        raise DecisionFormatError(
            f"format {form!r}: this release reads {readable} (docs/decision-format.md)"
        )
    missing = [name for name in _NEEDED[form] if name not in fields]
    if missing:
        raise DecisionFormatError(_lacking(form, "format" in data, missing))
    try:
        if form == COMPACT_FORMAT:
            # Read by cattrs as the full form is, so every value's kind is checked
            # (`_exactly`); the references between its parts, by hand.
            return _from_compact(_decisions.structure(fields, CompactDecision))
        return _decisions.structure(fields, Decision)
    except (
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
        RecursionError,  # a value nested deeper than the stack: no decision holds one
        cattrs.BaseValidationError,
    ) as exc:
        raise DecisionFormatError(
            f"not a decision in format {form}: {_what_is_wrong(fields, form, exc)}"
            " (docs/decision-format.md)"
        ) from None


# The fields a decision of each form cannot do without (the rest have defaults).
_NEEDED = {
    form: tuple(f.name for f in attrs.fields(kind) if f.default is attrs.NOTHING)
    for form, kind in ((FORMAT, Decision), (COMPACT_FORMAT, CompactDecision))
}


def _lacking(form: str, named: bool, missing: list[str]) -> str:
    """What `from_dict` says of data without some of a decision's fields: most likely a
    batch line written with `--fields`, which keeps only the fields it names."""
    which = ", ".join(f"`{name}`" for name in missing)
    read_as = f"format {form}" if named else f"no `format`, so read as {form}"
    return (
        f"not a whole decision ({read_as}): it lacks {which}."
        " Decision.from_dict reads whole decisions; a batch line written with --fields"
        " holds only the fields it names (docs/decision-format.md)"
    )


def _what_is_wrong(fields: Mapping[str, Any], form: str, exc: Exception) -> str:
    """Where data that failed to read as a decision is wrong, by JSON path
    (`fired[2].rule: missing`): told by cattrs, which checks every field's kind against
    the form's classes, then by the compact form's references between its parts."""
    kind = Decision if form == FORMAT else CompactDecision
    error: Exception = exc
    if not isinstance(exc, cattrs.BaseValidationError):
        try:
            _decisions.structure(fields, kind)
        except cattrs.BaseValidationError as found:
            error = found
        except Exception as found:  # noqa: BLE001 - any reason to say it, not to raise it
            error = found
    if isinstance(error, cattrs.BaseValidationError):
        said = list(dict.fromkeys(_at(line, fields) for line in cattrs.transform_error(error)))
        return "; ".join(said[:3]) + (f" (and {len(said) - 3} more)" if len(said) > 3 else "")
    if form == COMPACT_FORMAT:
        dangling = _dangling(fields)
        if dangling is not None:
            return dangling
    return f"{type(exc).__name__} {exc}"


def _at(line: str, fields: Mapping[str, Any]) -> str:
    """cattrs' `required field missing @ $.fired[2].rule` as `fired[2].rule: missing`;
    a part that is not an object or a list where one is due is said so, once, rather
    than as each of the fields cattrs could not find in it."""
    what, _, where = line.rpartition(" @ ")
    value: Any = fields
    walked = ""
    for name, index, quoted in _STEP.findall(where.removeprefix("$")):
        key = name or quoted
        if not index:
            if not isinstance(value, Mapping):
                return f"{walked or 'the decision'}: expected an object, got {_kind(value)}"
            walked += f"[{key!r}]" if quoted else f".{key}" if walked else key
            value = value.get(key)
        else:
            if not isinstance(value, list):
                return f"{walked}: expected a list, got {_kind(value)}"
            walked += f"[{index}]"
            value = value[int(index)] if int(index) < len(value) else None
    what = {"required field missing": "missing", "expected a mapping": "expected an object"}.get(
        what, what.removeprefix("invalid value for type, ")
    )
    if re.fullmatch(r"expected [A-Z]\w*", what):  # one of the decision's classes
        what = f"expected an object, got {_kind(value)}"
    elif what.startswith("expected list"):
        what = f"expected a list, got {_kind(value)}"
    elif what.startswith("expected ") and value is not None:
        what += f", got {_kind(value)}"
    return f"{where.removeprefix('$').removeprefix('.') or 'the decision'}: {what}"


_STEP = re.compile(r"\.(\w+)|\[(\d+)\]|\['([^']*)'\]")
"""A step of a cattrs path: a field (`.fired`), an index (`[2]`), a dict's key (`['p']`)."""


def _kind(value: Any) -> str:
    """A JSON value's kind, in JSON's words."""
    return _KINDS.get(value.__class__, type(value).__name__)


_KINDS = {
    dict: "an object",
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def _dangling(fields: Mapping[str, Any]) -> str | None:
    """A compact rule's reference to a fact or match the decision does not hold."""
    facts = fields["facts"]
    count = len(fields["matched"])
    for part in ("fired", "pending"):
        for number, item in enumerate(fields[part]):
            for index, path in enumerate(item.get("facts", [])):
                if path not in facts:
                    return f"{part}[{number}].facts[{index}]: {path!r} is not in `facts`"
            for index, at in enumerate(item.get("matched", [])):
                if not isinstance(at, int) or not 0 <= at < count:
                    return (
                        f"{part}[{number}].matched[{index}]: {at!r} is not an index of"
                        f" `matched` (it holds {count})"
                    )
    return None


def decision_json(decision: Decision, detail: str = "compact") -> str:
    """A decision as JSON text (`Decision.to_json`)."""
    data = unstructure_decision(decision, detail)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
