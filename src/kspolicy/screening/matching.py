"""Comparing two names: a score from 0 to 1, a band, and the evidence for both.

The rules are tried from the most to the least certain, and the first that applies
decides; the evidence names it:

- `exact`: the folded tokens are equal (legal forms, case, accents, punctuation,
  `&`/`and` and script aside).
- `word-order`: the same tokens in another order.
- `compact`: the same letters once the spaces are gone (`Hua Wei`, `Huawei`; pinyin
  run together or not).
- `acronym`: one name is the initials of the other. It counts only where the countries
  agree: with both countries unknown it is a possible match, with different countries
  none (BIT in India is not Beijing Institute of Technology).
- `part-of`: the first name is the second plus a place or a word for a part of a body
  (`Harbin Institute of Technology, Shenzhen`, `ZTE Deutschland GmbH`), and what they
  share is distinctive. The reverse (`parent-of`: the listed name is a part of the
  screened one) is a possible match only.
- `tokens`: the words aligned one to one by similarity (spelling and transliteration
  variants), weighted so that generic words (`university`, `technology`) count less
  than distinctive ones; two bodies whose institution types differ (`university`,
  `institute`) score lower; persons' names match when every word of the shorter name
  has its counterpart (a middle name or patronymic may be missing).

A country on both sides that differs keeps a name-only match at `possible`, and a weak
alias is never more than `possible`. The first name is the one screened (the partner),
the second the one listed: only `part-of` / `parent-of` tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Literal

import attrs

from ..diagnostics import ArgumentError
from . import _extra
from .model import Alias, Entity, countries
from .names import (
    ACRONYM_OPTIONAL,
    GENERIC,
    INSTITUTION_TYPES,
    KINDS,
    PLACES,
    STOPWORDS,
    STRUCTURE,
    Folded,
    Kind,
    consonants,
    consonants_without_h,
    fold,
    korean,
    skeleton,
)

Band = Literal["match", "possible", "none"]
BANDS: tuple[Band, ...] = ("match", "possible", "none")

MATCH_AT = 0.88
"""The lowest score of the `match` band."""
POSSIBLE_AT = 0.70
"""The lowest score of the `possible` band."""
_POSSIBLE_TOP = 0.87  # the highest score a capped comparison keeps: still `possible`
_TOKEN_AT = 0.75  # two words this alike may be one word spelt two ways
_PERSON_AT = 0.6  # the same for a person's names (each word counts more)
_COMPACT_AT = 0.9  # two organisations' names this alike run together are one name


@attrs.frozen
class TokenPair:
    """Two words taken as the same, with their similarity (1 for equal words)."""

    a: str
    b: str
    similarity: float


@attrs.frozen
class Evidence:
    """Why a comparison gave its score: the rule that decided, the two names compared
    (an alias where one gave the best score), the words matched, and notes."""

    rule: str
    a_name: str
    b_name: str
    tokens: tuple[TokenPair, ...] = ()
    alias: Alias | None = None
    notes: tuple[str, ...] = ()


@attrs.frozen
class NameMatch:
    """The result of a comparison: `score` (0 to 1), `band` and `evidence`."""

    score: float
    band: Band
    evidence: Evidence


def band_of(score: float) -> Band:
    """The band of a score."""
    if score >= MATCH_AT:
        return "match"
    if score >= POSSIBLE_AT:
        return "possible"
    return "none"


@attrs.frozen
class _Found:
    score: float
    rule: str
    tokens: tuple[TokenPair, ...] = ()
    notes: tuple[str, ...] = ()


def _weight(token: str) -> float:
    if token in GENERIC or token in INSTITUTION_TYPES or token in STRUCTURE:
        return 0.35
    if token in PLACES:
        return 0.6
    return 1.0


def _distinctive(token: str) -> bool:
    return token not in GENERIC and token not in INSTITUTION_TYPES and token not in STRUCTURE


def _proper(token: str) -> bool:
    """A word that names: neither generic, nor a place, nor a number (`14th`)."""
    return _distinctive(token) and token not in PLACES and not token[:1].isdigit()


_VOWELS = "aeiou"


@lru_cache(maxsize=262144)
def _similarity(x: str, y: str, kind: Kind, abjad: bool, hangul: bool = False) -> float:
    """How alike two words are, 0 to 1.

    Equal words score 1, words equal once transliteration conventions are folded
    (`names.skeleton`: Yevgeny, Evgeniy, Jewgeni) 0.97. Any other difference scores at
    most 0.86, below the `match` band: Khalid and Khalil, Xiaoming and Xiaoling,
    Jiaxin and Jiaxing are different names as often as they are misspellings, so a
    person decides.
    """
    if x == y:
        return 1.0
    if kind == "person" and (len(x) == 1 or len(y) == 1):
        return 0.8 if x[0] == y[0] else 0.0  # an initial
    sx, sy = skeleton(x), skeleton(y)
    if sx == sy:
        return 0.97
    if kind == "organization" and not _distinctive(x) and not _distinctive(y):
        return 0.0  # two words of the vocabulary: electric and electronic are two words
    if hangul and korean(x) == korean(y):
        return 0.95  # two romanisations of one Korean word: Gim and Kim
    if kind == "person" and _gender_variant(x, y):
        return 0.5  # Alexander / Alexandra, Ivanov / Ivanova: two persons
    cx, cy = consonants(x), consonants(y)
    if abjad and (cx == cy or consonants_without_h(x) == consonants_without_h(y)):
        return 0.95  # Arabic script writes no short vowels: mhmd is Mohammed
    if kind == "person" and cx == cy and len(cx) >= 3 and x[0] == y[0]:
        # Only vowels differ: Khalid and Khaled, but also Mohamed and Mahmoud.
        return _POSSIBLE_TOP - 0.01
    if min(len(x), len(y)) <= 3:
        return 0.0  # short words differ by any letter: BIT is not BUT
    ratio = _extra.ratio()
    best = ratio(sx, sy)
    if abjad or min(len(cx), len(cy)) >= 5:
        best = max(best, 0.95 * ratio(cx, cy))
    # An organisation's name has more words to weigh, and a word spelt differently
    # keeps it `possible` (see `_organizations`); a person's has few, so each counts.
    return 0.86 * best if kind == "person" else min(best, 0.94)


def _gender_variant(x: str, y: str) -> bool:
    """Whether two given names or surnames differ only in a final vowel (François,
    Françoise; Giovanni, Giovanna; Belov, Belova)."""
    if len(x) > len(y):
        x, y = y, x
    if len(y) == len(x) + 1:
        return y.startswith(x) and y[-1] in _VOWELS
    return len(x) == len(y) and x[:-1] == y[:-1] and x[-1] in _VOWELS and y[-1] in _VOWELS


def _align(a: Folded, b: Folded, at: float = _TOKEN_AT) -> list[tuple[int, int, float]]:
    """Each word of one name paired with at most one of the other, the most alike first."""
    abjad = a.abjad or b.abjad
    hangul = a.hangul or b.hangul
    pairs = []
    for i, x in enumerate(a.tokens):
        for j, y in enumerate(b.tokens):
            sim = _similarity(x, y, a.kind, abjad, hangul)
            if sim >= at:
                pairs.append((sim, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    aligned = []
    for sim, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            aligned.append((i, j, sim))
    return aligned


_INITIALS_WITH_A_SECOND_LETTER = 3
"""The initials a reading needs where a word gives two letters (see `_acronym_of`)."""


def _acronym_of(short: str, words: tuple[str, ...], optional: frozenset[str]) -> bool:
    """Whether `short` is read off `words`: each word gives its first letter and perhaps
    one more of its letters (`NWPU`: Northwestern Polytechnical University); small words
    and the `optional` ones (`group`, `trading`) may give nothing.

    A second letter from a word is allowed only where at least three words give their
    initials: any word has letters to spare, so with two initials a short acronym can be
    read off nearly any name of two words (`HIT` off Huawei Technologies: h and i from
    Huawei, t from Technologies), while NWPU, AVIC and KOMID keep three initials.
    """
    # The most initials a reading of short[j:] off words[i:] can have; -1: none reads.
    memo: dict[tuple[int, int], int] = {}

    def go(i: int, j: int) -> int:
        if j == len(short):
            return 0 if all(w in STOPWORDS or w in optional for w in words[i:]) else -1
        if i == len(words):
            return -1
        key = (i, j)
        if key not in memo:
            word = words[i]
            best = go(i + 1, j) if word in STOPWORDS or word in optional else -1
            if word[0] == short[j]:
                rest = go(i + 1, j + 1)
                if rest >= 0:
                    best = max(best, rest + 1)
                if j + 1 < len(short) and short[j + 1] in word[1:]:
                    rest = go(i + 1, j + 2)
                    if rest >= 0:
                        best = max(best, rest + 1)
            memo[key] = best
        return memo[key]

    initials = go(0, 0)
    # Every letter an initial, or enough initials that a second letter is no stretch.
    return initials == len(short) or initials >= _INITIALS_WITH_A_SECOND_LETTER


_LOOSE_ACRONYM = ACRONYM_OPTIONAL | GENERIC


def _acronym(a: Folded, b: Folded) -> Literal["strict", "loose", None]:
    """Whether one name is the initials of the other, words both share set aside
    (`IIT Delhi`, `Indian Institute of Technology Delhi`): `strict` where every word
    gives its letter, `loose` where generic words gave none (`CASC`: China Aerospace
    Science and Technology Corporation), else None."""
    common = set(a.tokens) & set(b.tokens)
    loose = False
    for short, long in ((a, b), (b, a)):
        own = [t for t in short.tokens if t not in common]
        if len(own) != 1 or not 2 <= len(own[0]) <= 8:
            continue
        spelled = tuple(w for w in long.spelled if w not in common)
        if len([w for w in spelled if w not in STOPWORDS]) < 2:
            continue
        legal = tuple(w for form in long.legal_forms for w in form.split())
        for words in (spelled, spelled + legal) if legal else (spelled,):
            if _acronym_of(own[0], words, ACRONYM_OPTIONAL):
                return "strict"
            loose = loose or (len(own[0]) >= 3 and _acronym_of(own[0], words, _LOOSE_ACRONYM))
    return "loose" if loose else None


def _part_of(
    inner: Folded, outer: Folded, aligned: list[tuple[int, int, float]], outer_is_a: bool
) -> bool:
    """Whether `outer` is `inner` plus places or words for a part of a body."""
    if not aligned:
        return False
    inner_at = {j if outer_is_a else i for i, j, _ in aligned}
    outer_at = {i if outer_is_a else j for i, j, _ in aligned}
    extras = [t for k, t in enumerate(outer.tokens) if k not in outer_at]
    missing = [t for k, t in enumerate(inner.tokens) if k not in inner_at]
    shared = [t for k, t in enumerate(inner.tokens) if k in inner_at]
    return (
        bool(extras)
        and all(t in PLACES or t in STRUCTURE or t.isdigit() for t in extras)
        and all(not _distinctive(t) or t in PLACES for t in missing)
        and any(_distinctive(t) for t in shared)
        and sum(_weight(t) for t in shared) >= 0.9
    )


_CONTAINED = 0.75  # one name's distinctive words all in the other: a person decides


def _contained(a: Folded, b: Folded, aligned: list[tuple[int, int, float]]) -> bool:
    """Whether every distinctive word of one name is in the other, spelt alike, and
    one of them is neither a place nor a number: a group and its member named by the
    brand (`Thales Alenia Space`, `Thales`), a name and its longer form (`Robert Bosch`,
    `Bosch`). Bodies of different kinds (a university, its hospital) are not."""
    close = [(i, j) for i, j, s in aligned if s >= 0.95]
    in_a = {i for i, _ in close}
    in_b = {j for _, j in close}
    if not any(_distinctive(a.tokens[i]) and a.tokens[i] not in PLACES for i in in_a):
        return False
    rest_a = [t for k, t in enumerate(a.tokens) if k not in in_a]
    rest_b = [t for k, t in enumerate(b.tokens) if k not in in_b]
    if any(t in INSTITUTION_TYPES for t in rest_a + rest_b):
        return False
    return all(not _distinctive(t) for t in rest_a) or all(not _distinctive(t) for t in rest_b)


def _organizations(a: Folded, b: Folded, same_country: bool | None) -> _Found:
    found = _organized(a, b)
    if isinstance(found, _Found):
        return found
    # Initials: what they are worth depends on the countries.
    if same_country is False:
        return _Found(0.3, "acronym", notes=("initials count only where the countries agree",))
    if found == "loose":
        note = "initials, some generic words giving none: a person decides"
        return _Found(0.75, "acronym", notes=(note,))
    if same_country is None:
        return _Found(0.8, "acronym", notes=("initials: the countries are not known",))
    return _Found(0.9, "acronym", notes=("initials, in the same country",))


@lru_cache(maxsize=1 << 16)
def _organized(a: Folded, b: Folded) -> _Found | Literal["strict", "loose"]:
    """Two organisations' names compared, or how one is the initials of the other.

    The countries count only for initials, so a name screened from its own country and
    from none (a batch asks both) is compared with a listed name once, not twice: most
    of what a name never seen before costs."""
    a, b = _run_together(a, b)
    if a.tokens == b.tokens:
        return _Found(1.0, "exact")
    if sorted(a.tokens) == sorted(b.tokens):
        return _Found(0.98, "word-order")
    if a.compact == b.compact:
        return _Found(0.97, "compact")
    acronym = _acronym(a, b)
    if acronym:
        return acronym
    aligned = _align(a, b)
    pairs = tuple(TokenPair(a.tokens[i], b.tokens[j], round(s, 3)) for i, j, s in aligned)
    weakest = min((s for _, _, s in aligned), default=0.0)
    if _part_of(b, a, aligned, outer_is_a=True):
        return _Found(0.9 * weakest, "part-of", pairs)
    if _part_of(a, b, aligned, outer_is_a=False):
        return _Found(0.78 * weakest, "parent-of", pairs)
    total = sum(_weight(t) for t in a.tokens) + sum(_weight(t) for t in b.tokens)
    matched = sum(s * (_weight(a.tokens[i]) + _weight(b.tokens[j])) for i, j, s in aligned)
    score = matched / total
    notes: list[str] = []
    types_a = {t for k, t in enumerate(a.tokens) if t in INSTITUTION_TYPES} - {
        a.tokens[i] for i, _, _ in aligned
    }
    types_b = {t for k, t in enumerate(b.tokens) if t in INSTITUTION_TYPES} - {
        b.tokens[j] for _, j, _ in aligned
    }
    if types_a and types_b:
        score *= 0.8
        notes.append(
            f"different kinds of body: {', '.join(sorted(types_a))} / {', '.join(sorted(types_b))}"
        )
    has_distinctive = any(_distinctive(t) for t in a.tokens + b.tokens)
    if has_distinctive and not any(_distinctive(a.tokens[i]) for i, _, _ in aligned):
        score = min(score, 0.6)
        notes.append("no distinctive word in common")
    if score >= MATCH_AT and any(s < 0.95 and _distinctive(a.tokens[i]) for i, _, s in aligned):
        score = _POSSIBLE_TOP
        notes.append("a distinctive word is spelt differently")
    whole = len(aligned) == len(a.tokens) == len(b.tokens)
    if score > _POSSIBLE_TOP and not whole and not any(_proper(t) for t in a.tokens + b.tokens):
        # University of (Electronic) Science and Technology of China, Zhejiang University
        # (of Technology): where no word is a name, a word more is another body.
        score = _POSSIBLE_TOP
        notes.append("generic words and places only: a word more or less may be another body")
    if score < POSSIBLE_AT and _contained(a, b, aligned):
        score = _CONTAINED
        notes.append("every distinctive word of one name is in the other")
    if a.abjad or b.abjad:
        if consonants(a.compact) == consonants(b.compact):
            return _Found(0.95, "compact", pairs, ("consonants alike (Arabic script)",))
    if len(a.tokens) != len(b.tokens) or a.abjad != b.abjad:
        joined = _extra.ratio()(a.compact, b.compact)
        if joined >= _COMPACT_AT and joined * 0.97 > score:
            score = joined * 0.97 if joined == 1 or joined * 0.97 < MATCH_AT else _POSSIBLE_TOP
            return _Found(score, "compact", pairs)
    return _Found(score, "tokens", pairs, tuple(notes))


def _in_order(aligned: list[tuple[int, int, float]]) -> bool:
    """Whether the matched words keep their order, up to a rotation (`Putin, Vladimir`
    is `Vladimir Putin`; `Hassan Ali Mohamed` is not `Mohamed Ali Hassan`)."""
    order = [j for _, j, _ in sorted(aligned)]
    drops = sum(1 for k in range(len(order)) if order[k - 1] > order[k])
    return len(order) < 3 or drops <= 1


def _persons(a: Folded, b: Folded) -> _Found:
    if a.tokens == b.tokens:
        found = _Found(1.0, "exact")
    elif a.compact == b.compact:
        found = _Found(0.97, "compact")
    elif (a.hangul or b.hangul) and korean(a.compact) == korean(b.compact):
        found = _Found(0.93, "compact", notes=("romanisations of Korean alike",))
    elif (
        (a.abjad or b.abjad)
        and len(a.tokens) > 1
        and len(b.tokens) > 1
        and consonants_without_h(a.compact) == consonants_without_h(b.compact)
    ):
        found = _Found(0.9, "compact", notes=("consonants alike (a script without vowels)",))
    else:
        aligned = _align(a, b, at=_PERSON_AT)
        pairs = tuple(TokenPair(a.tokens[i], b.tokens[j], round(s, 3)) for i, j, s in aligned)
        shorter, longer = sorted((len(a.tokens), len(b.tokens)))
        notes: list[str] = []
        if aligned and len(aligned) == shorter:
            # The least alike word decides: one word unlike its counterpart is one doubt.
            score = min(s for _, _, s in aligned) - 0.03 * (longer - shorter)
            if longer > shorter:
                notes.append("a name has words the other lacks (a middle name, a patronymic)")
            if any(min(len(p.a), len(p.b)) == 1 for p in pairs):
                score = min(score, _POSSIBLE_TOP)
                notes.append("initials only")
            if not _in_order(aligned):
                score = min(score, _POSSIBLE_TOP)
                notes.append("the same words in another order")
        else:
            score = sum(s for _, _, s in aligned) / (len(a.tokens) + len(b.tokens))
        found = _Found(score, "tokens", pairs, tuple(notes))
    if min(len(a.tokens), len(b.tokens)) == 1 and found.score > _POSSIBLE_TOP - 0.07:
        found = attrs.evolve(
            found, score=0.8, notes=(*found.notes, "one name only: a surname or a given name")
        )
    return found


def _joined(a: Folded, b: Folded) -> Folded:
    """`a` with each run of its words that is one word of `b` run together: `Tianjin
    Haiyun` meets 天津海运 (`tianjinhaiyun`, a Chinese run read as one word), `Ben Ali`
    meets `Benali` (a particle kept, as the name was spelt)."""
    run_together = "".join(a.spelled)
    targets = {t for t in b.tokens if t in run_together} - set(a.tokens)
    if not targets:  # most comparisons: no word of b is letters of a run together
        return a
    words = list(a.spelled)
    joined = False
    i = 0
    while i < len(words) and targets:
        for size in (4, 3, 2):
            run = "".join(words[i : i + size])
            if i + size <= len(words) and run in targets:
                words[i : i + size] = [run]
                joined = True
                break
        i += 1
    if not joined:
        return a
    kept = set(a.tokens) | targets
    tokens = tuple(w for w in words if w in kept)
    return attrs.evolve(a, tokens=tokens or a.tokens, spelled=tuple(words))


def _compare_folded(
    a: Folded, b: Folded, countries_a: frozenset[str], countries_b: frozenset[str]
) -> _Found:
    if not a.tokens or not b.tokens:
        return _Found(0.0, "empty", notes=("a name with no letters or digits",))
    same_country = bool(countries_a & countries_b) if countries_a and countries_b else None
    found = _names_compared(a, b, same_country)
    if same_country is False and found.rule not in ("part-of", "acronym"):
        short = len(a.tokens) == len(b.tokens) == 1 and len(a.tokens[0]) <= 5
        cap = 0.4 if short else _POSSIBLE_TOP
        if found.score > cap:
            note = (
                f"different countries ({', '.join(sorted(countries_a))} / "
                f"{', '.join(sorted(countries_b))}): "
                + ("an abbreviation counts only where they agree" if short else "at most possible")
            )
            found = _Found(cap, found.rule, found.tokens, (*found.notes, note))
    return found


@lru_cache(maxsize=1 << 16)
def _names_compared(a: Folded, b: Folded, same_country: bool | None) -> _Found:
    """Two folded names compared, given whether their countries agree. The countries
    count only through that, so a name screened from many countries (a batch of cases)
    is compared with each entry at most three times, not once per country: that
    comparison was half of what a new case cost (~1.6 ms per new name and country)."""
    if a.kind == "organization":
        return _organizations(a, b, same_country)
    return _persons_compared(a, b)


@lru_cache(maxsize=1 << 16)
def _persons_compared(a: Folded, b: Folded) -> _Found:
    """Two persons' names compared: their countries do not count (see `_organized`)."""
    return _persons(*_run_together(a, b))


