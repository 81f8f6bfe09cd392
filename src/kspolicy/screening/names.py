"""Folding a name into the tokens that are compared.

A name goes through fixed steps, each data-driven (see `vocabulary`): Unicode
normalisation; Chinese legal forms and institutional words read in the Chinese script;
Korean persons' names split into surname and given name, as they are romanised; the
Arabic article written apart; transliteration of every other script to Latin (anyascii);
case folding; `&` read as `and`; punctuation to spaces; initials run together
(`N.U.D.T.` is `nudt`); compounds of a name and a generic word split (`Raiffeisenbank`);
abbreviations spelled out and generic words of other languages translated
(`Universiteit`); plural endings dropped; legal forms removed wherever they stand (the
short, ambiguous ones only at either end); small words and titles set aside. No step builds a
pattern from a name: the only regular expressions here are fixed ones applied to it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

import attrs

from . import _extra, vocabulary

Kind = Literal["organization", "person"]
KINDS: tuple[Kind, ...] = ("organization", "person")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Scripts whose transliteration loses letters: Hebrew and Arabic write no short vowels,
# and anyascii reads the Indic scripts without their aspiration (शर्मा is `srma`).
_ABJAD = re.compile(
    r"[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u0900-\u0dff\ufb1d-\ufdff\ufe70-\ufeff]"
)
_GREEK_OU = re.compile(r"[\u039f\u03bf\u03cc][\u03a5\u03c5\u03cd]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
_ARABIC_ARTICLE = re.compile(r"(?<![\u0600-\u06ff])\u0627\u0644(?=[\u0600-\u06ff]{2})")
_SPLIT = re.compile(r"[^a-z0-9]+")
_QUOTES = re.compile(r"['`\u2018\u2019\u02bb\u02bc]")


@attrs.frozen(cache_hash=True)  # a key of the comparisons' memo, hashed at each lookup
class Folded:
    """A name as compared: its significant tokens in order, and what was set aside."""

    original: str
    kind: Kind
    tokens: tuple[str, ...]
    """The tokens that identify: no legal form, small word or title."""
    spelled: tuple[str, ...]
    """The tokens with the small words kept (in order), for reading initials."""
    legal_forms: tuple[str, ...]
    """The legal forms removed, as they read after folding (`gmbh`, `co ltd`)."""
    abjad: bool
    """Written (partly) in a script whose transliteration loses letters: Arabic and
    Hebrew (no short vowels) or an Indic script (no aspiration)."""
    hangul: bool = False
    """Written (partly) in Hangul, whose romanisations differ in set ways (Gim, Kim)."""

    @property
    def compact(self) -> str:
        """The tokens run together, so that `Hua Wei` and `Huawei` compare equal."""
        return "".join(self.tokens)


_WORDS = {**vocabulary.ABBREVIATIONS, **vocabulary.TRANSLATIONS}


def fold_token(token: str) -> str:
    """One lower-case ASCII token as compared: abbreviation spelled out, a generic word
    of another language translated, plural dropped."""
    if token in _WORDS:
        return _WORDS[token]
    if len(token) > 5 and token.endswith("ies"):
        token = token[:-3] + "y"
    elif len(token) > 4 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        token = token[:-1]
    return _WORDS.get(token, token)


def _split_compound(word: str) -> tuple[str, ...]:
    """A word made of a name and a generic ending as two words (`raiffeisenbank`,
    `handelsgesellschaft`); any other word as it is."""
    if (word,) in LEGAL_ANYWHERE:  # `aktiengesellschaft` is one legal form
        return (word,)
    for ending in vocabulary.COMPOUND_ENDINGS:
        if len(word) >= len(ending) + 4 and word.endswith(ending):
            return (word[: -len(ending)], ending)
    return (word,)


def _words(text: str) -> frozenset[str]:
    return frozenset(fold_token(word) for word in text.split())


def _sequences(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(
        tuple(fold_token(word) for word in line.split()) for line in text.split("|") if line.strip()
    )


def _han_words() -> dict[str, str]:
    pinyin = {}
    for reading, english in vocabulary.HAN_WORDS.values():
        pinyin[reading] = english
    return pinyin


LEGAL_ANYWHERE = _sequences(vocabulary.LEGAL_FORMS_ANYWHERE.replace("\n", " | "))
LEGAL_AT_EDGE = _sequences(vocabulary.LEGAL_FORMS_AT_EDGE.replace("\n", " | "))
_LEGAL_LONGEST = max(len(s) for s in LEGAL_ANYWHERE | LEGAL_AT_EDGE)
_LEGAL_FIRST = frozenset(s[0] for s in LEGAL_ANYWHERE | LEGAL_AT_EDGE)
STOPWORDS = _words(vocabulary.STOPWORDS)
HONORIFICS = _words(vocabulary.HONORIFICS)
PARTICLES = frozenset(vocabulary.PARTICLES.split())
GENERIC = _words(vocabulary.GENERIC)
INSTITUTION_TYPES = _words(vocabulary.INSTITUTION_TYPES)
STRUCTURE = _words(vocabulary.STRUCTURE)
ACRONYM_OPTIONAL = _words(vocabulary.ACRONYM_OPTIONAL) | STRUCTURE
PLACES = _words(vocabulary.PLACES)
_PINYIN_WORDS = _han_words()


def _han_person(match: re.Match[str]) -> str:
    """A Chinese person's name as it is romanised: the surname, then the given name in
    one word (李伟 is `Li Wei`, 张晓明 `Zhang Xiaoming`)."""
    spell = _extra.anyascii()
    chunk = match.group(0)
    return f" {spell(chunk[0])} {spell(chunk[1:])} " if len(chunk) > 1 else f" {spell(chunk)} "


def _hangul_person(match: re.Match[str]) -> str:
    """A Korean person's name as it is romanised: the surname (its first syllable),
    then the given name in one word (김정은 is `Gim Jeongeun`)."""
    spell = _extra.anyascii()
    chunk = match.group(0)
    return f" {spell(chunk[0])} {spell(chunk[1:])} " if len(chunk) > 1 else f" {spell(chunk)} "


def _han_to_latin(text: str) -> str:
    """Chinese runs as words: known institutional words translated, the rest in pinyin,
    each run between two known words one word (so 哈尔滨 reads `haerbin`, as written)."""
    spell = _extra.anyascii()
    text = text.replace("分公司", " branch ")  # before 公司, which it holds
    for form in vocabulary.LEGAL_FORMS_HAN:
        text = text.replace(form, " youxian gongsi ")  # removed below as a legal form

    def run(match: re.Match[str]) -> str:
        chunk = match.group(0)
        out: list[str] = []
        plain = ""
        i = 0
        while i < len(chunk):
            for size in (3, 2):
                word = chunk[i : i + size]
                if len(word) == size and word in vocabulary.HAN_WORDS:
                    if plain:
                        out.append(spell(plain))
                        plain = ""
                    out.append(vocabulary.HAN_WORDS[word][1])
                    i += size
                    break
            else:
                plain += chunk[i]
                i += 1
        if plain:
            out.append(spell(plain))
        return " " + " ".join(out) + " "

    return _HAN.sub(run, text)


def _merge_initials(words: list[str]) -> list[str]:
    """Runs of two or more one-letter words as one word: `n u d t` is `nudt`."""
    out: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 2:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if word:
            out.append(word)
    return out


def _strip_legal(words: list[str]) -> tuple[list[str], list[str]]:
    """The words without legal forms, and the forms removed."""
    kept: list[str] = []
    removed: list[str] = []
    i = 0
    while i < len(words):
        if words[i] not in _LEGAL_FIRST:  # most words start no legal form
            kept.append(words[i])
            i += 1
            continue
        for size in range(min(_LEGAL_LONGEST, len(words) - i), 0, -1):
            seq = tuple(words[i : i + size])
            at_edge = i == 0 or i + size == len(words)
            if seq in LEGAL_ANYWHERE or (at_edge and len(words) > size and seq in LEGAL_AT_EDGE):
                removed.append(" ".join(seq))
                i += size
                break
        else:
            kept.append(words[i])
            i += 1
    if not kept:  # a name that is all legal form (`Limited`) keeps its words
        return words, []
    return kept, removed


@lru_cache(maxsize=65536)
def fold(name: str, kind: Kind = "organization") -> Folded:
    """The folded form of one name, as `compare` and the index read it."""
    return fold_uncached(name, kind)


def fold_uncached(name: str, kind: Kind = "organization") -> Folded:
    """`fold` without its cache, for reading a whole list once."""
    abjad = hangul = False
    if name.isascii():  # most names of a list: no script to read, NFKC changes nothing
        text = name
    else:
        text, abjad, hangul = _to_ascii(name, kind)
    text = text.lower().replace("&", " and ").replace("+", " and ")
    text = text.replace("'", "").replace("`", "")  # O'Brien is obrien
    raw = [w for w in _SPLIT.split(text) if w]
    legal: list[str] = []
    if kind == "organization":
        if len(raw) > 1 and any(len(w) == 1 for w in raw):
            raw = _merge_initials(raw)
        words = [t for w in raw for t in _organization_word(w)]
        if not _LEGAL_FIRST.isdisjoint(words):
            words, legal = _strip_legal(words)
        tokens = [w for w in words if w not in STOPWORDS] or words
    else:
        words = [w for w in raw if w not in HONORIFICS] or raw
        tokens = [w for i, w in enumerate(words) if i == 0 or w not in PARTICLES] or words
    return Folded(
        original=name,
        kind=kind,
        tokens=tuple(tokens),
        spelled=tuple(words),
        legal_forms=tuple(legal),
        abjad=abjad,
        hangul=hangul,
    )


def _to_ascii(name: str, kind: Kind) -> tuple[str, bool, bool]:
    """A name not in ASCII read in Latin letters, and whether it was (partly) written in
    a script that loses letters (`Folded.abjad`) or in Hangul."""
    text = unicodedata.normalize("NFKC", name)
    if _GREEK_OU.search(text):
        text = _GREEK_OU.sub("ou", text)  # anyascii reads ου as `oy`: Papadopoulos
    abjad = _ABJAD.search(text) is not None
    if abjad:
        text = _ARABIC_ARTICLE.sub("al ", text)  # الخليفة is al-Khalifa: two words
    hangul = _HANGUL.search(text) is not None
    if hangul:
        for form in vocabulary.LEGAL_FORMS_HANGUL:
            text = text.replace(form, " jusikhoesa ")  # removed below as a legal form
        if kind == "person":
            text = _HANGUL.sub(_hangul_person, text)
    if _HAN.search(text):
        text = _han_to_latin(text) if kind == "organization" else _HAN.sub(_han_person, text)
    if not text.isascii():
        text = _extra.anyascii()(text)
    text = _QUOTES.sub("", text.casefold())
    return text, abjad, hangul


@lru_cache(maxsize=1 << 17)
def _organization_word(word: str) -> tuple[str, ...]:
    """The tokens one word of an organisation's name gives: a compound split, each part
    folded, a pinyin word translated (one word may become two: `keji`, science
    technology). Cached: a list's names share most of their words."""
    out: list[str] = []
    for part in _split_compound(word):
        folded = fold_token(part)
        out.extend(_PINYIN_WORDS.get(folded, folded).split())
    return tuple(out)


