"""What is wrong with a property file, placed in it: said alike by `prove` and the editor.

`kspolicy prove --property FILE` (prove/properties.py) and the language server
(lsp/propertycheck.py) both find a property file's mistakes here and place them in the
file, so the terminal and the editor say the same thing at the same place:

- a file `prove` cannot read (not TOML, an unknown key, a key holding the wrong kind of
  value): at the place tomllib names, else on the line of the key the message names;
- a condition that does not parse or check: each error of the check, with its code and
  help, on the condition's text inside its TOML string (on its key's line when the
  string is written with escapes, whose text in the file is not the condition's);
- a `[change]` fact or an `[expect]` outcome the policy lacks, a comparison `prove` does
  not read, and a group's member that is neither a list of the policy nor a code of the
  fact: at its key (the member at its name). A misspelt list would make its group empty
  and the property weaker than written, so it is an error, not a warning.

Nothing here imports z3 (the editor's rename reads `conditions` without it), nor the
language server (it imports this, docs/architecture.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from ..diagnostics import Code, Diagnostic, Severity, did_you_mean
from ..lang import checked as c
from ..lang.schema import EnumType, ListType, TextType
from ..render.diagnostics import render_diagnostic
from ..span import Source, Span

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_NAMED = re.compile(r"`([^`\n]+)`")
_CONDITIONS = re.compile(r"^[ \t]*(given|given_b)[ \t]*=[ \t]*\[", re.MULTILINE)
_HEADER = re.compile(r"^[ \t]*\[([^\]\n]*)\][ \t]*(?:#.*)?$", re.MULTILINE)
_TEXT_OR_COMMENT = re.compile(r"\"([^\"\\\n]*)\"|'([^'\n]*)'|#[^\n]*")
_DELIMITERS = ('"""', "'''", '"', "'")


@attrs.frozen
class Problem:
    """A mistake in a property file: `prove`'s message and, for a condition, the code and
    help of the check's diagnostic (no code for the file's own shape and names)."""

    span: Span
    message: str
    code: Code | None = None
    help: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """Whether `prove` refuses the property for it."""
        return self.severity is Severity.ERROR


@attrs.frozen
class Found:
    """An error of a condition's check, relative to the condition's text (`index` in
    prove's order, `given` then `given_b`; None: not in a condition)."""

    index: int | None
    start: int
    end: int
    message: str
    code: Code | None
    help: str | None


def render(problems: Iterable[Problem]) -> str:
    """The problems for a terminal, as `kspolicy check` renders a policy's diagnostics:
    `file:line:col: error[KSP201]: message`, the line, a caret, the help (`error:` alone
    for a mistake of the file's shape, which has no code). In the file's order, as
    `check` sorts its diagnostics (by file, line, column), whatever order they were
    found in (the conditions, then `[expect]`, then `[change]`)."""
    items = sorted(problems, key=lambda p: (p.span.source.name, p.span.start, p.span.end))
    parts = []
    for problem in items:
        shown = render_diagnostic(
            Diagnostic(
                problem.code or _NO_CODE,
                problem.message,
                problem.span,
                problem.help,
                problem.severity,
            )
        )
        if problem.code is None:  # `error:` where a diagnostic says `error[KSP201]:`
            severity = problem.severity.value
            shown = shown.replace(f" {severity}[{_NO_CODE}]: ", f" {severity}: ", 1)
        parts.append(shown)
    errors = sum(p.is_error for p in items)
    warnings = len(items) - errors
    summary = [
        f"{n} {word}{'s' * (n != 1)}" for n, word in ((errors, "error"), (warnings, "warning")) if n
    ]
    if summary:
        parts.append(" and ".join(summary) + " found")
    return "\n\n".join(parts) + ("\n" if parts else "")


# Only to draw a problem without a code the way a diagnostic is drawn (the line, the
# caret, the help); its first line, where a code would be, is written above instead.
_NO_CODE = Code("KSP000", "property-file", "a property file that prove refuses")


def at_key(source: Source, message: str) -> Problem:
    """A message about the file's shape, placed (see `place`)."""
    return Problem(place(source, message), message)


# ---- the conditions ---------------------------------------------------------------------


