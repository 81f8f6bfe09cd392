"""What `POST /v1/screen` does, with no web framework: names in, what each list says out.

The names are screened as a decision's `name matches LIST` screens them, through the
policy's own screener (eval/screen.py: its bands, its adjudications, its stale and
`covers` rules), and as `kspolicy screen` shows them: the same answer, entry, score and
evidence for the same name, list and date. Each list's source and freshness is given
once, with the answers. Bad input raises `ProblemError` naming every bad place.

A screening is not recorded in the audit log: the log holds decisions (and reviewers'
answers), each of which `kspolicy replay` can decide again; a decision that screens a
name records the match and its evidence there itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..diagnostics import KSP408, KSP409, did_you_mean
from ..eval.screen import (
    Screener,
    answer,
    dismissal_note,
    policy_countries,
    screener,
    strongest,
    unknown_list,
)
from ..lang.lists import NamedList
from ..screening.inputs import country_code, country_problem, name_problem
from .core import Snapshot
from .models import ScreenName, ScreenRequest
from .problems import BadPlace, ProblemError, problem

#: The fields of the request and of each name; any other is a mistake, said so.
REQUEST_FIELDS = frozenset({"names", "lists"})
NAME_FIELDS = frozenset({"name", "country", "ref"})

#: The fields a request must have, and how to give each: said alike whether the field
#: is missing (Litestar's reading of the body stops there) or empty, so a client gets
#: one answer (422, the field's path) for both.
NEEDED = {
    "names": 'give at least one name to screen, as {"names": [{"name": "..."}]}',
    "name": 'give the name to screen, as {"name": "...", "country": "BE"}',
}


def unknown_fields(raw: Any) -> list[BadPlace]:
    """The fields of a request body (JSON already read) that the request has not."""
    places = []
    if isinstance(raw, Mapping):
        for key in raw:
            if key not in REQUEST_FIELDS:
                places.append(_unknown(str(key), REQUEST_FIELDS))
        names = raw.get("names")
        if isinstance(names, list):
            for i, item in enumerate(names):
                if isinstance(item, Mapping):
                    for key in item:
                        if key not in NAME_FIELDS:
                            places.append(_unknown(f"names[{i}].{key}", NAME_FIELDS, str(key)))
    return places


def _unknown(path: str, known: frozenset[str], key: str | None = None) -> BadPlace:
    hint = did_you_mean(key or path, sorted(known)) or f"the fields are {', '.join(sorted(known))}"
    return BadPlace(path, f"unknown field: {hint}", None)


def entity_lists(snapshot: Snapshot) -> dict[str, NamedList]:
    """The policy's entities lists (the lists `matches` screens names against), by name."""
    lists = snapshot.policy.checked.lists
    return {name: named for name, named in lists.items() if named.kind == "entities"}


def check(snapshot: Snapshot, request: ScreenRequest, places: Sequence[BadPlace] = ()) -> None:
    """Refuse (422) a request with a bad place, naming each: no names or too many (the
    limit `max_items`), a blank or too long name (`max_name_chars`, `max_text`), a
    country no case of the policy may hold, a list the policy does not have, and the
    `places` found before."""
    limits = snapshot.policy.limits
    known = policy_countries(snapshot.policy.checked)  # read as a case's country field is read
    found = list(places)
    if not request.names:
        found.append(BadPlace("names", f"`names` is empty: {NEEDED['names']}", None))
    if len(request.names) > limits.max_items:
        found.append(
            BadPlace(
                "names",
                f"{len(request.names):,} names; at most {limits.max_items:,} in one request"
                " (the limit max_items, docs/limits.md)",
                KSP409.number,
            )
        )
    for i, item in enumerate(request.names[: limits.max_items]):
        for field in ("name", "ref"):
            value = getattr(item, field)
            if value is not None and len(value) > limits.max_text:
                found.append(
                    BadPlace(
                        f"names[{i}].{field}",
                        f"{len(value):,} characters; at most {limits.max_text:,}"
                        " (the limit max_text, docs/limits.md)",
                        KSP408.number,
                    )
                )
        wrong = name_problem(item.name, limits.max_name_chars)
        if wrong is not None and len(item.name) <= limits.max_text:  # else said above
            found.append(BadPlace(f"names[{i}].name", wrong, None))
        wrong = country_problem(item.country, known) if item.country is not None else None
        if wrong is not None:
            found.append(BadPlace(f"names[{i}].country", wrong, None))
    lists = entity_lists(snapshot)
    for i, name in enumerate(request.lists or ()):
        if name not in lists:
            found.append(BadPlace(f"lists[{i}]", unknown_list(snapshot.policy.checked, name), None))
    if found:
        raise _refused(found)
    if not lists:
        raise problem(
            "no-lists",
            "The policy screens against no list",
            422,
            f"{snapshot.policy.name} has no entities list to screen names against"
            " (docs/screening.md)",
        )


