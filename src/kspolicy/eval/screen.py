"""`name matches LIST` for an entities list: a name screened, in three answers.

The bands of `kspolicy.screening` map onto the language's three values: a `match` is
true, no match is false, and a `possible` match is unknown, a question for a person
(docs/screening.md). A list can also be unable to answer, and then a name it does not
find is unknown, never clean ("not covered"):

- the list is older than its `max_age` on the date of the decision (`NamedList.is_stale`);
- the list `covers` some countries only, and the name is from another one, or its
  country is unknown (then the country is the open question).

A reviewer's answer (`kspolicy screen review`, an adjudications list) settles a
candidate: confirmed, it is a match; dismissed, it is no candidate, for as long as the
list entry hashes as it did when it was reviewed (`Entry.sha256`).

One `Screener` per policy, list and date does this for both runners: the traced
evaluation (which records the evidence) and the fast path (which calls it from
generated code through a constant slot, so a case's name is never part of any code).
That is why they agree. Without the optional libraries of the `screening` extra, a
graded list falls back to exact folding (as `matching = "exact"`), with a warning.

Where the name's country comes from: the same record's field `<field>_country`, else
`<first word of field>_country`, else `country` (`partner.name` reads `partner.country`,
`researcher.home_institution` reads `researcher.home_country`); see `country_field`.
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
import weakref
from collections.abc import Iterable
from typing import Any

import attrs

from ..diagnostics import did_you_mean
from ..lang import checked as c
from ..lang.lists import Adjudication, Entry, NamedList, fold_name
from ..lang.reviews import case_countries
from ..lang.schema import RecordType, Schema
from ..screening import (
    Alias,
    Entity,
    Kind,
    NameMatch,
    ScreeningIndex,
    ScreeningUnavailable,
)
from ..screening.inputs import Countries, country_code
from ..screening.roster import Roster
from .decision import Match

_INDEX_FROM = 2000
"""A list with more names than this is screened through a `ScreeningIndex`; a shorter
one by comparing the name with every entity (what the reference interpreter does)."""
_MEMO = 4096  # names remembered per screener (a batch screens the same partners often)


class ScreeningFallback(UserWarning):
    """Entity lists are compared by exact folding: the `screening` extra is missing."""


@attrs.frozen
class Screened:
    """What a list says of one name: `value` (True, False, or None for unknown), the
    candidate entry with its evidence (`hit`), and, when the list cannot answer, why
    (`uncovered`) or that the name's country must be known first (`needs_country`)."""

    value: bool | None
    hit: Hit | None = None
    uncovered: str | None = None
    needs_country: bool = False


@attrs.frozen
class Hit:
    """The entry a name was found to be (or may be), and how well it matched."""

    entry: str
    band: str
    score: float
    rule: str
    evidence: str
    alias: str | None
    entry_sha256: str
    adjudication: str | None = None


def screening_fact(path: str, list_name: str) -> str:
    """What stays unknown when a name may be on a list: `partners[0].name matches LIST`.
    An open question about it asks whether the name is the entity (`runtime`); the
    compiler, the fast path and the runtime all write it with this."""
    return f"{path} matches {list_name}"


def country_field(schema: Schema, subject: c.Expr) -> c.Fact | None:
    """The fact holding the country of a name read from `subject`, if its record has one."""
    if not isinstance(subject, c.Fact) or not subject.fields:
        return None
    *path, last = subject.fields
    record = _record_of(schema, subject)
    if record is None:
        return None
    wanted = (f"{last}_country", f"{last.split('_')[0]}_country", "country")
    for name in wanted:
        field = record.fields.get(name)
        if field is not None:
            return c.Fact(subject.base, (*path, name), field.type, subject.node)
    return None


def _record_of(schema: Schema, subject: c.Fact) -> RecordType | None:
    """The record type that holds the subject's last field."""
    record: Any
    if subject.base is None:
        record = schema.root
    else:
        binder = schema.binders.get(subject.base)
        if binder is None:
            return None  # a quantifier's variable: its record is not known here
        record = binder.element
    for name in subject.fields[:-1]:
        field = record.fields.get(name) if isinstance(record, RecordType) else None
        record = getattr(field, "type", None)
    return record if isinstance(record, RecordType) else None


