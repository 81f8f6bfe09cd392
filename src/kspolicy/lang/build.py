"""A policy read, checked and linted; from the checked-policy cache while nothing it was
made from has changed.

Reading a large policy back from the parse cache still leaves the checker to run, and
the checker took as long as the reading (benchmarks/RESULTS.md, *Load*). A checked
policy depends on the files it was read from, the limits, the root, and the engine;
an entry of the cache (lang/cache.py: the same folder, secret and checks as parses) is
keyed on all but the files' contents, and keeps the reader's `Observation`s: where each
link led, what each list pattern found, which messages files exist, each file's sha256.
It is used only when the file system answers every one of them as before (`unchanged`),
so an edited import, list file or messages file, a new file a pattern finds, or a link
pointed elsewhere builds the policy again (each file whose text is unchanged parsed no
more: the entry keeps the parses too). Only a policy without errors is kept, with
its warnings, so that a load from the cache reports what the first one did.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import KSP133, Diagnostic, sorted_diagnostics
from ..limits import DEFAULT, Limits
from . import checked as c
from .cache import (
    checked_key,
    kept_parses,
    parses_kept,
    read_checked,
    write_checked,
    write_parses,
)
from .checker import Checker
from .lints import lint
from .listfile import unread_lists
from .loader import Observation, read_policy, unchanged


@attrs.frozen
class Built:
    """What reading and checking a policy gives, before it is compiled."""

    checked: c.Policy | None  # None when any diagnostic is an error
    diagnostics: list[Diagnostic]  # every one, in reading order
    depth: int  # how deep its conditions nest, definitions as deep as what they stand for


def build(path: Path, limits: Limits = DEFAULT, root: Path | None = None) -> Built:
    """The policy at `path` (a folder or a .pol file) read, checked and linted."""
    key = checked_key(_described(path, limits, root))
    if key is None:
        return _build(path, limits, root)[0]
    entry = read_checked(key)
    found = _reusable(entry)
    if found is not None:
        return found
    # The entry's parses are kept in it (cache.parses_kept): written once, with the
    # checked policy that holds the same trees; a stale entry still gives its files'.
    with parses_kept(kept_parses(entry[4]) if _shaped(entry) else ()) as kept:
        built, observed = _build(path, limits, root)
    if built.checked is not None:
        value = (built.checked, built.diagnostics, built.depth, observed, tuple(kept.parses))
        if write_checked(key, value):
            return built
    write_parses(kept.fresh)
    return built


def _described(path: Path, limits: Limits, root: Path | None) -> str:
    """Everything but the files that decides what a load gives (the key's own part)."""
    where = [os.path.abspath(path), str(path)]
    if root is not None:
        where += [os.path.abspath(root), str(root)]
    return "\0".join([*where, repr(limits)])


def _shaped(entry: Any) -> bool:
    return isinstance(entry, tuple) and len(entry) == 5


def _reusable(entry: Any) -> Built | None:
    """The entry's policy when it has the expected shape and its files are unchanged."""
    if not _shaped(entry):
        return None
    checked, diagnostics, depth, observed, _ = entry
    if not (
        isinstance(checked, c.Policy)
        and isinstance(diagnostics, list)
        and all(isinstance(d, Diagnostic) for d in diagnostics)
        and isinstance(depth, int)
        and isinstance(observed, tuple)
        and unchanged(observed)
    ):
        return None
    return Built(checked, diagnostics, depth)


def _build(path: Path, limits: Limits, root: Path | None) -> tuple[Built, tuple[Observation, ...]]:
    sources = read_policy(path, limits, root)
    if any(d.code == KSP133 for d in sources.diagnostics):
        # A list refused for its size is left unread: checking the policy against it
        # would only report what its absence causes (codes not in it, lists unknown).
        return Built(None, sorted_diagnostics(sources.diagnostics), 0), sources.observed
    unread = unread_lists(sources.diagnostics, sources.lists)  # reported once, there
    checker = Checker(sources.modules, sources.lists, limits, sources.messages, unread)
    checked = checker.check(sources.sha256, sources.files)
    diagnostics = [*sources.diagnostics, *checker.diagnostics]
    if checked is not None:
        diagnostics += lint(checked)
    diagnostics = sorted_diagnostics(diagnostics)
    if any(d.is_error for d in diagnostics):
        checked = None
    return Built(checked, diagnostics, checker.deepest), sources.observed
