"""schemathesis against the real service's OpenAPI document: no input gives a server error.

Requests are generated from /openapi.json (the case's JSON Schema included), valid and
invalid, under the Hypothesis profile of tests/conftest.py; every answer must be no
5xx, of a status the document lists, in the media type it names, and fit its schema.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .test_service_support import Served, shared


@schemathesis.serializer("application/x-ndjson")
def _json_lines(context: Any, value: Any) -> bytes:
    """A batch body: the text generated, as it is (schemathesis has no JSON Lines writer)."""
    return value.encode("utf-8") if isinstance(value, str) else json.dumps(value).encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("schemathesis"))


def test_no_request_gives_a_server_error(served: Served) -> None:
    api = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    checks = [
        schemathesis.checks.not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    tested = []
    for found in api.get_all_operations():
        assert isinstance(found, Ok), found  # every operation of the document reads
        operation = found.ok()
        tested.append(operation.label)

        # The example count follows the profile (tests/conftest.py): a fifth of it, since
        # each example is a real HTTP round trip with a generated case, five times the
        # work of a property example (CI: 10 per operation; thorough: 400).
        @settings(
            max_examples=max(1, settings().max_examples // 5),
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def answers(case: Any) -> None:
            case.call_and_validate(checks=checks, timeout=30)

        answers()
    assert {"POST /v1/decisions", "GET /v1/policy", "POST /v1/screen"} <= set(tested)
