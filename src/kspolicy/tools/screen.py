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
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import KspolicyError, did_you_mean
from ..eval.screen import (
    Hit,
    Reviews,
    Screened,
    Screener,
    answer,
    dismissal_note,
    policy_countries,
    screener,
    unknown_list,
)
from ..files import open_regular, os_reason
from ..lang.lists import Adjudication, Entry, NamedList, Ruling
from ..lang.loader import default_policy_path
from ..policy import Policy, load
from ..screening.inputs import blank, country_code, country_problem, name_problem
from ..version import __version__
from . import audit, output, screen_adjudications
from .batch import physical_lines


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
            raise KspolicyError(unknown_list(policy.checked, name))
    return [lists[n] for n in wanted] if wanted else list(lists.values())


def screen_name(
    policy: Policy,
    name: str,
    *,
    country: str | None = None,
    lists: Sequence[str] = (),
    as_of: dt.date | None = None,
) -> list[Finding]:
    """What each entities list of the policy (or those named) says of a name;
    KspolicyError for an empty or too long name (the limit `max_name_chars`) and for a
    country that is no two-letter code, which would never equal an entry's."""
    day = as_of or dt.date.today()
    code = _checked(policy, name, country)
    found = []
    for named in entity_lists(policy, lists):
        screening = screener(policy.checked, named, day)
        result = screening.screen(name, code)
        finding = _finding(named, name, code, result)
        if result.hit is None and result.value is False:
            # A dismissed candidate is no hit: say why there is none, as a confirmation
            # is said beside its match.
            dismissed = screening.dismissal(name, code)
            if dismissed is not None:
                finding = attrs.evolve(finding, adjudication=dismissal_note(dismissed))
        found.append(finding)
    return found


def _checked(policy: Policy, name: str, country: str | None) -> str | None:
    """The country code of a name to screen (or to answer for), once the name and the
    country are found fit (screening/inputs.py: the rules the service applies too)."""
    wrong = name_problem(name, policy.limits.max_name_chars)
    if wrong is None and country is not None:
        wrong = country_problem(country, policy_countries(policy.checked))
    if wrong is not None:
        raise KspolicyError(wrong)
    return country_code(country)


def _finding(named: NamedList, name: str, country: str | None, result: Screened) -> Finding:
    hit = result.hit
    said = answer(result)  # the words and order of eval/screen.py, as the service's
    if hit is None:
        return Finding(named.name, name, country, said, evidence=result.uncovered)
    return Finding(
        named.name,
        name,
        country,
        said,
        hit.entry,
        hit.score,
        hit.evidence,
        hit.entry_sha256,
        hit.adjudication,
    )


class BadRow(str):
    """What is wrong with a line of a batch file that holds no name to screen: it is
    reported in the line's place, and the lines after it are screened."""

    __slots__ = ()


LINE_BYTES = 1 << 16
"""The longest line of a batch file read: a name is at most `max_name_chars`, so a longer
line is reported in its place, read in chunks and never held whole."""


FIELDS = ("name", "country")
"""The fields of a batch line (JSON) or columns of a batch file (CSV); any other is a
mistake (`contry`), said so rather than screened without it."""

STDIN = Path("-")
"""The batch path that means standard input, JSON lines (`screen batch -`)."""


def shown(path: Path) -> str:
    """How messages name a batch file: `<stdin>` for `-`, as a case read from it."""
    return "<stdin>" if path == STDIN else str(path)


