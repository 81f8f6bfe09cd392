"""A cache of parsed policy files, so that loading a file seen before skips the parser.

Parsing is most of the time it takes to load a large policy (Lark's LALR parser runs in
Python), and a program that loads the same policy at every start, or a CLI called again
and again, parses the same text each time. Like Python's `__pycache__`, this keeps what
the parser made of a file, and like mypy's cache it is addressed by content: the key is
the sha256 of the file's name and text, the depth limit, and the engine's own parser,
grammar and node sources, so a changed file or a changed kspolicy never reads a stale
entry. A missing, unreadable or corrupt entry is parsed again; the cache only ever
changes how fast a load is, never what it gives.

Where: `$KSPOLICY_CACHE`, else `$XDG_CACHE_HOME/kspolicy`, else `~/.cache/kspolicy`;
`KSPOLICY_CACHE=off` turns it off. Entries are pickles, so the folder must be the
user's own: one that another user owns, or that others may write to, is not used.
The newest `KEEP` entries are kept.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from functools import cache
from pathlib import Path

from . import nodes as n
from .diagnostics import Diagnostic
from .parser import grammar_text, parse_module
from .span import Source

KEEP = 64
"""How many parsed files the cache keeps (the most recently used)."""

_ENGINE_FILES = (
    "parser.py",
    "lexer.py",
    "lalr.py",
    "nodes.py",
    "span.py",
    "diagnostics.py",
    "limits.py",
    "cache.py",
)


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get("KSPOLICY_CACHE")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no", "false") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kspolicy"


def parse_cached(source: Source, max_depth: int) -> tuple[n.Module, list[Diagnostic]]:
    """`parse_module(source, max_depth)`, read from the cache when this text was parsed before."""
    folder = _usable(cache_dir())
    if folder is None:
        return parse_module(source, max_depth)
    entry = folder / f"parse-{_key(source, max_depth)}.pickle"
    found = _read(entry)
    if found is not None:
        return found
    parsed = parse_module(source, max_depth)
    _write(folder, entry, parsed)
    return parsed


@cache
def _engine_fingerprint() -> str | None:
    """The sha256 of the code that decides what a parse gives (None: cannot tell, no cache)."""
    digest = hashlib.sha256(grammar_text().encode("utf-8"))
    here = Path(__file__).parent
    try:
        for name in _ENGINE_FILES:
            digest.update((here / name).read_bytes())
    except OSError:  # installed without its sources: a stale entry could not be told apart
        return None
    return digest.hexdigest()


def _key(source: Source, max_depth: int) -> str:
    digest = hashlib.sha256(f"{_engine_fingerprint()}\0{max_depth}\0{source.name}\0".encode())
    digest.update(source.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _usable(folder: Path | None) -> Path | None:
    """The folder, created if need be, when it is safe to read pickles from it."""
    if folder is None or _engine_fingerprint() is None:
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    foreign = hasattr(os, "getuid") and info.st_uid != os.getuid()
    if foreign or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or not stat.S_ISDIR(info.st_mode):
        return None
    return folder


def _read(entry: Path) -> tuple[n.Module, list[Diagnostic]] | None:
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    try:
        module, diagnostics = pickle.loads(data)
    except Exception:  # a truncated or otherwise broken entry: parse again
        return None
    if not isinstance(module, n.Module) or not isinstance(diagnostics, list):
        return None
    try:
        os.utime(entry)  # most recently used: kept longest
    except OSError:
        pass
    return module, diagnostics


def _write(folder: Path, entry: Path, parsed: tuple[n.Module, list[Diagnostic]]) -> None:
    try:
        data = pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return  # something unpicklable in a tree: this file is not cached
    try:
        # Written whole to a temporary file, then renamed: a reader never sees half an entry.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".parse-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, entry)
        _prune(folder)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("parse-*.pickle"), key=_mtime, reverse=True)
    for old in entries[KEEP:]:
        try:
            old.unlink()
        except OSError:
            pass


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
