"""The audit log: decisions appended as hash-chained, numbered JSON lines, verified and replayed.

Each record holds what makes a decision reproducible and checkable: the case itself and
its sha256, the date it was decided as of, the language, the sha256 of every policy and
list file, the engine version, the decision, the time of recording, its sequence number
(`seq`, from 0) and the sha256 of the previous line. Its own sha256 covers all of that.
So an edited line breaks its own hash, a deleted, inserted or moved line breaks the
chain and the numbering at the next one. What no chain can show by itself is a log cut
at its end, emptied, or rewritten whole: for those, `checkpoint` signs the size and the
Merkle root (`merkle`) of the log with a key its writer does not hold, as transparency
logs do, and `verify` checks that the log extends the last checkpoint it trusts.

A record must show what was decided, so a case file is read once (`read_case_file`):
the same bytes are parsed, decided and recorded, with their sha256, and a file changed
in the meantime cannot put another case in the record. (Reading the file again for
the record once let 30 of 40 records contradict their decision, every one intact.)

Appends take an exclusive lock and write each record whole, then `fsync` it; `verify`
reads under a shared lock, so it never sees half a record of a live writer. Like the
append-only logs of certificate transparency, a record counts only once it is complete
(newline included) and on disk: a write that fails part-way (a full disk, a file size
limit, an I/O error) is cut back off, so the log ends where it ended before, and the
command fails saying why. What a killed writer leaves (the start of a record, after the
last newline) is reported by `verify` as an incomplete record, and the next writer cuts
it off before it appends: so an incomplete record can only ever be the last line, and
one anywhere else was put there by hand.

Logs written before records had sequence numbers still verify, with the rules of their
time (an incomplete record was then left in place), and say that they are of the old
format; the first record a newer writer appends to them carries on their numbering.
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
from ..files import os_reason
from ..lang.lists import Adjudication
from ..policy import Policy
from . import merkle

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
    batch: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """The record of one decision, before it is chained (no `seq`, `prev`, `sha256` yet).

    With `source`, the case file it was read from, the record also keeps that file's
    name, text and sha256 (`case_file`): the bytes that were decided, exactly. With
    `batch`, the name of the batch file and the line the case was on.
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
    if batch is not None:
        record["batch"] = {"name": batch[0], "line": batch[1]}
    return record


def _last_complete_line(fd: int, size: int) -> tuple[bytes, bytes]:
    """The log's last non-empty line that ends in a newline (b"" if none), and what
    follows it: b"" normally, else the start of a record a killed writer left."""
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


def _next_seq(fd: int, last: bytes) -> int:
    """The sequence number of the next record: one more than the last record's, or, in a
    log of the old format (none numbered), the number of records it holds."""
    if not last:
        return 0
    try:
        record = _parse(last)
    except ValueError:
        record = None
    if isinstance(record, dict):
        seq = record.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0:
            return seq + 1
    # Once per old log: the first numbered record counts what came before it.
    os.lseek(fd, 0, os.SEEK_SET)
    with os.fdopen(os.dup(fd), "rb") as handle:
        return sum(1 for raw in handle if raw.endswith(b"\n") and _is_record(raw))


def _write_all(fd: int, data: bytes) -> None:
    """Write all of data: `write` may write less than asked (a file size limit, a full
    disk), and what it left must be written or reported, never dropped."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "the write made no progress")
        view = view[written:]


def adjudication_record(
    policy: Policy, answer: Adjudication, engine: str, now: dt.datetime
) -> dict[str, Any]:
    """The record of a reviewer's answer to a possible match (`kspolicy screen review`),
    before it is chained: `type` is `adjudication`, so that replay passes it by (it
    decides no case) while the chain and the numbering cover it like any record."""
    return {
        "type": "adjudication",
        "time": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "policy": {"name": policy.name, "version": policy.version, "sha256": policy.sha256},
        "adjudication": {
            "list": answer.list,
            "name": answer.name,
            "country": answer.country,
            "entry": answer.entry,
            "entry_sha256": answer.entry_sha256,
            "ruling": answer.ruling,
            "by": answer.by,
            "at": answer.at.isoformat(),
            "why": answer.why,
        },
    }


def append(path: Path, record: dict[str, Any]) -> dict[str, Any]:
    """Number and chain the record after the log's last one and append it; returns it
    chained. KspolicyError when it cannot be written whole: then the log is as it was."""
    return append_all(path, [record])[0]


def append_all(path: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append records in their order, all or none, under one lock and one `fsync`."""
    if not records:
        return []
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
        if cut:
            # The start of a record whose writer was killed (a live writer would hold the
            # lock): never a record, and cut off so that only the last line can be one.
            size -= len(cut)
            if not _cut_back(fd, size):
                raise KspolicyError(
                    f"could not write the audit record to {path}: it ends in an incomplete"
                    " record that cannot be cut off"
                )
        previous = sha256(last) if last else GENESIS
        seq = _next_seq(fd, last)
        chained_all: list[dict[str, Any]] = []
        data = bytearray()
        for record in records:
            chained = {**record, "seq": seq, "prev": previous}
            try:
                chained["sha256"] = sha256(_canonical(chained))
                line = _canonical(chained)
            except (UnicodeEncodeError, ValueError, RecursionError) as exc:
                raise KspolicyError(f"cannot record this decision: {exc}") from None
            data += line + b"\n"
            chained_all.append(chained)
            previous, seq = sha256(line), seq + 1
        try:
            _write_all(fd, bytes(data))
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
                    " and the next writer cuts off"
                )
            raise KspolicyError(message) from None
    finally:
        os.close(fd)
    return chained_all


