"""A batch line of exactly `max_case_bytes` is decided by `kspolicy eval --batch` and by
`POST /v1/batch` alike, whatever its end (`\\n` or `\\r\\n`): the limit is on the line's
content, and the service used to count the `\\r` of a Windows line end, refusing a line
the command line decided."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kspolicy.limits import DEFAULT
from kspolicy.service.lines import Line, line_groups

from .test_batch_line_parity import _cli, _service
from .test_service_support import Served, shared

LIMIT = DEFAULT.max_case_bytes


def _case_of(size: int) -> bytes:
    """A good case of exactly `size` bytes: white space inside its JSON object."""
    head, tail = b'{"project": {"trl": 3}', b"}"
    return head + b" " * (size - len(head) - len(tail)) + tail


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("limit-parity"))


def test_service_line_at_exactly_the_limit_with_crlf_is_decided_as_by_the_cli(
    tmp_path: Path, served: Served
) -> None:
    exact, over = _case_of(LIMIT), _case_of(LIMIT + 1)
    content = exact + b"\r\n" + exact + b"\n" + over + b"\r\n" + over + b"\n" + exact
    cli, service = _cli(tmp_path, content), _service(served, content)
    assert sorted(cli) == sorted(service) == [1, 2, 3, 4, 5]
    for number in (1, 2, 5):  # exactly the limit, whatever the line's end: decided
        assert "decision" in cli[number], cli[number].get("error")
        decided = {k: v for k, v in service[number]["decision"].items() if k != "id"}
        assert decided == cli[number]["decision"], number
    for number in (3, 4):  # one byte more, whatever the line's end: refused, KSP406
        assert cli[number]["codes"] == ["KSP406"], number
        assert [e["code"] for e in service[number]["problem"]["errors"]] == ["KSP406"]


def test_line_groups_counts_a_crlf_line_without_its_end() -> None:
    async def collect(parts: list[bytes]) -> list[Line]:
        async def chunks() -> AsyncIterator[bytes]:
            for part in parts:
                yield part

        return [line async for group in line_groups(chunks(), 4) for line in group]

    # Split anywhere, even between the "\r" and the "\n": the same lines.
    body = b"abcd\r\nabcde\r\nabc\r\r\nab\r\n"
    for cut in range(len(body) + 1):
        found = asyncio.run(collect([body[:cut], body[cut:]]))
        assert found == [(1, b"abcd\r"), (2, None), (3, b"abc\r\r"), (4, b"ab\r")], cut
    # A last line without its end counts all its bytes, as the command line counts them.
    assert asyncio.run(collect([b"abcd\r"])) == [(1, None)]
    assert json.loads(_case_of(50)) == {"project": {"trl": 3}}
