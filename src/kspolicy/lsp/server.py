"""`kspolicy lsp`: the language server over standard input and output, on pygls.

A thin layer: each request is turned into a file and an offset, answered by
`features` from the latest `Snapshot`, and the answer turned into the protocol's
classes. Positions are converted here, between character offsets and the protocol's
lines and UTF-16 columns. A change to a buffer is analysed after a short pause (the
next keystroke cancels it), then the diagnostics of every file of the policy are
published, so that an error in one file shows wherever it is, and with them what
`kspolicy prove --property` would say of its open property files (`propertycheck`).

Settings (`options`): the limits and the root folder, as `kspolicy check --limit` and
`--root` take them, from the command line (`kspolicy lsp --limit max_rules=50000`), the
`initializationOptions` `{"limits": {...}, "root": "FOLDER"}` (root relative to the
workspace folder), and the workspace configuration, section `kspolicy`, whenever it
changes; by default, as for `check`, the default limits and each policy's own folder.
"""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import Any, TextIO

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ..diagnostics import Severity
from ..limits import DEFAULT, Limits
from ..span import Source, Span
from ..version import __version__
from . import features, options, propertycheck
from .project import Mirror, Project, Snapshot, policy_main

DEBOUNCE_SECONDS = 0.05
"""How long a change waits for the next keystroke before it is analysed."""

_SYMBOL_KINDS = {
    "rule": t.SymbolKind.Function,
    "define": t.SymbolKind.Constant,
    "list": t.SymbolKind.Array,
    "enum": t.SymbolKind.Enum,
    "record": t.SymbolKind.Struct,
    "field": t.SymbolKind.Field,
    "outcome": t.SymbolKind.Property,
    "policy": t.SymbolKind.Module,
}
_COMPLETION_KINDS = {
    "keyword": t.CompletionItemKind.Keyword,
    "field": t.CompletionItemKind.Field,
    "variable": t.CompletionItemKind.Variable,
    "define": t.CompletionItemKind.Constant,
    "list": t.CompletionItemKind.Module,
    "outcome": t.CompletionItemKind.Property,
    "code": t.CompletionItemKind.EnumMember,
    "type": t.CompletionItemKind.Class,
    "anchor": t.CompletionItemKind.Reference,
}


