"""`kspolicy check --format sarif`: the same diagnostics as `--format json`, as SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kspolicy.tools.cli import main

from .conftest import FIXTURES

DIAGNOSTICS = FIXTURES / "diagnostics"


def run_check(
    capsys: pytest.CaptureFixture[str], folder: Path, fmt: str, root: Path | None = FIXTURES
) -> tuple[int, Any]:
    rooted = ["--root", str(root)] if root is not None else []
    code = main(["check", str(folder), *rooted, "--format", fmt])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "name", ["KSP201-unknown-field", "KSP120-list-syntax", "KSP301-missing-cite"]
)
def test_sarif_holds_the_json_diagnostics(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(DIAGNOSTICS / name)
    code_json, as_json = run_check(capsys, Path("."), "json")
    code_sarif, log = run_check(capsys, Path("."), "sarif")
    assert code_sarif == code_json
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    rules = run["tool"]["driver"]["rules"]
    got = []
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        (location,) = result["locations"]
        region = location["physicalLocation"]["region"]
        got.append(
            {
                "file": location["physicalLocation"]["artifactLocation"]["uri"],
                "line": region["startLine"],
                "column": region["startColumn"],
                "end": {"line": region["endLine"], "column": region["endColumn"]},
                "code": result["ruleId"],
                "slug": rule["name"],
                "severity": result["level"],
                "message": result["message"]["text"],
                "help": result.get("properties", {}).get("help"),
            }
        )
    assert got == as_json["diagnostics"]
    assert got  # every fixture shows a diagnostic


def test_sarif_of_a_clean_policy_has_no_results(capsys: pytest.CaptureFixture[str]) -> None:
    pack = FIXTURES.parent.parent / "policies" / "knowledge-security"
    code, log = run_check(capsys, pack, "sarif", root=None)
    assert code == 0
    assert log["runs"][0]["results"] == []


def test_sarif_names_files_relative_to_the_current_folder(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES)
    _, log = run_check(capsys, Path("diagnostics/KSP201-unknown-field"), "sarif")
    (run,) = log["runs"]
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "diagnostics/KSP201-unknown-field/policy.pol", "uriBaseId": "SRCROOT"}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == FIXTURES.resolve().as_uri() + "/"