def _run_together(a: Folded, b: Folded) -> tuple[Folded, Folded]:
    """Each name with its words run together where they are one word of the other."""
    if a.tokens != b.tokens and a.compact != b.compact:
        return _joined(a, b), _joined(b, a)
    return a, b


def _names(value: str | Entity) -> list[tuple[str, Alias | None]]:
    if isinstance(value, Entity):
        return list(value.names())
    if isinstance(value, str):
        return [(value, None)]
    raise ArgumentError(f"compare takes names (str) or Entity, not {type(value).__name__}")


def _rank(match: NameMatch) -> tuple[int, float, int]:
    alias = match.evidence.alias
    return (BANDS.index(match.band), -match.score, 1 if alias and alias.quality == "weak" else 0)


def compare(
    a: str | Entity,
    b: str | Entity,
    *,
    kind: Kind | None = None,
    country_a: str | Iterable[str] | None = None,
    country_b: str | Iterable[str] | None = None,
) -> NameMatch:
    """Compare the name screened (`a`) with the name listed (`b`).

    Either side may be an `Entity`: then each of its names and aliases is compared and
    the best result is kept (its alias is in the evidence), and its countries stand in
    for a country not given. `kind` defaults to the entity's, else `organization`.
    """
    if kind is None:
        kind = a.kind if isinstance(a, Entity) else b.kind if isinstance(b, Entity) else None
        kind = kind or "organization"
    if kind not in KINDS:
        raise ArgumentError(f"kind is 'organization' or 'person', not {kind!r}")
    names_a, names_b = _names(a), _names(b)
    ca = countries(country_a) or (countries(a.countries) if isinstance(a, Entity) else frozenset())
    cb = countries(country_b) or (countries(b.countries) if isinstance(b, Entity) else frozenset())
    listed = [(fold(name_b, kind), alias_b) for name_b, alias_b in names_b]
    best: NameMatch | None = None
    for name_a, alias_a in names_a:
        folded_a = fold(name_a, kind)
        if alias_a is None:
            found = best_of(folded_a, listed, ca, cb)[1]
        else:
            found = best_of(folded_a, [(b, alias_b or alias_a) for b, alias_b in listed], ca, cb)[1]
        if best is None or _rank(found) < _rank(best):
            best = found
    assert best is not None  # an entity always has a name
    return best


