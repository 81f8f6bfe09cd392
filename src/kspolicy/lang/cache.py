"""A cache of parsed policy files and of checked policies, so that loading a policy seen
before skips the parser, and loading one whose files are all unchanged skips the checker.

Parsing is most of the time it takes to load a large policy (Lark's LALR parser runs in
Python), and a program that loads the same policy at every start, or a CLI called again
and again, parses the same text each time. Like Python's `__pycache__`, this keeps what
the parser made of a file, and like mypy's cache it is addressed by content: the key is
the sha256 of the file's name and text, the depth limit, the versions of Python, Lark and
kspolicy, and the engine's own grammar and parsing sources (`ENGINE_MODULES`), so a
changed file or a changed engine never reads a stale entry. A missing, unreadable, corrupt,
foreign or misplaced entry is parsed again; the cache only ever changes how fast a load
is, never what it gives.

Where: `$KSPOLICY_CACHE`, else `$XDG_CACHE_HOME/kspolicy`, else `~/.cache/kspolicy`;
`KSPOLICY_CACHE=off` turns it off.

Entries are pickles, and unpickling runs code, so an entry is only unpickled when nobody
but its user can have made it. Three defences, each enough against a planted entry:

- The folder's whole path is trusted, as ssh's StrictModes checks it: resolved once, then
  walked from `/` without following links, every folder on it owned by root or the user
  and writable by nobody else (or sticky, like `/tmp`), the last one the user's own. The
  entries are opened relative to that walked folder, with `O_NOFOLLOW`, and must be
  regular files of the user's, of bounded size.
- Each entry starts with an HMAC-SHA256, under a per-user secret kept outside the cache
  (`$XDG_STATE_HOME/kspolicy/cache.key`, mode 0600, its folder checked the same way), of
  the entry's name and content. It is checked before anything is unpickled, so an entry
  made without the secret, or copied from another file's key to this one, is ignored.
- Unpickling may only make the engine's own node, span and diagnostic classes (and
  dates): a stray entry cannot name `os.system`.

When the folder or the secret cannot be made or trusted, or the platform lacks
`O_NOFOLLOW` and `dir_fd`, there is no cache: every load parses. The newest `KEEP`
entries are kept.

The same folder, secret and checks hold a second kind of entry, `checked-*.pickle`: a
whole checked policy (`lang/build.py` decides what goes in and when it may be used).
Its key covers what a checked policy can depend on besides the files it was read from:
the versions above and every source file of the layers that make it (`CHECKED_SOURCES`).
Its unpickler may also make the checked policy's own classes (checked expressions, the
schema's types, lists, the message catalogue), and dates and times, nothing else. A
checked entry also holds the parses of its files (`parses_kept`): the trees the checked
policy shares are pickled once, and a policy kept that way writes no parse entries.
"""

from __future__ import annotations

import copyreg
import datetime as dt
import errno
import hashlib
import hmac
import io
import operator
import os
import pickle
import secrets
import stat
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

import attrs
import lark

from ..diagnostics import Diagnostic
from ..limits import DEFAULT
from ..span import Source
from ..version import __version__
from . import nodes as n
from .parser import grammar_text, parse_module

KEEP = 64
"""How many parsed files the cache keeps (the most recently used)."""

ENGINE_MODULES = (
    "lang/parser.py",
    "lang/builder.py",
    "lang/layout.py",
    "lang/syntax.py",
    "lang/nodes.py",
    "span.py",
    "diagnostics.py",
    "limits.py",
    "lang/cache.py",
)
"""The kspolicy sources whose code decides what a parse gives: all are in the key.

Paths are relative to the package's folder (`src/kspolicy/`).

Edit this list when the parser's modules change. A listed file that does not exist is
keyed as absent (it cannot change a parse), so a stale name costs nothing.
"""

KEEP_CHECKED = 16
"""How many checked policies the cache keeps (the most recently used)."""