class PolicyServer(LanguageServer):
    """The kspolicy language server: one `Project` per policy with an open file."""

    def __init__(self) -> None:
        super().__init__("kspolicy", __version__)
        self.projects: dict[Path, Project] = {}
        self.mirrors: dict[Path, Mirror] = {}  # by root: policies under one root share it
        self.workspace_root: Path | None = None
        self.root_option: Path | None = None
        self.command_limits: Limits = DEFAULT  # `kspolicy lsp --limit`
        self.command_root: Path | None = None  # `kspolicy lsp --root`
        self.limits: Limits = DEFAULT  # the command line's with the client's over them
        self.initialization: options.Settings = options.Settings()
        self.tasks: set[asyncio.Future[None]] = set()
        self.published: dict[Path, set[Path]] = {}  # per project, files with diagnostics
        self.pending: dict[Path, int] = {}  # per project, the latest change's number
        self.fresh: set[Path] = set()  # projects whose snapshot holds every change
        self.encoding = "utf-16"  # how the client counts columns (agreed at initialize)

    def project_for(self, path: Path) -> Project:
        """The project a file belongs to, made on first use."""
        path = path.resolve()
        for project in self.projects.values():
            if project.owns(path):
                return project
        main = policy_main(path, self.workspace_root).resolve()
        if main not in self.projects:
            root = self.root_option
            if root is None or not main.is_relative_to(root):
                root = main.parent
            root = root.resolve()
            if root not in self.mirrors:
                self.mirrors[root] = Mirror(root)
            self.projects[main] = Project(main, root, limits=self.limits, mirror=self.mirrors[root])
        return self.projects[main]

    def configure(self, settings: options.Settings) -> None:
        """Take the client's settings (over the command line's), report what is wrong
        with them, and check again each policy with an open file under the new ones.

        Policies with no open file are forgotten, their diagnostics withdrawn: checking
        every policy the server has seen again would make a change of settings cost as
        much as opening each of them."""
        for problem in settings.problems:
            self.window_show_message(t.ShowMessageParams(type=t.MessageType.Error, message=problem))
        limits = options.limits_over(self.command_limits, settings)
        root = self.command_root
        if settings.root is not None:
            asked = ((self.workspace_root or Path.cwd()) / settings.root).resolve()
            if asked.is_dir():
                root = asked
            else:
                # else every file a policy imports would lie outside it: the real
                # mistake, this setting, would be hidden behind those errors
                message = f"kspolicy.root: {asked} is not a folder, so it is left out"
                self.window_show_message(
                    t.ShowMessageParams(type=t.MessageType.Error, message=message)
                )
        if limits == self.limits and root == self.root_option:
            return
        self.limits = limits
        if root != self.root_option:
            self.root_option = root
            for mirror in self.mirrors.values():
                mirror.close()
            self.mirrors.clear()
        forgotten = self.projects
        self.projects = {}
        self.fresh.clear()
        for document in list(self.workspace.text_documents.values()):
            self.changed(_path(document.uri), document.source)
        for main in forgotten:
            if main not in self.projects:
                self._withdraw(main)
        for project in list(self.projects.values()):
            self.analyse(project)

    def _withdraw(self, main: Path) -> None:
        """Clear the diagnostics published for a policy's files."""
        for path in sorted(self.published.pop(main, set())):
            self.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=_uri(path), diagnostics=[])
            )

    def shutdown(self) -> None:
        """Stop serving; a later `start_io` in the same process (the command line's
        tests run `kspolicy lsp` in-process, again and again) starts afresh."""
        super().shutdown()  # type: ignore[no-untyped-call]
        for mirror in self.mirrors.values():
            mirror.close()
        self.projects.clear()
        self.mirrors.clear()
        self.published.clear()
        self.pending.clear()
        self.fresh.clear()
        # pygls makes its thread pool on first use and shuts it here for good
        self._thread_pool = None

    def snapshot(self, project: Project) -> Snapshot:
        """The project's snapshot with every change analysed."""
        if project.main not in self.fresh or project.snapshot is None:
            self.analyse(project)
        assert project.snapshot is not None
        return project.snapshot

    def analyse(self, project: Project) -> None:
        """Analyse a project and publish the diagnostics of each of its files."""
        snapshot = project.analyse()
        self.fresh.add(project.main)
        shown = {
            path: [_diagnostic(r) for r in found]
            for path, found in features.diagnostics(snapshot).items()
        }
        # the policy's open property files: what `kspolicy prove --property` would say
        for path in sorted(project.buffers):
            if propertycheck.is_property_file(path, project.main):
                shown[path] = [_problem(p) for p in project.property_problems(path)]
        before = self.published.get(project.main, set())
        now = {path for path, found in shown.items() if found}
        for path in sorted(before | set(shown)):
            self.text_document_publish_diagnostics(
                t.PublishDiagnosticsParams(uri=_uri(path), diagnostics=shown.get(path, []))
            )
        self.published[project.main] = now

    def changed(self, path: Path, text: str | None) -> Project:
        """A buffer opened, changed or closed: the project no longer fresh."""
        project = self.project_for(path)
        project.set_buffer(path, text)
        # a file may belong to several policies under one root (a shared schema)
        self.fresh -= {p.main for p in self.projects.values() if p.mirror is project.mirror}
        return project


server = PolicyServer()


def _uri(path: Path) -> str:
    return from_fs_path(str(path)) or path.as_uri()


def _path(uri: str) -> Path:
    return Path(to_fs_path(uri) or uri).resolve()


def _width(text: str, encoding: str) -> int:
    """How many of the client's column units a text takes."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def position(source: Source, offset: int, encoding: str = "utf-16") -> t.Position:
    """An offset as the protocol's 0-based line and column (UTF-16 units by default)."""
    line, column = source.position(offset)
    return t.Position(
        line=line - 1, character=_width(source.line_text(line)[: column - 1], encoding)
    )


def offset(source: Source, where: t.Position, encoding: str = "utf-16") -> int:
    """The protocol's position as an offset (a column past the line's end: its end)."""
    text = source.line_text(where.line + 1)
    units = 0
    column = 0
    for ch in text:
        if units >= where.character:
            break
        units += _width(ch, encoding)
        column += 1
    return source.offset_of(where.line + 1, column + 1)


def span_range(span: Span, encoding: str | None = None) -> t.Range:
    """A span as the protocol's range, in the columns agreed with the client."""
    unit = encoding or server.encoding
    return t.Range(
        start=position(span.source, span.start, unit), end=position(span.source, span.end, unit)
    )


