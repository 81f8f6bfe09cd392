"""Diagnostics for a terminal: `file:line:col: error[KSP201]: message`, the line, a caret."""

from __future__ import annotations

from collections.abc import Iterable

from ..diagnostics import CaseError, Diagnostic


def render_diagnostic(diagnostic: Diagnostic) -> str:
    """One diagnostic: location, severity and code, message, source line, caret, help."""
    span = diagnostic.span
    source = span.source
    line, column = source.position(span.start)
    head = f"{source.name}:{line}:{column}: {diagnostic.severity.value}[{diagnostic.code}]: "
    lines = [head + diagnostic.message]
    text = source.line_text(line)
    if source.text:
        end_line, end_column = source.position(max(span.end, span.start))
        width = (end_column - column) if end_line == line else len(text) - column + 1
        shown, at, width = _window(text.expandtabs(1), column - 1, width)
        gutter = f"{line} | "
        pad = " " * len(str(line))
        lines.append(f"{pad} |")
        lines.append(gutter + shown)
        lines.append(f"{pad} | " + " " * at + "^" * max(1, width))
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    return "\n".join(lines)


_LONGEST_LINE = 200
"""A source line longer than this is shown as a window around the span."""
_WINDOW = 100


def _window(text: str, at: int, width: int) -> tuple[str, int, int]:
    """The part of a line to show, where the span starts in it, and how wide it is.

    A very long line (a generated rule, a number of 5,000 digits) would fill the
    terminal; rustc's way is kept: a window from a little before the span, with `…`
    where the line goes on.
    """
    if len(text) <= _LONGEST_LINE:
        return text, at, width
    left = max(0, at - 30)
    right = min(len(text), left + _WINDOW)
    shown = ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")
    start = at - left + (1 if left else 0)
    return shown, start, min(width, right - at)


def render_diagnostics(diagnostics: Iterable[Diagnostic]) -> str:
    """Every diagnostic, a blank line between them, and a count at the end."""
    items = list(diagnostics)
    errors = sum(d.is_error for d in items)
    warnings = len(items) - errors
    parts = [render_diagnostic(d) for d in items]
    summary = []
    if errors:
        summary.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        summary.append(f"{warnings} warning{'s' * (warnings != 1)}")
    if summary:
        parts.append(" and ".join(summary) + " found")
    return "\n\n".join(parts) + ("\n" if parts else "")


def render_case_error(exc: CaseError) -> str:
    """A case error: where, and every problem with its path and code."""
    where = f"{exc.source}: " if exc.source else ""
    count = len(exc.problems)
    lines = [f"{where}error: {exc.subject} has {count} problem{'s' * (count != 1)}"]
    whole = "(the case): " if exc.subject == CaseError.subject else ""
    for problem in exc.problems:
        # A problem with no path is the whole case's; one of a file's header line names
        # its column in its message.
        path = f"{problem.path}: " if problem.path else whole
        lines.append(f"  {path}{problem.message} [{problem.code}]")
    return "\n".join(lines) + "\n"
