"""A short list screened by comparing a name with every entity, each comparison made
once per name and agreement of countries.

Comparing a name with an entity depends on the name's country only through whether it
agrees with the entity's (`matching.compare_folded`: the same country, another, or one
of them unknown). With another country the evidence names the two countries, but the
score, band and which of the entity's names compares best do not change. So for each
name a `Roster` remembers, per entity and agreement, the best comparison (or that
there is none worth keeping): a name screened from a hundred countries is compared
with each entity at most three times, and only an entity it may be is compared again,
with the name's own country, for the evidence. A batch of cases screens a few hundred
names from many countries, and each new pair cost a full comparison with every entity
(~0.3 ms against the pack's lists). A name never seen before is first sifted
(`matching.may_match`, once per entity whatever the countries): only the entity's
names it may be alike are compared in full.

The answer is `compare(name, entity, country_a=country)` for each entity, those of band
`match` or `possible`, in the list's order (a test checks it against that).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .matching import NameMatch, best_of, compare_folded, may_match
from .model import Entity, countries
from .names import Folded, Kind, fold, fold_uncached

_UNSEEN: Final = -2  # an agreement not yet compared
_NOTHING: Final = -1  # compared: no name of the entity is a match or possible match
_CODES = 4096  # countries remembered (a case may give any text)
_SLOTS = 1 << 20  # names screened times names listed, at most: a long batch stays bounded
# Names remembered, at most, whatever the list's size: each costs ~1-2 KB besides its
# slots, so a list of one name must not keep a million (a review measured 0.5 GB per
# list and date for 200,000 new names).
_NAMES = 4096

# The three ways a name's country and an entity's agree: one of them is unknown, they
# share a country, they do not.
_UNKNOWN, _SAME, _OTHER = 0, 1, 2


class Roster:
    """The entities of a short list, to screen one name against all of them."""

    def __init__(self, entities: Sequence[Entity]) -> None:
        self._entities = tuple(entities)
        # Folded once (not through `fold`'s cache, which a long list would flush).
        self._listed = [
            [(fold_uncached(name, entity.kind), alias) for name, alias in entity.names()]
            for entity in self._entities
        ]
        self._countries = [countries(entity.countries) for entity in self._entities]
        self._kinds: tuple[Kind, ...] = tuple(dict.fromkeys(e.kind for e in self._entities))
        # Per name: its folded forms, and per agreement the position of the entity's
        # best name (or `_NOTHING`, `_UNSEEN`) with, where the countries do not enter
        # the evidence, the comparison itself.
        self._plans: dict[str, _Plan] = {}
        self._codes: dict[str | None, frozenset[str]] = {}  # `countries` of each country
        listed = max(1, sum(len(names) for names in self._listed))
        self._room = min(_NAMES, max(16, _SLOTS // listed))

    def __len__(self) -> int:
        return len(self._entities)

    def matches(self, name: str, country: str | None) -> list[tuple[int, NameMatch]]:
        """The entities `name` (from `country`, None: unknown) may be, by position in
        the list, each with its comparison: band `match` or `possible`, in list order."""
        mine = self._codes.get(country)
        if mine is None:
            if len(self._codes) >= _CODES:
                self._codes.clear()
            mine = self._codes[country] = countries(country)
        plan = self._plans.get(name)
        if plan is None:
            if len(self._plans) >= self._room:
                self._plans.clear()
            plan = self._plans[name] = _Plan(name, self._kinds, len(self._entities))
        found: list[tuple[int, NameMatch]] = []
        for position, theirs in enumerate(self._countries):
            if not mine or not theirs:
                agreement = _UNKNOWN
            else:
                agreement = _OTHER if mine.isdisjoint(theirs) else _SAME
            at = plan.best[agreement][position]
            if at == _NOTHING:
                continue
            kind = self._entities[position].kind
            if at == _UNSEEN:
                folded, listed = plan.folded[kind], self._listed[position]
                alike = plan.alike[position]
                if alike is None:  # the same whatever the countries: sifted once
                    alike = plan.alike[position] = tuple(
                        k for k, (name_b, _) in enumerate(listed) if may_match(folded, name_b)
                    )
                if not alike:
                    plan.best[agreement][position] = _NOTHING
                    continue
                # A name that cannot be alike has the band `none`: it neither wins over
                # a possible match nor changes which of those comes first.
                at, match = best_of(folded, [listed[k] for k in alike], mine, theirs)
                if match.band == "none":
                    plan.best[agreement][position] = _NOTHING
                    continue
                at = alike[at]
                if agreement != _OTHER:  # no country in the evidence: the same for all
                    plan.kept[agreement][position] = match  # before its position: threads
                plan.best[agreement][position] = at
            elif agreement == _OTHER:
                # The evidence names the two countries: compared again, that name only.
                name_b, alias = self._listed[position][at]
                match = compare_folded(plan.folded[kind], name_b, mine, theirs, alias)
            else:
                match = _kept(plan.kept[agreement][position])
            found.append((position, match))
        return found


class _Plan:
    """What one name's comparisons with a roster's entities found so far."""

    __slots__ = ("alike", "best", "folded", "kept")

    def __init__(self, name: str, kinds: tuple[Kind, ...], size: int) -> None:
        self.folded: dict[Kind, Folded] = {kind: fold(name, kind) for kind in kinds}
        self.best = [[_UNSEEN] * size for _ in range(3)]
        # Per entity, the positions of its names that `may_match` this one.
        self.alike: list[tuple[int, ...] | None] = [None] * size
        self.kept: list[list[NameMatch | None]] = [[None] * size for _ in range(2)]


def _kept(match: NameMatch | None) -> NameMatch:
    assert match is not None  # kept with its position
    return match
