"""Reading a publisher's file safely: bytes within a budget, XML without entities, CSV
and JSON with the line of every problem.

XML is parsed by defusedxml, which refuses a file that declares entities or refers to
external ones: an XML bomb ("billion laughs") or a file that reads other files is
refused before anything is expanded. The parser records the line of every element, so
that a problem found later can still name its line.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from ...files import NotAFile, TooLarge, os_help, os_reason, read_bounded
from .model import ListImportError

# The largest file an import reads: the publishers' files are tens of megabytes; an
# OpenSanctions collection of all sanctions lists is some hundreds.
MAX_BYTES = 1 << 30


def read(path: Path) -> tuple[bytes, str]:
    """A file's bytes and their sha256."""
    try:
        data = read_bounded(path, MAX_BYTES)
    except TooLarge:
        raise ListImportError(
            path,
            f"the file is larger than {MAX_BYTES >> 20} MiB",
            "import one dataset rather than a whole collection",
        ) from None
    except NotAFile as exc:
        raise ListImportError(path, f"cannot read it: {exc}", "name the downloaded file") from None
    except OSError as exc:
        raise ListImportError(path, f"cannot read it: {os_reason(exc)}", os_help(exc)) from None
    return data, hashlib.sha256(data).hexdigest()


def text(path: Path, data: bytes) -> str:
    """The file as text (UTF-8, with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListImportError(
            path,
            "the file is not UTF-8 text",
            "download the file again, as it is published (not opened and saved in a spreadsheet)",
            line,
        ) from None


class XmlTree:
    """A parsed XML file, with the line where each element starts."""

    def __init__(self, path: Path, data: bytes) -> None:
        # Imported here: defusedxml is an optional dependency (the `screening` extra).
        try:
            from defusedxml import DefusedXmlException
            from defusedxml.ElementTree import DefusedXMLParser
        except ImportError:  # pragma: no cover - depends on what is installed
            raise ListImportError(
                path,
                "reading XML lists needs the defusedxml package",
                "install kspolicy with its screening extra: pip install 'kspolicy[screening]'",
            ) from None
        self.path = path
        self._lines: dict[int, int] = {}
        builder = TreeBuilder()
        lines = self._lines

        class Target:
            expat: Any = None

            def start(self, tag: str, attrs: dict[str, str]) -> Element:
                element = builder.start(tag, attrs)
                lines[id(element)] = self.expat.CurrentLineNumber if self.expat else 0
                return element

            def end(self, tag: str) -> Element:
                return builder.end(tag)

            def data(self, content: str) -> None:
                builder.data(content)

            def close(self) -> Element:
                return builder.close()

        target = Target()
        parser = DefusedXMLParser(target=target)
        target.expat = parser.parser
        try:
            parser.feed(data)
            self.root: Element = parser.close()
        except DefusedXmlException:
            at = data.find(b"<!ENTITY")
            line = data[:at].count(b"\n") + 1 if at >= 0 else None
            raise ListImportError(
                path,
                "the XML declares entities (<!ENTITY ...>), which kspolicy never expands: "
                "the publishers' lists have none, and an XML bomb would",
                "download the list again from its publisher (docs/screening-import.md)",
                line,
            ) from None
        except ParseError as exc:
            line, _column = exc.position
            raise ListImportError(
                path,
                f"the file is not well-formed XML: {_plain(str(exc))}",
                "the file may be cut short or not be XML at all: download it again, "
                "and check the FORMAT",
                line,
            ) from None

    def line(self, element: Element) -> int | None:
        """The line where an element starts."""
        return self._lines.get(id(element))

    def fail(self, element: Element, message: str, help: str | None = None) -> ListImportError:
        """An error at an element's line."""
        return ListImportError(self.path, message, help, self.line(element))


def _plain(message: str) -> str:
    return re.sub(r": line \d+, column \d+$", "", message)


