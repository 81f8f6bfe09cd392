"""Problem details (RFC 9457): what a request did wrong, with every bad path named.

Every error the service answers with is one of these, as `application/problem+json`:
`type` names the kind of problem (a URN, stable), `title` says it in words, `status` is
the HTTP status, `detail` this occurrence, and `errors` lists each bad place in the
request (`path` as the engine writes it, `partners[0].country`; the message; the
diagnostic code, whose section in docs/language.md says how to fix it).
"""

from __future__ import annotations

from typing import Any

import attrs

from ..diagnostics import KSP401, CaseError

MEDIA_TYPE = "application/problem+json"
PREFIX = "urn:kspolicy:problem:"


@attrs.frozen
class BadPlace:
    """One bad place in a request: where, what is wrong, and the diagnostic code."""

    path: str
    message: str
    code: str | None = None


@attrs.frozen
class Problem:
    """A problem-details document (RFC 9457) with the bad places of the request."""

    type: str
    title: str
    status: int
    detail: str
    errors: tuple[BadPlace, ...] = ()
    instance: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; `errors` only when there are some, `instance` only when known."""
        data: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            data["errors"] = [attrs.asdict(e) for e in self.errors]
        if self.instance is not None:
            data["instance"] = self.instance
        return data


class ProblemError(Exception):
    """Raised by a request's work to answer with a problem (the app turns it into one)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def problem(kind: str, title: str, status: int, detail: str, *places: BadPlace) -> ProblemError:
    """A ProblemError of a kind (the last part of its `type` URN)."""
    return ProblemError(Problem(PREFIX + kind, title, status, detail, tuple(places)))


def case_problem(error: CaseError, where: str = "") -> ProblemError:
    """A case that cannot be decided: 400 when it is not JSON at all (KSP401), 422 when it
    is JSON that does not fit the schema; every problem of the case is a bad place."""
    places = tuple(BadPlace(_join(where, p.path), p.message, p.code.number) for p in error.problems)
    if any(p.code is KSP401 for p in error.problems):
        return ProblemError(
            Problem(PREFIX + "malformed-body", "The body is not JSON", 400, _detail(error), places)
        )
    return ProblemError(
        Problem(
            PREFIX + "invalid-case",
            "The case does not fit the policy's schema",
            422,
            _detail(error),
            places,
        )
    )


def _detail(error: CaseError) -> str:
    count = len(error.problems)
    return f"the case has {count} problem{'s' * (count != 1)}; see errors"


def _join(where: str, path: str) -> str:
    if not where:
        return path
    if not path:
        return where
    return f"{where}{path}" if path.startswith("[") else f"{where}.{path}"
