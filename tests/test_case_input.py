"""Cases in: every problem reported with its path, nothing evaluated from a bad case."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import kspolicy
from kspolicy import CaseError
from kspolicy.eval.cases import load_case_file, parse_case, read_case_bytes
from kspolicy.files import TooLarge, read_bounded
from kspolicy.render.diagnostics import render_case_error
from kspolicy.tools.cli import main

from .conftest import FIXTURES
from .helpers import fixture_policy


@pytest.fixture
def policy(tmp_path: Path) -> kspolicy.Policy:
    return fixture_policy(
        tmp_path, 'rule r cite "x" when project.trl >= 3 then verdict >= notify because "b"\n'
    )


def problems(policy: kspolicy.Policy, case: object) -> dict[str, tuple[str, str]]:
    with pytest.raises(CaseError) as info:
        policy.evaluate(case)  # type: ignore[arg-type]
    return {p.path: (p.code.number, p.message) for p in info.value.problems}


def test_every_problem_is_listed_with_its_path(policy: kspolicy.Policy) -> None:
    found = problems(
        policy,
        {
            "project": {"trl": 12, "programme": "FWOO", "shares_outside_eu": "yes", "budget": 1},
            "partners": [{"country": "BE"}, {"country": "XX", "contry": "CN", "military_ties": 1}],
        },
    )
    assert found == {
        "project.trl": ("KSP404", "12 is not between 1 and 9"),
        "project.programme": ("KSP404", "'FWOO' is not a value of Programme; did you mean 'FWO'?"),
        "project.shares_outside_eu": (
            "KSP402",
            "expected true or false, got 'yes' (a text): write true or false"
            " (in lower case, without quotes)",
        ),
        "project.budget": (
            "KSP403",
            "unknown field; known fields here: topics, programme, trl, shares_outside_eu",
        ),
        "partners[1].country": ("KSP404", "'XX' is not a country code"),
        "partners[1].contry": ("KSP403", "unknown field; did you mean 'country'?"),
        "partners[1].military_ties": (
            "KSP402",
            "expected true or false, got 1 (a whole number): write true or false"
            " (in lower case, without quotes)",
        ),
    }


@pytest.mark.parametrize(
    ("case", "path", "code"),
    [
        ({"project": {"trl": 3.5}}, "project.trl", "KSP402"),
        ({"project": {"trl": True}}, "project.trl", "KSP402"),
        ({"project": {"topics": "robotics"}}, "project.topics", "KSP402"),
        ({"project": {"topics": ["robotics", 3]}}, "project.topics[1]", "KSP402"),
        ({"project": []}, "project", "KSP402"),
        ({"partners": {"name": "x"}}, "partners", "KSP402"),
        ({"partners": [{"name": "x" * 20_000}]}, "partners[0].name", "KSP408"),
        ({"as_of": "tomorrow"}, "as_of", "KSP402"),
    ],
)
def test_wrong_types_and_values(
    policy: kspolicy.Policy, case: dict[str, object], path: str, code: str
) -> None:
    assert problems(policy, case)[path][0] == code


def test_not_a_mapping(policy: kspolicy.Policy) -> None:
    assert problems(policy, 42) == {"": ("KSP402", "a case is a mapping or a file path, not int")}


def test_required_fields(write_policy: Callable[..., Path]) -> None:
    folder = write_policy(
        {
            "policy.pol": """
