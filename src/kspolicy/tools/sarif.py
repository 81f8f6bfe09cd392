"""`kspolicy check --format sarif`: a policy's diagnostics as SARIF 2.1.0.

SARIF is what code-scanning services and many editors read. The data is the same as
`--format json`'s (`Diagnostic.to_dict`): one result per diagnostic, with its code as
the rule, and one rule per code that occurs, described by the code's slug and summary.
Columns count characters (Unicode code points), as kspolicy's do, and the run says so
(`columnKind`), so that a reader does not count UTF-16 units instead.

A file is named as `check` names it (from the current folder), relative to the
`SRCROOT` base, which is the current folder: a CI job that checks from its checkout's
top gets paths it can annotate. A file named by an absolute path gets a `file:` URI.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from ..diagnostics import Diagnostic, Severity
from ..version import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
"""The schema the document names (the standard's published JSON schema)."""


def sarif_document(diagnostics: Sequence[Diagnostic], base: str | None = None) -> dict[str, Any]:
    """The SARIF log of one `check` run; `base` is the folder relative names start from
    (default: the current folder)."""
    folder = os.path.abspath(base if base is not None else os.getcwd())
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for diagnostic in diagnostics:
        code = diagnostic.code
        if code.number not in index:
            index[code.number] = len(rules)
            rules.append(
                {
                    "id": code.number,
                    "name": code.slug,
                    "shortDescription": {"text": code.summary},
                    # docs/language.md has a section per code; the project has no
                    # fixed address to link to, so the help names the section.
                    "help": {"text": f"docs/language.md, section {code.number} `{code.slug}`"},
                }
            )
        data = diagnostic.to_dict()
        result: dict[str, Any] = {
            "ruleId": code.number,
            "ruleIndex": index[code.number],
            "level": "error" if diagnostic.severity is Severity.ERROR else "warning",
            "message": {"text": data["message"]},
            "locations": [{"physicalLocation": _location(data, folder)}],
        }
        if data["help"]:
            # SARIF has no per-result help: a property keeps it as data, and the
            # markdown message shows it to people.
            result["message"]["markdown"] = f"{data['message']}\n\nhelp: {data['help']}"
            result["properties"] = {"help": data["help"]}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kspolicy",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": Path(folder).as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _location(data: dict[str, Any], folder: str) -> dict[str, Any]:
    name = str(data["file"])
    artifact: dict[str, Any]
    if os.path.isabs(name):
        artifact = {"uri": Path(name).as_uri()}
    else:
        artifact = {"uri": str(PurePosixPath(Path(name).as_posix())), "uriBaseId": "SRCROOT"}
    region = {
        "startLine": data["line"],
        "startColumn": data["column"],
        "endLine": data["end"]["line"],
        "endColumn": data["end"]["column"],
    }
    return {"artifactLocation": artifact, "region": region}