def missing(where: str, field: str) -> ProblemError:
    """The answer (422) to a request without a field it must have: `field` of the object
    at `where` ("" for the body, `names[1]` for a name), named with how to give it, as a
    request with the field empty is answered (`check`)."""
    path = f"{where}.{field}" if where else field
    fix = NEEDED.get(field, "the request must have it (see /openapi.json)")
    return _refused([BadPlace(path, f"`{field}` is missing: {fix}", None)])


def _refused(places: list[BadPlace]) -> ProblemError:
    count = len(places)
    return problem(
        "invalid-request",
        "The request does not fit",
        422,
        f"the request has {count} problem{'s' * (count != 1)}; see errors",
        *places,
    )


def screen(snapshot: Snapshot, request: ScreenRequest, as_of: dt.date) -> dict[str, Any]:
    """The answer of `POST /v1/screen` for a checked request (`check`), as JSON data."""
    lists = entity_lists(snapshot)
    chosen = (
        [lists[n] for n in dict.fromkeys(request.lists)] if request.lists else list(lists.values())
    )
    policy = snapshot.policy
    screeners = [(named, screener(policy.checked, named, as_of)) for named in chosen]
    results = []
    for item in request.names:
        country = country_code(item.country)
        findings = [_finding(named, s, item.name, country) for named, s in screeners]
        scored = [f for f in findings if f["score"] is not None]
        top = max(scored, key=lambda f: (f["band"] == "match", f["score"]), default=None)
        results.append(
            {
                "name": item.name,
                "country": country,
                "ref": item.ref,
                "answer": strongest(f["answer"] for f in findings),
                "band": top["band"] if top is not None else "none",
                "score": top["score"] if top is not None else None,
                "findings": findings,
            }
        )
    return {
        "policy": {"name": policy.name, "version": policy.version, "sha256": policy.sha256},
        "as_of": as_of.isoformat(),
        "lists": [_described(named, s.stale, as_of, len(s.entries)) for named, s in screeners],
        "results": results,
    }


def _day(value: dt.date | None) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _described(named: NamedList, stale: bool, as_of: dt.date, entries: int) -> dict[str, Any]:
    retrieved = _day(named.retrieved)
    return {
        "name": named.name,
        "title": named.title_in("en"),
        "source": named.source,
        "source_url": named.source_url,
        "sha256": named.sha256,
        "retrieved": retrieved.isoformat() if retrieved else None,
        "max_age_days": named.max_age.days if named.max_age is not None else None,
        "age_days": (as_of - retrieved).days if retrieved else None,
        "stale": stale,
        "covers": list(named.covers),
        "matching": named.matching,
        "entries": entries,
    }


def _finding(
    named: NamedList, screening: Screener, name: str, country: str | None
) -> dict[str, Any]:
    """One list's answer for a name, as `kspolicy screen` gives it (tools/screen.py): a
    name with no candidate because a reviewer dismissed one says so in `adjudication`."""
    result = screening.screen(name, country)
    hit = result.hit
    adjudication = hit.adjudication if hit is not None else None
    if hit is None and result.value is False:
        dismissed = screening.dismissal(name, country)
        adjudication = dismissal_note(dismissed) if dismissed is not None else None
    retrieved = _day(named.retrieved)
    return {
        "list": named.name,
        "source": named.source,
        "retrieved": retrieved.isoformat() if retrieved else None,
        "stale": screening.stale,
        "answer": answer(result),
        "band": hit.band if hit is not None else "none",
        "score": hit.score if hit is not None else None,
        "entry": hit.entry if hit is not None else None,
        "entry_sha256": hit.entry_sha256 if hit is not None else None,
        "rule": hit.rule if hit is not None else None,
        "alias": hit.alias if hit is not None else None,
        "evidence": hit.evidence if hit is not None else None,
        "adjudication": adjudication,
        "uncovered": result.uncovered,
        "needs_country": result.needs_country,
    }


__all__ = ["ScreenName", "ScreenRequest", "check", "missing", "screen", "unknown_fields"]
