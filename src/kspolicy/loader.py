"""Reading a policy from disk: its main file, the files it imports, its list files.

A policy is a directory with a `policy.pol` (or one `.pol` file given directly).
`import "x.pol"` and `lists "lists/*.toml"` are relative to the file that says them.
Every file read is hashed, so a decision can name exactly the data it was made with.
"""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path

import attrs

from . import nodes as n
from .cache import parse_cached
from .diagnostics import Diagnostic, error
from .limits import DEFAULT, Limits
from .lists import NamedList
from .serde import read_list_file
from .span import Source, Span

MAIN_FILE = "policy.pol"
DEFAULT_PACK = "knowledge-security"


@attrs.frozen
class Sources:
    """Everything read for one policy, and what went wrong reading it."""

    modules: tuple[n.Module, ...]
    lists: dict[str, NamedList]
    files: tuple[tuple[str, str], ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for name, sha in self.files:
            digest.update(f"{name}\0{sha}\n".encode())
        return digest.hexdigest()


def default_policy_path() -> Path:
    """The built-in knowledge-security pack: inside the installed package, or the checkout."""
    packaged = resources.files("kspolicy").joinpath("policies").joinpath(DEFAULT_PACK)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "policies" / DEFAULT_PACK


def main_file(path: Path) -> Path:
    return path / MAIN_FILE if path.is_dir() else path


def read_policy(path: Path, limits: Limits = DEFAULT) -> Sources:
    """Parse the main file and every file it imports; read every list file it names."""
    entry = main_file(path)
    root = entry.parent
    reader = _Reader(root, limits)
    if not entry.is_file():
        where = Source(str(entry), "")
        hint = (
            f"a policy directory holds a `{MAIN_FILE}`"
            if path.is_dir()
            else "give a policy directory or a .pol file"
        )
        reader.diagnostics.append(error("KSP110", "no policy file here", Span(where, 0, 0), hint))
    else:
        reader.module(entry, None)
    return Sources(
        tuple(reader.modules), reader.lists, tuple(reader.files), tuple(reader.diagnostics)
    )


class _Reader:
    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root
        self.limits = limits
        self.modules: list[n.Module] = []
        self.lists: dict[str, NamedList] = {}
        self.files: list[tuple[str, str]] = []
        self.diagnostics: list[Diagnostic] = []
        self.seen: set[Path] = set()

    def _name(self, path: Path) -> str:
        """A file's name as diagnostics show it: relative to the main file's folder."""
        return Path(os.path.relpath(path, self.root)).as_posix()

    def _read(self, path: Path, at: Span | None) -> Source | None:
        name = self._name(path)
        try:
            size = path.stat().st_size
            if size > self.limits.max_file_bytes:
                span = at or Span(Source(name, ""), 0, 0)
                message = f"`{name}` is {size:,} bytes; the limit is {self.limits.max_file_bytes:,}"
                self.diagnostics.append(
                    error("KSP131", message, span, "split it, or raise the limit (docs/limits.md)")
                )
                return None
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
            span = at or Span(Source(name, ""), 0, 0)
            self.diagnostics.append(
                error(
                    "KSP110",
                    f"cannot read `{name}`: {reason}",
                    span,
                    "check the file's name and that it is UTF-8 text",
                )
            )
            return None
        self.files.append((name, hashlib.sha256(raw).hexdigest()))
        return Source(name, text)

    def module(self, path: Path, at: Span | None) -> None:
        resolved = path.resolve()
        if resolved in self.seen:
            return
        self.seen.add(resolved)
        source = self._read(path, at)
        if source is None:
            return
        module, diagnostics = parse_cached(source, self.limits.max_depth)
        self.modules.append(module)
        self.diagnostics.extend(diagnostics)
        for item in module.items:
            if isinstance(item, n.Import):
                target = path.parent / item.path
                if not target.is_file():
                    self.diagnostics.append(
                        error(
                            "KSP213", f"no file `{item.path}` to import", item.span, _near(target)
                        )
                    )
                    continue
                self.module(target, item.span)
            elif isinstance(item, n.Lists):
                self.list_files(path.parent, item)

    def list_files(self, folder: Path, item: n.Lists) -> None:
        matches = sorted(p for p in folder.glob(item.pattern) if p.is_file())
        if not matches:
            self.diagnostics.append(
                error(
                    "KSP213",
                    f"`{item.pattern}` finds no list file",
                    item.span,
                    _near(folder / item.pattern),
                )
            )
        for path in matches:
            if path.resolve() in self.seen:
                continue
            self.seen.add(path.resolve())
            source = self._read(path, item.span)
            if source is None:
                continue
            lists, diagnostics = read_list_file(source)
            self.diagnostics.extend(diagnostics)
            for named in lists:
                if len(named.entries) > self.limits.max_list_entries:
                    self.diagnostics.append(
                        error(
                            "KSP133",
                            f"list `{named.name}` has {len(named.entries):,} entries; the limit is "
                            f"{self.limits.max_list_entries:,}",
                            named.span or item.span,
                            "raise the limit (docs/limits.md) if the list is right",
                        )
                    )
                if named.name in self.lists:
                    first = self.lists[named.name]
                    span = named.span or item.span
                    self.diagnostics.append(
                        error(
                            "KSP209",
                            f"list `{named.name}` is defined twice",
                            span,
                            f"the first is in {first.span}",
                        )
                    )
                    continue
                self.lists[named.name] = named


def _near(target: Path) -> str:
    folder = target.parent
    if not folder.is_dir():
        return f"there is no folder `{folder.name}` next to the policy"
    others = sorted(p.name for p in folder.iterdir() if p.suffix in (".pol", ".toml"))
    return (
        f"files there: {', '.join(others)}" if others else "the folder has no .pol or .toml files"
    )
