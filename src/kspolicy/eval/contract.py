"""The published contract: JSON Schemas for the decision and for a policy's case.

Both are derived, never written by hand, so that they cannot drift from what the engine
does. The decision's schema comes from the attrs classes of `eval.decision` (their field
types, and which fields `Decision.from_dict` needs), with a description of each field
from `DESCRIPTIONS`; a field without one is a field the contract does not explain, and
`tests/test_contract.py` fails on it. A case's schema comes from the policy's checked
schema (`lang.schema`), with the questions and labels in the policy's languages.

It sits in `eval` because it describes evaluation's input and output: it reads
`lang.schema` (below) and `eval.decision` (its own layer), and the tools print it.

The decision schema holds one subschema per form and version (`$defs["full/1"]`), told
apart by the `format` field's constant: a new form or version is a new entry in `FORMS`,
and decisions of every listed form validate against the one published schema.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs

from ..diagnostics import KspolicyError
from ..lang.checked import Policy
from ..lang.nodes import Text
from ..lang.schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    TextType,
    Type,
)
from . import decision as d

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
DECISION_SCHEMA_ID = "urn:kspolicy:schema:decision"

# What a screened name's match says, in both forms (docs/screening.md).
DESCRIPTIONS_SCREENING: dict[str, str] = {
    "band": "For a name screened against an entities list: `match` or `possible`.",
    "score": "For a screened name: how well it matched, from 0 to 1.",
    "rule": "For a screened name: the rule of the comparison that decided.",
    "evidence": "For a screened name: the evidence in words (tokens, alias, country).",
    "source": "For a screened name: where the list comes from.",
    "source_url": "For a screened name: the address the list was downloaded from.",
    "sha256": "For a screened name: the sha256 of the file the list was imported from.",
    "entry_sha256": "For a screened name: the sha256 of the entry that matched.",
    "adjudication": "For a screened name: a reviewer's answer that decided it, if any.",
}

DESCRIPTIONS: dict[str, str] = {
    "Decision.headline": (
        "The outcome the decision is headed by (the scale the policy marks `headline`) "
        "and whether unknown facts could still raise it; absent when the policy has none."
    ),
    "Decision.sources": (
        "For an outcome declared with `sources LIST`: each code's sources in force on the "
        "decision's date (where to look and what to look for), by outcome, then code."
    ),
    "Headline.outcome": "The name of the headline outcome.",
    "Headline.value": "Its code now, as in `outcomes`.",
    "Headline.provisional": (
        "True while a pending rule could still raise it: the value holds only so far."
    ),
    "Headline.could_become": "The highest code it could reach; null when not provisional.",
    "Headline.questions": "The open facts whose answers could raise it, as fact paths.",
    "Decision.policy": "Which policy decided, on which data.",
    "Decision.outcomes": (
        "The outcomes that hold whatever the unknown facts turn out to be: every scale "
        "and set outcome of the policy, and each entry outcome whose entry was found."
    ),
    "Decision.possible": (
        "What unknown facts could still add: the higher code a scale could reach, the "
        "codes a set could gain. An outcome unknown facts cannot change is left out."
    ),
    "Decision.fired": "The rules that certainly apply, once per binding.",
    "Decision.pending": "The rules that could apply, depending on unknown facts.",
    "Decision.open_questions": (
        "The unknown facts that could change the decision, with the question to ask."
    ),
    "Decision.references": (
        "For each entry outcome found, the entry's data: its key and its fields."
    ),
    "Decision.trace": "How every rule evaluated; empty unless an explanation was asked for.",
    "Decision.lang": "The language of the decision's texts (titles, reasons, questions).",
    "PolicyInfo.name": "The policy's name.",
    "PolicyInfo.version": "The policy's version, as its header gives it.",
    "PolicyInfo.sha256": (
        "The SHA-256 of the policy's files and list files: the same text and data give "
        "the same hash."
    ),
    "PolicyInfo.as_of": "The date the case was decided as on (YYYY-MM-DD).",
    "RuleResult.rule": "The rule's name.",
    "RuleResult.title": "The rule's title in the decision's language (its name if none).",
    "RuleResult.cite": "The sources the rule cites.",
    "RuleResult.because": "The rule's reason in the decision's language (empty if none).",
    "RuleResult.binding": (
        "For each implicit variable, the index of the element it was bound to "
        "(`partner`: 0 for partners[0])."
    ),
    "RuleResult.facts": "The facts the rule read, by path, with their values.",
    "RuleResult.matched": "The list entries the facts matched.",
    "RuleResult.outcomes": "What the rule does when it applies, by outcome.",
    "RuleResult.unknown": "The unknown facts a pending rule waits for, by path.",
    "Match.list": "The list's name.",
    "Match.entry": "The entry's key.",
    "Match.fact": "The path of the fact that matched.",
    "Match.value": "The fact's value.",
    "Match.alias": "The alias of the entry that matched, or null when its key did.",
    "Match.band": DESCRIPTIONS_SCREENING["band"],
    "Match.score": DESCRIPTIONS_SCREENING["score"],
    "Match.rule": DESCRIPTIONS_SCREENING["rule"],
    "Match.evidence": DESCRIPTIONS_SCREENING["evidence"],
    "Match.source": DESCRIPTIONS_SCREENING["source"],
    "Match.source_url": DESCRIPTIONS_SCREENING["source_url"],
    "Match.sha256": DESCRIPTIONS_SCREENING["sha256"],
    "Match.entry_sha256": DESCRIPTIONS_SCREENING["entry_sha256"],
    "Match.adjudication": DESCRIPTIONS_SCREENING["adjudication"],
    "OpenQuestion.fact": "The path of the unknown fact.",
    "OpenQuestion.question": "The question to ask for it, in the decision's language.",
    "OpenQuestion.rules": "The rules (or entry outcomes) its answer could change.",
    "RuleTrace.rule": "The rule's name.",
    "RuleTrace.binding": "The binding, as in a fired rule.",
    "RuleTrace.result": "fired, pending, silent or inactive (not in force on the date).",
    "RuleTrace.steps": "The evaluated conditions, outermost first.",
    "TraceNode.expr": "The expression's text.",
    "TraceNode.value": "Its value: true, false, unknown or a value.",
    "TraceNode.children": "How its parts evaluated.",
    "CompactDecision.policy": "Which policy decided, on which data.",
    "CompactDecision.lang": "The language the decision was made in.",
    "CompactDecision.outcomes": "As in the full form: the outcomes that hold.",
    "CompactDecision.possible": "As in the full form: what unknown facts could still add.",
    "CompactDecision.headline": "As in the full form; absent when the policy has none.",
    "CompactDecision.fired": "The rules that certainly apply, once per binding, by name.",
    "CompactDecision.pending": (
        "The rules that could apply, by name, with the unknown facts they wait for."
    ),
    "CompactDecision.facts": "Every fact a listed rule read, once: path to value.",
    "CompactDecision.matched": (
        "The list entries the facts matched, once each; rules refer to them by index."
    ),
    "CompactDecision.open_questions": (
        "The unknown facts that could change the decision, by path: the question to ask "
        "is the case schema's for that field (or the full form's `question`)."
    ),
    "CompactDecision.trace": "How every rule evaluated; absent unless asked for.",
    "CompactRule.rule": "The rule's name: its title, reason and effects are the policy's.",
    "CompactRule.binding": "As in the full form; absent when the rule has no variable.",
    "CompactRule.facts": "The paths of the facts it read (values in `facts`); absent if none.",
    "CompactRule.matched": "Indices into `matched` of the entries its facts matched.",
    "CompactRule.unknown": "The unknown facts a pending rule waits for, by path.",
    "CompactMatch.list": "The list's name.",
    "CompactMatch.entry": "The entry's key.",
    "CompactMatch.fact": "The path of the fact that matched.",
    "CompactMatch.alias": "The alias of the entry that matched, or null when its key did.",
    "CompactMatch.value": "The fact's value, only when `facts` does not hold it.",
    "CompactMatch.band": DESCRIPTIONS_SCREENING["band"],
    "CompactMatch.score": DESCRIPTIONS_SCREENING["score"],
    "CompactMatch.rule": DESCRIPTIONS_SCREENING["rule"],
    "CompactMatch.evidence": DESCRIPTIONS_SCREENING["evidence"],
    "CompactMatch.source": DESCRIPTIONS_SCREENING["source"],
    "CompactMatch.source_url": DESCRIPTIONS_SCREENING["source_url"],
    "CompactMatch.sha256": DESCRIPTIONS_SCREENING["sha256"],
    "CompactMatch.entry_sha256": DESCRIPTIONS_SCREENING["entry_sha256"],
    "CompactMatch.adjudication": DESCRIPTIONS_SCREENING["adjudication"],
}

_OUTCOME_VALUES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            {"type": "string", "description": "The code of a scale, the key of an entry."},
            {
                "type": "array",
                "items": {"type": "string"},
                "uniqueItems": True,
                "description": "The codes of a set, in the order of its enum.",
            },
        ]
    },
}

# Each form and version of the decision JSON: its root class, and a description.
FORMS: dict[str, tuple[type, str]] = {
    d.COMPACT_FORMAT: (
        d.CompactDecision,
        "The compact decision, the default: each fact, match and question once, rules and "
        "questions by reference; the policy's texts are left out.",
    ),
    d.FORMAT: (d.Decision, "The full decision: every rule with its facts and matches."),
}


def decision_schema(form: str | None = None) -> dict[str, Any]:
    """The JSON Schema of the decision, in every form and version this release writes,
    or in the one `form` names (`compact/1`: docs/decision.compact.schema.json)."""
    defs: dict[str, Any] = {}
    variants = []
    for name, (root, description) in FORMS.items():
        if form is not None and name != form:
            continue
        shape = _record_schema(root, defs)
        shape["description"] = description
        shape["properties"] = {
            "format": {
                "const": name,
                "description": "The form and version of this JSON (FORM/VERSION).",
            },
            **shape["properties"],
        }
        shape["required"] = ["format", *shape["required"]]
        defs[name] = shape
        variants.append({"$ref": f"#/$defs/{_pointer(name)}"})
    if not variants:
        raise KspolicyError(f"no decision form {form!r}: the forms are {', '.join(FORMS)}")
    return {
        "$schema": JSON_SCHEMA,
        "$id": DECISION_SCHEMA_ID if form is None else f"{DECISION_SCHEMA_ID}:{form}",
        "title": "A kspolicy decision",
        "description": (
            "What a policy concludes about a case, and why (docs/decision-format.md). "
            "`format` names the form and version; within a version fields are only added."
        ),
        "oneOf": variants,
        "$defs": dict(sorted(defs.items())),
    }


def missing_descriptions() -> list[str]:
    """The fields of the decision's classes that `DESCRIPTIONS` does not explain."""
    found: list[str] = []
    for root, _ in FORMS.values():
        seen: set[type] = set()
        stack = [root]
        while stack:
            cls = stack.pop()
            if cls in seen:
                continue
            seen.add(cls)
            for name, hint in typing.get_type_hints(cls).items():
                if f"{cls.__name__}.{name}" not in DESCRIPTIONS:
                    found.append(f"{cls.__name__}.{name}")
                stack.extend(_classes_in(hint))
    return found