def _location(span: Span) -> t.Location:
    return t.Location(uri=_uri(Path(span.source.name)), range=span_range(span))


def _diagnostic(shown: features.Related) -> t.Diagnostic:
    d = shown.diagnostic
    message = d.message + (f"\nhelp: {d.help}" if d.help else "")
    related = None
    if shown.related is not None:
        related = [
            t.DiagnosticRelatedInformation(
                location=_location(shown.related), message="the error in the list file"
            )
        ]
    return t.Diagnostic(
        range=span_range(d.span),
        message=message,
        severity=(
            t.DiagnosticSeverity.Error
            if d.severity is Severity.ERROR
            else t.DiagnosticSeverity.Warning
        ),
        code=d.code.number,
        source="kspolicy",
        related_information=related,
        data={"slug": d.code.slug, "help": d.help, "echo": shown.related is not None},
    )


def _problem(problem: propertycheck.Problem) -> t.Diagnostic:
    """A property file's problem, shown as a policy file's diagnostic is (no code when
    `prove` gives none)."""
    code = problem.code
    return t.Diagnostic(
        range=span_range(problem.span),
        message=problem.message + (f"\nhelp: {problem.help}" if problem.help else ""),
        severity=(
            t.DiagnosticSeverity.Error
            if problem.severity is Severity.ERROR
            else t.DiagnosticSeverity.Warning
        ),
        code=code.number if code is not None else None,
        source="kspolicy",
        data={"slug": code.slug if code is not None else None, "help": problem.help},
    )


def _at(ls: PolicyServer, uri: str, where: t.Position) -> tuple[Snapshot, Path, int] | None:
    path = _path(uri)
    snapshot = ls.snapshot(ls.project_for(path))
    source = snapshot.sources.get(path)
    if source is None:
        return None
    return snapshot, path, offset(source, where, ls.encoding)


# ---- the document's life -----------------------------------------------------------


@server.feature(t.INITIALIZE)
def _initialize(ls: PolicyServer, params: t.InitializeParams) -> None:
    folder = ls.workspace.root_path
    ls.workspace_root = Path(folder).resolve() if folder else None
    encoding = ls.workspace.position_encoding
    ls.encoding = str(getattr(encoding, "value", encoding) or "utf-16")
    ls.initialization = options.read_settings(params.initialization_options)
    ls.configure(ls.initialization)


@server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
def _did_change_configuration(ls: PolicyServer, params: t.DidChangeConfigurationParams) -> None:
    # Handled at once (not in a task) when the settings come with the notification, so
    # that every request after it is answered under them.
    settings: Any = params.settings
    if isinstance(settings, dict) and "kspolicy" in settings:
        ls.configure(options.over(ls.initialization, options.read_settings(settings["kspolicy"])))
        return
    # a client that sends no settings expects to be asked for them (the pull model)
    capabilities = ls.client_capabilities.workspace
    if capabilities is not None and capabilities.configuration:
        task = asyncio.ensure_future(_pull_configuration(ls))
        ls.tasks.add(task)  # held until done: the loop keeps only a weak reference
        task.add_done_callback(ls.tasks.discard)


async def _pull_configuration(ls: PolicyServer) -> None:
    answer = await ls.workspace_configuration_async(
        t.ConfigurationParams(items=[t.ConfigurationItem(section="kspolicy")])
    )
    section = answer[0] if answer else None
    ls.configure(options.over(ls.initialization, options.read_settings(section)))


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: PolicyServer, params: t.DidOpenTextDocumentParams) -> None:
    project = ls.changed(_path(params.text_document.uri), params.text_document.text)
    ls.analyse(project)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
async def _did_change(ls: PolicyServer, params: t.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    project = ls.changed(_path(uri), text)
    number = ls.pending.get(project.main, 0) + 1
    ls.pending[project.main] = number
    await asyncio.sleep(DEBOUNCE_SECONDS)
    if ls.pending.get(project.main) == number and project.main not in ls.fresh:
        ls.analyse(project)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: PolicyServer, params: t.DidSaveTextDocumentParams) -> None:
    project = ls.project_for(_path(params.text_document.uri))
    ls.fresh.discard(project.main)
    ls.analyse(project)


