"""One evaluation interface: the two runners, the facts they read, the walk they share."""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy.eval import fastpath
from kspolicy.eval.compiler import compile_policy
from kspolicy.eval.facts import UNKNOWN_COLLECTION, Facts
from kspolicy.eval.fastpath import FastPath
from kspolicy.eval.runner import Statuses
from kspolicy.eval.runtime import run
from kspolicy.lang import checked as c

from .conftest import ROOT
from .helpers import benchmark_modules

AS_OF = dt.date(2026, 1, 15)
HEADER = """policy faults version "1"
decision {
  verdict: scale clear < notify
}
schema {
  flag: bool
  other: text
}
"""


def _sorted(statuses: Statuses) -> tuple[list[int], list[int]]:
    return sorted(statuses[0]), sorted(statuses[1])


@pytest.mark.parametrize("fault", [KeyError, TypeError, IndexError])
def test_a_fault_inside_evaluation_is_not_taken_for_an_unknown_fact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: type[Exception]
) -> None:
    """The issue: `except (KeyError, TypeError, IndexError)` around the generated code
    "would also hide a real bug". A helper of the generated code that fails (here `_peek`,
    which `is known` calls) made the case go to the three-valued function, which does
    not call it, and the fault went unseen. It is now raised."""

    def broken(record: Any, keys: tuple[str, ...]) -> Any:
        raise fault("a fault in the engine")

    monkeypatch.setitem(fastpath._HELPERS, "_peek", broken)
    (tmp_path / "policy.pol").write_text(
        HEADER + 'rule r cite "x" when flag and other is known then verdict >= notify '
        'because "b"\n',
        encoding="utf-8",
    )
    policy = kspolicy.load(tmp_path / "policy.pol")
    with pytest.raises(fault, match="a fault in the engine"):
        policy.rule_statuses({"flag": True, "other": "x"}, as_of=AS_OF)
    with pytest.raises(fault, match="a fault in the engine"):  # `other` unknown
        policy.rule_statuses({"flag": True}, as_of=AS_OF)


def test_an_unknown_fact_read_by_the_generated_code_is_still_answered(tmp_path: Path) -> None:
    """What the fault above must not break: a fact the case leaves out, read by the
    two-valued function, is unknown; the three-valued function answers."""
    (tmp_path / "policy.pol").write_text(
        HEADER + 'rule r cite "x" when flag and other == "y" then verdict >= notify because "b"\n',
        encoding="utf-8",
    )
    policy = kspolicy.load(tmp_path / "policy.pol")
    assert policy.rule_statuses({"flag": True}, as_of=AS_OF) == ((), ("r",))
    assert policy.rule_statuses({"other": "y"}, as_of=AS_OF) == ((), ("r",))
    assert policy.rule_statuses({"flag": True, "other": "y"}, as_of=AS_OF) == (("r",), ())


def test_facts_answer_what_unknown_means() -> None:
    """A missing key, a field of something that is no record, an index out of range
    and an unknown collection are all unknown (None), answered by `Facts`."""
    facts = Facts({"project": {"trl": 3}, "partners": [{"name": "A"}], "flag": None})
    assert facts.value_at(("project", "trl")) == 3
    assert facts.value_at(("project", "programme")) is None  # a missing key
    assert facts.value_at(("project", "trl", "deeper")) is None  # not a record
    assert facts.value_at(("applicant", "name")) is None  # an unknown record
    assert facts.value_at(("flag",)) is None
    assert facts.collection(("partners",)) == [{"name": "A"}]
    assert facts.collection(("topics",)) is None  # an unknown collection
    assert facts.collection(("project",)) is None  # not a list
    assert Facts.element([1, 2], 1) == 2
    assert Facts.element([1, 2], 2) is None  # out of range
    assert Facts.element(None, 0) is None
    assert Facts.field({"a": 1}, "a") == 1 and Facts.field("text", "a") is None
    assert repr(UNKNOWN_COLLECTION) == "UNKNOWN_COLLECTION"


