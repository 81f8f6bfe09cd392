"""Adjudications lists: reviewers' answers to possible matches, read from a list file.

`kspolicy screen review` writes them (docs/screening.md, "Adjudication") as a list of
`kind = "adjudications"` beside a policy's other lists, so that they are loaded, hashed
and dated with the lists, and a decision stays a function of the policy's files and the
case. Each entry is one answer: which name (and country) was screened against which
list entry, the entry's sha256 then, confirmed or dismissed, by whom, when and why.

An answer is checked three times: on its own when its file is read
(`read_adjudications`, KSP215); against the policy's other lists once all are read
(`naming_no_list`, KSP224), as only then is it known whether the list it answers for
exists; and against the policy's schema (`country_not_held`, KSP225), which says the
country codes a case may give a name.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any, get_args

from ..diagnostics import KSP224, KSP225, Diagnostic, describe, did_you_mean, error
from ..screening.inputs import Countries, blank, country_problem
from ..span import Source, Span, whole
from .declarations import some
from .lists import Adjudication, NamedList, Ruling
from .schema import EnumType, Schema

RULINGS: tuple[Ruling, ...] = get_args(Ruling)
_FIELDS = ("list", "name", "country", "entry", "entry_sha256", "ruling", "by", "at", "why")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def read_adjudications(
    raw_entries: list[Any], report: Callable[..., None], places: Sequence[Span] = ()
) -> tuple[Adjudication, ...]:
    """The adjudications of a list file's `entries`; each one wrong is reported through
    `report(message, help)` and left out, with the place of the answer as a third
    argument when `places` (`answer_spans`) has it."""
    found: list[Adjudication] = []
    for number, raw in enumerate(raw_entries, start=1):
        where = f"adjudication {number}"
        here = (places[number - 1],) if number <= len(places) else ()

        def problem(message: str, help: str | None, here: tuple[Span, ...] = here) -> None:
            report(message, help, *here)

        if not isinstance(raw, dict):
            problem(f"{where} must be a table, not {describe(raw)}", None)
            continue
        unknown = [key for key in raw if key not in _FIELDS]
        if unknown:
            problem(f"{where} has an unknown key `{unknown[0]}`", f"it has: {', '.join(_FIELDS)}")
            continue
        texts = {}
        for key in ("list", "name", "entry", "entry_sha256", "by", "why"):
            value = raw.get(key)
            if not isinstance(value, str) or blank(value):
                problem(f"{where} has no `{key}`", "`kspolicy screen review` writes every field")
                break
            texts[key] = value
        else:
            country = raw.get("country")
            ruling = raw.get("ruling")
            at = raw.get("at")
            if country is not None and not isinstance(country, str):
                problem(f"{where}: `country` must be a country code", None)
            elif country is not None and (wrong := country_problem(country)) is not None:
                problem(
                    f"{where}: `country` {wrong}",
                    "the answer applies only to a name screened with that country, which is "
                    "a two-letter code: `DE`, not `Germany`",
                )
            elif ruling not in RULINGS:
                problem(
                    f'{where}: `ruling` must be "confirmed" or "dismissed", not {describe(ruling)}',
                    None,
                )
            elif not _SHA256.fullmatch(texts["entry_sha256"]):
                problem(f"{where}: `entry_sha256` is not a sha256", None)
            elif not isinstance(at, dt.date):
                problem(
                    f"{where}: `at` must be a date and time", "write it as 2026-01-31T10:00:00Z"
                )
            else:
                when = at if isinstance(at, dt.datetime) else dt.datetime.combine(at, dt.time())
                found.append(
                    Adjudication(
                        list=texts["list"],
                        name=texts["name"],
                        # As written: `country_not_held` checks it as `screen` and a
                        # case's field check a country (`cn` is not `CN`); screening
                        # tidies it as it tidies a case's, where the policy lets it.
                        country=country if country else None,
                        entry=texts["entry"],
                        entry_sha256=texts["entry_sha256"],
                        ruling=ruling,
                        by=texts["by"],
                        at=when,
                        why=texts["why"],
                    )
                )
    return tuple(found)


def naming_no_list(
    lists: Mapping[str, NamedList], unread: Set[str] = frozenset()
) -> list[Diagnostic]:
    """KSP224 for each answer of an adjudications list that names a list the policy does
    not have (a typo, a list renamed), or a list that is not an entities list (a codes
    list): screening never asks for it, so the officer's answer would silently apply
    to nothing. A list of a file that did not read
    (`unread`) is not reported again: that file's error is its cause."""
    entities = sorted(name for name, named in lists.items() if named.kind == "entities")
    problems: list[Diagnostic] = []
    for named in lists.values():
        after = named.span.start if named.span is not None else 0
        for answer in named.adjudications:
            answered = lists.get(answer.list)
            if answer.list in unread or (answered is not None and answered.kind == "entities"):
                continue
            where = _answer_value(named, "list", answer.list, after)
            after = where.end if where.end > after else after
            message = (
                f"list {named.name}: the answer for `{answer.name}` names list "
                f"`{answer.list}`, and no list has that name"
                if answered is None
                else f"list {named.name}: the answer for `{answer.name}` names list "
                f"`{answer.list}`, which is a {answered.kind} list, not an entities list: "
                "no name is screened against it"
            )
            problems.append(error(KSP224, message, where, _fix(answer, entities, unread)))
    return problems