class Reviews:
    """A policy's adjudications, by list, name screened (folded), country and entry;
    the latest answer for each."""

    def __init__(self, lists: Iterable[NamedList]) -> None:
        self._found: dict[tuple[str, str, str | None, str], Adjudication] = {}
        for named in lists:
            for answer in named.adjudications:
                # The country tidied as a case's is (`screen`): an answer's is kept as
                # written, and where the policy lets a case write `cn`, so may an answer.
                country = country_code(answer.country)
                key = (answer.list, fold_name(answer.name), country, answer.entry)
                old = self._found.get(key)
                if old is None or _aware(answer.at) >= _aware(old.at):
                    self._found[key] = answer
        # Most lists have no answers: their candidates need not fold the name to look.
        self._lists = frozenset(key[0] for key in self._found)

    def get(
        self, list_name: str, name: str, country: str | None, entry: str
    ) -> Adjudication | None:
        """The answer given for this name (and country) and this entry, if any."""
        if list_name not in self._lists:
            return None
        return self._found.get((list_name, fold_name(name), country, entry))


def dismissal_note(answer: Adjudication) -> str:
    """A dismissal in words, as `screen name` and `/v1/screen` say it beside a name with
    no candidate: which entry, by whom, on which day (UTC), why."""
    day = _aware(answer.at).date().isoformat()
    return f"{answer.entry} dismissed by {answer.by} on {day}: {answer.why}"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def entity_of(entry: Entry, number: int) -> Entity:
    """A list entry as screening sees it (its id: its place in the list)."""
    aliases = [Alias(a) for a in entry.aliases] + [Alias(a, "weak") for a in entry.weak_aliases]
    kind: Kind = "person" if entry.type == "person" else "organization"
    return Entity(str(number), entry.key, kind, aliases, entry.countries)


