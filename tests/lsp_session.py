"""The language server's tests' session: a `kspolicy lsp` started once per test module
and driven over stdio by pytest-lsp, and what the tests do with it (open, close, settle,
configure, rename).

Starting a server costs more than most tests (importing lsprotocol alone takes half a
second), so a module imports `shared` and `client` from here and one server answers
its tests; after each test the documents it opened are closed and the settings it
changed put back (`client`), so no test sees another's buffers.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest_asyncio
import pytest_lsp
from lsprotocol import types as t
from pytest_lsp import ClientServerConfig, LanguageClient

from kspolicy import Limits

from .conftest import FIXTURES

REPO = Path(__file__).resolve().parents[1]
SERVER = [sys.executable, "-m", "kspolicy.tools.cli", "lsp"]

_opened: dict[LanguageClient, set[str]] = {}  # the documents open, by client
_configured: set[LanguageClient] = set()  # the clients whose settings a test changed


async def start(client: LanguageClient, root: Path, options: dict[str, Any] | None = None) -> None:
    await client.initialize_session(
        t.InitializeParams(
            capabilities=pytest_lsp.client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            workspace_folders=[t.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
        )
    )


# The fixtures share `common/schema.pol`, outside each fixture's folder: the server is
# told the folder they lie in as `kspolicy check --root` is (the pack lies outside it,
# so its own folder stays its root). Its command line sets a limit that the
# initialization options set back: were they not laid over it, the pack's 55 rules
# would be too many (test_the_initialization_options_lie_over_the_command_line).
SHARED_COMMAND = [*SERVER, "--root", str(FIXTURES), "--limit", "max_rules=1"]
SHARED_OPTIONS = {"limits": {"max_rules": Limits().max_rules}}


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]
    config=ClientServerConfig(server_command=SHARED_COMMAND), scope="module"
)
async def shared(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await start(lsp_client, REPO, SHARED_OPTIONS)
    yield
    await lsp_client.shutdown_session()


@pytest_asyncio.fixture(loop_scope="module")
async def client(shared: LanguageClient) -> AsyncIterator[LanguageClient]:
    """The shared server, with no document open and the default settings; put back so
    after the test."""
    yield shared
    for document in sorted(_opened.get(shared, ())):
        await close_file(shared, document)
    if shared in _configured:
        await configure(shared, {})
    shared.messages.clear()


def uri(path: Path) -> str:
    return path.resolve().as_uri()


async def open_file(client: LanguageClient, path: Path, text: str | None = None) -> str:
    document = t.TextDocumentItem(
        uri=uri(path),
        language_id="kspolicy",
        version=1,
        text=path.read_text(encoding="utf-8") if text is None else text,
    )
    if document.uri in _opened.get(client, ()):  # opened again: its text replaced
        await close_file(client, document.uri)
    client.text_document_did_open(t.DidOpenTextDocumentParams(text_document=document))
    _opened.setdefault(client, set()).add(document.uri)
    await settled(client, document.uri)
    return document.uri


async def settled(client: LanguageClient, document: str) -> None:
    """Wait until the server has handled every message sent so far: it answers in order,
    so the diagnostics it published before this answer have arrived."""
    await client.text_document_document_symbol_async(
        t.DocumentSymbolParams(t.TextDocumentIdentifier(document))
    )


async def close_file(client: LanguageClient, document: str) -> None:
    client.text_document_did_close(t.DidCloseTextDocumentParams(t.TextDocumentIdentifier(document)))
    _opened.get(client, set()).discard(document)
    await settled(client, document)


async def configure(client: LanguageClient, settings: dict[str, Any]) -> None:
    """Change the workspace configuration, as an editor sends it when its settings change."""
    client.workspace_did_change_configuration(
        t.DidChangeConfigurationParams(settings={"kspolicy": settings})
    )
    if settings:
        _configured.add(client)
    else:
        _configured.discard(client)
    # answered once the notification is handled, and the policies checked again
    await client.workspace_symbol_async(t.WorkspaceSymbolParams(query=""))


def where(path: Path, needle: str, skip: int = 0, nth: int = 0) -> t.Position:
    """The position `skip` characters into the `nth` occurrence of a text in a file."""
    text = path.read_text(encoding="utf-8")
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += skip
    line = text.count("\n", 0, at)
    return t.Position(line=line, character=at - (text.rfind("\n", 0, at) + 1))


def write_policy(folder: Path, files: dict[str, str]) -> Path:
    """The files written in `folder` (their folders made), by name relative to it."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def applied(folder: Path, edit: t.WorkspaceEdit | None, files: Iterable[str]) -> dict[str, str]:
    """The policy's `files` with a rename's edits made (each file's edits from the end)."""
    assert edit is not None and edit.changes is not None
    texts = {name: (folder / name).read_text(encoding="utf-8") for name in files}
    names = {uri(folder / name): name for name in files}
    for document, edits in edit.changes.items():
        lines = texts[names[document]].split("\n")
        for change in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[
            ::-1
        ]:
            start, end = change.range.start, change.range.end
            assert start.line == end.line
            line = lines[start.line]
            lines[start.line] = line[: start.character] + change.new_text + line[end.character :]
        texts[names[document]] = "\n".join(lines)
    return texts


async def rename(client: LanguageClient, path: Path, position: t.Position, new: str) -> Any:
    """Open a file and ask to rename the name at `position` to `new`."""
    document = await open_file(client, path)
    return await client.text_document_rename_async(
        t.RenameParams(
            text_document=t.TextDocumentIdentifier(document), position=position, new_name=new
        )
    )