def read_batch(path: Path) -> Iterator[tuple[int, str | BadRow, str | None]]:
    """(line, name, country) of a batch file: CSV with a `name` (and `country`) column,
    or JSON lines of objects with `name` (and `country`); `-` reads JSON lines from
    standard input. A line that is no such row (not UTF-8, too long, not a JSON object
    with a name, a field that is neither) gives a `BadRow` for the name, never skipped
    in silence (an empty name is refused by `screen_batch`). The file is read a line at
    a time. KspolicyError for a file that cannot be read at all: missing, not a regular
    file (a device, a FIFO), or a CSV file whose first line names no `name` column or
    a column that is not one of `FIELDS`."""
    if path == STDIN and sys.stdin is None:
        raise KspolicyError(
            "standard input is closed: give the file's name, or pipe the names in"
            " (kspolicy screen batch - < names.jsonl)"
        )
    try:
        handle = sys.stdin.buffer if path == STDIN else open_regular(path)
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise KspolicyError(f"cannot read {path}: {reason}") from None
    with handle:
        rows = _rows(path, physical_lines(handle, LINE_BYTES))
        yield from _csv_rows(path, rows) if path.suffix.lower() == ".csv" else _json_rows(rows)


def _rows(path: Path, lines: Iterator[tuple[int, bytes | int]]) -> Iterator[tuple[int, str]]:
    """(line, text) of each line, or raise for the file: a line that is too long or not
    UTF-8 is a `BadRow` in its place (a file not UTF-8 at its first line is refused)."""
    for number, line in lines:
        if isinstance(line, int):
            yield number, BadRow(f"the line is {line:,} bytes; a line may have {LINE_BYTES:,}")
            continue
        try:
            yield number, line.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            if number == 1:
                raise KspolicyError(f"cannot read {path}: byte {exc.start} is not UTF-8") from None
            yield number, BadRow(f"byte {exc.start} of the line is not UTF-8")


def _csv_rows(
    path: Path, rows: Iterator[tuple[int, str]]
) -> Iterator[tuple[int, str | BadRow, str | None]]:
    first = next(rows, None)
    columns = next(csv.reader([first[1]]), []) if first and not isinstance(first[1], BadRow) else []
    if "name" not in columns:
        raise KspolicyError(f"{path}: the first line must name the columns: name,country")
    for column in columns:
        if column not in FIELDS:
            raise KspolicyError(f"{path}:1: {_unknown(column)} (the columns are name,country)")
    for number, text in rows:
        if isinstance(text, BadRow):
            yield number, text, None
            continue
        if not text.strip():
            continue
        row = dict(zip(columns, next(csv.reader([text]), []), strict=False))
        # An empty name is refused by `screen_batch` in the line's place.
        yield number, row.get("name") or "", row.get("country") or None


def _json_rows(rows: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str | BadRow, str | None]]:
    for number, line in rows:
        if isinstance(line, BadRow):
            yield number, line, None
            continue
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, BadRow(f"not JSON: {exc.msg}"), None
            continue
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            yield number, BadRow('write {"name": "...", "country": "CN"}'), None
            continue
        unknown = [key for key in item if key not in FIELDS]
        if unknown:
            yield number, BadRow(_unknown(unknown[0])), None
            continue
        country = item.get("country")
        if country is not None and not isinstance(country, str):
            yield number, BadRow('`country` must be a text, as "CN", or left out'), None
            continue
        yield number, item["name"], country


def _unknown(field: str) -> str:
    hint = did_you_mean(field, FIELDS) or f"the fields are {', '.join(FIELDS)}"
    return f"unknown field `{field}`: {hint}"


def screen_batch(
    policy: Policy, path: Path, *, lists: Sequence[str] = (), as_of: dt.date | None = None
) -> Iterator[tuple[int, list[Finding] | BadRow]]:
    """The findings for each name of a batch file, with its line; a `BadRow` in the
    place of a line that has no name to screen, or a name or country that does not fit
    (`screen_name`), so that one bad line never stops the rest."""
    entity_lists(policy, lists)  # a list the policy lacks is the whole batch's error
    for number, name, country in read_batch(path):
        if isinstance(name, BadRow):
            yield number, name
            continue
        try:
            yield number, screen_name(policy, name, country=country, lists=lists, as_of=as_of)
        except KspolicyError as exc:
            yield number, BadRow(str(exc))