CHECKED_SOURCES_LEFT_OUT = ("eval", "render", "tools")
"""The package's folders left out of a checked entry's key; every other file is in it.

A checked policy is made by `lang/` and the layer-0 modules below it: by the layer rules
(docs/architecture.md, enforced by tests/test_layers.py) nothing in these folders can
change one. Hashing the rest whole, rather than a list of modules, keeps the key right
when a module is split or added; a change elsewhere (the facade, a new package) only
costs one check.
"""

MAX_ENTRY_BYTES = 512 * 1024 * 1024
"""An entry larger than this is not read (dense policy text pickles to about nine times
its size, and a policy file is at most 5 MB)."""

_MAGIC = b"kspolicy parse cache 2\n"
_CHECKED_MAGIC = b"kspolicy checked cache 2\n"
_MAC_SIZE = hashlib.sha256().digest_size
_SECRET_SIZE = 32
_SECRET_NAME = "cache.key"

# The classes an entry may make. Anything else (a function, `os.system`) fails the load.
_ALLOWED_MODULES = frozenset({"kspolicy.lang.nodes", "kspolicy.span", "kspolicy.diagnostics"})
_ALLOWED_OTHERS: dict[tuple[str, str], type] = {("datetime", "date"): dt.date}
# A checked policy holds, besides a parse's classes, those the checker makes, and the
# dates, times and periods that list files give (`retrieved`, `max_age`, entries' data).
_CHECKED_MODULES = _ALLOWED_MODULES | {
    "kspolicy.lang.checked",
    "kspolicy.lang.schema",
    "kspolicy.lang.lists",
    "kspolicy.lang.catalogue",
    "kspolicy.lang.validity",
}
_CHECKED_OTHERS: dict[tuple[str, str], type] = {
    ("datetime", name): getattr(dt, name)
    for name in ("date", "datetime", "time", "timedelta", "timezone")
}

_OPEN_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_OPEN_FILE = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get("KSPOLICY_CACHE")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no", "false") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kspolicy"


def secret_dir() -> Path:
    """The folder of the per-user secret that authenticates entries (never the cache's)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "kspolicy"


Parsed: TypeAlias = tuple[str, n.Module, list[Diagnostic]]
"""A parse as an entry holds it: the entry's name (its key), the tree, the diagnostics."""


@attrs.define
class Kept:
    """The parses of one load, kept for its checked entry (see `parses_kept`)."""

    parses: list[Parsed] = attrs.Factory(list)  # every file's, in reading order
    fresh: list[Parsed] = attrs.Factory(list)  # those parsed now, found in no entry
    seed: dict[str, tuple[n.Module, list[Diagnostic]]] = attrs.Factory(dict)


class _Keeping(threading.local):
    kept: Kept | None = None


_keeping = _Keeping()


@contextmanager
def parses_kept(seed: Iterable[Parsed] = ()) -> Iterator[Kept]:
    """While it lasts (in this thread), `parse_cached` writes no entry of its own: every
    parse it makes or reads is kept, for the caller to store inside its checked entry.

    A checked policy holds the syntax trees it was checked from, so pickling the parses
    apart pickled them twice: writing the cache took most of a cold load's time again
    (RESULTS.md, *Load*). Stored in the same pickle, the trees are written once. `seed`
    holds the parses an earlier checked entry kept, one whose files have since changed
    (a list file edited): each file whose text is unchanged is taken from it, as from
    its own entry, for its name is the same key. What the caller cannot store (a policy
    with errors is never kept) it writes with `write_parses(kept.fresh)`.
    """
    kept = Kept(seed={name: (module, diagnostics) for name, module, diagnostics in seed})
    outer, _keeping.kept = _keeping.kept, kept
    try:
        yield kept
    finally:
        _keeping.kept = outer


def parse_cached(
    source: Source, max_depth: int, max_item_chars: int = DEFAULT.max_item_chars
) -> tuple[n.Module, list[Diagnostic]]:
    """`parse_module(source, ...)`, read from the cache when this text was parsed before."""
    folder = cache_dir()
    secret = None if folder is None else _secret()
    if folder is None or secret is None or _sources_fingerprint() is None:
        return parse_module(source, max_depth, max_item_chars)
    name = f"parse-{_key(source, max_depth, max_item_chars)}.pickle"
    kept = _keeping.kept
    found = None if kept is None else kept.seed.get(name)
    if found is None:
        with _trusted_dir(folder) as fd:
            found = None if fd is None else _read(fd, name, secret)
            if found is None:
                found = parse_module(source, max_depth, max_item_chars)
                if kept is not None:
                    kept.fresh.append((name, *found))
                elif fd is not None:
                    _write(fd, name, secret, found)
    if kept is not None:
        kept.parses.append((name, *found))
    return found


