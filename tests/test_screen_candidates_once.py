"""A name screened with a country names each list entry once among its candidates: an
entry that matched whatever the country and also with it was counted twice
(eval/screen.py `Screener._candidates`; the answer was the same, the work double)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kspolicy.eval.screen import screener

from .test_screen_language import make_policy


def test_a_full_name_with_its_country_is_one_candidate(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    named = policy.checked.lists["LISTED"]
    screening = screener(policy.checked, named, dt.date(2026, 1, 15))
    found = screening._candidates("Harbin Institute of Technology", "CN")
    entries = [entry.key for entry, _ in found]
    assert entries.count("Harbin Institute of Technology") == 1
    assert len(entries) == len(set(entries))
    [(_, match)] = [(e, m) for e, m in found if e.key == "Harbin Institute of Technology"]
    assert match.band == "match"
    assert screening.screen("Harbin Institute of Technology", "CN").value is True
