"""Sources of an outcome's codes: `checks: set of Check sources SOURCES`.

A guideline tells people where to look (a tracker, a sanctions list, a register), and
those places change: a tracker goes behind a paywall, an alternative is announced for a
later date. They are data, not rules: a records list holds one entry per source, each
naming the codes it serves in `codes` and, like every entry, valid in a period. An
outcome declared with `sources LIST` carries, in each decision, every code's entries in
force on the decision's date (`Decision.sources`). An officer updates the list file;
no rule changes.

Why a clause on the outcome, not a field on each code's label or a third outcome kind:
the policy names the data it reads (as an OPA policy names `data.x`), the link is
checked when the policy loads (every code a source names exists), and the decision's
other outcomes are untouched.
"""

from __future__ import annotations

from ..diagnostics import KSP223, Diagnostic, did_you_mean, error
from . import nodes as n
from .lists import NamedList
from .schema import EnumType

CODES_FIELD = "codes"
"""The field of a source entry that names the codes it is a source for."""


def check(
    node: n.OutcomeDecl, enum: EnumType, named: NamedList
) -> tuple[NamedList | None, list[Diagnostic]]:
    """The list, if it can give the outcome's codes sources, and what is wrong with it:
    it must be a records list, and each entry must name codes of the outcome."""
    assert node.sources is not None
    span = node.sources.span
    if named.kind != "records":
        message = f"`{named.name}` is a list of {named.kind}, not of records"
        hint = 'sources are the entries of a `kind = "records"` list, each with `codes = [...]`'
        return None, [error(KSP223, message, span, hint)]
    problems: list[Diagnostic] = []
    for entry in named.entries:
        where = entry.span or named.span or span
        codes = entry.data.get(CODES_FIELD)
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not codes:
            message = f"source `{entry.key}` in list {named.name} names no `{CODES_FIELD}`"
            hint = f"say which codes of `{node.name.text}` it is a source for: codes = [...]"
            problems.append(error(KSP223, message, where, hint))
            continue
        for code in codes:
            if code not in enum.codes:
                message = (
                    f"source `{entry.key}` in list {named.name} names `{code}`, "
                    f"not a code of `{node.name.text}`"
                )
                hint = did_you_mean(code, enum.codes) or f"its codes: {', '.join(enum.codes)}"
                problems.append(error(KSP223, message, where, hint))
    return (None if problems else named), problems


def refused_on_entry(node: n.OutcomeDecl) -> list[Diagnostic]:
    """`sources` on an `entry of` outcome: its value is an entry already."""
    assert node.sources is not None
    message = f"`{node.name.text}` is an entry: only a scale or a set has codes with sources"
    return [error(KSP223, message, node.sources.span, "move `sources` to a scale or a set")]
