"""The server's settings, as an editor gives them: the limits and the root folder.

An editor configures a language server in three ways, and `kspolicy lsp` takes each:
the command line (`kspolicy lsp --limit max_rules=50000 --root DIR`, as `kspolicy
check`), the `initializationOptions` of `initialize`, and the workspace configuration
(`workspace/didChangeConfiguration`, section `kspolicy`). Each later one is laid over the
command line: `{"limits": {"max_rules": 50000}, "root": "."}`. A setting that is wrong is
left out and named in a message that says how to write it; the others still apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs

from ..diagnostics import did_you_mean
from ..limits import VALUE_WANTED, Limits

LIMIT_NAMES = tuple(f.name for f in attrs.fields(Limits))
"""The limits a client may set, as `kspolicy check --limit NAME=N` names them."""


@attrs.frozen
class Settings:
    """What the client asked for: limits over the command line's, and a root folder
    (relative to the workspace folder; None: the command line's, else each policy's own)."""

    limits: dict[str, int] = attrs.field(factory=dict)
    root: str | None = None
    problems: tuple[str, ...] = ()


def read_settings(value: Any) -> Settings:
    """The settings in an `initializationOptions` or a configuration section (a JSON
    object, or nothing); each problem with them in words."""
    if value is None:
        return Settings()
    if not isinstance(value, Mapping):
        return Settings(problems=(_shape("the kspolicy settings", value),))
    problems: list[str] = []
    limits = _limits(value.get("limits"), problems)
    root = value.get("root")
    if root is not None and not isinstance(root, str):
        problems.append(f'kspolicy.root must be a folder name, e.g. ".", not {_json(root)}')
        root = None
    return Settings(limits, root or None, tuple(problems))


def _limits(value: Any, problems: list[str]) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(_shape("kspolicy.limits", value))
        return {}
    found: dict[str, int] = {}
    for name, number in value.items():
        if name not in LIMIT_NAMES:
            hint = (
                did_you_mean(str(name), LIMIT_NAMES) or f"the limits are {', '.join(LIMIT_NAMES)}"
            )
            problems.append(f"kspolicy.limits: no limit `{name}`; {hint}")
        # JSON has one kind of number: 50000.0 is a whole number, true is not one
        elif isinstance(number, bool) or not isinstance(number, int | float):
            problems.append(
                f"kspolicy.limits.{name} must be a whole number, e.g. 50000, not {_json(number)}"
            )
        elif not math.isfinite(number) or number != int(number) or number < 0:
            problems.append(f"kspolicy.limits.{name} must be {VALUE_WANTED}, not {number}")
        else:
            found[str(name)] = int(number)
    return found


def over(below: Settings, above: Settings) -> Settings:
    """Settings laid over others (the workspace configuration over the initialization
    options): each limit and the root that `above` gives, the others from `below`."""
    return Settings({**below.limits, **above.limits}, above.root or below.root, above.problems)


def limits_over(base: Limits, settings: Settings) -> Limits:
    """The command line's limits with the client's laid over them."""
    return attrs.evolve(base, **settings.limits)


def _shape(what: str, value: Any) -> str:
    example = '{"limits": {"max_rules": 50000}}'
    if what == "kspolicy.limits":
        example = '{"max_rules": 50000}'
    return f"{what} must be an object such as {example}, not {_json(value)}"


def _json(value: Any) -> str:
    """A value as the client wrote it (JSON), cut short."""
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, Mapping):
        text = "an object"
    elif isinstance(value, list | tuple):
        text = "a list"
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
