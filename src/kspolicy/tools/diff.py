"""`kspolicy diff OLD NEW`: what an edit of a policy changes, over a corpus of cases.

Both versions decide every case of the corpus; the report lists, per case, the outcomes
that rose or fell (or, for a set, the codes it gained and lost) and the rules that started
or stopped firing, then totals per rule and per outcome. The comparison of two decisions
is `reassess.outcome_changes` (one comparison in the code base, not two): a scale moves
`up` or `down` its scale, a set gains and loses codes.

A corpus is case files (a folder of .toml/.json), a batch file (.jsonl or .csv), or the
cases recorded in an audit log (a .jsonl whose lines are records with `case` and
`decision`, decided on their recorded `as_of`). A case that either version cannot read,
because the new schema dropped a field, say, is listed with its problems and the rest
go on: an edit that makes old cases unreadable is part of what the edit does. Without a
corpus, the example cases beside the policy (`examples/cases/` of the checkout) and the
cases of both versions' tests are used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import CaseError, KspolicyError
from ..eval.cases import Unreadable, load_case_file
from ..limits import DEFAULT, Limits
from ..policy import Policy
from . import batch, testing
from .reassess import OutcomeChange, outcome_changes

CaseSource = tuple[str, Any, dt.date | str | None]
"""A case of the corpus: where it comes from, its data (or an `Unreadable`), its date."""


@attrs.frozen
class CaseDiff:
    """One case the two versions decide differently."""

    source: str
    outcomes: tuple[OutcomeChange, ...]
    started: tuple[str, ...]
    stopped: tuple[str, ...]


@attrs.frozen
class Unread:
    """A case of the corpus that a version cannot read or decide, and why."""

    source: str
    version: str  # "old", "new" or "both"
    problems: tuple[str, ...]


@attrs.frozen
class RuleTotal:
    """How many cases a rule started and stopped firing on."""

    started: int = 0
    stopped: int = 0


@attrs.frozen
class OutcomeTotal:
    """How many cases an outcome rose, fell or changed otherwise on (a set: gained or
    lost codes; a case may count as both)."""

    up: int = 0
    down: int = 0
    changed: int = 0


@attrs.frozen
class Report:
    """What the edit changes over the corpus."""

    old: str
    new: str
    cases: int
    changed: tuple[CaseDiff, ...]
    unread: tuple[Unread, ...]
    rules: dict[str, RuleTotal]
    outcomes: dict[str, OutcomeTotal]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (`kspolicy diff --format json`)."""
        return {
            "old": self.old,
            "new": self.new,
            "cases": self.cases,
            "changed": [
                {
                    "case": d.source,
                    "outcomes": [_change_dict(c) for c in d.outcomes],
                    "started": list(d.started),
                    "stopped": list(d.stopped),
                }
                for d in self.changed
            ],
            "unreadable": [
                {"case": u.source, "version": u.version, "problems": list(u.problems)}
                for u in self.unread
            ],
            "rules": {name: attrs.asdict(total) for name, total in self.rules.items()},
            "outcomes": {name: attrs.asdict(total) for name, total in self.outcomes.items()},
        }


def _change_dict(change: OutcomeChange) -> dict[str, Any]:
    found: dict[str, Any] = {"outcome": change.outcome, "old": change.before, "new": change.after}
    if change.direction is not None:
        found["direction"] = change.direction
    else:
        found["added"] = list(change.added)
        found["removed"] = list(change.removed)
    return found


# ---- the corpus ---------------------------------------------------------------------------


