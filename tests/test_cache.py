"""The parse cache: a file parsed before is read back exactly as parsed, or parsed again.

Loads here skip the checked-policy cache, which would answer before any parse is read
(tests/test_cache_checked.py tests that one).
"""

from __future__ import annotations

import ast
import os
import pickle
import sys
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import kspolicy
from kspolicy.lang import build, cache
from kspolicy.lang.loader import default_policy_path
from kspolicy.lang.parser import _lark, parse_module
from kspolicy.render.diagnostics import render_diagnostics
from kspolicy.span import Source

OTHER_USER = 4242
"""A uid that is not the test's: root makes files "another user's" with os.chown."""

POLICY = """policy cached version "1"
decision { level: scale low < high }
schema { x: int }
rule r cite "§1" when x > 3 then level >= high
"""


def everything(tree: Any) -> Any:
    """A tree with its spans (which node equality leaves out) as plain data."""
    return attrs.asdict(tree)


@pytest.fixture(autouse=True)
def parse_cache_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "checked_key", lambda what: None)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KSPOLICY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "policy.pol").write_text(POLICY, encoding="utf-8")
    return tmp_path


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "cache").glob("parse-*.pickle"))


def secret(folder: Path) -> bytes:
    return (folder / "state" / "kspolicy" / "cache.key").read_bytes()


def signed(folder: Path, name: str, payload: bytes) -> bytes:
    """An entry as the cache writes it, made with this user's secret for the key `name`."""
    return cache._MAGIC + cache._mac(secret(folder), name, payload) + payload


def authentic(folder: Path, entry: Path) -> bool:
    data = entry.read_bytes()
    payload = data[len(cache._MAGIC) + cache._MAC_SIZE :]
    return data == signed(folder, entry.name, payload)


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the parser is called on (not read from the cache)."""
    called: list[str] = []

    def counting(source: Source, max_depth: int, max_item_chars: int) -> Any:
        called.append(source.name)
        return parse_module(source, max_depth, max_item_chars)

    monkeypatch.setattr(cache, "parse_module", counting)
    return called


class Runs:
    """A pickle that, once unpickled, writes a file: the code an attacker would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return open, (str(self.marker), "w")


