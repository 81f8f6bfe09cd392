"""The audit log: decisions appended as hash-chained JSON lines, verified and replayed.

Each record holds what makes a decision reproducible and checkable: the case itself and
its sha256, the date it was decided as of, the language, the sha256 of every policy and
list file, the engine version, the decision, the time of recording, and the sha256 of
the previous line. Its own sha256 covers all of that. So an edited line breaks its own
hash, and a deleted, inserted or moved line breaks the chain at the next one. What the
chain cannot show is lines cut off at the end: `verify` prints the last hash and the
count, for an auditor to compare with a copy kept elsewhere.

A record must show what was decided, so a case file is read once (`read_case_file`):
the same bytes are parsed, decided and recorded, with their sha256, and a file changed
in the meantime cannot put another case in the record. (Reading the file again for
the record once let 30 of 40 records contradict their decision, every one intact.)

Appends take an exclusive lock and write each record whole, then `fsync` it. Like the
append-only logs of certificate transparency, a record counts only once it is complete
and on disk: a write that fails part-way (a full disk, a file size limit, an I/O error)
is cut back off, so the log ends where it ended before, and the command fails saying
why. A line cut short by a crash is reported as such by `verify`, not taken for
tampering, and the next append starts on a fresh line.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import KSP404, CaseError, CaseProblem, KspolicyError
from ..eval import cases
from ..eval.cases import NOT_UNICODE, CaseFile, unencodable
from ..eval.decision import Decision, unstructure_decision
from ..policy import Policy

GENESIS = "0" * 64


def _canonical(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def sha256(data: bytes) -> str:
    """The sha256 of bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def _hash_of(data: Any) -> str | None:
    """The sha256 of data's canonical form; None when it has none (a lone surrogate, say)."""
    try:
        return sha256(_canonical(data))
    except (UnicodeEncodeError, ValueError, RecursionError):
        return None


# ---- reading the case once ----------------------------------------------------------

# A case file is read by eval.cases, the same way for deciding as for recording: `CaseFile`
# holds the bytes read and the data parsed from exactly them.
read_case_file = cases.read_case_file


# ---- recording ----------------------------------------------------------------------


def record_of(
    policy: Policy,
    case: Mapping[str, Any],
    decision: Decision,
    engine: str,
    now: dt.datetime,
    source: CaseFile | None = None,
) -> dict[str, Any]:
    """The record of one decision, before it is chained (no `prev`, no `sha256` yet).

    With `source`, the case file it was read from, the record also keeps that file's
    name, text and sha256 (`case_file`): the bytes that were decided, exactly.
    CaseError when the case holds a text that cannot be recorded.
    """
    bad = unencodable(case)
    if bad is not None:
        where = str(source.path) if source is not None else None
        raise CaseError([CaseProblem(bad, NOT_UNICODE, KSP404)], where)
    record = {
        "time": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "policy": {
            "name": policy.name,
            "version": policy.version,
            "sha256": policy.sha256,
            "files": dict(policy.files),
        },
        "case": case,
        "case_sha256": sha256(_canonical(case)),
        "as_of": decision.policy.as_of,
        "lang": decision.lang,
        "decision": unstructure_decision(decision),
    }
    if source is not None:
        record["case_file"] = {
            "name": source.path.name,
            "sha256": source.sha256,
            "text": source.raw.decode("utf-8"),
        }
    return record


def _last_complete_line(fd: int, size: int) -> tuple[bytes, bytes]:
    """The log's last non-empty line that ends in a newline (b"" if none), and what
    follows it: b"" normally, else the start of a record a crash cut short."""
    tail = b""
    position = size
    while True:
        cut = tail.rfind(b"\n")
        if cut != -1:
            body = tail[:cut].rstrip(b"\n")
            start = body.rfind(b"\n")
            if start != -1 or position == 0:
                return body[start + 1 :], tail[cut + 1 :]
        if position == 0:
            return b"", tail
        step = min(65536, position)
        position -= step
        tail = os.pread(fd, step, position) + tail