def relative(diagnostic: Diagnostic, prefix: str) -> Found:
    """An error of the conditions' check, placed in its condition (else in none): the
    conditions are the definitions `{prefix}N` of the file `{prefix}.pol`."""
    text = diagnostic.span.source.text
    if not diagnostic.span.source.name.endswith(f"{prefix}.pol"):
        return Found(None, 0, 0, diagnostic.message, diagnostic.code, diagnostic.help)
    index, start = None, 0
    for match in re.finditer(rf"define {re.escape(prefix)}(\d+)\s*=[ \t]*", text):
        if match.end() <= diagnostic.span.start:
            index, start = int(match.group(1)), match.end()
    return Found(
        index,
        diagnostic.span.start - start,
        diagnostic.span.end - start,
        diagnostic.message,
        diagnostic.code,
        diagnostic.help,
    )


def placed(
    source: Source, given: tuple[str, ...], given_b: tuple[str, ...], found: list[Found]
) -> list[Problem]:
    """The errors placed on the conditions' texts in the file."""
    written = list(conditions(source.text))
    places: list[Condition | None] = []
    for key, texts in (("given", given), ("given_b", given_b)):
        mine = [w for w in written if w.key == key]
        same = len(mine) == len(texts)
        places += [mine[i] if same else None for i in range(len(texts))]
    keys = ["given"] * len(given) + ["given_b"] * len(given_b)
    problems = []
    for error in found:
        code = error.code
        if error.index is None or error.index >= len(places):
            span = key_span(source, "given") or first_line(source)
            problems.append(Problem(span, error.message, code, error.help))
            continue
        place_ = places[error.index]
        text = (given + given_b)[error.index]
        if place_ is not None and place_.exact and place_.text == text:
            start = min(max(error.start, 0), len(text))
            end = min(max(error.end, start), len(text))
            span = Span(source, place_.start + start, place_.start + end)
        elif place_ is not None:
            span = line_from(source, place_.key_start)
        else:
            span = key_span(source, keys[error.index]) or first_line(source)
        problems.append(Problem(span, error.message, code, error.help))
    return problems


# ---- the names of [change] and [expect] -------------------------------------------------


def names(
    source: Source, change: dict[str, Any], expect: dict[str, str], policy: c.Policy
) -> list[Problem]:
    """What `prove` refuses of the names in `[change]` and `[expect]`, each at its key,
    and a group's member that is neither a list nor a code of the fact, at its name."""
    problems = []

    def say(table: str, key: str, message: str, help: str | None = None) -> None:
        span = key_span(source, key, table) or first_line(source)
        problems.append(Problem(span, message, help=help))

    for name, text in expect.items():
        wrong = expectation(policy, name, text)
        if wrong is not None:
            span = key_span(source, name, "expect")
            code = _wrong_code(policy, name, text)
            # A misspelt code is underlined in the value, where it is to be fixed.
            within = _word_in(source, span, code) if span and code else None
            message, hint = wrong
            problems.append(Problem(within or span or first_line(source), message, help=hint))
    facts: list[str] | None = None
    for name, word in change.items():
        if name == "*":
            continue
        field = policy.schema.field_at(tuple(name.split(".")))
        if field is None:
            if facts is None:
                facts = [".".join(path) for path, _ in policy.schema.fields()]
            hint = did_you_mean(name, facts)
            say("change", name, f"change `{name}`: no such fact in the schema", hint)
            continue
        type_ = field.type
        while isinstance(type_, ListType):
            type_ = type_.element
        if word == "up" and isinstance(field.type, TextType):
            say("change", name, f'change `{name}` = "up": a text has no order')
        elif not isinstance(word, str | list) and not isinstance(field.type, ListType):
            say("change", name, f"change `{name}`: {word!r} is not a change")
        elif isinstance(word, list) and isinstance(type_, EnumType):
            members = [m for group in word for m in (group if isinstance(group, list) else [group])]
            for member in members:
                if str(member) in policy.lists or str(member) in type_.codes:
                    continue
                message = (
                    f"change `{name}`: `{member}` is neither a list of the policy nor a code "
                    f"of `{type_.name}`, so no case would be in its group"
                )
                spans = list(in_groups(source, str(member)))
                span = spans[0] if spans else key_span(source, name, "change")
                hint = did_you_mean(str(member), [*policy.lists, *type_.codes])
                problems.append(Problem(span or first_line(source), message, help=hint))
    return problems