def write_parses(parses: Iterable[Parsed]) -> None:
    """Write each parse to an entry of its own (those `parses_kept` kept and no checked
    entry holds); silently not, when it cannot be."""
    folder = cache_dir()
    secret = None if folder is None else _secret()
    if folder is None or secret is None:
        return
    with _trusted_dir(folder) as fd:
        if fd is not None:
            for name, module, diagnostics in parses:
                _write(fd, name, secret, (module, diagnostics))


def kept_parses(entry: object) -> tuple[Parsed, ...]:
    """The parses a checked entry's value holds (`parses_kept`), those of the right shape."""
    if not isinstance(entry, tuple):
        return ()
    return tuple(
        (name, module, diagnostics)
        for name, module, diagnostics in (p for p in entry if isinstance(p, tuple) and len(p) == 3)
        if isinstance(name, str)
        and name.startswith("parse-")
        and isinstance(module, n.Module)
        and isinstance(diagnostics, list)
    )


def checked_key(what: str) -> str | None:
    """The key of a checked entry for `what` (the caller's own description of the load:
    paths, limits), or None when there is no cache (off, untrusted, no sources)."""
    if cache_dir() is None or _checked_fingerprint() is None:
        return None
    header = f"{_versions()}\0{_checked_fingerprint()}\0"
    return hashlib.sha256((header + what).encode("utf-8", "surrogatepass")).hexdigest()


def read_checked(key: str) -> Any:
    """What `write_checked` stored under `key`, authenticated and unpickled with only the
    checked policy's classes allowed; None when there is none to trust."""
    folder = cache_dir()
    secret = None if folder is None else _secret()
    if folder is None or secret is None:
        return None
    name = f"checked-{key}.pickle"
    with _trusted_dir(folder) as fd:
        payload = None if fd is None else _read_payload(fd, name, secret, _CHECKED_MAGIC)
    if payload is None:
        return None
    try:
        return _loads(payload, _CHECKED_MODULES, _CHECKED_OTHERS)
    except Exception:  # a class the engine no longer has, a renamed field: build again
        return None


def write_checked(key: str, value: object) -> bool:
    """Store `value` under `key`, for `read_checked`; whether it was (silently not, when
    it cannot be)."""
    folder = cache_dir()
    secret = None if folder is None else _secret()
    if folder is None or secret is None:
        return False
    with _trusted_dir(folder) as fd:
        if fd is None:
            return False
        return _write_payload(fd, f"checked-{key}.pickle", secret, value, _CHECKED_MAGIC)


def _versions() -> str:
    """What, besides the sources, decides how a text parses: Python, Lark, kspolicy."""
    python = sys.implementation
    return "\0".join(
        (sys.version, python.name, str(python.cache_tag), lark.__version__, __version__)
    )


@cache
def _sources_fingerprint() -> str | None:
    """The sha256 of the grammar and `ENGINE_MODULES` (None: installed without sources)."""
    digest = hashlib.sha256(grammar_text().encode("utf-8"))
    here = Path(__file__).parent.parent  # the package's folder: names are relative to it
    for name in ENGINE_MODULES:
        try:
            text = (here / name).read_bytes()
        except FileNotFoundError:
            text = b"absent"
        except OSError:
            return None
        digest.update(f"\0{name}\0{len(text)}\0".encode())
        digest.update(text)
    # Without its own source, the engine could be changed under an unchanged key.
    return digest.hexdigest() if (here / "lang" / "parser.py").is_file() else None


