"""A decision as plain text for a terminal: outcomes, why, and what is still open."""

from __future__ import annotations

from ..eval.decision import Decision, OutcomeValues, RuleResult
from ..lang.catalogue import ENGINE, Catalogue


def _outcomes(values: OutcomeValues, none: str) -> list[str]:
    lines = []
    for name, value in values.items():
        shown = value if isinstance(value, str) else ", ".join(value) or none
        lines.append(f"  {name}: {shown}")
    return lines


def _rule(result: RuleResult, words: dict[str, str]) -> list[str]:
    cite = f" [{', '.join(result.cite)}]" if result.cite else ""
    binding = "".join(f" ({k} {v + 1})" for k, v in result.binding.items())
    lines = [f"  - {result.title}{binding}{cite}"]
    if result.because:
        lines.append(f"    {result.because}")
    if result.facts:
        shown = ", ".join(f"{k} = {v}" for k, v in result.facts.items())
        lines.append(f"    {words['facts']}: {shown}")
    for match in result.matched:
        alias = f" {words['alias']} '{match.alias}'" if match.alias else ""
        lines.append(f"    {words['matched']} {match.list}: {match.entry}{alias} ({match.fact})")
    return lines


def render_decision(decision: Decision, catalogue: Catalogue = ENGINE) -> str:
    """The decision in its language: outcomes, then reasons, possibilities, questions.

    The words around them come from `catalogue` (the engine's, unless the policy's own
    messages are given: `policy.checked.messages`), section `text`."""
    words = catalogue.get(decision.lang).section("text")
    info = decision.policy
    lines = [f"{words['decision']} ({info.name} {info.version}, {words['as_of']} {info.as_of})"]
    lines += _outcomes(decision.outcomes, words["none"])
    for name, entry in decision.references.items():
        details = [str(v) for k, v in entry.items() if k != "key" and isinstance(v, str)]
        if details:
            lines.append(f"    {name}: {'; '.join(details)}")
    if decision.fired:
        lines += ["", f"{words['fired']}:"]
        for result in decision.fired:
            lines += _rule(result, words)
    if decision.possible:
        lines += ["", f"{words['possible']}:"]
        lines += _outcomes(decision.possible, words["none"])
    if decision.open_questions:
        lines += ["", f"{words['open']}:"]
        for question in decision.open_questions:
            lines.append(f"  - {question.question} ({question.fact})")
    return "\n".join(lines) + "\n"
