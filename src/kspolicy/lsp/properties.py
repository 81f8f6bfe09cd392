"""The names a policy's property files write, for rename and references.

A property file (`kspolicy prove --property FILE`, prove/properties.py) names a policy's
definitions and lists in its conditions, `given = ["project.dual_use == listed", ...]`,
texts in the policy language, and its lists in the groups of a `[change]`,
`"partners.country" = ["EU_MEMBERS", "RISK_COUNTRIES"]`. A rename that left them would
leave a property that no longer checks (or, for a group, names a list that is gone).
The editor finds them in the `properties/*.toml` files beside the policy's main file,
where the pack keeps its principles (docs/analysis.md).

Each condition is read as `kspolicy prove` reads it, as the body of a definition, and
its names resolved by the index as a policy file's are, so a field or a quantifier's
variable spelled like a definition is left alone. A condition whose TOML string has an
escape (`\\"`) is skipped: its text in the file is not the condition's, character for
character, so no place in the file can be given for a name in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs

from ..lang.parser import parse_module
from ..limits import DEFAULT, Limits
from ..prove.problems import Condition, conditions, in_groups
from ..span import Source, Span
from . import index

__all__ = ["FOLDER", "Condition", "conditions", "files", "in_groups", "occurrences"]

FOLDER = "properties"
"""Where a policy's property files are: `properties/*.toml` beside its main file."""

# What a condition is read as: prove/properties.py makes each a definition like this.
_DEFINE = "define kspolicy_property\n  = "


def files(folder: Path) -> list[Path]:
    """The property files of the policy whose main file is in `folder`."""
    try:
        return sorted(p.resolve() for p in (folder / FOLDER).glob("*.toml") if p.is_file())
    except OSError:
        return []


def occurrences(
    source: Source, model: index.Model, key: index.Key, limits: Limits = DEFAULT
) -> list[Span]:
    """Where a property file names `key` (a definition or a list): in its conditions,
    and, for a list, in the groups of its `[change]`."""
    found: list[Span] = []
    for condition in conditions(source.text):
        if condition.exact:
            found.extend(_in_condition(source, condition.start, condition.text, model, key, limits))
    if key[0] == "list":
        found.extend(in_groups(source, key[1]))
    return sorted(found, key=lambda s: s.start)


def _in_condition(
    source: Source, start: int, text: str, model: index.Model, key: index.Key, limits: Limits
) -> Iterator[Span]:
    """The places in a condition (at `start` of the file) where it names `key`."""
    written = Source(source.name, _DEFINE + text)
    module, _ = parse_module(written, limits.max_depth, limits.max_item_chars)
    alone = attrs.evolve(model, listed=[])  # the list files' own names are not in here
    for occurrence in index.occurrences([(Path(source.name), module)], alone):
        if occurrence.key == key and not occurrence.definition:
            at = start + occurrence.span.start - len(_DEFINE)
            if at >= start:
                yield Span(source, at, at + occurrence.span.end - occurrence.span.start)
