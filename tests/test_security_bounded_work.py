"""Bounded work (issue 11, items 4 and 5): no policy or case inside the limits makes the
checker, the traced compiler and runtime, or the list reader hang, blow up or recurse
past Python's limit.

Each test is named after a reproducer of the issue. None is timed: each uses an input
that took minutes or gigabytes before the fix (said in its docstring), so a regression
shows as a test that never ends or runs out of memory.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import CaseError, Limits, PolicyError
from kspolicy.eval.compiler import Compiler
from kspolicy.eval.facts import Facts
from kspolicy.eval.runtime import Env, run
from kspolicy.lang import checked as c
from kspolicy.lang.listfile import read_list_file
from kspolicy.lang.lists import Entries, Entry
from kspolicy.limits import ENGINE_MAX_DEPTH
from kspolicy.span import Source

from .helpers import traced_program

HEAD = """policy p version "1"
decision { v: scale x < y }
record F { a: bool  b: bool }
record P { name: text  ok: bool }
schema {
  f: F
  ps: list of P as p = []
  qs: list of P as q = []
  rs: list of P as r = []
}
"""
DAY = dt.date(2026, 1, 1)
TRUE = {"f": {"a": True, "b": True}}


def write(folder: Path, body: str, lists: str | None = None) -> Path:
    (folder / "policy.pol").write_text(HEAD + body, encoding="utf-8")
    if lists is not None:
        (folder / "lists").mkdir()
        (folder / "lists" / "l.toml").write_text(lists, encoding="utf-8")
    return folder


def rule(condition: str) -> str:
    return f'rule r cite "c" when {condition} then v >= y because "b"\n'


def traced(policy: kspolicy.Policy, facts: dict[str, Any], explain: bool = False) -> Any:
    """The decision of the traced runtime alone (the fast path is another module's)."""
    alone = traced_program(policy)
    # `run` is below the facade, which raises the recursion limit for deep policies.
    with kspolicy.policy._frames(policy._frames):
        return run(alone, policy.read_case(facts)[0], DAY, "en", explain)


def count_nodes(steps: list[Any]) -> int:
    total, stack = 0, list(steps)
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node.children)
    return total


def codes(diagnostics: list[Any]) -> set[str]:
    return {d.code.number for d in diagnostics if d.is_error}


# ---- definitions ------------------------------------------------------------------


def test_definitions_that_double_stay_linear(tmp_path: Path) -> None:
    """`dI = d(I-1) and d(I-1)`, 30 levels: the trace once expanded every use, 2^30
    nodes (20 levels took 28 s and 2.9 GB). Each definition is now evaluated once per
    binding, and a rule's trace explains it once, naming it where it is used again."""
    levels = 30
    body = "define d0 = f.a\n"
    body += "".join(f"define d{i} = d{i - 1} and d{i - 1}\n" for i in range(1, levels + 1))
    policy = kspolicy.load(write(tmp_path, body + rule(f"d{levels}")))
    assert not codes(list(policy.warnings))
    for explain in (False, True):
        decision = traced(policy, TRUE, explain)
        assert decision.outcomes["v"] == "y"
    decision = policy.evaluate(TRUE, as_of=DAY, explain=True)  # explain: traced only
    assert decision.outcomes["v"] == "y"
    steps = decision.trace[0].steps
    assert count_nodes(steps) < 10 * levels
    top = steps[0]
    assert (top.expr, top.value) == (f"d{levels}", "true")
    first, again = top.children[0].children
    assert (first.expr, again.expr) == (f"d{levels - 1}", f"d{levels - 1}")
    assert first.children and not again.children  # explained once, then named


def test_a_definition_is_explained_in_each_rule_that_uses_it(tmp_path: Path) -> None:
    """Naming a definition instead of explaining it again holds within one rule's
    trace only: every rule's trace explains what it uses."""
    body = "define both = f.a and f.b\n"
    body += 'rule r1 cite "c" when both and both then v >= y because "b"\n'
    body += 'rule r2 cite "c" when both then v >= y because "b"\n'
    decision = kspolicy.load(write(tmp_path, body)).evaluate(TRUE, as_of=DAY, explain=True)
    r1, r2 = decision.trace
    first, again = r1.steps[0].children
    assert first.children and not again.children
    assert r2.steps[0].expr == "both" and r2.steps[0].children


def test_1000_chained_definitions_are_too_deep_not_a_recursion_error(tmp_path: Path) -> None:
    """1,000 definitions, each using the one before, checked clean, then evaluating
    them raised RecursionError. A definition now counts as deep as what it stands for."""
    body = "define d0 = f.a\n"
    body += "".join(f"define d{i} = d{i - 1} and f.b\n" for i in range(1, 1001))
    folder = write(tmp_path, body + rule("d1000"))
    diagnostics = kspolicy.check(folder)
    (error,) = [d for d in diagnostics if d.is_error]
    assert error.code.number == "KSP130"
    assert "stands for conditions nested further" in error.message
    assert error.span.text.startswith("d")  # at the use of the definition that goes too deep
    with pytest.raises(PolicyError, match="nest more than 64 deep"):
        kspolicy.load(folder)


