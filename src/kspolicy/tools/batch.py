"""Batch files: JSON Lines and CSV read as a stream of cases, decided a line each.

`read_batch` yields each line's case in order, or an `Unreadable` in its place for a
line that holds none, so one bad line never stops the rest. `decide_chunks` decides them
and writes each decision as a JSON line (`kspolicy eval --batch`), a chunk's lines at a
time, over worker processes by `policy.spread`, which `Policy.evaluate_many` also uses.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import mmap
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple, TextIO

import attrs

from .. import policy as facade
from ..diagnostics import (
    KSP401,
    KSP403,
    KSP406,
    KSP409,
    CaseError,
    CaseProblem,
    Code,
    KspolicyError,
    did_you_mean,
)
from ..eval.cases import Unreadable
from ..eval.decision import CompactDecision, Decision, unstructure_decision
from ..files import NotAFile, open_regular, os_reason
from ..lang.schema import ListType, RecordType, Schema
from ..limits import DEFAULT, Limits
from ..paths import EXAMPLE, Part, PathError, format_path, parse_path
from ..policy import Policy, spread
from . import output
from .caseline import (
    BOM,
    Decided,
    LineResult,
    Rejected,
    compact_line,
    decide_line,
    line_content,
    read_line,
)
from .jsonline import dumps, dumps_made  # json.dumps' compact bytes, faster (jsonline.py)


def read_batch(
    path: Path, limits: Limits = DEFAULT, *, raw: bool = False, schema: Schema | None = None
) -> BatchFile:
    """(line number, case) for each case of a .jsonl or .csv file, streamed.

    A line that holds no case (not UTF-8, not JSON, not an object, larger than a case
    file may be) is an `Unreadable` in its place, and the rest go on. Raises CaseError at
    once, before any case, when the file cannot be read at all: missing, not a regular
    file, a CSV header that names no case (HeaderError), a CSV given as JSON lines, or
    one case file given as a batch (a .toml file; a .json file holding one object over
    several lines). With `schema`, a CSV column naming no field of it is a header
    problem, said once, not once a row. `-` reads standard input; a named pipe is read
    as it is. With `raw`, a JSON line comes as its bytes, for `read_line` to read where
    it is decided (in a worker process).
    """
    where = str(path)
    if where == "-" and sys.stdin is None:
        closed = "standard input is closed: give the file's name, or pipe the cases in"
        raise CaseError(
            [CaseProblem("", f"{closed} (eval --batch - < cases.jsonl)", KSP401)], where
        )
    try:
        # `-`: standard input, a pipe as well as a file (a program writing cases).
        handle = sys.stdin.buffer if where == "-" else _open_batch(path)
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise CaseError([CaseProblem("", reason, KSP401)], where) from None
    try:
        if where != "-" and path.suffix.lower() == ".toml":
            # Said once it is found to be there: no line of TOML is a JSON line, so
            # each would be rejected alike ("not valid JSON").
            raise CaseError([CaseProblem("", _one_case(path), KSP401)], where)
        if path.suffix.lower() == ".csv":
            return BatchFile(handle, _csv_cases(handle, limits, where, schema))
        return BatchFile(handle, _json_cases(handle, limits, raw, where))
    except BaseException:
        handle.close()
        raise


def _open_batch(path: Path) -> BinaryIO:
    """A regular file, or a named pipe read as a stream, as standard input is (`--batch
    <(zcat cases.jsonl.gz)`): reading it waits for a writer, as `--out` does. A folder
    or a device is refused unread (NotAFile): `/dev/zero` would never end."""
    try:
        piped = stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        piped = False  # open_regular says why
    if not piped:
        return open_regular(path)
    # Opened once, to wait for its writer: a first look (open and close) would let the
    # writer in and out again, its lines lost with the pipe.
    handle = path.open("rb")
    mode = os.fstat(handle.fileno()).st_mode
    if not stat.S_ISFIFO(mode):  # swapped for something else since: refused
        handle.close()
        raise NotAFile("a device" if stat.S_ISCHR(mode) else "not a regular file")
    return handle


class BatchFile(Iterator[tuple[int, Any]]):
    """The cases of a batch file as they are read, and how far into the file that is
    (for a progress bar's estimate of the time left)."""

    def __init__(self, handle: BinaryIO, cases: Iterator[tuple[int, Any]]) -> None:
        self._handle = handle
        self._cases = cases
        try:
            self.size = os.fstat(handle.fileno()).st_size
        except (OSError, ValueError):
            self.size = 0

    def __next__(self) -> tuple[int, Any]:
        return next(self._cases)

    def fraction(self) -> float | None:
        """The share of the file read so far; None when it cannot be told."""
        if self._handle.closed:
            return 1.0
        try:
            return min(1.0, self._handle.tell() / self.size) if self.size else None
        except (OSError, ValueError):
            return None


def physical_lines(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | int]]:
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


