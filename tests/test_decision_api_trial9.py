"""A new user's trial of the Python API (session 9): `Decision.to_dict()` gives the caller
data of its own, `Decision.from_dict` says what is wrong with what it is given as a
KspolicyError, and `evaluate_many` with workers refuses an unguarded script up front."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy import Decision, DecisionFormatError, KspolicyError

HIT = {"partners": [{"name": "HIT", "country": "CN"}]}
DAY = "2026-01-15"
CASES = sorted((Path(__file__).parent.parent / "examples" / "cases").glob("*.toml"))
# The examples as mappings: their list facts (`project.topics`) are the case's own lists.
EXAMPLES = [tomllib.loads(path.read_text(encoding="utf-8")) for path in CASES]


@pytest.fixture(scope="module")
def policy() -> kspolicy.Policy:
    return kspolicy.load()


def _containers(data: Any) -> list[Any]:
    """Every list and dict reachable from `data`, `data` included, innermost first."""
    found: list[Any] = []
    if isinstance(data, dict):
        for value in data.values():
            found += _containers(value)
        found.append(data)
    elif isinstance(data, list):
        for value in data:
            found += _containers(value)
        found.append(data)
    return found


def _spoil(data: Any) -> int:
    """Change every container reachable from `data` (each value of a dict replaced, a key
    added; a list's items replaced, one added); how many it changed."""
    containers = _containers(data)
    for container in containers:
        if isinstance(container, dict):
            for key in container:
                if not isinstance(container[key], dict | list):
                    container[key] = "BOGUS"
            container["BOGUS"] = "BOGUS"
        else:
            for index, value in enumerate(container):
                if not isinstance(value, dict | list):
                    container[index] = "BOGUS"
            container.append("BOGUS")
    return len(containers)


def test_to_dict_obligations_append_leaves_the_decision(policy: kspolicy.Policy) -> None:
    d = policy.evaluate(HIT, as_of=DAY)
    before = d.codes("obligations")
    t = d.to_dict()
    t["outcomes"]["obligations"].append("BOGUS")
    assert d.codes("obligations") == before
    assert "BOGUS" not in d.to_dict()["outcomes"]["obligations"]


def test_to_dict_verdict_assignment_leaves_the_outcomes(policy: kspolicy.Policy) -> None:
    d = policy.evaluate(HIT, as_of=DAY)
    d.to_dict()["outcomes"]["verdict"] = "X"
    d.to_dict()["possible"]["obligations"].append("X")
    assert d.outcomes["verdict"] == "notify"
    assert "X" not in d.possible["obligations"]


@pytest.mark.parametrize("read", [False, True], ids=["rules-unread", "rules-read"])
@pytest.mark.parametrize("explain", [False, True], ids=["plain", "explained"])
def test_to_dict_every_container_mutated_leaves_the_decision(
    policy: kspolicy.Policy, read: bool, explain: bool
) -> None:
    cases: list[Any] = [HIT, *CASES, *EXAMPLES]
    spoiled = 0
    for case in cases:
        given = copy.deepcopy(case)
        d = policy.evaluate(case, as_of=DAY, explain=explain)
        if read:
            assert d.fired is not None  # the rules assembled before the compact form
        first = d.to_dict()
        spoiled += _spoil(first)
        fresh = policy.evaluate(case, as_of=DAY, explain=explain)
        assert d.to_dict() == fresh.to_dict(), case
        assert d == fresh, case
        # The compact form written straight from the findings (a batch's) is the same.
        if not explain:
            straight = policy.compact_decision(case, as_of=DAY)
            assert straight == fresh.to_dict(), case
            _spoil(straight)
            assert policy.compact_decision(case, as_of=DAY) == fresh.to_dict(), case
        assert case == given  # nor the case's facts, which the decision holds
    assert spoiled > 40 * len(cases)  # the walk reached the nested containers


UNGUARDED = """\
import sys
import kspolicy

policy = kspolicy.load()
cases = [{{"partners": [{{"name": "HIT", "country": "CN"}}]}}] * {count}
try:
    decided = list(policy.evaluate_many(cases, as_of="2026-01-15", workers={workers}))
except kspolicy.KspolicyError as error:
    print(type(error).__name__, error)
    sys.exit(3)
print("decided", len(decided))
"""


@pytest.mark.parametrize(
    ("count", "workers"), [(520, 2), (2000, None)], ids=["520-cases-2-workers", "2000-cases-cores"]
)
def test_evaluate_many_workers_in_a_script_without_the_main_guard(
    tmp_path: Path, count: int, workers: int | None
) -> None:
    from kspolicy.policy import cores

    if workers is None and cores() < 2:
        pytest.skip("one core: workers=None decides in this process, which any script may")
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED.format(count=count, workers=workers), encoding="utf-8")
    assert "__main__" not in script.read_text(encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    # Refused before any case and any worker: no worker ran the script again to say so.
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert done.stdout.startswith("WorkerFailed "), done.stdout
    assert f"the main module {script} again" in done.stdout and "__main__" in done.stdout
    assert "workers=1" in done.stdout
    assert "worker process ran the main module again" not in done.stderr


def _refused(data: Any) -> str:
    with pytest.raises(DecisionFormatError) as caught:
        Decision.from_dict(data)
    assert isinstance(caught.value, KspolicyError) and isinstance(caught.value, ValueError)
    return str(caught.value)


def test_from_dict_of_an_empty_dict_names_what_it_lacks() -> None:
    said = _refused({})
    assert "not a whole decision" in said and "read as full/1" in said
    assert "`policy`" in said and "`fired`" in said and "reads whole decisions" in said


def test_from_dict_of_format_full_1_alone_names_what_it_lacks() -> None:
    said = _refused({"format": "full/1"})
    assert said.startswith("not a whole decision (format full/1): it lacks `policy`")


def test_from_dict_of_a_batch_line_written_with_fields_outcomes_says_it_reads_whole_decisions(
    tmp_path: Path, policy: kspolicy.Policy
) -> None:
    from kspolicy.tools.cli import main

    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps(HIT) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["eval", "--batch", str(cases), "--out", str(out), "--as-of", DAY]
    assert main([*argv, "--fields", "outcomes"]) == 0
    line = json.loads(out.read_text(encoding="utf-8"))
    said = _refused(line["decision"])
    assert "it lacks `policy`" in said and "`outcomes`" not in said
    assert "Decision.from_dict reads whole decisions" in said and "--fields" in said


@pytest.mark.parametrize(("data", "kind"), [(None, "NoneType"), ("x", "str"), ([], "list")])
def test_from_dict_of_none_or_a_string_says_a_decision_is_an_object(data: Any, kind: str) -> None:
    assert _refused(data).startswith(f"a decision is a JSON object (a dict), not {kind}")


def test_from_dict_of_an_unknown_format_names_the_formats_read() -> None:
    said = _refused({"format": "x/9"})
    assert said.startswith("format 'x/9': this release reads compact/1, full/1")


def test_from_dict_of_a_compact_decision_without_facts_names_facts(
    policy: kspolicy.Policy,
) -> None:
    data = policy.evaluate(HIT, as_of=DAY).to_dict()
    del data["facts"]
    said = _refused(data)
    assert "(format compact/1): it lacks `facts`." in said and "KeyError" not in said


@pytest.mark.parametrize("detail", ["compact", "full"])
def test_from_dict_names_the_json_path_of_what_is_wrong(
    policy: kspolicy.Policy, detail: str
) -> None:
    decision = policy.evaluate(HIT, as_of=DAY)
    data = decision.to_dict(detail=detail)
    del data["fired"][2]["rule"]
    assert "fired[2].rule: missing" in _refused(data)
    data = decision.to_dict(detail=detail)
    data["policy"] = 3
    assert "policy: expected an object, got a number" in _refused(data)
    data = decision.to_dict(detail=detail)
    data["fired"][0]["binding"] = {"partner": "first"}
    assert "fired[0].binding['partner']: expected int, got a string" in _refused(data)
    data = decision.to_dict(detail=detail)
    data["pending"] = None
    assert "pending: expected a list, got null" in _refused(data)
    # What the form's types allow, but its references do not (the compact form's).
    if detail == "compact":
        data = decision.to_dict()
        data["fired"][0]["facts"].append("project.nowhere")
        assert "fired[0].facts[2]: 'project.nowhere' is not in `facts`" in _refused(data)
        data = decision.to_dict()
        data["fired"][0]["matched"] = [9]
        assert "fired[0].matched[0]: 9 is not an index of `matched`" in _refused(data)


def test_to_dict_full_every_container_mutated_leaves_the_decision(
    policy: kspolicy.Policy,
) -> None:
    for case in [HIT, *EXAMPLES]:
        d = policy.evaluate(case, as_of=DAY, explain=True)
        _spoil(d.to_dict(detail="full"))
        fresh = policy.evaluate(case, as_of=DAY, explain=True)
        assert d.to_dict(detail="full") == fresh.to_dict(detail="full")
        assert d == fresh
