"""What an importer makes of a list: the entities with their names, and the list's facts.

An importer reads one publisher's format and fills `Draft`s; `Draft.finish` makes every
entity the same way whatever the format (spaces collapsed, names without duplicates,
sorted), so that one file always gives the same list, byte for byte.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from ...diagnostics import KspolicyError


class ListImportError(KspolicyError):
    """A file that cannot be imported: where (file, line), what is wrong and how to fix it."""

    def __init__(
        self, path: Path | str, message: str, help: str | None = None, line: int | None = None
    ) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        self.help = help
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}" + (f"\n  help: {help}" if help else ""))


@attrs.frozen
class Notice:
    """Something of the file the import left out, and where it is."""

    message: str
    line: int | None = None


@attrs.frozen
class ListedEntity:
    """One entity of an imported list, as the list file keeps it."""

    ref: str
    name: str
    type: str | None = None
    aliases: tuple[str, ...] = ()
    weak_aliases: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    listed: dt.date | None = None
    delisted: dt.date | None = None  # the first day it is no longer listed


@attrs.frozen
class ImportedList:
    """A list read from a publisher's file: its entities and where and when it came from."""

    format: str
    entities: tuple[ListedEntity, ...]
    retrieved: dt.date | dt.datetime | None  # None: the file does not say (see `--retrieved`)
    sha256: str
    notices: tuple[Notice, ...] = ()


def clean(text: str | None) -> str:
    """A name or code with its spaces collapsed ("" for nothing)."""
    return " ".join(text.split()) if text else ""


@attrs.define
class Draft:
    """An entity while its file is read: names and facts are added as they are found."""

    ref: str
    type: str | None = None
    primary: str = ""
    strong: list[str] = attrs.Factory(list)
    weak: list[str] = attrs.Factory(list)
    countries: set[str] = attrs.Factory(set)
    programmes: set[str] = attrs.Factory(set)
    listed: list[dt.date] = attrs.Factory(list)
    delisted: list[dt.date] = attrs.Factory(list)

    def name(self, text: str | None, *, weak: bool = False, primary: bool = False) -> None:
        """Add a name: the primary one, a strong alias or a weak alias."""
        text = clean(text)
        if not text:
            return
        if primary and not self.primary:
            self.primary = text
        (self.weak if weak else self.strong).append(text)

    def country(self, code: str | None) -> None:
        """Add a country by its ISO 3166 code (any case)."""
        code = clean(code).upper()
        if code:
            self.countries.add(code)

    def programme(self, text: str | None) -> None:
        """Add a sanctions programme or regime."""
        text = clean(text)
        if text:
            self.programmes.add(text)

    def finish(self) -> ListedEntity | None:
        """The entity, or None when no name was found for it."""
        # The first strong name stands for the entity when the file marks none as the
        # primary one; an entity known only by weak names keeps the first as its name.
        name = self.primary or next(iter(self.strong), "") or next(iter(self.weak), "")
        if not name:
            return None
        seen = {name.casefold()}
        strong = _distinct(self.strong, seen)
        weak = _distinct(self.weak, seen)
        delisted = max(self.delisted) if self.delisted else None
        listed = min(self.listed) if self.listed else None
        if listed is not None and delisted is not None and delisted <= listed:
            listed = None  # a file whose dates disagree: keep the delisting, the safer fact
        return ListedEntity(
            ref=self.ref,
            name=name,
            type=self.type,
            aliases=strong,
            weak_aliases=weak,
            countries=tuple(sorted(self.countries)),
            programmes=tuple(sorted(self.programmes)),
            listed=listed,
            delisted=delisted,
        )


def _distinct(names: list[str], seen: set[str]) -> tuple[str, ...]:
    """The names not seen before (case aside), sorted; each is then seen."""
    kept: dict[str, str] = {}
    for name in names:
        folded = name.casefold()
        if folded not in seen:
            seen.add(folded)
            kept[folded] = name
    return tuple(sorted(kept.values(), key=lambda n: (n.casefold(), n)))
