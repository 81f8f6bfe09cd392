"""Policy tests: TOML files beside a policy that say what decisions must contain.

A policy's tests live in `<policy>/tests/*.toml` (case files they name may sit in a
subfolder), each holding `[[test]]` tables:

    [[test]]
    name = "Drones with a Chinese university: review when the partner has military ties"
    case = "cases/drone-technology-with-chinese-university.toml"  # beside the test file
    changes = { "partners[0].military_ties" = true }    # optional edits of the case
    as_of = 2026-01-15                                   # optional
    lang = "en"                                          # optional
    expect = { verdict = "review", obligations = ["committee_review"] }   # at least
    exact = { restrictions = [] }                        # exactly
    never = { restrictions = ["sanctioned_party"] }      # none of these
    error = "KSP404"                                     # or: the case must be rejected

`case` is a path (relative to the test file) or an inline table. In `expect`, a scale
holds when the decision is at least that high, a set when it holds at least those
codes; `fired`, `pending` and `open_questions` (fact paths) work the same way. Fact
paths (`changes`, `open_questions`, an `error` that is no code) are read by
`kspolicy.paths`: `partners[0].country`, or the older `partners.0.country`. `exact`
asks for equality, `never` for none of the codes. `run_tests` checks every test and can
record coverage: which rules fired, and which sub-conditions were never true or false.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import KSP230, CaseError, Code, KspolicyError, did_you_mean
from ..eval.cases import load_case_file
from ..eval.decision import Decision, TraceNode
from ..eval.runtime import show
from ..files import TooLarge, os_reason, read_bounded
from ..limits import DEFAULT, Limits
from ..paths import EXAMPLE, PathError, format_path, parse_path
from ..policy import Policy

TEST_KEYS = ("name", "case", "changes", "as_of", "lang", "expect", "exact", "never", "error")
# The keys whose value has one type, and that type.
_KINDS: dict[str, type] = {
    "changes": dict,
    "lang": str,
    "expect": dict,
    "exact": dict,
    "never": dict,
    "error": str,
}
LIST_KEYS = ("fired", "pending", "open_questions")


class TestFileError(KspolicyError):
    """A test file that cannot be read or does not follow the format: where (the file
    and, when known, the line), what, and its code (KSP230, or the case's own code
    for a case file a test names that cannot be read)."""

    def __init__(
        self, path: Path | str, line: int | None, message: str, code: Code = KSP230
    ) -> None:
        self.path = path
        self.line = line
        self.message = message
        self.code = code
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: error[{code}]: {message}")


@attrs.frozen
class PolicyTest:
    """One case of a policy's test file: the case, its date and language, what it expects."""

    name: str
    file: Path
    index: int
    case: dict[str, Any]
    as_of: dt.date | None
    lang: str
    expect: dict[str, Any]
    exact: dict[str, Any]
    never: dict[str, Any]
    error: str | None

    @property
    def where(self) -> str:
        """Where the test is written: its file and number."""
        return f"{self.file.name} #{self.index + 1}"


