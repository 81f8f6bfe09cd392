"""A decision as plain text for a terminal: outcomes, why, and what is still open."""

from __future__ import annotations

from ..eval.decision import Decision, OutcomeValues, RuleResult
from ..lang import checked as c
from ..lang.catalogue import ENGINE, Catalogue
from .explain import question_impact
from .labels import binder_label, field_label, list_title, so_far


def _outcomes(
    values: OutcomeValues, none: str, headline: tuple[str, str] | None = None
) -> list[str]:
    lines = []
    for name, value in values.items():
        shown = value if isinstance(value, str) else ", ".join(value) or none
        lines.append(f"  {name}: {shown}")
        if headline is not None and name == headline[0]:
            # The codes stay one a line; the provisional headline, a sentence in the
            # reader's words, goes under its code.
            lines.append(f"    {headline[1]}")
    return lines


def _rule(
    result: RuleResult, words: dict[str, str], policy: c.Policy | None, lang: str
) -> list[str]:
    cite = f" [{', '.join(result.cite)}]" if result.cite else ""
    binding = "".join(f" ({binder_label(policy, k, v, lang)})" for k, v in result.binding.items())
    lines = [f"  - {result.title}{binding}{cite}"]
    if result.because:
        lines.append(f"    {result.because}")
    if result.facts:
        shown = ", ".join(f"{k} = {v}" for k, v in result.facts.items())
        lines.append(f"    {words['facts']}: {shown}")
    for match in result.matched:
        alias = f" {words['alias']} '{match.alias}'" if match.alias else ""
        title = list_title(policy, match.list, lang)
        lines.append(f"    {words['matched']} {title}: {match.entry}{alias} ({match.fact})")
    return lines


def _sources(decision: Decision, words: dict[str, str]) -> list[str]:
    lines = []
    for outcome, codes in decision.sources.items():
        for code, found in codes.items():
            for source in found:
                title = source.get("title") or source["key"]
                link = source.get("url")
                lines.append(f"  {outcome}.{code}: {title}" + (f" <{link}>" if link else ""))
    return lines


def render_decision(
    decision: Decision, catalogue: Catalogue = ENGINE, policy: c.Policy | None = None
) -> str:
    """The decision in its language: outcomes, the open questions (those that could
    change the headline first), where to look, then reasons and possibilities.

    The words around them come from `catalogue` (the engine's, unless the policy's own
    messages are given: `policy.checked.messages`), section `text`. With the checked
    `policy`, records, lists and reference fields are named in the decision's language
    ("onderzoeker 1", a list's title), else by their names in the policy."""
    messages = catalogue.get(decision.lang)
    words = messages.section("text")
    lang = decision.lang
    info = decision.policy
    lines = [f"{words['decision']} ({info.name} {info.version}, {words['as_of']} {info.as_of})"]
    provisional = so_far(decision, messages, policy)
    headline = (
        (decision.headline.outcome, provisional)
        if decision.headline is not None and provisional is not None
        else None
    )
    lines += _outcomes(decision.outcomes, words["none"], headline)
    for name, entry in decision.references.items():
        details = [
            f"{field_label(policy, name, k, lang)}: {v}"
            for k, v in entry.items()
            if k != "key" and isinstance(v, str)
        ]
        if details:
            lines.append(f"    {name}: {'; '.join(details)}")
    # The order of the explanation: the decision, what is open, where to look, then why.
    if decision.open_questions:
        lines += ["", f"{words['open']}:"]
        questions = decision.open_questions
        if policy is not None:
            impact = question_impact(policy, decision)
            questions = sorted(questions, key=lambda q: impact[q.fact])
        for question in questions:
            lines.append(f"  - {question.question} ({question.fact})")
    if decision.sources:
        lines += ["", f"{words['sources']}:"]
        lines += _sources(decision, words)
    if decision.fired:
        lines += ["", f"{words['fired']}:"]
        for result in decision.fired:
            lines += _rule(result, words, policy, lang)
    if decision.possible:
        lines += ["", f"{words['possible']}:"]
        lines += _outcomes(decision.possible, words["none"])
    return "\n".join(lines) + "\n"