def corpus(path: Path, limits: Limits = DEFAULT) -> Iterator[CaseSource]:
    """The cases of a folder of case files, a batch file, or an audit log."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".toml", ".json"))
        if not files:
            raise KspolicyError(f"{path}: no case files (.toml, .json) in this folder")
        for file in files:
            yield str(file), _case_file(file, limits), None
        return
    if not path.exists():
        raise KspolicyError(f"{path}: no such file or folder (give case files, a batch or a log)")
    if path.suffix in (".toml", ".json"):
        yield str(path), _case_file(path, limits), None
        return
    for line, case in batch.read_batch(path, limits):
        where = f"{path}:{line}"
        if isinstance(case, Mapping) and isinstance(case.get("decision"), Mapping):
            # A record of an audit log: its case, on the date it was decided.
            recorded = case.get("case")
            if not isinstance(recorded, Mapping):
                yield where, Unreadable("the record holds no case"), None
            else:
                yield where, dict(recorded), case.get("as_of")
        else:
            yield where, case, None


def _case_file(path: Path, limits: Limits) -> Any:
    try:
        return load_case_file(path, limits)
    except CaseError as exc:
        return Unreadable("; ".join(str(p) for p in exc.problems))


def default_corpus(
    *policies: tuple[Path, Policy], limits: Limits = DEFAULT
) -> Iterator[CaseSource]:
    """The example cases of the checkout the policies are in, and the cases of their
    tests (a test both versions hold, by file and name, once)."""
    seen_examples: set[Path] = set()
    seen_tests: set[str] = set()
    for path, policy in policies:
        folder = path if path.is_dir() else path.parent
        for parent in folder.resolve().parents:
            examples = parent / "examples" / "cases"
            if examples.is_dir():
                if examples not in seen_examples:
                    seen_examples.add(examples)
                    yield from corpus(examples, limits)
                break
        known = list(policy.checked.outcomes)
        for file in testing.test_files(folder):
            try:
                tests = testing.read_tests(file, known, limits)
            except testing.TestFileError as exc:
                yield str(file), Unreadable(exc.message), None
                continue
            for test in tests:
                label = f"tests/{file.name}: {test.name}"
                if label not in seen_tests:
                    seen_tests.add(label)
                    yield label, test.case, test.as_of


# ---- the comparison ---------------------------------------------------------------------


def diff(
    old: Policy,
    new: Policy,
    cases: Iterable[CaseSource],
    *,
    as_of: dt.date | str | None = None,
) -> Report:
    """Decide every case with both versions and compare (see the module docstring).

    `as_of` decides every case on that date; else each case's own date (a log record's,
    a test's, the case's `as_of`), else today."""
    changed: list[CaseDiff] = []
    unread: list[Unread] = []
    rules: dict[str, list[int]] = {}
    outcomes: dict[str, list[int]] = {}
    count = 0
    same_effects = _same_effects(old, new)
    for source, data, day in cases:
        count += 1
        when = as_of if as_of is not None else day
        if isinstance(data, Unreadable):
            unread.append(Unread(source, "both", (data.message,)))
            continue
        statuses = []
        problems: dict[str, tuple[str, ...]] = {}
        for version, policy in (("old", old), ("new", new)):
            try:
                statuses.append(policy.rule_statuses(data, as_of=when))
            except CaseError as exc:
                problems[version] = tuple(str(p) for p in exc.problems)
            except KspolicyError as exc:
                problems[version] = (str(exc),)
        if problems:
            if len(problems) == 2 and problems["old"] == problems["new"]:
                unread.append(Unread(source, "both", problems["old"]))
            else:
                unread.extend(Unread(source, v, p) for v, p in problems.items())
            continue
        if same_effects and statuses[0].fired == statuses[1].fired:
            # The same rules fired, with the same effects: the same certain outcomes,
            # without building two decisions (ten times the work of the statuses).
            if all(same_effects.get(rule, False) for rule in statuses[0].fired):
                continue
        decisions = [old.evaluate(data, as_of=when), new.evaluate(data, as_of=when)]
        before, after = decisions
        moved = tuple(
            outcome_changes(new, before.to_dict()["outcomes"], after.to_dict()["outcomes"])
        )
        fired_before = list(dict.fromkeys(r.rule for r in before.fired))
        fired_after = list(dict.fromkeys(r.rule for r in after.fired))
        started = tuple(r for r in fired_after if r not in fired_before)
        stopped = tuple(r for r in fired_before if r not in fired_after)
        if not (moved or started or stopped):
            continue
        changed.append(CaseDiff(source, moved, started, stopped))
        for rule in started:
            rules.setdefault(rule, [0, 0])[0] += 1
        for rule in stopped:
            rules.setdefault(rule, [0, 0])[1] += 1
        for change in moved:
            total = outcomes.setdefault(change.outcome, [0, 0, 0])
            if change.direction == "up" or change.added:
                total[0] += 1
            if change.direction == "down" or change.removed:
                total[1] += 1
            if change.direction == "changed":
                total[2] += 1
    return Report(
        old=f"{old.name} {old.version}",
        new=f"{new.name} {new.version}",
        cases=count,
        changed=tuple(changed),
        unread=tuple(unread),
        rules={name: RuleTotal(*rules[name]) for name in sorted(rules)},
        outcomes={name: OutcomeTotal(*outcomes[name]) for name in sorted(outcomes)},
    )


def _same_effects(old: Policy, new: Policy) -> dict[str, bool]:
    """Per rule of both versions, whether firing it has the same effect in each; empty
    when the outcomes themselves differ (their codes, their order, an entry's list), so
    that only decisions built in full are compared."""

    def outcomes(policy: Policy) -> list[Any]:
        found = []
        for outcome in policy.checked.outcomes.values():
            records = outcome.records
            entries = (
                [(e.key, e.valid_from, e.valid_until, repr(e.data)) for e in records.entries]
                if records is not None
                else None
            )
            key = outcome.key.node.span.text if outcome.key is not None else None
            found.append((outcome.name, outcome.kind, outcome.enum.codes, entries, key))
        return found

    if outcomes(old) != outcomes(new):
        return {}

    def effects(policy: Policy) -> dict[str, Any]:
        return {
            rule.name: [(e.outcome.name, e.codes) for e in rule.effects]
            for rule in policy.checked.rules
        }

    before, after = effects(old), effects(new)
    return {name: before.get(name) == after.get(name) for name in {*before, *after}}


# ---- rendering --------------------------------------------------------------------------


def _describe(change: OutcomeChange) -> str:
    if change.direction is not None:
        moved = f"{change.before or '-'} -> {change.after or '-'}"
        return f"{change.outcome}: {moved} ({change.direction})"
    codes = [f"+{c}" for c in change.added] + [f"-{c}" for c in change.removed]
    return f"{change.outcome}: {' '.join(codes)}"


def render_text(report: Report) -> str:
    """The report for a terminal: each changed case, the unreadable ones, the totals."""
    lines = [
        f"{report.old} -> {report.new}: {report.cases} cases, "
        f"{len(report.changed)} decided differently, {len(report.unread)} not read"
    ]
    for case in report.changed:
        lines.append(f"\n{case.source}")
        lines += [f"  {_describe(change)}" for change in case.outcomes]
        if case.started:
            lines.append(f"  started firing: {', '.join(case.started)}")
        if case.stopped:
            lines.append(f"  stopped firing: {', '.join(case.stopped)}")
    if report.unread:
        lines.append("\nnot read:")
        for unread in report.unread:
            lines.append(f"  {unread.source} ({unread.version}): {'; '.join(unread.problems)}")
    if report.outcomes:
        lines.append("\nper outcome (cases): up / down / changed")
        for name, o in report.outcomes.items():
            lines.append(f"  {name}: {o.up} / {o.down} / {o.changed}")
    if report.rules:
        lines.append("\nper rule (cases): started / stopped")
        for name, r in report.rules.items():
            lines.append(f"  {name}: {r.started} / {r.stopped}")
    return "\n".join(lines) + "\n"


def render_html(report: Report) -> str:
    """The report as an HTML page a person reads: one table row per changed case."""
    e = html.escape
    rows = []
    for case in report.changed:
        rows.append(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                e(case.source),
                "<br>".join(e(_describe(c)) for c in case.outcomes),
                e(", ".join(case.started)),
                e(", ".join(case.stopped)),
            )
        )
    unread = "".join(
        f"<tr><td>{e(u.source)}</td><td>{e(u.version)}</td><td>{e('; '.join(u.problems))}</td></tr>"
        for u in report.unread
    )
    outcomes = "".join(
        f"<tr><td>{e(n)}</td><td>{o.up}</td><td>{o.down}</td><td>{o.changed}</td></tr>"
        for n, o in report.outcomes.items()
    )
    rules = "".join(
        f"<tr><td>{e(n)}</td><td>{r.started}</td><td>{r.stopped}</td></tr>"
        for n, r in report.rules.items()
    )
    title = f"{e(report.old)} &rarr; {e(report.new)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>diff: {e(report.old)} to {e(report.new)}</title>",
        "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px;"
        "vertical-align:top;text-align:left}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p>{report.cases} cases, {len(report.changed)} decided differently, "
        f"{len(report.unread)} not read.</p>",
        "<h2>Cases decided differently</h2>",
        "<table><tr><th>Case</th><th>Outcomes</th><th>Started firing</th>"
        "<th>Stopped firing</th></tr>" + "".join(rows) + "</table>",
    ]
    if unread:
        parts += [
            "<h2>Cases not read</h2>",
            "<table><tr><th>Case</th><th>Version</th><th>Problems</th></tr>" + unread + "</table>",
        ]
    if outcomes:
        parts += [
            "<h2>Per outcome</h2><table><tr><th>Outcome</th><th>Up</th><th>Down</th>"
            "<th>Changed</th></tr>" + outcomes + "</table>"
        ]
    if rules:
        parts += [
            "<h2>Per rule</h2><table><tr><th>Rule</th><th>Started</th><th>Stopped</th></tr>"
            + rules
            + "</table>"
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(report: Report, form: str) -> str:
    """The report as `text`, `json` or `html`."""
    if form == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if form == "html":
        return render_html(report)
    return render_text(report)


# ---- the command ------------------------------------------------------------------------


def register(command: argparse.ArgumentParser) -> None:
    """The arguments of `kspolicy diff` (the command line adds the loading options)."""
    command.add_argument("old", type=Path, metavar="OLD", help="the policy as it was")
    command.add_argument("new", type=Path, metavar="NEW", help="the policy as edited")
    command.add_argument(
        "--cases",
        type=Path,
        metavar="DIR|FILE",
        help="case files, a batch file (.jsonl, .csv) or an audit log "
        "(default: the example cases and the policies' tests)",
    )
    command.add_argument("--format", choices=("text", "json", "html"), default="text")


def corpus_for(
    args: argparse.Namespace, old: Policy, new: Policy, limits: Limits
) -> Iterable[CaseSource]:
    """The corpus the command's arguments name."""
    if args.cases is None:
        return default_corpus((args.old, old), (args.new, new), limits=limits)
    return corpus(args.cases, limits)
