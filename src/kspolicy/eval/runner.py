"""One interface over the two ways a compiled policy runs on a case.

A `Runner` answers which rules fire and which are pending on a case (for some binding
of their implicit variables), nothing more; the decision and its explanation are always
made by the traced evaluation (`runtime.run`), which a runner only tells which rules
need explaining. There are two, and they must agree on every case (the tests run both,
and the reference interpreter in `tests/oracle.py` judges them):

- `"traced"`: `runtime.Traced`, the closures of `compiler` evaluated in three-valued
  logic, the same code that explains decisions;
- `"fast"`: `fastpath.FastPath`, the policy compiled to a Python function per date,
  two-valued with a three-valued fallback; what the engine uses.

`compiler.compile_policy` is the one place that chooses (`runner=`); everything else
holds a `Program` and asks its `runner`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Protocol

from .facts import Facts

Statuses = tuple[list[int], list[int]]
"""The indices of the rules that fired and of those pending, each once, in no set order."""

RunnerKind = Literal["traced", "fast"]
"""Which runner a program uses (see the module docstring)."""


class Runner(Protocol):
    """Which rules fire and which are pending on a case, on a date.

    A runner holds no state of one evaluation: several threads may use one at once.
    """

    def statuses(self, facts: Facts, as_of: dt.date) -> Statuses:
        """The rules (by index in the policy) that fire, and those pending on unknown
        facts, for some binding of their implicit variables."""
        ...
