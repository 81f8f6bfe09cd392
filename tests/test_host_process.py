"""kspolicy leaves its host process as it found it (issue 12, item 6).

Loading raised Python's recursion limit for good and froze and unfroze every object of
the process; now the limit is raised only while kspolicy works, and the collector is
paused during a load and restored exactly, with nothing frozen.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import kspolicy
from kspolicy import CaseError, Limits, PolicyError
from kspolicy.policy import _frames

from .test_security_bounded_work import DAY, TRUE, rule, write


def state() -> tuple[int, bool, int]:
    return sys.getrecursionlimit(), gc.isenabled(), gc.get_freeze_count()


@pytest.fixture
def host() -> Iterator[None]:
    """The host's own settings, put back whatever a test does to them."""
    limit, enabled = sys.getrecursionlimit(), gc.isenabled()
    sys.setrecursionlimit(1000)  # Python's default: below what a load needs
    gc.enable()
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)
        if enabled:
            gc.enable()
        else:
            gc.disable()
        gc.unfreeze()


def test_load_check_and_evaluate_leave_the_process_as_it_was(tmp_path: Path, host: None) -> None:
    folder = write(tmp_path, rule("f.a and not f.b"))
    before = state()
    assert kspolicy.check(folder) == []
    assert state() == before
    policy = kspolicy.load(folder)
    assert state() == before
    assert policy.evaluate(TRUE, as_of=DAY, explain=True).outcomes["v"] == "x"
    assert policy.rule_statuses(TRUE, as_of=DAY).fired == ()
    with pytest.raises(CaseError):
        policy.evaluate({"f": {"a": "yes"}}, as_of=DAY)
    assert state() == before


def test_a_load_that_raises_policy_error_restores_the_process(tmp_path: Path, host: None) -> None:
    folder = write(tmp_path, rule("f.a and"))
    before = state()
    with pytest.raises(PolicyError):
        kspolicy.load(folder)
    assert state() == before


def test_a_host_with_the_collector_off_keeps_it_off(tmp_path: Path, host: None) -> None:
    gc.disable()
    policy = kspolicy.load(write(tmp_path, rule("f.a")))
    policy.evaluate(TRUE, as_of=DAY)
    assert not gc.isenabled()


def test_the_hosts_frozen_objects_stay_frozen_and_nothing_else_is(
    tmp_path: Path, host: None
) -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    kspolicy.load(write(tmp_path, rule("f.a"))).evaluate(TRUE, as_of=DAY)
    assert gc.get_freeze_count() == frozen


def test_a_higher_limit_set_by_the_host_is_never_lowered(tmp_path: Path, host: None) -> None:
    sys.setrecursionlimit(50_000)
    folder = write(tmp_path, rule("not " * 1000 + "f.a"))
    policy = kspolicy.load(folder, limits=Limits(max_depth=1010))
    assert sys.getrecursionlimit() == 50_000
    policy.evaluate(TRUE, as_of=DAY)
    assert sys.getrecursionlimit() == 50_000


def test_a_policy_1000_deep_loads_and_evaluates_with_the_default_limit(
    tmp_path: Path, host: None
) -> None:
    """The raise is scoped, yet deep conditions still work: evaluation raises the limit
    again for itself, as far as the policy's depth needs."""
    folder = write(tmp_path, rule("not (" * 1000 + "f.a" + ")" * 1000))
    policy = kspolicy.load(folder, limits=Limits(max_depth=1010))
    assert sys.getrecursionlimit() == 1000
    false = {"f": {"a": False, "b": False}}
    assert policy.evaluate(TRUE, as_of=DAY).outcomes["v"] == "y"
    assert policy.evaluate(false, as_of=DAY, explain=True).outcomes["v"] == "x"
    assert policy.rule_statuses(TRUE, as_of=DAY).fired == ("r",)
    assert policy.rule_statuses({}, as_of=DAY).pending == ("r",)
    assert sys.getrecursionlimit() == 1000


def test_a_shallow_policy_evaluates_without_touching_the_limit(
    tmp_path: Path, host: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raising the limit costs a lock: only a policy whose depth needs it pays."""
    policy = kspolicy.load(write(tmp_path, rule("f.a and (f.b or not f.a)")))
    calls: list[int] = []
    monkeypatch.setattr(sys, "setrecursionlimit", calls.append)
    policy.evaluate(TRUE, as_of=DAY, explain=True)
    policy.rule_statuses(TRUE, as_of=DAY)
    assert calls == []


def test_one_thread_finishing_does_not_lower_the_limit_another_needs(host: None) -> None:
    """The limit is process-wide: two loads in two threads overlap, the first to end
    must not put back the host's limit under the second (that one's frames would
    overflow). The overlap is played here in one thread, in the order threads can."""
    first, second = _frames(5_000), _frames(8_000)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert sys.getrecursionlimit() == 8_000
    second.__exit__(None, None, None)
    assert sys.getrecursionlimit() == 1000


def test_a_limit_the_host_changes_meanwhile_is_kept(host: None) -> None:
    with _frames(5_000):
        sys.setrecursionlimit(20_000)
    assert sys.getrecursionlimit() == 20_000