def _json_cases(
    handle: BinaryIO, limits: Limits, raw: bool, where: str
) -> Iterator[tuple[int, Any]]:
    """The lines up to the first that holds something are read now: a CSV file given
    as JSON lines (on standard input, or named other than .csv), or a .json case file,
    is refused at once, rather than each of its lines rejected as "not valid JSON"."""
    lines = physical_lines(handle, limits.max_case_bytes)
    first: list[tuple[int, bytes | int]] = []
    for number, line in lines:
        first.append((number, line))
        if isinstance(line, int) or line_content(number, line).strip():
            break
    number, last = first[-1] if first else (0, 0)
    if not isinstance(last, int):
        content = line_content(number, last)
        if _csv_header(content):
            piped = where == "-" or stat.S_ISFIFO(os.fstat(handle.fileno()).st_mode)
            message = _not_json_lines(where, number, piped)
            raise CaseError([CaseProblem("", message, KSP401)], where)
        if where.lower().endswith(".json") and _one_object(handle, content, limits):
            raise CaseError([CaseProblem("", _one_case(Path(where)), KSP401)], where)
    return _json_lines(handle, itertools.chain(first, lines), limits, raw)


def _one_case(path: Path) -> str:
    return (
        "a batch is JSON lines (.jsonl), a case a line, or CSV (.csv), a case a row; "
        f"this is one case file: decide it with `kspolicy eval {path}`"
    )


def _one_object(handle: BinaryIO, first: bytes, limits: Limits) -> bool:
    """Whether a .json batch file is one case file instead: its first line is not JSON
    (`{` of an object laid out over lines) while the whole file is one JSON object. A
    file whose first line is JSON is JSON lines, whatever its name. Read by position, so
    the lines already read stay where they are; a pipe is never read twice."""
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        pass
    else:
        return False
    try:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return False
        whole = os.pread(handle.fileno(), limits.max_case_bytes + 1, 0)
    except (OSError, ValueError):
        return False
    if len(whole) > limits.max_case_bytes:
        return False  # larger than a case: its lines are rejected in their places
    try:
        return isinstance(json.loads(whole.removeprefix(BOM)), dict)
    except (ValueError, RecursionError):
        return False


def _csv_header(line: bytes) -> bool:
    """Whether a line is not JSON but a CSV header: names of fact paths (`project.trl`,
    `partners[0].country`), with commas or semicolons between them."""
    try:
        text = line.decode("utf-8").strip()
        json.loads(text)
    except (UnicodeDecodeError, RecursionError):
        return False
    except ValueError:
        pass  # not JSON: perhaps a header
    else:
        return False
    for name in re.split(r"[,;]", text):
        try:
            parts = parse_path(name.strip().strip('"'))  # a quoted name too
        except PathError:
            return False
        if not all(isinstance(part, int) or part.isidentifier() for part in parts):
            return False
    return True


def _not_json_lines(where: str, number: int, piped: bool) -> str:
    line = f"line {number} is not JSON but looks like a CSV header"
    if piped:
        given = "`--batch -`" if where == "-" else "a pipe"
        return (
            f"{line}: {given} reads JSON lines, a case a line; give a CSV file by its "
            "name, which ends in .csv (`--batch cases.csv`)"
        )
    return (
        f"{line}: a file is read as CSV when its name ends in .csv, and as JSON "
        f"lines otherwise; rename it to {Path(where).with_suffix('.csv').name}"
    )


