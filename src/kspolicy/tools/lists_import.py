"""`kspolicy lists import FORMAT FILE --out LIST.toml`: a published sanctions list made
into a list file a policy can use (docs/screening-import.md).

The command checks what it writes: the list file is read back as a policy would read it,
and written only when that gives no problem, so an import never leaves a list file that
a policy cannot load. It writes to a temporary file beside the output and renames it, so
a failed import leaves the old list as it was. Bad input (a wrong format, a broken or
truncated file, missing columns, a file that cannot be read) is reported as
`FILE:LINE: error: ...` with a `help:` line and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..diagnostics import did_you_mean
from ..files import os_help, os_reason
from ..lang.listfile import read_list_file
from ..render.diagnostics import render_diagnostics
from ..screening.importers import DEFAULT_MAX_AGE, FORMATS, ListImportError, import_list
from ..span import Source
from .output import OutFile


def _moment(text: str) -> dt.date | dt.datetime:
    try:
        if "T" in text or " " in text.strip():
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date: write YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SSZ"
        ) from None


def register(commands: Any) -> None:
    """Add `lists import` to the command line's subcommands."""
    lists_cmd = commands.add_parser("lists", help="import a published sanctions list")
    actions = lists_cmd.add_subparsers(dest="lists_command", metavar="ACTION", required=True)
    command = actions.add_parser(
        "import",
        help="make a list file from a published sanctions list",
        description="Make a kspolicy list file from a sanctions list as its publisher "
        f"publishes it. FORMAT is one of: {', '.join(FORMATS)}.",
    )
    command.add_argument("format", metavar="FORMAT", help=", ".join(FORMATS))
    command.add_argument("file", type=Path, metavar="FILE", help="the downloaded file")
    command.add_argument(
        "--out",
        type=OutFile("a list file replaces the old one whole; give its name"),
        required=True,
        metavar="LIST.toml",
        help="the list file to write",
    )
    command.add_argument("--name", help="the list's name in policies (default: by format)")
    command.add_argument(
        "--retrieved",
        type=_moment,
        metavar="DATE",
        help="when the file was downloaded (default: the date the file states)",
    )
    command.add_argument("--source-url", metavar="URL", help="where the file was downloaded")
    command.add_argument(
        "--max-age",
        default=DEFAULT_MAX_AGE,
        metavar="AGE",
        help=f'how old the list may get, e.g. "7d" or "2w" (default {DEFAULT_MAX_AGE})',
    )
    command.add_argument(
        "--previous",
        type=Path,
        metavar="LIST.toml",
        help="the list file of the last import: entities gone since are kept, as delisted",
    )


def run(args: argparse.Namespace) -> int:
    """Run `lists import`; returns the exit code."""
    if args.format not in FORMATS:
        hint = did_you_mean(args.format, FORMATS) or f"the formats are: {', '.join(FORMATS)}"
        return _fail(ListImportError(args.file, f"no format {args.format!r}", hint))
    try:
        result = import_list(
            args.format,
            args.file,
            name=args.name,
            retrieved=args.retrieved,
            source_url=args.source_url,
            max_age=args.max_age,
            previous=args.previous,
        )
    except ListImportError as exc:
        return _fail(exc)
    source = Source(str(args.out), result.text)
    _lists, problems = read_list_file(source)
    if any(p.is_error for p in problems):
        sys.stderr.write(render_diagnostics(problems))
        sys.stderr.write(f"error: {args.out} was not written: the list it would hold is wrong\n")
        return 2
    try:
        _write(args.out, result.text)
    except OSError as exc:
        return _fail(ListImportError(args.out, f"cannot write it: {os_reason(exc)}", os_help(exc)))
    for notice in result.imported.notices:
        where = f"{args.file}:{notice.line}" if notice.line else str(args.file)
        sys.stderr.write(f"{where}: warning: {notice.message}\n")
    entities = len(result.imported.entities)
    sys.stdout.write(
        f"{args.out}: {entities} entities from {args.file} (sha256 {result.imported.sha256[:12]})"
        + (f", {result.delisted_from_previous} delisted since" if args.previous else "")
        + "\n"
    )
    return 0


def _fail(exc: ListImportError) -> int:
    sys.stderr.write(
        (f"{exc.path}:{exc.line}" if exc.line else exc.path)
        + f": error: {exc.message}\n"
        + (f"  help: {exc.help}\n" if exc.help else "")
    )
    return 2


def _write(path: Path, text: str) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
