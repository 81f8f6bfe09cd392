"""An index over a list's names, to screen one name against a million quickly.

Blocking: each name is filed under its words, their sound-alike keys (`names.skeleton`,
and the consonants of words in Arabic script) and, for an organisation, its initials.
A query looks up its own keys, the rarest first, and counts how many each listed name
shares; only the names sharing the most are compared in full (`compare_folded`). Words
that a large part of the list shares (`trading`, `international`) are used only when
a name has nothing rarer, so a query costs about the same whatever the list's size.

What blocking can miss: a name whose every word is misspelt beyond its sound-alike key
(`Hwaewi` for `Huawei`). Lists carry such spellings as aliases.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable

import attrs

from ..diagnostics import ArgumentError
from . import _extra
from .matching import BANDS, Band, NameMatch, compare_folded
from .model import Alias, Entity, countries
from .names import STOPWORDS, Folded, Kind, consonants, fold, fold_uncached, skeleton

_SHORTLIST = 200  # names sharing the most keys, ranked by a quick similarity
_CANDIDATES = 6  # names of the shortlist compared in full
_POSTINGS_BUDGET = 3000  # listed names counted per query, over all its keys


@attrs.frozen
class Candidate:
    """One listed entity a query may be, with the comparison that says how well.

    `via` is set when the entity was reached through one of its parts that the list
    names (a campus or subsidiary whose `parent` it is): the id of that part.
    """

    entity: Entity
    match: NameMatch
    via: str | None = None


def _keys(folded: Folded) -> set[str]:
    keys = set(folded.tokens)
    for token in folded.tokens:
        keys.add("~" + skeleton(token))
        if folded.abjad or folded.kind == "person":
            keys.add("#" + consonants(token))
    if folded.kind == "organization":
        words = [w for w in folded.spelled if w not in STOPWORDS]
        if len(words) >= 2:
            keys.add("^" + "".join(w[0] for w in words))
        if len(folded.tokens) == 1:
            keys.add("^" + folded.tokens[0])
        keys.add(folded.compact)
    return keys


class ScreeningIndex:
    """The names (and aliases) of a list's entities, filed for screening one name."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self._entities: list[Entity] = []
        self._by_id: dict[str, int] = {}
        self._names: list[str] = []
        self._folded: list[str] = []  # each name's tokens, for the quick similarity
        self._owner: list[int] = []
        self._aliases: dict[int, Alias] = {}
        postings: dict[str, list[int]] = {}
        for entity in entities:
            number = len(self._entities)
            self._entities.append(entity)
            self._by_id.setdefault(entity.id, number)
            for name, alias in entity.names():
                slot = len(self._names)
                self._names.append(name)
                self._owner.append(number)
                if alias is not None:
                    self._aliases[slot] = alias
                folded = fold_uncached(name, entity.kind)
                self._folded.append(" ".join(folded.tokens))
                for key in _keys(folded):
                    postings.setdefault(key, []).append(slot)
        # A word of one name is kept as its slot alone: most words of a large list are.
        self._postings: dict[str, int | tuple[int, ...]] = {
            key: slots[0] if len(slots) == 1 else tuple(slots) for key, slots in postings.items()
        }

    def __len__(self) -> int:
        return len(self._entities)

    def entity(self, entity_id: str) -> Entity | None:
        """The entity of an id, if the list has it."""
        number = self._by_id.get(entity_id)
        return None if number is None else self._entities[number]

    def _slots(self, folded: Folded) -> list[int]:
        found = []
        for key in _keys(folded):
            slots = self._postings.get(key)
            if slots is not None:
                found.append((1, (slots,)) if isinstance(slots, int) else (len(slots), slots))
        found.sort(key=lambda item: item[0])
        chosen: list[tuple[int, ...]] = []
        budget = _POSTINGS_BUDGET
        for size, slots in found:
            if chosen and size > budget:
                break
            chosen.append(slots[:budget])
            budget -= size
        counts = Counter(itertools.chain.from_iterable(chosen))
        shortlist = [slot for slot, _ in counts.most_common(_SHORTLIST)]
        if len(shortlist) <= _CANDIDATES:
            return shortlist
        ranked = _extra.extract()(
            " ".join(folded.tokens),
            [self._folded[slot] for slot in shortlist],
            limit=_CANDIDATES,
        )
        return [shortlist[position] for position in ranked]

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
            for slot in self._slots(folded):
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