def _json_lines(
    handle: BinaryIO, lines: Iterator[tuple[int, bytes | int]], limits: Limits, raw: bool
) -> Iterator[tuple[int, Any]]:
    with handle:
        for number, line in lines:
            if isinstance(line, int):
                yield number, _too_long(line, limits)
                continue
            line = line_content(number, line)  # as the service reads its lines
            if not line.strip():
                continue
            yield number, line if raw else read_line(line, limits)


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
        self._lines = physical_lines(handle, limits.max_case_bytes)
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


class HeaderError(CaseError):
    """A CSV file whose header line names no case: said of the header line, not of a
    case (each problem's path is empty, its message names the column)."""

    subject = "the header line"


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit():,} characters"
    return f"not valid CSV: {text}"


def _csv_cases(
    handle: BinaryIO, limits: Limits, where: str, schema: Schema | None = None
) -> Iterator[tuple[int, Any]]:
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
                problem = CaseProblem("", noted.message, noted.code)
                raise HeaderError([problem], f"{where}:{reader.line_num}")
    except (csv.Error, _RowTooLarge) as exc:
        message = (
            _csv_problem(exc)
            if isinstance(exc, csv.Error)
            else f"the header is more than {limits.max_case_bytes:,} bytes (max_case_bytes)"
        )
        problem = CaseProblem("", message, KSP401)
        raise HeaderError([problem], f"{where}:{reader.line_num}") from None
    header_line = reader.line_num
    columns, problems = _columns(header, limits, schema)
    if problems:
        raise HeaderError(problems, f"{where}:{header_line}")
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
            if not cells:
                continue  # a blank line holds no row, as in JSON lines
            # A row has a cell for each column: one with fewer may have lost a cell in
            # the middle, and its cells would be read into the wrong columns. Cells past
            # the last column are allowed when empty (a spreadsheet's stray commas).
            if len(cells) < len(columns) or any(c.strip() for c in cells[len(columns) :]):
                cells_ = f"{len(cells)} cell{'s' * (len(cells) != 1)}"
                message = f"the row has {cells_}; the header names {len(columns)} columns"
                yield start, Unreadable(message)
                continue
            # A row of empty cells is a case of which nothing is known, decided as `{}`
            # is: every row gets its line of output.
            yield start, _from_columns(cells, columns)


def _columns(
    header: list[str], limits: Limits, schema: Schema | None = None
) -> tuple[list[tuple[Part, ...]], list[CaseProblem]]:
    """Each column's path in a case, and what is wrong with the header: columns that
    collide (`institution` and `institution.x`; `partners.x` and `partners[0].name`),
    a list index past the limit on a list's length, a column that is not a fact path,
    and with `schema`, a column that names no field of it.

    A column is a fact path (`partners[0].country`, see `kspolicy.paths`), the older
    `partners.0.country` included: headers written before the one syntax still read."""
    problems: list[CaseProblem] = []
    columns: list[tuple[Part, ...]] = []
    root = _Place("table", "")
    for number, name in enumerate(header, start=1):

        def problem(message: str, code: Code = KSP401, name: str = name, n: int = number) -> None:
            column = f"column {n} (`{name}`)" if name.strip() else f"column {n}"
            problems.append(CaseProblem("", f"{column}: {message}", code))

        if ";" in name or "\t" in name:
            # No field's name holds one: the file's columns are separated by semicolons
            # (Excel's CSV where the comma is the decimal sign) or tabs. Refused rather
            # than guessed, so that no cell is read other than as written.
            sign = "`;`" if ";" in name else "a tab"
            problem(
                f"a column's name holds {sign}: the file looks separated by {sign}, and "
                "a CSV file's columns are separated by commas; save it as CSV with commas "
                '(Excel: "CSV UTF-8 (Comma delimited)"; LibreOffice: field delimiter `,`)'
            )
            columns.append(())
            continue
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
            continue
        unknown = _unknown_field(parts, schema) if schema is not None else None
        if unknown is not None:
            # Said once here: every row would be rejected with the same words.
            problem(unknown, KSP403)
    return columns, problems


