"""The language server's analysis without a client: the project's overlay, the index,
and each feature as a pure function."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import kspolicy
from kspolicy.lsp import features, options, words
from kspolicy.lsp.project import Project, Snapshot, read_anchors

REPO = Path(__file__).resolve().parents[1]
PACK = REPO / "policies" / "knowledge-security"

SMALL = {
    "policy.pol": """policy small version "1"
import "schema.pol"
lists "lists/*.toml"

decision {
  verdict: scale clear < notify
}

define risky = partner.country in RISKY

rule r
  cite "a"
  when risky and partner.kind == company
  then verdict >= notify
  because "b"
""",
    "schema.pol": """enum Kind { company, university }
record Partner {
  country: text
    question en "Where is it?" nl "Waar is het?"
  kind: Kind
}
schema {
  partners: list of Partner as partner
}
""",
    "lists/risky.toml": """[RISKY]
kind = "codes"
source = "test"
retrieved = 2025-01-01
entries = ["CN", "RU"]
""",
}


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Project]:
    for name, text in SMALL.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    project = Project(tmp_path / "policy.pol")
    yield project
    project.close()


def offset_of(snapshot: Snapshot, path: Path, needle: str, skip: int = 0, nth: int = 0) -> int:
    text = snapshot.sources[path.resolve()].text
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    return at + skip


def test_an_unsaved_buffer_is_checked_over_the_files_on_disk(small: Project) -> None:
    main = small.main
    assert small.analyse().diagnostics == {}
    small.set_buffer(main, SMALL["policy.pol"].replace("partner.kind", "partner.knd"))
    snapshot = small.analyse()
    found = snapshot.diagnostics[main][0]  # (`company` is then unknown too, as check says)
    assert found.code.number == "KSP201" and found.span.text == "knd"
    assert found.help is not None and "kind" in found.help
    # the disk is untouched, and closing the buffer brings its text back
    assert kspolicy.check(main.parent) == []
    small.set_buffer(main, None)
    assert small.analyse().diagnostics == {}


def test_an_error_in_a_list_file_shows_in_the_rule_that_uses_it(small: Project) -> None:
    listed = small.main.parent / "lists" / "risky.toml"
    small.set_buffer(listed, SMALL["lists/risky.toml"].replace('"RU"]', '"RU"'))
    snapshot = small.analyse()
    assert [d.code.number for d in snapshot.diagnostics[listed.resolve()]] == ["KSP120"]
    shown = features.diagnostics(snapshot)
    echoes = [r for r in shown[small.main] if r.related is not None]
    assert len(echoes) == 1
    assert echoes[0].diagnostic.span.text == "RISKY"
    assert "risky.toml" in echoes[0].diagnostic.message
    assert echoes[0].related is not None and echoes[0].related.source.name == str(listed.resolve())


def test_hover_on_a_field_in_a_policy_with_errors(small: Project) -> None:
    # the index comes from the syntax trees: hover works while the policy has errors
    small.set_buffer(
        small.main, SMALL["policy.pol"] + "\nrule broken when nope then verdict >= notify\n"
    )
    snapshot = small.analyse()
    assert snapshot.diagnostics[small.main]
    hovered = features.hover(
        snapshot, small.main, offset_of(snapshot, small.main, "partner.country", 9)
    )
    assert hovered is not None
    assert "**country**: `text`" in hovered.markdown
    assert "en: Where is it?" in hovered.markdown and "nl: Waar is het?" in hovered.markdown


def test_definition_and_references_of_a_code(small: Project) -> None:
    snapshot = small.analyse()
    at = offset_of(snapshot, small.main, "== company", 4)
    (declared,) = features.definition(snapshot, small.main, at)
    assert declared.text == "company" and declared.source.name.endswith("schema.pol")
    assert len(features.references(snapshot, small.main, at)) == 2


def test_rename_a_define_changes_every_use(small: Project) -> None:
    snapshot = small.analyse()
    edits = features.rename(
        snapshot, small.main, offset_of(snapshot, small.main, "risky and", 1), "hot"
    )
    assert sorted(e.span.start for e in edits) == [
        offset_of(snapshot, small.main, "risky ="),
        offset_of(snapshot, small.main, "risky and"),
    ]
    with pytest.raises(features.RenameError, match="already declared"):
        features.rename(snapshot, small.main, offset_of(snapshot, small.main, "risky and"), "RISKY")
    with pytest.raises(features.RenameError, match="only a `define` or a list"):
        features.rename(snapshot, small.main, offset_of(snapshot, small.main, "verdict >="), "v")


def test_rename_a_list_changes_its_table_header(small: Project) -> None:
    snapshot = small.analyse()
    edits = features.rename(snapshot, small.main, offset_of(snapshot, small.main, "RISKY"), "HOT")
    files = sorted(Path(e.span.source.name).name for e in edits)
    assert files == ["policy.pol", "risky.toml"]


def test_completion_after_a_dot_offers_the_records_fields(small: Project) -> None:
    text = SMALL["policy.pol"] + "\nrule s when any p in partners: p.\n"
    small.set_buffer(small.main, text)
    snapshot = small.analyse()
    found = features.complete(snapshot, small.main, len(text) - 1)
    assert {c.label for c in found} == {"country", "kind"}


def test_completion_after_an_assignment_offers_the_outcomes_codes(small: Project) -> None:
    text = SMALL["policy.pol"] + "\nrule s when risky then verdict >= "
    small.set_buffer(small.main, text)
    snapshot = small.analyse()
    assert {c.label for c in features.complete(snapshot, small.main, len(text))} == {
        "clear",
        "notify",
    }


def test_completion_after_double_equals_offers_the_enums_codes(small: Project) -> None:
    text = SMALL["policy.pol"] + "\nrule s when partner.kind == "
    small.set_buffer(small.main, text)
    snapshot = small.analyse()
    assert {c.label for c in features.complete(snapshot, small.main, len(text))} == {
        "company",
        "university",
    }


def test_completion_offers_every_keyword_of_the_grammar(small: Project) -> None:
    text = SMALL["policy.pol"] + "\n"
    small.set_buffer(small.main, text)
    snapshot = small.analyse()
    labels = {c.label for c in features.complete(snapshot, small.main, len(text))}
    assert set(words.keywords()) <= labels
    assert {"risky", "RISKY", "partner", "partners", "verdict"} <= labels


def test_keywords_are_every_quoted_word_of_the_grammar() -> None:
    grammar = (REPO / "grammar" / "kspolicy.lark").read_text(encoding="utf-8")
    code = "\n".join(line.split("//")[0] for line in grammar.splitlines())
    assert set(words.keywords()) == set(re.findall(r'"([a-z]+)"', code))
    assert {"rule", "when", "then", "matches", "hierarchical"} <= set(words.keywords())


def test_range_formatting_touches_only_the_items_in_the_range(small: Project) -> None:
    messy = (
        SMALL["policy.pol"]
        .replace("define risky =", "define   risky   =")
        .replace("  when risky", "  when    risky")
    )
    small.set_buffer(small.main, messy)
    snapshot = small.analyse()
    at = offset_of(snapshot, small.main, "define")
    (edit,) = features.format_range(snapshot, small.main, at, at + 3)
    assert edit.text == "define risky = partner.country in RISKY"
    (whole,) = features.format_document(messy)
    assert whole.text == kspolicy_format(messy)


def kspolicy_format(text: str) -> str:
    from kspolicy.lang.formatter import format_source

    return format_source(text)


def test_code_lenses_name_the_example_cases_a_rule_fires_on() -> None:
    project = Project(PACK / "policy.pol")
    try:
        snapshot = project.analyse()
        policy = project.policy()
        assert policy is not None
        cases = features.example_cases(PACK)
        fired = features.fired_on(policy, cases)
        country = (PACK / "rules" / "country.pol").resolve()
        lenses = features.lenses(snapshot, country, fired, len(cases))
        first = next(lens for lens in lenses if lens.arguments[-1] == "partner_in_risk_country")
        assert (
            first.title.startswith("fires on ")
            and "drone-technology-with-chinese-university" in first.title
        )
        assert features.lenses(snapshot, snapshot.main, fired, len(cases))[0].title == "Run tests"
    finally:
        project.close()


# ---- the pack's anchors ------------------------------------------------------------


def test_every_anchor_the_pack_cites_has_its_passage() -> None:
    anchors = read_anchors((PACK / "anchors.toml").read_text(encoding="utf-8"))
    pack = kspolicy.load(PACK)
    cited = {a for rule in pack.checked.rules for a in rule.cites}
    cited |= {named.cite for named in pack.checked.lists.values() if named.cite}
    assert cited <= set(anchors)
    assert all(anchor.text and anchor.title for anchor in anchors.values())


def test_every_anchor_passage_is_quoted_from_the_packs_documentation() -> None:
    docs = " ".join((REPO / "docs" / "knowledge-security.md").read_text(encoding="utf-8").split())
    data = tomllib.loads((PACK / "anchors.toml").read_text(encoding="utf-8"))
    for name, table in data.items():
        if name.startswith("case."):
            # the guideline's cases: a row each of the table under *Casussen*
            assert "### Casussen (" in docs and table["text"].startswith("Case "), name
            continue
        assert f"### {table['title']} (" in docs, name
        for passage in table["text"].strip().split("\n\n"):
            assert " ".join(passage.strip("“”").split()) in docs, name


# ---- the server's settings -----------------------------------------------------------


def test_settings_give_limits_over_the_command_lines() -> None:
    settings = options.read_settings({"limits": {"max_rules": 50000, "max_depth": 8.0}})
    assert settings.problems == ()
    limits = options.limits_over(kspolicy.Limits(max_rules=1, max_text=7), settings)
    assert limits == kspolicy.Limits(max_rules=50000, max_depth=8, max_text=7)
    assert options.read_settings(None) == options.Settings()
    assert options.read_settings({"root": ".", "command": ["kspolicy", "lsp"]}).root == "."


def test_the_configuration_lies_over_the_initialization_options() -> None:
    first = options.read_settings({"limits": {"max_rules": 5, "max_depth": 9}, "root": "."})
    later = options.over(first, options.read_settings({"limits": {"max_rules": 6}}))
    assert later.limits == {"max_rules": 6, "max_depth": 9} and later.root == "."


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([1], "the kspolicy settings must be an object such as"),
        ({"limits": 5}, 'kspolicy.limits must be an object such as {"max_rules": 50000}, not 5'),
        ({"limits": {"max_rulez": 5}}, "no limit `max_rulez`; did you mean `max_rules`?"),
        ({"limits": {"max_rules": True}}, "max_rules must be a whole number, e.g. 50000, not true"),
        ({"limits": {"max_rules": "5"}}, 'must be a whole number, e.g. 50000, not "5"'),
        ({"limits": {"max_rules": -1}}, "max_rules must be a whole number of 0 or more, not -1"),
        ({"limits": {"max_rules": 2.5}}, "must be a whole number of 0 or more, not 2.5"),
        ({"limits": {"max_rules": float("inf")}}, "must be a whole number of 0 or more, not inf"),
        ({"root": 3}, 'kspolicy.root must be a folder name, e.g. ".", not 3'),
    ],
)
def test_a_wrong_setting_is_named_and_left_out(value: object, problem: str) -> None:
    settings = options.read_settings(value)
    assert len(settings.problems) == 1 and problem in settings.problems[0]
    assert settings.limits == {} and settings.root is None


def test_lsp_takes_limits_and_root_on_the_command_line_as_check_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kspolicy.lsp import server
    from kspolicy.tools.cli import main

    started: list[kspolicy.Limits] = []
    monkeypatch.setattr(server.server, "start_io", lambda **_: started.append(server.server.limits))
    for name in ("command_limits", "limits", "command_root", "root_option"):
        monkeypatch.setattr(server.server, name, getattr(server.server, name))
    assert main(["lsp", "--limit", "max_rules=3", "--root", str(tmp_path)]) == 0
    assert started == [kspolicy.Limits(max_rules=3)]
    assert server.server.root_option == tmp_path.resolve()
    with pytest.raises(SystemExit):
        main(["lsp", "--limit", "max_rulez=3"])
    assert "no limit 'max_rulez'; did you mean `max_rules`?" in capsys.readouterr().err
    assert main(["lsp", "--root", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err


def test_the_vscode_settings_name_every_limit_with_its_default() -> None:
    import json

    import attrs

    package = json.loads((REPO / "editors" / "vscode" / "package.json").read_text("utf-8"))
    settings = package["contributes"]["configuration"]["properties"]["kspolicy.limits"]
    defaults = {f.name: f.default for f in attrs.fields(kspolicy.Limits)}
    assert set(settings["properties"]) == set(defaults) == set(options.LIMIT_NAMES)
    for name, value in defaults.items():
        assert settings["properties"][name]["description"] == f"default {value:,}"


# ---- names in list files -----------------------------------------------------------


def list_names(text: str) -> list[tuple[str, str, bool]]:
    from kspolicy.lsp import index
    from kspolicy.span import Source

    found = index.list_file_occurrences(Source("lists.toml", text))
    return [(o.key[0], o.span.text, o.definition) for o in found]


def test_a_list_file_names_its_lists_in_tables_inside_them_and_in_adjudications() -> None:
    text = """["QUOTED"]
