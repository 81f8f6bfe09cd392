"""The names a policy's property files write, for rename and references.

A property file (`kspolicy prove --property FILE`, prove/properties.py) names a policy's
definitions and lists in its conditions, `given = ["project.dual_use == listed", ...]`,
texts in the policy language, and its lists in the groups of a `[change]`,
`"partners.country" = ["EU_MEMBERS", "RISK_COUNTRIES"]`. A rename that left them would
leave a property that no longer checks (or, for a group, names a list that is gone).
The editor finds them in the `properties/*.toml` files beside the policy's main file,
where the pack keeps its principles (docs/analysis.md).

Each condition is read as `kspolicy prove` reads it, as the body of a definition, and
its names resolved by the index as a policy file's are, so a field or a quantifier's
variable spelled like a definition is left alone. A condition whose TOML string has an
escape (`\\"`) is skipped: its text in the file is not the condition's, character for
character, so no place in the file can be given for a name in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import attrs

from ..lang.parser import parse_module
from ..limits import DEFAULT, Limits
from ..span import Source, Span
from . import index

FOLDER = "properties"
"""Where a policy's property files are: `properties/*.toml` beside its main file."""

_CONDITIONS = re.compile(r"^[ \t]*(given|given_b)[ \t]*=[ \t]*\[", re.MULTILINE)
_HEADER = re.compile(r"^[ \t]*\[([^\]\n]*)\][ \t]*(?:#.*)?$", re.MULTILINE)
_TEXT_OR_COMMENT = re.compile(r"\"([^\"\\\n]*)\"|'([^'\n]*)'|#[^\n]*")
_DELIMITERS = ('"""', "'''", '"', "'")
# What a condition is read as: prove/properties.py makes each a definition like this.
_DEFINE = "define kspolicy_property\n  = "


def files(folder: Path) -> list[Path]:
    """The property files of the policy whose main file is in `folder`."""
    try:
        return sorted(p.resolve() for p in (folder / FOLDER).glob("*.toml") if p.is_file())
    except OSError:
        return []


def occurrences(
    source: Source, model: index.Model, key: index.Key, limits: Limits = DEFAULT
) -> list[Span]:
    """Where a property file names `key` (a definition or a list): in its conditions,
    and, for a list, in the groups of its `[change]`."""
    found: list[Span] = []
    for condition in conditions(source.text):
        if condition.exact:
            found.extend(_in_condition(source, condition.start, condition.text, model, key, limits))
    if key[0] == "list":
        found.extend(in_groups(source, key[1]))
    return sorted(found, key=lambda s: s.start)


def _in_condition(
    source: Source, start: int, text: str, model: index.Model, key: index.Key, limits: Limits
) -> Iterator[Span]:
    """The places in a condition (at `start` of the file) where it names `key`."""
    written = Source(source.name, _DEFINE + text)
    module, _ = parse_module(written, limits.max_depth, limits.max_item_chars)
    alone = attrs.evolve(model, listed=[])  # the list files' own names are not in here
    for occurrence in index.occurrences([(Path(source.name), module)], alone):
        if occurrence.key == key and not occurrence.definition:
            at = start + occurrence.span.start - len(_DEFINE)
            if at >= start:
                yield Span(source, at, at + occurrence.span.end - occurrence.span.start)


@attrs.frozen
class Condition:
    """A condition as a property file writes it: under `key` (`given`, `given_b`, whose
    name starts at `key_start`), its text from `start`; `exact` when that text in the
    file is the condition itself, character for character (no escapes)."""

    key: str
    key_start: int
    start: int
    text: str
    exact: bool


def conditions(text: str) -> Iterator[Condition]:
    """Each condition of `given` and `given_b`, in the order of the file; scanned, not
    parsed, so that a file that does not read as TOML yet still has its places."""
    for match in _CONDITIONS.finditer(text):
        at = match.end()
        while at < len(text):
            ch = text[at]
            if ch in " \t\r\n,":
                at += 1
            elif ch == "#":
                end = text.find("\n", at)
                at = len(text) if end < 0 else end
            elif ch in "\"'":
                delimiter = next(d for d in _DELIMITERS if text.startswith(d, at))
                start = at + len(delimiter)
                end = _closing(text, start, delimiter)
                if end < 0:
                    break
                content = text[start:end]
                if len(delimiter) == 3 and content.startswith(("\n", "\r\n")):
                    skipped = 1 if content.startswith("\n") else 2  # TOML trims it
                    start, content = start + skipped, content[skipped:]
                exact = delimiter[0] == "'" or "\\" not in content
                yield Condition(match.group(1), match.start(1), start, content, exact)
                at = end + len(delimiter)
            else:
                break  # `]`, or what is not a list of texts: the list ends here


def _closing(text: str, start: int, delimiter: str) -> int:
    """Where the string opened before `start` closes (-1: it does not)."""
    at = start
    while True:
        end = text.find(delimiter, at)
        if end < 0 or delimiter[0] == "'":
            return end
        backslashes = len(text[at:end]) - len(text[at:end].rstrip("\\"))
        if backslashes % 2 == 0:
            return end
        at = end + 1


def in_groups(source: Source, name: str) -> Iterator[Span]:
    """The places a `[change]` table's values name `name` (a list) as a group's member."""
    text = source.text
    headers = list(_HEADER.finditer(text))
    for i, header in enumerate(headers):
        if header.group(1).strip() != "change":
            continue
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        for match in _TEXT_OR_COMMENT.finditer(text[header.end() : end]):
            word = match.group(1) if match.group(1) is not None else match.group(2)
            if word != name:
                continue  # a comment, or another text
            after = text[header.end() + match.end() : end].lstrip(" \t")
            if after.startswith("="):
                continue  # a key (a fact's path), not a value
            group = 1 if match.group(1) is not None else 2
            offset = header.end() + match.start(group)
            yield Span(source, offset, offset + len(name))