@attrs.frozen
class Result:
    """A test's result: its failures, none when it passed."""

    test: PolicyTest
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether the test passed."""
        return not self.failures


def test_files(policy_dir: Path) -> list[Path]:
    """The test files of a policy: `tests/*.toml` in its folder."""
    folder = policy_dir if policy_dir.is_dir() else policy_dir.parent
    return sorted((folder / "tests").glob("*.toml"))


def read_tests(path: Path, known: Iterable[str], limits: Limits = DEFAULT) -> list[PolicyTest]:
    """The tests of one file; TestFileError naming the line, the test and the fix when
    malformed.

    The file is read like a policy file (a regular file, at most `limits.max_file_bytes`),
    the cases it names like any case file, with the policy's limits.
    """

    def fail(message: str, line: int | None = None, code: Code = KSP230) -> TestFileError:
        return TestFileError(path, line, message, code)

    raw = b""
    try:
        raw = read_bounded(path, limits.max_file_bytes)
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except TooLarge:
        raise fail(
            f"the test file is larger than {limits.max_file_bytes:,} bytes"
            " (max_file_bytes); split it"
        ) from None
    except OSError as exc:
        raise fail(f"cannot read the test file: {os_reason(exc)}") from None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise fail("cannot read the test file: it is not UTF-8 text", line) from None
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        raise fail(f"not valid TOML: {exc}", int(at[1]) if at else None) from None
    except RecursionError:
        raise fail("not valid TOML: it nests too deep to read") from None
    places = _Places(text)
    unknown_top = [k for k in data if k != "test"]
    if unknown_top or not isinstance(data.get("test"), list):
        first = places.top(unknown_top[0] if unknown_top else "test")
        raise fail("a test file holds `[[test]]` tables only", first)
    names = set(known) | set(LIST_KEYS)
    tests = []
    for index, raw in enumerate(data["test"]):
        where = f"test #{index + 1}"
        if not isinstance(raw, dict):
            raise fail(f"{where}: a test is a table", places.test(index))
        for key in raw:
            if key not in TEST_KEYS:
                hint = did_you_mean(key, TEST_KEYS)
                raise fail(
                    f"{where}: unknown key `{key}`" + (f"; {hint}" if hint else ""),
                    places.key(index, key),
                )
        name = raw.get("name") or f"test #{index + 1}"
        if not isinstance(name, str):
            raise fail(f"{where}: `name` is a text", places.key(index, "name"))
        for key, kind in _KINDS.items():
            if key in raw and not isinstance(raw[key], kind):
                what = "a table" if kind is dict else "a text"
                raise fail(f"{where} ({name}): `{key}` is {what}", places.key(index, key))
        for table in ("expect", "exact", "never"):
            for key in raw.get(table, {}):
                if key not in names:
                    hint = did_you_mean(key, names)
                    raise fail(
                        f"{where} ({name}): `{table}` names no outcome `{key}`"
                        + (f"; {hint}" if hint else ""),
                        places.key(index, table),
                    )
        if "case" not in raw:
            raise fail(
                f"{where} ({name}): no `case` (a path or an inline table)", places.test(index)
            )
        case = raw["case"]
        if isinstance(case, str):
            try:
                case = load_case_file(path.parent / case, limits)
            except CaseError as exc:
                problems = "; ".join(str(p) for p in exc.problems)
                raise fail(
                    f"{where} ({name}): the case {case}: {problems}",
                    places.key(index, "case"),
                    exc.problems[0].code if exc.problems else KSP230,
                ) from None
        elif not isinstance(case, dict):
            raise fail(
                f"{where} ({name}): `case` is a path or an inline table", places.key(index, "case")
            )
        try:
            case = _changed(case, raw.get("changes", {}), where)
        except TestFileError as exc:
            raise fail(exc.message, places.key(index, "changes")) from None
        as_of = raw.get("as_of")
        if as_of is not None and not isinstance(as_of, dt.date):
            raise fail(
                f"{where} ({name}): `as_of` is a date (YYYY-MM-DD, no quotes)",
                places.key(index, "as_of"),
            )
        tests.append(
            PolicyTest(
                name,
                path,
                index,
                case,
                as_of,
                raw.get("lang", "en"),
                _with_fact_paths(raw.get("expect", {})),
                _with_fact_paths(raw.get("exact", {})),
                _with_fact_paths(raw.get("never", {})),
                _error(raw.get("error")),
            )
        )
    return tests


class _Places:
    """Where a test file says what: the line of each `[[test]]` and of a key in it.

    tomllib gives data without positions; a test file is simple enough (a list of
    `[[test]]` tables) that its headers and keys are found on their lines by a scan.
    """

    _HEADER = re.compile(r"\s*\[\[\s*test\s*\]\]")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [n for n, line in enumerate(self.lines, 1) if self._HEADER.match(line)]

    def test(self, index: int) -> int | None:
        """The line of test number `index` (from 0), if it is a `[[test]]` table."""
        return self.headers[index] if index < len(self.headers) else None

    def key(self, index: int, key: str) -> int | None:
        """The line where test `index` gives `key`, else the line of the test."""
        start = self.test(index)
        if start is None:
            return None
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines) + 1
        pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start + 1, end):
            if pattern.match(self.lines[number - 1]):
                return number
        return start

    def top(self, key: str) -> int | None:
        """The first line that names `key` as a table or a key outside the tests."""
        pattern = re.compile(rf"\s*(\[+\s*)?[\"']?{re.escape(key)}[\"']?\s*(=|\])")
        return next((n for n, line in enumerate(self.lines, 1) if pattern.match(line)), None)


def _error(error: str | None) -> str | None:
    """What `error` names: a diagnostic code, or the path of the bad fact as shown."""
    if error is None or _CODE.fullmatch(error):
        return error
    return _fact_path(error)


_CODE = re.compile(r"KSP\d{3}")


def _changed(case: dict[str, Any], changes: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The case with edits at fact paths applied: `"partners[0].country" = "CN"`.

    A path is read by `kspolicy.paths`, the older `partners.0.country` included."""
    result = copy.deepcopy(case)
    for path, value in changes.items():
        try:
            *parents, last = parse_path(path)
        except PathError as exc:
            raise TestFileError(
                "",
                None,
                f"{where}: the change `{path}` is not a fact path: {exc}; write it as `{EXAMPLE}`",
            ) from None
        target: Any = result
        for depth, part in enumerate((*parents, last)):
            # An index goes into a list and a name into a table, never the other way.
            fits = (
                isinstance(target, list) and part < len(target)
                if isinstance(part, int)
                else isinstance(target, dict)
            )
            if not fits:
                raise TestFileError("", None, f"{where}: the change `{path}` does not fit the case")
            if depth < len(parents):
                target = target[part] if isinstance(part, int) else target.setdefault(part, {})
        target[last] = value
    return result


