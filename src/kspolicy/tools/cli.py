"""The `kspolicy` command: a thin layer over the API. Only tools/entry.py imports it.

Exit codes: 0 success, 1 a check found errors, 2 bad input (a case, a file, an
argument, or a policy that does not load). No traceback reaches the user: every
error is caught where it is understood and printed as a message that says what to fix.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from .. import policy as facade
from ..diagnostics import (
    KSP110,
    CaseError,
    Diagnostic,
    KspolicyError,
    PolicyError,
    Severity,
    did_you_mean,
)
from ..eval import contract
from ..eval.cases import CaseFile, parse_case, read_case_bytes, read_case_file
from ..eval.decision import Decision
from ..files import os_reason
from ..lang.formatter import FormatError, format_source
from ..lang.loader import default_policy_path, main_file
from ..limits import ENGINE_MAX_DEPTH, VALUE_WANTED, Limits
from ..policy import Policy, check, load
from ..prove import command as prove_command
from ..render.diagnostics import render_case_error, render_diagnostics
from ..render.document import to_html, to_markdown, to_text
from ..render.explain import explain
from ..render.labels import headline_line
from ..render.text import render_decision
from ..service import command as serve_command
from ..span import Source, Span
from ..version import __version__
from . import (
    audit,
    batch,
    checkpoint,
    diff,
    interview,
    lists_import,
    output,
    reassess,
    sarif,
    saving,
    screen,
    testing,
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write YYYY-MM-DD") from None


def _limit(text: str) -> tuple[str, int]:
    name, _, value = text.partition("=")
    fields = {f.name for f in attrs.fields(Limits)}
    if name not in fields:
        hint = did_you_mean(name, fields)
        raise argparse.ArgumentTypeError(
            f"no limit '{name}'"
            + (f"; {hint}" if hint else f": the limits are {', '.join(sorted(fields))}")
        )
    if not (value.isascii() and value.isdigit()):  # "²" is a digit to str.isdigit
        raise argparse.ArgumentTypeError(
            f"'{text}': the value of {name} must be {VALUE_WANTED}, e.g. {name}=50000"
        )
    return name, int(value)


def _limits(args: argparse.Namespace) -> Limits:
    return attrs.evolve(Limits(), **dict(getattr(args, "limit", None) or []))


_GIVEN = "_options_given"  # the namespace's record of the options given, while parsing


class _Once(argparse.Action):
    """`store` for an option that takes one value: given twice (`--out a --out b`), it is
    refused, where argparse kept the last silently. Options meant to repeat (`--limit`,
    `screen --list`) append, and flags store a constant: neither comes here."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if option_string is not None:  # a positional is filled once by argparse itself
            given: set[str] = namespace.__dict__.setdefault(_GIVEN, set())
            if self.dest in given:
                raise argparse.ArgumentError(
                    self, "given twice: it takes one value (the second would replace the first)"
                )
            given.add(self.dest)
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    """The command line's parser: every command's parser is one (`add_subparsers` makes
    its parsers of the parent's class), so each refuses a single-valued option given
    twice (`_Once`), and its namespace keeps no trace of that record."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", None, _Once)
        self.register("action", "store", _Once)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, rest = super().parse_known_args(args, namespace)
        parsed.__dict__.pop(_GIVEN, None)
        return parsed, rest


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kspolicy",
        description="Check policies and evaluate cases with them.",
    )
    parser.add_argument("--version", action="version", version=f"kspolicy {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check_cmd = commands.add_parser("check", help="report every error and warning of a policy")
    check_cmd.add_argument(
        "policy",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="policy directory or .pol file (default: the built-in pack)",
    )
    check_cmd.add_argument("--strict", action="store_true", help="fail on warnings too")
    check_cmd.add_argument(
        "--format",
        default="text",
        choices=["text", "json", "sarif"],
        help="text for people, or JSON or SARIF 2.1.0 for CI and other tools (docs/cli.md)",
    )
    _loading_options(check_cmd)

    lsp_cmd = commands.add_parser(
        "lsp", help="run the language server over stdin and stdout (docs/editors.md)"
    )
    _loading_options(lsp_cmd)

    eval_cmd = commands.add_parser("eval", help="evaluate a case and print the decision")
    eval_cmd.add_argument(
        "case",
        type=Path,
        metavar="CASE",
        nargs="?",
        help="a case file (.toml or .json), - for standard input; or use --batch",
    )
    eval_cmd.add_argument(
        "--batch",
        type=Path,
        metavar="FILE",
        help="many cases: a .jsonl file (a case a line) or a .csv file (columns such "
        "as project.trl, partners[0].country), - for JSON lines on standard input; one"
        " JSON line out per case",
    )
    eval_cmd.add_argument(
        "--out",
        type=output.OutFile(),
        metavar="FILE",
        help="write the output here (default, or -: stdout)",
    )
    eval_cmd.add_argument(
        "--workers",
        metavar="N",
        help="with --batch: processes that decide (at most one per usable core), or auto for"
        " one per core; by default one per core once the batch is large enough to be worth"
        " them (1: this process)",
    )
    eval_cmd.add_argument(
        "--detail",
        choices=["compact", "full"],
        help="with --format json or --batch, the decision JSON: compact (the default: rules"
        " and questions by reference) or full (every rule's texts and facts);"
        " docs/decision-format.md",
    )
    eval_cmd.add_argument(
        "--fields",
        metavar="LIST",
        help="with --batch: the decision's fields each line holds, e.g. outcomes,possible",
    )
    eval_cmd.add_argument(
        "--policy",
        type=Path,
        metavar="DIR",
        help="policy directory or .pol file (default: the built-in pack)",
    )
    eval_cmd.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="evaluate as on this date (default: the case's as_of, else today)",
    )
    _loading_options(eval_cmd)
    eval_cmd.add_argument("--lang", default="en", type=_language, help=_LANG_HELP)
    eval_cmd.add_argument(
        "--format",
        choices=["text", "json"],
        help="output format (default: text; with --batch JSON lines, the only one)",
    )
    eval_cmd.add_argument("--explain", action="store_true", help="include the evaluation trace")
    eval_cmd.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="append the decision to an audit log (JSON lines); with --batch, each decision",
    )

    fmt_cmd = commands.add_parser("fmt", help="lay out policy files in the canonical way")
    fmt_cmd.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help=".pol files or folders (default: the current folder)",
    )
    fmt_cmd.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a file would change (for CI)",
    )

    ask_cmd = commands.add_parser("ask", help="answer the open questions of a case, one by one")
    ask_cmd.add_argument("case", type=Path, metavar="CASE", help="a case file (.toml or .json)")
    _policy_options(ask_cmd)
    ask_cmd.add_argument(
        "--out",
        type=output.OutFile("ask asks its questions on standard output; give a file"),
        metavar="FILE",
        help="write the case here, not back to CASE",
    )

    template_cmd = commands.add_parser("template", help="write an empty case file with every field")
    template_cmd.add_argument(
        "--policy", type=Path, metavar="DIR", help="policy (default: built-in)"
    )
    _loading_options(template_cmd)
    template_cmd.add_argument("--lang", default="en", type=_language, help=_LANG_HELP)
    template_cmd.add_argument(
        "--out", type=output.OutFile(), metavar="FILE", help="write to FILE (-: stdout)"
    )

    test_cmd = commands.add_parser("test", help="run a policy's tests (DIR/tests/*.toml)")
    test_cmd.add_argument(
        "policy",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="policy directory (default: the built-in pack)",
    )
    test_cmd.add_argument(
        "--coverage", action="store_true", help="report rules and conditions that no test exercised"
    )
    _loading_options(test_cmd)

    verify_cmd = commands.add_parser("verify", help="check that an audit log was not altered")
    verify_cmd.add_argument(
        "log", type=Path, metavar="FILE", help="an audit log written by --record"
    )
    verify_cmd.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="a signed checkpoint (`kspolicy audit checkpoint`): prove the log extends it",
    )
    verify_cmd.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help="with --checkpoint: the key it must be signed with (the .pub of `audit keygen`)",
    )

    audit_cmd = commands.add_parser(
        "audit", help="sign checkpoints of an audit log with a key its writer does not hold"
    )
    audit_steps = audit_cmd.add_subparsers(dest="step", metavar="STEP", required=True)
    keygen_cmd = audit_steps.add_parser("keygen", help="make an Ed25519 key pair: FILE, FILE.pub")
    keygen_cmd.add_argument(
        "--out",
        type=output.OutFile("the key pair is two files, FILE and FILE.pub"),
        metavar="FILE",
        required=True,
        help="private key",
    )
    checkpoint_cmd = audit_steps.add_parser(
        "checkpoint", help="verify a log and sign its size, Merkle root and head"
    )
    checkpoint_cmd.add_argument("log", type=Path, metavar="LOG", help="the audit log")
    checkpoint_cmd.add_argument(
        "--key", type=Path, metavar="FILE", required=True, help="the private key (audit keygen)"
    )
    checkpoint_cmd.add_argument(
        "--out",
        type=output.OutFile(),
        metavar="FILE",
        required=True,
        help="write the checkpoint here (-: stdout)",
    )
    checkpoint_cmd.add_argument(
        "--previous",
        type=Path,
        metavar="FILE",
        help="the last checkpoint: refuse a log that does not extend it, and prove it does",
    )
    consistent_cmd = audit_steps.add_parser(
        "consistent", help="prove, without the log, that a newer checkpoint extends an older one"
    )
    consistent_cmd.add_argument("old", type=Path, metavar="OLD", help="the older checkpoint")
    consistent_cmd.add_argument("new", type=Path, metavar="NEW", help="the newer checkpoint")
    consistent_cmd.add_argument(
        "--public-key", type=Path, metavar="FILE", help="the key both must be signed with"
    )

    replay_cmd = commands.add_parser(
        "replay", help="re-decide every case of an audit log and list what would change"
    )
    replay_cmd.add_argument(
        "log", type=Path, metavar="FILE", help="an audit log written by --record"
    )
    replay_cmd.add_argument(
        "--policy", type=Path, metavar="DIR", help="the policy to replay with (default: built-in)"
    )
    _loading_options(replay_cmd)

    explain_cmd = commands.add_parser("explain", help="explain a decision for people")
    explain_cmd.add_argument(
        "case", type=Path, metavar="CASE", help="a case file (.toml or .json), - for standard input"
    )
    _policy_options(explain_cmd)
    explain_cmd.add_argument(
        "--format",
        default="text",
        choices=["text", "md", "html"],
        help="terminal text, Markdown or a standalone HTML page",
    )
    explain_cmd.add_argument("--why-not", metavar="RULE", help="explain why RULE did not fire")
    explain_cmd.add_argument("--full", action="store_true", help="add the whole evaluation trace")
    explain_cmd.add_argument(
        "--out", type=output.OutFile(), metavar="FILE", help="write to FILE (-: stdout)"
    )
    explain_cmd.add_argument(
        "--color",
        default="auto",
        choices=["auto", "always", "never"],
        help="colour in the terminal (auto: when it is one)",
    )
    schema_cmd = commands.add_parser(
        "schema", help="print the JSON Schema of a decision or of a policy's case"
    )
    schema_cmd.add_argument(
        "what",
        choices=["decision", "case"],
        help="decision: the published decision format; case: the case schema of --policy",
    )
    schema_cmd.add_argument("--policy", type=Path, metavar="DIR", help="policy (default: built-in)")
    _loading_options(schema_cmd)
    schema_cmd.add_argument("--lang", type=_language, help="language of the descriptions")
    lists_import.register(commands)
    diff_cmd = commands.add_parser("diff", help="what an edit of a policy changes, case by case")
    diff.register(diff_cmd)
    diff_cmd.add_argument("--as-of", type=_date, metavar="DATE", help="default: each case's")
    _loading_options(diff_cmd)
    prove_cmd = commands.add_parser(
        "prove", help="prove what an edit changes, what never fires, or a property (z3)"
    )
    prove_command.register(prove_cmd)
    prove_cmd.add_argument("--as-of", type=_date, metavar="DATE", help="default: every day")
    _loading_options(prove_cmd)
    serve_cmd = commands.add_parser(
        "serve", help="serve decisions over HTTP/JSON, and a questionnaire page (docs/service.md)"
    )
    serve_command.add_arguments(serve_cmd)
    _loading_options(serve_cmd)

    reassess_cmd = commands.add_parser(
        "reassess", help="decide a recorded case again with the facts now: what changed"
    )
    reassess_cmd.add_argument(
        "recorded", type=Path, metavar="BEFORE", help="a decision's JSON, a record, or a .jsonl log"
    )
    reassess_cmd.add_argument("case", type=Path, metavar="CASE", help="the case as it is now")
    reassess_cmd.add_argument(
        "--line", type=int, help="with a log: the record's line (default: last)"
    )
    reassess_cmd.add_argument(
        "--policy", type=Path, metavar="DIR", help="default: the built-in pack"
    )
    reassess_cmd.add_argument(
        "--as-of", type=_date, metavar="DATE", help="default: the case's, else today"
    )
    reassess_cmd.add_argument("--lang", type=_language, help="default: the recorded decision's")
    _loading_options(reassess_cmd)
    screen.register(commands)
    return parser


def _loading_options(command: argparse.ArgumentParser) -> None:
    """The options of every command that loads a policy: it reads them in `_load`."""
    command.add_argument(
        "--limit",
        type=_limit,
        action="append",
        metavar="NAME=N",
        help="raise or lower a limit (docs/limits.md)",
    )
    command.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="the folder every file the policy imports or lists must lie in "
        "(default: the policy's own folder)",
    )


def _load(args: argparse.Namespace) -> Policy:
    """The policy a command names (`args.policy`; None: the built-in pack), loaded with
    the command's limits and root: the one way a command loads a policy. A `--lang`
    must be one of the languages the policy declares."""
    policy = load(args.policy, limits=_limits(args), root=_root(args))
    lang = getattr(args, "lang", None)
    if lang is not None:
        # Without a `languages` clause a policy is read in any language with messages.
        known = policy.checked.languages or policy.checked.messages.languages
        if lang not in known:
            raise KspolicyError(
                f"--lang {lang}: {policy.name} is written in {', '.join(known)}; "
                f"give one of them (a policy adds a language in its header's `languages`)"
            )
    return policy


def _root(args: argparse.Namespace) -> Path | None:
    """The `--root` given, once it is known to be a folder (else every file the policy
    imports would be reported as lying outside it, which hides the real mistake)."""
    root: Path | None = getattr(args, "root", None)
    if root is None:
        return None
    try:
        os.stat(root)
        reason = None if os.path.isdir(root) else "it is not a folder"
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
    if reason is not None:
        raise KspolicyError(
            f"--root {root}: {reason}; give the folder every file of the policy must lie in"
        )
    return root


def _from_here(diagnostics: Sequence[Diagnostic], policy: Path | None) -> list[Diagnostic]:
    """Diagnostics naming their files from the current folder, as the user typed them.

    The loader names a policy's files from the policy's folder (those names are hashed
    into the policy's sha256, so they cannot depend on where the command runs); a
    message is read in a terminal, where `policy.pol:3:1` is ambiguous and
    `policies/ks/policy.pol:3:1` can be opened. A folder outside the current one is
    named whole.
    """
    entry = main_file(policy if policy is not None else default_policy_path())
    folder = os.path.abspath(entry.parent)
    here = os.getcwd()
    inside = os.path.commonpath([folder, here]) == here
    base = os.path.relpath(folder, here) if inside else folder
    if base == ".":
        return list(diagnostics)
    renamed: dict[int, Source] = {}
    shown = []
    for diagnostic in diagnostics:
        source = diagnostic.span.source
        if os.path.isabs(source.name) or source.name == str(entry):
            shown.append(diagnostic)
            continue
        if id(source) not in renamed:
            renamed[id(source)] = Source(Path(base, source.name).as_posix(), source.text)
        span = Span(renamed[id(source)], diagnostic.span.start, diagnostic.span.end)
        shown.append(attrs.evolve(diagnostic, span=span))
    return shown


_LANG_HELP = "language of texts: one the policy declares (default: en)"


def _language(text: str) -> str:
    """A `--lang` as written: a language code; the policy, once loaded, says if it has it."""
    if not re.fullmatch(r"[a-z]{2}", text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a language code such as en or nl")
    return text


def _policy_options(command: argparse.ArgumentParser) -> None:
    _loading_options(command)
    command.add_argument(
        "--policy",
        type=Path,
        metavar="DIR",
        help="policy directory or .pol file (default: the built-in pack)",
    )
    command.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="evaluate as on this date (default: the case's as_of, else today)",
    )
    command.add_argument("--lang", default="en", type=_language, help=_LANG_HELP)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    # `screen NAME` and `screen --batch FILE`, as written before `screen` had steps.
    args = _parser().parse_args(screen.respelled(sys.argv[1:] if argv is None else argv))
    # The library raises Python's recursion limit only while it works; printing a
    # decision explained 2,000 conditions deep (JSON, text) needs it too, and the command
    # owns its process, so it raises the limit once for the deepest limits it accepts.
    deepest = Limits(max_depth=ENGINE_MAX_DEPTH).recursion_needed()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), deepest))
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "lsp":
            return _lsp(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "fmt":
            return _fmt(args)
        if args.command == "ask":
            return _ask(args)
        if args.command == "template":
            return _template(args)
        if args.command == "test":
            return _test(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "lists":
            return lists_import.run(args)
        if args.command == "screen":
            return screen.run(args)
        if args.command == "audit":
            return _audit(args)
        if args.command == "schema":
            return _schema(args)
        if args.command == "reassess":
            return _reassess(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "prove":
            return prove_command.run(args, lambda path: _load_named(args, path), args.as_of)
        if args.command == "serve":
            return serve_command.run(args, _limits(args), _root(args))
        return _eval(args)
    except CaseError as exc:
        sys.stderr.write(render_case_error(exc))
        return 2
    except PolicyError as exc:
        where = getattr(args, "policy", None)
        sys.stderr.write(render_diagnostics(_from_here(exc.diagnostics, where)))
        return 2
    except testing.TestFileError as exc:
        sys.stderr.write(f"{exc}\n")  # `file:line: error[KSP230]: ...`, as a diagnostic
        return 2
    except KspolicyError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):  # the reader stopped reading: no success
            return output.cut_short(exc.status if isinstance(exc, output.Cut) else 0)
        # The last net: a file-system failure no command foresaw is still an error in
        # words, never a traceback.
        name = f"{exc.filename}: " if exc.filename else ""
        sys.stderr.write(f"error: {name}{os_reason(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


def _reassess(args: argparse.Namespace) -> int:
    policy = _load(args)
    before = reassess.read_recorded(args.recorded, args.line)
    with _case_in(args.case):
        result = reassess.reassess(policy, before, args.case, as_of=args.as_of, lang=args.lang)
    sys.stdout.write(reassess.render(result, policy.checked.messages, policy.checked) + "\n")
    sys.stdout.write(render_decision(result.decision, policy.checked.messages, policy.checked))
    return 0


def _load_named(args: argparse.Namespace, path: Path) -> Policy:
    """One of the policies a command names (diff, prove): its errors name its files."""
    args.policy = path  # what the PolicyError handler names the files from
    return load(path, limits=_limits(args), root=_root(args))


def _diff(args: argparse.Namespace) -> int:
    old, new = (_load_named(args, path) for path in (args.old, args.new))
    limits = _limits(args)
    report = diff.diff(old, new, diff.corpus_for(args, old, new, limits), as_of=args.as_of)
    sys.stdout.write(diff.render(report, args.format))
    return 0


def _check(args: argparse.Namespace) -> int:
    path = args.policy or default_policy_path()
    diagnostics = _from_here(check(path, limits=_limits(args), root=_root(args)), args.policy)
    if any(d.code is KSP110 and not d.span.source.text for d in diagnostics):
        # The policy named cannot be read at all (a file it imports is reported at the
        # import, with text): the input is bad, not the policy's text.
        status = 2
    else:
        status = 1 if any(d.is_error or args.strict for d in diagnostics) else 0
    with output.failing_with(lambda: status):
        if args.format == "json":
            sys.stdout.write(_check_json(path, diagnostics))
        elif args.format == "sarif":
            document = sarif.sarif_document(diagnostics)
            sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        elif diagnostics:
            sys.stdout.write(render_diagnostics(diagnostics))
        else:
            sys.stdout.write(f"{path}: no problems found\n")
        sys.stdout.flush()  # a reader gone fails here, with the status found
    return status


def _lsp(args: argparse.Namespace) -> int:
    try:
        from ..lsp import server
    except ImportError as exc:  # pygls is the optional extra `lsp`
        raise KspolicyError(
            f"the language server needs pygls ({exc.name} is missing): pip install 'kspolicy[lsp]'"
        ) from None
    return server.main(_limits(args), _root(args))


CHECK_FORMAT = 1
"""The version of `check --format json`'s output (docs/cli.md): raised when a field's
meaning changes or one is removed; fields may be added without raising it."""


def _check_json(path: Path, diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    document = {
        "format": CHECK_FORMAT,
        "policy": str(path),
        "errors": errors,
        "warnings": len(diagnostics) - errors,
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _eval(args: argparse.Namespace) -> int:
    if (args.case is None) == (args.batch is None):
        raise KspolicyError("give a CASE file or --batch FILE (one of the two)")
    if args.detail is not None and args.batch is None and args.format != "json":
        raise KspolicyError(
            f"--detail {args.detail}: the detail of the decision JSON, for --format json or"
            " --batch lines; the text has one form (for more words: kspolicy explain CASE)"
        )
    if args.explain and args.batch is None and args.format != "json" and args.record is None:
        raise KspolicyError(
            "--explain: the trace goes into the decision JSON (--format json) or the log"
            " (--record); the text has none (for the trace in words: kspolicy explain CASE"
            " --full)"
        )
    args.detail = args.detail or "compact"  # known given or not from here on
    if args.batch is not None:
        return _batch(args)
    if args.workers is not None:
        raise KspolicyError("--workers goes with --batch: one case is decided in one process")
    if args.fields is not None:
        raise KspolicyError("--fields goes with --batch; one case: --detail compact or full")
    if args.out is not None:
        output.check_writable(args.out)  # before the work, not after
        _not_the_input(args.out, args.case)
    policy = _load(args)
    if args.record is not None:
        decision = _record(args, policy)
    else:
        source = _case_file(args.case, policy)
        with _case_in(args.case):
            decision = policy.evaluate(
                source.data, as_of=args.as_of, lang=args.lang, explain=args.explain
            )
    if args.format == "json":
        text = decision.to_json(args.detail)
    else:
        text = render_decision(decision, policy.checked.messages, policy.checked)
    if args.out is not None:
        output.write_bytes(args.out, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0


STDIN = Path("-")
"""The case path that means standard input (`kspolicy eval -`)."""


def _not_the_input(out: Path, given: Path) -> None:
    """Refuse an --out that is the input itself (by any name, a link too): the output
    would replace the cases before anyone had them back."""
    try:
        same = given != STDIN and os.path.samefile(out, given)
    except (OSError, ValueError):
        same = False  # either is missing: the reader or the writer says so
    if same:
        raise KspolicyError(
            f"--out {out} is the input file itself: the decisions would replace the cases;"
            " give another name"
        )


def _case_file(path: Path, policy: Policy) -> CaseFile:
    """A case file read once, or standard input for `-`: JSON when it starts with `{`,
    else TOML, within the same limits as a file."""
    if path != STDIN:
        suffix = path.suffix.lower()
        if suffix not in (".toml", ".json"):
            return read_case_file(path, policy.limits)  # which says what a case file is
        try:
            raw = read_case_bytes(path, policy.limits)
        except CaseError as exc:
            # Missing, not a file, too large: the file's problem, not "(the case)"'s, said
            # as other commands say a file they cannot read.
            said = "; ".join(
                f"{problem.message.removeprefix('cannot read the file: ')} [{problem.code}]"
                for problem in exc.problems
            )
            raise KspolicyError(f"cannot read the case file {path}: {said}") from None
        return CaseFile(path, raw, parse_case(raw, suffix, str(path), policy.limits))
    limit = policy.limits.max_case_bytes
    if sys.stdin is None:
        raise KspolicyError(
            "standard input is closed: give the case file's name, or pipe the case in"
            " (kspolicy eval - < case.toml)"
        )
    raw = sys.stdin.buffer.read(limit + 1)
    where = "<stdin>"
    if len(raw) > limit:
        raise KspolicyError(f"{where}: the case is larger than {limit:,} bytes (max_case_bytes)")
    suffix = ".json" if raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else ".toml"
    return CaseFile(Path(where), raw, parse_case(raw, suffix, where, policy.limits))


def _record(args: argparse.Namespace, policy: Policy) -> Decision:
    """Decide the case and append the record; a record that is not written fails the command.

    The file is read once: the bytes decided are the bytes recorded, even if the file
    changes meanwhile. (Python ignores SIGXFSZ, so a file size limit makes the write
    fail with EFBIG, which `audit.append` reports, rather than kill the process.)
    """
    source = _case_file(args.case, policy)
    with _case_in(args.case):
        decision = policy.evaluate(
            source.data, as_of=args.as_of, lang=args.lang, explain=args.explain
        )
    now = dt.datetime.now(dt.UTC)
    record = audit.record_of(policy, source.data, decision, __version__, now, source)
    audit.append(args.record, record)
    return decision


@contextlib.contextmanager
def _case_in(path: Path) -> Iterator[None]:
    """Name the case file in a CaseError about data read from it (the data has no name)."""
    try:
        yield
    except CaseError as exc:
        name = "<stdin>" if path == STDIN else str(path)
        raise CaseError(exc.problems, exc.source or name) from None


def _batch(args: argparse.Namespace) -> int:
    workers = _workers(args.workers)
    if args.format == "text":
        raise KspolicyError(
            "--format text: a batch is written as JSON lines, a decision a line, for"
            " programs to read; leave --format out, or decide one case for text"
        )
    fields = batch.pick_fields(args.fields, args.detail)
    if fields is not None and "trace" in fields and not args.explain:
        raise KspolicyError(
            "--fields trace: a decision holds a trace only with --explain; add --explain,"
            " or leave trace out"
        )
    if args.out is not None:
        output.check_writable(args.out)
        _not_the_input(args.out, args.batch)
    policy = _load(args)
    # Read now: a file that is missing, not a regular file, or whose CSV header names
    # no case (or a column no field), or that is one case file, fails here, before any
    # output. JSON lines are read where they are decided.
    try:
        numbered = batch.read_batch(args.batch, policy.limits, raw=True, schema=policy.schema)
    except CaseError as exc:
        raise _unread_batch(exc, args.batch) from None
    job = batch.Job(
        as_of=args.as_of.isoformat() if args.as_of is not None else None,
        lang=args.lang,
        explain=args.explain,
        detail=args.detail,
        fields=fields,
        record=args.batch.name if args.record is not None else None,
        engine=__version__,
    )

    def cases() -> Iterator[tuple[int, Any]]:
        try:
            yield from numbered
        except OSError as exc:  # a disk error while reading: not a writing problem
            raise KspolicyError(f"cannot read {args.batch}: {os_reason(exc)}") from None

    # Written to a temporary file renamed at the end: no link planted at the name is
    # followed, and a batch stopped half-way leaves no output that looks whole.
    replacing = output.Replacing(args.out) if args.out else None
    out: Any = replacing if replacing is not None else sys.stdout
    # On a terminal, unless the decisions go to the same terminal: the bar would be
    # drawn into the lines.
    drawn = sys.stderr.isatty() and (args.out is not None or not sys.stdout.isatty())
    progress = batch.Progress(sys.stderr, numbered) if drawn else None
    decided = rejected = 0
    write = batch.writer(out, args.out)
    try:
        # A chunk's lines at a time, one write each; with --record, a decision is written
        # out only once its record is in the log (as for one case).
        parts = batch.decide_chunks(policy, cases(), job, workers=workers, share=numbered.fraction)
        for part in parts:
            decided += part.decided
            rejected += part.rejected
            if args.record is not None:
                audit.append_all(args.record, part.records)
            write(part.data)
            if progress is not None:
                progress.step(part.decided + part.rejected)
        if replacing is not None:
            replacing.commit()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise KspolicyError(f"cannot write the output: {os_reason(exc)}") from None
    finally:
        if replacing is not None:
            replacing.close()
    if progress is not None:
        progress.close()
    sys.stderr.write(f"{decided} decided, {rejected} rejected\n")
    return 0


def _unread_batch(exc: CaseError, path: Path) -> KspolicyError:
    """A batch file that cannot be read at all, named as the batch file: its problems
    have no path in a case, and "(the case)" would name a case there is none of."""
    if exc.source != str(path) or any(problem.path for problem in exc.problems):
        return exc  # a line of the file (a CSV header): said at its line
    said = "; ".join(f"{problem.message} [{problem.code}]" for problem in exc.problems)
    return KspolicyError(f"--batch {path}: {said}")


def _workers(given: str | None) -> int | None:
    """`--workers N`, or `auto`: the cores this process may use; None without the
    option: decide here until there is work worth a worker (`policy.spread`)."""
    if given is None:
        return None
    if given == "auto":
        return facade.cores()
    try:
        count = int(given)
    except ValueError:
        count = 0
    if count < 1:
        raise KspolicyError("--workers takes a number of 1 or more, or auto")
    usable = facade.cores()  # the facade's, as the batch's own choice reads it
    if count > usable:
        # Deciding is CPU work: a worker beyond the cores only takes turns with the others,
        # and pays its own start (about a second) and its own copy of the policy.
        sys.stderr.write(
            f"note: --workers {count}: this process may use {_count(usable, 'core')};"
            f" deciding with {_count(usable, 'worker')}\n"
        )
        return usable
    return count


def _explain(args: argparse.Namespace) -> int:
    if args.out is not None:
        output.check_writable(args.out)
    policy = _load(args)
    # Read once: the facts explained are the facts decided.
    data = _case_file(args.case, policy).data
    with _case_in(args.case):
        facts, _ = policy.read_case(data)
        decision = policy.evaluate(
            data, as_of=args.as_of, lang=args.lang, explain=bool(args.why_not or args.full)
        )
    blocks = explain(policy.checked, decision, case=facts, why_not=args.why_not, full=args.full)
    if args.format == "html":
        words = policy.checked.messages.get(decision.lang)
        title = f"{policy.name}: {headline_line(decision, words, policy.checked)}"
        text = to_html(blocks, title, decision.lang)
    elif args.format == "md":
        text = to_markdown(blocks)
    else:
        stream_is_terminal = args.out is None and sys.stdout.isatty()
        colour = args.color == "always" or (
            args.color == "auto" and stream_is_terminal and not os.environ.get("NO_COLOR")
        )
        text = to_text(blocks, colour=colour)
    if args.out is not None:
        output.write_bytes(args.out, text.encode("utf-8"))
    else:
        sys.stdout.write(text)
    return 0


def _ask(args: argparse.Namespace) -> int:
    if args.case == STDIN:
        raise KspolicyError("ask reads the answers from standard input: give the case as a file")
    policy = _load(args)
    source = _case_file(args.case, policy)
    data = source.data
    target = args.out or args.case
    catalogue = policy.checked.messages
    words = catalogue.get(args.lang).section("ask")
    original = source.raw.decode("utf-8")  # the bytes asked about, known to be UTF-8
    # The comments and layout of a TOML case are kept in a TOML file it is saved to.
    kept = original if args.case.suffix.lower() == ".toml" else None
    # Before the first question: an answer given must never be lost to a file it cannot
    # be written to.
    output.check_writable(target)
    saving.case_text(target, data, kept)
    left_out = saving.nulls(data) if target.suffix.lower() != ".json" else []
    if left_out:
        sys.stdout.write(
            f"(TOML has no null: {', '.join(left_out)} will be left out of {target},"
            " which says the same: unknown)\n"
        )
    if target == args.case and "#" in original:
        backup = args.case.with_name(f"{args.case.stem}.orig{args.case.suffix}")
        if output.write_new(backup, original):
            sys.stdout.write(f"({words['backup']} {backup})\n")
    sys.stdout.write(words["intro"] + "\n")
    skipped: set[str] = set()
    while True:
        with _case_in(args.case):
            decision = policy.evaluate(data, as_of=args.as_of, lang=args.lang)
        open_questions = interview.questions(policy, decision, skipped)
        if not open_questions:
            sys.stdout.write(f"\n{words['done']}\n")
            break
        question = open_questions[0]
        sys.stdout.write(f"\n{question.text}\n  [{question.hint(args.lang, catalogue)}] > ")
        sys.stdout.flush()
        try:
            line = _answer_line()
        except interview.AnswerError as exc:
            sys.stdout.write(f"  ! {exc}\n")
            continue
        if not line or line.strip().lower() in ("q", "quit", "stop"):
            sys.stdout.write(f"\n{words['stopped']}\n")
            break
        if not line.strip():
            skipped.add(question.fact)
            continue
        try:
            value = interview.parse_answer(question, line, catalogue)
            changed = interview.set_answer(policy, data, question, value)
            policy.read_case(changed)  # the answer must fit the schema before it is kept
        except interview.AnswerError as exc:
            sys.stdout.write(f"  ! {exc}\n")
            continue
        except CaseError as exc:
            sys.stdout.write("  ! " + "; ".join(p.message for p in exc.problems) + "\n")
            continue
        data = changed
        _write_case(target, data, kept)
    sys.stdout.write(f"({words['saved']} {target})\n\n")
    decision = policy.evaluate(data, as_of=args.as_of, lang=args.lang)
    sys.stdout.write(render_decision(decision, catalogue, policy.checked))
    return 0


def _answer_line() -> str:
    """The next line typed ("" at the end of input); AnswerError when it is not text.

    Read as bytes and decoded here: in a UTF-8 locale Python's own decoding of stdin
    is strict, and a stray byte (a paste in Latin-1, say) once ended `ask` in a traceback.
    """
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream with no bytes beneath (a test, an embedding)
        return sys.stdin.readline()
    raw = buffer.readline()
    try:
        return str(raw.decode(sys.stdin.encoding or "utf-8"))
    except UnicodeDecodeError:
        raise interview.AnswerError(
            f"the answer is not {sys.stdin.encoding or 'UTF-8'} text; type it again"
        ) from None


def _write_case(path: Path, data: dict[str, Any], original: str | None) -> None:
    """Write a case atomically: a crash leaves the old file or the new one, never half."""
    output.write_bytes(path, saving.case_text(path, data, original))


def _fmt(args: argparse.Namespace) -> int:
    paths: list[Path] = []
    for given in args.files or [Path(".")]:
        try:
            os.stat(given)
            if given.is_dir():
                paths += sorted(p for p in given.rglob("*.pol") if ".venv" not in p.parts)
                continue
        except (OSError, ValueError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            raise KspolicyError(f"{given}: {reason}") from None
        if given.suffix != ".pol" or not given.is_file():
            raise KspolicyError(f"{given}: not a .pol file or a folder")
        paths.append(given)
    status = 0
    changed = 0
    # A reader that stops reading ends the command with the failure found so far.
    with output.failing_with(lambda: status):
        for path in paths:
            try:
                original = path.read_text(encoding="utf-8")
                formatted = format_source(original, str(path))
            except UnicodeDecodeError:
                sys.stderr.write(f"{path}: not UTF-8 text; left as it is\n")
                status = 2
                continue
            except OSError as exc:
                sys.stderr.write(f"{path}: cannot read it: {os_reason(exc)}; left as it is\n")
                status = 2
                continue
            except FormatError as exc:
                if exc.diagnostics:
                    sys.stderr.write(render_diagnostics(exc.diagnostics))
                sys.stderr.write(f"{exc}\n")
                status = 2
                continue
            if formatted == original:
                continue
            changed += 1
            if args.check:
                status = max(status, 1)
                sys.stdout.write(f"would reformat {path}\n")
            else:
                output.write_bytes(path, formatted.encode("utf-8"))
                sys.stdout.write(f"reformatted {path}\n")
        verb = "would reformat" if args.check else "reformatted"
        sys.stdout.write(f"{_count(len(paths), 'file')}, {changed} {verb}\n")
        sys.stdout.flush()  # a reader gone fails here, with the status found
    return status


def _template(args: argparse.Namespace) -> int:
    if args.out is not None and os.path.lexists(args.out):
        raise KspolicyError(
            f"{args.out} exists; the template never overwrites a file: give a new name"
        )
    text = interview.template(_load(args), args.lang)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    # Created only if nothing has the name, a link either (dangling or not): checking
    # first and writing after once wrote through a link planted at the name.
    if not output.write_new(args.out, text):
        raise KspolicyError(
            f"{args.out} exists; the template never overwrites a file: give a new name"
        )
    return 0


def _schema(args: argparse.Namespace) -> int:
    if args.what == "decision":
        given = [o for o, v in (("--policy", args.policy), ("--lang", args.lang)) if v]
        if given or args.limit or args.root:
            raise KspolicyError(
                "the decision's schema is the same for every policy: "
                f"{' and '.join(given) or 'policy options'} are for `kspolicy schema case`"
            )
        schema = contract.decision_schema()
    else:
        schema = contract.case_schema(_load(args).checked, args.lang)
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return 0


def _test(args: argparse.Namespace) -> int:
    path = args.policy or default_policy_path()
    policy = _load(args)
    files = testing.test_files(path)
    if not files:
        raise KspolicyError(
            f"no tests: put test files in {main_file(path).parent / 'tests'}/*.toml"
        )
    names = list(policy.checked.outcomes)
    tests = [test for file in files for test in testing.read_tests(file, names, policy.limits)]
    coverage = testing.Coverage() if args.coverage else None
    results = testing.run_tests(policy, tests, coverage)
    for result in results:
        if not result.passed:
            sys.stdout.write(f"FAIL {result.test.where}: {result.test.name}\n")
            for failure in result.failures:
                sys.stdout.write(f"    {failure}\n")
    if coverage is not None:
        lines = coverage.report(policy)
        fired = len(policy.checked.rules) - sum("never fired" in line for line in lines)
        sys.stdout.write(
            f"coverage: {fired} of {len(policy.checked.rules)} rules fired in a test\n"
        )
        for line in lines:
            sys.stdout.write(f"  {line}\n")
    failed = sum(not r.passed for r in results)
    sys.stdout.write(f"{len(results) - failed} passed, {failed} failed\n")
    return 1 if failed else 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_TORN = (
    "an incomplete record: a writer was stopped while writing it; it is no record, and"
    " the next writer cuts it off"
)


def _log_findings(log: Path, torn: Sequence[int], crlf: Sequence[int]) -> None:
    """What verify and replay both report: an incomplete record, CR LF line ends."""
    for line in torn:
        sys.stdout.write(f"{log}:{line}: {_TORN}\n")
    if crlf:
        sys.stdout.write(
            f"{log}:{crlf[0]}: {_count(len(crlf), 'line')} of the log end in CR LF: it was"
            " converted (to Windows line ends) after it was written; the records were"
            " checked with the CRs taken off, as written they are not intact: convert it"
            " back (dos2unix)\n"
        )


def _verify(args: argparse.Namespace) -> int:
    trusted = None
    if args.public_key is not None:
        if args.checkpoint is None:
            raise KspolicyError("--public-key goes with --checkpoint FILE")
        trusted = checkpoint.load_public_key(args.public_key)
    signed = checkpoint.read(args.checkpoint) if args.checkpoint is not None else None
    result = audit.verify(args.log)
    for problem in result.problems:
        sys.stdout.write(f"{args.log}:{problem.line}: {problem.message}\n")
    _log_findings(args.log, result.torn, result.crlf)
    problems = len(result.problems) + (1 if result.crlf else 0)
    state = "intact" if result.ok else f"NOT intact: {_count(problems, 'problem')}"
    sys.stdout.write(
        f"{args.log}: {_count(result.records, 'record')}, {state}; last sha256 {result.head}\n"
    )
    if result.old:
        sys.stdout.write(
            f"{args.log}: {_count(result.old, 'record')} of the old format (no sequence"
            " numbers), verified as far as it goes: a chain alone cannot show records cut"
            " from its end; a checkpoint can, from now on\n"
        )
    if signed is None:
        sys.stdout.write(
            f"{args.log}: no checkpoint given: records removed from the end, an emptied log"
            " or a chain rewritten whole show only against a signed checkpoint"
            " (see `kspolicy audit checkpoint`)\n"
        )
        return 0 if result.ok else 1
    wrong = checkpoint.check_signature(signed, trusted)
    if wrong is None:
        wrong = checkpoint.extends(signed, list(result.leaves))
    if wrong is not None:
        sys.stdout.write(f"{args.log}: does NOT extend the checkpoint {args.checkpoint}: {wrong}\n")
        return 1
    after = result.records - signed.size
    whose = ""
    if trusted is None:
        whose = " (named by the checkpoint itself: give --public-key to check it is yours)"
    sys.stdout.write(
        f"{args.log}: extends the checkpoint {args.checkpoint} ({_count(signed.size, 'record')},"
        f" signed {signed.time} by key {signed.key}{whose}); {_count(after, 'record')} after it\n"
    )
    return 0 if result.ok else 1


def _replay(args: argparse.Namespace) -> int:
    policy = _load(args)
    result = audit.replay(args.log, policy)
    for problem in result.problems:
        sys.stdout.write(f"{args.log}:{problem.line}: not replayed: {problem.message}\n")
    _log_findings(args.log, result.torn, result.crlf)
    for change in result.changes:
        sys.stdout.write(f"{args.log}:{change.line}: case {change.case_sha256[:12]} would change\n")
        for difference in change.differences:
            sys.stdout.write(f"    {difference}\n")
        if change.rules_now:
            sys.stdout.write(f"    now fires: {', '.join(change.rules_now)}\n")
        if change.rules_then:
            sys.stdout.write(f"    no longer fires: {', '.join(change.rules_then)}\n")
        if change.rules_changed:
            sys.stdout.write(f"    now gives other outcomes: {'; '.join(change.rules_changed)}\n")
        if change.same_policy:
            sys.stdout.write(
                f"    recorded with these very policy files (sha256 {policy.sha256}): the"
                " recorded decision is not what they decide; the record was forged, or"
                f" this engine ({__version__}) decides otherwise than the recording one"
                f" ({change.engine or 'unknown'})\n"
            )
    sys.stdout.write(
        f"{_count(result.records, 'decision')} replayed with {policy.name} {policy.version}: "
        f"{len(result.changes)} would change"
        + (
            f"; {_count(len(result.problems), 'record')} could not be replayed"
            if result.problems
            else ""
        )
        + "\n"
    )
    if result.problems or result.crlf:
        return 2
    return 1 if result.changes else 0


def _audit(args: argparse.Namespace) -> int:
    if args.step == "keygen":
        key = checkpoint.generate_key(args.out)
        sys.stdout.write(
            f"key {key}: private key in {args.out} (for whoever signs checkpoints, never for"
            f" the log's writer), public key in {args.out}.pub (for auditors)\n"
        )
        return 0
    if args.step == "consistent":
        trusted = checkpoint.load_public_key(args.public_key) if args.public_key else None
        old, new = checkpoint.read(args.old), checkpoint.read(args.new)
        for path, signed in ((args.old, old), (args.new, new)):
            wrong = checkpoint.check_signature(signed, trusted)
            if wrong is not None:
                sys.stdout.write(f"{path}: {wrong}\n")
                return 1
        wrong = checkpoint.consistent(old, new)
        if wrong is not None:
            sys.stdout.write(f"{args.new} does NOT extend {args.old}: {wrong}\n")
            return 1
        sys.stdout.write(
            f"{args.new} ({_count(new.size, 'record')}) extends {args.old}"
            f" ({_count(old.size, 'record')})\n"
        )
        return 0
    private = checkpoint.load_private_key(args.key)
    previous = checkpoint.read(args.previous) if args.previous is not None else None
    if previous is not None:
        wrong = checkpoint.check_signature(previous, private.public_key())
        if wrong is not None:
            raise KspolicyError(f"the previous checkpoint {args.previous}: {wrong}")
    result = audit.verify(args.log)
    if not result.ok:
        for problem in result.problems:
            sys.stdout.write(f"{args.log}:{problem.line}: {problem.message}\n")
        _log_findings(args.log, (), result.crlf)
        sys.stdout.write(f"{args.log}: NOT intact: no checkpoint signed\n")
        return 1
    now = dt.datetime.now(dt.UTC)
    signed = checkpoint.sign(
        private, args.log.name, list(result.leaves), result.head, now, previous=previous
    )
    if args.out is None:  # --out -: the checkpoint on stdout, what was signed beside it
        sys.stdout.write(signed.to_json())
    else:
        checkpoint.write(args.out, signed)
    (sys.stdout if args.out is not None else sys.stderr).write(
        f"{args.out or '-'}: {_count(signed.size, 'record')}, root {signed.root}, signed by"
        f" key {signed.key}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
