"""What a name and a country given to screening must be, said once for every entry point.

`kspolicy screen` (name, batch rows, review), `POST /v1/screen` and the adjudications a
policy reads all take a name and a country from people or other systems. The rules are
here, below all of them, so that each refuses the same input with the same words: a name
with nothing printable in it would screen as nothing (and an answer for it would apply
to nothing); a country that is not a two-letter code (`Germany`, `China`) never equals
the `DE` or `CN` of an entry, so its name would silently answer `none`; and a name
longer than the limit `max_name_chars` costs seconds of comparing for nothing a
real name needs.
"""

from __future__ import annotations

import re

_COUNTRY = re.compile(r"[A-Za-z]{2}")


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


def country_problem(country: str) -> str | None:
    """What is wrong with a country given with a name (None: a two-letter code)."""
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
