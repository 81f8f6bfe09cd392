"""The facade's working parts: load and check a policy, evaluate cases with it."""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import datetime as dt
import gc
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from .diagnostics import (
    CODES,
    KSP402,
    ArgumentError,
    CaseError,
    CaseProblem,
    Diagnostic,
    KspolicyError,
    PolicyError,
)
from .eval.cases import CaseReader, Unreadable, load_case_file, parse_date
from .eval.compiler import compile_policy
from .eval.decision import Decision
from .eval.facts import Facts
from .eval.runtime import Program, check_bindings, compact_decision, run
from .lang import checked as c
from .lang.build import Built, build
from .lang.loader import default_policy_path
from .lang.schema import Schema
from .limits import DEFAULT, Limits

CaseInput = Mapping[str, Any] | str | os.PathLike[str]


def check(
    path: str | os.PathLike[str] | None = None,
    *,
    limits: Limits = DEFAULT,
    root: str | os.PathLike[str] | None = None,
) -> list[Diagnostic]:
    """Every diagnostic of a policy (errors and warnings), in reading order; raises only
    ArgumentError, for arguments of the wrong kind."""
    _given(path, limits, root)
    # Deeper limits need more Python frames: allowed while the policy is read, only.
    with _collector_paused(), _frames(limits.recursion_needed()):
        where = Path(path) if path is not None else default_policy_path()
        return _build(where, limits, root).diagnostics


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    limits: Limits = DEFAULT,
    root: str | os.PathLike[str] | None = None,
) -> Policy:
    """Load, check and compile a policy; with no path, the built-in knowledge-security pack.

    Raises PolicyError, with every diagnostic, when the policy has an error. `limits`
    raises (or lowers) what the engine accepts (docs/limits.md). Every file the policy
    imports or lists must lie inside `root`: by default the folder of its main file.
    """
    _given(path, limits, root)
    with _collector_paused(), _frames(limits.recursion_needed()):
        where = Path(path) if path is not None else default_policy_path()
        built = _build(where, limits, root)
        if built.checked is None:
            raise PolicyError(built.diagnostics)
        policy = Policy(built.checked, built.diagnostics, limits, depth=built.depth)
    policy.path = Path(path) if path is not None else None
    policy.root = Path(root) if root is not None else None
    return policy


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a policy is built, then restore it exactly.

    Loading creates hundreds of thousands of long-lived objects (syntax tree, spans,
    closures) and frees few, so the collector would scan them over and over for nothing:
    a sixth of the time to load 3,000 rules. Reference counting still frees everything
    that is dropped; cycles wait for the next collection. A program that turned the
    collector off keeps it off; nothing is frozen (`gc.freeze()` is the host's to use).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# The recursion limit is one setting for the whole process, so a raise is shared by the
# threads that need it at the same time: the first saves the host's limit, the last puts
# it back, and none lowers it under another still at work (docs/limits.md).
_frames_lock = threading.Lock()
_frames_users = 0
_frames_saved = 0
_frames_set = 0


@contextlib.contextmanager
def _frames(needed: int) -> Iterator[None]:
    """Python's recursion limit at least `needed` while kspolicy works, then restored.

    Never lowered below what the host had set; if the host changed the limit meanwhile,
    its value is kept.
    """
    global _frames_users, _frames_saved, _frames_set
    with _frames_lock:
        current = sys.getrecursionlimit()
        if _frames_users == 0:
            _frames_saved = current
        _frames_users += 1
        if needed > current:
            sys.setrecursionlimit(needed)
            current = needed
        _frames_set = current
    try:
        yield
    finally:
        with _frames_lock:
            _frames_users -= 1
            if _frames_users == 0 and sys.getrecursionlimit() == _frames_set:
                sys.setrecursionlimit(_frames_saved)


def _nesting(policy: c.Policy) -> int:
    """How deep the policy's conditions nest, definitions counted as deep as what they
    stand for; without recursion (a raised `max_depth` allows thousands of levels)."""
    refs = {
        name: [e.name for e in c.walk([d.expr]) if isinstance(e, c.DefineRef)]
        for name, d in policy.definitions.items()
    }
    order: list[str] = []  # each definition after those it uses
    seen: set[str] = set()
    for start in refs:
        todo = [(start, False)]
        while todo:
            name, done = todo.pop()
            if done:
                order.append(name)
            elif name not in seen:
                seen.add(name)
                todo.append((name, True))
                todo.extend((ref, False) for ref in refs[name] if ref not in seen)
    depth: dict[str, int] = {}
    for name in order:
        depth[name] = _deepest(policy.definitions[name].expr, depth)
    roots = [e for rule in policy.rules for e in (rule.when, *rule.unless)]
    return max((_deepest(e, depth) for e in roots), default=0)


def _deepest(root: c.Expr, definitions: dict[str, int]) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        expr, level = stack.pop()
        if isinstance(expr, c.DefineRef):
            level += definitions.get(expr.name, 0)
        deepest = max(deepest, level)
        stack.extend((inner, level + 1) for inner in c.children(expr))
    return deepest


def _build(path: Path, limits: Limits, root: str | os.PathLike[str] | None = None) -> Built:
    return build(path, limits, Path(root) if root is not None else None)


class RuleStatuses(NamedTuple):
    """The rules that fire for a case, and those that are pending on unknown facts."""

    fired: tuple[str, ...]
    pending: tuple[str, ...]


_Made = TypeVar("_Made")


class Policy:
    """A checked, compiled policy: load it once, evaluate many cases."""

    def __init__(
        self,
        checked: c.Policy,
        diagnostics: list[Diagnostic],
        limits: Limits = DEFAULT,
        *,
        depth: int | None = None,
    ) -> None:
        self._checked = checked
        # The frames evaluating this policy's deepest condition may take: above the
        # host's recursion limit, it is raised for the evaluation only (docs/limits.md).
        # `depth` is the checker's measure of it, when known (lang/build.py).
        nesting = _nesting(checked) if depth is None else depth
        self._frames = Limits(max_depth=nesting).recursion_needed()
        # Compiled when first asked for (`_program`), not here: a large policy compiles
        # to hundreds of thousands of closures, which a load from the cache would spend
        # a third of its time making and then having the collector scan (RESULTS.md,
        # *Load*), and which a program that only checks, lists or explains never runs.
        self._compiled: Program | None = None
        self._compiling = threading.Lock()
        self._compile_limits = limits  # the load's, whatever is later set on `limits`
        self._reader = CaseReader(checked.schema, limits)
        self._rule_names = tuple(rule.name for rule in checked.rules)
        # For rule_statuses: rule names by index.
        self._name_of = self._rule_names.__getitem__
        self.limits = limits
        self.path: Path | None = None  # where it was loaded from (None: the built-in pack)
        self.root: Path | None = None  # the folder its files must lie in (None: its own)
        self.warnings: tuple[Diagnostic, ...] = tuple(diagnostics)

    @property
    def _program(self) -> Program:
        """The compiled policy, compiled once, by the first thread that needs it."""
        program = self._compiled
        if program is None:
            with self._compiling:
                program = self._compiled
                if program is None:
                    # As a load did: the collector paused over the closures it makes,
                    # and (only when the host's limit is short of them) the frames that
                    # the deepest condition needs; both restored.
                    with _collector_paused():
                        if self._frames > sys.getrecursionlimit():
                            with _frames(self._frames):
                                program = compile_policy(self._checked, self._compile_limits)
                        else:
                            program = compile_policy(self._checked, self._compile_limits)
                    self._compiled = program
        return program

    @property
    def name(self) -> str:
        """The policy's name, from its header."""
        return self._checked.name

    @property
    def version(self) -> str:
        """The policy's version, from its header."""
        return self._checked.version

    @property
    def sha256(self) -> str:
        """The sha256 over every policy and list file (see `files`)."""
        return self._checked.sha256

    @property
    def files(self) -> tuple[tuple[str, str], ...]:
        """Every file the policy was read from, with its sha256."""
        return self._checked.files

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages its texts are in (English when the header names none)."""
        return self._checked.languages or ("en",)

    @property
    def schema(self) -> Schema:
        """The case schema: the facts a case may give, and their types."""
        return self._checked.schema

    @property
    def checked(self) -> c.Policy:
        """The checked policy: rules, outcomes, lists (for tools built on the engine)."""
        return self._checked

    def read_case(self, case: CaseInput) -> tuple[dict[str, Any], dt.date | None]:
        """A case's facts checked against the schema, and its `as_of` if it gives one."""
        source = None
        if type(case) is dict:  # a batch line's case: spared two abstract-class checks
            data: Mapping[str, Any] = case
        elif isinstance(case, str | os.PathLike):
            source = os.fspath(case)
            data = load_case_file(Path(case), self.limits)
        elif isinstance(case, Mapping):
            data = case
        else:
            raise CaseError(
                [
                    CaseProblem(
                        "",
                        f"a case is a mapping or a file path, not {type(case).__name__}",
                        KSP402,
                    )
                ]
            )
        as_of = None
        if "as_of" in data:
            data = dict(data)
            as_of = _as_of(data.pop("as_of"), source)
        return self._reader.read(data, source), as_of

    def rule_statuses(
        self, case: CaseInput, *, as_of: dt.date | str | None = None, check_case: bool = True
    ) -> RuleStatuses:
        """Which rules fire and which are pending for a case: no explanation, fast.

        The decision's outcomes follow from these (see `evaluate` for the decision
        itself). `check_case=False` skips checking the case against the schema, for data
        the caller already vouches for (its own database, say): a case that does not fit
        the schema then gives no error, and no reliable answer either.
        """
        # Written for speed: with a small policy, this wrapper once cost as much as the
        # decision itself (benchmarks/RESULTS.md).
        facts: Mapping[str, Any]
        case_as_of = None
        if check_case or (type(case) is not dict and not isinstance(case, Mapping)):
            facts, case_as_of = self.read_case(case)
        elif "as_of" in case:
            facts = {k: v for k, v in case.items() if k != "as_of"}
            case_as_of = _as_of(case["as_of"], None)
        else:
            facts = case
        if as_of is not None:
            day = _as_of(as_of, None)
        else:
            day = case_as_of or _today()
        given = Facts(facts)
        program = self._program
        if program.bound:
            check_bindings(program, given)  # before the runner, which would hang
        if self._frames > sys.getrecursionlimit():
            with _frames(self._frames):
                fired, pending = program.runner.statuses(given, day)
        else:
            fired, pending = program.runner.statuses(given, day)
        name_of = self._name_of
        # In policy order: rules grouped under a shared condition are found out of order,
        # in ascending runs, which sorted() merges fast. (map and sorted run in C: with
        # thousands of rules the mapping once cost a quarter of a decision.)
        return RuleStatuses(
            tuple(map(name_of, sorted(fired))) if fired else (),
            tuple(map(name_of, sorted(pending))) if pending else (),
        )

    def evaluate_many(
        self,
        cases: Iterable[CaseInput],
        *,
        as_of: dt.date | str | None = None,
        lang: str = "en",
        explain: bool = False,
        workers: int | None = 1,
    ) -> Iterator[Decision | CaseError]:
        """Each case's Decision, or the CaseError saying what is wrong with it, in input
        order, streamed in bounded memory: a few chunks of cases are read ahead, however
        many there are. `workers` > 1 sends chunks of cases to that many processes,
        started once the input holds more than one chunk; None decides here until there
        is work worth a worker, then uses the cores this process may use.

        Worker processes are started afresh ("spawn") and import the main module again,
        as `multiprocessing` does: a script that asks for workers must do its work under
        `if __name__ == "__main__":`, and a script read from standard input (`python -`)
        cannot have workers. Raises ArgumentError for a bad `workers`, WorkerFailed when
        a worker stops."""
        if not isinstance(cases, Iterable) or isinstance(cases, Mapping | str):
            raise ArgumentError("evaluate_many takes an iterable of cases; one case: evaluate")
        # As the CLI's --workers: a count of 1 or more (a bool is not a count), or None.
        if workers is not None and (
            isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
        ):
            raise ArgumentError(f"workers is a number of 1 or more, or None; got {workers!r}")
        return _evaluate_many(self, cases, as_of=as_of, lang=lang, explain=explain, workers=workers)

    def evaluate(
        self,
        case: CaseInput,
        *,
        as_of: dt.date | str | None = None,
        lang: str = "en",
        explain: bool = False,
    ) -> Decision:
        """The decision for a case (a mapping, or the path of a .toml or .json file).

        `as_of` (a date) decides which rules and list entries apply; without it, the
        case's own `as_of`, else today. `lang` picks the language of titles, reasons and
        questions. `explain` adds the evaluation trace. Raises CaseError on a bad case.
        """
        program = self._program
        return self._decided(
            case, as_of, lang, lambda facts, day: run(program, facts, day, lang, explain)
        )

    def compact_decision(
        self, case: CaseInput, *, as_of: dt.date | str | None = None, lang: str = "en"
    ) -> dict[str, Any]:
        """`evaluate(case, ...).to_dict()`, the same data, made straight from what the
        rules found, without the decision's objects: for a program that writes the
        compact form of many decisions (`eval --batch`). Raises CaseError on a bad case."""
        program = self._program
        return self._decided(
            case, as_of, lang, lambda facts, day: compact_decision(program, facts, day, lang)
        )

    def _decided(
        self,
        case: CaseInput,
        as_of: dt.date | str | None,
        lang: str,
        decide: Callable[[dict[str, Any], dt.date], _Made],
    ) -> _Made:
        """`decide` on the case read and checked, on the day it is decided for (`as_of`,
        else the case's own, else today), in a language the policy has, with the frames
        the policy's depth needs: what `evaluate` and `compact_decision` share."""
        facts, case_as_of = self.read_case(case)
        day = _as_of(as_of, None) if as_of is not None else case_as_of or _today()
        if self._checked.languages and lang not in self._checked.languages:
            raise ArgumentError(f"language {lang!r}: this policy has {', '.join(self.languages)}")
        if self._frames > sys.getrecursionlimit():
            with _frames(self._frames):
                return decide(facts, day)
        return decide(facts, day)


# ---- many cases: streamed in chunks, over worker processes when there is work ---------
#
# `evaluate_many` reads its input a chunk at a time, so any number of cases fits in
# memory. Chunks (never single cases: a message per case cost more than deciding it) go
# to processes that load the policy themselves (a compiled policy holds generated code,
# which does not travel between processes); a few chunks per worker are in flight at
# once, so no worker waits for the slowest of a window, and the results come back in
# input order. `spread` is the machinery, shared with the tools (tools/batch.py sends raw
# lines and gets a chunk's output text back, so that the parent process, which competes
# with the workers for the same cores, does little per case).
#
# Workers are started one of two ways. Forked (`spread(fork=True)`, what `eval --batch`
# asks for, on Linux when this process runs no other thread) they begin as copies of
# this process, holding the policy compiled and its memos warm, in milliseconds and at
# no CPU cost; this process decides the first chunk, so that they inherit it all, and
# then only reads, sends and writes. Spawned (the default of `evaluate_many`: a library
# cannot fork a host that may run threads) each costs about a second of CPU to start
# (Python, the package, the policy, its generated functions) and pays its own cold memos;
# this process decides while they start, and hands over when they are ready.
#
# By default (`workers=None`) the cases are decided here first, for START_AFTER seconds:
# a small batch is sooner in one process. Workers start then if more input is waiting
# and, when the size of the input is known (a file), the work left, at this process's
# pace, is worth their start (WORTH, or WORTH_FORKED).

CHUNK = 256  # cases per message to a worker (each costs ~200 µs of the parent's CPU)
AHEAD = 3  # chunks in flight per worker: one being decided, the next ones queued
START_AFTER = 0.5  # seconds of deciding here before workers start (workers=None)
STARTING = 64  # chunks decided here at most while spawned workers start, then awaited
WORTH = 6.0  # seconds of work left, at this process's pace, worth spawning workers for
# (each worker pays its start and its own cold caches, ~1.5 s of CPU: at 2.0, 3,000 cases
# took 4.3–4.7 s by default against 3.6–4.1 in one process; 10,000 gain with workers)
WORTH_FORKED = 0.5  # the same for forked workers, which start warm in milliseconds


def cores() -> int:
    """The cores this process may run on (its CPU affinity), at least one."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


_worker_policy: Policy | None = None
_worker_problem: str | None = None


def _start_worker(path: str | None, limits: Limits, root: str | None) -> None:
    global _worker_policy, _worker_problem
    try:
        _worker_policy = load(path, limits=limits, root=root)
    except BaseException as exc:  # said by the parent, once, not as a worker's traceback
        _worker_problem = str(exc) or type(exc).__name__


def _adopt(policy: Policy) -> None:
    """A forked worker's start: the policy is the parent's, already in its memory."""
    global _worker_policy
    _worker_policy = policy


def _ready() -> str | None:
    """Nothing when this worker holds the policy; else why it does not."""
    return _worker_problem


def can_fork() -> bool:
    """Whether workers may be forked from this process: on Linux (where forking is
    what multiprocessing did by default for years; macOS's system libraries are not safe
    to fork), with no other thread running (a thread holding a lock at the fork would
    leave the worker's copy of it locked forever)."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _run_chunk(task: Any, context: Any, chunk: list[Any]) -> Any:
    if _worker_policy is None:
        raise WorkerFailed(f"a worker process cannot load the policy: {_worker_problem}")
    return task(_worker_policy, context, chunk)


class WorkerFailed(KspolicyError):
    """A worker process stopped, or could not load the policy: the batch stops."""


def _new_pool(
    policy: Policy, count: int, *, fork: bool = False
) -> concurrent.futures.ProcessPoolExecutor:
    """`count` worker processes: forked from this one, holding `policy` as it is here, or
    spawned, loading `policy` from where it was loaded."""
    # Imported here: what the executor brings is not wanted by a process that decides alone.
    from concurrent.futures import ProcessPoolExecutor

    if fork:
        # The forked processes start at the first submit, before the executor starts its
        # threads (concurrent.futures launches every forked worker first). What this
        # process holds now is moved out of the collector's sight: a worker's collections
        # would otherwise walk (and write to, copying them page by page) the policy's
        # hundreds of thousands of objects; `_unfreeze` puts them back.
        gc.freeze()
        return ProcessPoolExecutor(
            count, multiprocessing.get_context("fork"), initializer=_adopt, initargs=(policy,)
        )
    source = None if policy.path is None else str(policy.path)
    root = None if policy.root is None else str(policy.root)
    return ProcessPoolExecutor(
        count,
        multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(source, policy.limits, root),
    )


@contextlib.contextmanager
def _deaf_children() -> Iterator[None]:
    """Processes started within ignore Ctrl-C from their first instruction (an ignored
    signal stays ignored across exec, and Python leaves it so). Ctrl-C reaches every
    process of the terminal's group: this one stops the batch and its workers, while a
    worker's own KeyboardInterrupt, in the middle of its imports, printed a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a handler; a thread's caller handles Ctrl-C
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop the workers now, whatever they are doing (their results are not wanted)."""
    pool.shutdown(wait=False, cancel_futures=True)
    # The executor has no public way to end running tasks before Python 3.14.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    pool.shutdown(wait=True)


def _result(future: concurrent.futures.Future[Any], alone: str) -> Any:
    """A chunk's result; WorkerFailed, in words, when its worker is gone (`alone`: how
    the caller asks for one process, `workers=1` or `--workers 1`)."""
    try:
        return future.result()
    except concurrent.futures.BrokenExecutor:
        script = _unguarded_main()
        cause = (
            f"it ran the main module {script} again, which has no"
            ' `if __name__ == "__main__":` guard around its work?'
            if script is not None
            else "killed, or out of memory?"
        )
        raise WorkerFailed(
            f"a worker process stopped before it finished its cases ({cause}): the output"
            f" is not complete; run the batch again, or with {alone} to decide in one process"
        ) from None


def _main_path() -> str | None:
    """The file a spawned worker runs again as its main module, if any (what
    `multiprocessing.spawn` does: a module run with -m is imported by name)."""
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None) is not None:
        return None
    path = getattr(main, "__file__", None)
    return path if isinstance(path, str) else None


def _unguarded_main() -> str | None:
    """The main script, when its text has no `__main__` guard: the likely reason a worker
    stopped (it ran the script again, and the script asked for workers again)."""
    path = _main_path()
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError:
        return None
    return None if "__main__" in text else path


def _check_main(alone: str) -> None:
    """WorkerFailed, before any process starts, when workers cannot work: in a worker
    that is running the main module again (an unguarded script asking for workers: said
    once, not as multiprocessing's RuntimeError), or when the main module is not a file
    a worker can run again (a script read from standard input), or when its text has no
    `__main__` guard (each worker would run its work again, and stop)."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # SystemExit: the message alone on the worker's stderr, not a traceback.
        raise SystemExit(
            "kspolicy: a worker process ran the main module again and it asked for workers:"
            ' put the script\'s work under `if __name__ == "__main__":`'
        )
    path = _main_path()
    if path is not None and not os.path.isfile(path):
        raise WorkerFailed(
            f"worker processes run the main module again, and {path} is not a file they"
            f" can run (a script from standard input?): save the script to a file, with"
            f' its work under `if __name__ == "__main__":`, or use {alone} to decide in'
            " one process"
        )
    script = _unguarded_main()
    if script is not None:
        raise WorkerFailed(
            f"worker processes would run the main module {script} again, which has no"
            ' `if __name__ == "__main__":` guard around its work (each worker would do it'
            f" again): put the script's work under that guard, or run it with {alone} to"
            " decide in one process"
        )


def spread(
    policy: Policy,
    task: Any,
    context: Any,
    items: Iterable[Any],
    *,
    workers: int | None = 1,
    chunk: int | None = None,
    share: Callable[[], float | None] | None = None,
    alone: str = "workers=1",
    fork: bool = False,
) -> Iterator[Any]:
    """`task(policy, context, chunk)` for each chunk of `items`, its results in input
    order, streamed: at most `chunk * (workers * AHEAD + 1)` items are read ahead.

    `task` is a module-level function (workers import it by name) taking a list of
    items; `context` is sent with every chunk, so keep it small. `workers` 1 decides
    here; N > 1 starts N processes once the input holds more than one chunk; None (the
    default of `eval --batch`) decides here until there is work worth a worker (see
    START_AFTER), then uses as many as this process has cores. `fork` forks them from
    this process when it may (`can_fork`), after it decided the first chunk; else they
    are spawned, and this process decides while they start, so the first results never
    wait for them. `share`, when given, tells the share of the input read so far (a
    file's), to tell how much work is left: workers start only when that is at least
    WORTH seconds (WORTH_FORKED). `alone` is how the caller's user asks for one process,
    for the messages (the CLI: `--workers 1`).
    """
    size = chunk or CHUNK  # read at the call: a test may make chunks small
    count = cores() if workers is None else workers
    forked = fork and count > 1 and can_fork()
    wait = START_AFTER if workers is None else 0.0
    worth = WORTH_FORKED if forked else WORTH
    if count > 1 and not forked:
        # Before any case: a script that cannot have spawned workers fails whatever the
        # size of its input, not only once there is enough of it to start them.
        _check_main(alone)
    iterator = iter(items)
    started = time.perf_counter()
    current = list(itertools.islice(iterator, size))
    following: list[Any] | None = None  # the next chunk, read to know if there is more
    pool: concurrent.futures.ProcessPoolExecutor | None = None
    frozen = False  # the collector's objects frozen for forked workers (`_new_pool`)
    try:
        pings: list[concurrent.futures.Future[Any]] = []
        here = 0  # chunks decided here since the workers were asked for
        first = True  # no chunk decided here yet
        while current:
            # Forked workers are copies of this process: it decides a chunk first, so that
            # they hold the policy compiled and its memos warm.
            if (
                pool is None
                and count > 1
                and not (forked and first)
                and _worth(started, wait, share, workers, worth, sized=not forked)
            ):
                if following is None:
                    following = list(itertools.islice(iterator, size))
                if following:
                    if forked:
                        pool = _new_pool(policy, count, fork=True)
                        frozen = True
                    else:
                        pool = _new_pool(policy, count)
                    with _deaf_children():  # the processes start with the first submits
                        pings = [pool.submit(_ready) for _ in range(count)]
            # Handed over when every worker is ready: a cold worker's first chunks cost
            # more than this process, warm, deciding them. A forked one is warm at once.
            if pool is not None and (forked or here >= STARTING or all(p.done() for p in pings)):
                break
            yield task(policy, context, current)
            first = False
            here += pool is not None
            if following is None:
                current = list(itertools.islice(iterator, size))
            else:
                current, following = following, None
        if pool is None or not current:
            return  # all decided here (workers still starting are stopped below)
        _check_ready(pings, alone)
        flight: collections.deque[concurrent.futures.Future[Any]] = collections.deque()
        for pending in (current, following or []):
            if pending:
                flight.append(pool.submit(_run_chunk, task, context, pending))
        while flight:
            while len(flight) < count * AHEAD:
                pending = list(itertools.islice(iterator, size))
                if not pending:
                    break
                flight.append(pool.submit(_run_chunk, task, context, pending))
            yield _result(flight.popleft(), alone)
        pool.shutdown(wait=True)
        pool = None
    finally:
        if pool is not None:  # stopped early, or everything was decided here
            _stop(pool)
        if frozen:
            gc.unfreeze()


def _worth(
    started: float,
    wait: float,
    share: Callable[[], float | None] | None,
    workers: int | None,
    worth: float,
    *,
    sized: bool = True,
) -> bool:
    """Whether workers are worth starting now. By default (`workers` None) the work left,
    told from the share of the input read, when known, must be at least `worth` seconds
    at this process's pace; `wait` is the least time to decide here first, also for an
    input of known size when `sized` (spawned workers: a few chunks' pace at the start,
    slowed by the first cases' compiling, says little). An input of unknown size (a
    pipe, an iterator) may go on and on: workers start after `wait`."""
    elapsed = time.perf_counter() - started
    done = share() if share is not None and workers is None else None
    if not done:
        return elapsed >= wait
    if sized and elapsed < wait:
        return False
    return elapsed * (1 - done) / done >= worth


def _check_ready(pings: list[concurrent.futures.Future[Any]], alone: str) -> None:
    """Wait for the first worker to hold the policy; WorkerFailed if one cannot."""
    concurrent.futures.wait(pings, return_when=concurrent.futures.FIRST_COMPLETED)
    for ping in pings:
        if ping.done():
            problem = _result(ping, alone)
            if problem is not None:
                raise WorkerFailed(f"a worker process cannot load the policy: {problem}")


def _decide_chunk(
    policy: Policy, context: tuple[str | None, str, bool, bool], chunk: list[Any]
) -> list[tuple[str, Any]]:
    """Each case's outcome: ("decision", Decision) or ("error", its problems); a worker's
    decisions travel pickled (cheaper than their JSON form and back)."""
    as_of, lang, explain, here = context
    results: list[tuple[str, Any]] = []
    for case in chunk:
        if isinstance(case, Unreadable):
            results.append(("error", case))
            continue
        try:
            results.append(
                ("decision", policy.evaluate(case, as_of=as_of, lang=lang, explain=explain))
            )
        except CaseError as error:
            # A CaseError is an exception: rebuilt from its parts, never pickled whole.
            results.append(("error", error if here else _problems(error)))
    return results


def _problems(error: CaseError) -> list[tuple[str, str, str]]:
    return [(p.path, p.message, p.code.number) for p in error.problems]


def _rebuild(kind: str, data: Any) -> Decision | CaseError:
    if kind == "decision":
        assert isinstance(data, Decision)
        return data
    if isinstance(data, CaseError):
        return data
    if isinstance(data, Unreadable):
        return CaseError([CaseProblem("", data.message, data.code)])
    return CaseError([CaseProblem(path, message, CODES[code]) for path, message, code in data])


def _evaluate_many(
    policy: Policy,
    cases: Iterable[Any],
    *,
    as_of: dt.date | str | None = None,
    lang: str = "en",
    explain: bool = False,
    workers: int | None = 1,
) -> Iterator[Decision | CaseError]:
    """Each case's decision, or its CaseError, in input order, streamed."""
    day = as_of.isoformat() if isinstance(as_of, dt.date) else as_of
    if workers is not None and workers <= 1:
        # No chunks in one process: each result as soon as it is decided.
        context = (day, lang, explain, True)
        for case in cases:
            for kind, data in _decide_chunk(policy, context, [case]):
                yield _rebuild(kind, data)
        return
    context = (day, lang, explain, False)
    for results in spread(policy, _decide_chunk, context, cases, workers=workers):
        for kind, data in results:
            yield _rebuild(kind, data)


_day: tuple[float, float, dt.date] = (0.0, 0.0, dt.date.min)  # local day: start, end, date


def _today() -> dt.date:
    """Today's local date, kept until local midnight.

    Asking the system for the date takes as long as deciding a case of a small policy,
    and the clock alone is cheap; the date is asked again when the clock leaves the day
    it was asked on, forward or back.
    """
    global _day
    now = time.time()
    start, end, day = _day
    if not start <= now < end:
        day = dt.date.fromtimestamp(now)
        start = dt.datetime.combine(day, dt.time()).timestamp()
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).timestamp()
        _day = (start, end, day)
    return day


def _as_of(value: Any, source: str | None) -> dt.date:
    day = parse_date(value)
    if day is None:
        message = f"expected a date (YYYY-MM-DD), got {value!r}"
        raise CaseError([CaseProblem("as_of", message, KSP402)], source)
    return day


def _given(path: Any, limits: Any, root: Any) -> None:
    """ArgumentError for a path or limits of the wrong kind, before they reach os or attrs."""
    for name, value in (("path", path), ("root", root)):
        if value is not None and not isinstance(value, str | os.PathLike):
            raise ArgumentError(f"{name} is a path (str or Path), not {type(value).__name__}")
    if not isinstance(limits, Limits):
        raise ArgumentError(f"limits is a kspolicy.Limits, not {type(limits).__name__}")
