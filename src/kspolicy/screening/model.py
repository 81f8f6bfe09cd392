"""List entries as screening sees them: an entity with its names, aliases and countries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

import attrs

from ..diagnostics import ArgumentError
from .names import KINDS, Kind

Quality = Literal["strong", "weak"]


def _aliases(value: Iterable[Alias | str]) -> tuple[Alias, ...]:
    return tuple(a if isinstance(a, Alias) else Alias(a) for a in value)


def countries(value: str | Iterable[str] | None) -> frozenset[str]:
    """Country codes as a set of upper-case strings (`"cn"` and `["CN"]` alike)."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = [value]
    return frozenset(c.strip().upper() for c in value if c.strip())


def _countries(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(countries(value)))


def _check_kind(instance: object, attribute: attrs.Attribute[Kind], value: str) -> None:
    if value not in KINDS:
        raise ArgumentError(f"an entity's kind is 'organization' or 'person', not {value!r}")


@attrs.frozen
class Alias:
    """Another name of an entity. A weak alias (an acronym, a nickname, a name many
    bodies share) never makes a match on its own: at most a possible match."""

    name: str
    quality: Quality = attrs.field(default="strong")

    @quality.validator
    def _check(self, attribute: attrs.Attribute[Quality], value: str) -> None:
        if value not in ("strong", "weak"):
            raise ArgumentError(f"an alias's quality is 'strong' or 'weak', not {value!r}")


@attrs.frozen
class Entity:
    """One entry of a list: its name, aliases, countries (ISO 3166 alpha-2) and, for a
    campus or subsidiary the list names, the id of the entity it is part of."""

    id: str
    name: str
    kind: Kind = attrs.field(default="organization", validator=_check_kind)
    aliases: tuple[Alias, ...] = attrs.field(default=(), converter=_aliases)
    countries: tuple[str, ...] = attrs.field(default=(), converter=_countries)
    parent: str | None = None

    def names(self) -> Iterator[tuple[str, Alias | None]]:
        """The primary name (with no alias), then each alias."""
        yield self.name, None
        for alias in self.aliases:
            yield alias.name, alias
