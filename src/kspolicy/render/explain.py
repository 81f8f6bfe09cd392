"""A decision explained for people: what was decided, why, what is still open.

`explain` builds a document (see `document`) from a decision and the checked policy it
came from: outcome codes get their labels, rules their titles, anchors and reasons,
facts their values, list matches the entry and alias that matched; the words around
them come from the policy's message catalogue (`lang.catalogue`, section `explain`).
`why_not` and `full` need a decision evaluated with `explain=True` (the trace).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..diagnostics import KspolicyError, did_you_mean
from ..eval.decision import Decision, RuleResult, TraceNode
from ..eval.runtime import show
from ..lang import checked as c
from ..lang.schema import ListType, RecordType
from .document import Block, Fold, Heading, Item, Items, Line, Para, Run, line
from .labels import binder_label, field_label, list_title, named, so_far

_VERDICT_STYLE = {0: "good", 1: "warn"}


def label(policy: c.Policy, outcome: str, code: str, lang: str) -> str:
    """The text of an outcome code in a language, or the code itself."""
    found = policy.outcomes.get(outcome)
    text = found.enum.labels.get(code) if found else None
    return text.get(lang) if text else code


def outcome_title(policy: c.Policy, outcome: str, lang: str) -> str:
    """An outcome's title in a language, or its name when it has none."""
    found = policy.outcomes.get(outcome)
    return found.title.get(lang) if found and found.title else outcome


def _style_for(policy: c.Policy, outcome: str, code: str) -> str:
    found = policy.outcomes.get(outcome)
    if found is None or found.kind != "scale":
        return "strong"
    rank = found.rank(code)
    return _VERDICT_STYLE.get(rank, "bad") if len(found.enum.codes) > 2 else "strong"


def _namers(policy: c.Policy) -> dict[str, tuple[str, str]]:
    """For each binder whose record is `named by` a field: its collection and that field."""
    found = {}
    for name, binder in policy.schema.binders.items():
        field = policy.schema.root.fields.get(binder.collection)
        element = field.type.element if field and isinstance(field.type, ListType) else None
        if isinstance(element, RecordType) and element.named_by is not None:
            found[name] = (binder.collection, element.named_by)
    return found


def _binding(
    result: RuleResult,
    case: Mapping[str, Any] | None,
    namers: dict[str, tuple[str, str]],
    policy: c.Policy,
    lang: str,
) -> str:
    parts = []
    for name, index in result.binding.items():
        who = binder_label(policy, name, index, lang)
        if case is not None and name in namers:
            collection, field = namers[name]
            items = case.get(collection)
            if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
                label_ = items[index].get(field)
                if isinstance(label_, str) and label_:
                    who += f" ({label_})"
        parts.append(who)
    return ", ".join(parts)


def _rule_item(
    result: RuleResult, w: dict[str, str], binding: str, policy: c.Policy, lang: str
) -> Item:
    head: list[str | Run] = [Run(result.title, "strong")]
    if binding:
        head.append(f" — {binding}")
    if result.cite:
        head += [" ", Run("[" + ", ".join(result.cite) + "]", "muted")]
    children: list[Block] = []
    if result.because:
        children.append(Para(line(result.because)))
    details: list[Item] = []
    if result.facts:
        facts = [Run(f"{k} = {show(v)}", "code") for k, v in result.facts.items()]
        details.append(Item(line(f"{w['facts']}: ", *_join(facts))))
    for match in result.matched:
        alias = f" {w['alias']} '{match.alias}'" if match.alias else ""
        details.append(
            Item(
                line(
                    f"{w['matched']} ",
                    Run(list_title(policy, match.list, lang), "strong"),
                    f": {match.entry}{alias} ",
                    Run(f"({match.fact} = {match.value})", "muted"),
                )
            )
        )
    if result.unknown:
        details.append(
            Item(line(f"{w['waits']}: ", *_join([Run(u, "code") for u in result.unknown])))
        )
    if details:
        children.append(Items(tuple(details)))
    return Item(line(*head), tuple(children))


def _join(runs: list[Run]) -> list[Run]:
    joined: list[Run] = []
    for i, run in enumerate(runs):
        if i:
            joined.append(Run(", "))
        joined.append(run)
    return joined


