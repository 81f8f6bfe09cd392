"""One batch line means the same to `kspolicy eval --batch` and to `POST /v1/batch`.

Both front ends read and decide a line with tools/caseline.py; each keeps only its own
framing (`{"line", "error", "codes"}` for the command line, problem details for the
service). The same file fed to both, the command line and a real server, gives the same
decision for every good line and the same codes for every bad one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy.diagnostics import CaseError
from kspolicy.tools.caseline import Decided, Rejected, decide_line, line_content, read_line
from kspolicy.tools.cli import main

from .test_service_support import DRONE, Served, case_json, shared

AS_OF = "2025-03-01"

GOOD = json.dumps(case_json(DRONE)).encode()
SMALL = b'{"project": {"trl": 3}}'
ARRAY = b"[1, 2]"
DEEP = b'{"project": {"topics": ' + b"[" * 70 + b"]" * 70 + b"}}"

# (the line's bytes, with its end; what it is). Line 1 starts with a byte-order mark.
MIXED: list[tuple[bytes, str]] = [
    (b"\xef\xbb\xbf" + GOOD + b"\n", "good, after a byte-order mark"),
    (b"\n", "blank"),
    (SMALL + b"\r\n", "good, a Windows line end"),
    (b"{not json\n", "not JSON"),
    (b'{"project": {"trl": 3}\r\n', "not JSON, cut short before a Windows line end"),
    (ARRAY + b"\n", "a JSON array"),
    (b'"a text"\n', "a JSON text"),
    (DEEP + b"\n", "nested deeper than max_depth"),
    (b"   \r\n", "blank, only white space"),
    (b'{"partners": [{"country": "XX"}]}\n', "a value the schema refuses"),
    (b'{"unknown": 1}\n', "a field the schema does not know"),
    (b"\xff{}\n", "not UTF-8"),
    (b'{"project": {"trl": NaN}}\n', "NaN, which JSON does not have"),
    (b'{"a": ' + b"[" * 5_000 + b"]" * 5_000 + b"}\n", "too deep for the JSON reader"),
    (b'{"project": {"trl": ' + b"9" * 5_000 + b"}}\n", "a number of 5,000 digits"),
    (b'{"partners": [{"name": "\\ud800", "country": "BE"}]}\n', "half a surrogate pair"),
    (SMALL, "good, the last line without its end"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("parity"))


def _cli(tmp_path: Path, content: bytes) -> dict[int, dict[str, Any]]:
    source = tmp_path / "cases.jsonl"
    source.write_bytes(content)
    out = tmp_path / "out.jsonl"
    main(["eval", "--batch", str(source), "--out", str(out), "--as-of", AS_OF])
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return {line["line"]: line for line in lines}


def _service(served: Served, content: bytes) -> dict[int, dict[str, Any]]:
    response = served.client.post("/v1/batch", params={"as_of": AS_OF}, content=content)
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines() if line]
    return {line["line"]: line for line in lines}


def _same_line(cli: dict[str, Any], service: dict[str, Any], what: str) -> None:
    """A decision equal but for the service's id, or a problem with the same codes and
    messages as the command line's rejected line."""
    if "decision" in cli:
        assert "decision" in service, what
        decided = {k: v for k, v in service["decision"].items() if k != "id"}
        assert decided == cli["decision"], what
        return
    assert "problem" in service, what
    errors = service["problem"]["errors"]
    assert [e["code"] for e in errors] == cli["codes"], what
    written = [f"{e['path']}: {e['message']}" if e["path"] else e["message"] for e in errors]
    assert written == cli["error"], what
    assert service["problem"]["status"] == (400 if "KSP401" in cli["codes"] else 422), what


