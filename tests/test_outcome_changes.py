"""`reassess.outcome_changes`: the one comparison of two decisions' outcomes, public
since `kspolicy diff` uses it as well as `kspolicy reassess`."""

from __future__ import annotations

import kspolicy
from kspolicy.tools import diff, reassess
from kspolicy.tools.reassess import OutcomeChange, outcome_changes


def test_diff_and_reassess_share_one_public_comparison() -> None:
    assert vars(diff)["outcome_changes"] is reassess.outcome_changes
    assert not hasattr(reassess, "_outcome_changes")


def test_outcome_changes_say_how_scales_moved_and_what_sets_gained() -> None:
    pack = kspolicy.load()
    then = {"verdict": "notify", "risk": "high", "checks": ["a", "b"], "gone": "x"}
    now = {"verdict": "review", "risk": "low", "checks": ["b", "c"], "new": "y"}
    assert outcome_changes(pack, then, now) == [
        OutcomeChange("verdict", "notify", "review", "up"),
        OutcomeChange("risk", "high", "low", "down"),
        OutcomeChange("checks", ["a", "b"], ["b", "c"], None, ("c",), ("a",)),
        OutcomeChange("gone", "x", None, "changed"),
        OutcomeChange("new", None, "y", "changed"),
    ]
    assert outcome_changes(pack, then, dict(then)) == []
