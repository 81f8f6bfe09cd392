"""A case's facts, and what "unknown" means for them: the one place that says it.

A case's facts are plain data (dicts, lists, texts, numbers, dates), as `cases` reads
them. A fact is *unknown* when the case does not give it:

- a field whose key is absent from its record: the case reader leaves unknown facts
  out, and data given without checking (`rule_statuses(check_case=False)`) must too;
  `None` is read as unknown as well, but the fast path's two-valued function compares
  it as a value (`None == "x"` is false), so only absent keys are reliably unknown;
- any field of a record that is itself unknown, or is no record at all;
- an element of a list at an index the list does not have;
- a collection that is unknown: an implicit variable ranging over it is then bound
  once, to `UNKNOWN_COLLECTION`.

Every reader of facts asks `Facts`: the traced evaluation (`field`, `value_at`), the
bindings of implicit variables (`collection`), the questions asked about unknown facts
(`element`), and the fast path. The fast path's two-valued function reads a record by
key, as Python does fastest, and so meets an unknown fact as a `KeyError` raised by its
own code; `Facts.missed` is what tells that apart from an error inside the engine,
which must never pass for an unknown fact (the error is raised again, not hidden).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

GENERATED = "<kspolicy fast path"
"""How the file name of generated code begins (`compile(tree, GENERATED + ...)`)."""


class _UnknownCollection:
    """What an implicit variable is bound to when its whole collection is unknown."""

    def __repr__(self) -> str:
        return "UNKNOWN_COLLECTION"


UNKNOWN_COLLECTION = _UnknownCollection()


class Undecided(Exception):
    """Raised by generated two-valued code where only three-valued logic can answer:
    the caller then asks the three-valued function (see `fastpath`)."""


class Facts:
    """The facts of one case, read as the language reads them: unknown is None.

    Holds the case's plain data (`root`); builds nothing, copies nothing, so that
    wrapping a case costs nothing a decision would notice.
    """

    __slots__ = ("root",)

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"Facts({self.root!r})"

    @staticmethod
    def field(record: Any, name: str) -> Any:
        """A record's field; None (unknown) if the record is unknown or gives none."""
        return record.get(name) if isinstance(record, Mapping) else None

    @staticmethod
    def element(items: Any, index: int) -> Any:
        """A list's element; None (unknown) if the list is unknown or too short."""
        if isinstance(items, list | tuple) and 0 <= index < len(items):
            return items[index]
        return None

    def value_at(self, fields: Iterable[str], start: Any = None) -> Any:
        """The value at a path of fields, from the root or from `start`; None if unknown."""
        value: Any = self.root if start is None else start
        for name in fields:
            value = value.get(name) if isinstance(value, Mapping) else None
        return value

    def collection(self, fields: Iterable[str]) -> list[Any] | tuple[Any, ...] | None:
        """The list at a path from the root; None if unknown (or not a list)."""
        value = self.value_at(fields)
        return value if isinstance(value, list | tuple) else None

    @staticmethod
    def missed(error: BaseException) -> bool:
        """Whether an error from generated two-valued code is that code meeting a fact
        the case does not give (so three-valued logic must answer), and nothing else.

        That code reads records by key (`root['project']['trl']`), so an unknown fact
        raises KeyError; data given without checking may hold None, which raises
        TypeError where the code orders or iterates it (three-valued logic then reads it
        as unknown, as it always has). Either counts only when raised by the generated
        code itself: the same error raised inside a helper, the engine or the standard
        library is a fault, not an unknown fact, and must not be hidden.
        """
        if not isinstance(error, KeyError | TypeError):
            return False
        trace = error.__traceback__
        if trace is None:
            return False
        while trace.tb_next is not None:
            trace = trace.tb_next
        return trace.tb_frame.f_code.co_filename.startswith(GENERATED)
