"""Named lists: sets of codes and lists of entities, with their source and validity.

Lists live in TOML files next to a policy (see docs/language.md, "Lists"). A codes list
is a set (`RISK_COUNTRIES`); an entities list holds names with aliases (`SEVEN_SONS`)
that `matches` screens a name against (graded, docs/screening.md; or, with
`matching = "exact"`, after folding case, accents, punctuation and legal suffixes); a
records list holds reference data by key (`CONTACT_POINTS`), which a decision can carry;
an adjudications list holds reviewers' answers to possible matches (`kspolicy screen
review`), which later decisions use.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Container
from typing import Any, Literal, get_args

import attrs

from ..span import Span
from .validity import Validity

ListKind = Literal["codes", "entities", "records", "adjudications"]
"""What a list holds: codes (a set), entities (names with aliases), records (data by
key) or adjudications (reviewers' answers to possible matches)."""

Matching = Literal["graded", "exact"]
"""How `matches` compares a name with an entities list: graded (a score and a band, see
docs/screening.md) or exact (equal once folded, `fold_name`)."""

Ruling = Literal["confirmed", "dismissed"]
"""A reviewer's answer to a possible match: it is the entity, or it is not."""

LIST_KINDS: tuple[ListKind, ...] = get_args(ListKind)


@attrs.frozen(eq=False)
class Entry(Validity):
    """One entry: a code, or an entity's name with its aliases; valid in a period."""

    key: str
    aliases: tuple[str, ...] = ()
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    note: str | None = None
    span: Span | None = None
    data: dict[str, Any] = attrs.Factory(dict)
    # What an imported sanctions list says of an entity (docs/screening-import.md): the
    # source's own reference, person or organisation, aliases that must not match on
    # their own, countries (ISO codes), programmes and the listing and delisting dates.
    ref: str | None = None
    type: str | None = None
    weak_aliases: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    listed: dt.date | None = None
    delisted: dt.date | None = None

    def sha256(self) -> str:
        """The sha256 of what the entry says of an entity: its names, countries, type,
        reference, programmes and dates. An adjudication names it, so that a dismissal
        stops holding when the entry changes (a new alias, another country)."""
        content = {
            "key": self.key,
            "aliases": list(self.aliases),
            "weak_aliases": list(self.weak_aliases),
            "countries": sorted(self.countries),
            "type": self.type,
            "ref": self.ref,
            "programmes": list(self.programmes),
            "valid_from": _day(self.valid_from),
            "valid_until": _day(self.valid_until),
        }
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


@attrs.frozen
class Adjudication:
    """A reviewer's answer to whether a name screened is an entity of a list.

    `name` and `country` are the name as screened and its country (None when it was not
    known); `entry` the key of the list's entry and `entry_sha256` that entry's hash
    when it was reviewed (`Entry.sha256`). A dismissal holds only while the entry hashes
    the same; a confirmation holds while the entry is on the list.
    """

    list: str
    name: str
    country: str | None
    entry: str
    entry_sha256: str
    ruling: Ruling
    by: str
    at: dt.datetime
    why: str


class Entries:
    """The entries of a list as they are read, refusing a key listed twice at once.

    The same key may return in another period (a contact that changed), not twice on
    one day. Each key's periods are kept sorted, so that a new entry is compared with
    its neighbours only: a list of 200,000 entries is read in linear time, where
    comparing each entry with all before it took minutes.
    """

    def __init__(self) -> None:
        self.accepted: list[Entry] = []
        # Per key: the starts and ends of its accepted periods, which never overlap,
        # sorted (by start, and so by end too).
        self._periods: dict[str, tuple[list[dt.date], list[dt.date]]] = {}

    def add(self, entry: Entry) -> bool:
        """Add an entry; False (and not added) if its key is listed on a common day."""
        start, end = entry.period
        periods = self._periods.get(entry.key)
        if periods is None:
            self._periods[entry.key] = ([start], [end])
        else:
            starts, ends = periods
            at = bisect.bisect_right(starts, start)
            if (at > 0 and ends[at - 1] >= start) or (at < len(starts) and starts[at] <= end):
                return False
            starts.insert(at, start)
            ends.insert(at, end)
        self.accepted.append(entry)
        return True


@attrs.frozen(eq=False)
class NamedList(Validity):
    """A list as declared in a list file, in force in a period (`valid_on`)."""

    name: str
    kind: ListKind
    entries: tuple[Entry, ...]
    source: str
    retrieved: dt.date | None
    title: str | None = None
    cite: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    span: Span | None = None
    # How old the list may get before a decision must not rely on it, the address it was
    # downloaded from and the sha256 of the file it was imported from.
    max_age: dt.timedelta | None = None
    source_url: str | None = None
    sha256: str | None = None
    # The countries whose names the list is complete for (an entities list; empty: all),
    # how `matches` compares names with it, and, for an adjudications list, its answers.
    covers: tuple[str, ...] = ()
    matching: Matching = "graded"
    adjudications: tuple[Adjudication, ...] = ()
    # The title in each language, where the file gives a table (`title = {en = "..."}`),
    # and the words for a records list's fields (`labels = {email = {nl = "e-mail"}}`).
    titles: dict[str, str] = attrs.Factory(dict)
    labels: dict[str, dict[str, str]] = attrs.Factory(dict)

    def title_in(self, lang: str) -> str:
        """The list's title in a language, else its title, else its name."""
        return self.titles.get(lang) or self.titles.get("en") or self.title or self.name

    def label_in(self, field: str, lang: str) -> str:
        """A records field's name in a language, as `labels` gives it, else the field."""
        return str(in_language(self.labels.get(field, field), lang))

    def is_stale(self, as_of: dt.date) -> bool:
        """Whether the list is older than its `max_age` on a day: a decision made with it
        then must treat what it would say as unknown. A list without `max_age` never is."""
        if self.max_age is None:
            return False
        if self.retrieved is None:
            return True
        taken = self.retrieved.date() if isinstance(self.retrieved, dt.datetime) else self.retrieved
        return as_of > taken + self.max_age

    def entries_on(self, day: dt.date) -> tuple[Entry, ...]:
        """The entries in force on a day (none when the list itself is not)."""
        if not self.valid_on(day):
            return ()
        return tuple(e for e in self.entries if e.valid_on(day))

    def codes(self) -> tuple[str, ...]:
        """Every entry's key, whatever its period."""
        return tuple(e.key for e in self.entries)


def in_language(value: Any, lang: str) -> Any:
    """A list value in a language: a table of texts by language gives the text in `lang`
    (else English, else its first); any other value is itself."""
    if isinstance(value, dict):
        found = value.get(lang) or value.get("en") or next(iter(value.values()), "")
        return str(found)
    return value


# Legal-form words dropped from the end of a name before comparing: "ZTE Corporation",
# "Huawei Technologies Co., Ltd." and "Huawei Technologies" all fold alike.
LEGAL_SUFFIXES = frozenset(
    """
    inc incorporated ltd limited co company corp corporation llc plc gmbh ag sa nv bv
    bvba srl spa oy ab kk pte pty jsc ojsc pjsc ooo oao zao llp lp
    """.split()
)

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def containing_code(code: object, container: Container[object]) -> str | None:
    """The member of `container` that a dotted code is, or descends from; None if none.

    `robotics.drones.small` is in a set holding `robotics.drones` or `robotics`.
    """
    text = str(code)
    while True:
        if text in container:
            return text
        if "." not in text:
            return None
        text = text.rsplit(".", 1)[0]


def fold_name(name: str) -> str:
    """A name reduced to what identifies it: no case, accents, punctuation or legal form."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NON_WORD.sub(" ", stripped.casefold().replace("_", " ")).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)