# ---- adjudication -------------------------------------------------------------------


def adjudications_file(policy: Policy) -> Path:
    """Where the policy keeps its adjudications: the file of its adjudications list, else
    `lists/adjudications.toml` beside its main file (which its `lists` must include)."""
    folder = _folder(policy)
    for named in policy.checked.lists.values():
        if named.kind == "adjudications" and named.span is not None:
            return folder / named.span.source.name
    return folder / "lists" / "adjudications.toml"


class NothingToReview(KspolicyError):
    """`review` was given an answer that would change nothing: the name already screens
    as the answer says (a match of the entry, or the entry dismissed for it and unchanged
    since). Nothing is written, to the adjudications file or the audit log."""


def _folder(policy: Policy) -> Path:
    """The folder of the policy's main file (or the policy's folder itself)."""
    where = Path(policy.path) if policy.path is not None else default_policy_path()
    return where if where.is_dir() else where.parent


def outside_policy(policy: Policy, path: Path) -> str | None:
    """Why answers written to `path` would never reach the policy's decisions, or None:
    a policy never reads a list file outside its folder (or its root, KSP213), so an
    answer there is recorded and never used."""
    folder = policy.root or _folder(policy)
    if path.resolve().is_relative_to(folder.resolve()):
        return None
    return (
        f"{path} is outside the policy's folder {folder}, and a policy never reads a list "
        "file outside its folder (KSP213): decisions will not use this answer. Answer "
        f"without --file (the policy's adjudications: {adjudications_file(policy)}), or "
        f"with a file inside {folder} that the policy's `lists` include"
    )


