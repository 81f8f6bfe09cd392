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


# ---- screening (POST /v1/screen) ----------------------------------------------------------


@attrs.frozen
class ScreenName:
    """A name to screen: the name, its country (ISO 3166 alpha-2) when known, and the
    caller's own reference for it (`ref`), given back with its result."""

    name: str
    country: str | None = None
    ref: str | None = None


@attrs.frozen
class ScreenRequest:
    """The body of `POST /v1/screen`: one or more names, and the entities lists of the
    policy to screen them against (by name; absent: every entities list it has)."""

    names: list[ScreenName]
    lists: list[str] | None = None


@attrs.frozen
class ScreenedList:
    """An entities list screened against: where it comes from, and how fresh it is on
    the date screened (a `stale` list answers no name "none": "not covered")."""

    name: str
    title: str
    source: str
    source_url: str | None
    sha256: str | None
    retrieved: str | None
    max_age_days: int | None
    age_days: int | None
    stale: bool
    covers: list[str]
    matching: Literal["graded", "exact"]
    entries: int


@attrs.frozen
class ScreenFinding:
    """What one list says of a name. `answer`: `match`, `possible` (for a person to
    adjudicate), `none`, or `not covered` (the list cannot answer: `uncovered` says why).
    `band` is the candidate's band (`none` when there is no candidate); `entry`, `score`,
    `rule`, `alias` and `evidence` describe the candidate, `adjudication` a reviewer's
    answer that settled it."""

    list: str
    source: str
    retrieved: str | None
    stale: bool
    answer: Literal["match", "possible", "none", "not covered"]
    band: Literal["match", "possible", "none"]
    score: float | None
    entry: str | None
    entry_sha256: str | None
    rule: str | None
    alias: str | None
    evidence: str | None
    adjudication: str | None
    uncovered: str | None
    needs_country: bool


@attrs.frozen
class ScreenResult:
    """One name's result over every list: the strongest answer and band (match, then
    possible, then not covered, then none), the best score, and each list's finding."""

    name: str
    country: str | None
    ref: str | None
    answer: Literal["match", "possible", "none", "not covered"]
    band: Literal["match", "possible", "none"]
    score: float | None
    findings: list[ScreenFinding]


@attrs.frozen
class PolicyRef:
    """The policy that answered: its name, version and sha256."""

    name: str
    version: str
    sha256: str


@attrs.frozen
class ScreenAnswer:
    """The answer of `POST /v1/screen`: the policy, the date screened on, the lists
    screened against, and a result per name, in the order of the request."""

    policy: PolicyRef
    as_of: str
    lists: list[ScreenedList]
    results: list[ScreenResult]
