"""The shapes of the service's own JSON answers, as attrs classes for its OpenAPI document.

The answers themselves are written by `core` (plain data); these classes say what they
hold, field by field, so that Litestar derives their JSON Schemas natively from attrs, as
`eval/contract.py` derives the decision's and the case's from the engine's own classes.
The tests check every answer against the document these make (schemathesis).
"""

from __future__ import annotations

from typing import Literal

import attrs


@attrs.frozen
class Choice:
    """An answer a question accepts: a code and its label in the request's language."""

    code: str
    label: str


@attrs.frozen
class Question:
    """An open question that can still change the decision (tools/interview.py)."""

    fact: str
    text: str
    kind: Literal["bool", "int", "number", "text", "date", "code", "codes", "records"]
    hint: str
    choices: list[Choice]
    range: list[str]
    rules: list[str]


@attrs.frozen
class OutcomeSummary:
    """One outcome of the decision in words: certain codes, and what could be added."""

    outcome: str
    title: str
    codes: list[str]
    labels: list[str]
    could_add: list[str]


@attrs.frozen
class Summary:
    """The decision so far, in a few words."""

    headline: str
    outcomes: list[OutcomeSummary]
    open_questions: int


@attrs.frozen
class Questions:
    """The answer of `POST /v1/questions`: what to ask next, most decisive first."""

    questions: list[Question]
    summary: Summary


@attrs.frozen
class PolicyFile:
    """A file the policy was read from, with its sha256."""

    path: str
    sha256: str


@attrs.frozen
class PolicyDescription:
    """The answer of `GET /v1/policy` (`case_schema` is the JSON Schema of a case)."""

    name: str
    version: str
    sha256: str
    files: list[PolicyFile]
    languages: list[str]
    loaded_at: str
    generation: int
    case_schema: dict[str, object]


@attrs.frozen
class Health:
    """The answer of `GET /healthz`: the service is up, and which policy it serves."""

    status: Literal["ok"]
    policy: str
    version: str
    sha256: str


@attrs.frozen
class Reloaded:
    """The answer of `POST /v1/policy/reload`: the policy now served, and the one before."""

    name: str
    version: str
    sha256: str
    generation: int
    previous_sha256: str