def _fact_path(text: str) -> str:
    """A fact path a test names, in the form decisions show: `partners.0.country` as
    `partners[0].country`; a text that is no path as it is (the check then fails on it)."""
    try:
        return format_path(parse_path(text))
    except PathError:
        return text


def _with_fact_paths(expected: dict[str, Any]) -> dict[str, Any]:
    """`expect`, `exact` or `never` with the paths of `open_questions` as decisions show them."""
    paths = expected.get("open_questions")
    if paths is None:
        return expected
    shown = [_fact_path(p) if isinstance(p, str) else p for p in _as_list(paths)]
    return {**expected, "open_questions": shown}


def check(
    policy: Policy, test: PolicyTest, decision: Decision | None, error: CaseError | None
) -> list[str]:
    """What a decision (or a rejected case) gets wrong against a test's expectations."""
    if test.error is not None:
        if error is None:
            return [f"expected the case to be rejected with {test.error}, but it was decided"]
        found = {p.code.number for p in error.problems} | {p.path for p in error.problems}
        if test.error not in found:
            return [f"expected {test.error}, got: " + "; ".join(str(p) for p in error.problems)]
        return []
    if error is not None:
        return ["the case was rejected: " + "; ".join(str(p) for p in error.problems)]
    assert decision is not None
    failures: list[str] = []
    actual = _actual(decision)
    for name, wanted in test.expect.items():
        failures += _at_least(policy, name, wanted, actual.get(name))
    for name, wanted in test.exact.items():
        got = actual.get(name)
        if _normal(got) != _normal(wanted):
            failures.append(f"{name}: expected exactly {show(wanted)}, got {show(got)}")
    for name, banned in test.never.items():
        got = actual.get(name)
        present = [c for c in _as_list(banned) if c in _as_list(got)]
        if present:
            failures.append(f"{name}: must not hold {show(present)}, got {show(got)}")
    return failures


