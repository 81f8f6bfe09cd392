"""A small document model, rendered as terminal text, Markdown or a standalone HTML page.

Explanations are built once as blocks of styled runs; each renderer only decides how a
style looks. So the three formats always say the same thing, in the same order. A
`Fold` holds details a reader opens when they want them: the HTML page folds it away
(`<details>`), text and Markdown show it under a heading.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TypeAlias

import attrs


@attrs.frozen
class Run:
    """A piece of text with a style: "", strong, code, muted, good, warn, bad, link (to
    `href`) or copy (a value people copy whole, such as a hash)."""

    text: str
    style: str = ""
    href: str | None = None


Line: TypeAlias = tuple[Run, ...]


@attrs.frozen
class Heading:
    """A heading; level 1 is the top."""

    level: int
    line: Line
    anchor: str | None = None


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


@attrs.frozen
class Fold:
    """Details under a summary line: folded on the HTML page, under a heading of
    `level` in text and Markdown."""

    summary: Line
    blocks: tuple[Block, ...]
    level: int = 2
    anchor: str | None = None


Block: TypeAlias = Heading | Para | Items | Fold


def line(*parts: str | Run) -> Line:
    """A line from plain strings and runs."""
    return tuple(Run(p) if isinstance(p, str) else p for p in parts)


# ---- terminal text -------------------------------------------------------------------

_ANSI = {
    "strong": "1", "code": "36", "muted": "2", "good": "32", "warn": "33", "bad": "31",
    "link": "4", "copy": "36",
}  # fmt: skip


def _plain(run: Run) -> str:
    """A run as plain text: a link keeps its address unless its text already is it."""
    if run.href is None or run.href.startswith("mailto:") or run.href == run.text:
        return run.text
    return f"{run.text} <{run.href}>"


def _text_line(runs: Line, colour: bool) -> str:
    if not colour:
        return "".join(_plain(r) for r in runs)
    return "".join(
        f"\x1b[{_ANSI[r.style]}m{_plain(r)}\x1b[0m" if r.style in _ANSI else _plain(r) for r in runs
    )


def to_text(blocks: Sequence[Block], colour: bool = False) -> str:
    """Plain text, indented lists; ANSI colour when `colour` (a terminal)."""
    out: list[str] = []

    def items(entries: Sequence[Item], depth: int) -> None:
        for entry in entries:
            out.append("  " * depth + "- " + _text_line(entry.line, colour))
            for child in entry.children:
                block(child, depth + 1)

    def heading(runs: Line, level: int) -> None:
        if out:
            out.append("")
        text = _text_line(runs, colour)
        out.append(f"\x1b[1m{text}\x1b[0m" if colour else text)
        if not colour:
            out.append(("=" if level == 1 else "-") * len(text))

    def block(b: Block, depth: int = 0) -> None:
        if isinstance(b, Heading):
            heading(b.line, b.level)
        elif isinstance(b, Fold):
            heading(b.summary, b.level)
            for child in b.blocks:
                block(child, depth)
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


def _md_link(run: Run) -> str:
    href = (run.href or "").replace(" ", "%20").replace(")", "%29").replace(">", "%3E")
    if run.href == run.text:
        return f"<{href}>"
    return f"[{run.text.translate(_MD_SPECIAL)}]({href})"


def _md_line(runs: Line) -> str:
    parts = []
    for r in runs:
        if r.href is not None:
            parts.append(_md_link(r))
        elif r.style in ("code", "copy"):
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

    def heading(runs: Line, level: int) -> None:
        if out and out[-1] != "":
            out.append("")
        out.append("#" * level + " " + _md_line(runs))
        out.append("")

    def block(b: Block) -> None:
        if isinstance(b, Heading):
            heading(b.line, b.level)
        elif isinstance(b, Fold):
            heading(b.summary, b.level)
            for child in b.blocks:
                block(child)
        elif isinstance(b, Para):
            out.append(_md_line(b.line))
            out.append("")
        else:
            items(b.items, 0)
            out.append("")

    for b in blocks:
        block(b)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


# ---- HTML ------------------------------------------------------------------------

# Colours are custom properties so that the light, dark and print schemes differ only in
# them; every text colour meets WCAG AA (4.5:1) on the background and on code's
# background in each scheme (tests/test_explain.py computes the ratios from this text).
# Folded details print opened (`::details-content`), links print their address.
_CSS = """
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d1d1f; --muted: #595959;
        --good: #116329; --warn: #7a4d00; --bad: #b3141e; --link: #0550ae;
        --code-bg: #f0f0f0; --rule: #c8c8c8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #161618; --fg: #e8e8ea; --muted: #a6a6ad; --good: #56d364;
          --warn: #e3b341; --bad: #ff8f87; --link: #8cc4ff; --code-bg: #2a2a2f;
          --rule: #4a4a50; }
}
html { background: var(--bg); }
body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 0 auto;
       padding: .75rem 1rem 1.5rem; line-height: 1.45; color: var(--fg);
       background: var(--bg); overflow-wrap: anywhere; }
