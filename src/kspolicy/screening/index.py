"""An index over a list's names, to screen one name against a million quickly.

Blocking: each name is filed under its words, their sound-alike keys (`names.skeleton`,
and the consonants of words in Arabic script) and, for an organisation, its initials.
A query looks up its own keys, the rarest first, and counts how many each listed name
shares; of the names sharing the most, those most alike by a quick similarity
(rapidfuzz's ratio of the words sorted: any order, each letter counts), those that
share the largest part of their own keys (`X LLC` for `X LLC Istanbul`) and the two
sharing the most keys are compared in full (`compare_folded`). Words
that a large part of the list shares (`trading`, `international`) are used only when
a name has nothing rarer, so a query costs about the same whatever the list's size.

What blocking can miss: a name whose every word is misspelt beyond its sound-alike key
(`Hwaewi` for `Huawei`). Lists carry such spellings as aliases.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from operator import itemgetter

import attrs

from ..diagnostics import ArgumentError
from . import _extra
from .matching import BANDS, Band, NameMatch, compare_folded
from .model import Alias, Entity, countries
from .names import STOPWORDS, Folded, Kind, consonants, fold, fold_uncached, skeleton

_SHORTLIST = 400  # names sharing the most keys, ranked by a quick similarity
_CANDIDATES = 6  # names of the shortlist compared in full, the most alike
_PARTS = 4  # and those most alike as parts (all of their words in the other name)
_SHARING = 2  # and those sharing the most keys, whatever their spelling (an acronym)
_SECOND = itemgetter(1)
_NO_COUNTRY, _SEVERAL = 0, 1  # the country codes of a name whose entity has none, several
_POSTINGS_BUDGET = 1500  # listed names counted per query, over all its keys


@attrs.frozen
class Candidate:
    """One listed entity a query may be, with the comparison that says how well.

    `via` is set when the entity was reached through one of its parts that the list
    names (a campus or subsidiary whose `parent` it is): the id of that part.
    """

    entity: Entity
    match: NameMatch
    via: str | None = None


@lru_cache(maxsize=1 << 17)
def _word_keys(token: str) -> tuple[str, ...]:
    """The keys one word files a name under: itself, its sound-alike key and its
    consonants (a vowel dropped or changed: `Crmova`, `Cormova`; Arabic script).
    Cached: a list's names share most of their words."""
    if len(token) < 4:
        return (token, "~" + skeleton(token))
    return (token, "~" + skeleton(token), "#" + consonants(token))


def _keys(folded: Folded) -> set[str]:
    keys: set[str] = set()
    for token in folded.tokens:
        keys.update(_word_keys(token))
    if folded.kind == "organization":
        words = [w[0] for w in folded.spelled if w not in STOPWORDS]
        if len(words) >= 2:
            keys.add("^" + "".join(words))
        if len(folded.tokens) == 1:
            keys.add("^" + folded.tokens[0])
        elif len(folded.tokens) <= 3 and all(len(t) <= 6 for t in folded.tokens):
            # Short words may be syllables written apart (`Hua Wei`): filed run together
            # too. Longer names are not, as the key would be the name's alone.
            keys.add(folded.compact)
    return keys


