"""A misspelt field compared with a code is one error, not two: the bare code's meaning
is the field's type to say, so with the field wrong the code is not also reported as an
unknown name (`p.kindd == military` said KSP201 and then KSP202 for `military`)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kspolicy

POLICY = """\
policy p version "1"
decision {
  verdict: scale clear < notify
}
enum Kind { university, military }
schema {
  partners: list of Partner
}
record Partner {
  kind: Kind
}
rule r cite "s" when any p in partners: CONDITION then verdict >= notify because "b"
"""


def _errors(tmp_path: Path, condition: str) -> list[tuple[str, str]]:
    path = tmp_path / "p.pol"
    path.write_text(POLICY.replace("CONDITION", condition))
    return [(d.code.number, d.span.text) for d in kspolicy.check(path) if d.is_error]


@pytest.mark.parametrize("condition", ["p.kindd == military", "military == p.kindd"])
def test_a_misspelt_field_beside_a_code_is_one_error(tmp_path: Path, condition: str) -> None:
    assert _errors(tmp_path, condition) == [("KSP201", "kindd")]


@pytest.mark.parametrize("condition", ["p.kind == militar", "militar == p.kind"])
def test_a_misspelt_code_beside_a_field_is_still_said(tmp_path: Path, condition: str) -> None:
    assert _errors(tmp_path, condition) == [("KSP203", "militar")]


def test_an_unknown_name_elsewhere_in_the_condition_is_still_said(tmp_path: Path) -> None:
    found = _errors(tmp_path, "p.kindd == military and nosuch")
    assert found == [("KSP201", "kindd"), ("KSP202", "nosuch")]