def _unknown_field(parts: tuple[Part, ...], schema: Schema) -> str | None:
    """What is wrong with a column whose path names no field of the schema (its first
    name that is none, with the closest there), or None when each name is a field.
    `as_of` is a case's date, not a fact, and may be a column too."""
    if parts == ("as_of",):
        return None
    record: Any = schema.root
    for depth, part in enumerate(parts):
        if isinstance(part, int):
            continue  # an index: whether the place is a list, the rows' values say
        while isinstance(record, ListType):
            record = record.element
        within = format_path(parts[:depth])
        if not isinstance(record, RecordType):
            return f"`{within}` holds a value, not fields: it has no field '{part}'"
        if part not in record.fields:
            known = record.fields
            place = f" in `{within}`" if within else ""
            hint = did_you_mean(part, known, quote="'") or (
                f"known fields here: {', '.join(known) or 'none'}"
            )
            return f"unknown field '{part}'{place}; {hint}"
        record = record.fields[part].type
    return None


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
    unknown facts; cells holding JSON (true, 3, ["CN"], "123") are read as JSON, others
    as their text (docs/cli.md, "CSV files")."""
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
                element = target[part]
                # Left unknown by a column before (None), or an empty element it put in
                # as a gap in the shape it needed (`x[1][0]` makes `x[0]` a list, which
                # `x[0].a` needs a table): nothing is known of it, so this column's shape.
                if element is None or (not element and type(element) is not type(container)):
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


# ---- deciding a batch ----------------------------------------------------------------
#
# `kspolicy eval --batch`: each case read, decided and written as one JSON line, in input
# order, in bounded memory. The three stages run where the case is decided (in a worker
# process with `--workers`), so that the process that reads and writes does almost
# nothing per case: with two workers on two cores it shares a core with them.

FIELDS: dict[str, tuple[str, ...]] = {
    "compact": ("format", *(f.name for f in attrs.fields(CompactDecision))),
    "full": ("format", *(f.name for f in attrs.fields(Decision))),
}
"""The fields a line's decision may hold (`--fields`), by form."""


def pick_fields(text: str | None, detail: str) -> tuple[str, ...] | None:
    """The fields `--fields` names (`outcomes,possible`), checked against the form's;
    None for all of them."""
    if text is None:
        return None
    known = FIELDS[detail]
    picked = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not picked:
        raise KspolicyError(f"--fields names no field; a decision's fields: {', '.join(known)}")
    if "line" in picked:
        # Not a decision's field: the line's number, written on every line.
        raise KspolicyError(
            "--fields: `line` is written on every line, with or without --fields; name"
            f" only a decision's fields: {', '.join(known)}"
        )
    unknown = [name for name in picked if name not in known]
    if len(unknown) == 1:
        [name] = unknown
        hint = did_you_mean(name, known) or f"the {detail} form's fields: {', '.join(known)}"
        raise KspolicyError(f"--fields: a decision has no field `{name}`; {hint}")
    if unknown:
        # Every one at once: fixing one name at a time would take a run each.
        named = []
        for name in unknown:
            close = did_you_mean(name, known)
            named.append(f"`{name}`" + (f" ({close})" if close else ""))
        raise KspolicyError(
            f"--fields: a decision has no fields {', '.join(named[:-1])} and {named[-1]};"
            f" the {detail} form's fields: {', '.join(known)}"
        )
    return picked


@attrs.frozen
class Job:
    """What each case of a batch is decided and written with (sent with every chunk)."""

    as_of: str | None = None
    lang: str = "en"
    explain: bool = False
    detail: str = "compact"
    fields: tuple[str, ...] | None = None
    record: str | None = None  # with --record: the batch file's name, for each record
    engine: str = ""


class Line(NamedTuple):
    """One output line: its text, whether it holds a decision (or the problems of a case
    that has none), and with --record the decision's audit record, not yet chained."""

    text: str
    decided: bool
    record: dict[str, Any] | None = None


class Written(NamedTuple):
    """A chunk of cases decided: its output lines as UTF-8 (each line ended), how many
    hold a decision and how many the problems of a case, and with --record the
    decisions' audit records, in order, not yet chained. Bytes, not text: the process
    that writes them neither decodes nor encodes them (a quarter of its time per case).
    From `decide_chunks`, `data` may be a view of memory a worker wrote it in, valid
    until the next chunk is asked for: write it, or copy it, before."""

    data: bytes | memoryview
    decided: int
    rejected: int
    records: list[dict[str, Any]]