def local(tag: str) -> str:
    """An element's name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def children(element: Element, name: str) -> list[Element]:
    """The children of an element with a name, whatever their namespace."""
    return [child for child in element if local(child.tag) == name]


def child_text(element: Element, name: str) -> str:
    """The text of the first child with a name ("" when there is none)."""
    for child in children(element, name):
        return (child.text or "").strip()
    return ""


def descendants(element: Element, name: str) -> Iterator[Element]:
    """Every element below one with a name, whatever its namespace."""
    return (e for e in element.iter() if local(e.tag) == name and e is not element)


def csv_rows(
    path: Path, data: bytes, required: tuple[str, ...], format: str
) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with their line numbers, after checking its header."""
    content = text(path, data)
    reader = csv.DictReader(io.StringIO(content, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise ListImportError(path, f"the CSV header is broken: {exc}", None, 1) from None
    missing = [column for column in required if column not in header]
    if missing:
        raise ListImportError(
            path,
            f"the file has no column {', '.join(repr(m) for m in missing)}, which {format} "
            f"files have (its columns: {', '.join(header[:8]) or 'none'})",
            guess_help(data, format),
            1,
        )
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ListImportError(
                path,
                f"the CSV row that starts on this line is broken: {exc}",
                "a quote may be left open, or the file cut short: download it again",
                line,
            ) from None
        if None in row:
            raise ListImportError(
                path,
                "this row has more fields than the header has columns",
                "a value with a comma must be in double quotes: download the file again",
                line,
            )
        yield line, {k: v or "" for k, v in row.items()}


def json_document(path: Path, data: bytes) -> Any:
    """A JSON file's value."""
    content = text(path, data)
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        raise ListImportError(
            path,
            f"the file is not valid JSON: {exc.msg} (column {exc.colno})",
            guess_help(data, "JSON"),
            exc.lineno,
        ) from None
    except RecursionError:
        raise ListImportError(path, "the JSON is nested too deeply to be a list", None) from None


def json_lines(path: Path, data: bytes) -> Iterator[tuple[int, Any]]:
    """The values of a JSON Lines file (one JSON value a line), with their line numbers."""
    content = text(path, data)
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ListImportError(
                path,
                f"this line is not valid JSON: {exc.msg} (column {exc.colno})",
                guess_help(data, "JSON Lines"),
                number,
            ) from None
        except RecursionError:
            raise ListImportError(path, "this line is nested too deeply", None, number) from None


def guess_help(data: bytes, expected: str) -> str:
    """A hint that names the format the file seems to be in."""
    head = codecs.decode(data[:2048], "utf-8", "replace").lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        seems = "XML (FORMAT eu-fsf or uk)"
    elif head.startswith("{") and "\n{" in head:
        seems = "JSON Lines (FORMAT opensanctions-ftm)"
    elif head.startswith(("{", "[")):
        seems = "JSON (FORMAT us-csl-json)"
    elif head.startswith("_id,"):
        seems = "the CSL's CSV (FORMAT us-csl-csv)"
    elif head.startswith("id,schema,"):
        seems = "OpenSanctions' simple CSV (FORMAT opensanctions-csv)"
    else:
        return f"check that the file is the {expected} file of docs/screening-import.md"
    return f"the file looks like {seems}; check the FORMAT"


_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(value: str | None) -> dt.date | None:
    """A date written YYYY-MM-DD (a time after it, or a month or day left out, is
    allowed: the first day is taken) or DD/MM/YYYY; None when it is none of these."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        found = _ISO_DATE.match(value)
        if found:
            year, month, day = found.groups()
            return dt.date(int(year), int(month or 1), int(day or 1))
        found = _UK_DATE.fullmatch(value)
        if found:
            day, month, year = found.groups()
            return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return None


def parse_time(value: str | None) -> dt.datetime | dt.date | None:
    """A moment written in ISO 8601: a time (made UTC when it names no zone), else a date."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return parse_date(value)
    if "T" not in value and " " not in value:
        return moment.date()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.replace(microsecond=0)