def _wrong_code(policy: c.Policy, name: str, text: str) -> str | None:
    """The first code of a bound (`"<= hihg"`) that is not a code of the outcome."""
    outcome = policy.outcomes.get(name)
    words = text.split(None, 2)
    if outcome is None or len(words) != 2 or words[0] not in ("<=", ">=", "=="):
        return None
    value = words[1]
    listed = [value] if outcome.kind == "scale" else value.strip("[]").split(",")
    return next((v.strip() for v in listed if v.strip() not in outcome.enum.codes), None)


def _word_in(source: Source, line: Span, word: str) -> Span | None:
    """`word` as a whole word in the value on `line` (after its `=`), or None."""
    text = source.text[line.start : line.end]
    equals = text.find("=")
    if equals < 0:
        return None
    found = re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text[equals + 1 :])
    if found is None:
        return None
    start = line.start + equals + 1 + found.start()
    return Span(source, start, start + len(word))


def expectation(policy: c.Policy, name: str, text: str) -> tuple[str, str | None] | None:
    """`prove`'s message for an expectation it refuses (prove/properties.py `_expect`),
    with the name or code meant when one is close."""
    outcome = policy.outcomes.get(name)
    if outcome is None or outcome.kind == "entry":
        named = [n for n, o in policy.outcomes.items() if o.kind != "entry"]
        return f"expect `{name}`: no scale or set outcome of that name", did_you_mean(name, named)
    if text.replace(" ", "") in ("b>=a", "b==a", "b<=a"):
        return None
    words = text.split(None, 2)
    if len(words) == 2 and words[0] in ("<=", ">=", "=="):
        value = words[1]
        if outcome.kind == "scale":
            listed = [value]
        else:
            listed = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
        wrong = [v for v in listed if v not in outcome.enum.codes]
        if not wrong:
            return None
        hint = did_you_mean(wrong[0], outcome.enum.codes)
        return f"expect `{name}`: {wrong[0]!r} is not a code of it", hint
    return (
        f'expect `{name}` = {text!r}: write "b >= a", "b == a", "b <= a", '
        'or a bound such as "<= notify" or ">= [export_licence]"',
        None,
    )


# ---- places in the file -----------------------------------------------------------------


def place(source: Source, message: str) -> Span:
    """Where a message about the file's shape belongs: the place tomllib names, else the
    line of the first key the message names (in `[change]` or `[expect]` when it speaks of
    one of theirs), else the first line."""
    at = _AT.search(message)
    if at is not None:
        line = min(int(at.group(1)), source.text.count("\n") + 1)
        start = source.offset_of(line, int(at.group(2)))
        end = min(start + 1, len(source.text))
        return Span(source, start, end) if end > start else line_from(source, start)
    table = next((t for t in ("change", "expect") if message.startswith(f"{t} `")), None)
    for named in _NAMED.finditer(message):
        span = key_span(source, named.group(1), table)
        if span is not None:
            return span
    return first_line(source)


def key_span(source: Source, key: str, table: str | None = None) -> Span | None:
    """The line that gives `key` a value (in `[table]`, else at the top), or its table's
    header."""
    text = source.text
    headers = list(re.finditer(r"^[ \t]*\[([^\]\n]*)\]", text, re.MULTILINE))
    start, end = 0, headers[0].start() if headers else len(text)
    if table is not None:
        for i, header in enumerate(headers):
            if header.group(1).strip() == table:
                start = header.end()
                end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
    quoted = re.escape(key)
    pattern = rf"^[ \t]*(\"{quoted}\"|'{quoted}'|{quoted})[ \t]*="
    found = re.compile(pattern, re.MULTILINE).search(text, start, end)
    if found is not None:
        return line_from(source, found.start(1))
    for header in headers:
        if header.group(1).strip() == key:
            return line_from(source, header.start(1) - 1)
    return None


def line_from(source: Source, start: int) -> Span:
    """From `start` to the end of its line."""
    end = source.text.find("\n", start)
    end = len(source.text) if end < 0 else end
    return Span(source, start, start + len(source.text[start:end].rstrip()))


def first_line(source: Source) -> Span:
    """The file's first line (where a mistake with no better place is shown)."""
    return line_from(source, 0)


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
