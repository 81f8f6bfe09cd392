"""Coverage-guided fuzzing of case input and evaluation against the knowledge-security pack.

Most inputs are read as a case file (JSON, or TOML when it is not JSON) and evaluated.
Every outcome must be a decision that round-trips through its JSON form, or a CaseError
with at least one problem; anything else is a crash. The rest become a CSV batch with
fuzzed headers (`generators.csv_batch`), read as `kspolicy eval --batch` reads it: a
CaseError for the whole file, or each line a case (decided, or a CaseError) or an
unreadable line in its place; nothing else may be raised. See README.md.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for `tests`

with atheris.instrument_imports():
    from tests.fuzz import generators

    import kspolicy
    from kspolicy import CaseError, Decision
    from kspolicy.tools.batch import Unreadable, read_batch

POLICY = kspolicy.load()
ROOT = Path(__file__).resolve().parents[2]
WORK = Path(tempfile.mkdtemp(prefix="kspolicy-fuzz-"))


def evaluate_one(data: bytes) -> None:
    suffix = ".json" if data.lstrip()[:1] in (b"{", b"[") else ".toml"
    path = WORK / f"case{suffix}"
    path.write_bytes(data)
    try:
        decision = POLICY.evaluate(path, as_of="2026-01-15")
    except CaseError as error:
        assert error.problems, "a CaseError must name its problems"
        return
    # The full form round-trips exactly; the compact one (the default) leaves texts out.
    assert Decision.from_dict(json.loads(decision.to_json("full"))) == decision


def batch_one(provider: atheris.FuzzedDataProvider) -> None:
    # The pack is loaded once (POLICY), not for every file as the CLI would: loading it
    # again and again made the fuzzer itself the bottleneck.
    path = generators.csv_batch(provider)
    try:
        for _, case in read_batch(path):
            if isinstance(case, Unreadable):
                assert case.message, "an unreadable line must say why"
                continue
            try:
                POLICY.evaluate(case, as_of="2026-01-15").to_json()
            except CaseError as error:
                assert error.problems, "a CaseError must name its problems"
    except CaseError as error:
        assert error.problems, "a CaseError must name its problems"
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


def test_one_input(data: bytes) -> None:
    if data[:1] == b"\x00":  # one run in 256 or so: a batch with fuzzed CSV headers
        batch_one(atheris.FuzzedDataProvider(data[1:]))
    else:
        evaluate_one(data)


def seed(corpus: Path) -> None:
    """Start from the guideline's scenarios, as TOML and as JSON."""
    corpus.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "examples" / "cases").glob("*.toml"):
        (corpus / path.name).write_bytes(path.read_bytes())
        data = kspolicy.Policy.read_case(POLICY, path)[0]
        (corpus / f"{path.stem}.json").write_text(json.dumps(data, default=str))


if __name__ == "__main__":
    corpora = [Path(a) for a in sys.argv[1:] if not a.startswith("-")]
    # A file named instead is an input to run again (`fuzz_eval.py eval-crash-...`).
    if corpora and not corpora[0].is_file():
        seed(corpora[0])
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
