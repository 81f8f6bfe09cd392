"""A value as one line of compact JSON, byte for byte as the standard library writes it.

`dumps(data)` is `json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()`,
always: the same bytes, or the same exception. What changes is the cost: the decision
lines `kspolicy eval --batch` and the service's `/v1/batch` write are ~8 KB each, which
`json` writes in ~130 µs (a fifth of a batch line's whole cost) and orjson (the optional
extra `fast`) in ~11 µs, ~40 µs with the check below. orjson is used only for a value it
provably writes the same:

- every object in the value is exactly a `dict`, `list`, `tuple`, `str`, `int`, `bool`,
  None, or a `float` that `repr` writes without an exponent (0.0, or 1e-4 <= |x| < 1e16;
  `json` writes `1e-05` where orjson writes `0.00001`, and NaN and infinities, which
  orjson writes as `null`, are left out the same way). Exact types: a subclass (an enum,
  a str with methods of its own) may be written otherwise, and `default` may be asked
  for it, so it goes to `json`. Checked by `_plain` in C-speed passes, one per level
  of nesting, never a Python loop per element: ~30 µs for a decision;
- orjson refuses the rest of what it would write otherwise (a key that is not a str, an
  int beyond 64 bits, a str with a lone surrogate, nesting deeper than 254 levels),
  and `json` writes those.

Everything else goes to `json`. tests/test_jsonline.py checks the promise on arbitrary
values (Hypothesis), and a batch's bytes with orjson and without it.

`dumps_made(data, given)` keeps the same promise for data its caller made, checking
only the parts `given` (those that may hold a float or what the caller was given, such
as a case's values), the rest vouched for by the caller: most of a batch line is names
and paths the engine writes, and the check over all of it was ~13% of the line's cost.
orjson is asked to refuse, not write, every subclass of a built-in type, every date and
time and every dataclass (its `OPT_PASSTHROUGH_*` options, with a `default` that
refuses): what could still be written apart in an unchecked part is a float such as
1e-05, NaN or an infinity, an `enum.Enum` that is not also an int or a str, a
`uuid.UUID` and an `orjson.Fragment` (tests/test_jsonline_made.py checks each).
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

_orjson: ModuleType | None
try:  # the optional extra `fast`: without it, the same bytes, from json
    import orjson as _orjson
except ImportError:  # pragma: no cover - the test extra installs it; tests take it away
    _orjson = None

_TIGHT = (",", ":")  # lines are for programs: no spaces

# Exactly these types (never a subclass), which orjson writes as json does.
_PLAIN = frozenset({dict, list, tuple, str, int, bool, type(None)})
_WITH_FLOAT = _PLAIN | {float}

# More levels than orjson nests (254): a value deeper, or one holding itself, goes to
# json, which writes it or raises as it always did.
_LEVELS = 256

_referents = gc.get_referents


def _refuse(value: Any) -> Any:
    """orjson's `default`: every value it leaves to it goes to json (`dumps_made`)."""
    raise TypeError(type(value).__name__)


# orjson leaves a subclass of a built-in type (a str subclass: json and orjson write its
# characters alike, but json calls a dict subclass's own `items`), a date or time, and a
# dataclass to `_refuse`, so that json writes them.
_PASSTHROUGH = (
    (
        _orjson.OPT_PASSTHROUGH_SUBCLASS
        | _orjson.OPT_PASSTHROUGH_DATETIME
        | _orjson.OPT_PASSTHROUGH_DATACLASS
    )
    if _orjson is not None
    else 0
)


def dumps(data: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """`json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=default)`
    as UTF-8: the same bytes (or the same exception), faster when orjson is installed."""
    if _orjson is not None and _plain(data):
        try:
            written: bytes = _orjson.dumps(data)
            return written
        except _orjson.JSONEncodeError:
            pass  # a value orjson refuses (see the module's text): json writes it
    return json.dumps(data, ensure_ascii=False, separators=_TIGHT, default=default).encode()


def dumps_made(data: Any, given: list[Any]) -> bytes:
    """`dumps(data)`, the same bytes (or exception), for data made for this call by its
    caller: only the parts `given` (objects inside `data`) are checked (`_plain`), the
    caller vouching that the rest holds no float, `enum.Enum`, `uuid.UUID` or
    `orjson.Fragment` (orjson refuses whatever else it would write apart, see the
    module's text). The caller argues where each part comes from, and a test checks it
    (tools/batch.py `_encoded`, the one caller)."""
    if _orjson is not None and _plain(given):
        try:
            written: bytes = _orjson.dumps(data, default=_refuse, option=_PASSTHROUGH)
            return written
        except _orjson.JSONEncodeError:
            pass  # refused (see the module's text): json writes it, or raises as it does
    return json.dumps(data, ensure_ascii=False, separators=_TIGHT).encode()


def _plain(data: Any) -> bool:
    """Whether `data` holds only what orjson writes as json does (see the module's text).

    A level at a time: the types of a level's objects in one `set(map(type, ...))`, and
    the next level by `_below`. A dict's keys need no look: orjson refuses a key that is
    not a str, and json and orjson both write a str key (a subclass too) as its
    characters."""
    level = [data]
    for _ in range(_LEVELS):
        kinds = set(map(type, level))
        if not kinds <= _PLAIN:
            if not kinds <= _WITH_FLOAT:
                return False
            for value in level:
                # 0.0 or a magnitude repr writes without an exponent; never NaN (every
                # comparison with it is false) nor an infinity.
                if type(value) is float and not (value == 0.0 or 1e-4 <= abs(value) < 1e16):
                    return False
        level = _below(level)
        if not level:
            return True
    return False


def _below_by_referents(level: list[Any]) -> list[Any]:
    """The items of a level's lists and tuples and the values of its dicts, in one
    `gc.get_referents` call (C speed; it gives a dict's keys too unless all are str,
    and nothing for a str, an int or a float)."""
    return _referents(*level)


def _below_by_values(level: list[Any]) -> list[Any]:
    """`_below_by_referents` for Python 3.13 and later, where `gc.get_referents` gives
    nothing for a dict whose values live inside an object (`vars(obj)`): a loop over the
    level, about twice the cost."""
    below: list[Any] = []
    for value in level:
        kind = type(value)
        if kind is dict:
            below += value.values()
        elif kind is list or kind is tuple:
            below += value
    return below


_below = _below_by_values if sys.version_info >= (3, 13) else _below_by_referents


def fast() -> bool:
    """Whether lines are written by orjson (the extra `fast` is installed)."""
    return _orjson is not None


__all__ = ["dumps", "dumps_made", "fast"]
