"""Adjudications lists: reviewers' answers to possible matches, read from a list file.

`kspolicy screen review` writes them (docs/screening.md, "Adjudication") as a list of
`kind = "adjudications"` beside a policy's other lists, so that they are loaded, hashed
and dated with the lists, and a decision stays a function of the policy's files and the
case. Each entry is one answer: which name (and country) was screened against which
list entry, the entry's sha256 then, confirmed or dismissed, by whom, when and why.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, get_args

from ..diagnostics import describe
from .lists import Adjudication, Ruling

RULINGS: tuple[Ruling, ...] = get_args(Ruling)
_FIELDS = ("list", "name", "country", "entry", "entry_sha256", "ruling", "by", "at", "why")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def read_adjudications(
    raw_entries: list[Any], problem: Callable[[str, str | None], None]
) -> tuple[Adjudication, ...]:
    """The adjudications of a list file's `entries`; each one wrong is reported through
    `problem(message, help)` and left out."""
    found: list[Adjudication] = []
    for number, raw in enumerate(raw_entries, start=1):
        where = f"adjudication {number}"
        if not isinstance(raw, dict):
            problem(f"{where} must be a table, not {describe(raw)}", None)
            continue
        unknown = [key for key in raw if key not in _FIELDS]
        if unknown:
            problem(f"{where} has an unknown key `{unknown[0]}`", f"it has: {', '.join(_FIELDS)}")
            continue
        texts = {}
        for key in ("list", "name", "entry", "entry_sha256", "by", "why"):
            value = raw.get(key)
            if not isinstance(value, str) or not value.strip():
                problem(f"{where} has no `{key}`", "`kspolicy screen review` writes every field")
                break
            texts[key] = value
        else:
            country = raw.get("country")
            ruling = raw.get("ruling")
            at = raw.get("at")
            if country is not None and not isinstance(country, str):
                problem(f"{where}: `country` must be a country code", None)
            elif ruling not in RULINGS:
                problem(
                    f'{where}: `ruling` must be "confirmed" or "dismissed", not {describe(ruling)}',
                    None,
                )
            elif not _SHA256.fullmatch(texts["entry_sha256"]):
                problem(f"{where}: `entry_sha256` is not a sha256", None)
            elif not isinstance(at, dt.date):
                problem(
                    f"{where}: `at` must be a date and time", "write it as 2026-01-31T10:00:00Z"
                )
            else:
                when = at if isinstance(at, dt.datetime) else dt.datetime.combine(at, dt.time())
                found.append(
                    Adjudication(
                        list=texts["list"],
                        name=texts["name"],
                        country=country.upper() if country else None,
                        entry=texts["entry"],
                        entry_sha256=texts["entry_sha256"],
                        ruling=ruling,
                        by=texts["by"],
                        at=when,
                        why=texts["why"],
                    )
                )
    return tuple(found)