def decide_chunks(
    policy: Policy,
    cases: Iterable[tuple[int, Any]],
    job: Job,
    *,
    workers: int | None = 1,
    share: Callable[[], float | None] | None = None,
) -> Iterator[Written]:
    """The output of each chunk of numbered cases (a case, a raw JSON line, an
    `Unreadable`), in input order, streamed; over worker processes as `policy.spread`
    decides (`workers` None: when there is work for them). What `eval --batch` writes:
    a text per chunk, so that the process writing it does almost nothing per case.
    `share` tells how much of the input is read (`BatchFile.fraction`): with workers
    None, they start only for a batch with work enough left. Workers are forked where
    this process may fork (`policy.can_fork`): they start warm, in milliseconds, and
    leave each chunk's output in memory shared with this process (`_Slots`), so that a
    chunk's `data` is valid until the next chunk is asked for."""
    global _slots
    count = facade.cores() if workers is None else workers
    if count <= 1 or not facade.can_fork() or _slots is not None:
        yield from spread(
            policy, _written, job, cases, workers=workers, share=share, alone="--workers 1"
        )
        return
    # Numbered chunks, made here: a chunk's number picks its slot.
    size = facade.CHUNK  # read at the call: a test may make chunks small
    numbered = iter(cases)
    chunks = enumerate(iter(lambda: list(itertools.islice(numbered, size)), []))
    _slots = slots = _Slots.made(count * facade.AHEAD + 2)
    try:
        parts = spread(
            policy,
            _slotted,
            job,
            chunks,
            workers=workers,
            chunk=1,
            share=share,
            alone="--workers 1",
            fork=True,
        )
        for made in parts:
            yield made[0] if slots is None else slots.take(made[0])
    finally:
        _slots = None


class _InSlot(NamedTuple):
    """A chunk's output left in a slot of `_Slots` by a forked worker: where, and the
    rest of its `Written`."""

    slot: int
    length: int
    decided: int
    rejected: int
    records: list[dict[str, Any]]


class _Slots:
    """Memory this process shares with the workers it forks, where each worker leaves a
    chunk's output for this process to write out, rather than sending it through a pipe:
    the output of 256 cases is two megabytes, which pickling, the pipe (64 KiB at a
    time, the worker waiting for this process) and unpickling copied five times. Chunk
    `n` uses slot `n % count`: a slot is used again only once its last chunk is written
    (`spread` has at most `workers * AHEAD` chunks in flight, and submits more only when
    the chunk it gave out last is consumed). Anonymous: it goes with the last process."""

    SIZE = 8 << 20  # bytes a slot holds; a larger chunk's output goes through the pipe

    def __init__(self, count: int) -> None:
        self.count = count
        self.owner = os.getpid()
        # Pages are taken as they are written: a slot costs what its chunks hold.
        self.memory = mmap.mmap(-1, count * self.SIZE)
        self.view = memoryview(self.memory)

    @classmethod
    def made(cls, count: int) -> _Slots | None:
        """`count` slots; None where the system will not map them (a strict overcommit
        policy, a memory limit): the chunks' output then goes through the pipe."""
        try:
            return cls(count)
        except (OSError, ValueError, OverflowError):
            return None

    def put(self, number: int, written: Written) -> Written | _InSlot:
        """In a forked worker, `written` left in chunk `number`'s slot, when it fits."""
        size = len(written.data)
        if os.getpid() == self.owner or size > self.SIZE:
            return written
        slot = number % self.count
        start = slot * self.SIZE
        self.view[start : start + size] = written.data
        return _InSlot(slot, size, written.decided, written.rejected, written.records)

    def take(self, made: Written | _InSlot) -> Written:
        """A chunk's `Written`, its data a view of its slot when a worker left it there."""
        if isinstance(made, Written):
            return made
        start = made.slot * self.SIZE
        data = self.view[start : start + made.length]
        return Written(data, made.decided, made.rejected, made.records)


_slots: _Slots | None = None  # the batch's, while its forked workers may write in it