def test_only_an_error_raised_by_generated_code_is_a_missed_fact() -> None:
    """`Facts.missed` tells a read of an absent fact in generated code from the same
    error raised anywhere else."""
    empty: dict[str, int] = {}
    try:
        empty["absent"]
    except KeyError as error:
        assert not Facts.missed(error)  # raised here, by a test: a fault
    namespace: dict[str, Any] = {}  # the generated code's way: a tree compiled, here text
    exec(
        compile("def f(root):\n    return root['a']", "<kspolicy fast path, t>", "exec"), namespace
    )
    try:
        namespace["f"]({})
    except KeyError as error:
        assert Facts.missed(error)
    assert not Facts.missed(IndexError("never from generated code"))
    assert not Facts.missed(KeyError("never raised, so no trace"))


def test_the_traced_and_fast_runners_agree_on_every_example_case() -> None:
    """The two runners behind one interface give the same statuses, and a program run
    with either gives the same decision, byte for byte."""
    pack = kspolicy.load()
    traced = compile_policy(pack.checked, pack.limits, runner="traced")
    fast = compile_policy(pack.checked, pack.limits, runner="fast")
    assert isinstance(fast.runner, FastPath) and not isinstance(traced.runner, FastPath)
    cases = sorted((ROOT / "examples" / "cases").glob("*.toml"))
    assert cases
    for path in cases:
        facts, _ = pack.read_case(path)
        given = Facts(facts)
        expected = _sorted(fast.runner.statuses(given, AS_OF))
        assert _sorted(traced.runner.statuses(given, AS_OF)) == expected, path.name
        assert expected[0] or expected[1], path.name  # the cases test something
        for explain in (False, True):
            by_traced = run(traced, facts, AS_OF, "en", explain).to_json()
            by_fast = run(fast, facts, AS_OF, "en", explain).to_json()
            assert (
                by_traced == by_fast == pack.evaluate(path, as_of=AS_OF, explain=explain).to_json()
            )


def test_building_and_deciding_from_several_threads_gives_one_thread_s_results(
    tmp_path: Path,
) -> None:
    """Build state was kept on the FastPath instance (`self.src`, `self.as_of`): two
    threads building functions for two dates at once wrote into each other's code.
    Several threads now share one FastPath, each deciding (and so building) for several
    dates at once, cases with unknown facts too (three-valued builds); every answer is
    the one a single thread gets."""
    workload, as_kspolicy = benchmark_modules()
    policy = as_kspolicy.load_policy(workload.make_policy(300), tmp_path)
    rng = random.Random(12)
    cases = []
    for case in workload.make_cases(12):
        cases.append(case)
        cases.append({k: v for k, v in case.items() if rng.random() > 0.3})
    days = [AS_OF + dt.timedelta(days=n) for n in range(4)]
    alone = FastPath(policy.checked)
    expected = {
        (day, i): _sorted(alone.statuses(Facts(case), day))
        for day in days
        for i, case in enumerate(cases)
    }
    shared = FastPath(policy.checked)
    found: dict[tuple[int, dt.date, int], tuple[list[int], list[int]]] = {}
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def work(worker: int) -> None:
        try:
            start.wait()
            for day in days[worker:] + days[:worker]:  # each thread starts on another date
                for i, case in enumerate(cases):
                    found[(worker, day, i)] = _sorted(shared.statuses(Facts(case), day))
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: interleave the builds
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures
    assert len(found) == 4 * len(expected)
    for (_, day, i), statuses in found.items():
        assert statuses == expected[(day, i)]
    assert len(shared.sources) == len(days)


def test_every_walk_over_checked_expressions_uses_checked_children() -> None:
    """Where each kind of checked expression keeps its parts was written four times
    (lints, twice in the fast path, the facade's depth measure). It is written once."""
    parts = ("(expr.operand,)", "(expr.left, expr.right)", "(expr.collection, expr.body)")
    package = ROOT / "src" / "kspolicy"
    writers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if any(part in path.read_text(encoding="utf-8") for part in parts)
    }
    assert writers == {"lang/checked.py"}
    when = next(r.when for r in kspolicy.load().checked.rules if isinstance(r.when, c.And))
    inside = list(c.walk([when]))
    assert inside[0] is when and len(inside) > len(c.children(when)) >= 2
    assert all(any(child is e for e in inside) for x in inside for child in c.children(x))
