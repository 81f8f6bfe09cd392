"""JSON Lines read from a request body as it arrives, in bounded memory.

`line_groups` turns the body's chunks (as the server receives them) into its lines,
numbered from 1, a group per chunk: the lines that chunk completed. A line split across
chunks is joined; a line longer than the limit is given as `None` in its place, and its
bytes are dropped as they come (never held), so one long line costs at most the limit
(and a byte). The limit is on a line's content: its end, `\\n` or `\\r\\n`, is not counted,
as `kspolicy eval --batch` does not count it (tools/batch.py), so a line one front end
decides the other decides too.
The service decides each group as it comes and answers it before it reads on, so a
client that waits for an answer before it sends more is answered (docs/service.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

#: A line of the body: its number, and its bytes (None: longer than the limit).
Line = tuple[int, bytes | None]


async def line_groups(chunks: AsyncIterable[bytes], most: int) -> AsyncIterator[list[Line]]:
    """The lines of a body read as `chunks`, a list per chunk that completes some, each
    without its `\\n` (a `\\r` before it is kept, for `caseline.line_content`); a line over
    `most` bytes (without its end, `\\n` or `\\r\\n`) is None. A last line without a
    newline counts, all its bytes."""
    pending = bytearray()
    # The line being read is over `most`: its bytes are dropped. Up to `most + 1` bytes
    # are held, since the last may be the `\r` of a `\r\n`, known only at the `\n`.
    too_long = False
    number = 0
    async for chunk in chunks:
        group: list[Line] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not too_long and len(pending) + len(piece) > most + 1:
                too_long = True
                pending.clear()
            if not too_long:
                pending += piece
            if end < 0:
                break
            number += 1
            # A "\r" before the "\n" is the line's end, not its content: not counted.
            content = len(pending) - pending.endswith(b"\r")
            group.append((number, None if too_long or content > most else bytes(pending)))
            pending.clear()
            too_long = False
            start = end + 1
        if group:
            yield group
    if pending or too_long:
        yield [(number + 1, None if too_long or len(pending) > most else bytes(pending))]
