"""One answer order and one country tidy-up for screening, used by `kspolicy screen` and
by `POST /v1/screen` (eval/screen.py `answer` and `strongest`, screening/inputs.py
`country_code`): the two were written twice, and for the same names their JSON says
the same."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kspolicy.eval.screen import ANSWERS, Hit, Screened, answer, strongest
from kspolicy.screening.inputs import country_code
from kspolicy.tools.cli import main

from .test_service_support import Served, shared

DAY = "2026-01-15"
# A match, a possible match, a name no list has, a list out of date. (A country is read
# as a case's field: ` cn ` and `be` are refused alike, test_screen_reads_countries_as_cases.)
NAMES = [
    {"name": "Harbin Inst. of Technology", "country": "CN"},
    {"name": "Beihang"},
    {"name": "Universiteit Antwerpen", "country": "BE"},
    {"name": "Huawei Technologies"},
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("answer-order"))


def _cli(capsys: pytest.CaptureFixture[str], item: dict[str, str], lists: list[str]) -> Any:
    argv = ["screen", item["name"], "--json", "--as-of", DAY]
    argv += ["--country", item["country"]] if "country" in item else []
    for name in lists:
        argv += ["--list", name]
    capsys.readouterr()
    assert main(argv) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("lists", [[], ["SEVEN_SONS", "HORIZON_IA_EXCLUDED"]])
def test_service_and_cli_screen_json_for_the_same_names_stay_identical(
    served: Served, capsys: pytest.CaptureFixture[str], lists: list[str]
) -> None:
    body: dict[str, Any] = {"names": NAMES}
    if lists:
        body["lists"] = lists
    response = served.client.post("/v1/screen", params={"as_of": DAY}, json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    seen = set()
    for item, result in zip(NAMES, results, strict=True):
        cli = _cli(capsys, item, lists)
        assert [f["list"] for f in cli] == [f["list"] for f in result["findings"]]
        for said, found in zip(cli, result["findings"], strict=True):
            assert said.get("country") == result["country"] == country_code(item.get("country"))
            # Every field the command line gives, the service gives alike (the service's
            # `uncovered` is the command line's `evidence` of a list that cannot answer).
            for key, value in said.items():
                if key in ("list", "name", "country"):
                    continue
                uncovered = key == "evidence" and said["answer"] == "not covered"
                theirs = found["uncovered"] if uncovered else found[key]
                assert theirs == value, (item, key)
            seen.add(said["answer"])
        assert result["answer"] == strongest(f["answer"] for f in cli)
    # The names give every answer there is (the sanctions list is out of date: not covered).
    assert seen == (set(ANSWERS) if not lists else set(ANSWERS) - {"not covered"})
    assert [r["country"] for r in results] == ["CN", None, "BE", None]


def test_answer_and_strongest_keep_one_order() -> None:
    hit = Hit("Beihang University", "possible", 0.85, "tokens", "score 0.85", None, "0" * 64)
    assert answer(Screened(None, hit)) == "possible"
    assert answer(Screened(False)) == "none"
    assert answer(Screened(None, uncovered="out of date")) == "not covered"
    assert answer(Screened(None, needs_country=True)) == "not covered"
    assert strongest(["none", "not covered"]) == "not covered"
    assert strongest(["none", "possible", "not covered"]) == "possible"
    assert strongest(reversed(ANSWERS)) == "match"


def test_country_code_tidies_a_code_and_keeps_none() -> None:
    assert country_code(" cn ") == "CN"
    assert country_code("Be") == "BE"
    assert country_code(None) is None
    assert country_code("  ") is None
