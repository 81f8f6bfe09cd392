"""What is wrong with an open property file, as `kspolicy prove --property` says it.

A property file (`properties/*.toml` beside a policy's main file, prove/properties.py)
is read and its conditions checked by the very functions `prove` uses: `read_property`
for the file's shape (TOML, its keys, what each holds) and `with_conditions` for the
conditions, made definitions of a copy of the policy and checked as its own. So the
editor says what `prove` would, before it is run:

- a file that is not TOML, or whose keys or values `prove` refuses: `prove`'s message
  (it stops at the first such mistake, and so does this), at the place tomllib names,
  else on the line of the key the message names;
- a condition that does not parse or check: each error of the check, with its code and
  help, on the condition's text inside the TOML string (on its key's line when the
  string is written with escapes, whose text in the file is not the condition's);
- a `[change]` fact or an `[expect]` outcome `prove` refuses (it finds them only while
  proving, with z3, so they are looked up here in the checked policy, with `prove`'s
  messages: tests/test_lsp_properties.py keeps the two the same), at its key; and, as a
  warning, a group's member that is neither a list nor a code of the fact, which
  `prove` takes for a code no case has (a misspelt list makes the group empty).

The conditions are checked only when the policy itself has no errors (they would be
reported in every condition; the policy's files show them). The checks run in the
server's mirror (project.py), so an unsaved buffer is checked as it stands; a check of
the conditions is kept while neither the policy nor the conditions change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from ..diagnostics import Code, Diagnostic, KspolicyError, PolicyError, Severity
from ..lang import checked as c
from ..lang.schema import EnumType, ListType, TextType
from ..policy import Policy
from ..span import Source, Span
from . import properties

if TYPE_CHECKING:  # z3 is imported with it: only when a property file is checked
    from ..prove.properties import Property

_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_NAMED = re.compile(r"`([^`\n]+)`")


@attrs.frozen
class Problem:
    """A mistake in a property file: `prove`'s message and, for a condition, the code and
    help of the check's diagnostic."""

    span: Span
    message: str
    code: Code | None = None
    help: str | None = None
    severity: Severity = Severity.ERROR


@attrs.frozen
class _Found:
    """An error of a condition's check, relative to the condition's text (kept while the
    policy and the conditions stay the same)."""

    index: int | None  # the condition, in prove's order (`given`, then `given_b`)
    start: int
    end: int
    message: str
    code: Code | None
    help: str | None


def is_property_file(path: Path, main: Path) -> bool:
    """Whether a file is one of the property files of the policy whose main file is `main`."""
    return (
        path.suffix == ".toml"
        and path.parent.name == properties.FOLDER
        and path.parent.parent == main.parent
    )


class Checker:
    """Checks a policy's property files; remembers the last check of each file's
    conditions (a keystroke in `[expect]` checks no condition again)."""

    def __init__(self, load: Callable[[Path], Policy]) -> None:
        self.load = load
        self._checked: dict[Path, tuple[str, tuple[str, ...], list[_Found]]] = {}

    def check(
        self,
        source: Source,
        written: Path,
        main: Path,
        policy: str | None,
        loaded: Callable[[], Policy | None] = lambda: None,
    ) -> list[Problem]:
        """The problems of the property file `source`, whose text is written at `written`
        beside the policy `main` (the mirror's copies); `policy` names the policy's texts
        (None: the policy has errors, so its conditions are not checked), and `loaded`
        gives it loaded (for the names `[change]` and `[expect]` give)."""
        try:
            from ..prove import properties as proving
        except (KspolicyError, ImportError) as exc:  # the extra `prove` (z3) is missing
            return [Problem(_first_line(source), f"{exc}; until then its file is not checked")]
        try:
            prop = proving.read_property(written)
        except KspolicyError as exc:
            message = _unprefixed(str(exc), written)
            return [Problem(_place(source, message), message)]
        texts = (*prop.given, *prop.given_b)
        if policy is None:
            return []
        checked = loaded()
        named = _names(source, prop, checked.checked) if checked is not None else []
        if not texts:
            return named
        real = Path(source.name)
        known = self._checked.get(real)
        if known is not None and known[:2] == (policy, texts):
            found = known[2]
        else:
            found = self._conditions(main, list(texts), written)
            self._checked[real] = (policy, texts, found)
        return _placed(source, prop.given, prop.given_b, found) + named

    def _conditions(self, main: Path, texts: list[str], written: Path) -> list[_Found]:
        from ..prove import properties as proving

        errors: list[Diagnostic] = []

        def load(path: Path) -> Policy:
            try:
                return self.load(path)
            except PolicyError as exc:
                errors.extend(d for d in exc.diagnostics if d.is_error)
                raise

        try:
            proving.with_conditions(main, texts, load, written)
        except KspolicyError:
            pass  # `errors` holds what it found
        except OSError as exc:  # the copy could not be made: `prove` would fail so too
            return [_Found(None, 0, 0, f"the conditions could not be checked: {exc}", None, None)]
        return [_relative(d, proving.PREFIX) for d in errors]


