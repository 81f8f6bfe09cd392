"""The EU's consolidated list of financial sanctions (Financial Sanctions Files, FSF).

Format: the FSF XML file (version 1.1), published by the European Commission at
https://webgate.ec.europa.eu/fsd/fsf (files "xmlFullSanctionsList_1_1"). The root
`export` carries `generationDate`; each `sanctionEntity` (attributes `logicalId`,
`euReferenceNumber`, `designationDate`) holds `subjectType` (`classificationCode` P for a
person, E for an enterprise), one `nameAlias` per name (`wholeName`, and `strong` "true"
or "false": the Commission marks weak aliases with strong="false"), `regulation`s
(`programme`, `entryIntoForceDate`, `publicationDate`), `citizenship` and `address`
(`countryIso2Code`). The full file holds only the entries in force ("Only the active
records", the Commission's help on the XML files): an entity that is delisted is simply
absent, which `--previous` turns into a delisting date.
"""

from __future__ import annotations

from pathlib import Path

from .model import Draft, ImportedList, ListedEntity, Notice
from .source import XmlTree, children, local, parse_date, parse_time, read

FORMAT = "eu-fsf"
TITLE = "EU consolidated list of persons, groups and entities subject to financial sanctions"
SOURCE_URL = "https://webgate.ec.europa.eu/fsd/fsf"
_TYPES = {"P": "person", "E": "organization"}


def read_file(path: Path) -> ImportedList:
    """The entities of an FSF XML file."""
    data, sha256 = read(path)
    tree = XmlTree(path, data)
    root = tree.root
    if local(root.tag) != "export":
        raise tree.fail(
            root,
            f"the XML is not an FSF file: its root is <{local(root.tag)}>, not <export>",
            "download the XML (version 1.1) of the full list from the FSF page "
            "(docs/screening-import.md)",
        )
    entities: list[ListedEntity] = []
    notices: list[Notice] = []
    for number, element in enumerate(children(root, "sanctionEntity"), start=1):
        ref = element.get("euReferenceNumber") or element.get("logicalId") or f"#{number}"
        draft = Draft(ref=ref)
        for kind in children(element, "subjectType"):
            draft.type = _TYPES.get(kind.get("classificationCode", ""), "other")
        for alias in children(element, "nameAlias"):
            weak = (alias.get("strong") or "true").strip().lower() == "false"
            draft.name(alias.get("wholeName"), weak=weak)
        designated = parse_date(element.get("designationDate"))
        if designated is not None:
            draft.listed.append(designated)
        for regulation in children(element, "regulation"):
            draft.programme(regulation.get("programme"))
            if designated is None:
                start = parse_date(regulation.get("entryIntoForceDate")) or parse_date(
                    regulation.get("publicationDate")
                )
                if start is not None:
                    draft.listed.append(start)
        for place in (*children(element, "citizenship"), *children(element, "address")):
            code = place.get("countryIso2Code") or ""
            if code and code != "00":  # "00": the Commission's code for an unknown country
                draft.country(code)
        entity = draft.finish()
        if entity is None:
            notices.append(
                Notice(f"sanctionEntity {ref} has no name: left out", tree.line(element))
            )
        else:
            entities.append(entity)
    return ImportedList(
        format=FORMAT,
        entities=tuple(entities),
        retrieved=parse_time(root.get("generationDate")),
        sha256=sha256,
        notices=tuple(notices),
    )