def _second_adjudications(policy: Policy, path: Path) -> str | None:
    """Why a new file inside the policy's folder must not take an answer when the policy
    already keeps its adjudications elsewhere, or None: if its `lists` include the new
    file, it is a second adjudications list of the same name and the policy no longer
    loads (KSP209); if they do not, the answer is never read."""
    if path.exists() or not any(
        named.kind == "adjudications" for named in policy.checked.lists.values()
    ):
        return None
    folder = policy.root or _folder(policy)
    if not path.resolve().is_relative_to(folder.resolve()):
        return None  # outside the folder: never read, and the command warns so
    kept = adjudications_file(policy)
    return (
        f"{path} would be a second adjudications file in the policy's folder, beside "
        f"{kept}: a file the policy's `lists` include would clash with it (KSP209) and "
        f"stop the policy from loading, one they do not is never read. Leave --file out "
        f"to write into {kept}"
    )


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
    decisions to use it. KspolicyError when the list, the entry or the answer is wrong;
    NothingToReview (a KspolicyError) when the answer is already what decisions use."""
    if ruling not in ("confirmed", "dismissed"):
        raise KspolicyError(f'the answer is "confirmed" or "dismissed", not {ruling!r}')
    if blank(by) or blank(why):
        raise KspolicyError("say who reviewed (--by) and why (--why)")
    code = _checked(policy, name, country)  # an answer for no name would apply to none
    target = file or adjudications_file(policy)
    built_in(target)
    clash = _second_adjudications(policy, file) if file is not None else None
    if clash is not None:
        raise KspolicyError(clash)
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    named = entity_lists(policy, [list_name])[0]
    chosen = _entry(policy, named, name, code, entry, moment.date(), ruling)
    settled = _settled(policy, named, name, code, chosen, ruling, moment.date())
    if settled is not None:
        raise NothingToReview(settled)
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
        target,
        answer,
        None if log is None or audited is None else lambda: audit.append(log, audited),
    )
    return answer


def _settled(
    policy: Policy,
    named: NamedList,
    name: str,
    country: str | None,
    entry: Entry,
    ruling: Ruling,
    day: dt.date,
) -> str | None:
    """Why the answer would change nothing (None: it would change something): the name
    is already a match of the entry (by its score, or confirmed before), or the entry
    was dismissed for it before and has not changed since. Such an answer, written,
    would only repeat one in the file and the audit log."""
    earlier = Reviews(policy.checked.lists.values()).get(named.name, name, country, entry.key)
    nothing = "nothing to review, nothing recorded"
    if earlier is not None and earlier.ruling == ruling:
        if ruling == "confirmed" or earlier.entry_sha256 == entry.sha256():
            when = earlier.at.date().isoformat()
            if ruling == "dismissed":
                when += ", and the entry has not changed since"
            return (
                f"{earlier.by} already {ruling} {entry.key} on {named.name} for {name} "
                f"({when}): {nothing}"
            )
    if ruling == "dismissed":
        return None
    hit = screener(policy.checked, named, day).screen(name, country).hit
    if hit is None or hit.entry != entry.key or hit.band != "match":
        return None
    return (
        f"{name} is already a match of {entry.key} on {named.name} ({hit.evidence}), "
        f"and decisions take it as one: {nothing}"
    )


def built_in(path: Path) -> None:
    """KspolicyError when `path` lies in the built-in pack or the installed package: an
    answer written there is lost at the next upgrade, and changes every other user's
    pack. The officer copies the pack and answers in the copy (docs/screening.md)."""
    pack = default_policy_path().resolve()
    package = Path(__file__).resolve().parents[1]
    where = path.resolve()
    if not (where.is_relative_to(pack) or where.is_relative_to(package)):
        return
    raise KspolicyError(
        f"{path} is in the built-in pack (or the installed kspolicy), which an upgrade "
        f"replaces: copy the pack (`cp -r {pack} my-pack`) and answer in the copy, "
        "with --policy my-pack"
    )


def _entry(
    policy: Policy,
    named: NamedList,
    name: str,
    country: str | None,
    key: str | None,
    day: dt.date,
    ruling: str = "confirmed",
) -> Entry:
    entries = named.entries_on(day)
    screened = screener(policy.checked, named, day)
    if key is not None:
        for candidate in entries:
            if candidate.key == key:
                if not screened.candidate(name, country, key):
                    raise KspolicyError(_not_compared(named, name, country, key, screened))
                return candidate
        hint = did_you_mean(key, [e.key for e in entries]) or "name an entry of the list"
        raise KspolicyError(f"{named.name} has no entry `{key}` in force on {day}: {hint}")
    hit = screened.screen(name, country).hit
    if hit is None:
        last = _last_dismissal(policy, named, name, country)
        if ruling == "dismissed" and last is not None:
            # The same dismissal again: the entry it named (settled, if unchanged since).
            for candidate in entries:
                if candidate.key == last.entry:
                    return candidate
        elsewhere = screened.screen(name).hit if country is not None else None
        raise KspolicyError(_no_candidate(policy, named, name, country, elsewhere, entries))
    return next(e for e in entries if e.key == hit.entry)


def _not_compared(
    named: NamedList, name: str, country: str | None, key: str, screened: Screener
) -> str:
    """Why an answer naming an entry that is no candidate of the name is refused:
    screening reads an answer only for a name's candidates, so it would be recorded
    (in the file and the audit log) and apply to no decision."""
    where = f" from {country}" if country is not None else ""
    elsewhere = screened.screen(name).hit if country is not None else None
    why = (
        f"it matches {key} only without a country (by "
        f"{elsewhere.alias if elsewhere.alias is not None else elsewhere.rule}), and a name "
        "from another country is not taken for an abbreviation (docs/screening.md)"
        if elsewhere is not None and elsewhere.entry == key
        else "screening finds no likeness between them"
    )
    return (
        f"{name}{where} is no candidate of {key} on {named.name}: {why}. Screening reads "
        "an answer only for a name's candidates, so this one would apply to no decision "
        f"and is not recorded; `kspolicy screen name {name!r}"
        f"{f' --country {country}' if country is not None else ''}` shows its candidates"
    )


def _last_dismissal(
    policy: Policy, named: NamedList, name: str, country: str | None
) -> Adjudication | None:
    """The latest answer dismissing an entry of `named` for this name and country."""
    dismissed = [
        answer
        for adjudications in policy.checked.lists.values()
        for answer in adjudications.adjudications
        if answer.list == named.name
        and answer.name == name
        and country_code(answer.country) == country
        and answer.ruling == "dismissed"
    ]
    return dismissed[-1] if dismissed else None


def _no_candidate(
    policy: Policy,
    named: NamedList,
    name: str,
    country: str | None,
    elsewhere: Hit | None = None,
    entries: Sequence[Entry] = (),
) -> str:
    """Why `review` without --entry finds no entry: a dismissal of this name takes its
    entry out of the candidates, so the reviewer re-answering it must name the entry;
    or the name is a candidate only while its country is unknown (`elsewhere`, the
    candidate it is then): what it matched (a weak alias, an acronym) is an
    abbreviation, which the name's country rules out (docs/screening.md, "In the
    language"). Screening answers `none` for it, and no answer would change that."""
    last = _last_dismissal(policy, named, name, country)
    if last is None and elsewhere is not None:
        listed = next((e.countries for e in entries if e.key == elsewhere.entry), ())
        where = f" (listed in {', '.join(listed)})" if listed else ""
        how = (
            f"the weak alias {elsewhere.alias}"
            if elsewhere.alias is not None
            else f"the comparison {elsewhere.rule} (score {elsewhere.score:.2f} without a country)"
        )
        again = f"with --country {listed[0]}" if len(listed) == 1 else "without a country"
        return (
            f"{name} is no candidate on {named.name} from {country}: it matches "
            f"{elsewhere.entry}{where} only by {how}, and a name from another country is "
            "not taken for an abbreviation (docs/screening.md), so screening answers none "
            "and no answer would change that. If it is that entity all the same, correct "
            f"the case's country: {again} it is a candidate"
        )
    if last is None:
        return f"{name} is no candidate on {named.name}: name the entry with --entry"
    return (
        f"{name} is no candidate on {named.name}: {last.by} dismissed {last.entry} for it "
        f'on {last.at.isoformat()}; to answer again, name the entry: --entry "{last.entry}"'
    )


