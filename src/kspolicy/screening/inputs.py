"""What a name and a country given to screening must be, said once for every entry point.

`kspolicy screen` (name, batch rows, review), `POST /v1/screen` and the adjudications a
policy reads all take a name and a country from people or other systems. The rules are
here, below all of them, so that each refuses the same input with the same words: a name
with nothing printable in it would screen as nothing (and an answer for it would apply
to nothing); a country that is not a two-letter code (`Germany`, `China`) never equals
the `DE` or `CN` of an entry, so its name would silently answer `none`; and a name
longer than the limit `max_name_chars` costs seconds of comparing for nothing a
real name needs.

A policy whose cases hold countries as codes of its own (the pack's `Country from
COUNTRIES`) has them read as a case's field is read (`Countries`): `XX`, `ZZ` or `cn` is
refused with the words a case gets, so that no review is stored, and no name screened,
for a country no case can hold.
"""

from __future__ import annotations

import re
from collections.abc import Collection

import attrs

from ..diagnostics import describe, did_you_mean

_COUNTRY = re.compile(r"[A-Za-z]{2}")


@attrs.frozen
class Countries:
    """The country codes a policy's cases may hold (its enum, such as `Country from
    COUNTRIES`), and how a case's messages name one (`a country code (ISO 3166-1
    alpha-2)`)."""

    codes: Collection[str]
    what: str


def blank(text: str) -> bool:
    """Whether a text has nothing printable in it: empty, spaces or control characters."""
    return all(ch.isspace() or not ch.isprintable() for ch in text)


def name_problem(name: str, max_chars: int) -> str | None:
    """What is wrong with a name to screen (None: nothing); `max_chars` is the limit
    `max_name_chars` (limits.Limits)."""
    if blank(name):
        return "the name is empty: give the name to screen"
    if len(name) > max_chars:
        return (
            f"the name has {len(name):,} characters; at most {max_chars:,} "
            "(the limit max_name_chars, docs/limits.md)"
        )
    return None


def country_problem(country: str, known: Countries | None = None) -> str | None:
    """What is wrong with a country given with a name (None: nothing): with the codes
    of the policy's cases (`known`), one of them exactly, in the words a case's field
    gets (`'XX' is not a country code (ISO 3166-1 alpha-2)`); without, two letters."""
    if known is not None:
        if country in known.codes:
            return None
        hint = did_you_mean(country, known.codes, quote="'")
        return f"{describe(country)} is not {known.what}" + (f"; {hint}" if hint else "")
    if _COUNTRY.fullmatch(country.strip()):
        return None
    return (
        f"{country[:20]!r} is no country code: write two letters (ISO 3166 alpha-2, CN), "
        "or leave the country out"
    )


def country_code(country: str | None) -> str | None:
    """A country given with a name, as it is screened and answered: the code in capitals,
    without spaces around it (` cn ` is `CN`); None when none is given. Check it first
    (`country_problem`): this tidies a code, it does not make one."""
    if country is None or not country.strip():
        return None
    return country.strip().upper()
