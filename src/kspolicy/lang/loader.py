"""Reading a policy from disk: its main file, the files it imports, its list files.

A policy is a directory with a `policy.pol` (or one `.pol` file given directly).
`import "x.pol"` and `lists "lists/*.toml"` are relative to the file that says them.
Every file read is hashed, so a decision can name exactly the data it was made with.

Whatever the reader learns from the file system (where a link leads, what a pattern
finds, whether a file exists, a file's sha256) is also kept as an `Observation`:
`unchanged` asks each again, so a checked policy made from these files can be reused
only while every answer is still the same (lang/build.py).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TypeAlias

import attrs

from ..diagnostics import KSP110, KSP131, KSP209, KSP213, KSP222, Code, Diagnostic, error
from ..files import TooLarge, os_help, os_reason, read_bounded
from ..limits import DEFAULT, Limits
from ..span import Source, Span
from . import nodes as n
from .cache import parse_cached
from .catalogue import ENGINE_LANGUAGES, Messages, read_messages
from .listfile import read_list_file
from .lists import NamedList

MAIN_FILE = "policy.pol"
DEFAULT_PACK = "knowledge-security"
Observation: TypeAlias = tuple[str, tuple[str, ...], object]
"""What the reader asked of the file system, and the answer: (kind, arguments, answer)."""
MESSAGES_FOLDER = "messages"
"""Where a policy keeps its own messages, `<lang>.toml`, next to its main file."""


@attrs.frozen
class Sources:
    """Everything read for one policy, and what went wrong reading it."""

    modules: tuple[n.Module, ...]
    lists: dict[str, NamedList]
    files: tuple[tuple[str, str], ...]
    diagnostics: tuple[Diagnostic, ...]
    messages: dict[str, Messages] = attrs.field(factory=dict)  # the policy's own, by language
    observed: tuple[Observation, ...] = ()  # everything the reading depended on

    @property
    def sha256(self) -> str:
        """The sha256 over every file's name and sha256: the policy's fingerprint."""
        digest = hashlib.sha256()
        for name, sha in self.files:
            digest.update(f"{name}\0{sha}\n".encode())
        return digest.hexdigest()


def default_policy_path() -> Path:
    """The built-in knowledge-security pack: inside the installed package, or the checkout."""
    packaged = resources.files("kspolicy").joinpath("policies").joinpath(DEFAULT_PACK)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "policies" / DEFAULT_PACK


def unchanged(observed: Iterable[Observation]) -> bool:
    """Whether the file system still answers every question as it did (see `Sources`)."""
    for kind, arguments, answer in observed:
        try:
            if _ask(kind, arguments) != answer:
                return False
        except (OSError, ValueError, NotImplementedError, TooLarge):
            return False  # asked again, it cannot be answered: not the same
    return True


def _ask(kind: str, arguments: tuple[str, ...]) -> object:
    """One question the reader asks of the file system: the one definition of each, so
    that `unchanged` asks exactly what reading did."""
    if kind == "real":
        return os.path.realpath(arguments[0])
    if kind == "main":
        return str(main_file(Path(arguments[0])))
    if kind == "exists":
        return _exists(Path(arguments[0]))
    if kind == "glob":
        return tuple(str(p) for p in _matches(Path(arguments[0]), arguments[1]))
    if kind == "sha256":
        path, limit = arguments
        return hashlib.sha256(read_bounded(path, int(limit), follow_links=False)).hexdigest()
    raise ValueError(f"no question {kind!r}")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return True  # reading it says why it cannot be read


def _matches(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file())


def main_file(path: Path) -> Path:
    """The file a policy starts from: `policy.pol` in a folder, or the .pol file given."""
    try:
        return path / MAIN_FILE if path.is_dir() else path
    except OSError:  # a folder that cannot be looked into: reading the file will say why
        return path / MAIN_FILE


def read_policy(path: Path, limits: Limits = DEFAULT, root: Path | None = None) -> Sources:
    """Parse the main file and every file it imports; read every list file it names.

    Every file imported or listed must lie inside `root` (by default the main file's
    folder) once links are followed: a policy cannot make the engine read, and quote in
    a diagnostic, a file from elsewhere on the machine.
    """
    entry = main_file(path)
    reader = _Reader(entry.parent, limits, root if root is not None else entry.parent)
    reader.observed.append(("main", (str(path),), str(entry)))
    reader.module(entry, None)
    reader.messages_files(entry.parent)
    return Sources(
        tuple(reader.modules),
        reader.lists,
        tuple(reader.files),
        tuple(reader.diagnostics),
        reader.messages,
        tuple(reader.observed),
    )


class _Reader:
    def __init__(self, folder: Path, limits: Limits, root: Path) -> None:
        self.folder = folder
        self.limits = limits
        self.observed: list[Observation] = []
        self.root = self._real(root)
        self.modules: list[n.Module] = []
        self.lists: dict[str, NamedList] = {}
        self.files: list[tuple[str, str]] = []
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[str] = set()
        self.messages: dict[str, Messages] = {}

    # Each asks the file system as `_ask` does, and keeps the question and the answer.

    def _real(self, path: str | os.PathLike[str]) -> str:
        real = os.path.realpath(path)
        self.observed.append(("real", (os.fspath(path),), real))
        return real

    def _exists(self, path: Path) -> bool:
        present = _exists(path)
        self.observed.append(("exists", (str(path),), present))
        return present

    def _matches(self, folder: Path, pattern: str) -> list[Path]:
        found = _matches(folder, pattern)
        self.observed.append(("glob", (str(folder), pattern), tuple(map(str, found))))
        return found

    def _name(self, path: Path) -> str:
        """A file's name as diagnostics show it: relative to the main file's folder."""
        return Path(os.path.relpath(path, self.folder)).as_posix()

    def _problem(self, code: Code, message: str, at: Span | None, help: str, name: str) -> None:
        span = at or Span(Source(name, ""), 0, 0)
        self.diagnostics.append(error(code, message, span, help))

    def _within(self, real: str) -> bool:
        try:
            return os.path.commonpath([real, self.root]) == self.root
        except ValueError:  # on another drive (Windows)
            return False

    def _inside(self, path: Path, written: str, at: Span) -> str | None:
        """The real path of a file a policy names, or None (and a diagnostic) when it
        lies outside the policy's folder. Links are followed first: a link inside the
        folder to a file outside it is refused like `../`."""
        real = self._real(path)
        if self._within(real):
            return real
        self._outside(path, written, at)
        return None

    def _outside(self, path: Path, written: str, at: Span) -> None:
        if os.path.isabs(written):
            what = f"`{written}` is an absolute path"
        elif ".." in Path(written).parts:
            what = f"`{written}` leads out of the policy's folder"
        else:
            what = f"`{self._name(path)}` is a link to a file outside the policy's folder"
        hint = (
            "a policy reads only files inside its folder, named relative to the file that "
            "names them; copy the file into the folder"
        )
        self.diagnostics.append(error(KSP213, what, at, hint))

    def _read(
        self, path: Path, real: str, at: Span | None, imported: str | None = None
    ) -> Source | None:
        """A policy or list file's text, or None (and a diagnostic); `imported` is the
        path an `import` wrote, to say that no such file exists in its words."""
        name = self._name(path)
        limit = self.limits.max_file_bytes
        try:
            # The real path, not followed again: what was checked is what is read.
            raw = read_bounded(real, limit, follow_links=False)
            text = raw.decode("utf-8")
        except TooLarge as exc:
            size = f"is {exc.size:,} bytes" if exc.size is not None else "grew past the limit"
            message = f"`{name}` {size}; the limit is {limit:,}"
            hint = "split it, or raise the limit (docs/limits.md)"
            self._problem(KSP131, message, at, hint, name)
            return None
        except UnicodeDecodeError:
            message = f"cannot read `{name}`: it is not UTF-8 text"
            hint = "check the file's name and that it is UTF-8 text"
            self._problem(KSP110, message, at, hint, name)
            return None
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            if imported is not None and isinstance(exc, FileNotFoundError) and at is not None:
                message = f"no file `{imported}` to import"
                self.diagnostics.append(error(KSP213, message, at, _near(path)))
                return None
            reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            hint = os_help(exc) if isinstance(exc, OSError) else "check the file's name"
            self._problem(KSP110, f"cannot read `{_shown(name)}`: {reason}", at, hint, name)
            return None
        sha256 = hashlib.sha256(raw).hexdigest()
        self.files.append((name, sha256))
        self.observed.append(("sha256", (real, str(limit)), sha256))
        return Source(name, text)

    def module(self, path: Path, at: Span | None, imported: str | None = None) -> None:
        real = self._real(path)
        if real in self.seen:
            return
        self.seen.add(real)
        if at is None:
            source = self._read_main(path, real)
        else:
            source = self._read(path, real, at, imported)
        if source is None:
            return
        limits = self.limits
        module, diagnostics = parse_cached(source, limits.max_depth, limits.max_item_chars)
        self.modules.append(module)
        self.diagnostics.extend(diagnostics)
        for item in module.items:
            if isinstance(item, n.Import):
                self.imported(path.parent, item)
            elif isinstance(item, n.Lists):
                self.list_files(path.parent, item)

    def _read_main(self, path: Path, real: str) -> Source | None:
        try:
            os.stat(path)
            present = True
        except FileNotFoundError:
            present = False
        except (OSError, ValueError):
            present = True  # there, or not: reading it says which, and why
        if present:
            return self._read(path, real, None)
        where = Source(str(path), "")
        try:
            folder = path.parent.is_dir()
        except OSError:
            folder = False
        hint = (
            f"a policy directory holds a `{MAIN_FILE}`"
            if folder and path.name == MAIN_FILE
            else "give a policy directory or a .pol file"
        )
        self.diagnostics.append(error(KSP110, "no policy file here", Span(where, 0, 0), hint))
        return None

    def messages_files(self, folder: Path) -> None:
        """`messages/<lang>.toml` for each language the header names: required for a
        language the engine has no words for, optional (its words replace the
        engine's) for one it has. Hashed like every file: open questions use them."""
        headers = [i for m in self.modules for i in m.items if isinstance(i, n.PolicyHeader)]
        if not headers:
            return  # the checker reports the missing header
        for lang in headers[0].languages:
            written = f"{MESSAGES_FOLDER}/{lang.text}.toml"
            path = folder / written
            present = self._exists(path)
            if not present:
                if lang.text not in ENGINE_LANGUAGES:
                    message = f"the engine has no messages in `{lang.text}`"
                    hint = (
                        f"ship them in `{written}` next to {MAIN_FILE}, translated from the "
                        f"engine's messages/en.toml (docs/language.md, section Messages); "
                        f"the engine has {', '.join(ENGINE_LANGUAGES)}"
                    )
                    self.diagnostics.append(error(KSP222, message, lang.span, hint))
                continue
            real = self._inside(path, written, lang.span)
            if real is None:
                continue
            source = self._read(path, real, lang.span)
            if source is None:
                continue
            found, diagnostics = read_messages(source, lang.text)
            self.diagnostics.extend(diagnostics)
            if found is not None:
                self.messages[lang.text] = found

    def imported(self, folder: Path, item: n.Import) -> None:
        if not item.path.strip():
            hint = 'name a .pol file, relative to this one: `import "schema.pol"`'
            self.diagnostics.append(error(KSP213, "the import names no file", item.span, hint))
            return
        target = folder / item.path
        if self._inside(target, item.path, item.span) is not None:
            self.module(target, item.span, item.path)

    def list_files(self, folder: Path, item: n.Lists) -> None:
        pattern = item.pattern
        if not pattern.strip():
            hint = 'name the list files with a pattern, such as `lists "lists/*.toml"`'
            self.diagnostics.append(error(KSP213, "the pattern is empty", item.span, hint))
            return
        # Checked before looking: a pattern that leads out is never searched for.
        reach = os.path.normpath(os.path.join(self._real(folder), pattern))
        if os.path.isabs(pattern) or not self._within(reach):
            self._outside(folder / pattern, pattern, item.span)
            return
        try:
            matches = self._matches(folder, pattern)
        except (OSError, ValueError, NotImplementedError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            hint = "a pattern is a path inside the policy's folder, such as `lists/*.toml`"
            message = f"cannot look for `{pattern}`: {reason}"
            self.diagnostics.append(error(KSP213, message, item.span, hint))
            return
        if not matches:
            self.diagnostics.append(
                error(
                    KSP213,
                    f"`{pattern}` finds no list file",
                    item.span,
                    _near(folder / pattern),
                )
            )
        for path in matches:
            real = self._inside(path, self._name(path), item.span)
            if real is None or real in self.seen:
                continue
            self.seen.add(real)
            source = self._read(path, real, item.span)
            if source is None:
                continue
            self._add_lists(source, item)

    def _add_lists(self, source: Source, item: n.Lists) -> None:
        lists, diagnostics = read_list_file(source, self.limits)
        self.diagnostics.extend(diagnostics)
        for named in lists:
            if named.name in self.lists:
                first = self.lists[named.name]
                span = named.span or item.span
                self.diagnostics.append(
                    error(
                        KSP209,
                        f"list `{named.name}` is defined twice",
                        span,
                        f"the first is in {first.span}",
                    )
                )
                continue
            self.lists[named.name] = named


def _near(target: Path) -> str:
    folder = target.parent
    try:
        if not folder.is_dir():
            return f"there is no folder `{folder.name}` next to the policy"
        others = sorted(p.name for p in folder.iterdir() if p.suffix in (".pol", ".toml"))
    except OSError as exc:
        return (
            f"the folder `{_shown(folder.name)}` cannot be read: {os_reason(exc)}; {os_help(exc)}"
        )
    return (
        f"files there: {', '.join(others)}" if others else "the folder has no .pol or .toml files"
    )


def _shown(name: str, width: int = 60) -> str:
    """A name short enough for a message; a name too long for the file system is long."""
    return name if len(name) <= width else f"{name[: width // 2]}…{name[-width // 2 :]}"