def _cut_back(fd: int, size: int) -> bool:
    """Cut the log back to `size` bytes; whether that worked."""
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
    """What verifying a log found.

    `records` and `head` (the sha256 of the last record's line) are what a checkpoint
    signs; `leaves` are the records' Merkle leaf hashes, in order. `torn` is the line of
    an incomplete record (a writer killed while writing it), `crlf` the lines whose line
    ends were converted to CR LF, `old` the number of records of the old format.
    """

    records: int
    head: str
    problems: tuple[Problem, ...]
    torn: tuple[int, ...] = ()
    crlf: tuple[int, ...] = ()
    old: int = 0
    leaves: tuple[bytes, ...] = attrs.field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        """Whether the log verified with no problem."""
        return not self.problems and not self.crlf


def read_log(path: Path) -> bytes:
    """The log's bytes, read under a shared lock: never half of a record being written."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise KspolicyError(f"cannot read the audit log {path}: {os_reason(exc)}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError:
            pass  # a file system without locks: read it as it is
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise KspolicyError(f"cannot read the audit log {path}: {os_reason(exc)}") from None
    finally:
        os.close(fd)


def _lines(data: bytes) -> tuple[list[tuple[int, bytes]], bytes, list[int]]:
    """The log's complete lines with their numbers (an empty one included), what follows
    the last newline, and the lines that end in CR LF (their CR taken off)."""
    parts = data.split(b"\n")
    crlf = [n for n, raw in enumerate(parts[:-1], start=1) if raw.endswith(b"\r")]
    lines = [(n, raw.removesuffix(b"\r")) for n, raw in enumerate(parts[:-1], start=1)]
    return lines, parts[-1], crlf


def _parse(raw: bytes) -> Any:
    """A line's JSON value; ValueError when it is not JSON (or nests too deep to read)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise ValueError("nests too deep") from None


# Every record, old or new, starts so: its keys are sorted, and `as_of` comes first.
_START = b'{"as_of":"'


def _is_torn(raw: bytes) -> bool:
    """A line that can be the start of a record cut short (and not followed by more of it)."""
    return (raw.startswith(_START) or _START.startswith(raw)) and not raw.endswith(b"}")


_PLANTED = (
    "an incomplete record on a line of its own: a killed writer leaves one only at the"
    " end, and the next writer cuts it off, so this line was put here"
)


def verify(path: Path) -> Verification:
    """Check every record's own hash, its number, the chain of `prev` hashes, and each
    case's hash; note the incomplete record a killed writer may have left at the end."""
    return _verify(read_log(path))


def _verify(data: bytes) -> Verification:
    lines, rest, crlf = _lines(data)
    problems: list[Problem] = []
    torn: list[int] = []
    leaves: list[bytes] = []
    previous = GENESIS
    numbered = False  # whether a numbered record was seen: from then on all must be
    last_seq: int | None = None
    old = 0
    waiting: int | None = None  # an incomplete record in the middle: what follows decides
    for number, raw in lines:
        if not raw:
            problems.append(Problem(number, "an empty line: the writer never writes one"))
            continue
        try:
            record = _parse(raw)
        except ValueError:
            if _is_torn(raw) and not numbered:
                waiting = number
                continue
            if _is_torn(raw):
                problems.append(Problem(number, _PLANTED))
                continue  # no writer chains to it: the next record's chain still holds
            problems.append(Problem(number, "not a JSON record: the line was altered"))
            previous = sha256(raw)
            continue
        if waiting is not None:
            # Old writers left a killed writer's fragment in place and wrote on after it.
            if isinstance(record, dict) and "seq" in record:
                problems.append(Problem(waiting, _PLANTED))
            else:
                torn.append(waiting)
            waiting = None
        if not isinstance(record, dict):
            problems.append(Problem(number, "not a record"))
            previous = sha256(raw)
            continue
        leaves.append(merkle.leaf_hash(raw))
        found_here = list(_record_problems(record, previous))
        if "seq" in record:
            numbered = True
            seq = record["seq"]
            due = len(leaves) - 1 if last_seq is None else last_seq + 1
            if not isinstance(seq, int) or isinstance(seq, bool):
                found_here.append("its sequence number is not a number: it was edited")
            elif seq != due:
                how = "removed" if seq > due else "inserted or moved"
                found_here.append(
                    f"its sequence number is {seq} where {due} was due: records before"
                    f" it were {how}"
                )
                last_seq = seq
            else:
                last_seq = seq
        elif numbered:
            found_here.append(
                "it has no sequence number, but records before it have: it was put here"
                " by hand (a writer numbers every record)"
            )
        else:
            old += 1
        if found_here:
            problems.append(Problem(number, "; ".join(found_here)))
        previous = sha256(raw)
    if waiting is not None:
        torn.append(waiting)  # nothing followed it: as a killed writer leaves one
    rest = rest.removesuffix(b"\r")
    if rest:
        if _is_torn(rest) or _is_record(rest):
            torn.append(len(lines) + 1)
        else:
            problems.append(Problem(len(lines) + 1, "not a JSON record: the line was altered"))
    return Verification(
        len(leaves),
        previous,
        tuple(problems),
        tuple(torn),
        tuple(crlf),
        old,
        tuple(leaves),
    )


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