class Screener:
    """Screens names against one list on one date, with a policy's adjudications."""

    def __init__(self, named: NamedList, as_of: dt.date, reviews: Reviews) -> None:
        self.named = named
        self.as_of = as_of
        self.reviews = reviews
        self.entries = named.entries_on(as_of)
        self.stale = named.is_stale(as_of)
        self.covers = frozenset(named.covers)
        self.graded = named.matching == "graded"
        self._entities = [entity_of(e, i) for i, e in enumerate(self.entries)]
        self._index: ScreeningIndex | None = None
        self._short: Roster | None = None
        self._indexed = sum(1 + len(e.aliases) for e in self._entities) > _INDEX_FROM
        self._digests: dict[int, str] = {}  # each entry's sha256, by the entry's id
        self._by_id: dict[int, Entry] | None = None
        self._exact: dict[str, tuple[Entry, str | None]] | None = None
        self._memo: dict[tuple[str, str | None], Screened] = {}
        self._anywhere: dict[str, tuple[tuple[Entry, NameMatch], ...]] = {}
        self._lock = threading.Lock()

    def __call__(self, name: Any, country: Any = None) -> bool | None:
        """The value of `name matches LIST` (None for an unknown name)."""
        if name is None:
            return None
        return self.screen(str(name), country).value

    def screen(self, name: str, country: Any = None) -> Screened:
        """What the list says of a name from a country (None: unknown)."""
        # Tidied as `kspolicy screen` and /v1/screen tidy a country, so that the three
        # ways of screening a name say the same of ` cn `.
        code = country_code(str(country)) if country is not None else None
        key = (name, code)
        found = self._memo.get(key)
        if found is None:
            found = self._screen(name, code)
            if len(self._memo) >= _MEMO:
                self._memo.clear()
            self._memo[key] = found
        return found

    def dismissal(self, name: str, country: Any = None) -> Adjudication | None:
        """The reviewer's dismissal that took a candidate out for this name and country
        (the latest, if several): why a name the list has candidates for is answered
        `none`. None when no candidate was dismissed: a name that never was one (an
        answer written by hand for it explains nothing), or an entry changed since."""
        code = country_code(str(country)) if country is not None else None
        found = []
        for entry, _ in self._candidates(name, code):
            answer = self.reviews.get(self.named.name, name, code, entry.key)
            if (
                answer is not None
                and answer.ruling == "dismissed"
                and answer.entry_sha256 == self._digest(entry)
            ):
                found.append(answer)
        return max(found, key=lambda answer: _aware(answer.at), default=None)

    def candidate(self, name: str, country: Any, key: str) -> bool:
        """Whether the entry `key` is one of the name's candidates from this country (a
        dismissed one too): the only entries a reviewer's answer for the name is read
        for."""
        code = country_code(str(country)) if country is not None else None
        return any(entry.key == key for entry, _ in self._candidates(name, code))

    def _digest(self, entry: Entry) -> str:
        """An entry's sha256, made once (the entries are the screener's: their ids stay
        theirs)."""
        digest = self._digests.get(id(entry))
        if digest is None:
            digest = self._digests[id(entry)] = entry.sha256()
        return digest

    # ---- the candidates --------------------------------------------------------------

    def _candidates(self, name: str, country: str | None) -> list[tuple[Entry, NameMatch]]:
        if not self.graded:
            return self._exactly(name)
        try:
            found = (
                self._compared(name, country)
                if country is not None
                else list(self._compared_anywhere(name))
            )
            if country is not None:
                # A name that matches whatever its country (the full name, a strong
                # alias) stays a match when the case gives another country: the case's
                # country may be wrong, or a campus abroad. So a country confirms an
                # abbreviation (BIT in China) or rules one out (BIT in India), and never
                # lowers a certain match (DOMAIN principle 1: a risk country added to a
                # case never lowers an outcome).
                anywhere = {
                    id(entry): match
                    for entry, match in self._compared_anywhere(name)
                    if match.band == "match"
                }
                merged = []
                for entry, match in found:  # each entry once: popped whatever its band
                    certain = anywhere.pop(id(entry), None)
                    kept = match if certain is None or match.band == "match" else certain
                    merged.append((entry, kept))
                found = merged
                if anywhere:
                    by_id = self._by_id
                    if by_id is None:
                        by_id = self._by_id = {id(e): e for e in self.entries}
                    found += [
                        (by_id[key], match) for key, match in anywhere.items() if key in by_id
                    ]
            return found
        except ScreeningUnavailable as missing:
            warnings.warn(
                f"{self.named.name}: names are compared by exact folding: {missing}",
                ScreeningFallback,
                stacklevel=2,
            )
            self.graded = False
            return self._exactly(name)

    def _compared_anywhere(self, name: str) -> tuple[tuple[Entry, NameMatch], ...]:
        """`_compared(name, None)`, once per name: a name screened from many countries
        (a batch of cases) asks it for each, and it is most of a cold screening's cost."""
        found = self._anywhere.get(name)
        if found is None:
            found = tuple(self._compared(name, None))
            if len(self._anywhere) >= _MEMO:
                self._anywhere.clear()
            self._anywhere[name] = found
        return found

    def _compared(self, name: str, country: str | None) -> list[tuple[Entry, NameMatch]]:
        """The entries a name may be (band match or possible), with their comparison."""
        if self._indexed:
            return [
                (self.entries[int(found.entity.id)], found.match)
                for found in self._built_index().query(name, country=country, limit=10)
            ]
        # `compare(name, entity, country_a=country)` for each entity, each comparison
        # made once per name and agreement of countries (`Roster`).
        entries = self.entries
        return [
            (entries[position], match) for position, match in self._roster().matches(name, country)
        ]

    def _roster(self) -> Roster:
        short = self._short
        if short is None:
            with self._lock:
                if self._short is None:
                    self._short = Roster(self._entities)
                short = self._short
        return short

    def _built_index(self) -> ScreeningIndex:
        with self._lock:
            if self._index is None:
                self._index = ScreeningIndex(self._entities)
            return self._index

    def _exactly(self, name: str) -> list[tuple[Entry, NameMatch]]:
        """Today's `matches`: the folded name equal to an entry's folded name or alias."""
        if self._exact is None:
            names: dict[str, tuple[Entry, str | None]] = {}
            for entry in self.entries:
                for alias in entry.aliases:  # a weak alias never matches on its own
                    names.setdefault(fold_name(alias), (entry, alias))
                names[fold_name(entry.key)] = (entry, None)
            self._exact = names
        found = self._exact.get(fold_name(name))
        if found is None:
            return []
        entry, alias_name = found
        return [(entry, _exact_match(name, entry.key, alias_name))]

    # ---- the answer ------------------------------------------------------------------

    def _screen(self, name: str, country: str | None) -> Screened:
        best: tuple[tuple[int, float], Hit] | None = None
        for entry, match in self._candidates(name, country):
            hit = self._hit(name, country, entry, match)
            if hit is None:
                continue
            rank = (0 if hit.band == "match" else 1, -hit.score)
            if best is None or rank < best[0]:
                best = (rank, hit)
        if best is not None:
            hit = best[1]
            return Screened(True if hit.band == "match" else None, hit)
        if self.stale:
            retrieved = self.named.retrieved
            age = self.named.max_age.days if self.named.max_age else 0
            why = (
                f"the list is out of date on {self.as_of} (retrieved {retrieved}, "
                f"at most {age} day{'' if age == 1 else 's'} old): import it again"
            )
            return Screened(None, uncovered=why)
        if self.covers:
            if country is None:
                return Screened(None, needs_country=True, uncovered=self._covers_why(None))
            if country not in self.covers:
                return Screened(None, uncovered=self._covers_why(country))
        return Screened(False)

    def _covers_why(self, country: str | None) -> str:
        covered = ", ".join(sorted(self.covers))
        if country is None:
            return f"the list covers names from {covered} only, and the country is unknown"
        return f"the list covers names from {covered} only, not from {country}"

    def _hit(self, name: str, country: str | None, entry: Entry, match: NameMatch) -> Hit | None:
        """The candidate as the decision records it, after any adjudication; None when a
        reviewer dismissed it (and the entry has not changed since)."""
        digest = self._digest(entry)
        band, note = match.band, None
        answer = self.reviews.get(self.named.name, name, country, entry.key)
        if answer is not None:
            day = _aware(answer.at).date().isoformat()
            if answer.ruling == "confirmed":
                band, note = "match", f"confirmed by {answer.by} on {day}: {answer.why}"
            elif answer.entry_sha256 == digest:
                return None
            else:
                note = (
                    f"dismissed by {answer.by} on {day}, but the entry has changed since: "
                    "the dismissal no longer holds"
                )
        evidence = _evidence(match, country, entry)
        if self.stale:
            evidence += "; the list is out of date"
        alias = match.evidence.alias
        return Hit(
            entry=entry.key,
            band=band,
            score=match.score,
            rule=match.evidence.rule,
            evidence=evidence,
            alias=alias.name if alias is not None else None,
            entry_sha256=digest,
            adjudication=note,
        )