# ---- the command line -----------------------------------------------------------------

STEPS = ("name", "batch", "review")
"""The subcommands of `kspolicy screen`."""

# The options of the spellings `screen` had before it had subcommands that take a value
# (to find the first word that is not an option's value): see `respelled`.
_VALUED = (
    "--country", "--batch", "--list", "--policy", "--as-of", "--entry", "--by", "--why",
    "--file", "--audit",
)  # fmt: skip


def respelled(argv: Sequence[str]) -> list[str]:
    """The command line with `kspolicy screen`'s short spellings written out, so that
    argparse reads them: `screen NAME …` is `screen name NAME …`, `screen --batch FILE …`
    is `screen batch FILE …`, and `review` after an option (`screen --policy DIR review
    NAME …`) is `screen review --policy DIR NAME …`. Any other command line is returned
    as it is. (A name that is one of the steps is screened with `screen name review`.)"""
    words = list(argv)
    if len(words) < 2 or words[0] != "screen" or words[1] in (*STEPS, "-h", "--help"):
        return words
    rest = words[1:]
    at, batch = _first_word(rest), _batch_option(rest)
    if at is not None and misspelled_step(rest[at]) is not None:
        # Left as a step for argparse to refuse (`_Steps`): a typo of `review` screened
        # as a name would answer `none` and exit 0, and record nothing.
        return ["screen", rest[at], *rest[:at], *rest[at + 1 :]]
    if batch is not None:
        start, end, file = batch
        return ["screen", "batch", *rest[:start], *([file] if file else []), *rest[end:]]
    if at is not None and rest[at] == "review":
        return ["screen", "review", *rest[:at], *rest[at + 1 :]]
    return ["screen", "name", *rest]