def explain(
    policy: c.Policy,
    decision: Decision,
    *,
    case: Mapping[str, Any] | None = None,
    why_not: str | None = None,
    full: bool = False,
) -> list[Block]:
    """The explanation of a decision, as document blocks, in the decision's language.

    First what a reader needs on one screen: the decision, what is still open (the
    questions that could change it first) and what to do next (with where to look);
    then the details, folded: why, the outcomes in full with their codes, what unknown
    facts could still change, and the trace. Last the policy, with its whole sha256."""
    lang = decision.lang
    w = policy.messages.get(lang).section("explain")
    blocks: list[Block] = [_headline(policy, decision, w)]
    info = decision.policy
    title = policy.title.get(lang) if policy.title else info.name
    identity = f"{w['policy']} {info.name} {info.version}, {w['as_of']} {info.as_of}"
    blocks.append(Para(line(Run(f"{title} — {identity}", "muted"))))
    blocks += _other_scales(policy, decision)
    blocks += _open(policy, decision, w)
    blocks += _next(policy, decision, w)

    binders = _namers(policy)
    why: list[Block] = [Para(line(w["no_rules"]))]
    if decision.fired:
        why = [
            Items(
                tuple(
                    _rule_item(r, w, _binding(r, case, binders, policy, lang), policy, lang)
                    for r in decision.fired
                )
            )
        ]
    blocks.append(Fold(line(f"{w['why']} ({len(decision.fired)})"), tuple(why), anchor="why"))
    blocks.append(
        Fold(line(w["outcomes"]), (_outcome_rows(policy, decision, w),), anchor="outcomes")
    )
    if decision.possible or decision.pending:
        blocks.append(
            Fold(
                line(w["possible"]),
                (_possible(policy, decision, case, binders, w),),
                anchor="possible",
            )
        )
    if why_not is not None:
        blocks += _why_not(policy, decision, why_not, w)  # asked for by name: not folded
    if full:
        blocks.append(Fold(line(w["trace"]), (_trace(decision, w),), anchor="trace"))
    blocks.append(Para(line(Run(f"{w['policy']} {info.name} {info.version} — sha256:", "muted"))))
    blocks.append(Para(line(Run(info.sha256, "copy"))))
    return blocks


def _headline(policy: c.Policy, decision: Decision, w: dict[str, str]) -> Heading:
    """The decision in one heading: never more than is known, since an open question
    could still raise it (the provisional form says how many could)."""
    headline = policy.headline
    provisional = so_far(decision, policy.messages.get(decision.lang), policy)
    if provisional is not None:  # the sentence says "provisional decision" itself
        return Heading(1, line(Run(provisional, "warn")), "decision")
    if headline is not None and isinstance(decision.outcomes.get(headline), str):
        # By its label only: the reader's words; the code is in the outcomes' details.
        code = str(decision.outcomes[headline])
        meaning = label(policy, headline, code, decision.lang)
        return Heading(
            1,
            line(f"{w['decision']}: ", Run(meaning, _style_for(policy, headline, code))),
            "decision",
        )
    return Heading(1, line(w["decision"]), "decision")


def _other_scales(policy: c.Policy, decision: Decision) -> list[Block]:
    """The scales beside the headline (a risk level), one short line each."""
    shown: list[Block] = []
    for name, value in decision.outcomes.items():
        outcome = policy.outcomes.get(name)
        if name == policy.headline or outcome is None or outcome.kind != "scale":
            continue
        if not isinstance(value, str):
            continue
        # By its label only ("Risico: Gemiddeld"), the code when it has none: a code
        # before its label reads as a foreign word; the details list the codes.
        meaning = label(policy, name, value, decision.lang)
        shown.append(
            Para(
                line(
                    f"{outcome_title(policy, name, decision.lang)}: ",
                    Run(meaning, _style_for(policy, name, value)),
                )
            )
        )
    return shown


SHOWN = 5
"""How many of the questions that could change the headline the first screen lists; the
others fold away, so that what to do next stays on a phone's first screen."""


