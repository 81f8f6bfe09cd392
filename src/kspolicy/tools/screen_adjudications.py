"""Adding a reviewer's answer to an adjudications list file, keeping what officers wrote.

Officers annotate the adjudications file by hand: why an answer was given, who to ask,
which answers belong to one case. `kspolicy screen review` therefore never rewrites the
file from its data. It parses it with tomlkit, which keeps comments, blank lines, the
order of tables and keys and the way each value is written, appends the one new answer
to the list's `entries` (as a `[[LIST.entries]]` table or an inline table, as the file
already writes them) and leaves every other byte as it was: the list's `source` and
`retrieved` too, which the officer may have set on purpose. Answers are only ever
added: a later answer for the same name and entry supersedes an earlier one when
decisions read the list (`eval.screen.Reviews`), and the earlier one stays as a record.

The new text is checked before it is written: it must read back (tomllib) as the old
entries plus the new answer. It is written whole or not at all (`output.write_bytes`:
a temporary file renamed over the old one), so an error of any kind leaves the
officer's file as it was.

tomlkit is a core dependency, as for `ask` (tools/saving.py): the officers who adjudicate
install `kspolicy` and nothing more, and without it their notes would be lost.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Array, Comment, InlineTable, Item, Table, Whitespace

from ..diagnostics import KspolicyError
from ..files import os_reason
from ..lang.lists import Adjudication
from . import output

ADJUDICATIONS = "ADJUDICATIONS"
"""The name of the adjudications list `review` writes when a file has none yet."""

Trivia = Comment | Whitespace

HEADER = "# Written by `kspolicy screen review` (docs/screening.md, Adjudication).\n"
"""The first line of an adjudications file `review` makes."""


def add_answer(path: Path, answer: Adjudication, then: Callable[[], object] | None = None) -> None:
    """Add a reviewer's answer to the adjudications list in the file `path` (made when
    missing), keeping the rest of the file byte for byte; KspolicyError, and the file
    as it was, when it cannot be read, is not TOML, or cannot be written.

    `then` runs once the file is written (the audit record of the answer): if it fails,
    the file is put back as it was, so that the answer is in both or in neither.
    """
    with _one_writer(path.parent):
        original = _read(path)
        text = with_answer(original, answer, path)
        output.write_bytes(path, text.encode("utf-8"))
        if then is None:
            return
        try:
            then()
        except BaseException:
            _put_back(path, original)
            raise


@contextlib.contextmanager
def _one_writer(folder: Path) -> Iterator[None]:
    """One reviewer at a time adds to the files in `folder`: read, add and write would
    otherwise let two reviewers at once each write the file without the other's answer.

    The lock is taken on the folder itself (flock, advisory, released when the process
    ends however it ends), so no lock file is left beside the officers' files. Where the
    system has no flock (Windows), answers are added unlocked, as before."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # a folder that cannot be opened: writing there will say why
        yield
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing the last descriptor releases the lock


def _put_back(path: Path, original: str | None) -> None:
    """The file as it was before the answer was added (none, if there was none)."""
    try:
        if original is None:
            path.unlink()
        else:
            output.write_bytes(path, original.encode("utf-8"))
    except (OSError, KspolicyError) as exc:
        raise KspolicyError(
            f"the answer was added to {path} but could not be recorded, nor taken out "
            f"again ({exc}): remove its last entry by hand"
        ) from None


def with_answer(original: str | None, answer: Adjudication, path: Path) -> str:
    """The text of the adjudications file `path` (`original`; None: no file yet) with
    the answer added."""
    record = {k: v for k, v in attrs.asdict(answer).items() if v is not None}
    if original is None:
        document = tomlkit.document()
        document.add(tomlkit.comment(HEADER[2:].rstrip("\n")))
        document.add(tomlkit.nl())
        document.add(ADJUDICATIONS, _new_list(answer, record))
        return _checked(tomlkit.dumps(document), None, record, path)
    # tomlkit keeps the line ends it reads; the lines it adds end in \n. A file written
    # with \r\n throughout gets \r\n on the new lines too.
    crlf = "\r\n" in original and "\n" not in original.replace("\r\n", "")
    try:
        document = tomlkit.parse(original)
        before = tomllib.loads(original)
    except (tomlkit.exceptions.TOMLKitError, tomllib.TOMLDecodeError) as exc:
        raise KspolicyError(
            f"cannot add the answer to {path}: it is not TOML ({exc}); correct the file "
            "(`kspolicy check` on the policy shows where), or give another with --file"
        ) from None
    name = _adjudications_table(document)
    if name is None:
        if ADJUDICATIONS in document:
            raise KspolicyError(
                f"{path} has a table {ADJUDICATIONS} that is not an adjudications list "
                '(kind = "adjudications"): give another file with --file'
            )
        if not original.endswith("\n\n"):
            document.add(tomlkit.nl())
        document.add(ADJUDICATIONS, _new_list(answer, record))
        name = ADJUDICATIONS
    else:
        _append(document[name], record, path, name)
    text = tomlkit.dumps(document)
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return _checked(text, before, record, path, name)


