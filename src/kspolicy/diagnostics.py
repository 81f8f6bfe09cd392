"""Diagnostics as data, the registry of their codes, and the errors the API raises.

A diagnostic says what is wrong (code, message), where (a span), and how to fix it
(help). Rendering it for a terminal is `render.diagnostics`' job. Codes come in ranges:
1xx syntax, 2xx names and types, 3xx lints, 4xx case input. Every code has a section
in docs/language.md, and a test that produces it. Each code is a constant named by its
number (`KSP201`), so a misspelt code fails type checking instead of failing at run time.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .span import Span


@attrs.frozen
class Code:
    """A diagnostic code: `KSP201` with its slug `unknown-field` and a summary."""

    number: str
    slug: str
    summary: str

    def __str__(self) -> str:
        return self.number


def _registry(*codes: Code) -> dict[str, Code]:
    return {code.number: code for code in codes}


# 1xx: syntax and files
KSP101 = Code("KSP101", "unexpected-token", "a word or symbol that cannot stand here")
KSP102 = Code("KSP102", "unexpected-character", "a character that is not part of the language")
KSP103 = Code("KSP103", "unterminated-text", "a text in quotes that is never closed")
KSP104 = Code("KSP104", "unexpected-end", "an item that ends before it is complete")
KSP105 = Code("KSP105", "bad-date", "a date that does not exist")
KSP106 = Code("KSP106", "bad-number", "a number too long or too large to read exactly")
KSP110 = Code("KSP110", "unreadable-file", "a policy or list file that cannot be read")
KSP120 = Code("KSP120", "list-syntax", "a list file that is not valid TOML")
KSP130 = Code("KSP130", "too-deep", "conditions nested deeper than the limit")
KSP131 = Code("KSP131", "file-too-large", "a policy or list file larger than the limit")
KSP132 = Code("KSP132", "too-many-rules", "more rules than the limit")
KSP133 = Code("KSP133", "list-too-long", "a list with more entries than the limit")
KSP134 = Code("KSP134", "quantifiers-too-deep", "`any`/`all` nested deeper than the limit")
KSP135 = Code("KSP135", "item-too-large", "an item (rule, definition...) longer than the limit")

# 2xx: names and types
KSP201 = Code("KSP201", "unknown-field", "a path names a field its record does not have")
KSP202 = Code("KSP202", "unknown-name", "a name that is not declared")
KSP203 = Code("KSP203", "unknown-enum-value", "a value that its enum does not have")
KSP204 = Code("KSP204", "unknown-outcome", "an outcome that the decision does not declare")
KSP205 = Code("KSP205", "unknown-outcome-value", "a code that an outcome does not have")
KSP206 = Code("KSP206", "unknown-list", "a list that no list file defines")
KSP207 = Code("KSP207", "unknown-type", "a field type that is not declared")
KSP208 = Code("KSP208", "type-mismatch", "an operation on values of the wrong type")
KSP209 = Code("KSP209", "duplicate-name", "a name declared twice")
KSP210 = Code("KSP210", "duplicate-clause", "a clause given twice in one rule")
KSP211 = Code("KSP211", "missing-clause", "a rule without `when` or without `then`")
KSP212 = Code("KSP212", "recursive-define", "a definition that depends on itself")
KSP213 = Code("KSP213", "bad-import", "an import or list pattern that finds no file or leads out")
KSP214 = Code("KSP214", "bad-header", "a policy without exactly one `policy` header")
KSP215 = Code("KSP215", "bad-list", "a list file whose content does not fit the list format")
KSP216 = Code(
    "KSP216", "bad-list-entry", "a list entry that is not a value of the type it is used as"
)
KSP217 = Code("KSP217", "bad-binder", "an implicit binder on a collection it cannot bind")
KSP218 = Code("KSP218", "bad-assignment", "`>=` on a set or `+=` on a scale")
KSP219 = Code("KSP219", "bad-validity", "a validity period that ends before it starts")
KSP220 = Code("KSP220", "bad-default", "a field default of the wrong type")
KSP221 = Code("KSP221", "bad-headline", "a `headline` on an outcome that is not a scale, or twice")
KSP222 = Code(
    "KSP222", "bad-messages", "a language without messages, or a message file that does not fit"
)
KSP223 = Code(
    "KSP223", "bad-sources", "`sources` naming a list that cannot give an outcome's codes sources"
)
KSP224 = Code(
    "KSP224", "unknown-adjudicated-list", "an adjudication naming a list that no list file defines"
)
KSP225 = Code(
    "KSP225",
    "bad-adjudicated-country",
    "an adjudication giving a country that no case of the policy can give a name",
)
KSP226 = Code(
    "KSP226", "recursive-record", "a record that contains itself, directly or through others"
)
KSP227 = Code(
    "KSP227", "schema-too-large", "records that nest too deep or make too many fact paths"
)
KSP230 = Code("KSP230", "bad-test-file", "a policy test file that does not follow the test format")

# 3xx: lints (warnings)
KSP301 = Code("KSP301", "missing-cite", "a rule that cites no source")
KSP302 = Code("KSP302", "missing-because", "a rule that gives no reason")
KSP303 = Code("KSP303", "missing-translation", "a text that lacks one of the policy's languages")
KSP304 = Code("KSP304", "unused-define", "a definition that no rule uses")
KSP305 = Code(
    "KSP305", "greedy-quantifier", "an `any`/`all` whose body takes in a condition not about it"
)

# 4xx: case input
KSP401 = Code("KSP401", "unreadable-case", "a case file that cannot be read or parsed")
KSP402 = Code("KSP402", "wrong-type", "a case value of the wrong type")
KSP403 = Code("KSP403", "unknown-case-field", "a case field that the schema does not declare")
KSP404 = Code("KSP404", "bad-value", "a case value that its type does not allow")
KSP405 = Code("KSP405", "missing-required", "a required case field that is missing")
KSP406 = Code("KSP406", "case-too-large", "a case file larger than the limit")
KSP407 = Code("KSP407", "case-too-deep", "a case nested deeper than the limit")
KSP408 = Code("KSP408", "text-too-long", "a text in a case longer than the limit")
KSP409 = Code("KSP409", "too-many-items", "a list in a case with more elements than the limit")
KSP410 = Code("KSP410", "too-many-bindings", "a case giving one rule more bindings than the limit")

# Every code by its number, for what lists them all (docs, tests) or reads one back.
CODES = _registry(
    KSP101,
    KSP102,
    KSP103,
    KSP104,
    KSP105,
    KSP106,
    KSP110,
    KSP120,
    KSP130,
    KSP131,
    KSP132,
    KSP133,
    KSP134,
    KSP135,
    KSP201,
    KSP202,
    KSP203,
    KSP204,
    KSP205,
    KSP206,
    KSP207,
    KSP208,
    KSP209,
    KSP210,
    KSP211,
    KSP212,
    KSP213,
    KSP214,
    KSP215,
    KSP216,
    KSP217,
    KSP218,
    KSP219,
    KSP220,
    KSP221,
    KSP222,
    KSP223,
    KSP224,
    KSP225,
    KSP226,
    KSP227,
    KSP230,
    KSP301,
    KSP302,
    KSP303,
    KSP304,
    KSP305,
    KSP401,
    KSP402,
    KSP403,
    KSP404,
    KSP405,
    KSP406,
    KSP407,
    KSP408,
    KSP409,
    KSP410,
)


class Severity(enum.Enum):
    """How bad a diagnostic is: errors stop a policy from loading, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Diagnostic:
    """One problem found in a policy: what, where, and how to fix it."""

    code: Code
    message: str
    span: Span
    help: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """Whether it is an error, which stops the policy from loading."""
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        # One line, as compilers print one: attrs' repr would print the whole source text.
        return f"{self.span}: {self.severity.value}[{self.code}]: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The diagnostic as `kspolicy check --format json` writes it (docs/cli.md):
        lines and columns 1-based, `end` just past the span's last character."""
        source = self.span.source
        line, column = source.position(self.span.start)
        end_line, end_column = source.position(max(self.span.end, self.span.start))
        return {
            "file": source.name,
            "line": line,
            "column": column,
            "end": {"line": end_line, "column": end_column},
            "code": self.code.number,
            "slug": self.code.slug,
            "severity": self.severity.value,
            "message": self.message,
            "help": self.help,
        }