def _exact_match(name: str, key: str, alias: str | None) -> NameMatch:
    from ..screening import Evidence

    evidence = Evidence("exact-folding", name, alias or key, alias=Alias(alias) if alias else None)
    return NameMatch(1.0, "match", evidence)


def _evidence(match: NameMatch, country: str | None, entry: Entry) -> str:
    """The evidence in a few words: score, countries, alias, rule, notes."""
    parts = [f"score {match.score:.2f}"]
    if country and entry.countries:
        same = country in entry.countries
        parts.append(
            "same country" if same else f"{country}, listed in {', '.join(entry.countries)}"
        )
    elif entry.countries:
        parts.append(f"country unknown, listed in {', '.join(entry.countries)}")
    alias = match.evidence.alias
    if alias is not None:
        parts.append(f"{'weak ' if alias.quality == 'weak' else ''}alias {alias.name}")
    parts.append(f"rule {match.evidence.rule}")
    parts.extend(match.evidence.notes)
    return ", ".join(parts)


# One screener per policy, list and date, shared by the runners of a compiled policy.
_screeners: weakref.WeakKeyDictionary[c.Policy, dict[tuple[str, dt.date], Screener]] = (
    weakref.WeakKeyDictionary()
)
_reviews: weakref.WeakKeyDictionary[c.Policy, Reviews] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def screener(policy: c.Policy, named: NamedList, as_of: dt.date) -> Screener:
    """The screener of a list of a policy on a date (made once, then shared)."""
    with _lock:
        reviews = _reviews.get(policy)
        if reviews is None:
            reviews = _reviews[policy] = Reviews(policy.lists.values())
        mine = _screeners.setdefault(policy, {})
        found = mine.get((named.name, as_of))
        if found is None or found.named is not named:
            if len(mine) > 256:
                mine.clear()
            found = mine[(named.name, as_of)] = Screener(named, as_of, reviews)
        return found