@server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: PolicyServer, params: t.DidCloseTextDocumentParams) -> None:
    project = ls.changed(_path(params.text_document.uri), None)
    ls.analyse(project)


@server.feature(t.SHUTDOWN)
def _shutdown(ls: PolicyServer, params: None) -> None:
    for mirror in ls.mirrors.values():
        mirror.close()


# ---- questions ---------------------------------------------------------------------


@server.feature(t.TEXT_DOCUMENT_HOVER)
def _hover(ls: PolicyServer, params: t.HoverParams) -> t.Hover | None:
    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    snapshot, path, at = found
    answer = features.hover(snapshot, path, at, ls.project_for(path).policy())
    if answer is None:
        return None
    return t.Hover(
        contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=answer.markdown),
        range=span_range(answer.span),
    )


@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=[".", '"', " "]))
def _completion(ls: PolicyServer, params: t.CompletionParams) -> t.CompletionList:
    found = _at(ls, params.text_document.uri, params.position)
    items = []
    if found is not None:
        for c in features.complete(*found):
            items.append(
                t.CompletionItem(
                    label=c.label,
                    kind=_COMPLETION_KINDS.get(c.kind),
                    detail=c.detail or None,
                    documentation=c.documentation or None,
                )
            )
    return t.CompletionList(is_incomplete=False, items=items)


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
def _definition(ls: PolicyServer, params: t.DefinitionParams) -> list[t.Location]:
    found = _at(ls, params.text_document.uri, params.position)
    return [_location(s) for s in features.definition(*found)] if found else []


@server.feature(t.TEXT_DOCUMENT_REFERENCES)
def _references(ls: PolicyServer, params: t.ReferenceParams) -> list[t.Location]:
    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return []
    spans = features.references(*found, params.context.include_declaration)
    return [_location(s) for s in spans]


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def _document_symbols(ls: PolicyServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol]:
    path = _path(params.text_document.uri)
    snapshot = ls.snapshot(ls.project_for(path))
    return [
        t.DocumentSymbol(
            name=s.name,
            kind=_SYMBOL_KINDS[s.kind],
            range=span_range(s.span),
            selection_range=span_range(s.selection),
            detail=s.container or None,
        )
        for s in features.document_symbols(snapshot, path)
    ]


@server.feature(t.WORKSPACE_SYMBOL)
def _workspace_symbols(
    ls: PolicyServer, params: t.WorkspaceSymbolParams
) -> list[t.SymbolInformation]:
    snapshots = [ls.snapshot(p) for p in ls.projects.values()]
    return [
        t.SymbolInformation(
            name=s.name, kind=_SYMBOL_KINDS[s.kind], location=_location(s.selection)
        )
        for s in features.workspace_symbols(snapshots, params.query)
    ]


def _edits(edits: list[features.Edit]) -> list[t.TextEdit]:
    return [t.TextEdit(range=span_range(e.span), new_text=e.text) for e in edits]


@server.feature(t.TEXT_DOCUMENT_FORMATTING)
def _formatting(ls: PolicyServer, params: t.DocumentFormattingParams) -> list[t.TextEdit]:
    document = ls.workspace.get_text_document(params.text_document.uri)
    return _edits(features.format_document(document.source, document.path))


@server.feature(t.TEXT_DOCUMENT_RANGE_FORMATTING)
def _range_formatting(
    ls: PolicyServer, params: t.DocumentRangeFormattingParams
) -> list[t.TextEdit]:
    path = _path(params.text_document.uri)
    snapshot = ls.snapshot(ls.project_for(path))
    source = snapshot.sources.get(path)
    if source is None:
        return []
    start = offset(source, params.range.start, ls.encoding)
    end = offset(source, params.range.end, ls.encoding)
    return _edits(features.format_range(snapshot, path, start, end))


@server.feature(t.TEXT_DOCUMENT_PREPARE_RENAME)
def _prepare_rename(ls: PolicyServer, params: t.PrepareRenameParams) -> t.Range | None:
    found = _at(ls, params.text_document.uri, params.position)
    span = features.prepare_rename(*found) if found else None
    return span_range(span) if span is not None else None


