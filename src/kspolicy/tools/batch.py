"""Batch files: JSON Lines and CSV read as a stream of cases, for `Policy.evaluate_many`.

`read_batch` yields each line's case in order, or an `Unreadable` in its place for a
line that holds none, so one bad line never stops the rest; the cases are decided by
`Policy.evaluate_many` (policy.py), which streams and spreads them over processes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

from ..diagnostics import KSP401, KSP402, KSP406, KSP407, KSP409, CaseError, CaseProblem, Code
from ..eval.cases import Unreadable, depth_exceeds, json_problem
from ..files import open_regular, os_reason
from ..lang.schema import value_kind
from ..limits import DEFAULT, Limits
from ..paths import EXAMPLE, Part, PathError, format_path, parse_path


def read_batch(path: Path, limits: Limits = DEFAULT) -> Iterator[tuple[int, Any]]:
    """(line number, case) for each case of a .jsonl or .csv file, streamed.

    A line that holds no case (not UTF-8, not JSON, not an object, larger than a case
    file may be) is an `Unreadable` in its place, and the rest go on. Raises CaseError at
    once, before any case, when the file cannot be read at all: missing, not a regular
    file, or a CSV header that names no case.
    """
    where = str(path)
    try:
        handle = open_regular(path)
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise CaseError([CaseProblem("", reason, KSP401)], where) from None
    try:
        if path.suffix.lower() == ".csv":
            return _csv_cases(handle, limits, where)
        return _json_cases(handle, limits)
    except BaseException:
        handle.close()
        raise


def _physical_lines(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | int]]:
    """(line number, the line without its ending), or (line number, its length in bytes)
    for a line longer than `limit`: such a line is skipped in chunks, never held whole."""
    number = 0
    while True:
        line = handle.readline(limit + 2)  # room for the line's end, "\r\n"
        if not line:
            return
        number += 1
        ended = line.endswith(b"\n")
        content = line.rstrip(b"\r\n") if ended else line
        if len(content) <= limit and (ended or len(line) < limit + 2):
            yield number, content
            continue
        length = len(content)
        while not ended:
            chunk = handle.readline(_CHUNK)
            if not chunk:
                break
            ended = chunk.endswith(b"\n")
            length += len(chunk.rstrip(b"\r\n")) if ended else len(chunk)
        yield number, length


_CHUNK = 1 << 16


def _too_long(length: int, limits: Limits) -> Unreadable:
    message = (
        f"the line is {length:,} bytes; a case may have {limits.max_case_bytes:,} (max_case_bytes)"
    )
    return Unreadable(message, KSP406)


def _json_cases(handle: BinaryIO, limits: Limits) -> Iterator[tuple[int, Any]]:
    with handle:
        for number, line in _physical_lines(handle, limits.max_case_bytes):
            if isinstance(line, int):
                yield number, _too_long(line, limits)
                continue
            if number == 1:
                line = line.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
            if not line.strip():
                continue
            yield number, _json_case(line, limits)


def _json_case(line: bytes, limits: Limits) -> Any:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(f"not UTF-8 text (column {exc.start + 1}): save the file as UTF-8")
    try:
        case = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return Unreadable(f"not valid JSON: {json_problem(exc)}")
    if not isinstance(case, dict):
        # Never a path to a case file: the batch's author would choose what is read.
        return Unreadable(
            f"each line must be a JSON object (a case), not {value_kind(case)}", KSP402
        )
    if depth_exceeds(case, limits.max_depth):
        return Unreadable(
            f"the case nests more than {limits.max_depth} levels deep (max_depth)", KSP407
        )
    return case


# ---- CSV -----------------------------------------------------------------------------

PlaceKind = Literal["table", "list", "value"]


class _RowTooLarge(Exception):
    """A CSV row, over several lines, larger than a case may be."""


class _CsvLines:
    """The lines of a CSV file, decoded for `csv.reader`, each read within a budget.

    What is wrong with a line (not UTF-8, too long) is noted on the side and reported
    for the row that holds it; the reader gets a harmless stand-in, so it goes on.
    """

    def __init__(self, handle: BinaryIO, limits: Limits) -> None:
        self._lines = _physical_lines(handle, limits.max_case_bytes)
        self._limits = limits
        self.problems: list[tuple[int, Unreadable]] = []
        self.row_bytes = 0

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        number, line = next(self._lines)
        if isinstance(line, int):
            self.problems.append((number, _too_long(line, self._limits)))
            return "\n"
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
        self.row_bytes += len(line) + 1
        if self.row_bytes > self._limits.max_case_bytes + 1:
            raise _RowTooLarge
        try:
            return line.decode("utf-8") + "\n"
        except UnicodeDecodeError as exc:
            where = f"line {number}, column {exc.start + 1}"
            message = f"not UTF-8 text ({where}): save the file as UTF-8"
            self.problems.append((number, Unreadable(message)))
            return line.decode("utf-8", "replace") + "\n"

    def problem_since(self, line: int) -> Unreadable | None:
        """The first problem noted on a line from `line` on; forgets every problem noted."""
        found = next((p for n, p in self.problems if n >= line), None)
        self.problems.clear()
        return found


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV: {text}"


def _csv_cases(handle: BinaryIO, limits: Limits, where: str) -> Iterator[tuple[int, Any]]:
    """Read and check the header now (its problems are the whole file's); the rows later."""
    lines = _CsvLines(handle, limits)
    reader = csv.reader(lines)
    header: list[str] | None = None
    try:
        while header is None:
            row = next(reader, None)
            if row is None:
                handle.close()
                return iter(())
            header = row if any(cell.strip() for cell in row) else None
            noted = lines.problem_since(1)
            if noted is not None:
                problem = CaseProblem("", f"the header: {noted.message}", noted.code)
                raise CaseError([problem], f"{where}:{reader.line_num}")
    except (csv.Error, _RowTooLarge) as exc:
        message = (
            _csv_problem(exc)
            if isinstance(exc, csv.Error)
            else f"the header is more than {limits.max_case_bytes:,} bytes (max_case_bytes)"
        )
        problem = CaseProblem("", message, KSP401)
        raise CaseError([problem], f"{where}:{reader.line_num}") from None
    header_line = reader.line_num
    columns, problems = _columns(header, limits)
    if problems:
        raise CaseError(problems, f"{where}:{header_line}")
    return _csv_rows(handle, lines, reader, columns, limits)


def _csv_rows(
    handle: BinaryIO,
    lines: _CsvLines,
    reader: Any,
    columns: list[tuple[Part, ...]],
    limits: Limits,
) -> Iterator[tuple[int, Any]]:
    with handle:
        while True:
            start = reader.line_num + 1
            lines.row_bytes = 0
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                lines.problem_since(start)
                yield start, Unreadable(_csv_problem(exc))
                continue
            except _RowTooLarge:
                # The reader stopped inside a quoted cell: what follows cannot be told
                # apart from new rows, so the file ends here, and says so.
                message = (
                    f"the row holds more than {limits.max_case_bytes:,} bytes, the most a case "
                    "may have (max_case_bytes); the lines after it are not read"
                )
                yield start, Unreadable(message, KSP406)
                return
            noted = lines.problem_since(start)
            if noted is not None:
                yield start, noted
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
                message = f"the row has {len(cells)} cells; the header names {len(columns)} columns"
                yield start, Unreadable(message)
                continue
            yield start, _from_columns(cells, columns)


def _columns(header: list[str], limits: Limits) -> tuple[list[tuple[Part, ...]], list[CaseProblem]]:
    """Each column's path in a case, and what is wrong with the header: columns that
    collide (`institution` and `institution.x`; `partners.x` and `partners[0].name`),
    a list index past the limit on a list's length, a column that is not a fact path.

    A column is a fact path (`partners[0].country`, see `kspolicy.paths`), the older
    `partners.0.country` included: headers written before the one syntax still read."""
    problems: list[CaseProblem] = []
    columns: list[tuple[Part, ...]] = []
    root = _Place("table", "")
    for number, name in enumerate(header, start=1):

        def problem(message: str, code: Code = KSP401, name: str = name, n: int = number) -> None:
            problems.append(CaseProblem(name, f"header column {n}: {message}", code))

        try:
            if not name.strip():
                raise PathError("has no name")
            parts = parse_path(name)
        except PathError as exc:
            problem(f"{exc}; a column is a fact path such as `{EXAMPLE}`")
            columns.append(())
            continue
        columns.append(parts)
        too_far = [p for p in parts if isinstance(p, int) and p >= limits.max_items]
        if too_far:
            problem(
                f"index {too_far[0]:,} is past the {limits.max_items:,} elements a list may "
                "have (max_items); number the elements from 0",
                KSP409,
            )
            continue
        clash = root.add(parts, f"{number} (`{name}`)")
        if clash:
            problem(clash)
    return columns, problems


class _Place:
    """A place in a case that columns fill: a table, a list, or a value, and the first
    column that made it so, to name in a clash."""

    def __init__(self, kind: PlaceKind | None, column: str) -> None:
        self.kind = kind
        self.column = column
        self.inner: dict[Part, _Place] = {}

    def add(self, parts: tuple[Part, ...], column: str) -> str | None:
        """Record a column's path; what clashes with an earlier column, if anything.
        The path starts with a field name (`parse_path` sees to it)."""
        place = self
        for depth, part in enumerate(parts):
            within = format_path(parts[:depth])
            wanted: PlaceKind = "list" if isinstance(part, int) else "table"
            if place.kind == "value":
                return f"puts a field inside `{within}`, which column {place.column} gives a value"
            if place.kind is None:
                place.kind, place.column = wanted, column
            elif place.kind != wanted:
                return (
                    f"makes `{within}` a {wanted}, but column {place.column} makes it a "
                    f"{place.kind}; a list's elements are numbered 0, 1, 2..."
                )
            place = place.inner.setdefault(part, _Place(None, column))
        if place.kind == "value":
            return f"names the same fact as column {place.column}"
        if place.kind is not None:
            return f"gives a value to what column {place.column} fills with fields"
        place.kind, place.column = "value", column
        return None


def _from_columns(cells: list[str], columns: list[tuple[Part, ...]]) -> dict[str, Any]:
    """A case from a row's cells; each column's path was checked with the header, so
    every place is a table, a list or a value, as the header says. Empty cells are
    unknown facts; cells holding JSON (true, 3, ["CN"]) are read as JSON."""
    case: dict[str, Any] = {}
    for parts, cell in zip(columns, cells, strict=False):
        if not parts or cell.strip() == "":
            continue
        try:
            value: Any = json.loads(cell)
        except (ValueError, RecursionError):  # not JSON: the cell's text
            value = cell
        target: Any = case
        for part, following in zip(parts, parts[1:], strict=False):
            container: Any = [] if isinstance(following, int) else {}
            if isinstance(part, int):
                while len(target) <= part:
                    # An element between two given ones: nothing about it is known.
                    target.append([] if isinstance(following, int) else {})
                if target[part] is None:  # left unknown by a column that came before
                    target[part] = container
                target = target[part]
            else:
                target = target.setdefault(part, container)
        last = parts[-1]
        if isinstance(last, int):
            while len(target) <= last:
                target.append(None)
            target[last] = value
        else:
            target[last] = value
    return case


__all__ = ["Unreadable", "read_batch"]
