"""The batch body's lines, read as they arrive (service/lines.py): joined across chunks,
a line over the limit in its place as None, in memory bounded by the limit; and the
batch's own limits (lines, bytes) on a real server, as problem lines at the end."""

from __future__ import annotations

import asyncio
import json
import threading
import tracemalloc
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import given
from hypothesis import strategies as st

from kspolicy.service.app import ServiceConfig, asgi
from kspolicy.service.lines import Line, line_groups

from .test_service_support import free_port


async def _chunks(parts: Iterable[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _lines(parts: Iterable[bytes], most: int) -> list[list[Line]]:
    async def collect() -> list[list[Line]]:
        return [group async for group in line_groups(_chunks(parts), most)]

    return asyncio.run(collect())


def test_a_line_split_across_chunks_is_joined() -> None:
    groups = _lines([b'{"a":', b" 1}\n{", b'"b": 2}\n', b"\n", b"last"], 100)
    # One group per chunk that completes lines: what the service answers before reading on.
    assert groups == [[(1, b'{"a": 1}')], [(2, b'{"b": 2}')], [(3, b"")], [(4, b"last")]]


def test_a_line_over_the_limit_is_none_in_its_place() -> None:
    groups = _lines([b"short\n" + b"x" * 8, b"x" * 8 + b"\nok\n", b"y" * 11], 10)
    assert [line for group in groups for line in group] == [
        (1, b"short"),
        (2, None),
        (3, b"ok"),
        (4, None),
    ]
    # Exactly at the limit is no problem; one byte more is.
    assert _lines([b"x" * 10 + b"\n" + b"z" * 11 + b"\n"], 10) == [[(1, b"x" * 10), (2, None)]]


def test_a_50_mb_line_is_read_in_memory_bounded_by_the_limit() -> None:
    # Buffered whole (as the batch endpoint read its body before), the line would take
    # 50 MB; read as it comes, no more than the limit and a chunk are ever held.
    # Each chunk a new object, as the server gives them: keeping them would keep 50 MB.
    parts = (b"x" * 65_536 if i < 800 else b"\n{}\n" for i in range(801))
    tracemalloc.start()
    try:
        groups = _lines(parts, 100_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert groups == [[(1, None), (2, b"{}")]]
    assert peak < 2_000_000


@given(
    st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=8),
    st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=5),
    st.integers(min_value=0, max_value=10),
)
def test_any_chunking_gives_the_lines_of_the_whole_body(
    lines: list[bytes], cuts: list[int], most: int
) -> None:
    body = b"".join(line + b"\n" for line in lines)
    parts, at, i = [], 0, 0
    while at < len(body):
        parts.append(body[at : at + cuts[i % len(cuts)]])
        at += cuts[i % len(cuts)]
        i += 1
    found = [line for group in _lines(parts, most) for line in group]
    # The "\r" of a "\r\n" is kept in the line but not counted (as the CLI counts).
    kept = [line if len(line.removesuffix(b"\r")) <= most else None for line in lines]
    assert found == list(enumerate(kept, 1))


# ---- the batch limits on a real server ----------------------------------------------------


@pytest.fixture(scope="module")
def small() -> Iterator[str]:
    """The service with small batch limits (3 lines, 4,000 bytes), served by uvicorn on a
    free port in a thread; its address."""
    app, _ = asgi(ServiceConfig(max_batch_lines=3, max_batch_bytes=4_000))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if server.started:
            break
        thread.join(0.05)
    yield url
    server.should_exit = True
    thread.join(10)


def _answer(url: str, content: Any) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/v1/batch", content=content, timeout=30)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def test_batch_over_its_lines_ends_with_a_problem_line(small: str) -> None:
    out = _answer(small, b"{}\n" * 5)
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert all("decision" in o for o in out[:3])
    assert out[3]["problem"]["type"] == "urn:kspolicy:problem:too-large"
    assert "max_batch_lines" in out[3]["problem"]["detail"]


def test_batch_found_over_its_bytes_while_read_ends_with_a_problem_line(small: str) -> None:
    # Sent in chunks, with no Content-Length: the limit is found while the body is read,
    # after the answer has begun, so it is the answer's last line.
    # Three lines of 1,500 bytes pass the 4,000 bytes before they reach the 3 lines
    # allowed, however the chunks arrive (with 900-byte lines a fourth line could be read
    # before the fifth chunk, and the answer end on max_batch_lines instead).
    line = json.dumps({"institution": "x" * 1_500}).encode() + b"\n"
    out = _answer(small, iter([line] * 6))
    assert out[-1]["problem"]["type"] == "urn:kspolicy:problem:too-large"
    assert "max_batch_bytes" in out[-1]["problem"]["detail"]
    assert [o["line"] for o in out] == list(range(1, len(out) + 1)) and len(out) <= 3
