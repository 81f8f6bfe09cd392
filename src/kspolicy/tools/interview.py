"""Questions for the facts a decision still needs, answers turned into case data.

`questions` lists the open questions of a decision that can still change it, most
decisive first, each with what kind of answer it takes. `parse_answer` reads a typed
answer (yes/ja, no/nee in any language of the policy's catalogue, codes, numbers,
lists) and `apply_answer` sets it in the case data. `template` writes a case file with
every field, commented out, ready to fill in. The `kspolicy ask` command is these in a
loop; a form in another system can use them the same way. Every word they write comes
from the policy's message catalogue (`lang.catalogue`).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import attrs

from ..diagnostics import KspolicyError, did_you_mean
from ..eval.decision import Decision
from ..eval.runtime import split_path
from ..lang.catalogue import ENGINE, Catalogue
from ..lang.schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    Schema,
    Type,
)
from ..paths import is_fact_path
from ..policy import Policy

AnswerKind: TypeAlias = Literal["bool", "int", "number", "text", "date", "code", "codes", "records"]
"""What kind of answer a question takes."""


class AnswerError(KspolicyError):
    """An answer that does not fit the question; the message says what would."""


@attrs.frozen
class Question:
    """An open question, ready for a form: what to ask, and what answers fit."""

    fact: str
    text: str
    kind: AnswerKind
    choices: tuple[str, ...]
    rules: tuple[str, ...]
    weight: int
    #: The enum the codes come from, for their labels in the reader's language.
    enum: EnumType | None = None

    def hint(self, lang: str, catalogue: Catalogue = ENGINE) -> str:
        """How to answer, in a language (words from the catalogue's `answer` section).

        Codes are what is typed, so they are shown, each with its label in the language
        when the policy declares one: "typ een van: none (geen), restricted (beperkt)"."""
        words = catalogue.get(lang)
        if self.kind == "bool":
            return words["answer.yes_no"]
        if self.kind == "code":
            shown = _choices(self.choices, self.enum, lang)
            return words["answer.one_of"].format(choices=shown) if self.choices else shown
        if self.kind == "codes":
            how = words["answer.codes"]
            return how + (f": {_choices(self.choices, self.enum, lang)}" if self.choices else "")
        if self.kind == "records":
            return words["answer.records"]
        if self.kind in ("int", "number"):
            return self.choices[0] if self.choices else words["answer.number"]
        if self.kind == "date":
            return words["answer.date"]
        return words["answer.text"]


def _choices(codes: tuple[str, ...], enum: EnumType | None = None, lang: str = "en") -> str:
    def shown(code: str) -> str:
        text = enum.labels.get(code) if enum is not None else None
        # Every declared label, even one that repeats its code in this language: what
        # is listed must not depend on the words (each language lists the same).
        return f"{code} ({text.get(lang)})" if text is not None else code

    named = [shown(code) for code in codes[:12]]
    return ", ".join(named) + (", …" if len(codes) > 12 else "")


def _enum_of(type_: Type | None) -> EnumType | None:
    """The enum whose codes answer a question of this type (one code, or a list)."""
    inner = type_.element if isinstance(type_, ListType) else type_
    return inner if isinstance(inner, EnumType) else None


def _field_type(schema: Schema, fact: str) -> Type | None:
    field = schema.field_at(tuple(name for name, _ in split_path(fact)))
    return field.type if field is not None else None


def _kind(type_: Type | None) -> tuple[AnswerKind, tuple[str, ...]]:
    if isinstance(type_, BoolType):
        return "bool", ()
    if isinstance(type_, IntType):
        span = (f"{type_.low}..{type_.high}",) if type_.low is not None else ()
        return "int", span
    if isinstance(type_, NumberType):
        return "number", ()
    if isinstance(type_, DateType):
        return "date", ()
    if isinstance(type_, EnumType):
        return "code", type_.codes
    if isinstance(type_, ListType):
        if isinstance(type_.element, RecordType):
            return "records", ()
        inner = type_.element
        return "codes", inner.codes if isinstance(inner, EnumType) else ()
    return "text", ()


def questions(
    policy: Policy, decision: Decision, skip: set[str] | frozenset[str] = frozenset()
) -> list[Question]:
    """The open questions that can still change the decision, most decisive first.

    A question weighs as much as the most severe scale code that the rules waiting on it
    could reach, then as many as those rules are.
    """
    pending = {r.rule: r for r in decision.pending}
    found = []
    for position, open_question in enumerate(decision.open_questions):
        if open_question.fact in skip or not is_fact_path(open_question.fact):
            # A name screened as a possible match (`partners[0].name matches LIST`) is
            # no fact the researcher can type: a reviewer answers it with
            # `kspolicy screen review` (docs/screening.md, Adjudication).
            continue
        severity = 0
        for name in open_question.rules:
            result = pending.get(name)
            for outcome, value in (result.outcomes if result else {}).items():
                scale = policy.checked.outcomes.get(outcome)
                if scale is not None and scale.kind == "scale" and isinstance(value, str):
                    severity = max(severity, scale.rank(value))
        type_ = _field_type(policy.schema, open_question.fact)
        kind, choices = _kind(type_)
        weight = severity * 1000 + len(open_question.rules) * 10 - min(position, 9)
        found.append(
            Question(
                open_question.fact,
                open_question.question,
                kind,
                choices,
                tuple(open_question.rules),
                weight,
                _enum_of(type_),
            )
        )
    return sorted(found, key=lambda q: -q.weight)


def _answers(catalogue: Catalogue, key: str) -> set[str]:
    """The words that give an answer (`answer.yes`...) in any language of the catalogue:
    a Dutch `ja` is understood in an English interview too."""
    return {word for messages in catalogue.all() for word in messages.choices(key)}


def parse_answer(question: Question, text: str, catalogue: Catalogue = ENGINE) -> Any:
    """The value an answer stands for, or AnswerError saying what would fit."""
    answer = text.strip()
    lowered = answer.lower()
    if question.kind == "bool":
        if lowered in _answers(catalogue, "answer.yes"):
            return True
        if lowered in _answers(catalogue, "answer.no"):
            return False
        raise AnswerError("answer yes or no (ja of nee)")
    if question.kind in ("int", "number"):
        try:
            value: Any = int(answer) if question.kind == "int" else float(answer.replace(",", "."))
        except ValueError:
            raise AnswerError("answer with a number") from None
        if question.choices:
            low, high = (int(x) for x in question.choices[0].split(".."))
            if not low <= value <= high:
                raise AnswerError(f"answer with a number from {low} to {high}")
        return value
    if question.kind == "date":
        try:
            return dt.date.fromisoformat(answer)
        except ValueError:
            raise AnswerError("answer with a date: YYYY-MM-DD") from None
    if question.kind == "code":
        return _code(question.choices, answer)
    if question.kind == "codes":
        if lowered in _answers(catalogue, "answer.none") or not answer:
            return []
        return [
            _code(question.choices, part.strip()) if question.choices else part.strip()
            for part in re.split(r"[,;]", answer)
            if part.strip()
        ]
    if question.kind == "records":
        if lowered in _answers(catalogue, "answer.none"):
            return 0
        # isdigit alone lets through '²' and other digits that int() refuses
        if answer.isascii() and answer.isdigit():
            try:
                return int(answer)
            except ValueError:  # more digits than Python converts (4,300)
                raise AnswerError(
                    "that number is far too large: answer with how many there are"
                ) from None
        raise AnswerError("answer with how many there are (0 for none)")
    if not answer:
        raise AnswerError("answer with a text, or press Enter on an empty line to skip")
    return answer


def _code(choices: tuple[str, ...], answer: str) -> str:
    if answer in choices:
        return answer
    folded = {c.lower(): c for c in choices}
    if answer.lower() in folded:
        return folded[answer.lower()]
    hint = did_you_mean(answer, choices, quote="'")
    raise AnswerError(
        f"'{answer}' is not one of the choices"
        + (f"; {hint}" if hint else f": {_choices(choices)}")
    )


def apply_answer(data: Mapping[str, Any], fact: str, value: Any) -> dict[str, Any]:
    """The case data with the fact at a path such as `partners[1].country` set."""
    result = copy.deepcopy(dict(data))
    parts = split_path(fact)
    target: Any = result
    for name, index in parts[:-1]:
        target = target.setdefault(name, [] if index is not None else {})
        if index is not None:
            while len(target) <= index:
                target.append({})
            target = target[index]
    name, index = parts[-1]
    if index is not None:
        items = target.setdefault(name, [])
        while len(items) <= index:
            items.append(None)
        items[index] = value
    else:
        target[name] = value
    return result


def set_answer(
    policy: Policy, data: Mapping[str, Any], question: Question, value: Any
) -> dict[str, Any]:
    """The case with an answer set; a count for a list of records makes that many records.

    AnswerError when the count is more than a list of a case may hold (`max_items`).
    """
    if question.kind == "records":
        most = policy.limits.max_items
        if int(value) > most:
            raise AnswerError(
                f"answer with a number up to {most:,}: a list in a case holds at most that"
                " many (the limit max_items)"
            )
        result = copy.deepcopy(dict(data))
        target: Any = result
        parts = split_path(question.fact)
        for name, index in parts[:-1]:
            target = target.setdefault(name, {})
            if index is not None:
                target = target[index]
        target[parts[-1][0]] = [{} for _ in range(int(value))]
        return result
    return apply_answer(data, question.fact, value)


# ---- the template -----------------------------------------------------------------


def template(policy: Policy, lang: str = "en") -> str:
    """A case file with every field commented out, each with its question and type."""
    catalogue = policy.checked.messages
    words = catalogue.get(lang)
    lines = [words["template.head"].format(name=policy.name, version=policy.version)]
    root = policy.schema.root
    scalars = [f for f in root.fields.values() if not _is_table(f.type)]
    for field in scalars:
        lines += _field_lines(field, lang, "", catalogue)
    for field in root.fields.values():
        if not _is_table(field.type):
            continue
        if isinstance(field.type, RecordType):
            lines += ["", f"[{field.name}]"]
            for inner in field.type.fields.values():
                lines += _field_lines(inner, lang, "", catalogue)
        else:
            element = field.type.element  # type: ignore[union-attr]
            assert isinstance(element, RecordType)
            lines += ["", words["template.records"].format(field=field.name)]
            if field.question:
                lines.append(f"# {field.question.get(lang)}")
            for inner in element.fields.values():
                lines += _field_lines(inner, lang, "", catalogue)
    return "\n".join(lines) + "\n"


def _is_table(type_: Type) -> bool:
    return isinstance(type_, RecordType) or (
        isinstance(type_, ListType) and isinstance(type_.element, RecordType)
    )


def _field_lines(field: Any, lang: str, indent: str, catalogue: Catalogue) -> list[str]:
    kind, choices = _kind(field.type)
    hint = Question("", "", kind, choices, (), 0, _enum_of(field.type)).hint(lang, catalogue)
    question = field.question.get(lang) if field.question else field.name
    examples = {
        "bool": "false",
        "int": "0",
        "number": "0",
        "date": "2026-01-01",
        "code": f'"{choices[0]}"' if choices else '""',
        "codes": "[]",
        "records": "[]",
        "text": '""',
    }
    return [f"{indent}# {question} ({hint})", f"{indent}# {field.name} = {examples[kind]}"]
