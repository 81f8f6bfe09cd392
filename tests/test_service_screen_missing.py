"""`POST /v1/screen` without a field it must have is answered as with the field empty:
one 422 problem naming the field and how to give it (Litestar's reading of the body used
to answer a missing `names` 400, in its own words, where `names: []` got a 422)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .test_service_support import Served, shared

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("screen-missing"))


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith(PROBLEM), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    return body


def _screen(served: Served, body: Any) -> httpx.Response:
    return served.client.post("/v1/screen", params={"as_of": "2026-01-15"}, json=body)


def test_screen_missing_names_gets_the_same_422_as_names_empty(served: Served) -> None:
    missing = _screen(served, {"lists": ["SEVEN_SONS"]})
    empty = _screen(served, {"names": [], "lists": ["SEVEN_SONS"]})
    assert missing.status_code == empty.status_code == 422
    absent, none = _problem(missing), _problem(empty)
    assert absent["type"] == none["type"] == "urn:kspolicy:problem:invalid-request"
    assert [e["path"] for e in absent["errors"]] == [e["path"] for e in none["errors"]] == ["names"]
    fix = 'give at least one name to screen, as {"names": [{"name": "..."}]}'
    assert absent["errors"][0]["message"] == f"`names` is missing: {fix}"
    assert none["errors"][0]["message"] == f"`names` is empty: {fix}"
    assert _problem(_screen(served, {}))["errors"] == absent["errors"]  # an empty object too


def test_screen_name_without_its_name_gets_422_at_its_path(served: Served) -> None:
    answer = _screen(served, {"names": [{"name": "Huawei"}, {"country": "CN"}]})
    assert answer.status_code == 422
    errors = _problem(answer)["errors"]
    assert [e["path"] for e in errors] == ["names[1].name"]
    assert errors[0]["message"].startswith("`name` is missing: give the name to screen")


def test_screen_field_of_the_wrong_type_is_still_400(served: Served) -> None:
    # Only a missing field is answered as an empty one: a wrong type is the body's shape.
    answer = _screen(served, {"names": "Huawei"})
    assert answer.status_code == 400
    assert _problem(answer)["errors"][0]["path"] == "names"


def test_screen_openapi_says_what_its_422_and_400_are(served: Served) -> None:
    operation = served.client.get("/openapi.json").json()["paths"]["/v1/screen"]["post"]
    assert "Names missing, empty" in operation["responses"]["422"]["description"]
    assert "wrong type" in operation["responses"]["400"]["description"]
