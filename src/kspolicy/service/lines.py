"""JSON Lines read from a request body as it arrives, in bounded memory.

`line_groups` turns the body's chunks (as the server receives them) into its lines,
numbered from 1, a group per chunk: the lines that chunk completed. A line split across
chunks is joined; a line longer than the limit is given as `None` in its place, and its
bytes are dropped as they come (never held), so one long line costs at most the limit.
The service decides each group as it comes and answers it before it reads on, so a
client that waits for an answer before it sends more is answered (docs/service.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

#: A line of the body: its number, and its bytes (None: longer than the limit).
Line = tuple[int, bytes | None]


async def line_groups(chunks: AsyncIterable[bytes], most: int) -> AsyncIterator[list[Line]]:
    """The lines of a body read as `chunks`, a list per chunk that completes some; a line
    over `most` bytes (without its newline) is None. A last line without a newline counts."""
    pending = bytearray()
    too_long = False  # the line being read is over `most`: its bytes are dropped
    number = 0
    async for chunk in chunks:
        group: list[Line] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not too_long and len(pending) + len(piece) > most:
                too_long = True
                pending.clear()
            if not too_long:
                pending += piece
            if end < 0:
                break
            number += 1
            group.append((number, None if too_long else bytes(pending)))
            pending.clear()
            too_long = False
            start = end + 1
        if group:
            yield group
    if pending or too_long:
        yield [(number + 1, None if too_long else bytes(pending))]