def misspelled_step(word: str) -> str | None:
    """The step `word` is a typo of (within two edits, not the step itself), if any."""
    if word in STEPS or len(word) > 8:  # no step is longer than 6 letters
        return None
    near = [(_edits(word.lower(), step), step) for step in STEPS]
    distance, step = min(near)
    return step if distance <= 2 else None


def _edits(a: str, b: str) -> int:
    """The Levenshtein distance of two short words."""
    row = list(range(len(b) + 1))
    for i, char in enumerate(a, start=1):
        last, row[0] = row[0], i
        for j, other in enumerate(b, start=1):
            last, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, last + (char != other))
    return row[-1]


class _Steps(Mapping[str, argparse.ArgumentParser]):
    """The steps' parsers by name, as the `choices` of `screen`'s steps (an action's
    public attribute): a word that is no step is refused here, with the spelling that
    screens it as a name, where argparse would only say "invalid choice" (`respelled`
    passes only near misses of a step through). `steps` is argparse's own map, which
    `add_parser` fills."""

    def __init__(
        self, action: argparse.Action, steps: Mapping[str, argparse.ArgumentParser]
    ) -> None:
        self.action = action
        self.steps = steps

    def __getitem__(self, word: str) -> argparse.ArgumentParser:
        return self.steps[word]

    def __iter__(self) -> Iterator[str]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __contains__(self, word: object) -> bool:
        if word in self.steps:
            return True
        near = misspelled_step(str(word))
        meant = f"did you mean `{near}`? " if near else ""
        raise argparse.ArgumentError(
            self.action,
            f"no step {word!r}: {meant}to screen the name, write `kspolicy screen name {word}`",
        )


def _valued(word: str) -> bool:
    """Whether an option, as written, takes the next word as its value (argparse reads a
    unique prefix of an option as the option)."""
    if "=" in word or not word.startswith("--"):
        return False
    return any(option.startswith(word) for option in _VALUED)


def _first_word(rest: list[str]) -> int | None:
    """Where the first word that is neither an option nor an option's value stands."""
    at = 0
    while at < len(rest):
        word = rest[at]
        if word == "--":
            return at + 1 if at + 1 < len(rest) else None
        if word.startswith("-") and len(word) > 1:
            at += 2 if _valued(word) else 1
            continue
        return at
    return None


def _batch_option(rest: list[str]) -> tuple[int, int, str] | None:
    """Where `--batch FILE` (or `--batch=FILE`) stands, and FILE: (start, end, file)."""
    at = 0
    while at < len(rest):
        word = rest[at]
        if word == "--":
            return None
        name, equals, value = word.partition("=")
        if len(name) >= 4 and "--batch".startswith(name):
            if equals:
                return at, at + 1, value
            if at + 1 < len(rest):
                return at, at + 2, rest[at + 1]
            return at, at + 1, ""  # no file: `screen batch` says it needs one
        at += 2 if _valued(word) else 1
    return None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write YYYY-MM-DD") from None


def _name(text: str) -> str:
    """An argument type refusing a name with nothing printable in it: it would screen
    as nothing, and an answer for it would apply to no name."""
    if blank(text):
        raise argparse.ArgumentTypeError("the name is empty: give the name to screen")
    return text


def _said(what: str) -> Callable[[str], str]:
    """An argument type refusing a blank text: `--by` and `--why` go into the record."""

    def said(text: str) -> str:
        if blank(text):
            raise argparse.ArgumentTypeError(f"say {what}; it is kept with the answer")
        return text

    return said