def _actual(decision: Decision) -> dict[str, Any]:
    return {
        **decision.outcomes,
        "fired": [r.rule for r in decision.fired],
        "pending": [r.rule for r in decision.pending],
        "open_questions": [q.fact for q in decision.open_questions],
    }


def _at_least(policy: Policy, name: str, wanted: Any, got: Any) -> list[str]:
    outcome = policy.checked.outcomes.get(name)
    if outcome is not None and outcome.kind == "scale":
        if not isinstance(wanted, str) or wanted not in outcome.enum:
            return [f"{name}: `{wanted}` is not a code of the scale"]
        if not isinstance(got, str) or outcome.rank(got) < outcome.rank(wanted):
            return [f"{name}: expected at least {wanted}, got {got}"]
        return []
    missing = [c for c in _as_list(wanted) if c not in _as_list(got)]
    if missing:
        return [f"{name}: missing {show(missing)}; got {show(got)}"]
    return []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _normal(value: Any) -> Any:
    return sorted(map(str, value)) if isinstance(value, list | tuple) else value


@attrs.define
class Coverage:
    """What the tests exercised: rule results, and the values each condition took.

    A condition inside a definition is counted for the definition, once, whichever rule
    used it; only conditions that were true or false at least once are conditions here
    (a fact that was never given stays silent).
    """

    results: dict[str, set[str]] = attrs.Factory(dict)
    values: dict[tuple[str, str], set[str]] = attrs.Factory(dict)

    def add(self, decision: Decision, definitions: Iterable[str] = ()) -> None:
        """Count a decision's rule results and the values its conditions took."""
        names = set(definitions)
        for trace in decision.trace:
            self.results.setdefault(trace.rule, set()).add(trace.result)
            for step in trace.steps:
                self._walk(trace.rule, step, names)

    def _walk(self, owner: str, node: TraceNode, definitions: set[str]) -> None:
        if node.value in ("true", "false", "unknown"):
            self.values.setdefault((owner, node.expr), set()).add(node.value)
        inner = node.expr if node.expr in definitions else owner
        for child in node.children:
            self._walk(inner, child, definitions)

    def report(self, policy: Policy) -> list[str]:
        """One line per rule that never fired and per condition never true or never false."""
        lines = []
        owners = [
            (r.name, f"{r.node.span}", _text(r.when.node.span.text), "rule")
            for r in policy.checked.rules
        ]
        owners += [
            (d.name, f"{d.node.span}", "", "definition")
            for d in policy.checked.definitions.values()
        ]
        for name, where, whole, kind in owners:
            if kind == "rule" and "fired" not in self.results.get(name, set()):
                lines.append(f"{where}: rule `{name}` never fired in a test")
            for (owner, expr), seen in sorted(self.values.items()):
                if owner != name or expr == whole or not seen & {"true", "false"}:
                    continue
                for missing in ("true", "false"):
                    if missing not in seen:
                        lines.append(f"{where}: in {kind} `{name}`, `{expr}` was never {missing}")
        return lines


def _text(source: str) -> str:
    return " ".join(source.split())


def run_tests(
    policy: Policy, tests: Iterable[PolicyTest], coverage: Coverage | None = None
) -> list[Result]:
    """Run every test; with `coverage`, evaluate with the trace and record what ran."""
    results = []
    for test in tests:
        decision, error = None, None
        if policy.checked.languages and test.lang not in policy.checked.languages:
            languages = ", ".join(policy.languages)
            failure = f"lang '{test.lang}': this policy has {languages}"
            results.append(Result(test, (failure,)))
            continue
        try:
            decision = policy.evaluate(
                test.case, as_of=test.as_of, lang=test.lang, explain=coverage is not None
            )
        except CaseError as exc:
            error = exc
        if coverage is not None and decision is not None:
            coverage.add(decision, policy.checked.definitions)
        results.append(Result(test, tuple(check(policy, test, decision, error))))
    return results
