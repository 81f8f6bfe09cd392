"""Robustness: no input crashes the engine, hangs it, or is run as code.

The same properties as the long-running fuzzers in tests/fuzz/, with a bounded number of
examples. Regression tests for what fuzzing found are named after the bug.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import kspolicy
from kspolicy import CaseError, Decision, PolicyError
from kspolicy.eval.cases import walk_tree
from kspolicy.lang.checker import Checker
from kspolicy.lang.lints import lint
from kspolicy.lang.loader import default_policy_path, read_policy
from kspolicy.lang.parser import _lark, parse_module
from kspolicy.render.diagnostics import render_diagnostics
from kspolicy.span import Source

from .conftest import ROOT
from .strategies import full_cases

PACK_SOURCES = read_policy(default_policy_path())
PACK_FILES = sorted(default_policy_path().rglob("*.pol"))
SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow])


def check_text(text: str, replacing: str = "rules/topic.pol") -> list[Any]:
    """Check a file's text in place of one of the pack's files; every span must be valid."""
    module, diagnostics = parse_module(Source("fuzzed.pol", text))
    others = [m for m in PACK_SOURCES.modules if m.name != replacing]
    checker = Checker([*others, module], PACK_SOURCES.lists)
    checked = checker.check(PACK_SOURCES.sha256, PACK_SOURCES.files)
    diagnostics += checker.diagnostics
    if checked is not None:
        diagnostics += lint(checked)
    for d in diagnostics:
        assert 0 <= d.span.start <= d.span.end <= len(d.span.source.text)
    rendered = render_diagnostics(diagnostics)
    assert "Traceback" not in rendered
    return diagnostics


# ---- the parser and checker --------------------------------------------------------


@SETTINGS
@given(text=st.text(max_size=400))
def test_random_text_gets_diagnostics_not_exceptions(text: str) -> None:
    check_text(text)


KEYWORDS = ["rule", "when", "then", "and", "or", "not", "(", ")", "{", "}", '"', "#", "\n",
            "define", "any", "in", ":", "==", ">=", "+=", ",", "partner.", "unless", "if"]  # fmt: skip


@st.composite
def mutated_pack_file(draw: st.DrawFn) -> tuple[str, str]:
    path = draw(st.sampled_from(PACK_FILES))
    text = path.read_text()
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif action == "insert":
            piece = draw(st.one_of(st.sampled_from(KEYWORDS), st.text(max_size=5)))
            text = text[:at] + piece + text[at:]
        else:
            end = min(len(text), at + draw(st.integers(1, 80)))
            text = text[:end] + text[at:end] + text[end:]
    return str(path.relative_to(default_policy_path())), text


@SETTINGS
@given(file=mutated_pack_file())
def test_mutated_policies_get_diagnostics_not_exceptions(file: tuple[str, str]) -> None:
    name, text = file
    check_text(text, replacing=name)


@SETTINGS
@given(text=from_lark(_lark(), start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])}))
def test_grammar_generated_policies_get_diagnostics_not_exceptions(text: str) -> None:
    check_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "rule r when " + "a and (" * 5000 + "a" + ")" * 5000 + " then v >= x",
        "rule r when " + "not " * 5000 + "a then v >= x",
        "rule r when " + " ".join(f"any x{i} in partners:" for i in range(2000)) + " a then v >= x",
        "".join(f"define d{i} = d{i + 1}\n" for i in range(3000)) + "define d3000 = true\n",
        "rule r when a then v >= x\n" * 3
        + "enum E {"
        + ", ".join(f"c{i}" for i in range(20000))
        + "}",
    ],
    ids=["parentheses", "nots", "quantifiers", "definition-chain", "huge-enum"],
)
def test_deep_or_huge_policies_are_refused_or_checked_never_crash(text: str) -> None:
    diagnostics = check_text(text)
    if "d3000" in text or "a and (" * 100 in text or "not " * 100 in text or "any x1999" in text:
        assert "KSP130" in {d.code.number for d in diagnostics}


def test_a_limit_can_be_raised(write_policy: Any) -> None:
    depth = 90
    body = (
        'rule r cite "x" when '
        + "not (" * depth
        + "f.a"
        + ")" * depth
        + ' then v >= y because "b"\n'
    )
    folder = write_policy(
        {
            "policy.pol": 'policy p version "1"\ndecision { v: scale x < y }\nrecord F { a: bool }\nschema { f: F }\n'
            + body
        }
    )
    with pytest.raises(PolicyError, match="nest"):
        kspolicy.load(folder)
    policy = kspolicy.load(folder, limits=kspolicy.Limits(max_depth=200))
    assert policy.evaluate({"f": {"a": True}}).outcomes["v"] == "y"  # 90 negations of true: true
    assert policy.evaluate({"f": {"a": False}}).outcomes["v"] == "x"


# ---- cases ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def test_valid_random_cases_always_get_a_decision(pack: kspolicy.Policy) -> None:
    @SETTINGS
    @given(case=full_cases(pack.schema), data=st.data())
    def check(case: dict[str, Any], data: st.DataObject) -> None:
        for group in ("partners", "researchers", "funders"):  # and unknown facts too
            if data.draw(st.booleans()):
                case.pop(group, None)
        decision = pack.evaluate(case, as_of="2026-01-15")
        assert Decision.from_dict(json.loads(decision.to_json(detail="full"))) == decision
        compact = json.loads(decision.to_json())
        assert Decision.from_dict(compact).to_dict() == compact

    check()


BAD_VALUES = {
    "a text for a bool": ("partners", "military_ties", "yes", "KSP402"),
    "a float for an int": ("project", "trl", 3.5, "KSP402"),
    "an unknown code": ("partners", "country", "XX", "KSP404"),
    "NaN": ("project", "trl", math.nan, "KSP402"),
    "a huge number": ("project", "trl", 10**100, "KSP404"),
    "a very long text": ("partners", "name", "x" * 100_000, "KSP408"),
    "odd unicode": ("partners", "kind", "univ\u0000ersity\U0001f600", "KSP404"),
    "a nested table for a text": ("partners", "name", {"a": {"b": {"c": [1, 2, 3]}}}, "KSP402"),
    "a list for a code": ("partners", "country", ["CN"], "KSP402"),
}


def test_invalid_cases_name_every_bad_path(pack: kspolicy.Policy) -> None:
    @SETTINGS
    @given(
        case=full_cases(pack.schema),
        choices=st.lists(st.sampled_from(sorted(BAD_VALUES)), min_size=1, max_size=4),
        extra=st.booleans(),
    )
    def check(case: dict[str, Any], choices: list[str], extra: bool) -> None:
        expected = set()
        for i, choice in enumerate(choices):
            group, field, value, _ = BAD_VALUES[choice]
            if group == "project":
                case.setdefault("project", {})[field] = value
                expected.add(f"project.{field}")
            else:
                case[group] = case.get(group) or []
                while len(case[group]) <= i:
                    case[group].append({})
                case[group][i][field] = value
                expected.add(f"{group}[{i}].{field}")
        if extra:
            case["unexpected_field"] = 1
            expected.add("unexpected_field")
        with pytest.raises(CaseError) as info:
            pack.evaluate(case, as_of="2026-01-15")
        assert expected <= {p.path for p in info.value.problems}

    check()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, "KSP407"),
        ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000, "KSP407"),
        ("huge.json", '{"project": {"title": "' + "x" * 2_000_000 + '"}}', "KSP406"),
        ("many.json", json.dumps({"partners": [{}] * 5000}), "KSP409"),
    ],
)
def test_hostile_case_files_are_refused(
    pack: kspolicy.Policy, tmp_path: Path, name: str, content: str, code: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CaseError) as info:
        pack.evaluate(path)
    assert code in {p.code.number for p in info.value.problems}


# ---- nothing from a policy, a list or a case is run ---------------------------------

INJECTIONS = [
    '__import__("os").system("touch {marker}")',
    '"); __import__("os").system("touch {marker}"); ("',
    "{{__import__('os').system('touch {marker}')}}",
    "${{touch {marker}}}",
    "`touch {marker}`",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_policy_text_is_never_run_as_code(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    attack = payload.format(marker=marker)
    policy = tmp_path / "p"
    policy.mkdir()
    quoted = attack.replace("\\", "\\\\").replace('"', '\\"')
    (policy / "policy.pol").write_text(
        'policy p version "1"\n'
        f'  title "{quoted}"\n'
        'lists "l.toml"\n'
        "decision { v: scale x < y }\n"
        'record F { name: text question "' + quoted + '"  __class__: bool }\n'
        "schema { f: F }\n"
        f"# {attack}\n"
        f'rule __init__ cite "{quoted}" when f.name == "{quoted}" or f.name matches EVIL or f.__class__\n'
        f'  then v >= y because "{quoted}"\n'
    )
    (policy / "l.toml").write_text(
        f'[EVIL]\nkind = "entities"\nsource = {json.dumps(attack)}\nretrieved = 2025-01-01\n'
        f"entries = [{{ name = {json.dumps(attack)}, aliases = [{json.dumps(attack)}] }}]\n"
    )
    loaded = kspolicy.load(policy)
    decision = loaded.evaluate({"f": {"name": attack}}, explain=True)
    assert decision.outcomes["v"] == "y" and decision.fired[0].because == attack
    decision.to_json()
    from kspolicy.lang.formatter import format_source

    format_source((policy / "policy.pol").read_text())
    assert not marker.exists()


def test_an_attack_in_a_case_is_data(pack: kspolicy.Policy, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    attack = f'__import__("os").system("touch {marker}")'
    decision = pack.evaluate(
        {"partners": [{"name": attack, "country": "CN"}], "institution": "VUB"}, explain=True
    )
    assert any(attack in q.question for q in decision.open_questions)  # shown as text
    decision.to_json()
    assert not marker.exists()


def test_only_the_fast_path_compiles_code_and_never_policy_text(tmp_path: Path) -> None:
    """exec and compile appear in eval/fastpath.py and eval/cases.py (the quick walk of
    a case) only. In the code either generates, a name or text from the policy is only
    ever a constant (an escaped literal), never code."""
    package = ROOT / "src" / "kspolicy"
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in ("exec", "compile"):
                    where = path.relative_to(package).as_posix()
                    assert where in ("eval/fastpath.py", "eval/cases.py"), path
                assert node.func.id not in ("eval", "__import__"), path
    from kspolicy.eval.fastpath import FastPath

    pack = kspolicy.load()
    fast = FastPath(pack.checked)
    day = dt.date(2026, 1, 15)
    fast.decide(day)
    tree = ast.parse(fast.sources[day])
    words = {f.name for _, f in pack.schema.fields()} | {r.name for r in pack.checked.rules}
    words |= {code for e in pack.schema.enums.values() for code in e.codes} | set(
        pack.checked.lists
    )
    walk, _, _ = walk_tree(pack._reader._root_plan, pack.limits)
    for code in (tree, walk):
        names = {node.id for node in ast.walk(code) if isinstance(node, ast.Name)}
        names |= {node.attr for node in ast.walk(code) if isinstance(node, ast.Attribute)}
        assert names & words == set(), names & words
    assert {"partners", "trl"} <= {n.value for n in ast.walk(walk) if isinstance(n, ast.Constant)}


def test_random_seeds_do_not_matter() -> None:
    random.seed(0)  # decisions never depend on global state such as the random seed
    first = kspolicy.load().evaluate({"institution": "VUB"}, as_of="2026-01-15").to_json()
    random.seed(1)
    assert kspolicy.load().evaluate({"institution": "VUB"}, as_of="2026-01-15").to_json() == first
    shutil.disk_usage(".")


# ---- regressions: named after what went wrong ------------------------------------


def test_a_field_named_like_a_python_keyword_or_dunder_is_just_a_field(write_policy: Any) -> None:
    """Found by the injection test: record fields became attribute names of generated
    classes, so a field called `__class__` broke every case and one called `class` made
    attrs write invalid Python."""
    folder = write_policy(
        {
            "policy.pol": """
policy p version "1"
decision { v: scale x < y }
record R { class: bool  from: text  __init__: bool  None: int  __class__: bool }
schema { r: R }
rule k cite "x" when r.class and r.__init__ and r.None > 1 and r.__class__ and r.from == "a" then v >= y because "b"
"""
        }
    )
    policy = kspolicy.load(folder)
    case = {"r": {"class": True, "from": "a", "__init__": True, "None": 2, "__class__": True}}
    assert policy.evaluate(case).outcomes["v"] == "y"
    with pytest.raises(CaseError) as info:
        policy.evaluate({"r": {"class": "yes", "__dict__": 1}})
    assert {p.path for p in info.value.problems} == {"r.class", "r.__dict__"}