def screen_record(named: NamedList, path: str, value: str, hit: Hit) -> Match:
    """The decision's record of a candidate: the entry, band, score and evidence."""
    return Match(
        named.name,
        hit.entry,
        path,
        value,
        hit.alias,
        band=hit.band,
        score=hit.score,
        rule=hit.rule,
        evidence=hit.evidence,
        source=named.source or None,
        source_url=named.source_url,
        sha256=named.sha256,
        entry_sha256=hit.entry_sha256,
        adjudication=hit.adjudication,
    )


def uncovered_record(named: NamedList, path: str, value: str, why: str) -> Match:
    """The record of a name a list cannot answer for: no entry, band `uncovered`."""
    return Match(
        named.name,
        "",
        path,
        value,
        band="uncovered",
        evidence=why,
        source=named.source or None,
        source_url=named.source_url,
        sha256=named.sha256,
    )


#: A screening's answers, from the strongest: a name screened against several lists
#: answers the strongest of theirs. `kspolicy screen` and `POST /v1/screen` both answer
#: with `answer` and `strongest`, so the two never disagree on a name.
ANSWERS = ("match", "possible", "not covered", "none")


def answer(result: Screened) -> str:
    """What a list answers of a name, one of `ANSWERS`: its candidate's band (match,
    possible), none, or not covered (the list cannot answer: `result.uncovered` says
    why, or the name's country is needed)."""
    if result.hit is not None:
        return result.hit.band
    return "none" if result.value is False else "not covered"


def strongest(answers: Iterable[str]) -> str:
    """The strongest of some lists' answers (`ANSWERS`): a name's answer."""
    return min(answers, key=ANSWERS.index)


# ---- what a name to screen is checked against (the CLI's `screen` and /v1/screen) -----

_COUNTRIES: weakref.WeakKeyDictionary[Schema, Countries | None] = weakref.WeakKeyDictionary()


def policy_countries(policy: c.Policy) -> Countries | None:
    """The country codes the policy's cases hold (`reviews.case_countries`): where
    screening reads a name's country; None when no such field holds codes (then two
    letters are asked). Made once per schema."""
    schema = policy.schema
    if schema not in _COUNTRIES:
        _COUNTRIES[schema] = case_countries(schema)
    return _COUNTRIES[schema]


def unknown_list(policy: c.Policy, name: str) -> str:
    """What to say of a list named to screen against that is none of the policy's
    entities lists: unknown (with the one meant, if close), or a list of another kind,
    and the entities lists there are."""
    every = policy.lists
    entities = sorted(n for n, named in every.items() if named.kind == "entities")
    there = (
        f"the policy's entities lists are {', '.join(entities)}"
        if entities
        else "the policy has no entities list to screen names against"
    )
    if name in every:
        return f"`{name}` is a {every[name].kind} list, not an entities list: {there}"
    hint = did_you_mean(name, entities)
    return f"unknown entities list `{name}`: " + (f"{hint} ({there})" if hint else there)