def _relative(diagnostic: Diagnostic, prefix: str) -> _Found:
    """An error of the conditions' check, placed in its condition (else in none): the
    conditions are the definitions `{prefix}N` of the file `{prefix}.pol`."""
    text = diagnostic.span.source.text
    if not diagnostic.span.source.name.endswith(f"{prefix}.pol"):
        return _Found(None, 0, 0, diagnostic.message, diagnostic.code, diagnostic.help)
    index, start = None, 0
    for match in re.finditer(rf"define {re.escape(prefix)}(\d+)\s*=[ \t]*", text):
        if match.end() <= diagnostic.span.start:
            index, start = int(match.group(1)), match.end()
    return _Found(
        index,
        diagnostic.span.start - start,
        diagnostic.span.end - start,
        diagnostic.message,
        diagnostic.code,
        diagnostic.help,
    )


def _placed(
    source: Source, given: tuple[str, ...], given_b: tuple[str, ...], found: list[_Found]
) -> list[Problem]:
    """The errors placed on the conditions' texts in the file."""
    written = list(properties.conditions(source.text))
    places: list[properties.Condition | None] = []
    for key, texts in (("given", given), ("given_b", given_b)):
        mine = [c for c in written if c.key == key]
        same = len(mine) == len(texts)
        places += [mine[i] if same else None for i in range(len(texts))]
    keys = ["given"] * len(given) + ["given_b"] * len(given_b)
    problems = []
    for error in found:
        code = error.code
        if error.index is None or error.index >= len(places):
            span = _key_span(source, "given") or _first_line(source)
            problems.append(Problem(span, error.message, code, error.help))
            continue
        place = places[error.index]
        text = (given + given_b)[error.index]
        if place is not None and place.exact and place.text == text:
            start = min(max(error.start, 0), len(text))
            end = min(max(error.end, start), len(text))
            span = Span(source, place.start + start, place.start + end)
        elif place is not None:
            span = _line_from(source, place.key_start)
        else:
            span = _key_span(source, keys[error.index]) or _first_line(source)
        problems.append(Problem(span, error.message, code, error.help))
    return problems


def _names(source: Source, prop: Property, policy: c.Policy) -> list[Problem]:
    """What `prove` refuses of the names in `[change]` and `[expect]` (it finds it while
    proving, with z3: said here as it says it, each at its key), and a group's member that
    is neither a list nor a code of the fact (`prove` takes it for a code no case has)."""
    problems = []

    def say(table: str, key: str, message: str) -> None:
        span = _key_span(source, key, table) or _first_line(source)
        problems.append(Problem(span, message))

    for name, text in prop.expect.items():
        wrong = _expectation(policy, name, text)
        if wrong is not None:
            say("expect", name, wrong)
    for name, word in prop.change.items():
        if name == "*":
            continue
        field = policy.schema.field_at(tuple(name.split(".")))
        if field is None:
            say("change", name, f"change `{name}`: no such fact in the schema")
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
                    f"of `{type_.name}`, so no case is in its group"
                )
                spans = list(properties.in_groups(source, str(member)))
                span = spans[0] if spans else _key_span(source, name, "change")
                problems.append(
                    Problem(span or _first_line(source), message, severity=Severity.WARNING)
                )
    return problems


def _expectation(policy: c.Policy, name: str, text: str) -> str | None:
    """`prove`'s message for an expectation it refuses (prove/properties.py `_expect`)."""
    outcome = policy.outcomes.get(name)
    if outcome is None or outcome.kind == "entry":
        return f"expect `{name}`: no scale or set outcome of that name"
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
        return f"expect `{name}`: {wrong[0]!r} is not a code of it" if wrong else None
    return (
        f'expect `{name}` = {text!r}: write "b >= a", "b == a", "b <= a", '
        'or a bound such as "<= notify" or ">= [export_licence]"'
    )


def _unprefixed(message: str, written: Path) -> str:
    """`prove`'s message without the file's name it starts with (the editor shows it in
    the file)."""
    for name in (str(written), written.as_posix()):
        if message.startswith(f"{name}: "):
            return message[len(name) + 2 :]
    return message


def _place(source: Source, message: str) -> Span:
    """Where a message about the file's shape belongs: the place tomllib names, else the
    line of the first key the message names (in `[change]` or `[expect]` when it speaks of
    one of theirs), else the first line."""
    at = _AT.search(message)
    if at is not None:
        line = min(int(at.group(1)), source.text.count("\n") + 1)
        start = source.offset_of(line, int(at.group(2)))
        end = min(start + 1, len(source.text))
        return Span(source, start, end) if end > start else _line_from(source, start)
    table = next((t for t in ("change", "expect") if message.startswith(f"{t} `")), None)
    for named in _NAMED.finditer(message):
        span = _key_span(source, named.group(1), table)
        if span is not None:
            return span
    return _first_line(source)


def _key_span(source: Source, key: str, table: str | None = None) -> Span | None:
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
        return _line_from(source, found.start(1))
    for header in headers:
        if header.group(1).strip() == key:
            return _line_from(source, header.start(1) - 1)
    return None


def _line_from(source: Source, start: int) -> Span:
    """From `start` to the end of its line."""
    end = source.text.find("\n", start)
    end = len(source.text) if end < 0 else end
    return Span(source, start, start + len(source.text[start:end].rstrip()))


def _first_line(source: Source) -> Span:
    return _line_from(source, 0)
