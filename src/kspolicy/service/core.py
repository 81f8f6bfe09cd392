"""What each request of the service does, with no web framework: cases in, JSON out.

A `Holder` keeps the policy being served as an immutable `Snapshot`; a request takes the
snapshot once, at its start, and does all its work on it, so a reload (which swaps the
holder's snapshot for a new one) never changes a request already in flight. Bad input
raises `ProblemError` (problems.py), which the app answers as problem details.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .. import policy as facade
from ..diagnostics import KSP406, ArgumentError, CaseError, KspolicyError
from ..eval import contract
from ..eval.cases import parse_case, parse_date
from ..eval.decision import Decision
from ..eval.runtime import split_path
from ..files import os_reason
from ..limits import DEFAULT, Limits
from ..policy import Policy
from ..render.document import to_html, to_markdown, to_text
from ..render.explain import explain, label
from ..render.labels import headline_line
from ..tools import interview, jsonline
from ..tools.caseline import Rejected, decide_line
from ..tools.output import check_writable
from .problems import BadPlace, ProblemError, case_problem, problem

#: The formats of an explanation, by media type (`Accept` picks one).
EXPLANATION_TYPES = ("text/html", "text/markdown", "text/plain")


@attrs.frozen
class Snapshot:
    """One loaded policy as the service serves it, never changed once made."""

    policy: Policy
    loaded_at: dt.datetime
    generation: int
    #: The JSON Schema of a case, and the decision's (eval/contract.py), made once.
    case_schema: dict[str, Any]
    decision_schema: dict[str, Any]

    def info(self) -> dict[str, Any]:
        """What `GET /v1/policy` says of it: name, version, sha256, files, languages."""
        p = self.policy
        return {
            "name": p.name,
            "version": p.version,
            "sha256": p.sha256,
            "files": [{"path": name, "sha256": digest} for name, digest in p.files],
            "languages": list(p.languages),
            "loaded_at": self.loaded_at.isoformat(timespec="seconds"),
            "generation": self.generation,
            "case_schema": self.case_schema,
        }


def make_snapshot(policy: Policy, generation: int) -> Snapshot:
    """A snapshot of a loaded policy, with its published schemas."""
    return Snapshot(
        policy,
        dt.datetime.now(dt.UTC),
        generation,
        contract.case_schema(policy.checked),
        contract.decision_schema(),
    )


class Holder:
    """The policy being served: replaced whole by `reload`, read whole by `current`.

    Reading `current` is one attribute read, atomic in Python; `reload` loads the new
    policy first, entirely, and only then swaps it in, so a policy that fails to load
    leaves the old one serving (and says why).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        limits: Limits = DEFAULT,
        root: str | os.PathLike[str] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.root = Path(root) if root is not None else None
        self.limits = limits
        self._lock = threading.Lock()  # one reload at a time
        self.current = make_snapshot(facade.load(self.path, limits=limits, root=self.root), 1)

    def reload(self) -> Snapshot:
        """Load the policy again from its path and serve it; PolicyError leaves the old."""
        with self._lock:
            policy = facade.load(self.path, limits=self.limits, root=self.root)
            snapshot = make_snapshot(policy, self.current.generation + 1)
            self.current = snapshot
            return snapshot


def read_token(path: Path) -> str:
    """The bearer token in a file (its first line); KspolicyError when there is none."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise KspolicyError(f"cannot read the token file {path}: {reason}") from None
    token = text.splitlines()[0].strip() if text else ""
    if len(token) < 16:
        raise KspolicyError(
            f"{path}: the token file must hold a token of at least 16 characters on its first line"
        )
    return token


def check_audit_log(path: Path) -> None:
    """Refuse now, before the service listens, an audit log that could never be written."""
    if path.is_file():
        try:
            with open(path, "ab"):
                pass
        except OSError as exc:
            raise KspolicyError(f"cannot write the audit log {path}: {os_reason(exc)}") from None
        return
    check_writable(path)


# ---- reading a request ------------------------------------------------------------------


def read_case(raw: bytes, limits: Limits, where: str = "") -> dict[str, Any]:
    """The case in a JSON body, within `max_case_bytes`; ProblemError if it is none."""
    if len(raw) > limits.max_case_bytes:
        raise problem(
            "too-large",
            "The case is too large",
            413,
            f"the case is {len(raw):,} bytes; at most {limits.max_case_bytes:,} are accepted"
            " (the limit max_case_bytes, docs/limits.md)",
            BadPlace(where, "too large", None),
        )
    try:
        return parse_case(raw, ".json", where or "<body>", limits)
    except CaseError as error:
        raise case_problem(error, where) from None


def query_date(value: str | None) -> dt.date | None:
    """The `as_of` query parameter as a date; ProblemError when it is not YYYY-MM-DD."""
    if value is None or value == "":
        return None
    day = parse_date(value)
    if day is None:
        raise problem(
            "invalid-parameter",
            "A query parameter is not valid",
            400,
            f"as_of must be a date written YYYY-MM-DD, not {value!r}",
            BadPlace("query.as_of", "expected a date (YYYY-MM-DD)", None),
        )
    return day


def query_language(snapshot: Snapshot, value: str | None) -> str:
    """The `lang` query parameter: one of the policy's languages (its first by default)."""
    languages = snapshot.policy.languages
    if value is None or value == "":
        return "en" if "en" in languages else languages[0]
    # Language tags are case-insensitive (BCP 47): `NL` is `nl`.
    value = next((known for known in languages if known.lower() == value.lower()), value)
    if value not in languages:
        raise problem(
            "invalid-parameter",
            "A query parameter is not valid",
            400,
            f"lang {value!r}: this policy speaks {', '.join(languages)}",
            BadPlace("query.lang", f"one of {', '.join(languages)}", None),
        )
    return value