def error(code: Code, message: str, span: Span, help: str | None = None) -> Diagnostic:
    """An error diagnostic with one of the codes above."""
    return Diagnostic(code, message, span, help)


def warning(code: Code, message: str, span: Span, help: str | None = None) -> Diagnostic:
    """A warning diagnostic with one of the codes above."""
    return Diagnostic(code, message, span, help, Severity.WARNING)


def describe(value: Any) -> str:
    """A value as a message shows it: its repr, cut to 60 characters."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def did_you_mean(name: str, candidates: Iterable[str], quote: str = "`") -> str | None:
    """`did you mean `x`?` for the closest candidate, or None when none is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in candidates}
        matches = [lowered[name.lower()]] if name.lower() in lowered else []
    return f"did you mean {quote}{matches[0]}{quote}?" if matches else None


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in reading order: by file, then position, then code."""
    return sorted(
        diagnostics, key=lambda d: (d.span.source.name, d.span.start, d.code.number, d.message)
    )


class KspolicyError(Exception):
    """The base of every error kspolicy raises on purpose."""


class ArgumentError(KspolicyError, ValueError, TypeError):
    """An argument the API does not take: a language the policy lacks, a path that is
    no path, limits that are no `Limits`. It is a ValueError and a TypeError too, so
    code that caught those before still catches it."""


class PolicyError(KspolicyError):
    """A policy that cannot be loaded: carries every diagnostic found, errors first."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        errors = [d for d in self.diagnostics if d.is_error]
        first = errors[0] if errors else None
        summary = f"{first.span}: {first.message}" if first else "the policy has errors"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(summary + more)


@attrs.frozen
class CaseProblem:
    """One thing wrong with a case, at a path such as `partners[1].country`."""

    path: str
    message: str
    code: Code

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class CaseError(KspolicyError):
    """A case that does not fit the policy's schema: lists every problem, none evaluated."""

    subject = "the case"
    """What has the problems (a subclass's may be a file's header line)."""

    def __init__(self, problems: Sequence[CaseProblem], source: str | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        where = f"{source}: " if source else ""
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        has = f"{self.subject} has {count} problem{'s' * (count != 1)}"
        super().__init__(f"{where}{has}:\n{lines}")