h1 { font-size: 1.4rem; line-height: 1.25; margin: .25rem 0 .4rem; }
h2 { font-size: 1.15rem; margin: 1.1rem 0 .3rem; }
h3 { font-size: 1rem; margin: .8rem 0 .2rem; }
p { margin: .3rem 0; }
ul { padding-left: 1.2rem; margin: .2rem 0; } li { margin: .15rem 0; }
a { color: var(--link); }
code { background: var(--code-bg); padding: 0 .25rem; border-radius: 3px; font-size: .9em; }
.copy { display: block; background: var(--code-bg); padding: .3rem .5rem; margin: .2rem 0;
        font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all;
        user-select: all; -webkit-user-select: all; }
details { border-top: 1px solid var(--rule); margin: .4rem 0; padding-top: .2rem; }
summary { cursor: pointer; padding: .2rem 0; }
summary > h2, summary > h3 { display: inline; margin: 0; font-size: 1.05rem; }
summary:focus-visible, a:focus-visible { outline: 2px solid var(--link); outline-offset: 2px; }
.muted { color: var(--muted); } .good { color: var(--good); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
@media print {
  :root { --bg: #ffffff; --fg: #000000; --muted: #404040; --good: #0b4d1e;
          --warn: #5c3a00; --bad: #8b0f17; --link: #000000; --code-bg: #ffffff; }
  body { max-width: none; padding: 0; }
  details::details-content { content-visibility: visible; display: contents; }
  summary { list-style: none; } summary::-webkit-details-marker { display: none; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: .85em; }
}
"""

_SHORT_LINK = 48


def _link_text(run: Run) -> str:
    """A long address shown as its host and last part (the whole is in `href` and in the
    tooltip), so that a phone does not give it five lines."""
    text = run.text
    if run.href != text or len(text) <= _SHORT_LINK or "://" not in text:
        return text
    host, _, path = text.split("://", 1)[1].partition("/")
    parts = [p for p in path.split("/") if p]
    host = host.removeprefix("www.")
    if not parts:
        return host
    return host + "/" + ("…/" if len(parts) > 1 else "") + parts[-1]


def _html_line(runs: Line) -> str:
    parts = []
    for r in runs:
        text = html.escape(r.text)
        if r.href is not None:
            href = html.escape(r.href)
            shown = html.escape(_link_text(r))
            tip = f' title="{href}"' if shown != text else ""
            parts.append(f'<a href="{href}"{tip}>{shown}</a>')
        elif r.style == "code":
            parts.append(f"<code>{text}</code>")
        elif r.style == "copy":
            parts.append(f'<code class="copy">{text}</code>')
        elif r.style == "strong":
            parts.append(f"<strong>{text}</strong>")
        elif r.style:
            parts.append(f'<span class="{r.style}">{text}</span>')
        else:
            parts.append(text)
    return "".join(parts)


def _id(anchor: str | None) -> str:
    return f' id="{html.escape(anchor)}"' if anchor else ""


def to_html(blocks: Sequence[Block], title: str, lang: str) -> str:
    """A standalone page: inline style, no script, no external resources; folds are
    `<details>`, closed."""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
    ]

    def render(b: Block) -> None:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}{_id(b.anchor)}>{_html_line(b.line)}</h{b.level}>")
        elif isinstance(b, Fold):
            out.append(f"<details{_id(b.anchor)}>")
            out.append(f"<summary><h{b.level}>{_html_line(b.summary)}</h{b.level}></summary>")
            for child in b.blocks:
                render(child)
            out.append("</details>")
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
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