def _open(policy: c.Policy, decision: Decision, w: dict[str, str]) -> list[Block]:
    """What is still open: the questions that could change the headline, most decisive
    first (`question_impact`), the first `SHOWN` of them listed and the rest folded;
    then, folded, the others, grouped by the most important outcome each could change
    (in the order the policy declares its outcomes)."""
    questions = decision.open_questions
    if not questions:
        return []
    blocks: list[Block] = [
        Heading(2, line(f"{w['questions']} ({len(questions)})"), "open"),
    ]
    impact = question_impact(policy, decision)
    ordered = sorted(questions, key=lambda q: impact[q.fact])  # stable: the engine's order
    raising = [q for q in ordered if impact[q.fact][0] == 0]
    rest = [q for q in ordered if impact[q.fact][0] != 0]
    if raising:
        blocks.append(Items(tuple(Item(line(q.question)) for q in raising[:SHOWN])))
    elif policy.headline is not None:
        blocks.append(Para(line(Run(w["final"], "good"))))
    headline = decision.headline
    folded = raising[SHOWN:]
    if folded and headline is not None and headline.could_become is not None:
        count = len(folded)
        words = policy.messages.get(decision.lang)
        could = named(policy, headline.outcome, headline.could_become, words)
        summary = w["more_raising_one" if count == 1 else "more_raising"]
        blocks.append(
            Fold(
                line(summary.format(count=count, could=could)),
                (Items(tuple(Item(line(q.question)) for q in folded)),),
                level=3,
                anchor="more-raising",
            )
        )
    if not rest:
        return blocks
    order = list(policy.outcomes)
    groups: dict[str, list[Item]] = {}
    for q in rest:
        name = order[impact[q.fact][0] - 1] if impact[q.fact][0] <= len(order) else ""
        groups.setdefault(name, []).append(Item(line(q.question)))
    key = "more" if raising else "rest"  # "more" than those listed above
    one = len(rest) == 1
    summary = w[f"{key}_one"] if one else w[key].format(count=len(rest))
    group_items = tuple(
        Item(line(Run(outcome_title(policy, name, decision.lang), "strong")), (Items(tuple(qs)),))
        for name, qs in groups.items()
    )
    blocks.append(Fold(line(summary), (Items(group_items),), level=3, anchor="more"))
    return blocks


def question_impact(policy: c.Policy, decision: Decision) -> dict[str, tuple[int, int, int]]:
    """For each open question's fact, a key that sorts the most decisive first: what its
    answer could change most, then how directly.

    The key is (where, -rank, waits): `where` is 0 when the answer could raise the
    headline (to the code of rank `rank`), else 1 + the position of the first outcome,
    as the policy declares them, that it could change; `waits` is the fewest other
    unknown facts a rule it could make fire still waits for (0: its answer alone
    decides). Every open question can change something (the engine asks only what a
    pending rule that could add to the decision waits for); one that could change
    nothing would get `where` past every outcome, and be placed last."""
    pending: dict[str, list[RuleResult]] = {}
    for result in decision.pending:
        pending.setdefault(result.rule, []).append(result)
    order = list(policy.outcomes)
    headline = policy.headline
    impact: dict[str, tuple[int, int, int]] = {}
    for question in decision.open_questions:
        best = (len(order) + 1, 0, 0)
        for rule in question.rules:
            if rule in policy.outcomes:  # an entry outcome the fact picks
                best = min(best, (order.index(rule) + 1, 0, 0))
                continue
            for result in pending.get(rule, []):
                if question.fact not in result.unknown:
                    continue
                waits = len(result.unknown) - 1
                for name in _changes(policy, decision, result):
                    if name == headline:
                        rank = policy.outcomes[name].rank(str(result.outcomes[name]))
                        best = min(best, (0, -rank, waits))
                    else:
                        best = min(best, (order.index(name) + 1, 0, waits))
        impact[question.fact] = best
    return impact


def _changes(policy: c.Policy, decision: Decision, result: RuleResult) -> list[str]:
    """The outcomes a pending rule would change if it fired."""
    changed = []
    for name, value in result.outcomes.items():
        outcome = policy.outcomes[name]
        now = decision.outcomes.get(name)
        if outcome.kind == "scale" and isinstance(value, str) and isinstance(now, str):
            if outcome.rank(value) > outcome.rank(now):
                changed.append(name)
        elif isinstance(value, list) and any(code not in (now or []) for code in value):
            changed.append(name)
    return changed