def test_a_second_load_reads_the_parse_from_the_cache(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = kspolicy.load(folder / "policy")
    assert len(entries(folder)) == 1

    def no_parsing(*args: Any) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(cache, "parse_module", no_parsing)
    second = kspolicy.load(folder / "policy")
    assert second.evaluate({"x": 5}).to_dict(detail="full") == first.evaluate({"x": 5}).to_dict(
        detail="full"
    )
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
    assert authentic(folder, entry)  # rewritten whole


def test_an_entry_of_the_wrong_kind_is_ignored(folder: Path) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    entry.write_bytes(signed(folder, entry.name, pickle.dumps(("not", "a module"))))
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


def test_the_pack_parses_the_same_from_the_cache(folder: Path, parses: list[str]) -> None:
    for path in sorted(default_policy_path().rglob("*.pol")):
        source = Source(path.name, path.read_text(encoding="utf-8"))
        parsed = cache.parse_cached(source, 64)
        cached = cache.parse_cached(source, 64)
        assert parses.count(path.name) == 1  # the second came from the cache
        assert cached is not parsed
        assert everything(cached[0]) == everything(parsed[0])


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(text=from_lark(_lark(), start="start", explicit={"LANGTAG": st.sampled_from(["en", "nl"])}))
def test_any_parse_survives_the_cache_whole(text: str) -> None:
    # Every draw counts: a file with no item that parses whole still has diagnostics to
    # carry through the cache (filtering those out cost the `ci` profile about a minute
    # of rejected draws; the pack's own files, above, are the items' round trip).
    module, diagnostics = parse_module(Source("g.pol", text))
    # Read back as the cache does: the classes a parse makes are all allowed.
    module_back, diagnostics_back = cache._loads(pickle.dumps((module, diagnostics)))
    assert everything(module_back) == everything(module)
    assert [everything(d) for d in diagnostics_back] == [everything(d) for d in diagnostics]


def test_every_module_the_parse_depends_on_is_in_the_key() -> None:
    # A changed parser module must never read an entry written by the old one.
    package = Path(kspolicy.__file__).parent
    imported = {"lang/parser.py", "lang/cache.py"}
    parser_path = package / "lang" / "parser.py"
    for node in ast.walk(ast.parse(parser_path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            base = parser_path.parents[node.level - 1]  # `.` is lang/, `..` the package
            if node.module:  # `from ..span import Source`
                target = base.joinpath(*node.module.split("."))
                imported.add(target.with_suffix(".py").relative_to(package).as_posix())
            else:  # `from . import nodes as n`
                for alias in node.names:
                    imported.add((base / f"{alias.name}.py").relative_to(package).as_posix())
    assert {"lang/nodes.py", "span.py"} <= imported  # the walk above found the imports
    assert imported <= set(cache.ENGINE_MODULES)


def test_a_module_no_longer_in_the_engine_still_gives_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = cache._sources_fingerprint()
    monkeypatch.setattr(cache, "ENGINE_MODULES", (*cache.ENGINE_MODULES, "gone.py"))
    cache._sources_fingerprint.cache_clear()
    try:
        assert cache._sources_fingerprint() not in (None, before)
    finally:
        cache._sources_fingerprint.cache_clear()


@pytest.mark.parametrize(
    "change", [("lark", "__version__", "0.0.1"), ("sys", "version", "3.99.0 (other build)")]
)
def test_the_key_changes_with_lark_and_python_versions(
    folder: Path, monkeypatch: pytest.MonkeyPatch, change: tuple[str, str, str]
) -> None:
    source = Source("policy.pol", POLICY)
    before = cache._key(source, 64)
    kspolicy.load(folder / "policy")
    module, name, value = change
    monkeypatch.setattr(sys.modules[module], name, value)
    assert cache._key(source, 64) != before
    kspolicy.load(folder / "policy")
    assert len(entries(folder)) == 2  # the other version's entry was not read


# The reproducers (issue 11, item 2) and the defences that answer them.


def test_a_symlinked_entry_is_never_followed(folder: Path, parses: list[str]) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    planted = folder / "elsewhere.pickle"
    # Even the right entry, made with the right secret, is not read through a link.
    entry.rename(planted)
    entry.symlink_to(planted)
    parses.clear()
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "high"
    assert parses == ["policy.pol"]
    assert not entry.is_symlink() and authentic(folder, entry)  # the link itself replaced


def test_a_pickle_planted_without_the_secret_never_runs(folder: Path, parses: list[str]) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    marker = folder / "ran"
    other = parse_module(Source("policy.pol", POLICY.replace("x > 3", "x > 0")))
    forged = cache._MAC_SIZE * b"\0"
    for payload in (pickle.dumps(Runs(marker)), pickle.dumps(other)):
        for planted in (payload, cache._MAGIC + forged + payload):
            entry.write_bytes(planted)
            parses.clear()
            assert kspolicy.load(folder / "policy").evaluate({"x": 1}).outcomes["level"] == "low"
            assert parses == ["policy.pol"]
            assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "chown") or os.getuid() != 0, reason="needs root to chown")
def test_an_entry_owned_by_another_user_is_not_used(folder: Path, parses: list[str]) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    os.chown(entry, OTHER_USER, OTHER_USER)  # the right content, but not made by us
    parses.clear()
    kspolicy.load(folder / "policy")
    assert parses == ["policy.pol"]
    assert entry.stat().st_uid == os.getuid()  # replaced by our own


def test_an_authentic_entry_can_make_only_the_engines_classes(
    folder: Path, parses: list[str]
) -> None:
    # The last defence: should the secret leak, unpickling still cannot call `open`.
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    marker = folder / "ran"
    entry.write_bytes(signed(folder, entry.name, pickle.dumps(Runs(marker))))
    parses.clear()
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "high"
    assert parses == ["policy.pol"]
    assert not marker.exists()


def test_an_entry_copied_from_another_policys_key_is_rejected(folder: Path) -> None:
    strict = POLICY.replace("x > 3", "x > 0")
    (folder / "strict").mkdir()
    (folder / "strict" / "policy.pol").write_text(strict, encoding="utf-8")
    assert kspolicy.load(folder / "strict").evaluate({"x": 1}).outcomes["level"] == "high"
    (strict_entry,) = entries(folder)
    assert kspolicy.load(folder / "policy").evaluate({"x": 1}).outcomes["level"] == "low"
    (entry,) = set(entries(folder)) - {strict_entry}
    entry.write_bytes(strict_entry.read_bytes())
    assert kspolicy.load(folder / "policy").evaluate({"x": 1}).outcomes["level"] == "low"
    assert authentic(folder, entry)  # replaced by this policy's own parse


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_parent_folder_others_may_write_to_disables_the_cache(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = folder / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)  # no sticky bit: anyone may rename our folder and put theirs
    (shared / "cache").mkdir(mode=0o700)
    monkeypatch.setenv("KSPOLICY_CACHE", str(shared / "cache"))
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "high"
    assert list((shared / "cache").iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_sticky_parent_folder_like_tmp_is_trusted(
    folder: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str]
) -> None:
    shared = folder / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # others may add names, not rename or remove ours
    monkeypatch.setenv("KSPOLICY_CACHE", str(shared / "cache"))
    kspolicy.load(folder / "policy")
    kspolicy.load(folder / "policy")
    assert parses == ["policy.pol"]


@pytest.mark.skipif(not hasattr(os, "chown") or os.getuid() != 0, reason="needs root to chown")
@pytest.mark.parametrize("owned", ["cache", "parent"])
def test_a_folder_of_another_user_on_the_path_is_not_used(
    folder: Path, monkeypatch: pytest.MonkeyPatch, owned: str
) -> None:
    (folder / "parent" / "cache").mkdir(parents=True, mode=0o700)
    os.chown(
        folder / "parent" if owned == "parent" else folder / "parent" / "cache", OTHER_USER, -1
    )
    monkeypatch.setenv("KSPOLICY_CACHE", str(folder / "parent" / "cache"))
    kspolicy.load(folder / "policy")
    assert list((folder / "parent" / "cache").iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "lchown") or os.getuid() != 0, reason="needs root to chown")
