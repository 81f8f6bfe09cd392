"""`kspolicy screen`: screen names against a policy's entity lists, and adjudicate.

`screen_name` says what each entities list of a policy says of one name (and country),
as `matches` does in a decision: match, possible (with the evidence), none, or not
covered (a list out of date, or covering other countries). `screen_batch` does it for a
file of names. `review` records a reviewer's answer to a possible match: in the
policy's adjudications list (a list file of `kind = "adjudications"`, loaded with the
other lists, so that later decisions use it and name it in their sha256) and, when an
audit log is given, as a record of type `adjudication` in that log (docs/screening.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import KspolicyError, did_you_mean
from ..eval.screen import Screened, screener
from ..lang.lists import Adjudication, Entry, NamedList, Ruling
from ..lang.loader import default_policy_path
from ..policy import Policy, load
from ..version import __version__
from . import audit, output, screen_adjudications


@attrs.frozen
class Finding:
    """What one list says of a name: `answer` is match, possible, none or not covered."""

    list: str
    name: str
    country: str | None
    answer: str
    entry: str | None = None
    score: float | None = None
    evidence: str | None = None
    entry_sha256: str | None = None
    adjudication: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data, unset fields left out."""
        return {k: v for k, v in attrs.asdict(self).items() if v is not None}


def entity_lists(policy: Policy, wanted: Sequence[str] = ()) -> list[NamedList]:
    """The policy's entities lists, or those named (KspolicyError for a name it lacks)."""
    lists = {n: named for n, named in policy.checked.lists.items() if named.kind == "entities"}
    for name in wanted:
        if name not in lists:
            hint = did_you_mean(name, lists) or f"its entities lists: {', '.join(sorted(lists))}"
            raise KspolicyError(f"the policy has no entities list `{name}`: {hint}")
    return [lists[n] for n in wanted] if wanted else list(lists.values())


def screen_name(
    policy: Policy,
    name: str,
    *,
    country: str | None = None,
    lists: Sequence[str] = (),
    as_of: dt.date | None = None,
) -> list[Finding]:
    """What each entities list of the policy (or those named) says of a name."""
    day = as_of or dt.date.today()
    code = country.strip().upper() if country else None
    found = []
    for named in entity_lists(policy, lists):
        result = screener(policy.checked, named, day).screen(name, code)
        found.append(_finding(named, name, code, result))
    return found


def _finding(named: NamedList, name: str, country: str | None, result: Screened) -> Finding:
    hit = result.hit
    if hit is not None:
        answer = hit.band
        return Finding(
            named.name,
            name,
            country,
            answer,
            hit.entry,
            hit.score,
            hit.evidence,
            hit.entry_sha256,
            hit.adjudication,
        )
    if result.value is False:
        return Finding(named.name, name, country, "none")
    return Finding(named.name, name, country, "not covered", evidence=result.uncovered)