def _slotted(
    policy: Policy, job: Job, chunks: list[tuple[int, list[tuple[int, Any]]]]
) -> list[Written | _InSlot]:
    """Each numbered chunk's output, left in its slot by a forked worker: a worker's task
    (see `policy.spread`)."""
    slots = _slots
    made: list[Written | _InSlot] = []
    for number, chunk in chunks:
        written = _written(policy, job, chunk)
        made.append(written if slots is None else slots.put(number, written))
    return made


def decide_lines(
    policy: Policy, cases: Iterable[tuple[int, Any]], job: Job, *, workers: int | None = 1
) -> Iterator[Line]:
    """The output line of each numbered case, in input order, streamed (as
    `decide_chunks`, a line at a time)."""
    for lines in spread(policy, _lines, job, cases, workers=workers, fork=True):
        yield from lines


def _written(policy: Policy, job: Job, chunk: list[tuple[int, Any]]) -> Written:
    """A chunk's output as one text: a worker's task (see `policy.spread`)."""
    made = _encoded(policy, job, chunk)
    lines, rejected = made.data, len(made.rejected)
    decided = len(lines) - rejected
    lines.append(b"")
    data = b"\n".join(lines)  # each line ended, one copy
    return Written(data, decided, rejected, [*made.records.values()])


def writer(out: Any, path: Path | None) -> Callable[[bytes | memoryview], None]:
    """Write a chunk's bytes to `out`, a text stream or an `output.Replacing` (to
    `path`), through its binary buffer when it has one."""
    stream = getattr(out, "stream", out)
    stream.flush()  # what was written as text goes first
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        return lambda data: stream.write(str(data, "utf-8"))
    if path is None:
        return buffer.write  # type: ignore[no-any-return]

    def write(data: bytes | memoryview) -> None:
        try:
            buffer.write(data)
        except OSError as error:
            raise output.cannot_write(path, error) from None

    return write


def _lines(policy: Policy, job: Job, chunk: list[tuple[int, Any]]) -> list[Line]:
    """Read, decide and write a chunk of cases: a worker's task (see `policy.spread`)."""
    made = _encoded(policy, job, chunk)
    rejected, records = made.rejected, made.records
    return [
        Line(data.decode(), at not in rejected, records.get(at))
        for at, data in enumerate(made.data)
    ]


class _Encoded(NamedTuple):
    """A chunk's output lines as `Line`s: each line's JSON as UTF-8 bytes, unended (by
    `jsonline`), the positions of the lines that hold a case's problems, and with
    --record the decisions' audit records by position, in order. By chunk, not by line:
    a line written straight costs one `append`."""

    data: list[bytes]
    rejected: set[int]
    records: dict[int, dict[str, Any]]


def _encoded(policy: Policy, job: Job, chunk: list[tuple[int, Any]]) -> _Encoded:
    """Read, decide and write a chunk of cases, each line's JSON as UTF-8 bytes."""
    out: list[bytes] = []
    append = out.append
    rejected_at: set[int] = set()
    records: dict[int, dict[str, Any]] = {}
    fields = job.fields
    # The compact form with no record and no trace is written straight from what the
    # rules found, without the decision's objects (the same bytes, tested).
    straight = job.detail == "compact" and not job.explain and job.record is None
    for number, item in chunk:
        if straight:
            made = compact_line(policy, number, item, as_of=job.as_of, lang=job.lang)
            if not isinstance(made, Rejected):
                if fields is not None:
                    made = {name: made[name] for name in fields if name in made}
                line = {"line": number, "decision": made}
                append(dumps_made(line, _given(number, made)))
                continue
            result: LineResult = made
        else:
            result = decide_line(
                policy, number, item, as_of=job.as_of, lang=job.lang, explain=job.explain
            )
        record = None
        if isinstance(result, Decided) and job.record is not None:
            # Imported with --record only: a worker that writes no records never pays it.
            from . import audit

            try:
                now = dt.datetime.now(dt.UTC)
                record = audit.record_of(
                    policy,
                    result.case,
                    result.decision,
                    job.engine,
                    now,
                    batch=(job.record, number),
                )
            except CaseError as error:  # a case no record can hold: rejected like any other
                result = Rejected(number, error)
        if isinstance(result, Rejected):
            problems = result.error.problems
            rejected = {
                "line": number,
                "error": [str(p) for p in problems],
                "codes": [p.code.number for p in problems],
            }
            rejected_at.add(len(out))
            append(dumps(rejected))
            continue
        data = unstructure_decision(result.decision, job.detail)
        if fields is not None:
            data = {name: data[name] for name in fields if name in data}
        line = {"line": number, "decision": data}
        if record is not None:
            records[len(out)] = record
        append(dumps(line))
    return _Encoded(out, rejected_at, records)