def test_a_link_of_another_user_on_the_path_is_not_followed(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "mine").mkdir(mode=0o700)
    (folder / "theirs").symlink_to(folder / "mine")
    os.lchown(folder / "theirs", OTHER_USER, OTHER_USER)
    monkeypatch.setenv("KSPOLICY_CACHE", str(folder / "theirs" / "cache"))
    kspolicy.load(folder / "policy")
    assert list((folder / "mine").iterdir()) == []


def test_a_link_of_ours_to_the_cache_folder_is_resolved(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "cache").mkdir(mode=0o700)
    (folder / "link").symlink_to(folder / "cache")
    monkeypatch.setenv("KSPOLICY_CACHE", str(folder / "link"))
    kspolicy.load(folder / "policy")
    assert len(entries(folder)) == 1


def test_the_secret_is_private_and_kept_outside_the_cache(folder: Path) -> None:
    kspolicy.load(folder / "policy")
    key = folder / "state" / "kspolicy" / "cache.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32
    assert [path.name for path in (folder / "cache").iterdir()] == [entries(folder)[0].name]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
@pytest.mark.parametrize("exposed", ["readable key", "writable folder", "folder is a file"])
def test_a_secret_that_cannot_be_trusted_turns_the_cache_off(
    folder: Path, parses: list[str], exposed: str
) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    state = folder / "state" / "kspolicy"
    if exposed == "readable key":
        os.chmod(state / "cache.key", 0o644)  # others could sign entries with it
    elif exposed == "writable folder":
        os.chmod(state, 0o777)  # others could put their own key in
    else:
        (state / "cache.key").unlink()
        state.rmdir()
        state.write_text("not a folder", encoding="utf-8")
    parses.clear()
    assert kspolicy.load(folder / "policy").evaluate({"x": 5}).outcomes["level"] == "high"
    assert parses == ["policy.pol"]
    assert entries(folder) == [entry]


def test_a_secret_made_elsewhere_invalidates_every_entry(folder: Path, parses: list[str]) -> None:
    kspolicy.load(folder / "policy")
    (folder / "state" / "kspolicy" / "cache.key").write_bytes(b"k" * 32)
    parses.clear()
    kspolicy.load(folder / "policy")
    assert parses == ["policy.pol"]
