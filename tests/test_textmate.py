"""The TextMate grammar (editors/vscode): made from the grammar's keywords, and checked
by vscode-textmate in node on every .pol file (every token scoped, every keyword a
keyword), when editors/vscode/node_modules is installed (`npm ci` there; .ci/run does)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from kspolicy.lsp import words

VSCODE = Path(__file__).resolve().parents[1] / "editors" / "vscode"
GRAMMAR = VSCODE / "syntaxes" / "kspolicy.tmLanguage.json"


def generated() -> str:
    spec = importlib.util.spec_from_file_location("generate", VSCODE / "syntaxes" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text: str = module.text()
    return text


def test_the_committed_textmate_grammar_is_made_from_the_grammars_keywords() -> None:
    # regenerate with `python editors/vscode/syntaxes/generate.py`
    assert GRAMMAR.read_text(encoding="utf-8") == generated()


def test_every_keyword_of_the_grammar_is_in_a_keyword_pattern() -> None:
    data = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    repository = data["repository"]
    patterns = repository["keyword"]["patterns"] + repository["literal"]["patterns"]
    covered = "\n".join(
        p["match"] for p in patterns if "keyword" in p["name"] or "constant.language" in p["name"]
    )
    for word in words.keywords():
        assert f"|{word}|" in covered.replace("(?:", "|").replace(")", "|"), word


@pytest.mark.skipif(
    shutil.which("node") is None or not (VSCODE / "node_modules" / "vscode-textmate").is_dir(),
    reason="node and editors/vscode/node_modules are needed (npm ci in editors/vscode)",
)
def test_the_textmate_grammar_scopes_every_token_of_every_policy_file() -> None:
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, "--test", "test/"], cwd=VSCODE, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "# pass 1" in done.stdout