@cache
def _checked_fingerprint() -> str | None:
    """The sha256 of every file of the package but `CHECKED_SOURCES_LEFT_OUT`'s (None:
    installed without sources, or a file that cannot be read)."""
    here = Path(__file__).parent.parent
    if not (here / "lang" / "checker.py").is_file():
        return None  # compiled only: the engine could change under an unchanged key
    digest = hashlib.sha256()
    try:
        for path in sorted(_engine_files(here)):
            text = path.read_bytes()
            name = path.relative_to(here).as_posix()
            digest.update(f"\0{name}\0{len(text)}\0".encode())
            digest.update(text)
    except OSError:
        return None
    return digest.hexdigest()


def _engine_files(here: Path) -> Iterator[Path]:
    for folder, folders, files in os.walk(here):
        # Sorted in place: the walk's order, and so the digest, is the same everywhere.
        folders[:] = sorted(
            name
            for name in folders
            if name != "__pycache__"
            and not (folder == str(here) and name in CHECKED_SOURCES_LEFT_OUT)
        )
        for name in files:
            if not name.endswith((".pyc", ".pyo")):
                yield Path(folder) / name


def _key(source: Source, max_depth: int, max_item_chars: int = DEFAULT.max_item_chars) -> str:
    limits = f"{max_depth}\0{max_item_chars}"
    header = f"{_versions()}\0{_sources_fingerprint()}\0{limits}\0{source.name}\0"
    digest = hashlib.sha256(header.encode("utf-8", "surrogatepass"))
    digest.update(source.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _mac(secret: bytes, name: str, payload: bytes, magic: bytes = _MAGIC) -> bytes:
    # The entry's name (its key) is inside the MAC: an entry moved to another key fails.
    mac = hmac.new(secret, magic + name.encode("ascii") + b"\0", hashlib.sha256)
    mac.update(payload)
    return mac.digest()


def _supported() -> bool:
    return (
        hasattr(os, "getuid")
        and hasattr(os, "O_NOFOLLOW")
        and hasattr(os, "O_DIRECTORY")
        and {os.open, os.mkdir, os.unlink, os.rename, os.link} <= os.supports_dir_fd
        and os.scandir in os.supports_fd
    )


def _trusted_ancestor(info: os.stat_result) -> bool:
    """A folder on the way: nobody but root and the user can replace what it holds."""
    if info.st_uid not in (0, os.getuid()) or not stat.S_ISDIR(info.st_mode):
        return False
    # In a sticky folder (`/tmp`) only an entry's owner may rename or remove it.
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or bool(info.st_mode & stat.S_ISVTX)


def _trusted_own(info: os.stat_result) -> bool:
    """The cache's or the secret's own folder: the user's, writable by nobody else."""
    return (
        stat.S_ISDIR(info.st_mode)
        and info.st_uid == os.getuid()
        and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


@contextmanager
def _trusted_dir(folder: Path) -> Iterator[int | None]:
    """An open descriptor of `folder` (made if need be) when its whole path is trusted.

    The path is resolved once; then each of its folders is opened relative to the one
    before with `O_NOFOLLOW` and checked through its descriptor, so a link swapped in
    after the resolution stops the walk instead of leading it elsewhere.
    """
    fd = _open_trusted(folder) if _supported() else None
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def _open_trusted(folder: Path) -> int | None:
    try:
        if not _links_trusted(folder):
            return None
        resolved = os.path.realpath(folder)
        fd = os.open("/", _OPEN_DIR)
    except (OSError, ValueError):
        return None
    trusted = False
    try:
        for part in [part for part in resolved.split("/") if part]:
            if not _trusted_ancestor(os.fstat(fd)):
                break
            child = _open_child(fd, part)
            os.close(fd)
            fd = child
        else:
            trusted = _trusted_own(os.fstat(fd))
    except (OSError, ValueError):
        pass
    if trusted:
        return fd
    os.close(fd)
    return None


def _open_child(parent: int, name: str) -> int:
    """The folder `name` in `parent`, made (private) when missing; never through a link."""
    try:
        return os.open(name, _OPEN_DIR, dir_fd=parent)
    except FileNotFoundError:
        pass
    with suppress(FileExistsError):  # made at the same moment by another process
        os.mkdir(name, 0o700, dir_fd=parent)
    return os.open(name, _OPEN_DIR, dir_fd=parent)


def _links_trusted(folder: Path) -> bool:
    """No link on the path as given belongs to another user (who could point it anywhere)."""
    path = Path(os.path.abspath(folder))
    for prefix in [path, *path.parents]:
        try:
            info = os.lstat(prefix)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode) and info.st_uid not in (0, os.getuid()):
            return False
    return True


def _secret() -> bytes | None:
    """The per-user secret, made on first use; None when it cannot be made or trusted."""
    with _trusted_dir(secret_dir()) as fd:
        if fd is None:
            return None
        try:
            found = _read_secret(fd)
            if found is None:
                _make_secret(fd)
                found = _read_secret(fd)
        except OSError:
            return None
        return found


def _read_secret(folder: int) -> bytes | None:
    try:
        fd = os.open(_SECRET_NAME, _OPEN_FILE, dir_fd=folder)
    except FileNotFoundError:
        return None
    try:
        info = os.fstat(fd)
        private = info.st_uid == os.getuid() and not info.st_mode & 0o077
        if not (stat.S_ISREG(info.st_mode) and private and info.st_size == _SECRET_SIZE):
            raise OSError(errno.EPERM, "the cache's secret is not the user's own")
        data = os.read(fd, _SECRET_SIZE + 1)
    finally:
        os.close(fd)
    if len(data) != _SECRET_SIZE:
        raise OSError(errno.EIO, "the cache's secret is cut short")
    return data


def _make_secret(folder: int) -> None:
    # Written whole under a temporary name, then linked into place, which fails when
    # another process was first: nobody ever reads half a secret, and theirs is kept.
    temporary = _write_temporary(folder, secrets.token_bytes(_SECRET_SIZE), ".key-")
    try:
        os.link(temporary, _SECRET_NAME, src_dir_fd=folder, dst_dir_fd=folder)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary, dir_fd=folder)


