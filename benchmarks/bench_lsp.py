"""Time to diagnostics: `kspolicy lsp` on the pack, from an edit to its diagnostics.

Starts the real server over stdio (pytest-lsp's client), opens a rule file of the
knowledge-security pack, then makes edits that alternate between a valid text and one
with an unknown field, and measures from each `didChange` to the `publishDiagnostics`
for that file which reflects it (an error appears, or goes). The target is 300 ms.

    python benchmarks/bench_lsp.py [--edits 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

PACK = Path(__file__).resolve().parents[1] / "policies" / "knowledge-security"
FILE = PACK / "rules" / "country.pol"


async def until(condition: Callable[[], bool], limit: float = 30.0) -> None:
    """Wait until the client has received what makes a condition true (the client keeps
    the latest diagnostics of each file as they arrive)."""
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("no diagnostics from the server")
        await asyncio.sleep(0.002)


async def run(edits: int) -> list[float]:
    config = ClientServerConfig(server_command=[sys.executable, "-m", "kspolicy.tools.cli", "lsp"])
    client: LanguageClient = await config.start()  # type: ignore[assignment]
    await client.initialize_session(
        t.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=PACK.as_uri()
        )
    )
    uri = FILE.resolve().as_uri()
    text = FILE.read_text(encoding="utf-8")
    broken = text.replace("when partner.country in", "when partner.countr in", 1)
    client.text_document_did_open(
        t.DidOpenTextDocumentParams(t.TextDocumentItem(uri, "kspolicy", 1, text))
    )
    await until(lambda: uri in client.diagnostics)
    await asyncio.sleep(1.0)  # the first analysis copies the folder and warms the caches
    times = []
    for version in range(2, edits + 2):
        wanted_error = version % 2 == 0
        body = broken if wanted_error else text
        start = time.perf_counter()
        client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [t.TextDocumentContentChangeWholeDocument(text=body)],
            )
        )
        await until(lambda wanted=wanted_error: bool(client.diagnostics.get(uri)) == wanted)
        times.append(time.perf_counter() - start)
    await client.shutdown_session()
    await client.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    times = asyncio.run(run(args.edits))
    ms = sorted(1000 * s for s in times)
    print(f"edits: {len(ms)}")
    print(
        f"time to diagnostics, ms: median {statistics.median(ms):.0f}, "
        f"p90 {ms[int(0.9 * (len(ms) - 1))]:.0f}, max {ms[-1]:.0f} "
        "(target 300; the server waits 50 ms for the next keystroke first)"
    )


if __name__ == "__main__":
    main()