def read_batch(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line, name, country) of a batch file: CSV with a `name` (and `country`) column,
    or JSON lines of objects with `name` (and `country`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KspolicyError(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".csv":
        rows = csv.DictReader(text.splitlines())
        if rows.fieldnames is None or "name" not in rows.fieldnames:
            raise KspolicyError(f"{path}: the first line must name the columns: name,country")
        for number, row in enumerate(rows, start=2):
            if row.get("name"):
                yield number, row["name"], row.get("country") or None
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise KspolicyError(f"{path}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise KspolicyError(f'{path}:{number}: write {{"name": "...", "country": "CN"}}')
        country = item.get("country")
        yield number, item["name"], country if isinstance(country, str) else None


def screen_batch(
    policy: Policy, path: Path, *, lists: Sequence[str] = (), as_of: dt.date | None = None
) -> Iterator[tuple[int, list[Finding]]]:
    """The findings for each name of a batch file, with its line."""
    for number, name, country in read_batch(path):
        yield number, screen_name(policy, name, country=country, lists=lists, as_of=as_of)


# ---- adjudication -------------------------------------------------------------------


def adjudications_file(policy: Policy) -> Path:
    """Where the policy keeps its adjudications: the file of its adjudications list, else
    `lists/adjudications.toml` beside its main file (which its `lists` must include)."""
    where = Path(policy.path) if policy.path is not None else default_policy_path()
    folder = where if where.is_dir() else where.parent
    for named in policy.checked.lists.values():
        if named.kind == "adjudications" and named.span is not None:
            return folder / named.span.source.name
    return folder / "lists" / "adjudications.toml"


def review(
    policy: Policy,
    *,
    list_name: str,
    name: str,
    ruling: Ruling,
    by: str,
    why: str,
    country: str | None = None,
    entry: str | None = None,
    now: dt.datetime | None = None,
    file: Path | None = None,
    audit_log: Path | None = None,
) -> Adjudication:
    """Record a reviewer's answer: `name` (from `country`) is (`confirmed`) or is not
    (`dismissed`) the `entry` of `list_name` (default: the best candidate). Written to
    the adjudications file and, when given, the audit log; reload the policy for later
    decisions to use it. KspolicyError when the list, the entry or the answer is wrong."""
    if ruling not in ("confirmed", "dismissed"):
        raise KspolicyError(f'the answer is "confirmed" or "dismissed", not {ruling!r}')
    if not by.strip() or not why.strip():
        raise KspolicyError("say who reviewed (--by) and why (--why)")
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    named = entity_lists(policy, [list_name])[0]
    code = country.strip().upper() if country else None
    chosen = _entry(policy, named, name, code, entry, moment.date())
    answer = Adjudication(
        list=named.name,
        name=name,
        country=code,
        entry=chosen.key,
        entry_sha256=chosen.sha256(),
        ruling=ruling,
        by=by,
        at=moment,
        why=why,
    )
    record = None
    if audit_log is not None:
        record = audit.adjudication_record(policy, answer, __version__, moment)
        output.check_writable(audit_log)  # refused before the answer is written anywhere
    log, audited = audit_log, record
    screen_adjudications.add_answer(
        file or adjudications_file(policy),
        answer,
        None if log is None or audited is None else lambda: audit.append(log, audited),
    )
    return answer


def _entry(
    policy: Policy,
    named: NamedList,
    name: str,
    country: str | None,
    key: str | None,
    day: dt.date,
) -> Entry:
    entries = named.entries_on(day)
    if key is not None:
        for candidate in entries:
            if candidate.key == key:
                return candidate
        hint = did_you_mean(key, [e.key for e in entries]) or "name an entry of the list"
        raise KspolicyError(f"{named.name} has no entry `{key}` in force on {day}: {hint}")
    hit = screener(policy.checked, named, day).screen(name, country).hit
    if hit is None:
        raise KspolicyError(f"{name} is no candidate on {named.name}: name the entry with --entry")
    return next(e for e in entries if e.key == hit.entry)


# ---- the command line -----------------------------------------------------------------


def register(commands: Any) -> None:
    """Add `screen` (and `screen review`) to the command line's subcommands."""
    parser = commands.add_parser(
        "screen",
        help="screen names against a policy's entity lists; `screen review` adjudicates",
        description="What a policy's entity lists say of a name: match, possible (with the "
        "evidence), none, or not covered (docs/screening.md). `kspolicy screen review NAME "
        "--list LIST --confirm|--dismiss --by WHO --why WHY` records a reviewer's answer.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="the name to screen, or `review`")
    parser.add_argument("reviewed", nargs="?", metavar="REVIEWED", help=argparse.SUPPRESS)
    parser.add_argument("--country", metavar="CC", help="the name's country (ISO code)")
    parser.add_argument("--batch", type=Path, metavar="FILE", help="names in CSV or JSON lines")
    parser.add_argument("--list", action="append", default=[], dest="lists", metavar="LIST")
    parser.add_argument("--policy", metavar="DIR", help="the policy (default: the built-in pack)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, metavar="DATE")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of text")
    review_options = parser.add_argument_group("screen review NAME")
    answer = review_options.add_mutually_exclusive_group()
    answer.add_argument("--confirm", action="store_true", help="it is the entity")
    answer.add_argument("--dismiss", action="store_true", help="it is not the entity")
    review_options.add_argument("--entry", help="the list entry (default: the best candidate)")
    review_options.add_argument("--by", help="who reviewed")
    review_options.add_argument("--why", help="why: what the reviewer checked")
    review_options.add_argument("--file", type=Path, help="the adjudications list file")
    review_options.add_argument("--audit", type=Path, metavar="LOG", help="also record it here")


def run(args: argparse.Namespace) -> int:
    """Run `screen` or `screen review`; returns the exit code."""
    if args.name == "review":
        return _review(args)
    if (args.name is None) == (args.batch is None) or args.reviewed is not None:
        sys.stderr.write("error: give one NAME (in quotes if it has spaces) or --batch FILE\n")
        return 2
    policy = load(args.policy)
    if args.batch is not None:
        for number, findings in screen_batch(
            policy, args.batch, lists=args.lists, as_of=args.as_of
        ):
            _print(findings, args.json, f"{args.batch}:{number}: ")
        return 0
    findings = screen_name(
        policy, args.name, country=args.country, lists=args.lists, as_of=args.as_of
    )
    _print(findings, args.json, "")
    return 0


def _print(findings: list[Finding], as_json: bool, prefix: str) -> None:
    for found in findings:
        if as_json:
            sys.stdout.write(json.dumps(found.to_dict(), ensure_ascii=False) + "\n")
            continue
        line = f"{prefix}{found.name}: {found.list}: {found.answer}"
        if found.entry:
            line += f": {found.entry}"
        if found.evidence:
            line += f" ({found.evidence})"
        if found.adjudication:
            line += f"; {found.adjudication}"
        sys.stdout.write(line + "\n")


def _review(options: argparse.Namespace) -> int:
    missing = [
        what
        for what, given in (
            ("the NAME reviewed", options.reviewed),
            ("--list LIST, once", len(options.lists) == 1),
            ("--confirm or --dismiss", options.confirm or options.dismiss),
            ("--by WHO", options.by),
            ("--why WHY", options.why),
        )
        if not given
    ]
    if missing:
        sys.stderr.write(f"error: screen review needs {', '.join(missing)}\n")
        return 2
    policy = load(options.policy)
    answer = review(
        policy,
        list_name=options.lists[0],
        name=options.reviewed,
        ruling="confirmed" if options.confirm else "dismissed",
        by=options.by,
        why=options.why,
        country=options.country,
        entry=options.entry,
        file=options.file,
        audit_log=options.audit,
    )
    where = options.file or adjudications_file(policy)
    sys.stdout.write(
        f"{where}: {answer.name} {answer.ruling} as {answer.entry} on {answer.list} "
        f"by {answer.by} (entry sha256 {answer.entry_sha256[:12]})\n"
    )
    return 0
