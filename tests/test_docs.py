"""The documentation stands alone (issue 15, item 12): it points only at files in the
repository, its examples give what they say, and the licence the package names is there."""

from __future__ import annotations

import doctest
import re
import tomllib

import pytest

import kspolicy

from .conftest import ROOT

# What a reader of the repository has: these folders and the README.
PUBLISHED = ["README.md", "CHANGELOG.md", "docs", "src", "examples", "policies"]
# Installed, not written: what npm puts beside the clients is not the project's text.
NOT_OURS = {"node_modules", "__pycache__"}
# Notes that lived beside the repository, never in it.
OUTSIDE = ("DESIGN.md", "DOMAIN.md", "STYLE.md", "/work/", "shared/")


def _published_files() -> list[str]:
    files = []
    for name in PUBLISHED:
        path = ROOT / name
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [
            str(p)
            for p in found
            if p.suffix in (".md", ".py", ".pol", ".toml", ".txt", "")
            and NOT_OURS.isdisjoint(p.relative_to(ROOT).parts)
        ]
    return files


def test_nothing_points_to_design_md_domain_md_or_files_outside_the_repository() -> None:
    offenders = []
    for name in _published_files():
        text = open(name, encoding="utf-8", errors="replace").read()
        offenders += [(name, outside) for outside in OUTSIDE if outside in text]
    assert offenders == []


def test_markdown_links_lead_to_files_in_the_repository() -> None:
    broken = []
    for page in [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            resolved = (page.parent / target).resolve()
            if not resolved.exists() or not resolved.is_relative_to(ROOT):
                broken.append((page.name, target))
    assert broken == []


def test_the_package_docstrings_example_gives_what_it_says() -> None:
    result = doctest.testmod(kspolicy, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


def test_the_readme_example_gives_what_it_says() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert '{"partners": [{"name": "HIT", "country": "CN"}]}' in readme
    assert '# certain: {"verdict": "notify", "risk": "high", ...}' in readme
    decision = kspolicy.load().evaluate(
        {"partners": [{"name": "HIT", "country": "CN"}]}, lang="en", as_of="2026-01-15"
    )
    assert (decision.outcomes["verdict"], decision.outcomes["risk"]) == ("notify", "high")


def test_a_license_file_matches_the_licence_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "EUPL-1.2"}
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\n")
    for article in ("1.Definitions", "15.Applicable Law", "Compatible Licences", "Appendix"):
        assert article in licence


def test_the_changelog_keeps_a_changelog() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n") and "## [Unreleased]" in changelog
    sections = re.findall(r"^### (\w+)$", changelog, re.M)
    assert sections and set(sections) <= {
        "Added",
        "Changed",
        "Deprecated",
        "Removed",
        "Fixed",
        "Security",
    }


@pytest.mark.parametrize("page", ["docs/cli.md"])
def test_the_cli_page_documents_every_check_json_field(page: str) -> None:
    from kspolicy.diagnostics import KSP201, Diagnostic
    from kspolicy.span import Source, Span

    text = (ROOT / page).read_text(encoding="utf-8")
    fields = Diagnostic(KSP201, "m", Span(Source("p.pol", "x"), 0, 1)).to_dict()
    for field in [*fields, "format", "policy", "errors", "warnings", "diagnostics"]:
        assert f'"{field}"' in text, field
