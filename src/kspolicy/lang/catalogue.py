"""The message catalogue: every word the engine itself writes, in each language.

A policy's own texts (titles, labels, questions, reasons) are in its `.pol` files; the
words around them (`Decision`, `Why`, `as of`, how to answer a question, the template's
header...) are here, one TOML file a language: `messages/en.toml` and `messages/nl.toml`
ship with the engine, as package data. English is the reference: a catalogue has
exactly its keys, each a text with the same placeholders or fewer (or, for the answer
words, a list of texts).

A policy adds a language without touching the engine: it names the language in its
header (`languages en, nl, fr`) and ships `messages/fr.toml` next to its `policy.pol`;
the loader reads it (`read_messages`) and places every problem in it (KSP222). A policy
may also ship a file for a language the engine has, to change its words.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TypeAlias

from ..diagnostics import KSP222, Diagnostic, describe, did_you_mean, error
from ..span import Source, Span

Message: TypeAlias = str | tuple[str, ...]
"""A message: a text, or a list of texts (the words an answer may be, `yes`, `y`...)."""

ENGINE_LANGUAGES = ("en", "nl")
"""The languages whose messages ship with the engine (`messages/<lang>.toml`)."""


class Messages:
    """The engine's words in one language: `messages["explain.why"]`, or a section."""

    def __init__(self, lang: str, words: Mapping[str, Message]) -> None:
        self.lang = lang
        self._words = dict(words)

    def __getitem__(self, key: str) -> str:
        """The text of a message, by its key (`section.name`)."""
        value = self._words[key]
        assert isinstance(value, str), key
        return value

    def choices(self, key: str) -> tuple[str, ...]:
        """The texts of a list message, such as the words that answer yes."""
        value = self._words[key]
        assert isinstance(value, tuple), key
        return value

    def section(self, name: str) -> dict[str, str]:
        """The texts of one section (`explain`), by their names in it."""
        prefix = name + "."
        return {
            key[len(prefix) :]: value
            for key, value in self._words.items()
            if key.startswith(prefix) and isinstance(value, str)
        }

    def items(self) -> dict[str, Message]:
        """Every message, by its key."""
        return dict(self._words)

    def __repr__(self) -> str:
        return f"Messages({self.lang!r}, {len(self._words)} messages)"


class Catalogue:
    """The messages of every language a policy can be read in: the policy's own
    (from its `messages/` folder), then the engine's."""

    def __init__(self, policy: Mapping[str, Messages] | None = None) -> None:
        self.policy = dict(policy or {})

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language with messages: the engine's, then the policy's others."""
        return ENGINE_LANGUAGES + tuple(k for k in self.policy if k not in ENGINE_LANGUAGES)

    def get(self, lang: str) -> Messages:
        """The messages of a language: the policy's, else the engine's, else English."""
        found = self.policy.get(lang)
        if found is not None:
            return found
        return engine_messages(lang if lang in ENGINE_LANGUAGES else "en")

    def all(self) -> tuple[Messages, ...]:
        """The messages of every language it has."""
        return tuple(self.get(lang) for lang in self.languages)


ENGINE = Catalogue()
"""The engine's own catalogue: what a policy that ships no messages is read with."""


@cache
def engine_messages(lang: str) -> Messages:
    """The messages that ship with the engine for `lang` (one of ENGINE_LANGUAGES)."""
    resource = resources.files("kspolicy").joinpath("lang", "messages", f"{lang}.toml")
    words = _flat(tomllib.loads(resource.read_text(encoding="utf-8")))
    return Messages(lang, {key: value for key, value, _ in words})


