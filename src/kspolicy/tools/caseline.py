"""One line of a JSON Lines batch, from its bytes to a decision: the one reading both
front ends share.

`kspolicy eval --batch` (tools/batch.py) and the service's `POST /v1/batch`
(service/core.py) each cut their input into lines their own way (a file, read in bounded
chunks; a request body, as it arrives) and write each line's result in their own form
(`{"line", "error", "codes"}`; problem details). Between the two, a line means the same
in both: `line_content` takes off what is not the case's (a byte-order mark on line 1,
the line's end), `read_line` reads the case or says why there is none, and `decide_line`
decides it, or gives the CaseError saying why it cannot be decided. So a line that one
front end decides, the other decides the same, and a line one rejects, the other
rejects with the same codes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import attrs

from ..diagnostics import KSP402, KSP407, CaseError, CaseProblem
from ..eval.cases import Unreadable, depth_exceeds, json_problem
from ..eval.decision import Decision
from ..lang.schema import value_kind
from ..limits import DEFAULT, Limits
from ..policy import Policy

BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark some editors put at the start of a file."""


def line_content(number: int, raw: bytes) -> bytes:
    """A physical line's bytes as a case is read from them: without its end (`\\n`,
    `\\r\\n`) and, on line 1, without a byte-order mark. A result that is only white
    space is an empty line, which holds no case and gives no output."""
    if number == 1:
        raw = raw.removeprefix(BOM)
    return raw.rstrip(b"\r\n")


def read_line(line: bytes, limits: Limits = DEFAULT) -> Any:
    """The case a JSON line holds, or the `Unreadable` saying why it holds none."""
    if _orjson is not None:
        # Digits as "0", opening brackets as "[", the rest as spaces: one pass over the
        # line says whether orjson may read it, and how deep it can nest.
        look = line.translate(_LOOK)
        brackets = look.count(b"[")
        if brackets <= _SHALLOW and _LONG not in look:
            try:
                case = _orjson.loads(line)
            except _orjson.JSONDecodeError:
                pass  # json reads it again below, for its own words
            else:
                if type(case) is dict and brackets <= limits.max_depth:
                    return case
    else:
        brackets = line.count(b"{") + line.count(b"[")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(f"not UTF-8 text (column {exc.start + 1}): save the file as UTF-8")
    try:
        # json.loads(text, parse_constant=...) makes a decoder for each call; one made
        # once decodes the same. A text json.loads refuses before decoding (one starting
        # with a byte-order mark) goes to json.loads, for its own message.
        case = _JSON.decode(text) if text[:1] != "\ufeff" else json.loads(text)
    except RecursionError:
        # Deeper than the JSON reader goes is deeper than max_depth: the case file's code.
        return Unreadable(
            f"the case nests more than {limits.max_depth} levels deep (max_depth)", KSP407
        )
    except ValueError as exc:
        return Unreadable(f"not valid JSON: {json_problem(exc)}")
    if not isinstance(case, dict):
        # Never a path to a case file: the batch's author would choose what is read.
        return Unreadable(
            f"each line must be a JSON object (a case), not {value_kind(case)}", KSP402
        )
    # A case cannot nest deeper than it has tables and lists: counting the brackets
    # (in texts too, so it counts at least as many) spares most lines the walk.
    if brackets > limits.max_depth and depth_exceeds(case, limits.max_depth):
        return Unreadable(
            f"the case nests more than {limits.max_depth} levels deep (max_depth)", KSP407
        )
    return case


# ---- orjson, where it reads what json reads ---------------------------------------------
#
# orjson (the optional extra `fast`) reads a line in about a third of json's time. It is
# used only where it gives exactly what json gives, the same values of the same types;
# anything it refuses, json reads again, so every message of a line that is not a case
# stays json's. Where the two differ (tests/test_caseline_orjson.py holds each case):
# - orjson reads a whole number beyond 64 bits as a float; json as the int it is. A line
#   with 19 digits in a row (any whole number that large has them) goes to json.
# - orjson refuses a lone surrogate (`"\ud800"`), NaN and Infinity, a number too large for
#   a float (`1e400`, json's inf), a byte-order mark, invalid UTF-8: json reads those, or
#   refuses them in its own words.
# - orjson refuses nesting past 1,024 levels, and json nesting deeper than Python's stack
#   has room for, which depends on the caller: a line with more brackets than _SHALLOW
#   goes to json, and so does one with more than max_depth (the depth walk's case).
# Both keep the last of a key given twice, where the first stood.

_orjson: ModuleType | None
try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - the test extra installs it; tests take it away
    _orjson = None

_LOOK = bytes(
    0x30 if 0x30 <= byte <= 0x39 else 0x5B if byte in b"[{" else 0x20 for byte in range(256)
)
_LONG = b"0" * 19  # the fewest digits of a whole number orjson reads as a float
_SHALLOW = 256  # brackets: json nests this deep with any caller's stack


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a case may hold")


# NaN and Infinity are JavaScript, not JSON: refused as a case file refuses them.
_JSON = json.JSONDecoder(parse_constant=_no_constant)


@attrs.frozen
class Decided:
    """A line decided: its number, the case read from it, and the decision."""

    number: int
    case: Mapping[str, Any]
    decision: Decision


@attrs.frozen
class Rejected:
    """A line that holds no case, or a case that cannot be decided: the CaseError says why."""

    number: int
    error: CaseError


LineResult = Decided | Rejected
"""What became of one line."""


def decide_line(
    policy: Policy,
    number: int,
    line: bytes | Mapping[str, Any] | Unreadable,
    *,
    as_of: dt.date | str | None = None,
    lang: str = "en",
    explain: bool = False,
) -> LineResult:
    """Line `number` decided: `line` is its content (see `line_content`), or a case
    already read from it (a CSV row), or the `Unreadable` a reader found in its place.
    A line that holds no case, or a case that does not fit the schema, gives its
    CaseError in the result: one bad line never stops a batch."""
    case = _case(policy, number, line)
    if isinstance(case, Rejected):
        return case
    try:
        decision = policy.evaluate(case, as_of=as_of, lang=lang, explain=explain)
    except CaseError as error:
        return Rejected(number, error)
    return Decided(number, case, decision)


def compact_line(
    policy: Policy,
    number: int,
    line: bytes | Mapping[str, Any] | Unreadable,
    *,
    as_of: dt.date | str | None = None,
    lang: str = "en",
) -> dict[str, Any] | Rejected:
    """Line `number`'s decision in the compact form, the data `decide_line(...).decision
    .to_dict()` gives, made without the decision's objects (`Policy.compact_decision`):
    the path of a batch that writes compact decisions and keeps no record of them."""
    case = _case(policy, number, line)
    if isinstance(case, Rejected):
        return case
    try:
        return policy.compact_decision(case, as_of=as_of, lang=lang)
    except CaseError as error:
        return Rejected(number, error)


def _case(
    policy: Policy, number: int, line: bytes | Mapping[str, Any] | Unreadable
) -> Mapping[str, Any] | Rejected:
    """The case line `number` holds (read here when it is still bytes), or the line
    Rejected with the CaseError its `Unreadable` says: the first step of both
    `decide_line` and `compact_line`."""
    case = read_line(line, policy.limits) if isinstance(line, bytes) else line
    if isinstance(case, Unreadable):
        problem = CaseProblem("", case.message, case.code)
        return Rejected(number, CaseError([problem], f"line {number}"))
    return case


__all__ = [
    "BOM",
    "Decided",
    "LineResult",
    "Rejected",
    "compact_line",
    "decide_line",
    "line_content",
    "read_line",
]