_SKELETON_STEPS = (
    ("th", "t"),  # Greek θ, German and Thai spellings: Novatherm, Novaterm
    ("sch", "sh"),
    ("tch", "ch"),
    ("dzh", "j"),
    ("zh", "sh"),
    ("ph", "f"),
    ("kh", "h"),
    ("gh", "g"),
    ("ck", "k"),
    ("ch", "\x01"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("w", "v"),
    ("y", "i"),
    ("j", "i"),
    ("\x01", "ch"),
)
_VOWEL_STEPS = (("ou", "u"), ("oo", "u"), ("ee", "i"), ("ie", "i"))


_DOUBLED = re.compile(r"(.)\1+")


def _collapse(token: str) -> str:
    return _DOUBLED.sub(r"\1", token)


_VOWEL_YE = re.compile(r"([aeiou])ye")
_CONSONANT_YO = re.compile(r"([b-df-hj-np-tv-xz])y[eo]")
_UMLAUT = re.compile(r"([aou])e(?=[^aeiou])")
_FINAL_ER = re.compile(r"([^aeiou])er$")


def _base(token: str) -> str:
    token = token.replace("sch", "sh").replace("tch", "ch")
    # Transliteration conventions that differ: ch or kh for х after the first letter
    # (Michail, Mikhail), ye or e for е after a vowel (Timofeyev, Timofeev), ye, yo or e
    # for е, ё after a consonant (Pyotr, Petr; Obyedinyonnaya, Obedinennaya), ue or u for
    # ü (Juergen, Jürgen), -er or -r at the end (Alexander, Aleksandr; Peter, Petr).
    token = token[:1] + token[1:].replace("ch", "kh")
    if "ye" in token or "yo" in token:
        token = _VOWEL_YE.sub(r"\1e", token)
        token = _CONSONANT_YO.sub(r"\1e", token)
    if "ae" in token or "oe" in token or "ue" in token:
        token = _UMLAUT.sub(r"\1", token)
    if token.endswith("er"):
        token = _FINAL_ER.sub(r"\1r", token)
    for old, new in _SKELETON_STEPS:
        token = token.replace(old, new)
    if len(token) > 2 and token[0] == "i" and token[1] in "aeiou":
        token = token[1:]  # Yevgeny, Iurii: a leading y or i before a vowel
    for old, new in _VOWEL_STEPS:
        token = token.replace(old, new)
    return _collapse(token)


@lru_cache(maxsize=1 << 17)
def skeleton(token: str) -> str:
    """A rough sound-alike key for transliterated names: `Yevgeny`, `Evgeniy` and
    `Jewgeni` share one, as do `Aleksandr` and `Alexandr`, `Raghavan` and `Ragavan`."""
    token = _base(token)
    # An h after a vowel and before a consonant is silent in transliteration (John, Jon).
    return _collapse(
        "".join(
            ch
            for k, ch in enumerate(token)
            if not (
                ch == "h"
                and 0 < k
                and token[k - 1] in "aeiou"
                and (k + 1 == len(token) or token[k + 1] not in "aeiou")
            )
        )
    )


@lru_cache(maxsize=1 << 17)
def consonants(token: str) -> str:
    """The consonants of a token, doubled letters once, and without the semivowels
    v and i (w, y): how Arabic and Hebrew script write a name (`محمد` reads `mhmd`, and
    so does `Mohammed`; `يوسف` reads `ywsf`, and `Yousef` gives the same key)."""
    return _collapse("".join(ch for ch in _base(token) if ch not in "aeiouv")) or token


@lru_cache(maxsize=1 << 14)
def consonants_without_h(token: str) -> str:
    """`consonants` with each h dropped but one in ch: anyascii reads an
    Indic script without aspiration (शर्मा is `srma`, Sharma) and Hebrew כהן as `khhn`
    (Cohen). Compared only where one name is written in such a script."""
    plain = token.replace("ch", "\x01").replace("h", "").replace("\x01", "ch")
    return consonants(plain)


_KOREAN_STEPS: tuple[tuple[str, str], ...] = (
    ("eo", "o"),
    ("eu", "u"),
    ("oo", "u"),
    ("ae", "e"),
    ("g", "k"),
    ("b", "p"),
    ("d", "t"),
    ("r", "l"),
    ("ch", "j"),
    ("sh", "s"),
    ("wo", "o"),
)


@lru_cache(maxsize=1 << 12)
def korean(text: str) -> str:
    """A key on which the romanisations of Korean agree: Revised Romanization and
    McCune-Reischauer (`Gim Jeongeun`, `Kim Jong Un`; `Bak`, `Pak`) differ in set ways."""
    for old, new in _KOREAN_STEPS:
        text = text.replace(old, new)
    return _collapse(text)
