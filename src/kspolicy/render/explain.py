"""A decision explained for people: what was decided, why, what is still open.

`explain` builds a document (see `document`) from a decision and the checked policy it
came from: outcome codes get their labels, rules their titles, anchors and reasons,
facts their values, list matches the entry and alias that matched; the words around
them come from the policy's message catalogue (`lang.catalogue`, section `explain`).
`why_not` and `full` need a decision evaluated with `explain=True` (the trace).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..diagnostics import KspolicyError, did_you_mean
from ..eval.decision import Decision, RuleResult, TraceNode
from ..eval.runtime import show
from ..lang import checked as c
from ..lang.schema import ListType, RecordType
from .document import Block, Heading, Item, Items, Line, Para, Run, line
from .labels import binder_label, field_label, list_title, so_far

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
    """The explanation of a decision, as document blocks, in the decision's language."""
    lang = decision.lang
    w = policy.messages.get(lang).section("explain")
    binders = _namers(policy)
    blocks: list[Block] = []
    headline = policy.headline
    provisional = so_far(decision, policy.messages.get(lang))
    if provisional is not None:
        # Never more than is known: an open question could still raise the headline.
        blocks.append(Heading(1, line(f"{w['decision']}: ", Run(provisional, "warn"))))
    elif headline is not None and isinstance(decision.outcomes.get(headline), str):
        code = str(decision.outcomes[headline])
        style = _style_for(policy, headline, code)
        blocks.append(
            Heading(
                1,
                line(
                    f"{w['decision']}: ",
                    Run(code, style),
                    f" — {label(policy, headline, code, lang)}",
                ),
            )
        )
    else:
        blocks.append(Heading(1, line(w["decision"])))
    info = decision.policy
    title = policy.title.get(lang) if policy.title else info.name
    identity = f"{w['policy']} {info.name} {info.version}, {w['as_of']} {info.as_of}"
    blocks.append(Para(line(Run(f"{title} — {identity}, sha256 {info.sha256[:16]}", "muted"))))
    for name, entry in decision.references.items():
        details = [
            f"{field_label(policy, name, k, lang)}: {v if isinstance(v, str) else ', '.join(v)}"
            for k, v in entry.items()
            if k != "key"
        ]
        blocks.append(
            Para(line(Run(f"{outcome_title(policy, name, lang)}: ", "strong"), entry["key"]))
        )
        if details:
            blocks.append(Items(tuple(Item(line(d)) for d in details)))

    # Outcomes, each code with its label and the rules that gave it.
    blocks.append(Heading(2, line(w["outcomes"])))
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
    blocks.append(Items(tuple(rows)))

    blocks.append(Heading(2, line(w["why"])))
    if decision.fired:
        blocks.append(
            Items(
                tuple(
                    _rule_item(r, w, _binding(r, case, binders, policy, lang), policy, lang)
                    for r in decision.fired
                )
            )
        )
    else:
        blocks.append(Para(line(w["no_rules"])))

    if decision.possible or decision.pending:
        blocks.append(Heading(2, line(w["possible"])))
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
        blocks.append(Items(tuple(possible + pending)))

    if decision.open_questions:
        blocks.append(Heading(2, line(w["questions"])))
        blocks.append(
            Items(
                tuple(
                    Item(line(q.question, " ", Run(f"({q.fact})", "muted")))
                    for q in decision.open_questions
                )
            )
        )

    if why_not is not None:
        blocks += _why_not(policy, decision, why_not, w)
    if full:
        blocks.append(Heading(2, line(w["trace"])))
        blocks.append(
            Items(
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
        )
    return blocks


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
        title = str(source.get("title") or source["key"])
        details = [
            f"{named.label_in(k, decision.lang) if named else k}: "
            f"{v if isinstance(v, str) else ', '.join(v)}"
            for k, v in source.items()
            if k not in ("key", "title", "codes")
        ]
        items.append(
            Item(
                line(f"{w['source']}: ", Run(title, "strong")),
                (Items(tuple(Item(line(d)) for d in details)),) if details else (),
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