def _write_temporary(folder: int, data: bytes, prefix: str) -> str:
    """A new file of the user's only, holding `data`, in `folder`; its name."""
    name = f"{prefix}{secrets.token_hex(8)}.tmp"
    fd = os.open(name, _CREATE, 0o600, dir_fd=folder)
    try:
        with open(fd, "wb", closefd=False) as out:  # writes all of it, or raises
            out.write(data)
    except BaseException:
        os.close(fd)
        with suppress(OSError):
            os.unlink(name, dir_fd=folder)
        raise
    os.close(fd)
    return name


class _EngineUnpickler(pickle.Unpickler):
    """An unpickler that can make only the engine's own data classes."""

    def __init__(
        self,
        payload: bytes,
        modules: frozenset[str] = _ALLOWED_MODULES,
        others: dict[tuple[str, str], type] = _ALLOWED_OTHERS,
    ) -> None:
        super().__init__(io.BytesIO(payload))
        self.modules = modules
        self.others = others

    def find_class(self, module: str, name: str) -> Any:
        allowed = self.others.get((module, name))
        if allowed is not None:
            return allowed
        if module in self.modules:
            found = getattr(sys.modules[module], name, None)
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"an entry may not make {module}.{name}")


def _loads(
    payload: bytes,
    modules: frozenset[str] = _ALLOWED_MODULES,
    others: dict[tuple[str, str], type] = _ALLOWED_OTHERS,
) -> Any:
    """Unpickle an authenticated entry's payload with only the engine's classes allowed."""
    return _EngineUnpickler(payload, modules, others).load()


def _read(folder: int, name: str, secret: bytes) -> tuple[n.Module, list[Diagnostic]] | None:
    payload = _read_payload(folder, name, secret, _MAGIC)
    if payload is None:
        return None
    try:
        module, diagnostics = _loads(payload)
    except Exception:  # a class the engine no longer has, a renamed field: parse again
        return None
    if not isinstance(module, n.Module) or not isinstance(diagnostics, list):
        return None
    return module, diagnostics


