"""The parse cache: a file parsed before is read back exactly as parsed, or parsed again."""

from __future__ import annotations

import os
import pickle
import re
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import kspolicy
from kspolicy import cache
from kspolicy.loader import default_policy_path
from kspolicy.parser import _lark, parse_module
from kspolicy.render.diagnostics import render_diagnostics
from kspolicy.span import Source

POLICY = """policy cached version "1"
decision { level: scale low < high }
schema { x: int }
rule r cite "§1" when x > 3 then level >= high
"""


def everything(tree: Any) -> Any:
    """A tree with its spans (which node equality leaves out) as plain data."""
    return attrs.asdict(tree)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KSPOLICY_CACHE", str(tmp_path / "cache"))
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "policy.pol").write_text(POLICY, encoding="utf-8")
    return tmp_path


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "cache").glob("parse-*.pickle"))


def test_a_second_load_reads_the_parse_from_the_cache(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = kspolicy.load(folder / "policy")
    assert len(entries(folder)) == 1

    def no_parsing(*args: Any) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(cache, "parse_module", no_parsing)
    second = kspolicy.load(folder / "policy")
    assert second.evaluate({"x": 5}).to_dict() == first.evaluate({"x": 5}).to_dict()
    assert everything(second.checked.rules[0].when) == everything(first.checked.rules[0].when)


def test_a_changed_file_is_parsed_again(folder: Path) -> None:
    kspolicy.load(folder / "policy")
    changed = POLICY.replace("x > 3", "x > 30")
    (folder / "policy" / "policy.pol").write_text(changed, encoding="utf-8")
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "low"
    assert len(entries(folder)) == 2


def test_diagnostics_read_from_the_cache_are_the_same(folder: Path) -> None:
    broken = POLICY.replace("x > 3", "x >> 3") + "rule s when y then level >= high\n"
    (folder / "policy" / "policy.pol").write_text(broken, encoding="utf-8")
    first = render_diagnostics(kspolicy.check(folder / "policy"))
    assert entries(folder)
    assert render_diagnostics(kspolicy.check(folder / "policy")) == first


def test_a_broken_entry_is_parsed_again_and_replaced(folder: Path) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    entry.write_bytes(b"\x80\x05 not a pickle")
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "high"
    pickle.loads(entry.read_bytes())  # rewritten whole


def test_an_entry_of_the_wrong_kind_is_ignored(folder: Path) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    entry.write_bytes(pickle.dumps(("not", "a module")))
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "high"


@pytest.mark.parametrize("setting", ["off", "", "0"])
def test_the_cache_can_be_turned_off(
    folder: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv("KSPOLICY_CACHE", setting)
    kspolicy.load(folder / "policy")
    assert not (folder / "cache").exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_may_write_to_is_not_used(folder: Path) -> None:
    (folder / "cache").mkdir(mode=0o777)
    os.chmod(folder / "cache", 0o777)  # the mode above is masked by the umask
    kspolicy.load(folder / "policy")
    assert entries(folder) == []


def test_the_folder_is_private_to_its_user(folder: Path) -> None:
    kspolicy.load(folder / "policy")
    assert (folder / "cache").stat().st_mode & 0o077 == 0


def test_an_unwritable_folder_only_slows_the_load(folder: Path) -> None:
    (folder / "cache").write_text("a file where the folder should be", encoding="utf-8")
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "high"


def test_only_the_most_recently_used_entries_are_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "KEEP", 2)
    for bound in range(4):
        text = POLICY.replace("x > 3", f"x > {bound}")
        (folder / "policy" / "policy.pol").write_text(text, encoding="utf-8")
        kspolicy.load(folder / "policy")
    assert len(entries(folder)) == 2


def test_the_pack_parses_the_same_from_the_cache(folder: Path) -> None:
    for path in sorted(default_policy_path().rglob("*.pol")):
        source = Source(path.name, path.read_text(encoding="utf-8"))
        parsed = cache.parse_cached(source, 64)
        cached = cache.parse_cached(source, 64)
        assert cached is not parsed
        assert everything(cached[0]) == everything(parsed[0])


@settings(
    max_examples=60,
    deadline=None,
    # Many generated files have no item that parses whole; they are skipped, as in
    # test_formatter's generated policies.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=from_lark(_lark(), start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])}))
def test_any_parse_survives_the_cache_whole(text: str) -> None:
    module, diagnostics = parse_module(Source("g.pol", text))
    assume(module.items)
    module_back, diagnostics_back = pickle.loads(pickle.dumps((module, diagnostics)))
    assert everything(module_back) == everything(module)
    assert [everything(d) for d in diagnostics_back] == [everything(d) for d in diagnostics]


def test_every_module_the_parse_depends_on_is_in_the_key() -> None:
    # A changed parser module must never read an entry written by the old one.
    imported = {"parser.py", "cache.py"}
    source = (Path(cache.__file__).parent / "parser.py").read_text(encoding="utf-8")
    for relative, names in re.findall(r"^from \.(\w*) import (\w+)", source, re.M):
        imported.add(f"{relative or names}.py")  # `from .lexer import X`, `from . import nodes`
    assert imported <= set(cache._ENGINE_FILES)
