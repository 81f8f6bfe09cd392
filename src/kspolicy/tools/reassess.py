"""Running projects: decide a recorded case again with new facts, and say what changed.

A guideline asks for a new look "when the situation changes during a running project".
`reassess` takes what was decided before (a saved decision's JSON, an audit-log record,
or a record of an audit log by its line) and the case as it is now, decides it, and
compares: which outcomes rose or fell, which codes a set gained or lost, which rules
started or stopped firing, and which facts changed. Where the headline rose to the top
of its scale (in the knowledge-security pack: `prohibited`, a legal or institutional
bar), the risks may have become too large to go on: the reassessment says so and names
the passages the rules that raised it cite (the pack's `mitigation.stop`: ask whether,
and on which terms, the collaboration can be ended).

Facts are compared case to case when the record holds the case; a saved decision holds
no case, only the facts its rules read, so then those are compared (a fact that no rule
read, before or now, cannot be told apart).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from ..diagnostics import CaseError, KspolicyError
from ..eval.decision import Decision, structure_decision
from ..eval.runtime import show
from ..files import TooLarge, os_reason, read_bounded
from ..lang import checked as c
from ..lang.catalogue import ENGINE, Catalogue
from ..paths import child, element
from ..policy import CaseInput, Policy
from ..render.explain import outcome_title
from . import audit

MAX_BYTES = 64 * 1024 * 1024
"""The largest decision or record file read (a decision with its trace is large)."""

Direction = Literal["up", "down", "changed"]
"""How a scale outcome moved: up or down its scale, or to a code it does not rank."""


@attrs.frozen
class OutcomeChange:
    """One outcome that differs: a scale's move, or the codes a set gained and lost."""

    outcome: str
    before: str | list[str] | None
    after: str | list[str] | None
    direction: Direction | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@attrs.frozen
class FactChange:
    """A fact whose value changed; None where it was (or is now) unknown."""

    fact: str
    before: Any
    after: Any


