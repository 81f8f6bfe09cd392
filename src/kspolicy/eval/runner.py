"""One interface over the two ways a compiled policy runs on a case.

A `Runner` answers two questions about a case: which rules fire and which are pending
(`statuses`, for some binding of their implicit variables: what `rule_statuses` asks),
and, for each binding that fires or is pending, what supports it (`findings`: the facts
it read, the unknown facts it waits on, the list entries it matched), from which
`runtime.run` assembles a decision. Only an explanation (`explain=True`) is made by the
traced evaluation itself, which also traces silent rules. There are two runners, and
they must agree on every case (the tests run both, and the reference interpreter in
`tests/oracle.py` judges them):

- `"traced"`: `runtime.Traced`, the closures of `compiler` evaluated in three-valued
  logic, the same code that explains decisions;
- `"fast"`: `fastpath.FastPath`, the policy compiled to Python functions per date:
  two-valued with a three-valued fallback for statuses, three-valued with the support
  of each finding for decisions; what the engine uses.

`compiler.compile_policy` is the one place that chooses (`runner=`); everything else
holds a `Program` and asks its `runner`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Protocol

from .facts import Facts

Statuses = tuple[list[int], list[int]]
"""The indices of the rules that fired and of those pending, each once, in no set order."""

Finding = tuple[int, bool | None, dict[str, int], dict[str, Any], list[str], list[Any]]
"""One binding of a rule that fires (value True) or is pending (None): the rule's index,
the value, the binding (implicit variable to index; none for an unknown collection), the
facts supporting it (path to JSON value, in the order the evaluation read them), the
unknown facts it waits on and the list entries it matched (`decision.Match`), each once."""

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

    def findings(self, facts: Facts, as_of: dt.date) -> list[Finding]:
        """Every binding of every rule that fires or is pending, with what supports it
        (see `Finding`): rules in policy order, each rule's bindings in the order of
        their indices (the first implicit variable varying slowest)."""
        ...