class _OneList(argparse.Action):
    """`--list LIST` of `screen review`, given once: an answer is about one list's entry."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, self.dest, None) is not None:
            raise argparse.ArgumentError(
                self, "give one list: an answer is about one entry of one list"
            )
        setattr(namespace, self.dest, values)


_USAGE = """\
%(prog)s name NAME [--country CC] [--list LIST] [--policy DIR] [--as-of DATE] [--json]
       %(prog)s batch FILE [--list LIST] [--policy DIR] [--as-of DATE] [--json]
       %(prog)s review NAME --list LIST (--confirm | --dismiss) --by WHO --why WHY ...
       %(prog)s NAME ...  and  %(prog)s --batch FILE ...  (short forms)"""


def register(commands: Any) -> None:
    """Add `screen` and its steps `name`, `batch` and `review` to the command line's
    subcommands (cli.main passes its arguments through `respelled` first)."""
    parser = commands.add_parser(
        "screen",
        help="screen names against a policy's entity lists; `screen review` adjudicates",
        usage=_USAGE,
        description="What a policy's entity lists say of a name: match, possible (with the "
        "evidence), none, or not covered (docs/screening.md). `kspolicy screen NAME` is "
        "short for `kspolicy screen name NAME`, `kspolicy screen --batch FILE` for "
        "`kspolicy screen batch FILE`.",
    )
    # `prog`: the steps' usage starts `kspolicy screen review`, not the usage above.
    steps = parser.add_subparsers(dest="step", metavar="STEP", required=True, prog=parser.prog)
    assert isinstance(steps.choices, dict)  # argparse's map, filled by `add_parser` below
    steps.choices = _Steps(steps, steps.choices)
    one = steps.add_parser(
        "name",
        help="what each list says of one name",
        description="What each entities list of the policy says of one name: match, "
        "possible, none or not covered, with the entry and the evidence.",
    )
    one.add_argument(
        "name", type=_name, metavar="NAME", help="the name, in quotes if it has spaces"
    )
    one.add_argument("--country", metavar="CC", help="the name's country, as a case writes it (CN)")
    many = steps.add_parser(
        "batch",
        help="the same for each name of a file",
        description="What each entities list of the policy says of each name of a file.",
    )
    many.add_argument(
        "batch",
        type=Path,
        metavar="FILE",
        help='CSV with columns name,country, or JSON lines of {"name": ..., "country": ...};'
        " - for JSON lines on standard input",
    )
    for command in (one, many):
        command.add_argument(
            "--list",
            action="append",
            default=[],
            dest="lists",
            metavar="LIST",
            help="only this list (again for more; default: every entities list)",
        )
        _policy_option(command)
        command.add_argument(
            "--as-of", type=_date, metavar="DATE", help="screen as on this date (default: today)"
        )
        command.add_argument("--json", action="store_true", help="JSON lines instead of text")
    _review_parser(steps)


def _policy_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--policy", type=Path, metavar="DIR", help="the policy (default: the built-in pack)"
    )


def _review_parser(steps: Any) -> None:
    review_cmd = steps.add_parser(
        "review",
        help="record a reviewer's answer to a possible match",
        description="Record that NAME is (--confirm) or is not (--dismiss) an entry of "
        "LIST, who said so and why: in the policy's adjudications list, whose comments "
        "and layout are kept, and with --audit in an audit log (docs/screening.md, "
        "Adjudication). Later decisions use the answer; a dismissal holds while the "
        "entry is unchanged.",
    )
    review_cmd.add_argument(
        "reviewed", type=_name, metavar="NAME", help="the name as it was screened"
    )
    review_cmd.add_argument(
        "--list",
        action=_OneList,
        dest="list_name",
        required=True,
        metavar="LIST",
        help="the entities list whose entry the answer is about",
    )
    answer = review_cmd.add_mutually_exclusive_group(required=True)
    answer.add_argument("--confirm", action="store_true", help="the name is the entity")
    answer.add_argument("--dismiss", action="store_true", help="the name is not the entity")
    review_cmd.add_argument(
        "--by", required=True, type=_said("who reviewed"), metavar="WHO", help="who reviewed"
    )
    review_cmd.add_argument(
        "--why",
        required=True,
        type=_said("why: what was checked"),
        metavar="WHY",
        help="why: what the reviewer checked (kept with the answer)",
    )
    review_cmd.add_argument(
        "--country", metavar="CC", help="the name's country, as a case writes it (CN)"
    )
    review_cmd.add_argument(
        "--entry", metavar="ENTRY", help="the list's entry (default: the best candidate)"
    )
    review_cmd.add_argument(
        "--file",
        type=Path,
        metavar="FILE",
        help="the adjudications list file (default: the policy's)",
    )
    review_cmd.add_argument(
        "--audit", type=Path, metavar="LOG", help="also record the answer in this audit log"
    )
    _policy_option(review_cmd)
    review_cmd.add_argument("--json", action="store_true", help="print the answer as JSON")


def run(args: argparse.Namespace) -> int:
    """Run `screen name`, `screen batch` or `screen review`; returns the exit code."""
    if args.step == "review":
        return _review(args)
    policy = load(args.policy)
    if args.step == "batch":
        refused = 0
        # A reader that stops reading ends the command with the failure found so far.
        with output.failing_with(lambda: 2 if refused else 0):
            for number, findings in screen_batch(
                policy, args.batch, lists=args.lists, as_of=args.as_of
            ):
                if isinstance(findings, BadRow):
                    refused += 1
                    _print_bad(number, findings, args)
                else:
                    _print(findings, args.json, f"{shown(args.batch)}:{number}: ")
            sys.stdout.flush()
        if refused:
            lines = "line" if refused == 1 else "lines"
            sys.stderr.write(f"error: {shown(args.batch)}: {refused} {lines} not screened\n")
        return 2 if refused else 0
    _country_option(policy, args.country)
    findings = screen_name(
        policy, args.name, country=args.country, lists=args.lists, as_of=args.as_of
    )
    _print(findings, args.json, "")
    return 0


def _country_option(policy: Policy, country: str | None) -> None:
    """KspolicyError naming `--country` for a code that is none: `screen_name` and
    `review` say what is wrong with a country, not which option gave it."""
    known = policy_countries(policy.checked)
    wrong = country_problem(country, known) if country is not None else None
    if wrong is not None:
        raise KspolicyError(f"--country: {wrong}")


def _print_bad(number: int, problem: BadRow, args: argparse.Namespace) -> None:
    """A batch line that screened no name, in its place among the findings."""
    if args.json:
        bad = {"file": shown(args.batch), "line": number, "error": str(problem)}
        sys.stdout.write(json.dumps(bad, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(f"{shown(args.batch)}:{number}: error: {problem}\n")


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
    policy = load(options.policy)
    _country_option(policy, options.country)
    where = options.file or adjudications_file(policy)
    unused = outside_policy(policy, where) if options.file is not None else None
    if unused is not None:
        sys.stderr.write(f"warning: {unused}\n")
    try:
        answer = review(
            policy,
            list_name=options.list_name,
            name=options.reviewed,
            ruling="confirmed" if options.confirm else "dismissed",
            by=options.by,
            why=options.why,
            country=options.country,
            entry=options.entry,
            file=where,
            audit_log=options.audit,
        )
    except NothingToReview as nothing:  # not an error: the answer is already the policy's
        if options.json:
            said = {"file": str(where), "recorded": False, "reason": str(nothing)}
            sys.stdout.write(json.dumps(said, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(f"{where}: {nothing}\n")
        return 0
    if options.json:
        recorded = {k: v for k, v in attrs.asdict(answer).items() if v is not None}
        recorded["at"] = answer.at.isoformat()
        sys.stdout.write(json.dumps({"file": str(where), **recorded}, ensure_ascii=False) + "\n")
        return 0
    sys.stdout.write(
        f"{where}: {answer.name} {answer.ruling} as {answer.entry} on {answer.list} "
        f"by {answer.by} (entry sha256 {answer.entry_sha256[:12]})\n"
    )
    return 0