def test_the_same_mixed_file_gives_the_same_lines_from_the_cli_and_the_service(
    tmp_path: Path, served: Served
) -> None:
    content = b"".join(line for line, _ in MIXED)
    cli = _cli(tmp_path, content)
    service = _service(served, content)
    blank = {n for n, (_, what) in enumerate(MIXED, start=1) if what.startswith("blank")}
    numbers = [n for n in range(1, len(MIXED) + 1) if n not in blank]
    assert sorted(cli) == sorted(service) == numbers  # blank lines give nothing in both
    for number in numbers:
        _same_line(cli[number], service[number], f"line {number}: {MIXED[number - 1][1]}")
    # Not all alike: the file holds decisions and each kind of rejection.
    assert [n for n in numbers if "decision" in cli[n]] == [1, 3, len(MIXED)]
    codes = {code for n in numbers for code in cli[n].get("codes", [])}
    assert codes == {"KSP401", "KSP402", "KSP403", "KSP404", "KSP407"}


def test_a_batch_line_that_is_a_json_array_gets_ksp402_in_both_front_ends(
    tmp_path: Path, served: Served
) -> None:
    content = SMALL + b"\n" + ARRAY + b"\n"
    cli, service = _cli(tmp_path, content), _service(served, content)
    assert cli[2]["codes"] == ["KSP402"]
    assert cli[2]["error"] == ["each line must be a JSON object (a case), not a list"]
    _same_line(cli[2], service[2], "a JSON array")
    assert service[2]["problem"]["status"] == 422
    assert service[2]["problem"]["detail"] == "line 2: the case has 1 problem; see errors"


def test_a_batch_line_nested_too_deep_gets_ksp407_in_both_front_ends(
    tmp_path: Path, served: Served
) -> None:
    content = DEEP + b"\n" + SMALL + b"\n"
    cli, service = _cli(tmp_path, content), _service(served, content)
    assert cli[1]["codes"] == ["KSP407"]
    _same_line(cli[1], service[1], "too deep")
    assert service[1]["problem"]["errors"][0]["message"] == (
        "the case nests more than 64 levels deep (max_depth)"
    )
    assert "decision" in cli[2] and "decision" in service[2]


def test_a_windows_line_cut_short_gives_the_same_message_in_both_front_ends(
    tmp_path: Path, served: Served
) -> None:
    # The service used to keep the \r: its JSON error pointed one column further on.
    content = b'{"project": {"trl": 3}\r\n'
    cli, service = _cli(tmp_path, content), _service(served, content)
    assert cli[1]["error"] == [
        "not valid JSON: Expecting ',' delimiter: line 1 column 23 (char 22)"
    ]
    _same_line(cli[1], service[1], "cut short")


# ---- the shared reading, without a front end ---------------------------------------------


def test_line_content_drops_the_line_end_and_a_byte_order_mark_on_line_one_only() -> None:
    assert line_content(1, b"\xef\xbb\xbf{}\r\n") == b"{}"
    assert line_content(2, b"\xef\xbb\xbf{}\r") == b"\xef\xbb\xbf{}"
    assert line_content(3, b"{}") == b"{}"


def test_decide_line_gives_a_decision_or_the_case_error_never_raises() -> None:
    policy = kspolicy.load()
    good = decide_line(policy, 1, SMALL, as_of=AS_OF)
    assert isinstance(good, Decided) and good.case == {"project": {"trl": 3}}
    assert good.decision.to_dict() == policy.evaluate(good.case, as_of=AS_OF).to_dict()
    for raw, code in [(ARRAY, "KSP402"), (DEEP, "KSP407"), (b"{", "KSP401"), (b"NaN", "KSP401")]:
        bad = decide_line(policy, 7, raw)
        assert isinstance(bad, Rejected) and isinstance(bad.error, CaseError), raw
        assert [p.code.number for p in bad.error.problems] == [code], raw
        assert bad.number == 7
    # A case already read (a CSV row) is decided as it is.
    assert isinstance(decide_line(policy, 2, {"project": {"trl": 3}}), Decided)
    assert read_line(b'{"a": Infinity}').code.number == "KSP401"
