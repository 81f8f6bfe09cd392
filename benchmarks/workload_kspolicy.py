"""The peer benchmark's neutral workload (workload.py) written in the kspolicy language.

Rules become `rule` items over a schema for the workload's cases, its lists a TOML list
file; `load_policy` writes both into a folder and loads them with the parse cache off,
as the other engines compile from scratch. Used by peer_adapter.py (the benchmark's
adapter), bench_load.py and the tests that compare the fast path with the workload's
reference decisions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from workload import Cmp, Exists, Policy  # type: ignore[import-not-found]

import kspolicy

SCHEMA = """
record Project { topics: list of text  trl: int  dual_use: bool  classified: text }
record Partner { name: text  country: text  kind: text  military_ties: bool }
record Researcher { role: text  nationality: text  military_background: bool }
record Funder { country: text  kind: text  unusual_terms: bool }
schema {
  project: Project
  partners: list of Partner
  researchers: list of Researcher
  funders: list of Funder
}
decision { hit: scale no < yes }
"""


def _literal(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json.dumps(value)


def _condition(cond: Any) -> str:
    if isinstance(cond, Cmp):
        path = ".".join(cond.path)
        if cond.op == "==" and cond.value is True:
            return path
        if cond.op == "==" and cond.value is False:
            return f"not {path}"
        return f"{path} {cond.op} {_literal(cond.value)}"
    assert isinstance(cond, Exists)
    collection = ".".join(cond.coll)
    parts = []
    for pred in cond.preds:
        subject = "x" if pred.attr is None else f"x.{pred.attr}"
        if pred.op == "in":
            parts.append(f"{subject} in {pred.value}")
        elif pred.value is True:
            parts.append(subject)
        elif pred.value is False:
            parts.append(f"not {subject}")
        else:
            parts.append(f"{subject} == {_literal(pred.value)}")
    return f"(any x in {collection}: {' and '.join(parts)})"


def policy_source(policy: Policy) -> str:
    """The workload's policy in the kspolicy language."""
    lines = ['policy peer_benchmark version "1"', 'lists "lists.toml"', SCHEMA]
    for rule in policy.rules:
        when = " and ".join(_condition(c) for c in rule.conds)
        lines.append(
            f'rule {rule.id} cite "workload" when {when} then hit >= yes because "{rule.label}"'
        )
    return "\n".join(lines) + "\n"


def lists_source(policy: Policy) -> str:
    out = []
    for name in policy.used_lists():
        entries = json.dumps(list(policy.lists[name]))
        out.append(f'[{name}]\nkind = "codes"\nsource = "peer benchmark workload"\n'
                   f"retrieved = 2026-11-28\nentries = {entries}\n")  # fmt: skip
    return "\n".join(out)


def load_policy(policy: Policy, folder: Path) -> kspolicy.Policy:
    """Write the policy's files and load them cold: with the parse cache off, as the other
    engines compile from scratch on every load (benchmarks/bench_load.py times warm loads)."""
    (folder / "policy.pol").write_text(policy_source(policy), encoding="utf-8")
    (folder / "lists.toml").write_text(lists_source(policy), encoding="utf-8")
    before = os.environ.get("KSPOLICY_CACHE")
    os.environ["KSPOLICY_CACHE"] = "off"
    try:
        return kspolicy.load(folder, limits=kspolicy.Limits(max_rules=100_000))
    finally:
        if before is None:
            del os.environ["KSPOLICY_CACHE"]
        else:
            os.environ["KSPOLICY_CACHE"] = before