def _write_all(fd: int, data: bytes) -> None:
    """Write all of data: `write` may write less than asked (a file size limit, a full
    disk), and what it left must be written or reported, never dropped."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "the write made no progress")
        view = view[written:]


def append(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Chain the record to the log's last line and append it; returns the chained record.

    KspolicyError when the record cannot be written whole: then the log is left as it was.
    """
    created = False
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
            created = True
        except FileExistsError:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
    except OSError as exc:
        raise KspolicyError(f"cannot open the audit log {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        last, cut = _last_complete_line(fd, size)
        previous = sha256(last) if last else GENESIS
        if cut and _is_record(cut):
            previous = sha256(cut)  # complete but for its newline: verify counts it too
        chained = {**record, "prev": previous}
        try:
            chained["sha256"] = sha256(_canonical(chained))
            line = _canonical(chained) + b"\n"
        except (UnicodeEncodeError, ValueError, RecursionError) as exc:
            raise KspolicyError(f"cannot record this decision: {exc}") from None
        try:
            _write_all(fd, (b"\n" if cut else b"") + line)
            os.fsync(fd)
            if created:  # a new file's name must survive a crash as well as its content
                _fsync_folder(path)
        except BaseException as exc:
            kept = _cut_back(fd, size)
            if not isinstance(exc, OSError):
                raise  # an interrupt: the log is as it was, the command stops as asked
            reason = exc.strerror or str(exc)
            message = f"could not write the audit record to {path}: {reason}"
            if not kept:
                message += (
                    "; the log may end in an incomplete record, which verify reports"
                    " and the next record skips"
                )
            raise KspolicyError(message) from None
    finally:
        os.close(fd)
    return chained


def _cut_back(fd: int, size: int) -> bool:
    """Cut off what a failed append wrote; whether the log is back to `size` bytes."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        return False
    return True


def _fsync_folder(path: Path) -> None:
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _is_record(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


# ---- verifying ----------------------------------------------------------------------


@attrs.frozen
class Problem:
    """Something wrong in a log: which line, and what."""

    line: int
    message: str


@attrs.frozen
class Verification:
    """What verifying a log found: how many records, the last hash, the problems, and
    the lines cut short (a record whose write was interrupted).
    """

    records: int
    head: str
    problems: tuple[Problem, ...]
    torn: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the log verified with no problem."""
        return not self.problems


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """Each non-empty line with its number, and whether a newline ends it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KspolicyError(f"cannot read the audit log {path}: {exc.strerror}") from None
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if raw:
            yield number, raw, number < len(lines)


def _parse(raw: bytes) -> Any:
    """A line's JSON value; ValueError when it is not JSON (or nests too deep to read)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("nests too deep") from None


def verify(path: Path) -> Verification:
    """Check every record's own hash, the chain of `prev` hashes, and each case's hash."""
    problems: list[Problem] = []
    torn: list[int] = []
    previous = GENESIS
    count = 0
    for number, raw, complete in _lines(path):
        try:
            record = _parse(raw)
        except ValueError:
            if not complete or _is_torn(raw):
                torn.append(number)
                continue
            problems.append(Problem(number, "not a JSON record: the line was altered"))
            previous = sha256(raw)
            continue
        if not isinstance(record, dict):
            problems.append(Problem(number, "not a record"))
            previous = sha256(raw)
            continue
        count += 1
        problems += (Problem(number, message) for message in _record_problems(record, previous))
        previous = sha256(raw)
    return Verification(count, previous, tuple(problems), tuple(torn))


def _record_problems(record: dict[str, Any], previous: str) -> Iterator[str]:
    body = {k: v for k, v in record.items() if k != "sha256"}
    digest = _hash_of(body)
    if digest is None or record.get("sha256") != digest:
        yield "the record's content does not match its sha256: it was edited"
    if record.get("prev") != previous:
        yield "the chain is broken here: a record before it was edited, removed or moved"
    if "case" in record:
        digest = _hash_of(record["case"])
        if digest is None or record.get("case_sha256") != digest:
            yield "the case does not match its sha256: it was edited"
    if "case_file" in record:
        source = record["case_file"]
        text = source.get("text") if isinstance(source, dict) else None
        if not isinstance(text, str) or unencodable(text) is not None:
            yield "the case file's text is missing or not text: it was edited"
        elif source.get("sha256") != sha256(text.encode("utf-8")):
            yield "the case file's text does not match its sha256: it was edited"


def _is_torn(raw: bytes) -> bool:
    """A line that is the start of a record cut short (and not followed by more of it)."""
    return raw.startswith(b"{") and not raw.rstrip().endswith(b"}")


# ---- replaying ----------------------------------------------------------------------


@attrs.frozen
class Change:
    """A recorded decision that the current policy would take differently, and why."""

    line: int
    case_sha256: str
    differences: tuple[str, ...]
    rules_now: tuple[str, ...]
    rules_then: tuple[str, ...]
    rules_changed: tuple[str, ...] = ()


@attrs.frozen
class Replay:
    """What a replay found: how many decisions it re-decided, those that would change,
    the records it could not replay (altered or malformed: it goes on past them), and
    the lines a crash cut short."""

    records: int
    changes: tuple[Change, ...]
    problems: tuple[Problem, ...] = ()
    torn: tuple[int, ...] = ()


def replay(path: Path, policy: Policy) -> Replay:
    """Re-decide every recorded case with `policy`; the records whose decision changes.

    A record that cannot be replayed is reported with its line and skipped; replay
    does not verify the chain (`verify` does).
    """
    changes: list[Change] = []
    problems: list[Problem] = []
    torn: list[int] = []
    count = 0
    for number, raw, complete in _lines(path):
        try:
            record = _parse(raw)
        except ValueError:
            if not complete or _is_torn(raw):
                torn.append(number)
            else:
                problems.append(Problem(number, "not a JSON record: the line was altered"))
            continue
        wrong = _unreplayable(record, policy)
        if wrong is not None:
            problems.append(Problem(number, wrong))
            continue
        try:
            now = policy.evaluate(
                record["case"], as_of=record["as_of"], lang=record.get("lang", "en")
            ).to_dict()
        except CaseError as exc:
            reasons = "; ".join(str(p) for p in exc.problems)
            problems.append(Problem(number, f"its case cannot be decided now: {reasons}"))
            continue
        except RecursionError:
            problems.append(Problem(number, "its case nests too deep to decide"))
            continue
        count += 1
        then = record["decision"]
        differences = _differences(then, now)
        if differences:
            fired_then = {r["rule"]: r["outcomes"] for r in then.get("fired", [])}
            fired_now = {r["rule"]: r["outcomes"] for r in now["fired"]}
            changes.append(
                Change(
                    number,
                    str(record.get("case_sha256", "")),
                    tuple(differences),
                    tuple(sorted(fired_now.keys() - fired_then.keys())),
                    tuple(sorted(fired_then.keys() - fired_now.keys())),
                    tuple(
                        sorted(
                            r
                            for r in fired_now.keys() & fired_then.keys()
                            if fired_now[r] != fired_then[r]
                        )
                    ),
                )
            )
    return Replay(count, tuple(changes), tuple(problems), tuple(torn))


_SCALAR = str | int | float | bool | None


def _unreplayable(record: Any, policy: Policy) -> str | None:
    """What makes a parsed line impossible to replay, or None when it can be."""
    if not isinstance(record, dict):
        return "not a record (a JSON object): the line was altered"
    missing = [key for key in ("case", "as_of", "decision") if key not in record]
    if missing:
        return f"the record has no {' or '.join(missing)}: it was altered"
    if not isinstance(record["case"], dict):
        return "its case is not a table of fields: the record was altered"
    if not isinstance(record["as_of"], str):
        return "its as_of is not a date: the record was altered"
    lang = record.get("lang", "en")
    if not isinstance(lang, str):
        return "its lang is not a language code: the record was altered"
    if lang not in policy.languages:
        return f"it was decided in '{lang}', a language this policy does not have"
    decision = record["decision"]
    if not isinstance(decision, dict):
        return "its decision is not an object: the record was altered"
    for section in ("outcomes", "possible"):
        values = decision.get(section, {})
        if not isinstance(values, dict) or not all(
            isinstance(v, _SCALAR)
            or (isinstance(v, list) and all(isinstance(c, _SCALAR) for c in v))
            for v in values.values()
        ):
            return f"its decision's {section} are not outcomes: the record was altered"
    fired = decision.get("fired", [])
    if not isinstance(fired, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("rule"), str)
        and isinstance(r.get("outcomes"), dict)
        for r in fired
    ):
        return "its decision's fired rules are not rules: the record was altered"
    return None


def _differences(then: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    found = []
    for section in ("outcomes", "possible"):
        before, after = then.get(section, {}), now.get(section, {})
        for name in dict.fromkeys([*before, *after]):
            old, new = before.get(name), after.get(name)
            if old == new:
                continue
            prefix = "" if section == "outcomes" else "possible "
            if isinstance(old, list) or isinstance(new, list):
                old, new = _as_list(old), _as_list(new)
                added = [c for c in new if c not in old]
                removed = [c for c in old if c not in new]
                parts = [f"+{c}" for c in added] + [f"-{c}" for c in removed]
                found.append(f"{prefix}{name}: {' '.join(parts)}")
            else:
                found.append(f"{prefix}{name}: {old or '-'} -> {new or '-'}")
    return found


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]
