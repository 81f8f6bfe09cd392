"""What a decision says about itself: its headline, and the sources of its codes.

Both are read off what evaluation found (the certain outcomes, the pending rules, the
open questions); neither changes an outcome.

The headline is provisional while a pending rule could still raise it: a case with no
facts at all is `clear`, but only *so far*, and a reader who stops at the headline
must see that (`Headline.provisional`, the questions that could raise it, and the
highest code they could raise it to).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..lang import checked as c
from ..lang.lists import Entry, in_language
from ..lang.sources import CODES_FIELD
from .decision import Headline, OpenQuestion, OutcomeValues, RuleResult


def headline_of(
    policy: c.Policy,
    outcomes: OutcomeValues,
    pending: list[RuleResult],
    questions: list[OpenQuestion],
    raising: Mapping[str, str] | None = None,
) -> Headline | None:
    """The decision's headline; provisional while a pending rule could raise it.
    `raising`: the rules that could, with the code each reaches, when already known."""
    name = policy.headline
    value = outcomes.get(name) if name is not None else None
    if name is None or not isinstance(value, str):
        return None
    outcome = policy.outcomes[name]
    if raising is None:
        now = outcome.rank(value)
        raising = {}
        for result in pending:
            code = result.outcomes.get(name)
            if isinstance(code, str) and outcome.rank(code) > now:
                raising[result.rule] = code
    if not raising:
        return Headline(name, value)
    highest = max(raising.values(), key=outcome.rank)
    asked = [q.fact for q in questions if any(rule in raising for rule in q.rules)]
    return Headline(name, value, True, highest, asked)


def entry_data(entry: Entry, lang: str) -> dict[str, Any]:
    """A records entry as a decision carries it: its key and its data, each text given
    by language in the decision's language. Lists are the decision's own: a caller that
    changes one changes neither the list file's entry nor a later decision."""
    return {
        "key": entry.key,
        **{
            k: copy.deepcopy(v) if isinstance(v, list) else in_language(v, lang)
            for k, v in entry.data.items()
        },
    }


def sources_of(
    policy: c.Policy,
    outcomes: OutcomeValues,
    possible: OutcomeValues,
    as_of: dt.date,
    lang: str,
    memo: dict[Any, Any] | None = None,
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """For each outcome declared with `sources LIST`: each of its codes in the decision,
    certain or possible, with the list's entries for it in force on `as_of`. `memo`
    keeps each list's entries by code (`entries_by_code`), per date and language, for
    the next decision."""
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for outcome in policy.outcomes.values():
        if outcome.sources is None:
            continue
        key = (outcome.name, as_of, lang)
        serving_of: EntriesByCode | None = memo.get(key) if memo is not None else None
        if serving_of is None:
            serving_of = entries_by_code(outcome, as_of, lang)
            if memo is not None:
                memo[key] = serving_of
        by_code: dict[str, list[dict[str, Any]]] = {}
        for code in _codes(outcomes.get(outcome.name)) + _codes(possible.get(outcome.name)):
            serving = serving_of.get(code)
            if serving and code not in by_code:
                by_code[code] = [_copy(data) for data, _ in serving]  # each decision its own
        if by_code:
            found[outcome.name] = by_code
    return found


EntriesByCode = dict[str, tuple[tuple[dict[str, Any], tuple[str, ...]], ...]]
"""A sources list's entries by code: each entry's data (`entry_data`) with the names of
its fields that hold lists (what a decision copies to own them)."""


def entries_by_code(outcome: c.Outcome, as_of: dt.date, lang: str) -> EntriesByCode:
    """The entries of the list an outcome takes its sources from (`sources LIST`), in
    force on `as_of`, by code, in the list's order, in `lang`: what a code's sources
    are, whatever else a decision holds. Shared between decisions: never changed."""
    assert outcome.sources is not None
    serving: dict[str, list[tuple[dict[str, Any], tuple[str, ...]]]] = {}
    for entry in outcome.sources.entries_on(as_of):
        data = entry_data(entry, lang)
        lists = tuple(k for k, v in data.items() if isinstance(v, list))
        for code in dict.fromkeys(_codes_of(entry)):
            serving.setdefault(code, []).append((data, lists))
    return {code: tuple(entries) for code, entries in serving.items()}


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, list) else v for k, v in data.items()}


def _codes(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _codes_of(entry: Entry) -> list[str]:
    codes: Mapping[str, Any] | Any = entry.data.get(CODES_FIELD)
    return [codes] if isinstance(codes, str) else list(codes or [])
