"""The checked-policy cache: a policy loaded before is used again only while every file it
was read from, and everything else its checking depends on, is unchanged (issue 12,
part 2: a warm load of 3,000 rules within 0.6 s)."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import kspolicy
from kspolicy import Limits, PolicyError
from kspolicy.lang import build, cache
from kspolicy.lang.checker import Checker
from kspolicy.lang.loader import default_policy_path, read_policy, unchanged
from kspolicy.limits import DEFAULT
from kspolicy.policy import _nesting
from kspolicy.render.diagnostics import render_diagnostics

MAIN = """policy cached version "1"
  languages en

import "rules.pol"
lists "lists/*.toml"

decision { level: scale low < high }
enum Topic "a topic" from TOPICS
schema {
  x: int
  topic: Topic
}
define unused = x > 100
"""

RULES = """rule r cite "§1" when x > 3 then level >= high
rule t cite "§2" when topic in WATCHED then level >= high
"""

LISTS = """[TOPICS]
kind = "codes"
source = "the test"
retrieved = 2025-06-01
entries = ["a", "b", "c"]

[WATCHED]
kind = "codes"
source = "the test"
retrieved = 2025-06-01
entries = ["a"]
"""


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
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One item per policy checked (not read from the cache)."""
    called: list[int] = []
    real = Checker

    def counting(*args: Any) -> Checker:
        called.append(1)
        return real(*args)

    monkeypatch.setattr(build, "Checker", counting)
    return called


def entries(folder: Path) -> list[Path]:
    return sorted((folder / "cache").glob("checked-*.pickle"))


def signed(folder: Path, name: str, payload: bytes) -> bytes:
    secret = (folder / "state" / "kspolicy" / "cache.key").read_bytes()
    magic = cache._CHECKED_MAGIC
    return magic + cache._mac(secret, name, payload, magic) + payload


def level(folder: Path, case: dict[str, Any], limits: Limits = DEFAULT) -> str:
    decision = kspolicy.load(folder / "policy", limits=limits).evaluate(case, as_of="2026-01-01")
    return str(decision.outcomes["level"])