kind = "codes"
cite = "partner.country"
[CONTACTS]
kind = "records"
[CONTACTS.labels]
email = "email"
[ANSWERS]
kind = "adjudications"
entries = [{ list = "LISTED", name = "A" }, { name = "B", list = "OTHER" }]
[[ANSWERS.entries]]
list = "THIRD"
"""
    assert list_names(text) == [
        ("list", "QUOTED", True),
        ("list", "CONTACTS", True),
        ("list", "CONTACTS", False),
        ("list", "ANSWERS", True),
        ("list", "ANSWERS", False),
        ("list", "LISTED", False),
        ("list", "OTHER", False),
        ("list", "THIRD", False),
        ("anchor", "partner.country", False),
    ]


def test_a_records_lists_own_list_field_names_no_list() -> None:
    text = '[PLACES]\nkind = "records"\nentries = [{ key = "a", list = "B" }]\n'
    assert list_names(text) == [("list", "PLACES", True)]
    # a file that does not read as TOML (being typed): each `list = "..."` is taken
    assert ("list", "B", False) in list_names(text + "[broken\n")


# ---- the mirror ----------------------------------------------------------------------


def test_opening_or_closing_a_file_unchanged_checks_nothing_again(small: Project) -> None:
    first = small.analyse()
    small.set_buffer(small.main, SMALL["policy.pol"])  # opened: the text on disk
    assert small.analyse() is first
    small.set_buffer(small.main, None)  # closed unchanged
    assert small.analyse() is first
    # a change on disk is seen at the next analysis, buffer or none
    small.main.write_text(SMALL["policy.pol"] + "\nrule broken when nope\n", encoding="utf-8")
    assert small.analyse().diagnostics[small.main]


def test_a_new_files_buffer_closed_unsaved_leaves_the_copy(small: Project) -> None:
    text = SMALL["policy.pol"].replace(
        'import "schema.pol"', 'import "schema.pol"\nimport "more.pol"'
    )
    small.main.write_text(text, encoding="utf-8")
    missing = small.analyse().diagnostics[small.main]
    assert [d.code.number for d in missing] == ["KSP213"]
    more = small.main.parent / "more.pol"
    small.set_buffer(more, "define more_risky = risky\n")
    shown = small.analyse().diagnostics
    assert [d.code.number for found in shown.values() for d in found] == ["KSP304"]  # unused
    small.set_buffer(more, None)  # never saved: the import names no file again
    assert [d.code.number for d in small.analyse().diagnostics[small.main]] == ["KSP213"]