def query_flag(name: str, value: str | None) -> bool:
    """A true/false query parameter (absent: false)."""
    if value is None or value.lower() in ("", "false", "0", "no"):
        return False
    if value.lower() in ("true", "1", "yes"):
        return True
    raise problem(
        "invalid-parameter",
        "A query parameter is not valid",
        400,
        f"{name} is true or false, not {value!r}",
        BadPlace(f"query.{name}", "true or false", None),
    )


def query_detail(value: str | None) -> str:
    """`detail`: `compact` (the default, what an embedding system reads) or `full`
    (every text the policy gives; docs/decision-format.md)."""
    if value is None or value == "compact":
        return "compact"
    if value == "full":
        return "full"
    raise problem(
        "invalid-parameter",
        "A query parameter is not valid",
        400,
        f"detail is compact or full, not {value!r}",
        BadPlace("query.detail", "compact or full", None),
    )


# ---- the work -------------------------------------------------------------------------


def decide(
    snapshot: Snapshot,
    case: Mapping[str, Any],
    *,
    as_of: dt.date | None = None,
    lang: str = "en",
    explain: bool = False,
    where: str = "",
) -> Decision:
    """The decision for a case; ProblemError (422) naming every bad field when it has some."""
    try:
        return snapshot.policy.evaluate(case, as_of=as_of, lang=lang, explain=explain)
    except CaseError as error:
        raise case_problem(error, where) from None
    except ArgumentError as error:  # a binding limit, a language: the request's fault
        raise problem("invalid-case", "The case cannot be decided", 422, str(error)) from None


def new_id() -> str:
    """A decision's id: unique, unguessable, and sortable by nothing (a UUID 4)."""
    return str(uuid.uuid4())


def decision_body(decision: Decision, decision_id: str, detail: str = "compact") -> dict[str, Any]:
    """The decision's stable JSON form (eval/decision.py) in a `detail`, with its id."""
    return {"id": decision_id, **decision.to_dict(detail)}


def questions_body(snapshot: Snapshot, decision: Decision, skip: frozenset[str]) -> dict[str, Any]:
    """The open questions that can still change a decision, most decisive first, with
    what each takes for an answer, and the decision so far in a few words."""
    policy = snapshot.policy
    catalogue = policy.checked.messages
    lang = decision.lang
    found = []
    for q in interview.questions(policy, decision, skip):
        found.append(
            {
                "fact": q.fact,
                "text": q.text,
                "kind": q.kind,
                "hint": q.hint(lang, catalogue),
                "choices": [
                    {"code": code, "label": _code_label(policy, q.fact, code, lang)}
                    for code in q.choices
                ]
                if q.kind in ("code", "codes")
                else [],
                "range": list(q.choices[0].split("..")) if q.kind == "int" and q.choices else [],
                "rules": list(q.rules),
            }
        )
    return {"questions": found, "summary": summary(snapshot, decision)}


def _code_label(policy: Policy, fact: str, code: str, lang: str) -> str:
    """An enum code's label in a language (the code itself when the enum has none)."""
    field = policy.schema.field_at(tuple(name for name, _ in split_path(fact)))
    type_ = field.type if field is not None else None
    element = getattr(type_, "element", type_)
    labels = getattr(element, "labels", None) or {}
    text = labels.get(code)
    return text.get(lang) if text is not None else code


