"""`kspolicy prove --property FILE`: the pack's six principles proved, and a principle
broken on purpose refuted with two cases the engine decides as said (issue 19)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import kspolicy

from .conftest import ROOT

pytest.importorskip("z3")

from kspolicy.prove import properties  # noqa: E402
from kspolicy.tools.cli import main  # noqa: E402

PACK = ROOT / "policies" / "knowledge-security"
PRINCIPLES = sorted((PACK / "properties").glob("*.toml"))


def test_the_pack_has_a_property_file_for_each_of_its_six_principles() -> None:
    assert [p.name.split("-")[0] for p in PRINCIPLES] == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.parametrize("file", PRINCIPLES, ids=[p.stem for p in PRINCIPLES])
def test_the_principles_of_the_pack_are_proved(file: Path) -> None:
    result = properties.prove_file(PACK, file, kspolicy.load)
    assert result.status == "proved", result.reason or result.refutation
    assert result.bound.k == 3


def broken_pack(tmp_path: Path, file: str, old: str, new: str) -> Path:
    copy = tmp_path / "broken"
    shutil.copytree(PACK, copy)
    path = copy / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return copy


def test_a_country_that_bars_by_itself_refutes_country_neutrality(tmp_path: Path) -> None:
    broken = broken_pack(
        tmp_path,
        "rules/country.pol",
        "  when partner.country in RISK_COUNTRIES\n  then risk >= medium",
        "  when partner.country in RISK_COUNTRIES\n  then verdict >= review\n       risk >= medium",
    )
    result = properties.prove_file(
        broken, PACK / "properties" / "2-country-neutral.toml", kspolicy.load
    )
    assert result.status == "refuted" and result.refutation is not None
    assert result.refutation.broken == ("verdict <= notify",)
    case = result.refutation.b
    decision = kspolicy.load(broken).evaluate(case, as_of=result.refutation.as_of)
    assert decision.outcomes["verdict"] in ("review", "prohibited")
    assert any(
        p.get("country") in {"CN", "IR", "IL", "KP", "PK", "RU", "SA", "SY", "TR", "AE", "BY"}
        for p in case["partners"]
    )


def test_a_rule_that_an_added_risk_silences_refutes_monotonicity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = broken_pack(
        tmp_path,
        "rules/researcher.pol",
        "  when temporary_researcher\n  then obligations",
        "  when temporary_researcher\n  unless researcher.cv_gaps\n  then obligations",
    )
    folder = tmp_path / "counterexample"
    args = ["prove", "--property", str(PACK / "properties" / "1-monotone.toml"), str(broken)]
    assert main([*args, "--format", "json", "--counterexamples", str(folder)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "refuted" and data["bound"]["k"] == 3
    # The two cases, as files `kspolicy eval` reads: b is a with a risk element added, and
    # b's decision gives less than a's.
    decided = {}
    for name in ("case-a", "case-b"):
        assert (
            main(
                ["eval", str(folder / f"{name}.toml"), "--policy", str(broken), "--format", "json"]
            )
            == 0
        )
        decided[name] = json.loads(capsys.readouterr().out)["outcomes"]
    a, b = decided["case-a"], decided["case-b"]
    assert "ip_agreement" in a["obligations"] and "ip_agreement" not in b["obligations"]


def test_a_misspelt_fact_in_a_property_is_an_error_in_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "p.toml"
    file.write_text('given = ["project.dual_usage == listed"]\n[expect]\nverdict = "<= notify"\n')
    assert main(["prove", "--property", str(file)]) == 2
    err = capsys.readouterr().err
    assert str(file) in err and "dual_usage" in err
    file.write_text('title = "x"\nwhen = []\n')
    assert main(["prove", "--property", str(file)]) == 2
    assert "unknown key `when`" in capsys.readouterr().err
