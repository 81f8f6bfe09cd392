"""The UK sanctions list: the FCDO's UK Sanctions List, and OFSI's consolidated list.

Formats (both XML, both published on gov.uk):

- The UK Sanctions List (FCDO, "UK_Sanctions_List.xml", from
  https://www.gov.uk/government/publications/the-uk-sanctions-list): a `Designation`
  per entity with `UniqueID`, `DateDesignated` (DD/MM/YYYY), `RegimeName`,
  `IndividualEntityShip`, and `Names/Name` with the name in parts `Name1` to `Name6`
  (6: the family or organisation name), a `NameType` and an `AliasStrength`.
  `NonLatinNames` hold the names in their own script (`NameNonLatinScript`).
- OFSI's Consolidated List of Financial Sanctions Targets ("ConList.xml", 2022 format):
  one `FinancialSanctionsTarget` per name, grouped by `GroupID`, with `AliasType`,
  `AliasQuality`, `Name1` to `Name6`, `NameNonLatinScript`, `RegimeName`, `DateListed`.

The UK's guidance on the format ("UK Sanctions List: change to the list's format",
gov.uk, 2022) defines the name types: a *primary name*, a *primary name variation*
(a spelling of it) and an *alias* (a substantively different name), and an alias
strength for UN listings; a weak ("low quality") alias is kept as a weak alias. Countries
are written as names and kept as ISO codes (countries.py). The lists hold the
designations in force: a delisted entity is absent, which `--previous` records.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

from .countries import country_code
from .model import Draft, ImportedList, ListedEntity, Notice
from .source import XmlTree, child_text, children, descendants, local, parse_date, parse_time, read

FORMAT = "uk"
TITLE = "UK sanctions list"
SOURCE_URL = "https://www.gov.uk/government/publications/the-uk-sanctions-list"
_TYPES = {"individual": "person", "entity": "organization", "ship": "vessel"}


def read_file(path: Path) -> ImportedList:
    """The entities of a UK Sanctions List or OFSI consolidated list XML file."""
    data, sha256 = read(path)
    tree = XmlTree(path, data)
    root = tree.root
    notices: list[Notice] = []
    if local(root.tag) == "Designations":
        drafts = [(e, _designation(tree, e, notices)) for e in children(root, "Designation")]
    elif local(root.tag) == "ArrayOfFinancialSanctionsTarget":
        drafts = _targets(tree, root, notices)
    else:
        raise tree.fail(
            root,
            f"the XML is not a UK sanctions list: its root is <{local(root.tag)}>, "
            "not <Designations> (UK Sanctions List) or <ArrayOfFinancialSanctionsTarget> (OFSI)",
            "download the XML of the UK Sanctions List (docs/screening-import.md)",
        )
    entities: list[ListedEntity] = []
    for element, draft in drafts:
        entity = draft.finish()
        if entity is None:
            notices.append(
                Notice(f"designation {draft.ref} has no name: left out", tree.line(element))
            )
        else:
            entities.append(entity)
    generated = root.get("DateGenerated") or child_text(root, "DateGenerated")
    return ImportedList(
        format=FORMAT,
        entities=tuple(entities),
        retrieved=parse_time(generated),
        sha256=sha256,
        notices=tuple(notices),
    )


def _whole_name(element: Element) -> str:
    whole = child_text(element, "Name")
    if whole:
        return whole
    return " ".join(p for p in (child_text(element, f"Name{i}") for i in range(1, 7)) if p)


def _weak(quality: str) -> bool:
    quality = quality.lower()
    return "weak" in quality or "low" in quality


def _countries(tree: XmlTree, draft: Draft, element: Element, notices: list[Notice]) -> None:
    for name in ("AddressCountry", "Nationality", "Country", "Individual_Nationality"):
        for place in [element] if local(element.tag) == name else descendants(element, name):
            for part in (place.text or "").replace("(1)", ",").split(","):
                if not part.strip():
                    continue
                code = country_code(part)
                if code is None:
                    notices.append(
                        Notice(f"country {part.strip()!r} is not known: left out", tree.line(place))
                    )
                else:
                    draft.country(code)


def _designation(tree: XmlTree, element: Element, notices: list[Notice]) -> Draft:
    draft = Draft(ref=child_text(element, "UniqueID") or f"line {tree.line(element)}")
    draft.type = _TYPES.get(child_text(element, "IndividualEntityShip").lower())
    for name in descendants(element, "Name"):
        if not list(name):  # a `Name` without parts is the whole name, read by its parent
            continue
        kind = child_text(name, "NameType").lower()
        weak = _weak(child_text(name, "AliasStrength"))
        draft.name(_whole_name(name), primary=kind == "primary name", weak=weak)
    for name in descendants(element, "NameNonLatinScript"):
        draft.name(name.text)
    draft.programme(child_text(element, "RegimeName"))
    designated = parse_date(child_text(element, "DateDesignated"))
    if designated is not None:
        draft.listed.append(designated)
    _countries(tree, draft, element, notices)
    return draft


def _targets(tree: XmlTree, root: Element, notices: list[Notice]) -> list[tuple[Element, Draft]]:
    groups: dict[str, tuple[Element, Draft]] = {}
    for row in children(root, "FinancialSanctionsTarget"):
        group = child_text(row, "GroupID") or f"line {tree.line(row)}"
        if group not in groups:
            groups[group] = (row, Draft(ref=group))
        draft = groups[group][1]
        draft.type = draft.type or _TYPES.get(child_text(row, "GroupTypeDescription").lower())
        kind = child_text(row, "AliasType").lower()
        weak = _weak(child_text(row, "AliasQuality"))
        draft.name(_whole_name(row), primary=kind == "primary name", weak=weak)
        draft.name(child_text(row, "NameNonLatinScript"))
        draft.programme(child_text(row, "RegimeName"))
        listed = parse_date(child_text(row, "DateListed"))
        if listed is not None:
            draft.listed.append(listed)
        for name in ("Country", "Individual_Nationality"):
            for cell in children(row, name):
                _countries(tree, draft, cell, notices)
    return list(groups.values())