def test_100_chained_definitions_with_not(tmp_path: Path) -> None:
    """`dI = not d(I-1)`, 100 levels: checked clean, then failed in generated code.
    Now too deep by default, and evaluated when the limit is raised."""
    body = "define d0 = f.a\n" + "".join(f"define d{i} = not d{i - 1}\n" for i in range(1, 101))
    folder = write(tmp_path, body + rule("d100"))
    assert "KSP130" in codes(kspolicy.check(folder))
    policy = kspolicy.load(folder, limits=Limits(max_depth=300))
    assert traced(policy, TRUE).outcomes["v"] == "y"  # 100 negations of true
    assert traced(policy, {"f": {"a": False}}, explain=True).outcomes["v"] == "x"


def test_max_depth_1010_with_1000_nots(tmp_path: Path) -> None:
    """`--limit max_depth=1010` and 1,000 `not`: documented as safe, it crashed. The
    traced runtime evaluates it."""
    folder = write(tmp_path, rule("not " * 1000 + "f.a"))
    assert "KSP130" in codes(kspolicy.check(folder))
    policy = kspolicy.load(folder, limits=Limits(max_depth=1010))
    assert traced(policy, TRUE).outcomes["v"] == "y"
    assert traced(policy, {"f": {"a": False}}).outcomes["v"] == "x"


def test_a_depth_beyond_what_the_engine_can_do_is_a_diagnostic(tmp_path: Path) -> None:
    """Raising max_depth past what the engine can evaluate gives KSP130 at the
    engine's own limit, not a crash."""
    chain = "define d0 = f.a\n" + "".join(
        f"define d{i} = d{i - 1} and f.b\n" for i in range(1, ENGINE_MAX_DEPTH + 1)
    )
    folder = write(tmp_path, chain + rule(f"d{ENGINE_MAX_DEPTH}"))
    diagnostics = kspolicy.check(folder, limits=Limits(max_depth=1_000_000))
    (error,) = [d for d in diagnostics if d.is_error]
    assert error.code.number == "KSP130"
    assert f"more than {ENGINE_MAX_DEPTH:,}".replace(",", "") in error.message.replace(",", "")
    assert error.help is not None and "deepest the engine evaluates" in error.help
    assert (
        Limits(max_depth=1_000_000).recursion_needed() == Limits(max_depth=2000).recursion_needed()
    )


# ---- long chains --------------------------------------------------------------------


def test_an_and_of_100000_operands_is_linear(tmp_path: Path) -> None:
    """One `and` of 100,000 parts: the runtime added tuple to tuple at each part,
    copying all before it (about 5e9 copies; the issue measured 14 s). Built here on
    the checked tree, so that only the compiler and the runtime are measured."""
    policy = kspolicy.load(write(tmp_path, rule("f.a and f.b")))
    when = policy.checked.rules[0].when
    assert isinstance(when, c.And)
    wide = c.Or(when.operands * 50_000, when.node)
    unknown = Compiler(policy.checked).visit(wide)(Env(Facts({"f": {}}), DAY, tracing=False))
    assert unknown.value is None
    assert unknown.unknowns == ("f.a", "f.b")  # each unknown fact once


def test_one_and_of_100000_operands_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    """The reproducer itself: `eval` of one `and` of 100,000 operands took 13 s and
    350 MB (an `or` of 100,000 comparisons 24 s and 610 MB) after the runtime was made
    linear, most of it parsing and explaining. An item that long is refused unparsed."""
    chain = " and ".join(["f.a"] * 100_000)
    diagnostics = kspolicy.check(write(tmp_path, rule(chain)))
    assert codes(diagnostics) == {"KSP135"}
    (found,) = diagnostics
    assert found.span.text == "rule" and "800,041 characters" in found.message
    # The limit is what refuses it, to the character: a chain of 1,000 is an item of 8,041
    # characters, refused one below and read at its length. (Raising the limit past the
    # 800,041 characters themselves would parse them: seconds, for what the 1,000 show.)
    short = " and ".join(["f.a"] * 1_000)
    below = kspolicy.check(write(tmp_path, rule(short)), limits=Limits(max_item_chars=8_040))
    assert codes(below) == {"KSP135"} and "8,041 characters" in below[0].message
    at = kspolicy.check(write(tmp_path, rule(short)), limits=Limits(max_item_chars=8_041))
    assert "KSP135" not in codes(at)


# ---- bindings and quantifiers -------------------------------------------------------