def may_match(a: Folded, b: Folded) -> bool:
    """Whether two folded names may be alike: False only where `compare_folded` gives
    the band `none`, whatever the countries and alias, and costs a few lookups where a
    comparison costs a hundred steps: no word of one is like a word of the other (`_align` pairs
    none), neither name is the other's words run together (`_joined`) or its initials
    (`_acronym`: one word of 2 to 8 letters), and they are not alike run together. Every
    other rule needs one of these, and the caps (countries, a weak alias) only lower a
    score. Names in a script that loses letters or in Hangul are always compared."""
    if a.kind != b.kind or a.abjad or b.abjad or a.hangul or b.hangul:
        return True
    if a.compact == b.compact:
        return True
    kind = a.kind
    at = _TOKEN_AT if kind == "organization" else _PERSON_AT
    for x in a.tokens:
        for y in b.tokens:
            if _similarity(x, y, kind, False, False) >= at:
                return True
    if _joinable(a, b) or _joinable(b, a):
        return True
    if kind == "person":
        return False
    # No word in common (each would have paired above): a name of one word may be
    # the other's initials.
    if any(len(n.tokens) == 1 and 2 <= len(n.tokens[0]) <= 8 for n in (a, b)):
        return True
    return _extra.ratio()(a.compact, b.compact) >= _COMPACT_AT