def _classes_in(hint: Any) -> list[type]:
    if attrs.has(hint):
        return [hint]
    return [cls for arg in typing.get_args(hint) for cls in _classes_in(arg)]


def _pointer(name: str) -> str:
    """A $defs name as a JSON Pointer token (RFC 6901: `~` and `/` escaped)."""
    return name.replace("~", "~0").replace("/", "~1")


def _record_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in attrs.fields(cls):
        shape = _hint_schema(hints[field.name], defs)
        description = DESCRIPTIONS.get(f"{cls.__name__}.{field.name}")
        properties[field.name] = (
            {**shape, "description": description} if description is not None else shape
        )
        # Required exactly when `from_dict` needs it: a field added within a version
        # comes with a default, so that decisions written before it still read.
        if field.default is attrs.NOTHING:
            required.append(field.name)
    return {"type": "object", "properties": properties, "required": required}


def _hint_schema(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if hint == d.OutcomeValues:
        return dict(_OUTCOME_VALUES)
    if hint is Any:
        return {}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if hint in simple:
        return {"type": simple[hint]}
    if hint is type(None):
        return {"type": "null"}
    if attrs.has(hint):
        name = hint.__name__
        if name not in defs:
            defs[name] = {}  # placed first: a class may hold itself (TraceNode)
            defs[name] = _record_schema(hint, defs)
            doc = (hint.__doc__ or "").strip().split("\n\n")[0]
            defs[name]["description"] = " ".join(doc.split())
        return {"$ref": f"#/$defs/{_pointer(name)}"}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        return {"type": "array", "items": _hint_schema(args[0], defs)}
    if origin is dict and args[0] is str:
        return {"type": "object", "additionalProperties": _hint_schema(args[1], defs)}
    if origin in (types.UnionType, typing.Union):
        return {"anyOf": [_hint_schema(arg, defs) for arg in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    raise TypeError(f"no JSON Schema for the decision field type {hint!r}")


# ---- the case ---------------------------------------------------------------------------


def case_schema(policy: Policy, lang: str | None = None) -> dict[str, Any]:
    """The JSON Schema of a case for `policy`, in its JSON form (dates as YYYY-MM-DD
    texts): a fact left out, or null, is unknown; a required field must be given.

    `description`s are the fields' questions in `lang` (default: the policy's first
    language); `x-kspolicy-texts` holds them in every language the policy has, and
    `x-kspolicy-labels` an enum's labels.
    """
    languages = list(policy.languages) or ["en"]
    lang = lang or languages[0]
    schema = policy.schema
    defs: dict[str, Any] = {}
    for enum in schema.enums.values():
        defs[enum.name] = _enum_schema(enum, lang, languages)
    for record in schema.records.values():
        if record is not schema.root:
            defs[record.name] = _case_record(record, lang, languages)
    root = _case_record(schema.root, lang, languages)
    title = policy.title.get(lang) if policy.title is not None else policy.name
    return {
        "$schema": JSON_SCHEMA,
        "$id": f"urn:kspolicy:schema:case:{policy.name}:{policy.version}",
        "title": f"A case for {title}",
        "description": (
            f"The facts a case gives to {policy.name} {policy.version}. A fact left out or "
            "null is unknown, never false."
        ),
        **{key: value for key, value in root.items() if key != "description"},
        "x-kspolicy-policy": {
            "name": policy.name,
            "version": policy.version,
            "sha256": policy.sha256,
        },
        "$defs": dict(sorted(defs.items())),
    }


def _texts(text: Text, languages: list[str]) -> dict[str, str]:
    return {language: text.get(language) for language in languages}


def _enum_schema(enum: EnumType, lang: str, languages: list[str]) -> dict[str, Any]:
    shape: dict[str, Any] = {"type": "string", "enum": list(enum.codes)}
    if enum.description:
        shape["description"] = enum.description
    if enum.hierarchical:
        shape["x-kspolicy-hierarchical"] = True
    if enum.labels:
        shape["x-kspolicy-labels"] = {code: label.get(lang) for code, label in enum.labels.items()}
    return shape


def _case_record(record: RecordType, lang: str, languages: list[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in record.fields.values():
        # null is accepted for every field: it says "unknown" explicitly.
        prop: dict[str, Any] = {"anyOf": [_case_type(field.type), {"type": "null"}]}
        if field.question is not None:
            prop["description"] = field.question.get(lang)
            prop["x-kspolicy-texts"] = _texts(field.question, languages)
        if field.default is not None:
            prop["default"] = _json_default(field.default)
        properties[field.name] = prop
    shape = {
        "type": "object",
        "properties": properties,
        "required": [f.name for f in record.fields.values() if f.required],
        "additionalProperties": False,
    }
    if record.title is not None:
        shape["description"] = record.title.get(lang)
    return shape


def _case_type(type_: Type) -> dict[str, Any]:
    if isinstance(type_, BoolType):
        return {"type": "boolean"}
    if isinstance(type_, IntType):
        bounds = {} if type_.low is None else {"minimum": type_.low, "maximum": type_.high}
        return {"type": "integer", **bounds}
    if isinstance(type_, NumberType):
        return {"type": "number"}
    if isinstance(type_, TextType):
        return {"type": "string"}
    if isinstance(type_, DateType):
        return {"type": "string", "format": "date"}
    if isinstance(type_, ListType):
        return {"type": "array", "items": _case_type(type_.element)}
    return {"$ref": f"#/$defs/{_pointer(type_.name)}"}


def _json_default(value: object) -> object:
    if isinstance(value, tuple):
        return [_json_default(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_default(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
