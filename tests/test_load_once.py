"""A load does each piece of work once, and only when it is needed (issue 12, item 2:
3,000 rules within 2 s cold and 0.6 s from the cache).

- A first load writes its syntax trees once: inside the checked entry, which holds the
  same trees, rather than pickled apart and then again with the checked policy.
- A checked entry whose files changed still gives the parses of those that did not.
- A policy is compiled when a case is first decided, not at load.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import policy as facade
from kspolicy.eval.compiler import compile_policy
from kspolicy.lang import build, cache
from kspolicy.lang.checker import Checker
from kspolicy.lang.parser import parse_module
from kspolicy.render.diagnostics import render_diagnostics
from kspolicy.span import Source

from .test_cache_checked import LISTS, MAIN, RULES


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KSPOLICY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    policy = tmp_path / "policy"
    (policy / "lists").mkdir(parents=True)
    (policy / "policy.pol").write_text(MAIN, encoding="utf-8")
    (policy / "rules.pol").write_text(RULES, encoding="utf-8")
    (policy / "lists" / "topics.toml").write_text(LISTS, encoding="utf-8")
    return tmp_path


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the parser is called on (not read from the cache)."""
    called: list[str] = []

    def counting(source: Source, max_depth: int, max_item_chars: int) -> Any:
        called.append(source.name)
        return parse_module(source, max_depth, max_item_chars)

    monkeypatch.setattr(cache, "parse_module", counting)
    return called


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per policy checked (not read from the cache)."""
    called: list[int] = []
    real = Checker

    def counting(*args: Any) -> Checker:
        called.append(1)
        return real(*args)

    monkeypatch.setattr(build, "Checker", counting)
    return called


@pytest.fixture
def pickles(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The magic of each entry pickled."""
    made: list[bytes] = []
    real = cache._dumps

    def counting(value: object, magic: bytes) -> bytes:
        made.append(magic)
        return real(value, magic)

    monkeypatch.setattr(cache, "_dumps", counting)
    return made


def kinds(folder: Path) -> list[str]:
    return sorted(p.name.split("-", 1)[0] for p in (folder / "cache").glob("*.pickle"))


def level(folder: Path, x: int = 4) -> str:
    decision = kspolicy.load(folder / "policy").evaluate({"x": x, "topic": "b"})
    return str(decision.outcomes["level"])


def test_a_first_load_pickles_its_trees_once(
    folder: Path, parses: list[str], pickles: list[bytes]
) -> None:
    """Writing the cache cost a cold load's time again (1.3 s of 3.45 s for 3,000 rules):
    each file's tree was pickled to its own entry, then again inside the checked one."""
    assert level(folder) == "high"
    assert pickles == [cache._CHECKED_MAGIC]
    assert kinds(folder) == ["checked"]
    assert sorted(parses) == ["policy.pol", "rules.pol"]
    assert level(folder) == "high"
    assert pickles == [cache._CHECKED_MAGIC] and len(parses) == 2


def test_a_changed_list_file_parses_no_policy_file_again(
    folder: Path, parses: list[str], checks: list[int]
) -> None:
    assert level(folder) == "high"
    lists = folder / "policy" / "lists" / "topics.toml"
    lists.write_text(LISTS.replace('entries = ["a"]', 'entries = ["b"]'), encoding="utf-8")
    assert level(folder, x=0) == "high"  # checked again: `b` is watched now
    assert checks == [1, 1]
    assert sorted(parses) == ["policy.pol", "rules.pol"]  # the first load's only
    assert kinds(folder) == ["checked"]


def test_an_edited_policy_file_is_the_only_one_parsed_again(
    folder: Path, parses: list[str], checks: list[int]
) -> None:
    assert level(folder) == "high"
    rules = folder / "policy" / "rules.pol"
    rules.write_text(RULES.replace("x > 3", "x > 5"), encoding="utf-8")
    assert level(folder) == "low"
    assert sorted(parses) == ["policy.pol", "rules.pol", "rules.pol"]
    assert checks == [1, 1]
    assert level(folder) == "low"
    assert checks == [1, 1]


def test_a_policy_with_errors_keeps_its_parses_in_entries_of_their_own(
    folder: Path, parses: list[str]
) -> None:
    (folder / "policy" / "rules.pol").write_text(RULES.replace("x > 3", "y > 3"), encoding="utf-8")
    first = render_diagnostics(kspolicy.check(folder / "policy"))
    assert "KSP202" in first
    assert kinds(folder) == ["parse", "parse"]
    assert render_diagnostics(kspolicy.check(folder / "policy")) == first
    assert sorted(parses) == ["policy.pol", "rules.pol"]


def test_a_checked_entry_that_cannot_be_written_leaves_its_parses_written(
    folder: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str]
) -> None:
    real = cache._dumps

    def refusing(value: object, magic: bytes) -> bytes:
        if magic == cache._CHECKED_MAGIC:
            raise TypeError("cannot pickle")
        return real(value, magic)

    monkeypatch.setattr(cache, "_dumps", refusing)
    assert level(folder) == "high"
    assert kinds(folder) == ["parse", "parse"]
    assert level(folder) == "high"
    assert len(parses) == 2


def test_a_stale_entrys_parses_of_the_wrong_shape_are_parsed_again() -> None:
    assert cache.kept_parses("no tuple") == ()
    good = ("parse-x.pickle", *parse_module(Source("a.pol", 'import "b.pol"')))
    assert cache.kept_parses((good, ("parse-y", "no module", []), ("checked-z", *good[1:]))) == (
        good,
    )


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    called: list[int] = []

    def counting(*args: Any) -> Any:
        called.append(1)
        return compile_policy(*args)

    monkeypatch.setattr(facade, "compile_policy", counting)
    return called


def test_a_policy_is_compiled_when_a_case_is_first_decided(
    folder: Path, compiles: list[int]
) -> None:
    """A load from the cache of 3,000 rules spent a third of its time making closures
    that only deciding runs (and the collector's scan of them)."""
    policy = kspolicy.load(folder / "policy")
    assert compiles == []
    assert policy.rule_statuses({"x": 4, "topic": "b"}).fired == ("r",)
    assert policy.evaluate({"x": 4, "topic": "b"}).outcomes["level"] == "high"
    assert compiles == [1]


def test_threads_deciding_first_at_once_compile_once(
    folder: Path, compiles: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = kspolicy.load(folder / "policy")
    compiling, second = threading.Event(), threading.Event()

    def held(*args: Any) -> Any:
        compiles.append(1)
        if compiling.is_set():
            second.set()  # a second compilation: what the lock prevents
        else:
            compiling.set()
            second.wait(0.5)  # time for the other thread to compile too, were it let
        return compile_policy(*args)

    monkeypatch.setattr(facade, "compile_policy", held)
    outcomes: list[str] = []

    def decide() -> None:
        outcomes.append(str(policy.evaluate({"x": 4, "topic": "b"}).outcomes["level"]))

    first = threading.Thread(target=decide)
    first.start()
    compiling.wait(5)
    decide()
    first.join()
    assert outcomes == ["high", "high"]
    assert compiles == [1]
