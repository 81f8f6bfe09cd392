"""A policy as the editor sees it: its files on disk with the unsaved buffers laid over.

The engine reads a policy from disk (lang/loader.py), and an editor's buffer is not on
disk. Rather than teach the loader about buffers, a `Project` keeps a mirror of the
policy's root folder in a temporary folder: every policy and list file copied there
(links kept as links), each open buffer written over its file, and the mirror checked
with the public `kspolicy.check`, exactly as `kspolicy check --root ROOT` checks the
real folder. So the diagnostics an editor shows are `kspolicy check`'s, codes, messages
and help alike; each is mapped back to the real file. Copying is incremental (a file is
copied again only when its size or modification time changed), so a change costs one
file written and one check, which the parse cache makes cheap for the files not
touched.

The syntax trees the index is made from are parsed here too, once per text.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from .. import Policy, PolicyError, check, load
from ..diagnostics import Diagnostic
from ..lang import nodes as n
from ..lang.loader import MAIN_FILE
from ..lang.parser import parse_module
from ..limits import DEFAULT, Limits
from ..span import Source, Span
from . import index, properties, propertycheck

MAX_MIRRORED = 5_000
"""Files copied into a mirror at most: a root that holds more is not a policy folder."""

_SKIPPED = frozenset({".git", ".venv", "node_modules", "__pycache__", ".mypy_cache"})
ANCHORS_FILE = "anchors.toml"
"""The passages a policy's rules cite, by anchor, next to its main file (docs/editors.md)."""


@attrs.frozen
class Anchor:
    """A passage a rule cites: its heading in the guideline and its text."""

    name: str
    title: str
    text: str


@attrs.frozen(eq=False)
class Snapshot:
    """One policy as analysed at one moment: texts, trees, index and diagnostics."""

    main: Path
    root: Path
    sources: dict[Path, Source]  # every policy and list file, by real path
    modules: dict[Path, n.Module]  # every policy file's syntax tree
    model: index.Model
    occurrences: list[index.Occurrence]
    diagnostics: dict[Path, list[Diagnostic]]  # by real path; spans into `sources`
    anchors: dict[str, Anchor]
    #: The property files beside the main file (`properties/*.toml`), by real path: not
    #: policy files, but they name its definitions and lists (lsp/properties.py).
    properties: dict[Path, Source] = attrs.field(factory=dict)

    @property
    def folder(self) -> Path:
        """The main file's folder."""
        return self.main.parent

    def source(self, path: Path) -> Source | None:
        """A file's text as the snapshot has it."""
        return self.sources.get(path)


def policy_main(path: Path, stop: Path | None = None) -> Path:
    """The main file of the policy a file belongs to: the `policy.pol` of its folder or
    the nearest folder above (not above `stop`), else the file itself."""
    folder = path.parent
    while True:
        candidate = folder / MAIN_FILE
        if candidate.is_file():
            return candidate
        if folder.parent == folder or (stop is not None and folder == stop):
            return path
        folder = folder.parent


class Mirror:
    """A copy of a root folder's policy and list files with the open buffers written over
    them; shared by every policy under that root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.buffers: dict[Path, str] = {}
        self.folder = Path(tempfile.mkdtemp(prefix="kspolicy-lsp-"))
        #: Counts the syncs that changed the copy: a policy analysed at the same count
        #: would be checked on the very same files, so its snapshot stands.
        self.generation = 0
        self._copied: dict[Path, tuple[int, int]] = {}  # real path: (mtime_ns, size) copied
        self._written: dict[Path, str] = {}  # real path: buffer text in the copy instead

    def close(self) -> None:
        """Remove the copy."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def set_buffer(self, path: Path, text: str | None) -> None:
        """An open buffer's text for a file; None when the buffer is closed."""
        if text is None:
            self.buffers.pop(path.resolve(), None)
        else:
            self.buffers[path.resolve()] = text

    def mirrored(self, real: Path) -> Path:
        """Where a file under the root is in the copy."""
        return self.folder / real.relative_to(self.root)

    def sync(self) -> None:
        """Bring the copy up to the disk, then lay the buffers over it; a file whose text
        is the same as the copy's is left alone (opening a file, or closing one unchanged,
        changes nothing to check)."""
        changed = False
        on_disk: set[Path] = set()
        for real in _policy_files(self.root):
            on_disk.add(real)
            if real in self.buffers:
                continue  # the buffer is laid over it below
            try:
                info = os.lstat(real)
            except OSError:
                continue
            stamp = (info.st_mtime_ns, info.st_size)
            if self._copied.get(real) == stamp and real not in self._written:
                continue
            self._copied[real] = stamp
            target = self.mirrored(real)
            if self._written.pop(real, None) is not None and _same_file(real, target):
                continue  # a buffer closed with the text on disk
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if os.path.islink(real):
                os.symlink(os.readlink(real), target)
            else:
                shutil.copyfile(real, target)
            changed = True
        gone = {r for r in set(self._copied) | set(self._written) if r not in on_disk}
        for real in gone - set(self.buffers):  # deleted, or a new file's buffer closed
            self._copied.pop(real, None)
            self._written.pop(real, None)
            self.mirrored(real).unlink(missing_ok=True)
            changed = True
        for real, text in self.buffers.items():
            if not _inside(real, self.root) or self._written.get(real) == text:
                continue
            self._written[real] = text
            target = self.mirrored(real)
            if _same_text(target, text):
                continue  # opened with the text on disk
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()
            target.write_text(text, encoding="utf-8")
            changed = True
        self.generation += changed