policy p version "1"
decision { verdict: scale clear < notify }
record Visit { days: int required  host: text }
schema { visit: Visit required  note: text }
rule r cite "x" when visit.days > 90 then verdict >= notify because "b"
"""
        }
    )
    policy = kspolicy.load(folder)
    assert problems(policy, {}) == {"visit": ("KSP405", "this field is required")}
    assert problems(policy, {"visit": {}}) == {"visit.days": ("KSP405", "this field is required")}
    assert policy.evaluate({"visit": {"days": 100}}).outcomes["verdict"] == "notify"


def test_nan_in_json_is_rejected(policy: kspolicy.Policy, tmp_path: Path) -> None:
    case = tmp_path / "nan.json"
    case.write_text('{"project": {"trl": NaN}}')
    found = problems(policy, case)
    assert found[""][0] == "KSP401" and "NaN" in found[""][1]
    assert math.isnan(float("nan"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.toml", None, "no such file"),
        ("bad.toml", "[project\n", "not valid TOML"),
        ("bad.json", "{", "not valid JSON"),
        ("case.yaml", "a: 1", "a case file ends in .toml or .json"),
        ("latin1.toml", b"title = '\xe9'", "not UTF-8"),
    ],
)
def test_unreadable_case_files(
    policy: kspolicy.Policy, tmp_path: Path, name: str, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    found = problems(policy, path)
    assert found[""][0] == "KSP401" and message in found[""][1]


def test_null_is_unknown(policy: kspolicy.Policy) -> None:
    decision = policy.evaluate({"project": {"trl": None}})
    assert [q.fact for q in decision.open_questions] == ["project.trl"]


def test_the_cli_prints_every_problem(
    golden: Callable[[Path, str], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fixture_policy(
        tmp_path, 'rule r cite "x" when project.trl >= 3 then verdict >= notify because "b"\n'
    )
    monkeypatch.chdir(FIXTURES / "cases")
    code = main(["eval", "many-problems.toml", "--policy", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    golden(FIXTURES / "cases" / "many-problems.expected", err)


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_number_of_thousands_of_digits_is_named_in_words(
    policy: kspolicy.Policy, tmp_path: Path, suffix: str
) -> None:
    huge = "9" * 5000
    path = tmp_path / f"case{suffix}"
    text = (
        f'{{"project": {{"trl": {huge}}}}}' if suffix == ".json" else f"[project]\ntrl = {huge}\n"
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        policy.evaluate(path)
    message = caught.value.problems[0].message
    assert "a whole number has more than 4,300 digits" in message
    assert "sys.set_int_max_str_digits" not in message


# ---- issue 11: a case is read with a byte budget, from a regular file only -------------


@contextlib.contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """Fail, rather than hang the suite, if a read blocks (the bug these tests pin)."""

    def stop(*_: object) -> None:
        raise AssertionError("the read blocked: the file should have been refused unread")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and /dev/zero")


@needs_posix
def test_a_json_case_linked_to_dev_zero_is_refused_unread(
    policy: kspolicy.Policy, tmp_path: Path
) -> None:
    # Found in issue 11: /dev/zero has size 0, which passed KSP406; the read never ended.
    case = tmp_path / "zero.json"
    case.symlink_to("/dev/zero")
    with no_hang():
        found = problems(policy, case)
    assert found[""] == ("KSP401", "cannot read the file: it is a device, not a file")


@needs_posix
def test_a_json_case_that_is_a_fifo_is_refused_unread(
    policy: kspolicy.Policy, tmp_path: Path
) -> None:
    # Found in issue 11: opening a FIFO waited for a writer that never came.
    case = tmp_path / "pipe.json"
    os.mkfifo(case)
    with no_hang():
        found = problems(policy, case)
    assert found[""] == ("KSP401", "cannot read the file: it is a named pipe (FIFO), not a file")


def test_a_case_that_is_a_folder_is_refused(policy: kspolicy.Policy, tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    assert problems(policy, tmp_path / "folder.toml")[""] == (
        "KSP401",
        "cannot read the file: it is a folder, not a file",
    )


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_a_file_that_claims_fewer_bytes_than_it_holds_is_read_no_further_than_the_limit() -> None:
    # /proc files claim size 0 whatever they hold: the size check cannot stop them,
    # only a read that stops one byte past the budget does.
    assert Path("/proc/self/maps").stat().st_size == 0
    with pytest.raises(TooLarge) as caught:
        read_bounded("/proc/self/maps", 10)
    assert caught.value.size is None


def test_the_case_size_limit_is_kept_to_the_byte(policy: kspolicy.Policy, tmp_path: Path) -> None:
    text = '{"project": {"trl": 3}}'
    case = tmp_path / "case.json"
    case.write_text(text)
    limits = kspolicy.Limits(max_case_bytes=len(text))
    assert load_case_file(case, limits) == {"project": {"trl": 3}}
    with pytest.raises(CaseError) as caught:
        load_case_file(case, kspolicy.Limits(max_case_bytes=len(text) - 1))
    assert caught.value.problems[0].code.number == "KSP406"


def test_a_toml_case_cannot_hide_its_nesting_behind_a_quote_in_a_comment(
    policy: kspolicy.Policy, tmp_path: Path
) -> None:
    # Found in issue 11: the depth was counted on the text, where `'` in a comment
    # opened a "string" that hid every bracket after it.
    case = tmp_path / "case.toml"
    case.write_text("# it's nested\nx = " + "[" * 200 + "]" * 200 + "\n")
    found = problems(policy, case)
    assert found[""] == ("KSP407", "the case nests more than 64 levels deep (max_depth)")


def test_a_toml_case_cannot_hide_its_nesting_in_dotted_table_headers(
    policy: kspolicy.Policy, tmp_path: Path
) -> None:
    case = tmp_path / "case.toml"
    case.write_text("[" + ".".join(["a"] * 100) + "]\nb = 1\n")
    assert problems(policy, case)[""][0] == "KSP407"


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_case_nested_to_the_limit_is_read_and_one_deeper_is_not(
    tmp_path: Path, suffix: str
) -> None:
    # The outermost table counts as 1, in both formats: 3 means {x: {y: [1]}}.
    case = tmp_path / f"case{suffix}"
    case.write_text('{"x": {"y": [1]}}' if suffix == ".json" else "[x]\ny = [1]\n")
    assert load_case_file(case, kspolicy.Limits(max_depth=3)) == {"x": {"y": [1]}}
    with pytest.raises(CaseError) as caught:
        load_case_file(case, kspolicy.Limits(max_depth=2))
    assert caught.value.problems[0].code.number == "KSP407"


def test_a_case_is_read_once_and_parsed_from_the_same_bytes(tmp_path: Path) -> None:
    # read_case_bytes and parse_case are what load_case_file does in two steps, so a
    # caller can decide and record the very same bytes.
    case = tmp_path / "case.toml"
    case.write_text("[project]\ntrl = 4\n")
    raw = read_case_bytes(case)
    case.write_text("[project]\ntrl = 9\n")
    assert parse_case(raw, ".toml", str(case)) == {"project": {"trl": 4}}


# ---- issue 11: one way to read a case, and only texts that are Unicode --------------------

SURROGATE_CASE = '{"partners": [{"name": "\\ud800", "country": "BE"}]}'


def test_a_case_holding_a_lone_surrogate_is_a_case_error(
    policy: kspolicy.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Found in issue 11: JSON's "\ud800" parses to a text no output can encode; without
    # --record, `eval` decided it and then crashed printing (UnicodeEncodeError).
    case = tmp_path / "sur.json"
    case.write_text(SURROGATE_CASE, encoding="ascii")
    found = problems(policy, case)
    assert list(found) == ["partners[0].name"]
    assert found["partners[0].name"][0] == "KSP404"
    assert "surrogate" in found["partners[0].name"][1]
    for options in ([], ["--format", "json"]):
        assert main(["eval", str(case), "--policy", str(tmp_path), *options]) == 2
        out, err = capsys.readouterr()
        assert out == "" and "Traceback" not in err
        assert f"{case}: error" in err and "partners[0].name" in err and "KSP404" in err


@pytest.mark.parametrize(
    ("case", "path"),
    [
        ({"partners": [{"name": "\ud800", "country": "BE"}]}, "partners[0].name"),
        ({"partners": [{"name": "a", "country": "\udcff"}]}, "partners[0].country"),
        ({"project": {"topics": ["ok", "\ud800"]}}, "project.topics[1]"),
    ],
)
def test_a_mapping_holding_a_lone_surrogate_is_a_case_error(
    policy: kspolicy.Policy, case: dict[str, object], path: str
) -> None:
    # The API and batch lines hand over data, not files: the schema check refuses it too.
    assert problems(policy, case)[path][0] == "KSP404"


def test_an_unknown_key_holding_a_lone_surrogate_is_named_printably(
    policy: kspolicy.Policy,
) -> None:
    found = problems(policy, {"partners": [{"\ud800": 1}]})
    assert list(found) == ["partners[0].\\ud800"]
    assert found["partners[0].\\ud800"][0] == "KSP403"


def test_a_batch_line_holding_a_lone_surrogate_is_rejected_in_its_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixture_policy(tmp_path, 'rule r cite "x" when project.trl >= 3 then verdict >= notify\n')
    lines = [SURROGATE_CASE, '{"partners": [{"\\udcff": 1}]}', '{"project": {"trl": 4}}']
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(lines) + "\n", encoding="ascii")
    assert main(["eval", "--batch", str(cases), "--policy", str(tmp_path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["line"] for r in out] == [1, 2, 3]
    assert out[0]["error"][0].startswith("partners[0].name: ")
    assert out[1]["error"][0].startswith("partners[0].\\udcff: unknown field")
    assert out[2]["decision"]["outcomes"]["verdict"] == "notify"


BAD_CASES = {
    "deep.json": '{"a": ' * 100 + "1" + "}" * 100,
    "deep-in-comment.toml": "# it's nested\nx = " + "[" * 200 + "]" * 200 + "\n",
    "sur.json": SURROGATE_CASE,
    "big.json": '{"x": "' + "a" * 2_000 + '"}',
    "folder.json": None,
}


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_evaluate_and_eval_record_read_a_case_file_the_same_way(
    policy: kspolicy.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    # Issue 11: the audit log once read case files with its own code (its own budget,
    # no regular-file check, depth counted on the text); now one function reads them.
    case = tmp_path / name
    text = BAD_CASES[name]
    if text is None:
        case.mkdir()
    else:
        case.write_text(text, encoding="ascii")
    limits = ["--limit", "max_case_bytes=1000"]
    with pytest.raises(CaseError) as caught:
        kspolicy.load(tmp_path, limits=kspolicy.Limits(max_case_bytes=1000)).evaluate(case)
    expected = render_case_error(caught.value)
    if name in ("big.json", "folder.json"):
        # A file that cannot be read is said as the file's error, not the case's.
        [problem] = caught.value.problems
        said = problem.message.removeprefix("cannot read the file: ")
        expected = f"error: cannot read the case file {case}: {said} [{problem.code}]\n"
    log = tmp_path / "audit.jsonl"
    with no_hang():
        assert main(["eval", str(case), "--policy", str(tmp_path), *limits]) == 2
        assert capsys.readouterr().err == expected
        code = main(["eval", str(case), "--policy", str(tmp_path), *limits, "--record", str(log)])
    assert code == 2 and capsys.readouterr().err == expected
    assert not log.exists()


def test_loading_a_policy_again_and_again_keeps_no_old_record_classes() -> None:
    """Each load made the case reader's record classes, and a module-level table of
    their field names kept every one alive: a service that reloads its policy grew
    by ~1.8 MB a load."""
    import gc
    import weakref

    policy = kspolicy.load()
    policy.evaluate({}, as_of="2026-01-15")
    record_classes = [weakref.ref(cls) for cls in policy._reader._classes.values()]
    assert record_classes
    del policy
    gc.collect()
    assert [r for r in record_classes if r() is not None] == []
