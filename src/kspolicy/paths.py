"""Fact paths: `partners[1].country`, the one way a place in a case is written.

A path is a field name followed by field names after dots and list indices in brackets;
indices count from 0, as in the case itself, so `partners[1]` is the second partner.
Every path the engine shows (case problems, a decision's facts and open questions,
explanations) is written this way, and every path a person writes (CSV batch headers,
`changes`, `error` and `open_questions` in policy tests) is read here.

Reading is lenient in one way, for files written before the one syntax: an index may
also follow a dot, `partners.0.country` (a field name never starts with a digit, so the
two cannot be confused). Such a path is read as `partners[0].country` and always shown
in brackets; docs/language.md ("Fact paths") says so. Writing never uses the old form.
This is what sqlglot does with SQL: read the dialects people have, write one.
"""

from __future__ import annotations

from .diagnostics import KspolicyError

__all__ = ["Part", "PathError", "child", "element", "format_path", "parse_path"]

Part = str | int
"""One step of a path: a field name, or an index in a list (from 0)."""


class PathError(KspolicyError, ValueError):
    """A text that is not a fact path; the message says what is wrong, in words."""


EXAMPLE = "partners[0].country"
"""A path to show in messages that say what a path looks like."""


def child(path: str, name: str) -> str:
    """The path of field `name` inside the place at `path` ("" is the case itself)."""
    return f"{path}.{name}" if path else name


def element(path: str, index: int) -> str:
    """The path of element `index` (from 0) of the list at `path`."""
    return f"{path}[{index}]"


def format_path(parts: tuple[Part, ...] | list[Part]) -> str:
    """A path in its one written form: `("partners", 1, "country")` as `partners[1].country`."""
    path = ""
    for part in parts:
        path = element(path, part) if isinstance(part, int) else child(path, part)
    return path


def _index(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise PathError(f"`[{text}]` is not an index: an index is a whole number from 0")
    try:
        return int(text)
    except ValueError:  # more digits than int() reads: no list is that long anyway
        raise PathError(f"the index `{text[:20]}...` is too large") from None


def parse_path(text: str) -> tuple[Part, ...]:
    """The parts of a path: `partners[1].country` (or `partners.1.country`) as
    `("partners", 1, "country")`. PathError, in words, when `text` is not a path.

    A name is whatever lies between dots and brackets: whether the case has such a
    field is for the schema to say, with a suggestion.
    """
    if not text:
        raise PathError("the path is empty")
    parts: list[Part] = []
    for segment in text.split("."):
        name, bracket, rest = segment.partition("[")
        if not name:
            if not segment:
                raise PathError("the path has an empty part between dots")
            raise PathError(f"`{segment}` has no field name before its `[`")
        if name.isascii() and name.isdigit():
            parts.append(_index(name))  # the older form: `partners.0.country`
        elif "]" in name:
            raise PathError(f"`{segment}` has a `]` without a `[` before it")
        else:
            parts.append(name)
        while bracket:
            inside, closed, rest = rest.partition("]")
            if not closed:
                raise PathError(f"`{segment}` has a `[` that is not closed")
            parts.append(_index(inside))
            if rest and not rest.startswith("["):
                raise PathError(f"`{segment}` goes on after its `]`: put a dot before a field")
            bracket, rest = rest[:1], rest[1:]
    if isinstance(parts[0], int):
        raise PathError(f"a path starts with a field name, such as `{EXAMPLE}`")
    return tuple(parts)


def is_fact_path(text: str) -> bool:
    """Whether `text` is one fact path (`partners[1].country`), in either form, whose
    names are names a schema can declare (not `partners[0].name matches LIST`)."""
    try:
        parts = parse_path(text)
    except PathError:
        return False
    return all(isinstance(p, int) or p.isidentifier() for p in parts)