def _given(number: int, made: dict[str, Any]) -> list[Any]:
    """The parts of a line written straight (`compact_line`) that `jsonline.dumps_made`
    checks: those that hold what the caller gave (the line's number, `lang`), a case's
    values (`facts`; `matched`, a value that is not its fact's) or a float (`matched`:
    the screening's scores). The line's bulk is left unchecked: texts of the checked
    policy and its lists (read from policy and TOML text, and refused at load when not
    a text), paths and counts the engine makes, in parts made for this line alone
    (`held=False` in `runtime.compact_decision`):

    - `format`, a constant; `policy`, the header's texts and the date's `isoformat()`;
    - `outcomes` and `possible`: codes the policy's outcomes declare (`_Ranked`), and an
      entry outcome's key, the records list entry's own (not the case's value it equals);
      `headline`: an outcome's name, a scale's codes, a bool, paths;
    - `fired` and `pending`: each row a rule's name, its binding (the policy's variable
      names, to indices the runner counts), its facts and unknown facts (paths, made of
      the schema's field names and indices by `paths.child`/`element`) and its entries'
      positions in `matched` (counted by `compact_rows`);
    - `open_questions`: paths, as above.

    Were one ever to hold a float or a case's value, json still writes a subclass of
    str or int, a date or a dataclass (orjson refuses them, see jsonline.py); a float
    (`1e-05`), a non-int non-str enum or a UUID would be written as orjson writes it.
    tests/test_batch_line_given.py runs the whole check over every unchecked part of
    generated lines (floats such as 1e-05 and 1e16, huge ints, subclasses of str from a
    Python caller) and fails the day one holds what `jsonline._plain` refuses."""
    get = made.get  # `--fields` may have left a part out
    return [number, get("lang"), get("facts"), get("matched")]


class Progress:
    """A one-line progress bar on a terminal: cases, rate, share of the file, time left.
    Redrawn at most five times a second, whatever the rate."""

    def __init__(self, stream: TextIO, batch: BatchFile) -> None:
        self._stream = stream
        self._batch = batch
        self._start = time.monotonic()
        self._next = self._start + 0.2
        self.count = 0

    def step(self, cases: int = 1) -> None:
        """`cases` more cases written (a chunk's); redraw when it is time."""
        before = self.count
        self.count += cases
        if self.count >> 5 != before >> 5:  # the clock is read every 32 cases at most
            now = time.monotonic()
            if now >= self._next:
                self._next = now + 0.2
                self._stream.write("\r" + self.text(now) + "\033[K")
                self._stream.flush()

    def text(self, now: float) -> str:
        """The bar as it reads at `now`."""
        elapsed = max(now - self._start, 1e-9)
        rate = self.count / elapsed
        text = f"{self.count:,} cases  {rate:,.0f}/s"
        fraction = self._batch.fraction()
        if fraction:
            left = elapsed * (1 - fraction) / fraction
            width = 20
            done = round(width * fraction)
            bar = "#" * done + "." * (width - done)
            text = f"[{bar}] {fraction:4.0%}  {text}  ETA {_clock(left)}"
        return text

    def close(self) -> None:
        """Clear the bar, for the summary line."""
        self._stream.write("\r\033[K")


def _clock(seconds: float) -> str:
    minutes, second = divmod(int(seconds + 0.5), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"


__all__ = [
    "FIELDS",
    "BatchFile",
    "HeaderError",
    "Job",
    "Line",
    "Progress",
    "Unreadable",
    "Written",
    "decide_chunks",
    "decide_lines",
    "pick_fields",
    "read_batch",
    "read_line",
    "writer",
]
