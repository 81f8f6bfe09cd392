"""Lints: warnings about a policy that is valid but likely not what was meant.

An ordered tuple of small pure passes over the checked policy, each returning the
warnings it finds. A new lint is one more function in `PASSES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..diagnostics import KSP301, KSP302, KSP303, KSP304, KSP305, Diagnostic, warning
from ..span import Span
from . import checked as c
from . import nodes as n


def missing_cite(policy: c.Policy) -> Iterator[Diagnostic]:
    """KSP301: each rule that cites no source."""
    for rule in policy.rules:
        if not rule.cites:
            yield warning(
                KSP301,
                f"rule `{rule.name}` cites no source",
                rule.node.name.span,
                'add `cite "<anchor>"` naming the passage the rule comes from',
            )


def missing_because(policy: c.Policy) -> Iterator[Diagnostic]:
    """KSP302: each rule that gives no reason (one-line rules need none)."""
    for rule in policy.rules:
        if rule.because is None and not rule.node.oneline:
            yield warning(
                KSP302,
                f"rule `{rule.name}` gives no reason",
                rule.node.name.span,
                'add `because en "..." nl "..."`: the reason people will read',
            )


def missing_translation(policy: c.Policy) -> Iterator[Diagnostic]:
    """KSP303: each text given in some of the policy's languages, not all."""
    wanted = set(policy.languages)
    if not wanted:
        return
    for text in _texts(policy):
        languages = text.languages()
        missing = sorted(wanted - languages)
        if missing and languages:
            additions = " ".join(f'{lang} "..."' for lang in missing)
            yield warning(
                KSP303,
                f"this text has no {', '.join(missing)} version",
                text.span,
                f"add {additions}",
            )


def unused_define(policy: c.Policy) -> Iterator[Diagnostic]:
    """KSP304: each definition that no rule or definition uses."""
    if not policy.definitions:
        return  # nothing to look for: skip walking every condition
    roots = [e for rule in policy.rules for e in (rule.when, *rule.unless)]
    roots += [definition.expr for definition in policy.definitions.values()]
    used = {e.name for e in c.walk(roots) if isinstance(e, c.DefineRef)}
    for name, definition in policy.definitions.items():
        if name not in used:
            yield warning(
                KSP304,
                f"definition `{name}` is not used",
                definition.node.name.span,
                "use it in a rule, or remove it",
            )


def greedy_quantifier(policy: c.Policy) -> Iterator[Diagnostic]:
    """KSP305: each `any`/`all` whose body, not in brackets, is an `or`/`and` with an
    operand after the first that does not use the quantifier's variable.

    A quantifier's body reaches as far right as it can (docs/language.md, "Conditions"):
    everything after its `:` belongs to it. So
    `any p in partners: p.country == CN or project.trl >= 7` asks the second test of
    each partner, and is false for a project without partners whatever its `trl`:
    `(any p in partners: p.country == CN) or project.trl >= 7` was most likely meant.
    A body in brackets, `any p in partners: (... or ...)`, says the reading is wanted.
    """
    roots = [e for rule in policy.rules for e in (rule.when, *rule.unless)]
    roots += [definition.expr for definition in policy.definitions.values()]
    quantifiers = {
        id(e.node): e for e in c.walk(roots) if isinstance(e, c.Quantifier) and _greedy(e)
    }
    for quantifier in sorted(quantifiers.values(), key=lambda q: q.node.span.start):
        yield _greedy_warning(quantifier)


def _greedy(quantifier: c.Quantifier) -> bool:
    body = quantifier.body
    # Brackets around the body leave it as it was but end the quantifier's span after
    # the `)`: the only trace they leave in the tree.
    if not isinstance(body, c.And | c.Or) or body.node.span.end != quantifier.node.span.end:
        return False
    return _swallowed(quantifier, body) is not None


def _swallowed(quantifier: c.Quantifier, body: c.And | c.Or) -> c.Expr | None:
    """The first operand after the first that does not use the quantifier's variable (a
    nested quantifier never rebinds it: KSP209)."""
    for operand in body.operands[1:]:
        if not any(isinstance(e, c.Fact) and e.base == quantifier.var for e in c.walk([operand])):
            return operand
    return None


def _greedy_warning(quantifier: c.Quantifier) -> Diagnostic:
    body = quantifier.body
    assert isinstance(body, c.And | c.Or)
    operand = _swallowed(quantifier, body)
    assert operand is not None
    word = "or" if isinstance(body, c.Or) else "and"
    source = body.node.span.source
    # The span starts at the `or`/`and` before the operand, reaching over brackets around
    # it (the operand's own span leaves them out), and ends with the body.
    text, end = source.text, body.node.span.end
    start = operand.node.span.start
    while start > body.node.span.start and text[start - 1] in " \t\r\n(":
        start -= 1
    start += len(text[start:end]) - len(text[start:end].lstrip())
    before = text[:start].rstrip()
    spoken = before.endswith(word) and not _is_name_char(before[-len(word) - 1])
    # Not `spoken`: a comment between the word and the operand; start at the operand.
    taken = Span(source, len(before) - len(word) if spoken else start, end)
    rest = _short(text[start:end])
    test = _short(operand.node.span.text)
    collection = _short(quantifier.collection.node.span.text)
    head = f"{quantifier.kind} {quantifier.var} in {collection}"
    return warning(
        KSP305,
        f"`{_short(taken.text)}` is read as part of `{head}: ...`, "
        f"though it does not use `{quantifier.var}`",
        taken,
        # The consequence in plain words first, for a policy officer; the two
        # bracketings after it, one for each reading.
        f"everything after `{head}:` belongs to it, so `{test}` is checked for each "
        f"element of `{collection}`, not once for the whole condition"
        f"{_consequence(quantifier.kind, word, collection, test)}. To check it once, "
        f"bracket the quantifier: `({head}: ...) {word} {rest}`; if it is meant for "
        f"each element, bracket the body: `{head}: (... {word} {rest})`",
    )


def _consequence(kind: str, word: str, collection: str, test: str) -> str:
    """What the greedy reading changes, when it changes anything: only for an empty
    collection, and only for `any ... or` (never true) and `all ... and` (always true);
    `any ... and` and `all ... or` decide alike either way."""
    if kind == "any" and word == "or":
        return f": as written, when `{collection}` is empty this is false, even if `{test}` holds"
    if kind == "all" and word == "and":
        return f": as written, when `{collection}` is empty this holds, even if `{test}` does not"
    return ""


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _short(text: str) -> str:
    """Source text for a message: on one line, cut to 40 characters."""
    flat = " ".join(text.split())  # white space at the ends goes too
    return flat if len(flat) <= 40 else flat[:37] + "..."


def _texts(policy: c.Policy) -> Iterator[n.Text]:
    if policy.title:
        yield policy.title
    for rule in policy.rules:
        if rule.title:
            yield rule.title
        if rule.because:
            yield rule.because
    for _, field in policy.schema.fields():
        if field.question:
            yield field.question
    for enum in policy.schema.enums.values():
        yield from enum.labels.values()
    for outcome in policy.outcomes.values():
        if outcome.title:
            yield outcome.title
        if outcome.enum.name not in policy.schema.enums:
            yield from outcome.enum.labels.values()


PASSES: tuple[Callable[[c.Policy], Iterator[Diagnostic]], ...] = (
    missing_cite,
    missing_because,
    missing_translation,
    unused_define,
    greedy_quantifier,
)


def lint(policy: c.Policy) -> list[Diagnostic]:
    """Every warning of every pass, in pass order."""
    return [d for check in PASSES for d in check(policy)]