@attrs.frozen
class Reassessment:
    """What changed between a recorded decision and the decision on the facts now.

    `ending` is true when the headline rose to the top of its scale: the risks may be
    too large to go on, and `ending_cites` are the passages that the rules giving that
    code cite (where the policy says how a collaboration is ended)."""

    decision: Decision
    outcomes: tuple[OutcomeChange, ...]
    started: tuple[str, ...]
    stopped: tuple[str, ...]
    facts: tuple[FactChange, ...]
    ending: bool = False
    ending_cites: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether anything differs."""
        return bool(self.outcomes or self.started or self.stopped or self.facts)


def reassess(
    policy: Policy,
    before: Mapping[str, Any],
    case: CaseInput,
    *,
    as_of: dt.date | str | None = None,
    lang: str | None = None,
) -> Reassessment:
    """Decide `case` (the facts now) and compare with `before`: a decision's JSON form
    (`Decision.to_dict()`) or an audit-log record (with its `case` and `decision`).

    The decision is made in `before`'s language unless `lang` says otherwise, and on
    `as_of`, else the case's own date, else today: a running project is judged now.
    KspolicyError when `before` is neither."""
    then, old_case = _recorded(before)
    decision = policy.evaluate(case, as_of=as_of, lang=lang or str(then.get("lang") or "en"))
    now = decision.to_dict(detail="full")
    changes = outcome_changes(policy, then.get("outcomes", {}), now["outcomes"])
    fired_then = {r["rule"] for r in then.get("fired", []) if isinstance(r, dict)}
    fired_now = {r.rule for r in decision.fired}
    if old_case is not None:
        facts_now, _ = policy.read_case(case)
        try:
            old_case, _ = policy.read_case(old_case)
        except CaseError:
            pass  # decided under another schema: compared as it was written
        facts = _fact_changes(_flat(old_case), _flat(facts_now))
    else:
        facts = _fact_changes(_read_facts(then), _read_facts(now))
    ending, cites = _ending(policy, changes, decision)
    return Reassessment(
        decision,
        tuple(changes),
        tuple(sorted(fired_now - fired_then)),
        tuple(sorted(fired_then - fired_now)),
        tuple(facts),
        ending,
        cites,
    )


def read_recorded(path: Path, line: int | None = None) -> dict[str, Any]:
    """What was decided before, from a file: a decision's JSON, an audit record's JSON,
    or an audit log (`.jsonl`), whose record on `line` (default: the last) is taken
    once the log is verified intact up to it."""
    if path.suffix.lower() == ".jsonl":
        return _from_log(path, line)
    if line is not None:
        raise KspolicyError(f"{path}: --line applies to an audit log (.jsonl), not to one record")
    try:
        data = json.loads(read_bounded(path, MAX_BYTES))
    except TooLarge:
        raise KspolicyError(f"{path}: larger than {MAX_BYTES:,} bytes") from None
    except OSError as exc:
        raise KspolicyError(f"{path}: {os_reason(exc)}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise KspolicyError(
            f"{path}: not JSON ({exc}); give a decision's JSON or a record"
        ) from None
    if not isinstance(data, dict):
        raise KspolicyError(f"{path}: not a decision or a record (a JSON object)")
    return data


def _from_log(path: Path, line: int | None) -> dict[str, Any]:
    verification = audit.verify(path)
    lines = audit.read_log(path).decode("utf-8", "replace").split("\n")
    numbered = [(i, text) for i, text in enumerate(lines, 1) if text.strip()]
    if not numbered:
        raise KspolicyError(f"{path}: the log holds no record")
    wanted = line if line is not None else numbered[-1][0]
    found = next((text for i, text in numbered if i == wanted), None)
    if found is None:
        raise KspolicyError(f"{path}: no record on line {wanted} (the log has {len(lines)} lines)")
    altered = [p for p in verification.problems if p.line <= wanted]
    if altered or wanted in verification.torn:
        why = altered[0].message if altered else "it is incomplete"
        raise KspolicyError(
            f"{path}:{wanted}: not reassessed, the log is not intact up to it: {why} "
            "(kspolicy verify says more)"
        )
    record: dict[str, Any] = json.loads(found)
    return record


def _recorded(before: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The earlier decision's JSON form, and the case when a record holds it."""
    if isinstance(before.get("decision"), dict):
        case = before.get("case")
        return dict(before["decision"]), dict(case) if isinstance(case, dict) else None
    if isinstance(before.get("outcomes"), dict):
        # A decision's form, or a clear error; either form is compared as the full one
        # (the compact form keeps the facts its rules read, by path).
        return structure_decision(before).to_dict(detail="full"), None
    raise KspolicyError(
        "not a decision (no `outcomes`) or an audit record (no `decision`): "
        "give a decision saved with `kspolicy eval --format json`, or a record"
    )


def outcome_changes(
    policy: Policy, then: Mapping[str, Any], now: Mapping[str, Any]
) -> list[OutcomeChange]:
    """How the outcomes of two decisions differ, as their JSON gives them (`outcomes` of
    `Decision.to_dict()`): one `OutcomeChange` per outcome whose value differs, in the
    order the outcomes come (`then`'s first). A scale of `policy` moves `up` or `down`
    its scale (`changed` for a code it does not rank); a set lists the codes it gained
    and lost. `reassess` compares a recorded decision with today's by it, and `kspolicy
    diff` two versions of a policy: one comparison in the code base."""
    changes = []
    outcomes = policy.checked.outcomes
    for name in dict.fromkeys([*then, *now]):
        old, new = then.get(name), now.get(name)
        if old == new:
            continue
        found = outcomes.get(name)
        if isinstance(old, list) or isinstance(new, list):
            before, after = _as_list(old), _as_list(new)
            added = tuple(c for c in after if c not in before)
            removed = tuple(c for c in before if c not in after)
            changes.append(OutcomeChange(name, old, new, None, added, removed))
            continue
        direction: Direction = "changed"
        if found is not None and found.kind == "scale" and {old, new} <= set(found.enum.codes):
            direction = "up" if found.rank(str(new)) > found.rank(str(old)) else "down"
        changes.append(OutcomeChange(name, old, new, direction))
    return changes


