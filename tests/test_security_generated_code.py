"""Policy and case text never becomes code (issue 11, item 1), and the fast path's work
stays linear in the policy (its part of item 4 and 5).

The fast path generates Python functions. Each reproducer of the issue is a regression
test named after it; a property test then writes policies whose texts, list entries and
case keys are made of Python's own syntax (quotes, brackets, `#`, backslashes, newlines,
`root[...]`, `open(`), with more than 60 rules so that conditions are shared and reads
hoisted, and checks that the fast path, the traced evaluation and the oracle agree, and
that nothing but the engine's own code runs (an audit hook watches).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kspolicy
from kspolicy.eval.fastpath import FastPath
from kspolicy.lang.checker import Checker
from kspolicy.lang.loader import read_policy
from kspolicy.limits import Limits
from kspolicy.tools.cli import main

from .helpers import fast_path
from .oracle import Oracle

AS_OF = dt.date(2026, 1, 15)
HEADER = """policy hostile version "1"
decision {
  verdict: scale clear < notify < review < boom
}
schema {
  flag: bool
  name: text
  other: text
}
"""
NAME_RULES = [
    f'rule r{i} cite "x" when flag and name == "v{i}" then verdict >= notify because "b"'
    for i in range(70)
]  # more than 60 rules repeating `flag`: conditions are shared, reads hoisted


def quoted(text: str) -> str:
    """A text as a string of the policy language."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(folder: Path, rules: list[str], header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.pol").write_text(header + "\n".join(rules) + "\n", encoding="utf-8")
    return folder


def statuses_by_oracle(policy: kspolicy.Policy, facts: dict[str, Any]) -> tuple[set[str], ...]:
    found = Oracle(policy.checked, facts, AS_OF).statuses()
    fired = {rule for (rule, _), status in found.items() if status == "fired"}
    return fired, {rule for (rule, _), status in found.items() if status == "pending"}


def statuses_traced(policy: kspolicy.Policy, case: dict[str, Any]) -> tuple[set[str], ...]:
    decision = policy.evaluate(case, as_of=AS_OF, explain=True)
    return {r.rule for r in decision.fired}, {r.rule for r in decision.pending}


def statuses_fast(policy: kspolicy.Policy, case: dict[str, Any]) -> tuple[set[str], ...]:
    fast = policy.rule_statuses(case, as_of=AS_OF, check_case=False)
    return set(fast.fired), set(fast.pending)


# ---- watching what runs --------------------------------------------------------------

_WATCHED: list[list[tuple[str, tuple[Any, ...]]]] = []
_HOOKED: list[bool] = []
_RUNS_CODE = re.compile(r"(os\.(system|exec|spawn|posix_spawn|fork)|subprocess\.|ctypes\.)")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHED and (event in ("open", "exec", "compile", "import") or _RUNS_CODE.match(event)):
        _WATCHED[-1].append((event, args))


@contextmanager
def watched() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """The audit events of interest raised inside the block (an audit hook cannot be
    removed: one is added once, and records only while a block is watched)."""
    if not _HOOKED:
        sys.addaudithook(_hook)
        _HOOKED.append(True)
    events: list[tuple[str, tuple[Any, ...]]] = []
    _WATCHED.append(events)
    try:
        yield events
    finally:
        _WATCHED.pop()


def _screening_library_loading(event: str, args: tuple[Any, ...]) -> bool:
    """The name-matching libraries importing themselves, or anyascii reading one of its
    transliteration tables from inside its installed package: the library's own data,
    never a path a case or policy names (the test ran alone fails without this, as
    nothing else has warmed those tables yet)."""
    if event == "import":
        return str(args[0]).split(".")[0] in ("anyascii", "rapidfuzz")
    if event == "open" and isinstance(args[0], str):
        where = args[0]
    elif event == "exec" and hasattr(args[0], "co_filename"):
        where = args[0].co_filename  # the imported module's own code
    else:
        return False
    import anyascii
    import rapidfuzz

    return any(
        Path(where).resolve().is_relative_to(Path(str(library.__file__)).parent.resolve())
        for library in (anyascii, rapidfuzz)
    )


def assert_only_the_engine_ran(events: list[tuple[str, tuple[Any, ...]]]) -> None:
    """No file opened, nothing imported or run; code compiled and run only from the fast
    path's own trees (never from text)."""
    for event, args in events:
        if _screening_library_loading(event, args):
            continue  # anyascii loads its own tables, from its own folder, when first needed
        if event == "compile":
            assert isinstance(args[0], ast.Module), (event, args)  # (a tree has no name)
        elif event == "exec":
            assert args[0].co_filename.startswith("<kspolicy fast path"), (event, args)
        else:
            raise AssertionError(f"{event} {args!r} while deciding")