def test_a_rule_binding_three_lists_of_1000_items_is_refused(tmp_path: Path) -> None:
    """Three implicit variables over three lists of 1,000: a billion bindings, over 60 s
    before anything came out. Refused before anything is evaluated, fast path included."""
    policy = kspolicy.load(write(tmp_path, rule("p.ok and q.ok and r.ok")))
    items = [{"name": f"n{i}", "ok": True} for i in range(1000)]
    case = {"f": {"a": True}, "ps": items, "qs": items, "rs": items}
    for evaluate in (
        lambda: policy.evaluate(case, as_of=DAY),
        lambda: policy.evaluate(case, as_of=DAY, explain=True),
        lambda: policy.rule_statuses(case, as_of=DAY),
        lambda: policy.rule_statuses(case, as_of=DAY, check_case=False),
    ):
        with pytest.raises(CaseError) as info:
            evaluate()
        (problem,) = info.value.problems
        assert problem.code.number == "KSP410"
        assert "rule `r` (policy.pol:" in problem.message
        assert "1,000,000,000 bindings" in problem.message
        assert "ps (1,000) x qs (1,000) x rs (1,000)" in problem.message
    small = {**case, "ps": items[:10], "qs": items[:10], "rs": items[:10]}
    assert policy.evaluate(small, as_of=DAY).outcomes["v"] == "y"
    assert policy.rule_statuses(small, as_of=DAY).fired == ("r",)
    raised = kspolicy.load(tmp_path, limits=Limits(max_bindings=1000))
    assert raised.evaluate(small, as_of=DAY).outcomes["v"] == "y"
    with pytest.raises(CaseError, match="1,100 bindings"):
        raised.evaluate({**small, "ps": items[:11]}, as_of=DAY)


def test_quantifiers_nested_deeper_than_the_limit_get_ksp134(tmp_path: Path) -> None:
    """`any` inside `any` inside `any` over lists of 1,000 is a billion tests."""
    three = "any x in ps: any y in qs: any z in rs: x.name == z.name"
    folder = write(tmp_path, rule(three))
    (error,) = [d for d in kspolicy.check(folder) if d.is_error]
    assert error.code.number == "KSP134"
    assert error.span.text.startswith("any z in rs")
    policy = kspolicy.load(folder, limits=Limits(max_quantifier_depth=3))
    case = {"ps": [{"name": "a"}], "qs": [{"name": "b"}], "rs": [{"name": "a"}]}
    assert traced(policy, case).outcomes["v"] == "y"


def test_a_definition_used_in_a_quantifier_adds_nothing_to_its_depth(tmp_path: Path) -> None:
    """A definition is evaluated once per binding, not once per element of the
    quantifier it is used in, so its quantifiers do not nest in that one."""
    body = "define named = any y in qs: any z in rs: y.name == z.name\n"
    folder = write(tmp_path, body + rule("any x in ps: x.ok and named"))
    assert not codes(kspolicy.check(folder))


# ---- lists ------------------------------------------------------------------------------


def list_file(count: int, extra: str = "") -> str:
    entries = ",\n".join(f'"c{i}"' for i in range(count))
    return f'[L]\nkind = "codes"\nsource = "s"\nretrieved = 2025-01-01\nentries = [\n{entries}{extra}\n]\n'


def test_list_duplicate_checks_are_linear() -> None:
    """Each entry was compared with all before it: 40,000 entries took 35 s. Here
    60,000 (old code: minutes), with two duplicates at the end, each reported where it
    stands (each was reported at the first of its key)."""
    text = list_file(60_000, ',\n"c5",\n"c59999"')
    (named,), problems = read_list_file(Source("l.toml", text))
    assert len(named.entries) == 60_000
    assert [p.message for p in problems] == [
        "list L: `c5` is listed twice",
        "list L: `c59999` is listed twice",
    ]
    line = text.count("\n", 0, problems[0].span.start) + 1
    assert line == 60_006 and problems[0].span.text == '"c5"'


def test_a_list_of_200001_entries_reaches_ksp133(tmp_path: Path) -> None:
    """A list one entry over the limit never reached KSP133 (its duplicate check ran
    for hours); now the entries are counted before any is read."""
    folder = write(tmp_path, 'lists "lists/*.toml"\n' + rule('"c1" in L'), list_file(200_001))
    assert codes(kspolicy.check(folder)) == {"KSP133"}


def test_a_list_over_a_lowered_limit_reaches_ksp133(tmp_path: Path) -> None:
    folder = write(tmp_path, 'lists "lists/*.toml"\n' + rule('"c1" in L'), list_file(60_001))
    diagnostics = kspolicy.check(folder, limits=Limits(max_list_entries=60_000))
    assert codes(diagnostics) == {"KSP133"}


def test_a_key_may_return_in_another_period_not_twice_on_one_day() -> None:
    def entry(start: str | None, end: str | None) -> Entry:
        day = dt.date.fromisoformat
        return Entry(
            "k", valid_from=day(start) if start else None, valid_until=day(end) if end else None
        )

    entries = Entries()
    assert entries.add(entry("2020-01-01", "2020-12-31"))
    assert entries.add(entry(None, "2019-12-31"))  # before, read after
    assert entries.add(entry("2022-01-01", None))
    assert not entries.add(entry("2020-12-31", "2021-06-30"))  # shares 2020-12-31
    assert not entries.add(entry("2019-06-01", "2019-06-30"))  # inside the open start
    assert not entries.add(entry("2030-01-01", "2030-01-02"))  # inside the open end
    assert entries.add(entry("2021-01-01", "2021-12-31"))  # the gap, exactly
    assert not entries.add(entry(None, None))
    assert len(entries.accepted) == 4
