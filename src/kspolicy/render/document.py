"""A small document model, rendered as terminal text, Markdown or a standalone HTML page.

Explanations are built once as blocks of styled runs; each renderer only decides how a
style looks. So the three formats always say the same thing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TypeAlias

import attrs


@attrs.frozen
class Run:
    """A piece of text with a style: "", strong, code, muted, good, warn or bad."""

    text: str
    style: str = ""


Line: TypeAlias = tuple[Run, ...]


@attrs.frozen
class Heading:
    """A heading; level 1 is the top."""

    level: int
    line: Line


@attrs.frozen
class Para:
    """A paragraph of one line."""

    line: Line


@attrs.frozen
class Item:
    """An item of a bulleted list, with blocks nested under it."""

    line: Line
    children: tuple[Block, ...] = ()


@attrs.frozen
class Items:
    """A bulleted list."""

    items: tuple[Item, ...]


Block: TypeAlias = Heading | Para | Items


def line(*parts: str | Run) -> Line:
    """A line from plain strings and runs."""
    return tuple(Run(p) if isinstance(p, str) else p for p in parts)


# ---- terminal text -------------------------------------------------------------------

_ANSI = {"strong": "1", "code": "36", "muted": "2", "good": "32", "warn": "33", "bad": "31"}


def _text_line(runs: Line, colour: bool) -> str:
    if not colour:
        return "".join(r.text for r in runs)
    return "".join(
        f"\x1b[{_ANSI[r.style]}m{r.text}\x1b[0m" if r.style in _ANSI else r.text for r in runs
    )


def to_text(blocks: Sequence[Block], colour: bool = False) -> str:
    """Plain text, indented lists; ANSI colour when `colour` (a terminal)."""
    out: list[str] = []

    def items(entries: Sequence[Item], depth: int) -> None:
        for entry in entries:
            out.append("  " * depth + "- " + _text_line(entry.line, colour))
            for child in entry.children:
                block(child, depth + 1)

    def block(b: Block, depth: int = 0) -> None:
        if isinstance(b, Heading):
            if out:
                out.append("")
            text = _text_line(b.line, colour)
            out.append(f"\x1b[1m{text}\x1b[0m" if colour else text)
            if not colour:
                out.append(("=" if b.level == 1 else "-") * len(text))
        elif isinstance(b, Para):
            out.append("  " * depth + _text_line(b.line, colour))
        else:
            items(b.items, depth)

    for b in blocks:
        block(b)
    return "\n".join(out) + "\n"


# ---- Markdown ----------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]<>#|"})


def _md_wrap(text: str, marker: str) -> str:
    """`text` emphasised with `marker`; white space stays outside (Markdown needs that)."""
    core = text.strip()
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{marker}{core.translate(_MD_SPECIAL)}{marker}{trail}"


def _md_line(runs: Line) -> str:
    parts = []
    for r in runs:
        if r.style == "code":
            parts.append(f"`{r.text.replace('`', '')}`")
        elif r.style in ("strong", "bad", "warn", "good"):
            parts.append(_md_wrap(r.text, "**"))
        elif r.style == "muted":
            parts.append(_md_wrap(r.text, "*"))
        else:
            parts.append(r.text.translate(_MD_SPECIAL))
    return "".join(parts)


def to_markdown(blocks: Sequence[Block]) -> str:
    """GitHub-flavoured Markdown."""
    out: list[str] = []

    def items(entries: Sequence[Item], depth: int) -> None:
        for entry in entries:
            out.append("  " * depth + "- " + _md_line(entry.line))
            for child in entry.children:
                if isinstance(child, Items):
                    items(child.items, depth + 1)
                elif isinstance(child, Para):
                    out.append("  " * (depth + 1) + _md_line(child.line))

    for b in blocks:
        if isinstance(b, Heading):
            if out and out[-1] != "":
                out.append("")
            out.append("#" * b.level + " " + _md_line(b.line))
            out.append("")
        elif isinstance(b, Para):
            out.append(_md_line(b.line))
            out.append("")
        else:
            items(b.items, 0)
            out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


# ---- HTML ------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1d1d1f; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #ccc; padding-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
code { background: #f2f2f2; padding: 0 .25rem; border-radius: 3px; font-size: .95em; }
ul { padding-left: 1.3rem; } li { margin: .2rem 0; }
.muted { color: #666; } .good { color: #1a7f37; font-weight: 600; }
.warn { color: #9a6700; font-weight: 600; } .bad { color: #cf222e; font-weight: 600; }
"""


def _html_line(runs: Line) -> str:
    parts = []
    for r in runs:
        text = html.escape(r.text)
        if r.style == "code":
            parts.append(f"<code>{text}</code>")
        elif r.style == "strong":
            parts.append(f"<strong>{text}</strong>")
        elif r.style:
            parts.append(f'<span class="{r.style}">{text}</span>')
        else:
            parts.append(text)
    return "".join(parts)


def to_html(blocks: Sequence[Block], title: str, lang: str) -> str:
    """A standalone page: inline style, no script, no external resources."""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]

    def render(b: Block) -> None:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}>{_html_line(b.line)}</h{b.level}>")
        elif isinstance(b, Para):
            out.append(f"<p>{_html_line(b.line)}</p>")
        else:
            out.append("<ul>")
            for entry in b.items:
                out.append(f"<li>{_html_line(entry.line)}")
                for child in entry.children:
                    render(child)
                out.append("</li>")
            out.append("</ul>")

    for b in blocks:
        render(b)
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
