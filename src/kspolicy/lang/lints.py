"""Lints: warnings about a policy that is valid but likely not what was meant.

An ordered tuple of small pure passes over the checked policy, each returning the
warnings it finds. A new lint is one more function in `PASSES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..diagnostics import KSP301, KSP302, KSP303, KSP304, Diagnostic, warning
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
)


def lint(policy: c.Policy) -> list[Diagnostic]:
    """Every warning of every pass, in pass order."""
    return [d for check in PASSES for d in check(policy)]