def _next(policy: c.Policy, decision: Decision, w: dict[str, str]) -> list[Block]:
    """What to do next: each code of the certain sets by its label, with the sources
    to look in as links, then who to contact."""
    lang = decision.lang
    rows: list[Item] = []
    for name, value in decision.outcomes.items():
        outcome = policy.outcomes.get(name)
        if outcome is None or outcome.kind != "set" or isinstance(value, str) or not value:
            continue
        each = []
        for code in value:
            found = decision.sources.get(name, {}).get(code, [])
            links = [_source_run(source) for source in found]
            children = (Para(line(f"{w['source']}: ", *_join(links))),) if links else ()
            each.append(Item(line(label(policy, name, code, lang)), children))
        rows.append(
            Item(line(Run(outcome_title(policy, name, lang), "strong")), (Items(tuple(each)),))
        )
    for name, entry in decision.references.items():
        details = [
            Item(
                line(
                    f"{field_label(policy, name, k, lang)}: ",
                    *_linked(v if isinstance(v, str) else ", ".join(v)),
                )
            )
            for k, v in entry.items()
            if k != "key"
        ]
        rows.append(
            Item(
                line(Run(f"{outcome_title(policy, name, lang)}: ", "strong"), entry["key"]),
                (Items(tuple(details)),) if details else (),
            )
        )
    blocks: list[Block] = [Heading(2, line(w["next"]), "next")]
    blocks.append(Items(tuple(rows)) if rows else Para(line(w["nothing_to_do"])))
    return blocks


def _source_run(source: Mapping[str, Any]) -> Run:
    title = str(source.get("title") or source["key"])
    url = source.get("url")
    return Run(title, "link", url) if isinstance(url, str) and _URL.fullmatch(url) else Run(title)


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _linked(text: str) -> list[Run]:
    """A text with its web addresses and e-mail addresses made links."""
    runs: list[Run] = []
    at = 0
    for found in re.finditer(f"{_URL.pattern}|{_EMAIL.pattern}", text):
        if found.start() > at:
            runs.append(Run(text[at : found.start()]))
        shown = found.group()
        href = shown if _URL.fullmatch(shown) else f"mailto:{shown}"
        runs.append(Run(shown, "link", href))
        at = found.end()
    if at < len(text):
        runs.append(Run(text[at:]))
    return runs


def _outcome_rows(policy: c.Policy, decision: Decision, w: dict[str, str]) -> Items:
    """Every outcome with its codes, their labels, the rules that gave them and the
    sources in full: the details behind the first screen."""
    lang = decision.lang
    headline = policy.headline
    provisional = so_far(decision, policy.messages.get(lang))
    rows: list[Item] = []
    for name, value in decision.outcomes.items():
        if name in decision.references:
            continue
        codes = [value] if isinstance(value, str) else value
        title_ = outcome_title(policy, name, lang)
        if not codes:
            rows.append(Item(line(f"{title_}: ", Run(w["none"], "muted"))))
            continue
        if isinstance(value, str):
            sources = [r.rule for r in decision.fired if r.outcomes.get(name) == value]
            marks = [Run(f" ({w['so_far']})", "warn")] if name == headline and provisional else []
            rows.append(
                Item(
                    line(
                        f"{title_}: ",
                        Run(value, _style_for(policy, name, value)),
                        *marks,
                        f" — {label(policy, name, value, lang)}",
                        *_from(sources, w),
                    ),
                    _where_to_look(policy, decision, name, value, w),
                )
            )
            continue
        children = []
        for code in codes:
            sources = [r.rule for r in decision.fired if code in r.outcomes.get(name, [])]
            children.append(
                Item(
                    line(
                        Run(code, "code"),
                        f" — {label(policy, name, code, lang)}",
                        *_from(sources, w),
                    ),
                    _where_to_look(policy, decision, name, code, w),
                )
            )
        rows.append(Item(line(f"{title_}:"), (Items(tuple(children)),)))
    return Items(tuple(rows))


def _possible(
    policy: c.Policy,
    decision: Decision,
    case: Mapping[str, Any] | None,
    binders: dict[str, tuple[str, str]],
    w: dict[str, str],
) -> Items:
    """What unknown facts could add, code by code, and the rules waiting for them."""
    lang = decision.lang
    possible: list[Item] = []
    for name, value in decision.possible.items():
        # Each code with its label, laid out as the certain outcomes are.
        could = w["could"] if isinstance(value, str) else w["could_set"]
        title_ = f"{outcome_title(policy, name, lang)} {could}"
        if isinstance(value, str):
            meaning = f" — {label(policy, name, value, lang)}"
            possible.append(Item(line(f"{title_}: ", Run(value, "warn"), meaning)))
            continue
        each = tuple(
            Item(
                line(Run(code, "warn"), f" — {label(policy, name, code, lang)}"),
                _where_to_look(policy, decision, name, code, w),
            )
            for code in value
        )
        possible.append(Item(line(f"{title_}:"), (Items(each),)))
    pending = [
        _rule_item(r, w, _binding(r, case, binders, policy, lang), policy, lang)
        for r in decision.pending
    ]
    return Items(tuple(possible + pending))


