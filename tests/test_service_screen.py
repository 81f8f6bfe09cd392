"""`POST /v1/screen` on the real service: names screened against the policy's entities
lists as `kspolicy screen` screens them, with each list's source and freshness, problem
details for bad input, bounded by the documented limits, and counted in the metrics."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w

import kspolicy
from kspolicy.service import core, screening
from kspolicy.service.models import ScreenName, ScreenRequest
from kspolicy.service.problems import ProblemError
from kspolicy.tools.screen import screen_name

from .conftest import FIXTURES
from .test_service_support import Served, shared

PROBLEM = "application/problem+json"
DAY = "2026-01-15"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("screen"))


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def _screen(served: Served, body: Any, **params: str) -> httpx.Response:
    return served.client.post("/v1/screen", params={"as_of": DAY, **params}, json=body)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"].startswith("urn:kspolicy:problem:")
    return body


def test_screen_answers_each_name_as_kspolicy_screen_does(
    served: Served, pack: kspolicy.Policy
) -> None:
    names = [
        {"name": "Harbin Inst. of Technology", "country": "CN", "ref": "partner-1"},
        {"name": "Huawei Technologies"},
        {"name": "Universiteit Antwerpen", "country": "BE"},
    ]
    response = _screen(served, {"names": names})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["policy"] == {"name": pack.name, "version": pack.version, "sha256": pack.sha256}
    assert body["as_of"] == DAY
    listed = [n for n, named in pack.checked.lists.items() if named.kind == "entities"]
    assert [d["name"] for d in body["lists"]] == listed  # every entities list, by default
    day = dt.date.fromisoformat(DAY)
    for asked, result in zip(names, body["results"], strict=True):
        assert result["name"] == asked["name"] and result["ref"] == asked.get("ref")
        expected = screen_name(pack, asked["name"], country=asked.get("country"), as_of=day)
        assert [(f["list"], f["answer"], f["entry"], f["score"]) for f in result["findings"]] == [
            (f.list, f.answer, f.entry, f.score) for f in expected
        ]
        for found, cli in zip(result["findings"], expected, strict=True):
            if found["answer"] in ("match", "possible"):
                assert found["evidence"] == cli.evidence and found["entry_sha256"]
            if found["answer"] == "not covered":
                assert found["uncovered"] == cli.evidence
    harbin, huawei, antwerp = body["results"]
    assert harbin["country"] == "CN" and harbin["answer"] == "match" == harbin["band"]
    assert harbin["score"] == 1.0
    seven = next(f for f in harbin["findings"] if f["list"] == "SEVEN_SONS")
    assert seven["entry"] == "Harbin Institute of Technology" and seven["rule"]
    assert huawei["answer"] == "match" and huawei["ref"] is None
    # The pack's sanctions list is a placeholder, out of date: it answers no name "none".
    assert antwerp["answer"] == "not covered" and antwerp["band"] == "none"
    assert antwerp["score"] is None


def test_screen_says_where_each_list_comes_from_and_how_fresh_it_is(
    served: Served, pack: kspolicy.Policy
) -> None:
    body = _screen(served, {"names": [{"name": "ZTE"}]}).json()
    lists = {d["name"]: d for d in body["lists"]}
    sanctions = lists["SANCTIONED_PARTIES"]
    assert sanctions["stale"] is True and sanctions["retrieved"] == "1970-01-01"
    assert sanctions["max_age_days"] == 1
    assert sanctions["age_days"] == (dt.date(2026, 1, 15) - dt.date(1970, 1, 1)).days
    seven = lists["SEVEN_SONS"]
    assert seven["stale"] is False and seven["max_age_days"] is None
    assert seven["source"] == pack.checked.lists["SEVEN_SONS"].source
    assert seven["entries"] == 7 and seven["matching"] == "graded"
    finding = next(f for f in body["results"][0]["findings"] if f["list"] == "SANCTIONED_PARTIES")
    assert finding["stale"] is True and "out of date" in finding["uncovered"]
    assert "at most 1 day old)" in finding["uncovered"]  # not "1 days"
    assert finding["source"] == sanctions["source"]


def test_screen_against_the_lists_asked_for_only(served: Served) -> None:
    body = _screen(served, {"names": [{"name": "Huawei"}], "lists": ["HORIZON_IA_EXCLUDED"]})
    result = body.json()["results"][0]
    assert [f["list"] for f in result["findings"]] == ["HORIZON_IA_EXCLUDED"]
    assert [d["name"] for d in body.json()["lists"]] == ["HORIZON_IA_EXCLUDED"]
    assert result["answer"] == "match" and result["findings"][0]["entry"] == "Huawei"


def test_screen_names_every_bad_place_of_a_request(served: Served) -> None:
    body = {
        "names": [
            {"name": "  ", "country": "China"},
            {"name": "Huawei", "contry": "CN"},
        ],
        "lists": ["SEVEN_SON", "NOPE"],
        "extra": 1,
    }
    problem = _problem(_screen(served, body), 422)
    assert problem["type"] == "urn:kspolicy:problem:invalid-request"
    places = {e["path"]: e["message"] for e in problem["errors"]}
    assert set(places) == {
        "names[0].name",
        "names[0].country",
        "names[1].contry",
        "lists[0]",
        "lists[1]",
        "extra",
    }
    assert "country" in places["names[1].contry"] and "SEVEN_SONS" in places["lists[0]"]
    assert problem["instance"] == "/v1/screen"


def test_screen_body_of_the_wrong_shape_or_no_json_gets_400(served: Served) -> None:
    wrong = _problem(_screen(served, {"names": [{"name": 7}]}), 400)
    assert wrong["errors"][0]["path"] == "names[0].name"
    assert _problem(_screen(served, {"names": "Huawei"}), 400)["errors"][0]["path"] == "names"
    assert _problem(_screen(served, []), 400)["errors"][0]["path"] == ""
    broken = served.client.post("/v1/screen", content=b'{"names": [')
    assert _problem(broken, 400)["type"] == "urn:kspolicy:problem:malformed-body"
    assert _problem(_screen(served, {"names": []}), 422)["errors"][0]["path"] == "names"
    date = _problem(_screen(served, {"names": [{"name": "x"}]}, as_of="someday"), 400)
    assert date["errors"][0]["path"] == "query.as_of"


def test_screen_is_bounded_by_the_documented_limits(served: Served) -> None:
    many = _problem(_screen(served, {"names": [{"name": "x"}] * 1001}), 422)  # max_items
    assert many["errors"] == [
        {
            "path": "names",
            "message": "1,001 names; at most 1,000 in one request"
            " (the limit max_items, docs/limits.md)",
            "code": "KSP409",
        }
    ]
    long = _problem(_screen(served, {"names": [{"name": "x" * 10_001}]}), 422)  # max_text
    assert long["errors"][0]["path"] == "names[0].name" and long["errors"][0]["code"] == "KSP408"
    huge = served.client.post("/v1/screen", json={"names": [{"name": "x" * 1_000_001}]})
    assert _problem(huge, 413)["type"] == "urn:kspolicy:problem:too-large"  # max_case_bytes


def test_screen_is_counted_in_the_metrics(served: Served) -> None:
    _screen(served, {"names": [{"name": "Huawei"}, {"name": "ZTE Corporation"}]})
    metrics = served.client.get("/metrics").text
    assert 'kspolicy_screenings_total{answer="match"}' in metrics
    assert 'kspolicy_requests_total{method="POST",route="/v1/screen",status="200"}' in metrics


def test_screen_is_in_the_openapi_document_from_its_models(served: Served) -> None:
    document = served.client.get("/openapi.json").json()
    operation = document["paths"]["/v1/screen"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ScreenRequest"}
    components = document["components"]["schemas"]
    assert components["ScreenRequest"]["required"] == ["names"]
    assert "findings" in components["ScreenResult"]["properties"]
    assert {"400", "413", "422"} <= set(operation["responses"])


def test_screen_with_a_policy_of_no_entities_list_says_so(tmp_path: Path) -> None:
    # The work of the endpoint, without the server: a policy with nothing to screen
    # against answers no name "none" (which would read as "not on any list").
    shutil.copy(FIXTURES / "common" / "schema.pol", tmp_path / "schema.pol")
    lists = tomllib.loads((FIXTURES / "common" / "lists" / "lists.toml").read_text("utf-8"))
    codes = {name: table for name, table in lists.items() if table.get("kind") != "entities"}
    (tmp_path / "lists.toml").write_text(tomli_w.dumps(codes), encoding="utf-8")
    (tmp_path / "policy.pol").write_text(
        'policy test version "1"\nimport "schema.pol"\nlists "lists.toml"\n', encoding="utf-8"
    )
    snapshot = core.make_snapshot(kspolicy.load(tmp_path), 1)
    with pytest.raises(ProblemError) as refused:
        screening.check(snapshot, ScreenRequest([ScreenName("Huawei")]))
    assert refused.value.problem.status == 422
    assert refused.value.problem.type == "urn:kspolicy:problem:no-lists"
    with pytest.raises(ProblemError) as named:
        screening.check(snapshot, ScreenRequest([ScreenName("Huawei")], ["SEVEN_SONS"]))
    message = named.value.problem.errors[0].message
    assert message.endswith("the policy has no entities list to screen names against")


def test_v1_screen_after_a_dismissal_says_who_dismissed_which_entry(tmp_path: Path) -> None:
    """`/v1/screen` answered `none` for a dismissed name without the note `screen name`
    gives: who dismissed which entry, when and why (the same words in both)."""
    from kspolicy.tools.cli import main

    from .test_screen_language import make_policy

    make_policy(tmp_path)
    policy = ["--policy", str(tmp_path / "policy.pol")]
    review = ["screen", "review", "HIT", "--list", "LISTED", "--by", "j.doe", *policy]
    assert main([*review, "--why", "a namesake", "--dismiss"]) == 0
    loaded = kspolicy.load(tmp_path / "policy.pol")
    snapshot = core.make_snapshot(loaded, 1)
    request = ScreenRequest([ScreenName("HIT"), ScreenName("Nobody At All")])
    screening.check(snapshot, request)
    day = dt.date.today()
    answered = screening.screen(snapshot, request, day)
    [dismissed], [unknown] = (result["findings"] for result in answered["results"])
    assert dismissed["answer"] == "none" and dismissed["entry"] is None
    note = dismissed["adjudication"]
    assert note.startswith("Harbin Institute of Technology dismissed by j.doe on ")
    assert note.endswith(": a namesake")
    [said] = screen_name(loaded, "HIT", as_of=day)
    assert said.adjudication == note
    assert unknown["adjudication"] is None  # no answer was ever given for this name


def test_a_dismissal_written_for_a_name_never_a_candidate_explains_nothing(
    tmp_path: Path,
) -> None:
    """An answer written by hand for a name the list has no candidate for: `screen name`
    said `none; Harbin Institute of Technology dismissed by ...`, as if the answer had
    decided it. Only a dismissal that took a candidate out is said; and one whose entry
    changed since is not a dismissal."""
    from kspolicy.tools.cli import main

    from .test_screen_language import make_policy

    make_policy(tmp_path)
    policy = ["--policy", str(tmp_path / "policy.pol")]
    review = ["screen", "review", "HIT", "--list", "LISTED", "--by", "j.doe", *policy]
    assert main([*review, "--why", "a namesake", "--dismiss"]) == 0
    [answers] = [p for p in (tmp_path / "lists").glob("*.toml") if "adjudications" in p.read_text()]
    text = answers.read_text()
    table = text[text.index("[[") :]
    written = table.replace('name = "HIT"', 'name = "Zebra Logistics"')
    answers.write_text(text + "\n" + written)
    loaded = kspolicy.load(tmp_path / "policy.pol")
    day = dt.date.today()
    [never] = screen_name(loaded, "Zebra Logistics", as_of=day)
    assert never.answer == "none" and never.adjudication is None
    [dismissed] = screen_name(loaded, "HIT", as_of=day)
    assert dismissed.adjudication is not None and "a namesake" in dismissed.adjudication
    # The entry changed since the answer: a candidate again, the dismissal said not to hold.
    answers.write_text(
        re.sub(r'entry_sha256 = "[0-9a-f]{64}"', f'entry_sha256 = "{"0" * 64}"', text)
    )
    again = kspolicy.load(tmp_path / "policy.pol")
    [stale] = screen_name(again, "HIT", as_of=day)
    assert stale.answer != "none"
    assert stale.adjudication is not None and "no longer holds" in stale.adjudication