def summary(snapshot: Snapshot, decision: Decision) -> dict[str, Any]:
    """The decision in a few words, in its language: the headline and each outcome's
    title with the labels of its codes (certain, and what unknown facts could add)."""
    checked = snapshot.policy.checked
    lang = decision.lang
    words = checked.messages.get(lang)
    outcomes = []
    for name, value in decision.outcomes.items():
        codes = value if isinstance(value, list | tuple) else [value]
        possible = decision.possible.get(name)
        could = possible if isinstance(possible, list | tuple) else [possible] if possible else []
        found = checked.outcomes.get(name)
        outcomes.append(
            {
                "outcome": name,
                "title": found.title.get(lang) if found and found.title else name,
                "codes": [str(c) for c in codes],
                "labels": [label(checked, name, str(c), lang) for c in codes],
                "could_add": [label(checked, name, str(c), lang) for c in could],
            }
        )
    return {
        "headline": headline_line(decision, words, checked),
        "outcomes": outcomes,
        "open_questions": len(decision.open_questions),
    }


def explanation(snapshot: Snapshot, case: Mapping[str, Any], decision: Decision, media: str) -> str:
    """The explanation of a decision for people, as HTML, Markdown or plain text."""
    checked = snapshot.policy.checked
    facts, _ = snapshot.policy.read_case(case)
    blocks = explain(checked, decision, case=facts)
    if media == "text/html":
        words = checked.messages.get(decision.lang)
        title = f"{snapshot.policy.name}: {headline_line(decision, words, checked)}"
        return to_html(blocks, title, decision.lang)
    if media == "text/markdown":
        return to_markdown(blocks)
    return to_text(blocks)


def choose_media(accept: str | None) -> str:
    """The explanation format an `Accept` header asks for (HTML when it names none we
    write, or `*/*`); ProblemError (406) when it accepts none of them."""
    if not accept:
        return "text/html"
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, number = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        wanted.append((-quality, position, media.lower()))
    for negative, _, media in sorted(wanted):
        if negative >= 0:
            continue
        if media in EXPLANATION_TYPES:
            return media
        if media in ("*/*", "text/*"):
            return "text/html"
    raise problem(
        "not-acceptable",
        "No explanation format accepted",
        406,
        f"Accept: {accept!r}; an explanation is written as {', '.join(EXPLANATION_TYPES)}",
        BadPlace("header.accept", "one of " + ", ".join(EXPLANATION_TYPES), None),
    )


# ---- batches ----------------------------------------------------------------------------


def batch_line(
    snapshot: Snapshot,
    raw: bytes,
    number: int,
    *,
    as_of: dt.date | None,
    lang: str,
    explain: bool,
) -> tuple[dict[str, Any], Decision | None, Mapping[str, Any] | None]:
    """One line of a batch: its output object, the decision (None for a bad line) and the
    case decided. The line is read and decided as `kspolicy eval --batch` does it
    (tools/caseline.py); a bad line's output is its CaseError as a problem, in place, with
    the line number."""
    try:
        result = decide_line(snapshot.policy, number, raw, as_of=as_of, lang=lang, explain=explain)
    except ArgumentError as error:  # a binding limit, a language: the request's fault
        failed = problem("invalid-case", "The case cannot be decided", 422, str(error))
        return _problem_line(number, failed), None, None
    if isinstance(result, Rejected):
        return _problem_line(number, case_problem(result.error)), None, None
    body = decision_body(result.decision, new_id())
    return {"line": number, "decision": body}, result.decision, result.case


def _problem_line(number: int, error: ProblemError) -> dict[str, Any]:
    body = error.problem.to_dict()
    body["line"] = number
    body["detail"] = f"line {number}: {body['detail']}"
    return {"line": number, "problem": body}


def dumps(data: Any) -> bytes:
    """Compact JSON, UTF-8, as the responses carry it: `json.dumps`' bytes, with `str`
    for what JSON has no form for, written faster when the extra `fast` is installed
    (tools/jsonline.py)."""
    return jsonline.dumps(data, default=str)


def too_large_line(number: int, message: str) -> dict[str, Any]:
    """The output of a batch line over a limit (`max_case_bytes`, the batch's lines or
    bytes): a `too-large` problem in its place, as `/v1/decisions` answers such a case."""
    error = problem(
        "too-large",
        "The line is too large",
        413,
        f"line {number}: {message}",
        BadPlace("", message, KSP406.number),
    )
    body = error.problem.to_dict()
    body["line"] = number
    return {"line": number, "problem": body}
