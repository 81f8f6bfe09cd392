"""kspolicy in the peer benchmark (../shared/bench): the neutral workload as a kspolicy policy.

    PYTHONPATH=benchmarks python ../shared/bench/peers.py --extra peer_adapter

The adapter writes the workload's rules in the kspolicy language (with a schema for its
cases and a list file for its lists), loads that policy once, and decides each case with
`Policy.rule_statuses(case, check_case=False)`: the benchmark's cases are trusted data,
as they are for every other engine, which check nothing either. Fired rules are mapped
back to the workload's labels.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import adapters  # type: ignore[import-not-found]  # from the peer benchmark's folder
from workload import Policy  # type: ignore[import-not-found]
from workload_kspolicy import load_policy  # type: ignore[import-not-found]


class KsPolicy(adapters.Adapter):  # type: ignore[misc]
    name = "kspolicy"
    dist = "kspolicy"
    impl = "pure Python (compiled to shared three-valued conditions)"
    modules = ("kspolicy",)
    notes = ("The workload as a kspolicy policy (generated .pol text and a TOML list "
             "file, parsed and checked on every load, the parse cache off); each decision is "
             "Policy.rule_statuses(case, check_case=False): the case is trusted, as for "
             "the other engines; three-valued logic, every distinct condition once per "
             "case.")  # fmt: skip

    def load(self, policy: Policy) -> Any:
        folder = Path(tempfile.mkdtemp(prefix="kspolicy-bench-"))
        loaded = load_policy(policy, folder)
        label_of = {rule.id: rule.label for rule in policy.rules}.__getitem__
        statuses = loaded.rule_statuses

        def decide(case: dict[str, Any]) -> set[str]:
            return set(map(label_of, statuses(case, check_case=False).fired))

        return decide


ADAPTERS = [KsPolicy()]
