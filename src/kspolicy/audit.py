"""The audit log: decisions appended as hash-chained JSON lines, verified and replayed.

Each record holds what makes a decision reproducible and checkable: the case itself and
its sha256, the date it was decided as of, the language, the sha256 of every policy and
list file, the engine version, the decision, the time of recording, and the sha256 of
the previous line. Its own sha256 covers all of that. So an edited line breaks its own
hash, and a deleted, inserted or moved line breaks the chain at the next one. What the
chain cannot show is lines cut off at the end: `verify` prints the last hash and the
count, for an auditor to compare with a copy kept elsewhere.

Appends take an exclusive lock and write each record with one `write` and `fsync`; a
line cut short by a crash is reported as such, not taken for tampering, and the next
append starts on a fresh line.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from .decision import Decision
from .diagnostics import KspolicyError
from .policy import Policy
from .serde import unstructure_decision

GENESIS = "0" * 64


def _canonical(data: Any) -> bytes:
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_of(
    policy: Policy, case: Mapping[str, Any], decision: Decision, engine: str, now: dt.datetime
) -> dict[str, Any]:
    """The record of one decision, before it is chained (no `prev`, no `sha256` yet)."""
    return {
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


def _last_line(handle: Any) -> bytes:
    """The last line of an open binary file, read from its end."""
    end = handle.seek(0, os.SEEK_END)
    position, tail = end, b""
    while position > 0:
        step = min(4096, position)
        position -= step
        handle.seek(position)
        tail = handle.read(step) + tail
        if tail.count(b"\n") >= 2 or position == 0:
            break
    lines = tail.split(b"\n")
    if tail.endswith(b"\n"):
        return lines[-2] if len(lines) >= 2 else b""
    return lines[-1]


def append(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Chain the record to the log's last line and append it; returns the chained record."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as exc:
        raise KspolicyError(f"cannot open the audit log {path}: {exc.strerror}") from None
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        size = handle.seek(0, os.SEEK_END)
        torn = False
        last = b""
        if size:
            handle.seek(size - 1)
            torn = handle.read(1) != b"\n"
            last = _last_line(handle)
        previous = GENESIS
        if last and not torn:
            previous = sha256(last)
        elif torn:
            # A crash cut the last line short: chain to the last complete line instead.
            handle.seek(0)
            complete = handle.read().rsplit(b"\n", 1)[0].split(b"\n")
            previous = sha256(complete[-1]) if complete and complete[-1] else GENESIS
        chained = {**record, "prev": previous}
        chained["sha256"] = sha256(_canonical(chained))
        line = _canonical(chained) + b"\n"
        os.write(handle.fileno(), (b"\n" if torn else b"") + line)
        os.fsync(handle.fileno())
    return chained


@attrs.frozen
class Problem:
    """Something wrong in a log: which line, and what."""

    line: int
    message: str


@attrs.frozen
class Verification:
    records: int
    head: str
    problems: tuple[Problem, ...]
    torn: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KspolicyError(f"cannot read the audit log {path}: {exc.strerror}") from None
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        complete = number < len(lines)
        if raw or not complete:
            if raw:
                yield number, raw, complete


def verify(path: Path) -> Verification:
    """Check every record's own hash, the chain of `prev` hashes, and each case's hash."""
    problems: list[Problem] = []
    torn: list[int] = []
    previous = GENESIS
    count = 0
    for number, raw, complete in _lines(path):
        try:
            record = json.loads(raw)
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
        claimed = record.get("sha256")
        body = {k: v for k, v in record.items() if k != "sha256"}
        if claimed != sha256(_canonical(body)):
            problems.append(
                Problem(number, "the record's content does not match its sha256: it was edited")
            )
        if record.get("prev") != previous:
            problems.append(
                Problem(
                    number,
                    "the chain is broken here: a record before it was edited, removed or moved",
                )
            )
        if "case" in record and record.get("case_sha256") != sha256(_canonical(record["case"])):
            problems.append(Problem(number, "the case does not match its sha256: it was edited"))
        previous = sha256(raw)
    return Verification(count, previous, tuple(problems), tuple(torn))


def _is_torn(raw: bytes) -> bool:
    """A line that is the start of a record cut short (and not followed by more of it)."""
    return raw.startswith(b"{") and not raw.rstrip().endswith(b"}")


@attrs.frozen
class Change:
    """A recorded decision that the current policy would take differently, and why."""

    line: int
    case_sha256: str
    differences: tuple[str, ...]
    rules_now: tuple[str, ...]
    rules_then: tuple[str, ...]
    rules_changed: tuple[str, ...] = ()


def replay(path: Path, policy: Policy) -> tuple[int, list[Change]]:
    """Re-decide every recorded case with `policy`; the records whose decision changes."""
    changes: list[Change] = []
    count = 0
    for number, raw, _ in _lines(path):
        try:
            record = json.loads(raw)
            case, then = record["case"], record["decision"]
            as_of, lang = record["as_of"], record.get("lang", "en")
        except (ValueError, KeyError, TypeError):
            continue  # verify reports it
        count += 1
        now = policy.evaluate(case, as_of=as_of, lang=lang).to_dict()
        differences = _differences(then, now)
        if differences:
            fired_then = {r["rule"]: r["outcomes"] for r in then.get("fired", [])}
            fired_now = {r["rule"]: r["outcomes"] for r in now["fired"]}
            changes.append(
                Change(
                    number,
                    record.get("case_sha256", ""),
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
    return count, changes


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
                added = [c for c in (new or []) if c not in (old or [])]
                removed = [c for c in (old or []) if c not in (new or [])]
                parts = [f"+{c}" for c in added] + [f"-{c}" for c in removed]
                found.append(f"{prefix}{name}: {' '.join(parts)}")
            else:
                found.append(f"{prefix}{name}: {old or '-'} -> {new or '-'}")
    return found