def _read_payload(folder: int, name: str, secret: bytes, magic: bytes) -> bytes | None:
    """An entry's payload, when it is the user's own file and made with their secret."""
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=folder)
    except OSError:  # absent, or a link (ELOOP): parse again
        return None
    try:
        info = os.fstat(fd)
        header = len(magic) + _MAC_SIZE
        if not (
            stat.S_ISREG(info.st_mode)
            and info.st_uid == os.getuid()
            and info.st_nlink == 1
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            and header < info.st_size <= MAX_ENTRY_BYTES
        ):
            return None
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(info.st_size + 1)
        with suppress(OSError):
            os.utime(fd)  # most recently used: kept longest
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) != info.st_size or not data.startswith(magic):
        return None
    mac, payload = data[len(magic) : header], data[header:]
    if not hmac.compare_digest(mac, _mac(secret, name, payload, magic)):
        return None  # not made with this user's secret for this key: never unpickled
    return payload


def _write(
    folder: int, name: str, secret: bytes, parsed: tuple[n.Module, list[Diagnostic]]
) -> None:
    _write_payload(folder, name, secret, parsed, _MAGIC)


def _dumps(value: object, magic: bytes) -> bytes:
    """An entry's payload; checked entries with their attrs classes made by `__init__`."""
    if magic != _CHECKED_MAGIC:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _by_init()
    pickler.dump(value)
    return out.getvalue()


def _by_init() -> dict[type, Any]:
    """Reductions that remake each attrs class of a checked policy by calling it.

    By default attrs pickles a slotted class's fields as state that its `__setstate__`
    sets one by one, in a loop; the generated `__init__` is straight-line code. Reading
    a checked policy of 3,000 rules back took ~15-30% less time, and its entry ~15%
    less room. Only classes whose fields are all positional `__init__` arguments.
    """
    table: dict[type, Any] = dict(copyreg.dispatch_table)
    for module in _CHECKED_MODULES:
        for found in vars(sys.modules.get(module, object)).values():
            if isinstance(found, type) and found.__module__ == module and attrs.has(found):
                fields = attrs.fields(found)
                if all(f.init and not f.kw_only and f.alias == f.name for f in fields):
                    table[found] = _by_calling(found, tuple(f.name for f in fields))
    return table


def _by_calling(cls: type, names: tuple[str, ...]) -> Any:
    # The fields are read by `attrgetter`, in C: this runs once per object pickled, and
    # a generator over the names cost most of the time to write a checked entry.
    if not names:

        def reduce_none(value: object) -> tuple[type, tuple[object, ...]]:
            return cls, ()

        return reduce_none
    getter = operator.attrgetter(*names)
    if len(names) == 1:

        def reduce_one(value: object) -> tuple[type, tuple[object, ...]]:
            return cls, (getter(value),)

        return reduce_one

    def reduce(value: object) -> tuple[type, tuple[object, ...]]:
        return cls, getter(value)

    return reduce


def _write_payload(folder: int, name: str, secret: bytes, value: object, magic: bytes) -> bool:
    try:
        payload = _dumps(value, magic)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return False  # something unpicklable in a tree: this file is not cached
    data = magic + _mac(secret, name, payload, magic) + payload
    try:
        # Written whole to a new private file, then renamed: a reader never sees half an entry.
        temporary = _write_temporary(folder, data, "." + name.split("-", 1)[0] + "-")
    except OSError:
        return False
    try:
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        with suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        return False
    kind = name.split("-", 1)[0] + "-"
    _prune(folder, kind, KEEP if kind == "parse-" else KEEP_CHECKED)
    return True


def _prune(folder: int, kind: str = "parse-", keep: int | None = None) -> None:
    """Keep the `keep` most recently used entries whose names start with `kind`."""
    keep = KEEP if keep is None else keep
    found: list[tuple[float, str]] = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                if entry.name.startswith(kind) and entry.name.endswith(".pickle"):
                    with suppress(OSError):
                        found.append((entry.stat(follow_symlinks=False).st_mtime, entry.name))
    except OSError:
        return
    found.sort(reverse=True)
    for _, old in found[keep:]:
        with suppress(OSError):
            os.unlink(old, dir_fd=folder)