def _fix(answer: Adjudication, entities: list[str], unread: Set[str] = frozenset()) -> str:
    """The help: the entities list meant, if one is close, and how to mend the answer."""
    if not entities and unread:  # the lists are there, their files did not read
        return (
            f"the policy's lists {', '.join(sorted(unread))} did not read: mend their files"
            " (their errors are above), then set `list` to the one the answer was given for"
        )
    if not entities:
        return "the policy has no entities list: add the one the answer was given for"
    fix = "set `list` to the entities list the answer was given for"
    until = "until then it applies to no name screened"
    suggestion = did_you_mean(answer.list, entities)
    if suggestion is not None:
        return f"{suggestion} {fix}; {until}"
    return f"{fix} (the policy has: {some(entities)}); {until}"


def case_countries(schema: Schema) -> Countries | None:
    """The country codes a policy's cases may give with a name: the codes of its enum
    fields named `country` or `…_country`, where screening reads a name's country; None
    when no such field holds codes (then a country is two letters)."""
    found: Countries | None = None
    codes: set[str] = set()
    for path, field in schema.fields():
        if (path[-1] == "country" or path[-1].endswith("_country")) and isinstance(
            field.type, EnumType
        ):
            codes.update(field.type.codes)
            found = found or Countries(frozenset(), field.type.what)
    return None if found is None else Countries(frozenset(codes), found.what)


def country_not_held(lists: Mapping[str, NamedList], schema: Schema) -> list[Diagnostic]:
    """KSP225 for each answer whose `country` is not a code the policy's cases may give
    a name (`case_countries`): a name is screened with its case's country, so such an
    answer (`XX`, a code the policy's country enum lacks) would apply to no name."""
    known = case_countries(schema)
    if known is None:
        return []
    problems: list[Diagnostic] = []
    for named in lists.values():
        after = named.span.start if named.span is not None else 0
        for answer in named.adjudications:
            if answer.country is None:
                continue
            wrong = country_problem(answer.country, known)
            if wrong is None:
                continue
            where = _answer_value(named, "country", answer.country, after)
            after = where.end if where.end > after else after
            code = answer.country.strip().upper()
            fix = (
                f'write "{code}": a country is read as written, here as in a case and'
                " in `kspolicy screen --country`"
                if code in known.codes
                else "the answer applies only to a name screened with that country: write"
                " the code a case gives, or leave the country out to answer for the name"
                " whatever its country"
            )
            problems.append(
                error(
                    KSP225,
                    f"list {named.name}: the answer for `{answer.name}`: `country` {wrong}",
                    where,
                    fix,
                )
            )
    return problems


def _answer_value(named: NamedList, key: str, value: str, after: int) -> Span:
    """Where an answer of `named` writes `KEY = "VALUE"` (`list`, `country`, both kept as
    written): its first such line from `after` (answers are found in the
    order they are written), else from the list's header; the quoted value, as other
    list-file diagnostics point at one. The header itself when the text writes it
    otherwise (escapes: tomllib keeps no positions)."""
    if named.span is None:  # a list made in code, not read from a file: no text to show
        return whole(Source(f"list {named.name}", ""))
    source = named.span.source
    quoted = re.escape(value)
    written = f"\"{quoted}\"|'{quoted}'"
    pattern = re.compile(rf"(?:^|[{{,])[ \t]*{key}[ \t]*=[ \t]*({written})", re.MULTILINE)
    found = pattern.search(source.text, after) or pattern.search(source.text, named.span.start)
    return Span(source, *found.span(1)) if found is not None else named.span


def answer_spans(source: Source, name: str, header: Span) -> list[Span]:
    """Where each answer of the adjudications list `name` (declared at `header`) starts
    in its file, in order: its `[[NAME.entries]]` header, or the `{` of an inline
    table in `entries = [...]`; so that a wrong answer's error points at that answer,
    not at the list. Empty when the text writes them otherwise (tomllib keeps no
    positions): the errors then point at the list."""
    text = source.text
    quoted = rf"""(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')"""
    tables = re.compile(rf"^[ \t]*\[\[[ \t]*{quoted}[ \t]*\.[ \t]*entries[ \t]*\]\]", re.M)
    found = [Span(source, *m.span()) for m in tables.finditer(text, header.start)]
    if found:
        return found
    inline = re.compile(r"^[ \t]*entries[ \t]*=[ \t]*\[", re.M).search(text, header.start)
    if inline is None:
        return []
    return [Span(source, start, _line_end(text, start)) for start in _braces(text, inline.end())]


def _braces(text: str, at: int) -> list[int]:
    """Where the inline tables of the TOML array whose `[` ends before `at` open: its
    `{` outside strings and comments, at the array's own level, until its `]`."""
    found = []
    depth = 0
    while at < len(text):
        char = text[at]
        if char in "\"'":  # a string: skipped whole (a basic one's escapes too)
            at += 1
            while at < len(text) and text[at] != char and text[at] != "\n":
                at += 2 if char == '"' and text[at] == "\\" else 1
        elif char == "#":
            at = _line_end(text, at) - 1
        elif char in "{[":
            if depth == 0 and char == "{":
                found.append(at)
            depth += 1
        elif char in "}]":
            if depth == 0:
                break
            depth -= 1
        at += 1
    return found


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return end if end >= 0 else len(text)