@server.feature(t.TEXT_DOCUMENT_RENAME, t.RenameOptions(prepare_provider=True))
def _rename(ls: PolicyServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
    found = _at(ls, params.text_document.uri, params.position)
    if found is None:
        return None
    try:
        edits = features.rename(*found, params.new_name)
    except features.RenameError as exc:
        ls.window_show_message(t.ShowMessageParams(type=t.MessageType.Error, message=str(exc)))
        return None
    changes: dict[str, list[t.TextEdit]] = {}
    for edit in edits:
        changes.setdefault(_uri(Path(edit.span.source.name)), []).extend(_edits([edit]))
    return t.WorkspaceEdit(changes=changes)


# ---- code lenses and their commands ----------------------------------------------------


@server.feature(t.TEXT_DOCUMENT_CODE_LENS)
def _code_lens(ls: PolicyServer, params: t.CodeLensParams) -> list[t.CodeLens]:
    path = _path(params.text_document.uri)
    project = ls.project_for(path)
    snapshot = ls.snapshot(project)
    cases = features.example_cases(snapshot.folder)
    policy = project.policy()
    fired = features.fired_on(policy, cases) if policy is not None else None
    return [
        t.CodeLens(
            range=span_range(lens.span),
            command=t.Command(
                title=lens.title, command=lens.command, arguments=list(lens.arguments)
            ),
        )
        for lens in features.lenses(snapshot, path, fired, len(cases))
    ]


@server.command(features.RUN_TESTS)
def _run_tests(ls: PolicyServer, folder: str) -> dict[str, Any]:
    """Run the policy's tests; a message with the count, and the failures as data."""
    from ..tools import testing

    project = ls.project_for(Path(folder) / "policy.pol")
    policy = project.policy()
    if policy is None:
        message = "the policy has errors: fix them to run its tests"
        ls.window_show_message(t.ShowMessageParams(type=t.MessageType.Error, message=message))
        return {"passed": 0, "failed": 0, "failures": [], "message": message}
    files = testing.test_files(project.main.parent)
    names = list(policy.checked.outcomes)
    try:
        tests = [test for f in files for test in testing.read_tests(f, names, policy.limits)]
    except testing.TestFileError as exc:
        ls.window_show_message(t.ShowMessageParams(type=t.MessageType.Error, message=str(exc)))
        return {"passed": 0, "failed": 0, "failures": [], "message": str(exc)}
    results = testing.run_tests(policy, tests)
    failures = [r.test.where for r in results if not r.passed]
    passed = len(results) - len(failures)
    message = f"{passed} passed, {len(failures)} failed"
    kind = t.MessageType.Info if not failures else t.MessageType.Error
    ls.window_show_message(t.ShowMessageParams(type=kind, message=message))
    return {"passed": passed, "failed": len(failures), "failures": failures, "message": message}


@server.command(features.EVALUATE_RULE)
def _evaluate_rule(ls: PolicyServer, folder: str, rule: str) -> dict[str, Any]:
    """The example cases a rule fires on, shown as a message and returned as data."""
    project = ls.project_for(Path(folder) / "policy.pol")
    policy = project.policy()
    cases = features.example_cases(Path(folder))
    fired = features.fired_on(policy, cases).get(rule, []) if policy else []
    message = f"`{rule}` fires on {len(fired)} of {len(cases)} example cases" + (
        ": " + ", ".join(fired) if fired else ""
    )
    ls.window_show_message(t.ShowMessageParams(type=t.MessageType.Info, message=message))
    return {"rule": rule, "cases": fired, "of": len(cases)}


class _TextWriter(io.RawIOBase):
    """Bytes written to a text stream (standard output replaced by a text buffer)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.stream.write(bytes(data).decode("utf-8", errors="replace"))
        return len(data)

    def flush(self) -> None:
        self.stream.flush()


def main(limits: Limits = DEFAULT, root: Path | None = None) -> int:
    """Serve over standard input and output until the client exits (or the input ends),
    with the command line's limits and root (`kspolicy lsp --limit ... --root DIR`).

    Standard input and output are read and written as bytes; where a host replaced them
    with text streams (a test harness), their text is used instead.
    """
    server.command_limits = server.limits = limits
    server.command_root = server.root_option = root.resolve() if root is not None else None
    stdin: Any = getattr(sys.stdin, "buffer", None)
    if stdin is None:
        stdin = io.BytesIO(sys.stdin.read().encode("utf-8"))
    stdout: Any = getattr(sys.stdout, "buffer", None) or _TextWriter(sys.stdout)
    server.start_io(stdin=stdin, stdout=stdout)
    return 0