def _same_file(real: Path, copy: Path) -> bool:
    """Whether a copy is a regular file with the same bytes as the real one."""
    try:
        return (
            not os.path.islink(real)
            and not copy.is_symlink()
            and copy.read_bytes() == real.read_bytes()
        )
    except OSError:
        return False


def _same_text(copy: Path, text: str) -> bool:
    try:
        return not copy.is_symlink() and copy.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


class Project:
    """One policy under edit: its mirror, the buffers over it, its latest snapshot."""

    def __init__(
        self,
        main: Path,
        root: Path | None = None,
        limits: Limits = DEFAULT,
        mirror: Mirror | None = None,
    ) -> None:
        self.main = main.resolve()
        self.root = (root or self.main.parent).resolve()
        self.limits = limits
        self.mirror = mirror if mirror is not None else Mirror(self.root)
        self._parsed: dict[Path, tuple[str, n.Module]] = {}
        self._policy: Policy | None = None
        self._policy_for: str | None = None  # the texts the policy was loaded from
        self._generation = -1  # the mirror's when the snapshot was made
        self.snapshot: Snapshot | None = None
        # prove's load, under the server's limits (the copy it checks is the policy's
        # folder only, as `kspolicy prove` copies it)
        self.checker = propertycheck.Checker(lambda path: load(path, limits=self.limits))

    @property
    def buffers(self) -> dict[Path, str]:
        """The open buffers, by real path."""
        return self.mirror.buffers

    def close(self) -> None:
        """Remove the mirror."""
        self.mirror.close()

    def set_buffer(self, path: Path, text: str | None) -> None:
        """An open buffer's text for a file; None when the buffer is closed."""
        self.mirror.set_buffer(path, text)

    def owns(self, path: Path) -> bool:
        """Whether a file is part of this policy (as of the last analysis), or its main."""
        path = path.resolve()
        return path == self.main or (self.snapshot is not None and path in self.snapshot.sources)

    def _mirrored(self, real: Path) -> Path:
        return self.mirror.mirrored(real)

    # ---- analysis --------------------------------------------------------------------

    def analyse(self) -> Snapshot:
        """Check the policy with the buffers over its files; the new snapshot (the last
        one while no file of the copy changed since it was made)."""
        self.mirror.sync()
        if self.snapshot is not None and self._generation == self.mirror.generation:
            return self.snapshot
        self._generation = self.mirror.generation
        mirrored_main = self._mirrored(self.main)
        found = check(mirrored_main, limits=self.limits, root=self.mirror.folder)
        sources, modules = self._read()
        diagnostics = self._mapped(found, sources)
        built = index.model(modules.items(), (s for p, s in sources.items() if p.suffix == ".toml"))
        occurrences = index.occurrences(modules.items(), built)
        if not any(d.is_error for d in found):
            self._policy = None  # loaded when first asked for (`policy`)
            self._policy_for = _fingerprint(sources)
        self.snapshot = Snapshot(
            self.main,
            self.root,
            sources,
            modules,
            built,
            occurrences,
            diagnostics,
            self._anchors(),
            self._properties(),
        )
        return self.snapshot

    def property_problems(self, path: Path) -> list[propertycheck.Problem]:
        """What `kspolicy prove --property` would say of one of the policy's property
        files, as its buffer (else the disk) has it, against the latest snapshot."""
        snapshot = self.analyse()
        text = self._text(path)
        if text is None:
            return []
        broken = any(d.is_error for found in snapshot.diagnostics.values() for d in found)
        texts = _fingerprint(snapshot.sources).encode("utf-8", "surrogatepass")
        policy = None if broken else hashlib.sha256(texts).hexdigest()
        return self.checker.check(
            Source(str(path), text),
            self._mirrored(path),
            self._mirrored(self.main),
            policy,
            self.policy,
        )

    def policy(self) -> Policy | None:
        """The policy loaded from the latest texts without errors (for evaluating cases,
        and what only the checked policy knows, such as list entries)."""
        if self._policy is None and self._policy_for is not None:
            try:
                self._policy = load(
                    self._mirrored(self.main), limits=self.limits, root=self.mirror.folder
                )
            except PolicyError:
                self._policy_for = None
        return self._policy

    def _text(self, path: Path) -> str | None:
        if path in self.buffers:
            return self.buffers[path]
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _read(self) -> tuple[dict[Path, Source], dict[Path, n.Module]]:
        """The policy's files, following its imports and list patterns from the main."""
        sources: dict[Path, Source] = {}
        modules: dict[Path, n.Module] = {}
        todo = [self.main]
        while todo:
            path = todo.pop(0)
            if path in sources or not _inside(path, self.root):
                continue
            text = self._text(path)
            if text is None:
                continue
            source, module = self._parse(path, text)
            sources[path] = source
            modules[path] = module
            for item in module.items:
                if isinstance(item, n.Import):
                    todo.append((path.parent / item.path).resolve())
                elif isinstance(item, n.Lists) and item.pattern.strip():
                    for found in _glob(path.parent, item.pattern, self.root):
                        listed = self._text(found)
                        if listed is not None and found not in sources:
                            sources[found] = Source(str(found), listed)
        return sources, modules

    def _parse(self, path: Path, text: str) -> tuple[Source, n.Module]:
        cached = self._parsed.get(path)
        if cached is None or cached[0] != text:
            module, _ = parse_module(
                Source(str(path), text), self.limits.max_depth, self.limits.max_item_chars
            )
            cached = (text, module)
            self._parsed[path] = cached
        return cached[1].span.source, cached[1]

    def _mapped(
        self, found: Iterable[Diagnostic], sources: dict[Path, Source]
    ) -> dict[Path, list[Diagnostic]]:
        """Each diagnostic moved from the mirror to its real file, spans into our texts."""
        by_file: dict[Path, list[Diagnostic]] = {}
        mirror = str(self.mirror.folder)
        for diagnostic in found:
            name = diagnostic.span.source.name
            inner = Path(name) if os.path.isabs(name) else self._mirrored(self.main).parent / name
            try:
                real = self.root / Path(os.path.normpath(inner)).relative_to(self.mirror.folder)
            except ValueError:
                real = Path(os.path.normpath(inner))
            source = sources.get(real) or Source(str(real), diagnostic.span.source.text)
            span = Span(source, diagnostic.span.start, diagnostic.span.end)
            moved = attrs.evolve(
                diagnostic,
                span=span,
                message=diagnostic.message.replace(mirror, str(self.root)),
                help=diagnostic.help.replace(mirror, str(self.root)) if diagnostic.help else None,
            )
            by_file.setdefault(real, []).append(moved)
        return by_file

    def _properties(self) -> dict[Path, Source]:
        found = {}
        for path in properties.files(self.main.parent):
            text = self._text(path)
            if text is not None and _inside(path, self.root):
                found[path] = Source(str(path), text)
        return found

    def _anchors(self) -> dict[str, Anchor]:
        text = self._text(self.main.parent / ANCHORS_FILE)
        if text is None:
            return {}
        return read_anchors(text)


def read_anchors(text: str) -> dict[str, Anchor]:
    """The anchors of an anchors file (`["partner.country"]` tables with `title` and
    `text`); a file that is not valid TOML gives none."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    anchors = {}
    for name, table in data.items():
        if isinstance(table, dict):
            title = str(table.get("title", name))
            anchors[name] = Anchor(name, title, str(table.get("text", "")).strip())
    return anchors


def _fingerprint(sources: dict[Path, Source]) -> str:
    return "\0".join(f"{p}\0{s.text}" for p, s in sorted(sources.items()))


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _glob(folder: Path, pattern: str, root: Path) -> list[Path]:
    try:
        found = sorted(p.resolve() for p in folder.glob(pattern) if p.is_file())
    except (OSError, ValueError, NotImplementedError):
        return []
    return [p for p in found if _inside(p, root)]


def _policy_files(root: Path) -> list[Path]:
    """The policy, list and messages files under a root folder (.pol and .toml)."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED and not d.startswith("."))
        for name in sorted(files):
            if name.endswith((".pol", ".toml")):
                found.append(Path(folder) / name)
                if len(found) >= MAX_MIRRORED:
                    return found
    return found