def generated_names(policy: kspolicy.Policy) -> set[str]:
    """Every name and attribute in the code the fast path generated for AS_OF."""
    fast = fast_path(policy)
    nodes = [node for tree in fast.sources.trees(AS_OF) for node in ast.walk(tree)]
    names = {node.id for node in nodes if isinstance(node, ast.Name)}
    return names | {node.attr for node in nodes if isinstance(node, ast.Attribute)}


GENERATED = re.compile(r"(root|fired|pending|r|K|[vcdfhbqS]\d+|any|all|_[a-z]+|append|isdisjoint)")


# ---- the reproducers of issue 11 -----------------------------------------------------


def test_a_text_that_reads_like_a_fact_is_only_a_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """70 rules `when flag and name == "vI"` and one comparing with the text
    `root['name']`: `eval` said clear where `explain --why-not` said boom (the hoisting
    regular expression read the text as a fact)."""
    rules = [
        *NAME_RULES,
        'rule boom_rule cite "x" when flag and other == "root[\'name\']" '
        'then verdict >= boom because "b"',
    ]
    folder = write(tmp_path / "policy", rules)
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"flag": True, "name": "zzz", "other": "root['name']"}))
    assert main(["eval", str(case), "--policy", str(folder), "--format", "json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert main(["explain", str(case), "--policy", str(folder), "--why-not", "boom_rule"]) == 0
    explained = capsys.readouterr().out
    policy = kspolicy.load(folder)
    facts = {"flag": True, "name": "zzz", "other": "root['name']"}
    assert statuses_by_oracle(policy, facts) == ({"boom_rule"}, set())
    assert evaluated["outcomes"]["verdict"] == "boom"
    assert "verdict: boom" in explained and "It fired." in explained
    assert statuses_fast(policy, facts) == ({"boom_rule"}, set())


PAYLOAD = "]', open({marker!r},'w').write('policy text ran'))))#1"


def hostile_policy(folder: Path, marker: Path, *, guarded: bool) -> kspolicy.Policy:
    """The two texts of the issue, `Xroot["` and one that opens a file, in two rules:
    the old hoisting took the span between them for a read from the case."""
    first, second = quoted('Xroot["'), quoted(PAYLOAD.format(marker=str(marker)))
    both = f"name == {first} or other == {second}"
    lead = "flag and " if guarded else ""
    rules = [
        *NAME_RULES,
        f'rule ra cite "x" when {lead}({both}) then verdict >= boom because "b"',
        f'rule rb cite "x" when {lead}({both} or name == "q") then verdict >= boom because "b"',
    ]
    return kspolicy.load(write(folder, rules))


def test_texts_that_span_two_literals_still_compile(tmp_path: Path) -> None:
    """Every `eval` ended in a SyntaxError in generated code."""
    marker = tmp_path / "ran"
    policy = hostile_policy(tmp_path / "policy", marker, guarded=False)
    for facts in ({"flag": True, "name": "v3", "other": "x"}, {"name": 'Xroot["', "other": "x"}):
        with watched() as events:
            fast = statuses_fast(policy, facts)
        assert_only_the_engine_ran(events)
        assert fast == statuses_traced(policy, facts) == statuses_by_oracle(policy, facts)
    assert policy.evaluate({"flag": True, "name": "v3", "other": "x"}).outcomes == {
        "verdict": "notify"
    }
    assert not marker.exists()


def test_a_case_key_cannot_make_policy_text_run(tmp_path: Path) -> None:
    """With the case key `') or (root['other'] == `, `rule_statuses(check_case=False)`
    wrote a file: the policy's text ran as code."""
    marker = tmp_path / "ran"
    policy = hostile_policy(tmp_path / "policy", marker, guarded=True)
    facts = {"flag": True, "name": "a", "other": "x"}
    with watched() as events:
        fast = statuses_fast(policy, {**facts, "') or (root['other'] == ": 1})
    assert_only_the_engine_ran(events)
    assert not marker.exists()
    assert fast == statuses_traced(policy, facts) == (set(), set())
    payload = PAYLOAD.format(marker=str(marker))
    assert statuses_fast(policy, {"flag": True, "name": "a", "other": payload})[0] == {"ra", "rb"}
    assert not marker.exists()


def test_definitions_that_double_stay_linear(tmp_path: Path) -> None:
    """`dI = d(I-1) and d(I-1)`, 20 levels: 28 s and 2.9 GB at `eval`, written out
    2**20 times. Now each definition is computed once per case."""
    defines = ["define d0 = flag", *(f"define d{i} = d{i - 1} and d{i - 1}" for i in range(1, 21))]
    policy = kspolicy.load(
        write(tmp_path, [*defines, 'rule r cite "x" when d20 then verdict >= boom because "b"'])
    )
    assert policy.rule_statuses({"flag": True}, as_of=AS_OF) == (("r",), ())
    assert policy.rule_statuses({"flag": False}, as_of=AS_OF) == ((), ())
    assert policy.rule_statuses({}, as_of=AS_OF) == ((), ("r",))  # the three-valued function
    assert len(fast_path(policy).sources[AS_OF]) < 20_000


def test_doubling_definitions_that_read_an_implicit_variable_stay_linear(tmp_path: Path) -> None:
    """The same, through `partner`: computed once per binding, inside the rule's loop,
    also where a quantifier's body uses them."""
    from .helpers import fixture_policy

    defines = [
        "define p0 = partner.military_ties or partner.country in RISK",
        *(
            f"define p{i} = p{i - 1} and (p{i - 1} or partner.kind == military)"
            for i in range(1, 21)
        ),
    ]
    rules = [
        'rule r cite "x" when p20 and partner.kind != university then verdict >= notify because "b"',
        'rule s cite "x" when any t in project.topics: t in TOPICS and p20 '
        'then verdict >= review because "b"',
    ]
    # 20 levels expand to conditions ~80 deep (a definition counts as deep as it expands)
    limits = kspolicy.Limits(max_depth=200)
    policy = fixture_policy(tmp_path, "\n".join([*defines, *rules]) + "\n", limits=limits)
    project = {"programme": "FWO", "trl": 3, "shares_outside_eu": True, "topics": ["history"]}
    for partners in (
        [{"name": "A", "country": "CN", "kind": "company", "military_ties": False, "owners": []}],
        [{"name": "A", "country": "BE", "kind": "company", "military_ties": False, "owners": []}],
        [{"name": "A", "country": "BE", "kind": "company"}, {"name": "B", "country": "IR"}],
        [{"name": "A", "kind": "university", "military_ties": True}],
    ):
        case = {"project": project, "partners": partners}
        assert statuses_fast(policy, case) == statuses_traced(policy, case)
    china = [{"name": "A", "country": "CN", "kind": "company"}]
    assert statuses_fast(policy, {"project": project, "partners": china}) == ({"r", "s"}, set())
    assert len(fast_path(policy).sources[AS_OF]) < 40_000


def test_a_hundred_chained_definitions_with_not_compile(tmp_path: Path) -> None:
    """`dI = not d(I-1) and flag`, 100 of them: SyntaxError (too many nested
    parentheses) in generated code, at every evaluation."""
    defines = [
        "define d0 = flag",
        *(f"define d{i} = not d{i - 1} and flag" for i in range(1, 101)),
    ]
    rules = [*defines, 'rule r cite "x" when d100 then verdict >= boom because "b"']
    # d100 stands for conditions ~300 deep: too deep by default (KSP130), fine when raised
    with pytest.raises(kspolicy.PolicyError, match="KSP130|nest more than 64 deep"):
        kspolicy.load(write(tmp_path, rules))
    policy = kspolicy.load(write(tmp_path, rules), limits=Limits(max_depth=400))
    for facts in ({"flag": True}, {"flag": False}, {}):
        assert statuses_fast(policy, facts) == statuses_by_oracle(policy, facts)
        assert statuses_fast(policy, facts) == statuses_traced(policy, facts)
    assert statuses_fast(policy, {"flag": True}) == ({"r"}, set())  # d100 = not d99 = d98...


def checked_policy(folder: Path, limits: Limits) -> Any:
    """The checked policy, without the traced compiler (which another change makes
    take 1,000 chained definitions)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), limits.recursion_needed()))
    sources = read_policy(folder, limits)
    checker = Checker(sources.modules, sources.lists, limits)
    checked = checker.check(sources.sha256, sources.files)
    assert checked is not None and not [d for d in checker.diagnostics if d.is_error]
    return checked


def test_long_definition_chains_decide_on_the_fast_path(tmp_path: Path) -> None:
    """1,000 chained definitions: RecursionError. They are now too deep for the engine
    (KSP130, tests/test_security_bounded_work.py); 600, with `max_depth` raised, are
    not, and the fast path plans and writes them without recursing along the chain."""
    defines = [
        "define d0 = flag",
        *(f"define d{i} = d{i - 1} or name == {quoted(str(i))}" for i in range(1, 601)),
    ]
    rules = [*defines, 'rule r cite "x" when d600 then verdict >= boom because "b"']
    limits = Limits(max_depth=2000)  # d600 stands for conditions ~1,200 deep
    checked = checked_policy(write(tmp_path, rules), limits)
    decide = FastPath(checked).decide(AS_OF)
    assert decide({"flag": False, "name": "500"}) == ([0], [])
    assert decide({"flag": False, "name": "x"}) == ([], [])
    assert decide({"name": "x"}) == ([], [0])
    assert decide({"name": "599"}) == ([0], [])
    assert decide({"flag": True}) == ([0], [])


def test_a_thousand_nested_nots_with_a_raised_max_depth_decide(tmp_path: Path) -> None:
    """`--limit max_depth=1010` with 1,000 `not` (a limit documented as safe to raise)."""
    condition = "not (" * 1000 + "flag" + ")" * 1000
    rules = [f'rule r cite "x" when {condition} then verdict >= boom because "b"']
    limits = Limits(max_depth=1010)
    policy = kspolicy.load(write(tmp_path, rules), limits=limits)
    for facts, expected in (({"flag": True}, ({"r"}, set())), ({}, (set(), {"r"}))):
        assert statuses_fast(policy, facts) == statuses_traced(policy, facts) == expected


def test_a_quantifier_reading_an_implicit_variable_is_computed_per_binding(
    tmp_path: Path,
) -> None:
    """Found while rebuilding the fast path: a quantifier whose body reads the rule's
    implicit variable was shared by every rule, computed before that variable had a
    value (NameError) once an unknown fact sent the case to the three-valued function."""
    from .helpers import fixture_policy

    policy = fixture_policy(
        tmp_path,
        'rule r cite "x" when any p in partners: p.country == partner.country '
        'and p.name != partner.name then verdict >= notify because "b"\n',
    )
    project = {"programme": "FWO", "trl": 3, "shares_outside_eu": True}
    for partners in (
        [{"name": "A", "country": "CN"}, {"name": "B", "country": "CN"}],
        [{"name": "A", "country": "CN"}, {"name": "B"}],
        [{"name": "A", "country": "CN"}, {"name": "B", "country": "BE"}],
    ):
        case = {"project": project, "partners": partners}
        facts, _ = policy.read_case(case)
        assert statuses_fast(policy, case) == statuses_traced(policy, case)
        assert statuses_fast(policy, case) == statuses_by_oracle(policy, facts)


def test_when_the_two_valued_function_cannot_be_built_the_three_valued_one_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a policy be too deep for Python's compiler, decisions are still made."""

    def too_deep(self: FastPath, as_of: dt.date) -> Callable[..., Any]:
        raise RecursionError("maximum recursion depth exceeded during compilation")

    monkeypatch.setattr(FastPath, "two_valued", too_deep)
    policy = kspolicy.load(write(tmp_path, NAME_RULES))
    for facts in ({"flag": True, "name": "v7", "other": "x"}, {"name": "v7"}, {"flag": False}):
        assert statuses_fast(policy, facts) == statuses_traced(policy, facts)
    assert statuses_fast(policy, {"flag": True, "name": "v7"}) == ({"r7"}, set())


# ---- the property: hostile texts everywhere -------------------------------------------

FRAGMENTS = [
    "root['name']", "root[\"name\"]", "root[", "]", "['", "']", '"]', "'", '"', "\\", "\\'",
    "\n", "#", "(", ")", ")))", "Xroot[\"", "') or (root['other'] == ", "'] or open(",
    "]', open({marker!r},'w').write('policy text ran'))))#1", "__import__('os')",
    "{", "}", "f0", "c1", "K[0]", "S0", "v1", "_and", "\x00", "é", "\\n", "'''", '"""',
]  # fmt: skip


@st.composite
def hostile_texts(draw: st.DrawFn, marker: str) -> str:
    parts = draw(
        st.lists(
            st.one_of(st.sampled_from(FRAGMENTS), st.text("'\"[]#\\\n() ", max_size=3)),
            min_size=1,
            max_size=4,
        )
    )
    return "".join(parts).replace("{marker!r}", repr(marker))


LISTS_HEADER = 'kind = "{kind}"\nsource = "tests"\nretrieved = 2025-01-01\n'
SCHEMA = """policy hostile version "1"
lists "lists.toml"
decision {
  verdict: scale clear < notify < review < boom
}
enum Code "a code" from CODES
record Partner {
  name: text
  code: Code
  ok: bool
}
schema {
  flag: bool
  name: text
  other: text
  code: Code
  tags: list of text = []
  partners: list of Partner as partner = []
}
"""


@st.composite
def hostile_cases(draw: st.DrawFn, marker: str) -> tuple[str, str, list[str], dict[str, Any]]:
    """A policy (its text and its list file), its texts, and a case using them."""
    texts = draw(st.lists(hostile_texts(marker), min_size=2, max_size=5, unique=True))
    entries = hostile_texts(marker).filter(str.strip)  # a list entry is never blank
    codes = draw(st.lists(entries, min_size=1, max_size=3, unique=True))
    text = st.sampled_from(texts)
    atoms: list[Callable[[], str]] = [
        lambda: "flag",
        lambda: "not flag",
        lambda: f"name == {quoted(draw(text))}",
        lambda: f"other != {quoted(draw(text))}",
        lambda: f"name in {{{quoted(draw(text))}, {quoted(draw(text))}}}",
        lambda: f"{quoted(draw(text))} in tags",
        lambda: "code in CODES",
        lambda: f"any t in tags: t in {{{quoted(draw(text))}}}",
        lambda: f"any p in partners: p.name == {quoted(draw(text))} and p.ok",
        lambda: "name matches NAMES",
        lambda: "other is known",
        lambda: "d0",
        lambda: f"partner.name == {quoted(draw(text))}",
        lambda: "partner.code in CODES and partner.ok",
        lambda: "partner.name matches NAMES or d1",
    ]
    pool = [draw(st.sampled_from(atoms))() for _ in range(draw(st.integers(3, 7)))]
    rules = [
        f"define d0 = {quoted(draw(text))} in tags or name == {quoted(draw(text))}",
        f"define d1 = partner.name == {quoted(draw(text))} and d0",
    ]
    for i in range(draw(st.integers(61, 66))):
        chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
        unless = f" unless {draw(st.sampled_from(pool))}" if draw(st.integers(0, 4)) == 0 else ""
        verdict = draw(st.sampled_from(["notify", "review", "boom"]))
        when = " and ".join(f"({c})" for c in chosen)
        rules.append(
            f'rule r{i} cite "x" when {when}{unless} then verdict >= {verdict} because "b"'
        )
    lists = (
        "[CODES]\n" + LISTS_HEADER.format(kind="codes") + f"entries = {json.dumps(codes)}\n\n"
        "[NAMES]\n" + LISTS_HEADER.format(kind="entities")
        + f"entries = [{{ name = {json.dumps(draw(entries))}, aliases = {json.dumps(texts[:2])} }}]\n"
    )  # fmt: skip
    maybe = st.one_of(text, hostile_texts(marker))
    case: dict[str, Any] = {
        "flag": draw(st.booleans()),
        "name": draw(maybe),
        "other": draw(maybe),
        "code": draw(st.sampled_from(codes)),
        "tags": draw(st.lists(maybe, max_size=3, unique=True)),
        "partners": [
            {"name": draw(maybe), "code": draw(st.sampled_from(codes)), "ok": draw(st.booleans())}
            for _ in range(draw(st.integers(0, 2)))
        ],
    }
    for key in draw(st.lists(st.sampled_from(["flag", "name", "other", "code", "tags"]))):
        case.pop(key, None)  # unknown facts: the three-valued function decides
    return SCHEMA + "\n".join(rules) + "\n", lists, texts, case


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def test_hostile_texts_never_run_and_all_three_evaluators_agree(hostile_folder: Path) -> None:
    marker = hostile_folder / "ran"

    @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=hostile_cases(str(marker)), extra=st.dictionaries(hostile_texts(""), st.text()))
    def check(drawn: tuple[str, str, list[str], dict[str, Any]], extra: dict[str, Any]) -> None:
        text, lists, texts, case = drawn
        (hostile_folder / "policy.pol").write_text(text, encoding="utf-8")
        (hostile_folder / "lists.toml").write_text(lists, encoding="utf-8")
        policy = kspolicy.load(hostile_folder)
        facts, _ = policy.read_case(case)
        with watched() as events:
            # hostile keys the schema does not know: only an unchecked case can hold them
            fast = statuses_fast(policy, {**extra, **facts})
            traced = statuses_traced(policy, case)
        assert_only_the_engine_ran(events)
        assert fast == traced == statuses_by_oracle(policy, facts)
        names = generated_names(policy)
        assert {n for n in names if not GENERATED.fullmatch(n)} == set()
        assert not marker.exists()

    check()