def _joinable(a: Folded, b: Folded) -> bool:
    """Whether `_joined(a, b)` may run words of `a` together."""
    run_together = "".join(a.spelled)
    return any(t in run_together and t not in a.tokens for t in b.tokens)


def best_of(
    a: Folded,
    listed: Sequence[tuple[Folded, Alias | None]],
    countries_a: frozenset[str],
    countries_b: frozenset[str],
) -> tuple[int, NameMatch]:
    """The best comparison of `a` with some folded names (an entity's names and
    aliases, each with its alias) and its position: the first of those ranked best
    (band, then score, then a strong alias before a weak one). `listed` is not empty."""
    best: NameMatch | None = None
    at = 0
    for position, (b, alias) in enumerate(listed):
        found = compare_folded(a, b, countries_a, countries_b, alias)
        if best is None or _rank(found) < _rank(best):
            best, at = found, position
    assert best is not None  # an entity always has a name
    return at, best


def compare_folded(
    a: Folded,
    b: Folded,
    countries_a: frozenset[str],
    countries_b: frozenset[str],
    alias: Alias | None = None,
) -> NameMatch:
    """`compare` on names already folded (as the index holds them)."""
    found = _compare_folded(a, b, countries_a, countries_b)
    score = max(0.0, min(1.0, found.score))
    notes = found.notes
    if alias is not None and alias.quality == "weak" and score > _POSSIBLE_TOP:
        score = _POSSIBLE_TOP
        notes = (*notes, "weak alias: never a match on its own")
    return NameMatch(
        score=round(score, 3),
        band=band_of(score),
        evidence=Evidence(found.rule, a.original, b.original, found.tokens, alias, notes),
    )