class Runs:
    """A pickle that, once unpickled, writes a file: the code an attacker would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return open, (str(self.marker), "w")


def test_a_second_load_reads_the_checked_policy_from_the_cache(
    folder: Path, checks: list[int]
) -> None:
    first = kspolicy.load(folder / "policy")
    second = kspolicy.load(folder / "policy")
    assert checks == [1]
    assert len(entries(folder)) == 1
    assert second.checked is not first.checked
    for a, b in zip(first.checked.rules, second.checked.rules, strict=True):
        assert attrs.asdict(a) == attrs.asdict(b)  # spans and syntax nodes included
    assert attrs.asdict(first.schema) == attrs.asdict(second.schema)
    assert second.files == first.files and second.sha256 == first.sha256
    case = {"x": 1, "topic": "a"}
    assert second.evaluate(case).to_dict(detail="full") == first.evaluate(case).to_dict(
        detail="full"
    )


def test_warnings_from_the_cache_are_the_same_as_when_checked(
    folder: Path, checks: list[int]
) -> None:
    cold = kspolicy.load(folder / "policy").warnings
    assert [d.code.number for d in cold] == ["KSP304", "KSP302", "KSP302"]
    warm = kspolicy.load(folder / "policy").warnings
    assert checks == [1]
    assert render_diagnostics(list(warm)) == render_diagnostics(list(cold))
    assert [attrs.asdict(d) for d in warm] == [attrs.asdict(d) for d in cold]
    assert render_diagnostics(kspolicy.check(folder / "policy")) == render_diagnostics(list(cold))
    assert checks == [1]


@pytest.mark.parametrize(
    "edit",
    [
        "an edited imported file",
        "an edited list file",
        "a new list file the pattern finds",
        "a new messages file",
        "an edited messages file",
        "an edited main file",
    ],
)
def test_a_changed_file_is_checked_again(
    folder: Path, checks: list[int], edit: str, engine_messages: str
) -> None:
    policy = folder / "policy"
    if edit == "an edited messages file":
        (policy / "messages").mkdir()
        (policy / "messages" / "en.toml").write_text(engine_messages, encoding="utf-8")
    assert level(folder, {"x": 4, "topic": "b"}) == "high"
    if edit == "an edited imported file":
        (policy / "rules.pol").write_text(RULES.replace("x > 3", "x > 30"), encoding="utf-8")
    elif edit == "an edited list file":
        text = LISTS.replace('entries = ["a"]', 'entries = ["a", "b"]')
        (policy / "lists" / "topics.toml").write_text(text, encoding="utf-8")
    elif edit == "a new list file the pattern finds":
        text = '[MORE]\nkind = "codes"\nsource = "s"\nretrieved = 2025-06-01\nentries = ["d"]\n'
        (policy / "lists" / "more.toml").write_text(text, encoding="utf-8")
    elif edit in ("a new messages file", "an edited messages file"):
        (policy / "messages").mkdir(exist_ok=True)
        changed = engine_messages.replace('why = "Why"', 'why = "Reasons"')
        (policy / "messages" / "en.toml").write_text(changed, encoding="utf-8")
    else:
        (policy / "policy.pol").write_text(MAIN + "# a comment\n", encoding="utf-8")
    reloaded = kspolicy.load(policy)
    assert checks == [1, 1]
    assert len(entries(folder)) == 1  # one entry per policy: the new one replaced it
    assert unchanged(read_policy(policy).observed)
    if edit == "an edited imported file":
        assert level(folder, {"x": 4, "topic": "c"}) == "low"
    elif edit == "an edited list file":
        assert level(folder, {"x": 1, "topic": "b"}) == "high"
    elif edit == "a new list file the pattern finds":
        assert "MORE" in reloaded.checked.lists
    elif edit in ("a new messages file", "an edited messages file"):
        assert reloaded.checked.messages.get("en")["explain.why"] == "Reasons"
    assert len(reloaded.files) == len({name for name, _ in reloaded.files})


@pytest.fixture
def engine_messages() -> str:
    return (Path(kspolicy.__file__).parent / "lang" / "messages" / "en.toml").read_text(
        encoding="utf-8"
    )


def test_a_changed_limit_is_checked_again(folder: Path, checks: list[int]) -> None:
    assert level(folder, {"x": 4, "topic": "b"}) == "high"
    with pytest.raises(PolicyError) as raised:
        kspolicy.load(folder / "policy", limits=Limits(max_rules=1))
    assert [d.code.number for d in raised.value.diagnostics if d.is_error] == ["KSP132"]
    assert level(folder, {"x": 4, "topic": "b"}, Limits(max_depth=20)) == "high"
    assert checks == [1, 1, 1]
    assert len(entries(folder)) == 2  # the policy with errors is not kept


def test_another_root_is_another_entry(folder: Path, checks: list[int]) -> None:
    kspolicy.load(folder / "policy")
    kspolicy.load(folder / "policy", root=folder)
    kspolicy.load(folder / "policy", root=folder)
    assert checks == [1, 1]


def test_a_list_file_linked_elsewhere_is_read_again(folder: Path, checks: list[int]) -> None:
    lists = folder / "policy" / "lists"
    (lists / "topics.toml").rename(lists / "real.txt")
    (lists / "topics.toml").symlink_to(lists / "real.txt")
    assert level(folder, {"x": 1, "topic": "b"}) == "low"
    other = LISTS.replace('entries = ["a"]', 'entries = ["b"]')
    (lists / "other.txt").write_text(other, encoding="utf-8")
    (lists / "topics.toml").unlink()
    (lists / "topics.toml").symlink_to(lists / "other.txt")
    assert level(folder, {"x": 1, "topic": "b"}) == "high"
    assert checks == [1, 1]


def test_a_policy_with_errors_is_never_kept(folder: Path, checks: list[int]) -> None:
    (folder / "policy" / "rules.pol").write_text(RULES.replace("x > 3", "y > 3"), encoding="utf-8")
    first = render_diagnostics(kspolicy.check(folder / "policy"))
    assert "KSP202" in first
    assert render_diagnostics(kspolicy.check(folder / "policy")) == first
    assert entries(folder) == []
    assert checks == [1, 1]


def test_a_pickle_planted_in_the_cache_never_runs(folder: Path, checks: list[int]) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    marker = folder / "ran"
    payload = pickle.dumps(Runs(marker))
    forged = cache._CHECKED_MAGIC + cache._MAC_SIZE * b"\0" + payload
    for planted in (payload, forged, signed(folder, entry.name, payload)):
        # The last is signed with the user's own secret: the unpickler still refuses `open`.
        entry.write_bytes(planted)
        assert level(folder, {"x": 4, "topic": "b"}) == "high"
        assert not marker.exists()
    assert checks == [1, 1, 1, 1]


def test_an_entry_of_the_wrong_shape_is_ignored(folder: Path, checks: list[int]) -> None:
    kspolicy.load(folder / "policy")
    (entry,) = entries(folder)
    shapes: list[object] = [("not", "a policy"), (None, [], 0, ()), "text"]
    for value in shapes:
        entry.write_bytes(signed(folder, entry.name, pickle.dumps(value)))
        assert level(folder, {"x": 4, "topic": "b"}) == "high"
    assert checks == [1, 1, 1, 1]


def test_an_entry_copied_from_another_policys_key_is_rejected(
    folder: Path, checks: list[int]
) -> None:
    strict = folder / "strict"
    shutil.copytree(folder / "policy", strict)
    (strict / "rules.pol").write_text(RULES.replace("x > 3", "x > 0"), encoding="utf-8")
    assert kspolicy.load(strict).evaluate({"x": 1, "topic": "b"}).outcomes["level"] == "high"
    (strict_entry,) = entries(folder)
    assert level(folder, {"x": 1, "topic": "b"}) == "low"
    (entry,) = set(entries(folder)) - {strict_entry}
    entry.write_bytes(strict_entry.read_bytes())
    assert level(folder, {"x": 1, "topic": "b"}) == "low"
    assert checks == [1, 1, 1]


def test_only_the_most_recently_used_checked_policies_are_kept(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "KEEP_CHECKED", 2)
    for copy in range(4):
        shutil.copytree(folder / "policy", folder / f"copy{copy}")
        kspolicy.load(folder / f"copy{copy}")
    assert len(entries(folder)) == 2
    # Their parses are kept inside them (cache.parses_kept), not in entries of their own.
    assert list((folder / "cache").glob("parse-*.pickle")) == []


def test_the_cache_off_keeps_no_checked_policy(
    folder: Path, monkeypatch: pytest.MonkeyPatch, checks: list[int]
) -> None:
    monkeypatch.setenv("KSPOLICY_CACHE", "off")
    kspolicy.load(folder / "policy")
    kspolicy.load(folder / "policy")
    assert checks == [1, 1]
    assert not (folder / "cache").exists()


def test_the_pack_from_the_cache_decides_as_checked(folder: Path, checks: list[int]) -> None:
    cases = sorted((Path(__file__).parents[1] / "examples" / "cases").rglob("*.toml"))
    assert cases
    cold, warm = kspolicy.load(), kspolicy.load()
    assert checks == [1]
    assert render_diagnostics(list(warm.warnings)) == render_diagnostics(list(cold.warnings))
    for case in cases:
        for explain in (False, True):
            assert warm.evaluate(case, explain=explain).to_dict(detail="full") == cold.evaluate(
                case, explain=explain
            ).to_dict(detail="full")


def test_every_file_that_shapes_a_checked_policy_is_in_the_key() -> None:
    # By the layer rules, lang/ and layer 0 make a checked policy: a changed file there
    # must never read an entry written before it changed.
    package = Path(kspolicy.__file__).parent
    hashed = {p.relative_to(package).as_posix() for p in cache._engine_files(package)}
    kspolicy.load()
    shaping = {
        Path(module.__file__).relative_to(package).as_posix()
        for name, module in list(sys.modules.items())
        if name.startswith(("kspolicy.lang", "kspolicy.screening")) and module.__file__
    }
    shaping |= {"span.py", "diagnostics.py", "limits.py", "files.py", "paths.py", "version.py"}
    assert {"lang/checker.py", "lang/build.py", "lang/messages/en.toml"} <= hashed
    assert shaping <= hashed
    assert not {p for p in hashed if p.startswith(("eval/", "render/", "tools/"))}
    assert not {p for p in hashed if "__pycache__" in p}


def test_the_key_changes_with_the_engine_the_limits_and_the_versions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    what = build._described(Path("p"), DEFAULT, None)
    before = cache.checked_key(what)
    assert before is not None
    assert cache.checked_key(build._described(Path("p"), Limits(max_depth=65), None)) != before
    assert cache.checked_key(build._described(Path("p"), DEFAULT, Path("r"))) != (before)
    monkeypatch.setattr(sys.modules["lark"], "__version__", "0.0.1")
    assert cache.checked_key(what) != before
    monkeypatch.undo()
    monkeypatch.setattr(cache, "_checked_fingerprint", lambda: "another engine")
    assert cache.checked_key(what) != before


def _policies(tmp_path: Path) -> list[Path]:
    deep = tmp_path / "deep"
    deep.mkdir()
    nested = "x > 1"
    for _ in range(40):
        nested = f"not ({nested})"
    (deep / "policy.pol").write_text(
        'policy d version "1"\ndecision { level: scale low < high }\nschema { x: int }\n'
        f"define d1 = {nested}\ndefine d2 = not d1 and (x > 2 or d1)\n"
        "define spare = not not not not not not not not not not x > 1\n"
        'rule r cite "s" when not (d2 or x > 3) then level >= high\n',
        encoding="utf-8",
    )
    return [default_policy_path(), deep]


def test_the_checkers_depth_is_the_facades_nesting(tmp_path: Path) -> None:
    """Issue 12, part 2: the facade walked every condition again to size its frames;
    the checker already measures that depth, and now gives it."""
    for path in _policies(tmp_path):
        sources = read_policy(path, Limits(max_depth=200))
        checker = Checker(sources.modules, sources.lists, Limits(max_depth=200), sources.messages)
        checked = checker.check(sources.sha256, sources.files)
        assert checked is not None
        # At least as deep (an unused definition counts too): never too few frames.
        assert checker.deepest >= _nesting(checked)
        if path != default_policy_path():
            assert checker.deepest == _nesting(checked) == 48


def test_what_reading_saw_is_seen_again_until_a_file_changes(folder: Path) -> None:
    sources = read_policy(folder / "policy")
    kinds = {kind for kind, _, _ in sources.observed}
    assert kinds == {"main", "real", "sha256", "glob", "exists"}
    assert unchanged(sources.observed)
    (folder / "policy" / "lists" / "topics.toml").write_text(LISTS + "\n", encoding="utf-8")
    assert not unchanged(sources.observed)
    os.remove(folder / "policy" / "lists" / "topics.toml")
    assert not unchanged(sources.observed)


def test_an_entry_that_cannot_be_written_only_slows_the_load(
    folder: Path, monkeypatch: pytest.MonkeyPatch, checks: list[int]
) -> None:
    def unpicklable(*args: Any) -> Callable[[], None]:
        raise TypeError("cannot pickle")

    monkeypatch.setattr(cache, "_dumps", unpicklable)
    assert level(folder, {"x": 4, "topic": "b"}) == "high"
    assert level(folder, {"x": 4, "topic": "b"}) == "high"
    assert entries(folder) == [] and checks == [1, 1]