def read_messages(source: Source, lang: str) -> tuple[Messages | None, list[Diagnostic]]:
    """A policy's messages for a language, read from a TOML file, and what is wrong
    with them: every key of the English catalogue, and no other, each with the same
    placeholders or fewer. None when anything is wrong."""
    try:
        data = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))  # tomllib gives the line in its message
        span = _line_span(source, int(line.group(1)) if line else 1)
        message = f"`{source.name}` is not valid TOML: {str(exc).split(' (at')[0]}"
        return None, [error(KSP222, message, span, "see docs/language.md, section Messages")]
    reference = engine_messages("en").items()
    problems: list[Diagnostic] = []
    words: dict[str, Message] = {}
    for key, value, shape in _flat(data):
        at = _find(source, key)
        if key not in reference:
            hint = did_you_mean(key, reference)
            problems.append(
                error(
                    KSP222,
                    f"no message `{key}`",
                    at,
                    hint or f"the messages are those of the engine's `en.toml`: {_some(reference)}",
                )
            )
            continue
        wanted = reference[key]
        if shape is not None or type(value) is not type(wanted):
            kind = "a list of texts" if isinstance(wanted, tuple) else "a text"
            found = f": {describe(shape)}" if shape is not None else ""
            problems.append(error(KSP222, f"`{key}` should be {kind}{found}", at))
            continue
        if isinstance(value, str) and isinstance(wanted, str):
            problem = _placeholder_problem(key, value, wanted, at)
            if problem is not None:
                problems.append(problem)
                continue
        words[key] = value
    missing = [key for key in reference if key not in words and key not in _given(data)]
    if missing:
        problems.append(
            error(
                KSP222,
                f"`{source.name}` lacks {len(missing)} message{'' if len(missing) == 1 else 's'} "
                f"for `{lang}`: {_some(missing)}",
                _find(source, missing[0].partition(".")[0]),
                "give every message of the engine's `en.toml`, translated",
            )
        )
    if problems:
        return None, problems
    return Messages(lang, words), []


def _flat(data: Mapping[str, object]) -> list[tuple[str, Message, object | None]]:
    """`section.name` keys with their values; the third item is a value of the wrong
    shape (a table too deep, a list of non-texts), else None."""
    found: list[tuple[str, Message, object | None]] = []
    for section, table in data.items():
        if not isinstance(table, dict):
            found.append((section, "", table))
            continue
        for name, value in table.items():
            key = f"{section}.{name}"
            if isinstance(value, str):
                found.append((key, value, None))
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                found.append((key, tuple(value), None))
            else:
                found.append((key, "", value))
    return found


def _given(data: Mapping[str, object]) -> set[str]:
    """Every key the file gives, right or wrong (a wrong one is reported once)."""
    return {key for key, _, _ in _flat(data)}


def _placeholder_problem(key: str, value: str, wanted: str, at: Span) -> Diagnostic | None:
    try:
        given = _placeholders(value)
    except ValueError as exc:
        return error(
            KSP222,
            f"`{key}` is not a text with placeholders: {exc}",
            at,
            "write a brace as `{{` or `}}`; a placeholder is a name in braces, such as `{fact}`",
        )
    unknown = sorted(given - _placeholders(wanted))
    if unknown:
        allowed = sorted(_placeholders(wanted))
        return error(
            KSP222,
            f"`{key}` has a placeholder the engine does not fill: `{{{unknown[0]}}}`",
            at,
            f"it may use {', '.join(f'`{{{a}}}`' for a in allowed)}"
            if allowed
            else "it has no placeholders; write a brace as `{{` or `}}`",
        )
    return None


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _find(source: Source, key: str) -> Span:
    """Where a key is written: its name after its section's header (tomllib keeps no
    positions), else the section's header, else the file's start."""
    section, _, name = key.partition(".")
    text = source.text
    header = text.find(f"[{section}]")
    start = max(header, 0)
    if name:
        for line_start in _line_starts(text, start):
            stripped = text[line_start:].lstrip(" \t")
            if stripped.startswith(name) and stripped[len(name) :].lstrip(" \t").startswith("="):
                begin = line_start + len(text[line_start:]) - len(stripped)
                return Span(source, begin, begin + len(name))
    if header >= 0:
        return Span(source, header, header + len(section) + 2)
    return Span(source, 0, 0)


def _line_starts(text: str, start: int) -> list[int]:
    starts = [start]
    at = text.find("\n", start)
    while at >= 0:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def _line_span(source: Source, line: int) -> Span:
    starts = _line_starts(source.text, 0)
    begin = starts[min(max(line, 1), len(starts)) - 1]
    end = source.text.find("\n", begin)
    return Span(source, begin, end if end >= 0 else len(source.text))


def _some(names: Mapping[str, object] | list[str]) -> str:
    items = list(names)
    shown = ", ".join(f"`{x}`" for x in items[:8])
    return shown + (f", … ({len(items)} in all)" if len(items) > 8 else "")