class ScreeningIndex:
    """The names (and aliases) of a list's entities, filed for screening one name."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._entities: list[Entity] = []
        self._by_id: dict[str, int] = {}
        self._names: list[str] = []
        self._folded: list[str] = []  # each name's tokens sorted, for the quick similarity
        self._size = array("B")  # how many keys each name is filed under (at most 255)
        self._owner = array("I")  # each name's entity, by number
        self._country = array("H")  # each name's country, by code (see `_codes`)
        self._codes: dict[str, int] = {}
        self._aliases: dict[int, Alias] = {}
        # A key of one name keeps its slot alone (most keys of a large list are), a key
        # of more an array of slots: four bytes a slot, not an int object and a pointer.
        postings: dict[str, int | array[int]] = {}
        for entity in entities:
            number = len(self._entities)
            self._entities.append(entity)
            self._by_id.setdefault(entity.id, number)
            for name, alias in entity.names():
                slot = len(self._names)
                self._names.append(name)
                self._owner.append(number)
                self._country.append(self._code(entity.countries))
                if alias is not None:
                    self._aliases[slot] = alias
                folded = fold_uncached(name, entity.kind)
                self._folded.append(" ".join(sorted(folded.tokens)))
                keys = _keys(folded)
                self._size.append(min(len(keys), 255))
                for key in keys:
                    slots = postings.get(key)
                    if slots is None:
                        postings[key] = slot
                    elif isinstance(slots, int):
                        postings[key] = array("I", (slots, slot))
                    else:
                        slots.append(slot)
        self._postings = postings

    def _code(self, countries: tuple[str, ...]) -> int:
        if not countries:
            return _NO_COUNTRY
        if len(countries) > 1 or len(self._codes) > 65000:  # a code is two bytes
            return _SEVERAL
        return self._codes.setdefault(countries[0], len(self._codes) + 2)

    def __len__(self) -> int:
        return len(self._entities)

    def entity(self, entity_id: str) -> Entity | None:
        """The entity of an id, if the list has it."""
        number = self._by_id.get(entity_id)
        return None if number is None else self._entities[number]

    def _slots(self, folded: Folded, mine: frozenset[str]) -> list[int]:
        found: list[tuple[int, Sequence[int]]] = []
        for key in _keys(folded):
            filed = self._postings.get(key)
            if isinstance(filed, int):
                found.append((1, (filed,)))
            elif filed is not None:
                found.append((len(filed), filed))
        found.sort(key=lambda item: item[0])
        chosen: list[Sequence[int]] = []
        budget = _POSTINGS_BUDGET
        for count, slots in found:
            if chosen and count > budget:
                break
            chosen.append(slots[:budget])
            budget -= count
        # Counted rarest key first, so that among names sharing as many keys those that
        # share the rarest come first (a stable sort keeps the order of equal counts).
        counts = Counter(itertools.chain.from_iterable(chosen))
        if len(counts) > _SHORTLIST:
            ranked_counts = sorted(counts.items(), key=_SECOND, reverse=True)[:_SHORTLIST]
            shortlist = [slot for slot, _ in ranked_counts]
        else:
            shortlist = list(counts)
        if len(shortlist) <= _CANDIDATES + _PARTS + _SHARING:
            return shortlist
        if mine:
            # Names that may be in the query's country first, so that they win ties: a
            # list may hold one short name in several countries, and only one of them
            # is a match.
            near = {_NO_COUNTRY, _SEVERAL} | {self._codes[c] for c in mine if c in self._codes}
            where = self._country
            shortlist = [s for s in shortlist if where[s] in near] + [
                s for s in shortlist if where[s] not in near
            ]
        alike = _extra.extract()(
            " ".join(sorted(folded.tokens)),
            list(itemgetter(*shortlist)(self._folded)),  # more than one: a tuple
            limit=_CANDIDATES,
        )
        # A part: a listed name filed under few keys besides those it shares (`X LLC`
        # for `X LLC Istanbul`), which a similarity of the whole names ranks low.
        sizes = self._size
        coverage = [counts[slot] / sizes[slot] for slot in shortlist]
        parts = sorted(range(len(shortlist)), key=coverage.__getitem__, reverse=True)[:_PARTS]
        kept = dict.fromkeys(shortlist[:_SHARING])
        kept.update(dict.fromkeys(shortlist[position] for position, _ in alike))
        kept.update(dict.fromkeys(shortlist[position] for position in parts))
        return list(kept)

    def query(
        self,
        name: str,
        *,
        country: str | Iterable[str] | None = None,
        kind: Kind | None = None,
        limit: int = 10,
        lowest: Band = "possible",
    ) -> list[Candidate]:
        """The listed entities `name` may be, best first, down to the band `lowest`.

        `kind` limits the query to organisations or persons (both when None). A
        campus or subsidiary the list names also brings its parent, with `via` set.
        """
        if lowest not in BANDS:
            raise ArgumentError(f"lowest is one of {', '.join(BANDS)}, not {lowest!r}")
        wanted = BANDS.index(lowest)
        mine = countries(country)
        kinds: tuple[Kind, ...] = (kind,) if kind else ("organization", "person")
        best: dict[int, Candidate] = {}
        for each in kinds:
            folded = fold(name, each)
            for slot in self._slots(folded, mine):
                number = self._owner[slot]
                entity = self._entities[number]
                if entity.kind != each:
                    continue
                listed = fold(self._names[slot], each)
                match = compare_folded(
                    folded, listed, mine, countries(entity.countries), self._aliases.get(slot)
                )
                if BANDS.index(match.band) > wanted:
                    continue
                self._keep(best, number, Candidate(entity, match))
                parent = self._by_id.get(entity.parent) if entity.parent else None
                if parent is not None and parent != number:
                    self._keep(best, parent, Candidate(self._entities[parent], match, entity.id))
        ranked = sorted(best.values(), key=_order)
        return ranked[:limit]

    @staticmethod
    def _keep(best: dict[int, Candidate], number: int, candidate: Candidate) -> None:
        old = best.get(number)
        if old is None or _order(candidate) < _order(old):
            best[number] = candidate


def _order(candidate: Candidate) -> tuple[int, float, int, str]:
    match = candidate.match
    return (
        BANDS.index(match.band),
        -match.score,
        0 if candidate.via is None else 1,
        candidate.entity.id,
    )
