"""Proofs about policies: a checked policy encoded for the z3 solver (docs/analysis.md).

`compare` says how an edit changes each outcome, `dead` what can never fire, and
`properties` proves or refutes properties over two cases. Every answer holds within a
bound (lists of at most `k` elements) and says so; what cannot be encoded makes the
answer "unknown", never "proved". z3 is the optional extra `prove`, imported only by the
modules of this package, which only `kspolicy prove` imports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def plain(value: Any) -> Any:
    """A case as JSON-ready data: dates as ISO texts (for the answers' JSON and text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
