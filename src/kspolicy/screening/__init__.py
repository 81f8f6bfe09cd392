"""Screening: is this partner the entity on a list? A score, a band and the evidence.

`compare(a, b)` compares two names (or list entities) and gives a `NameMatch`: a score
from 0 to 1, a band (`match`, `possible` for a person to adjudicate, `none`) and the
evidence: the rule that decided, the words matched, the alias. `ScreeningIndex` answers
one name against a large list; `screening.importers` reads the publishers' lists into
list files. docs/screening.md explains the bands to an officer, docs/screening-import.md
how to import a list.

This package imports only the shared vocabulary of layer 0, so that the language and
evaluation can use it. Its libraries (rapidfuzz, anyascii) are the optional extra
`screening`, imported on first use: `import kspolicy` never needs them.
"""

from ._extra import ScreeningUnavailable
from .index import Candidate, ScreeningIndex
from .matching import (
    BANDS,
    MATCH_AT,
    POSSIBLE_AT,
    Band,
    Evidence,
    NameMatch,
    TokenPair,
    band_of,
    compare,
)
from .model import Alias, Entity
from .names import Kind, fold

__all__ = [
    "BANDS",
    "MATCH_AT",
    "POSSIBLE_AT",
    "Alias",
    "Band",
    "Candidate",
    "Entity",
    "Evidence",
    "Kind",
    "NameMatch",
    "ScreeningIndex",
    "ScreeningUnavailable",
    "TokenPair",
    "band_of",
    "compare",
    "fold",
]
