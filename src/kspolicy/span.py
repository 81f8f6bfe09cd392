"""Source files and spans.

A span is a pair of character offsets into one source text. Line and column are
computed only when a diagnostic is rendered, so spans stay cheap to create and to
shift (the parser parses a file item by item and moves each item's spans to where the
item stands in the file).
"""

from __future__ import annotations

import bisect
from functools import cached_property
from typing import NamedTuple

import attrs


@attrs.frozen(eq=False)
class Source:
    """One text that spans point into: a policy file, a list file, a case file."""

    name: str
    text: str

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        return starts

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a character offset."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line break."""
        starts = self._line_starts
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r")

    def offset_of(self, line: int, column: int) -> int:
        """The character offset of a 1-based (line, column), clamped into the text."""
        starts = self._line_starts
        line = max(1, min(line, len(starts)))
        return min(starts[line - 1] + max(column, 1) - 1, len(self.text))


class Span(NamedTuple):
    """A range of characters `[start, end)` in a source.

    A named tuple rather than a frozen attrs class: the parser makes one for every node
    and name (over 100,000 for 3,000 rules) and a load from the cache remakes them all,
    and a tuple is made in half the time. Like a frozen class, it cannot be changed.
    """

    source: Source
    start: int
    end: int

    def __reduce__(self) -> tuple[type[Span], tuple[Source, int, int]]:
        # Pickled as its three fields, remade by calling the class (the cache's unpickler
        # allows only the engine's classes: no `copyreg` helpers).
        return Span, (self.source, self.start, self.end)

    def __repr__(self) -> str:
        return f"Span(source={self.source!r}, start={self.start!r}, end={self.end!r})"

    def shifted(self, by: int) -> Span:
        """The same span, `by` characters further into its source."""
        return Span(self.source, self.start + by, self.end + by)

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.source, min(self.start, other.start), max(self.end, other.end))

    @property
    def text(self) -> str:
        """The source text under the span."""
        return self.source.text[self.start : self.end]

    @property
    def line(self) -> int:
        """The 1-based line where the span starts."""
        return self.source.position(self.start)[0]

    @property
    def column(self) -> int:
        """The 1-based column where the span starts."""
        return self.source.position(self.start)[1]

    def __str__(self) -> str:
        line, column = self.source.position(self.start)
        return f"{self.source.name}:{line}:{column}"


def whole(source: Source) -> Span:
    """A span covering nothing at the start of a source: for problems of a whole file."""
    return Span(source, 0, 0)
