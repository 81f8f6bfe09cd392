"""The decision contract (issue 15, item 11): the published JSON Schemas, the `format`
field, and the typed accessors embedding code reads outcomes with.

Validation is by `jsonschema` (a test dependency only; the engine never imports it).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import sys
import tomllib
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kspolicy
from kspolicy.diagnostics import KspolicyError
from kspolicy.eval import contract
from kspolicy.eval.decision import FORMAT, Decision, OutcomeError
from kspolicy.tools.cli import main

from .conftest import ROOT
from .strategies import forget, full_cases

AS_OF = "2026-01-15"
EXAMPLES = sorted((ROOT / "examples" / "cases").glob("*.toml"))
PUBLISHED = ROOT / "docs" / "decision.schema.json"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def closed(schema: Any) -> Any:
    """The schema with every record closed (no property it does not list): the published
    decision schema lets later releases add fields, but this release must describe every
    field it writes, so the tests validate with no room for an undescribed one."""
    schema = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def as_json(value: Any) -> Any:
    """A case read from TOML in its JSON form: dates become YYYY-MM-DD texts."""
    if isinstance(value, dict):
        return {key: as_json(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [as_json(inner) for inner in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# ---- the decision ---------------------------------------------------------------------


@pytest.mark.parametrize("detail", ["compact", "full"])
@pytest.mark.parametrize("explain", [False, True], ids=["plain", "explained"])
def test_every_example_decision_validates_against_the_schema(
    pack: kspolicy.Policy, explain: bool, detail: str
) -> None:
    check = validator(closed(contract.decision_schema()))
    assert EXAMPLES
    for path in EXAMPLES:
        decision = pack.evaluate(path, as_of=AS_OF, explain=explain)
        data = json.loads(decision.to_json(detail))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(data)]
        assert errors == [], path.name


def test_the_schema_rejects_what_the_format_forbids(pack: kspolicy.Policy) -> None:
    check = validator(contract.decision_schema())
    data = pack.evaluate(EXAMPLES[0], as_of=AS_OF).to_dict(detail="full")
    check.validate(data)
    for broken in (
        {**data, "format": "full/2"},
        {**data, "format": "compact/1"},
        {key: value for key, value in data.items() if key != "format"},
        {key: value for key, value in data.items() if key != "outcomes"},
        {**data, "outcomes": {"verdict": 3}},
        {**data, "fired": [{"rule": "x"}]},
    ):
        assert not check.is_valid(broken)
    # Open for additions: a field added later within the version still validates.
    check.validate({**data, "added_later": True})


def test_every_decision_field_is_described() -> None:
    assert contract.missing_descriptions() == []


def test_the_format_field_leads_and_fields_are_only_added(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(EXAMPLES[0], as_of=AS_OF)
    text = decision.to_json(detail="full")
    assert text.startswith('{\n  "format": "full/1",\n  "policy": {')
    data = json.loads(text)
    assert data["format"] == FORMAT == "full/1"
    assert list(data)[1:] == [
        "policy", "outcomes", "possible", "fired", "pending",
        "open_questions", "references", "trace", "lang", "headline", "sources",
    ]  # fmt: skip  (headline and sources were added within full/1, after lang)


def test_decisions_written_before_the_format_field_still_read(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(EXAMPLES[1], as_of=AS_OF)
    older = {k: v for k, v in decision.to_dict(detail="full").items() if k != "format"}
    assert Decision.from_dict(older) == decision


def test_a_decision_in_an_unknown_format_is_refused_in_words(pack: kspolicy.Policy) -> None:
    data = {**pack.evaluate(EXAMPLES[0], as_of=AS_OF).to_dict(), "format": "compact/7"}
    with pytest.raises(
        KspolicyError, match=r"format 'compact/7': this release reads compact/1, full/1"
    ):
        Decision.from_dict(data)


def test_the_published_schema_is_the_generated_one() -> None:
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert published == contract.decision_schema(), (
        "docs/decision.schema.json is out of date: `kspolicy schema decision "
        "> docs/decision.schema.json`"
    )


def test_every_decision_field_is_in_the_format_document() -> None:
    text = (ROOT / "docs" / "decision-format.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_0-9]+)`", text))
    fields = {key.split(".")[1] for key in contract.DESCRIPTIONS} | {"format"}
    assert fields - named == set()


def test_a_form_name_with_a_slash_is_a_valid_json_pointer() -> None:
    schema = contract.decision_schema()
    assert schema["oneOf"] == [{"$ref": "#/$defs/compact~11"}, {"$ref": "#/$defs/full~11"}]
    assert "full/1" in schema["$defs"] and "compact/1" in schema["$defs"]


# ---- the case ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def case_check(pack: kspolicy.Policy) -> jsonschema.protocols.Validator:
    return validator(contract.case_schema(pack.checked))


def test_every_example_case_validates_against_the_case_schema(
    case_check: jsonschema.protocols.Validator,
) -> None:
    for path in EXAMPLES:
        case = as_json(tomllib.loads(path.read_text(encoding="utf-8")))
        case.pop("as_of", None)  # read by the command line, not a fact of the case
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in case_check.iter_errors(case)]
        assert errors == [], path.name


@pytest.mark.parametrize(
    "case",
    [
        {"project": {"trl": 12}},
        {"project": {"military_end_use": "yes"}},
        {"partners": [{"country": "XX"}]},
        {"partners": {"country": "CN"}},
        {"nonsense": 1},
        {"project": {"topics": ["robotics.nonsense"]}},
        {"project": {"start": "15 January"}},
    ],
)
def test_the_case_schema_rejects_what_the_engine_rejects(
    pack: kspolicy.Policy, case_check: jsonschema.protocols.Validator, case: dict[str, Any]
) -> None:
    assert not case_check.is_valid(case)
    with pytest.raises(kspolicy.CaseError):
        pack.evaluate(case, as_of=AS_OF)


@given(data=st.data())
def test_generated_cases_the_engine_reads_validate(
    pack: kspolicy.Policy, case_check: jsonschema.protocols.Validator, data: st.DataObject
) -> None:
    case = as_json(data.draw(full_cases(pack.checked.schema).flatmap(forget)))
    pack.evaluate(case, as_of=AS_OF)  # the engine reads it
    case_check.validate(case)


def test_the_case_schema_speaks_the_policys_languages(pack: kspolicy.Policy) -> None:
    english = contract.case_schema(pack.checked)
    dutch = contract.case_schema(pack.checked, "nl")
    trl = english["$defs"]["Project"]["properties"]["trl"]
    assert trl["description"].startswith("What is the technology readiness level")
    assert set(trl["x-kspolicy-texts"]) == {"en", "nl"}
    assert dutch["$defs"]["Project"]["properties"]["trl"]["description"].startswith(
        "Wat is het technology readiness level"
    )
    assert trl["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 9}
    assert english["$defs"]["Classification"]["enum"][0] == "none"


# ---- the command ------------------------------------------------------------------------


def test_kspolicy_schema_decision_prints_the_published_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "decision"]) == 0
    assert json.loads(capsys.readouterr().out) == contract.decision_schema()


def test_kspolicy_schema_case_prints_the_policys_case_schema(
    pack: kspolicy.Policy, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "case", "--lang", "nl"]) == 0
    assert json.loads(capsys.readouterr().out) == contract.case_schema(pack.checked, "nl")


def test_kspolicy_schema_decision_refuses_policy_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "decision", "--lang", "nl"]) == 2
    assert "are for `kspolicy schema case`" in capsys.readouterr().err


def test_kspolicy_schema_case_refuses_a_language_the_policy_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["schema", "case", "--lang", "fr"]) == 2
    assert "written in en, nl" in capsys.readouterr().err


# ---- typed accessors ----------------------------------------------------------------------


def test_typed_accessors_read_scales_sets_and_entries(pack: kspolicy.Policy) -> None:
    path = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"
    decision = pack.evaluate(path, as_of=AS_OF)
    assert decision.scale("verdict") == decision.outcomes["verdict"] == "notify"
    assert decision.codes("obligations") == {"report_contact_point"}
    assert decision.codes("restrictions") == frozenset()
    assert decision.entry("contact_point") == "UAntwerpen"
    assert decision.possible_scale("verdict") == "review"
    assert "export_licence" in decision.possible_codes("obligations")
    assert decision.possible_codes("restrictions") == frozenset()


def test_typed_accessors_name_the_outcome_meant(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate({"institution": "VUB"}, as_of=AS_OF)
    with pytest.raises(
        OutcomeError, match="no set outcome `obligatons`; did you mean `obligations`"
    ):
        decision.codes("obligatons")
    with pytest.raises(OutcomeError, match=r"`verdict` is a scale: read its code with scale"):
        decision.codes("verdict")
    with pytest.raises(OutcomeError, match=r"`checks` is a set of codes: read it with codes"):
        decision.scale("checks")
    with pytest.raises(KspolicyError, match="did you mean `verdict`"):
        decision.possible_scale("verdcit")


def test_examples_embed_reads_typed_outcomes() -> None:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import embed
    finally:
        sys.path.pop(0)
    screened = embed.main()
    assert screened[0]["verdict"] == "prohibited"
    assert "report_contact_point" in screened[0]["to_do"]  # an obligation
    assert "sanctions_screening" in screened[0]["to_do"]  # a check
    assert screened[1]["verdict"] == "clear" and screened[1]["could_become"] == "prohibited"
