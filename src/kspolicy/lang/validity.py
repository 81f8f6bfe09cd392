"""Validity: the days a rule, a list or a list entry is in force.

One meaning for all three: in force from `valid_from` to `valid_until`, both days
included; a missing date leaves that end open. Rules (`valid from ... until ...`),
lists and list entries (`valid_from`, `valid_until` in a list file) share it by
inheriting `Validity`, so "valid on a day" cannot drift apart between them.
"""

from __future__ import annotations

import datetime as dt


class Validity:
    """What is in force from `valid_from` to `valid_until`, both included; None: open.

    A base for attrs classes that declare the two fields; it adds none of its own.
    """

    __slots__ = ()

    valid_from: dt.date | None
    valid_until: dt.date | None

    def valid_on(self, day: dt.date) -> bool:
        """Whether it is in force on a day."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """The first and last day it is in force (an open end: the first or last date)."""
        return (self.valid_from or dt.date.min, self.valid_until or dt.date.max)

    @property
    def ends_before_it_starts(self) -> bool:
        """Whether it is never in force: its `valid_until` is before its `valid_from`."""
        return (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until < self.valid_from
        )
