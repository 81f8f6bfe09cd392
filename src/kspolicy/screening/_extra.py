"""The optional libraries screening is built on, imported on first use.

`kspolicy` itself never needs them: only a comparison does. A missing extra gives
`ScreeningUnavailable` saying how to install it, never a bare `ImportError` from deep
inside a comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..diagnostics import KspolicyError

_loaded: dict[str, Any] = {}


class ScreeningUnavailable(KspolicyError, ImportError):
    """Screening needs the optional libraries of the `screening` extra, which are missing."""


def _load() -> dict[str, Any]:
    if not _loaded:
        try:
            from anyascii import anyascii
            from rapidfuzz import fuzz, process
            from rapidfuzz.distance import Indel
        except ImportError as error:
            raise ScreeningUnavailable(
                f"kspolicy.screening needs the libraries rapidfuzz and anyascii "
                f"({error.name or 'one of them'} is missing): install them with "
                f"pip install 'kspolicy[screening]' (or pip install rapidfuzz anyascii)"
            ) from error
        _loaded["anyascii"] = anyascii
        _loaded["ratio"] = Indel.normalized_similarity
        _loaded["process"] = process
        _loaded["plain_ratio"] = fuzz.ratio
    return _loaded


def anyascii() -> Callable[[str], str]:
    """anyascii's transliteration of any script to ASCII (pure Python, no ICU)."""
    fn: Callable[[str], str] = _load()["anyascii"]
    return fn


def ratio() -> Callable[[str, str], float]:
    """rapidfuzz's normalized Indel similarity of two strings, 0 to 1."""
    fn: Callable[[str, str], float] = _load()["ratio"]
    return fn


def extract() -> Callable[..., list[tuple[int, float]]]:
    """The positions of the `limit` choices most like a query with their scores, best
    first, equal scores in the order of the choices (rapidfuzz's ratio, in C: the index
    gives each name's words sorted, so that word order does not count, as in its
    token-sort ratio, without sorting them at every query)."""
    process = _load()["process"]
    scorer = _load()["plain_ratio"]

    def best(query: str, choices: list[str], limit: int) -> list[tuple[int, float]]:
        found = process.extract(query, choices, scorer=scorer, limit=limit)
        return [(int(position), float(score)) for _, score, position in found]

    return best
