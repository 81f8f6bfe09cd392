"""Coverage-guided fuzzing of the parser, checker, lints and diagnostic rendering.

Most inputs are a policy file checked together with the knowledge-security pack's other
files and lists. The rest are built by `generators.py` into a policy folder of their own:
definitions that double or chain deep, long `and`/`or`/`not` chains, imports and list
globs that name anything at all; those are loaded and, when they load, evaluated. Every
outcome must be a checked policy (and its decisions) or diagnostics whose spans lie
inside their file; anything else (an exception, a span out of bounds) is a crash. Run
with `-timeout=10 -rss_limit_mb=1024` so that a hang or a blow-up is one too.
Each item's nodes and spans are also compared with those of Lark's own positions
(tests/test_parser_positions.py), and what Lark refuses must be a syntax error. See
README.md for how to run it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for `tests`

with atheris.instrument_imports():
    from tests.fuzz import generators
    from tests.test_parser_positions import assert_same_spans

    import kspolicy
    from kspolicy.lang.checker import Checker
    from kspolicy.lang.lints import lint
    from kspolicy.lang.loader import default_policy_path, read_policy
    from kspolicy.lang.parser import parse_module
    from kspolicy.render.diagnostics import render_diagnostics
    from kspolicy.span import Source

PACK = read_policy(default_policy_path())
OTHERS = [m for m in PACK.modules if m.name != "rules/topic.pol"]


def check_one(text: str) -> None:
    source = Source("fuzzed.pol", text)
    module, diagnostics = parse_module(source)
    checker = Checker([*OTHERS, module], PACK.lists)
    checked = checker.check(PACK.sha256, PACK.files)
    diagnostics += checker.diagnostics
    if checked is not None:
        diagnostics += lint(checked)
    for d in diagnostics:
        span = d.span
        assert 0 <= span.start <= span.end <= len(span.source.text), (d, span.start, span.end)
    render_diagnostics(diagnostics)
    assert_same_spans(text, "fuzzed.pol")


CASES: tuple[dict[str, Any], ...] = (
    {},
    {"project": {"shares_outside_eu": True, "dual_use": "listed", "topics": ["robotics"]}},
    {"partners": [{"name": "Harbin Institute of Technology", "country": "CN"}, {"name": "x"}]},
)


def load_one(folder: Path) -> None:
    """A generated policy folder: diagnostics inside their files, or decisions."""
    try:
        diagnostics = kspolicy.check(folder)
        for d in diagnostics:
            span = d.span
            assert 0 <= span.start <= span.end <= len(span.source.text), (d, span.start, span.end)
        render_diagnostics(diagnostics)
        try:
            policy = kspolicy.load(folder)
        except kspolicy.PolicyError as error:
            assert error.diagnostics, "a PolicyError must carry its diagnostics"
            return
        for case in CASES:
            try:
                policy.evaluate(case, as_of="2026-01-15").to_dict()
            except kspolicy.KspolicyError as error:
                assert str(error), "an error must say what is wrong"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


GENERATORS = (generators.definitions, generators.chains, generators.imports)


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    mode = provider.ConsumeIntInRange(0, 5)
    if mode < len(GENERATORS):
        load_one(GENERATORS[mode](provider))
    else:  # half the runs mutate the pack's own files
        check_one(provider.ConsumeUnicodeNoSurrogates(len(data)))


def seed(corpus: Path) -> None:
    """Start from the pack's own files: the fuzzer mutates real policies."""
    corpus.mkdir(parents=True, exist_ok=True)
    for path in default_policy_path().rglob("*.pol"):
        (corpus / path.name).write_bytes(path.read_bytes())


if __name__ == "__main__":
    corpora = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    # A file named instead is an input to run again (`fuzz_eval.py eval-crash-...`).
    if corpora and not corpora[0].is_file():
        seed(corpora[0])
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