def _ending(
    policy: Policy, changes: list[OutcomeChange], decision: Decision
) -> tuple[bool, tuple[str, ...]]:
    """Whether the headline rose to the top of its scale, and what its rules cite."""
    name = policy.checked.headline
    if name is None:
        return False, ()
    top = policy.checked.outcomes[name].enum.codes[-1]
    rose = any(c.outcome == name and c.direction == "up" and c.after == top for c in changes)
    if not rose:
        return False, ()
    cites = [cite for r in decision.fired if r.outcomes.get(name) == top for cite in r.cite]
    return True, tuple(dict.fromkeys(cites))


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]


def _flat(data: Any, path: str = "") -> dict[str, Any]:
    """Every fact of a case by its path; a list of records by each element's facts, any
    other list as one value."""
    found: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            found.update(_flat(value, child(path, str(key))))
    elif isinstance(data, list) and any(isinstance(v, Mapping) for v in data):
        found[path] = len(data)  # how many, so that one removed shows even when empty
        for i, value in enumerate(data):
            found.update(_flat(value, element(path, i)))
    elif data is not None:
        found[path] = data
    return found


def _read_facts(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The facts a decision's rules read (fired and pending), by path."""
    found: dict[str, Any] = {}
    for section in ("fired", "pending"):
        for result in decision.get(section, []):
            if isinstance(result, dict) and isinstance(result.get("facts"), dict):
                found.update(result["facts"])
    return found


def _fact_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FactChange]:
    return [
        FactChange(path, before.get(path), after.get(path))
        for path in dict.fromkeys([*before, *after])
        if _same(before.get(path)) != _same(after.get(path))
    ]


def _same(value: Any) -> Any:
    """A value as compared: dates read from TOML and from JSON alike."""
    return show(value) if value is not None else None


def render(
    result: Reassessment, catalogue: Catalogue = ENGINE, policy: c.Policy | None = None
) -> str:
    """What changed, in the decision's language, before the new decision itself."""
    lang = result.decision.lang
    w = catalogue.get(lang).section("reassess")
    if not result.changed:
        return w["unchanged"] + "\n"
    lines = [w["head"]]
    if result.outcomes:
        lines.append(f"  {w['outcomes']}:")
        for change in result.outcomes:
            if change.direction is None:
                codes = [f"+{c}" for c in change.added] + [f"-{c}" for c in change.removed]
                lines.append(f"    {change.outcome}: {' '.join(codes)}")
            else:
                how = w[change.direction]
                old, new = change.before or "-", change.after or "-"
                lines.append(f"    {change.outcome}: {old} -> {new} ({how})")
    if result.started:
        lines.append(f"  {w['started']}: {', '.join(result.started)}")
    if result.stopped:
        lines.append(f"  {w['stopped']}: {', '.join(result.stopped)}")
    if result.facts:
        lines.append(f"  {w['facts']}:")
        unknown = w["unknown"]
        for fact in result.facts:
            old = unknown if fact.before is None else show(fact.before)
            new = unknown if fact.after is None else show(fact.after)
            lines.append(f"    {fact.fact}: {old} -> {new}")
    headline = result.decision.headline
    if result.ending and headline is not None:
        title = outcome_title(policy, headline.outcome, lang) if policy else headline.outcome
        ending = w["ending"].format(outcome=title, value=headline.value)
        cites = f" [{', '.join(result.ending_cites)}]" if result.ending_cites else ""
        lines += ["", ending + cites]
    return "\n".join(lines) + "\n"