def _trace(decision: Decision, w: dict[str, str]) -> Items:
    return Items(
        tuple(
            Item(
                line(
                    Run(t.rule, "strong"),
                    f" {_bind_text(t.binding)}— {w['result']}: ",
                    Run(t.result, _result_style(t.result)),
                ),
                (Items(tuple(_trace_item(s) for s in t.steps)),) if t.steps else (),
            )
            for t in decision.trace
        )
    )


def _where_to_look(
    policy: c.Policy, decision: Decision, outcome: str, code: str, w: dict[str, str]
) -> tuple[Block, ...]:
    """The sources a code's list gives it (`sources LIST`), one line each: its title,
    then its other fields by their labels."""
    found = decision.sources.get(outcome, {}).get(code, [])
    if not found:
        return ()
    checked = policy.outcomes.get(outcome)
    named = checked.sources if checked is not None else None
    items = []
    for source in found:
        details = [
            line(
                f"{named.label_in(k, decision.lang) if named else k}: ",
                *_linked(v if isinstance(v, str) else ", ".join(v)),
            )
            for k, v in source.items()
            if k not in ("key", "title", "codes")
        ]
        items.append(
            Item(
                line(f"{w['source']}: ", Run(str(source.get("title") or source["key"]), "strong")),
                (Items(tuple(Item(d) for d in details)),) if details else (),
            )
        )
    return (Items(tuple(items)),)


def _from(sources: list[str], w: dict[str, str]) -> list[Run]:
    if not sources:
        return []
    return [
        Run(f" ({w['from']} ", "muted"),
        *_join([Run(s, "code") for s in dict.fromkeys(sources)]),
        Run(")", "muted"),
    ]


def _bind_text(binding: dict[str, int]) -> str:
    return "".join(f"({k} {v + 1}) " for k, v in binding.items())


def _result_style(result: str) -> str:
    return {"fired": "good", "pending": "warn", "silent": "muted", "inactive": "muted"}.get(
        result, ""
    )


def _value_style(value: str) -> str:
    return {"true": "good", "false": "bad", "unknown": "warn"}.get(value, "code")


def _trace_item(node: TraceNode) -> Item:
    head: Line = line(Run(node.expr, "code"), " → ", Run(node.value, _value_style(node.value)))
    children = (Items(tuple(_trace_item(ch) for ch in node.children)),) if node.children else ()
    return Item(head, children)


def _why_not(policy: c.Policy, decision: Decision, name: str, w: dict[str, str]) -> list[Block]:
    rules = {rule.name: rule for rule in policy.rules}
    rule = rules.get(name)
    if rule is None:
        hint = did_you_mean(name, rules)
        raise KspolicyError(f"the policy has no rule `{name}`" + (f"; {hint}" if hint else ""))
    blocks: list[Block] = [
        Heading(2, line(f"{w['why_not']} ", Run(name, "code"), f" {w['did_not']}"))
    ]
    traces = [t for t in decision.trace if t.rule == name]
    if not traces and not decision.trace:
        raise KspolicyError("--why-not needs the evaluation trace: evaluate with explain=True")
    if any(t.result == "fired" for t in traces):
        blocks.append(Para(line(w["fired"] + ".")))
    if any(t.result == "inactive" for t in traces):
        blocks.append(Para(line(f"{w['inactive']} {decision.policy.as_of}.")))
    if not traces:
        collections = [policy.schema.binders[b].collection for b in rule.binders]
        blocks.append(
            Para(
                line(
                    w["no_binding"] + " ",
                    *_join([Run(x, "code") for x in collections]),
                    f" {w['is_empty']}.",
                )
            )
        )
    for t in traces:
        if t.result in ("silent", "pending"):
            blocks.append(
                Items(
                    (
                        Item(
                            line(
                                _bind_text(t.binding),
                                f"{w['result']}: ",
                                Run(t.result, _result_style(t.result)),
                            ),
                            (Items(tuple(_trace_item(s) for s in t.steps)),),
                        ),
                    )
                )
            )
    return blocks
