"""`eval --batch` writes the compact form straight from what the rules found
(`tools.caseline.compact_line`): the lines are those `evaluate(...).to_dict()` gives."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import kspolicy
from kspolicy.tools.cli import main

from .conftest import ROOT

CASES = sorted((ROOT / "examples" / "cases").glob("*.toml"))


def _read(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _batch(tmp_path: Path, extra: list[str]) -> list[dict[str, Any]]:
    lines = [json.dumps(_read(path), default=str) for path in CASES]
    lines.insert(3, '{"project": {"trl": "high"}}')  # a case that does not fit
    lines.insert(5, "[1, 2]")  # a line that holds no case
    source = tmp_path / "cases.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["eval", "--batch", str(source), "--out", str(out), *extra]) in (0, 1)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_batch_lines_written_straight_are_the_decisions_compact_form(tmp_path: Path) -> None:
    pack = kspolicy.load()
    for lang in ("en", "nl"):
        got = _batch(tmp_path, ["--lang", lang, "--as-of", "2026-06-01"])
        decided = [line for line in got if "decision" in line]
        assert len(decided) == len(CASES) and len(got) == len(CASES) + 2
        for line, path in zip(decided, CASES, strict=True):
            case = json.loads(json.dumps(_read(path), default=str))  # as the line holds it
            expected = pack.evaluate(case, as_of="2026-06-01", lang=lang).to_dict()
            assert line["decision"] == expected, path.name
        assert [line["codes"] for line in got if "error" in line] == [["KSP402"], ["KSP402"]]


def test_fields_pick_from_the_line_written_straight(tmp_path: Path) -> None:
    got = _batch(tmp_path, ["--fields", "outcomes", "--as-of", "2026-06-01"])
    decided = [line["decision"] for line in got if "decision" in line]
    assert decided and all(set(d) == {"outcomes"} for d in decided)