def _read(path: Path) -> str | None:
    """The file's text as it is, line ends and all; None when there is no file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KspolicyError(
            f"cannot read the adjudications file {path}: {os_reason(exc)}"
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KspolicyError(
            f"cannot read the adjudications file {path}: byte {exc.start} is not UTF-8; "
            "save it as UTF-8"
        ) from None


def _adjudications_table(document: tomlkit.TOMLDocument) -> str | None:
    """The name of the file's first adjudications list, if it has one."""
    for key, value in document.items():
        if isinstance(value, dict) and value.get("kind") == "adjudications":
            return str(key)
    return None


def _new_list(answer: Adjudication, record: dict[str, Any]) -> Table:
    table = tomlkit.table()
    table.add("kind", "adjudications")
    table.add("title", "Reviewers' answers to possible matches (kspolicy screen review)")
    table.add("source", "kspolicy screen review")
    table.add("retrieved", answer.at.date())
    entries = tomlkit.aot()
    entries.append(_table(record))
    table.add("entries", entries)
    return table


def _table(record: dict[str, Any]) -> Table:
    table = tomlkit.table()
    for key, value in record.items():
        table.add(key, value)
    return table


def _inline(record: dict[str, Any], spaced: bool) -> InlineTable:
    """The answer as an inline table, with spaces inside the braces if the file's
    other entries have them."""
    body = ", ".join(f"{key} = {tomlkit.item(value).as_string()}" for key, value in record.items())
    text = f"x = {{ {body} }}" if spaced else f"x = {{{body}}}"
    item = tomlkit.parse(text)["x"]
    assert isinstance(item, InlineTable)
    return item


def _append(table: Any, record: dict[str, Any], path: Path, name: str) -> None:
    """Add the answer to the list's `entries`, written the way the file writes them."""
    entries = table.get("entries")
    if entries is None:
        aot = tomlkit.aot()
        aot.append(_table(record))
        table.append("entries", aot)
        return
    if isinstance(entries, AoT):
        new = _table(record)
        if entries.body:
            # tomlkit counts the lines after the last answer as part of it; from the
            # first blank one on they introduce what follows (`# Our own list` above the
            # next table), so they go after the new answer, where they stand now.
            for trivia in _closing_lines(entries.body[-1]):
                new.add(trivia)
            if not entries.body[-1].as_string().endswith("\n\n"):
                new.trivia.indent = "\n"  # a blank line before it, as between the others
        entries.append(new)
        return
    if isinstance(entries, Array):
        last = entries[-1] if len(entries) else None
        spaced = isinstance(last, InlineTable) and last.as_string().startswith("{ ")
        entries.append(_inline(record, spaced or last is None))
        return
    raise KspolicyError(
        f"{path}: the `entries` of list {name} must be a list of answers, "
        f"not {type(entries).__name__}; correct the file, or give another with --file"
    )


def _closing_lines(table: Table) -> list[Trivia]:
    """Take off the end of a table the comments and blank lines that follow its last
    value from the first blank line on, and return them (see `_append`)."""
    body = table.value.body
    start = len(body)
    while start > 0 and body[start - 1][0] is None and isinstance(body[start - 1][1], Trivia):
        start -= 1
    while start < len(body) and not _blank(body[start][1]):
        start += 1  # a comment right below the last value belongs to it
    closing = [item for _, item in body[start:] if isinstance(item, Trivia)]
    del body[start:]
    return closing


def _blank(item: Item) -> bool:
    return isinstance(item, Whitespace) and "\n" in item.as_string()


def _checked(
    text: str,
    before: dict[str, Any] | None,
    record: dict[str, Any],
    path: Path,
    name: str = ADJUDICATIONS,
) -> str:
    """`text`, once it reads back as the file before with the answer added at the end
    of the list's entries and nothing else changed (else KspolicyError, nothing written)."""
    after = tomllib.loads(text)
    expected = dict(before or {})
    table = dict(expected.get(name, {}))
    if before is None or name not in before:
        table = dict(after.get(name, {}))
        table["entries"] = [record]
    else:
        table["entries"] = [*table.get("entries", []), record]
    expected[name] = table
    if after != expected:  # a tomlkit defect: the file stays as it was
        raise KspolicyError(
            f"cannot add the answer to {path} without changing the rest of it; "
            "add it by hand, or give another file with --file"
        )
    return text
