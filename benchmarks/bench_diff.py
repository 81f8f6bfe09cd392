"""`kspolicy diff` on a generated corpus of 10,000 cases (issue 19: under a minute).

Run by hand: `python benchmarks/bench_diff.py [N]`. It writes N random cases of the pack's
schema (seeded, so runs compare) to a batch file, makes an edited copy of the pack (a
threshold moved), and times `diff` of the pack against the copy over the batch.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import kspolicy
from kspolicy.lang.schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    Type,
)
from kspolicy.tools import diff

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "policies" / "knowledge-security"


def value(rng: random.Random, type_: Type) -> Any:
    """A random value of a type; a record leaves each field out (unknown) at random."""
    if isinstance(type_, BoolType):
        return rng.random() < 0.3
    if isinstance(type_, IntType):
        return rng.randint(type_.low or 0, type_.high or 10)
    if isinstance(type_, NumberType):
        return round(rng.uniform(0, 10), 2)
    if isinstance(type_, DateType):
        return f"20{rng.randint(10, 29)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    if isinstance(type_, EnumType):
        return rng.choice(type_.codes)
    if isinstance(type_, ListType):
        return [value(rng, type_.element) for _ in range(rng.randint(0, 2))]
    if isinstance(type_, RecordType):
        return {
            name: value(rng, field.type)
            for name, field in type_.fields.items()
            if rng.random() < 0.6
        }
    return rng.choice(["Example University", "Harbin Institute of Technology", "ACME"])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    pack = kspolicy.load(PACK)
    rng = random.Random(19)
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "cases.jsonl"
        with corpus.open("w", encoding="utf-8") as out:
            for _ in range(count):
                out.write(json.dumps(value(rng, pack.schema.root)) + "\n")
        edited = Path(folder) / "edited"
        shutil.copytree(PACK, edited)
        topic = edited / "rules" / "topic.pol"
        text = topic.read_text(encoding="utf-8")
        topic.write_text(text.replace("trl >= 3 and", "trl >= 5 and"), encoding="utf-8")
        new = kspolicy.load(edited)
        start = time.perf_counter()
        report = diff.diff(pack, new, diff.corpus(corpus), as_of="2026-01-15")
        took = time.perf_counter() - start
    print(
        f"{report.cases} cases in {took:.1f} s: {len(report.changed)} decided differently, "
        f"{len(report.unread)} not read; rules {report.rules}"
    )


if __name__ == "__main__":
    main()