# ---- replaying ----------------------------------------------------------------------


@attrs.frozen
class Change:
    """A recorded decision that the current policy would take differently, and why.

    `rules_changed` names each rule that fired then and now but gives other outcomes,
    with how they differ. `same_policy`: the record names the very policy files replayed
    with, so the difference is not a policy change: the record was forged, or the
    engine (`engine` recorded it) decides otherwise now.
    """

    line: int
    case_sha256: str
    differences: tuple[str, ...]
    rules_now: tuple[str, ...]
    rules_then: tuple[str, ...]
    rules_changed: tuple[str, ...] = ()
    same_policy: bool = False
    engine: str = ""


@attrs.frozen
class Replay:
    """What a replay found: how many decisions it re-decided, those that would change,
    the records it could not replay (not intact, altered or malformed: it goes on past
    them), the line of an incomplete record, and the lines converted to CR LF."""

    records: int
    changes: tuple[Change, ...]
    problems: tuple[Problem, ...] = ()
    torn: tuple[int, ...] = ()
    crlf: tuple[int, ...] = ()


def replay(path: Path, policy: Policy) -> Replay:
    """Verify the log, then re-decide every intact recorded case with `policy`; the
    records whose decision changes.

    A record that is not intact is not replayed: an edited verdict must show as an
    edit, never as what a new policy would change. It is reported with its line, as is
    a record that cannot be replayed, and replay goes on with the others.
    """
    data = read_log(path)
    verification = _verify(data)
    problems = [Problem(p.line, f"it is not intact: {p.message}") for p in verification.problems]
    skip = {p.line for p in verification.problems} | set(verification.torn)
    changes: list[Change] = []
    count = 0
    lines, _, _ = _lines(data)
    for number, raw in lines:
        if number in skip or not raw:
            continue
        record = _parse(raw)  # verify parsed it already
        if isinstance(record, dict) and record.get("type") == "adjudication":
            continue  # a reviewer's answer (adjudication_record): no case to decide
        wrong = _unreplayable(record, policy)
        if wrong is not None:
            problems.append(Problem(number, wrong))
            continue
        try:
            now = policy.evaluate(
                record["case"], as_of=record["as_of"], lang=record.get("lang", "en")
            ).to_dict(detail="full")
        except CaseError as exc:
            reasons = "; ".join(str(p) for p in exc.problems)
            problems.append(Problem(number, f"its case cannot be decided now: {reasons}"))
            continue
        except RecursionError:
            problems.append(Problem(number, "its case nests too deep to decide"))
            continue
        count += 1
        change = _change(number, record, now, policy)
        if change is not None:
            changes.append(change)
    problems.sort(key=lambda p: p.line)
    return Replay(count, tuple(changes), tuple(problems), verification.torn, verification.crlf)


def _change(
    number: int, record: dict[str, Any], now: dict[str, Any], policy: Policy
) -> Change | None:
    """How the decision `now` differs from the recorded one; None when it does not."""
    then = record["decision"]
    differences = _differences(then, now)
    if not differences:
        return None
    fired_then = {r["rule"]: r["outcomes"] for r in then.get("fired", [])}
    fired_now = {r["rule"]: r["outcomes"] for r in now["fired"]}
    changed = []
    for rule in sorted(fired_now.keys() & fired_then.keys()):
        if fired_now[rule] != fired_then[rule]:
            how = ", ".join(
                _differences({"outcomes": fired_then[rule]}, {"outcomes": fired_now[rule]})
            )
            changed.append(f"{rule} ({how})")
    recorded = record.get("policy")
    same = isinstance(recorded, dict) and recorded.get("sha256") == policy.sha256
    return Change(
        number,
        str(record.get("case_sha256", "")),
        tuple(differences),
        tuple(sorted(fired_now.keys() - fired_then.keys())),
        tuple(sorted(fired_then.keys() - fired_now.keys())),
        tuple(changed),
        same_policy=same,
        engine=str(record.get("engine", "")),
    )


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
