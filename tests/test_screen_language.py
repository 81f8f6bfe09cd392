"""`matches` follows the screening bands; stale lists and uncovered countries are unknown;
adjudications settle possible matches; the fast path and the traced path agree.

docs/screening.md, sections "In the language", "Freshness and coverage", "Adjudication".
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

import kspolicy
from kspolicy.eval import screen as screen_module
from kspolicy.eval.fastpath import FastPath
from kspolicy.screening import ScreeningUnavailable
from kspolicy.tools import audit
from kspolicy.tools import screen as screen_tool
from kspolicy.tools.cli import main
from tests.oracle import Oracle

POLICY = """\
policy screening_test version "1"
lists "lists/*.toml"

record Partner named by name {
  name: text
  country: text
  sanctions: list of text
}
schema {
  partners: list of Partner as partner
}

decision {
  verdict: scale clear < review < prohibited
}

rule listed_partner
  when partner.name matches LISTED
  then verdict >= prohibited
"""

LISTED = """\
[LISTED]
kind = "entities"
source = "test"
retrieved = 2026-01-01
{extra}
entries = [
  {{ name = "Harbin Institute of Technology", weak_aliases = ["HIT"], country = "CN" }},
  {{ name = "Acme Rockets", country = "RU" }},
]
"""


def make_policy(tmp_path: Path, extra: str = "", more: str = "") -> kspolicy.Policy:
    (tmp_path / "lists").mkdir(exist_ok=True)
    (tmp_path / "policy.pol").write_text(POLICY)
    (tmp_path / "lists" / "listed.toml").write_text(LISTED.format(extra=extra) + more)
    return kspolicy.load(tmp_path / "policy.pol")


def decide(policy: kspolicy.Policy, name: str, country: str | None = None, **kw: Any) -> Any:
    partner: dict[str, Any] = {"name": name}
    if country:
        partner["country"] = country
    return policy.evaluate({"partners": [partner]}, **kw)


def both_runners_agree(policy: kspolicy.Policy, case: dict[str, Any], day: str) -> str:
    """The status of `listed_partner` from the fast path, the traced path and the oracle."""
    as_of = dt.date.fromisoformat(day)
    statuses = policy.rule_statuses(case, as_of=day)
    fast = {**dict.fromkeys(statuses.fired, "fired"), **dict.fromkeys(statuses.pending, "pending")}
    traced = policy.evaluate(case, as_of=day, explain=True)
    status = {r.rule: r.result for r in traced.trace if r.result in ("fired", "pending")}
    oracle = Oracle(policy.checked, case, as_of).statuses()
    found = {rule: s for (rule, _), s in oracle.items()}
    assert fast.get("listed_partner", "silent") == status.get("listed_partner", "silent")
    assert found.get("listed_partner", "silent") == status.get("listed_partner", "silent")
    return status.get("listed_partner", "silent")


def test_match_is_true_none_is_false_possible_is_unknown(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    campus = decide(policy, "Harbin Institute of Technology, Shenzhen", "CN")
    assert [r.rule for r in campus.fired] == ["listed_partner"]
    hit = campus.fired[0].matched[0]
    assert (hit.list, hit.entry, hit.band, hit.rule) == (
        "LISTED",
        "Harbin Institute of Technology",
        "match",
        "part-of",
    )
    assert hit.entry_sha256 is not None and len(hit.entry_sha256) == 64
    assert decide(policy, "Ghent University", "BE").fired == []
    assert decide(policy, "Ghent University", "BE").pending == []
    unsure = decide(policy, "HIT")
    assert [r.rule for r in unsure.pending] == ["listed_partner"]


def test_possible_yields_an_open_question_with_the_evidence(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    decision = decide(policy, "HIT")
    (question,) = decision.open_questions
    assert question.fact == "partners[0].name matches LISTED"
    assert question.question.startswith(
        "Is HIT the entity Harbin Institute of Technology on LISTED? score 0.87"
    )
    assert "weak alias HIT" in question.question
    (hit,) = decision.pending[0].matched
    data = decision.to_dict("full")["pending"][0]["matched"][0]
    assert data["band"] == "possible" and data["score"] == hit.score
    assert data["source"] == "test" and data["entry_sha256"] == hit.entry_sha256
    assert kspolicy.Decision.from_dict(decision.to_dict("full")) == decision


def test_codes_found_in_lists_keep_their_json(tmp_path: Path) -> None:
    """A code found in a codes list has no screening fields in its JSON."""
    pack = kspolicy.load()
    decision = pack.evaluate({"partners": [{"country": "CN"}]})
    found = [m for r in decision.to_dict("full")["fired"] for m in r["matched"]]
    assert found and all(set(m) == {"list", "entry", "fact", "value", "alias"} for m in found)


def test_an_abbreviation_counts_only_where_the_countries_agree(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    assert [r.rule for r in decide(policy, "HIT", "CN").fired] == ["listed_partner"]
    india = decide(policy, "HIT", "IN")
    assert india.fired == [] and india.pending == []


def test_a_country_never_lowers_a_full_name_match(tmp_path: Path) -> None:
    """DOMAIN principle 1: a (risk) country added to a case never lowers an outcome."""
    policy = make_policy(tmp_path)
    for country in (None, "CN", "IR", "FR"):
        decision = decide(policy, "Harbin Institute of Technology", country)
        assert [r.rule for r in decision.fired] == ["listed_partner"], country


def test_a_stale_list_gives_unknown_not_clean(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, 'max_age = "30d"')
    fresh = decide(policy, "Ghent University", "BE", as_of="2026-01-15")
    assert fresh.pending == [] and fresh.fired == []
    stale = decide(policy, "Ghent University", "BE", as_of="2026-03-01")
    assert [r.rule for r in stale.pending] == ["listed_partner"]
    (question,) = stale.open_questions
    assert "out of date on 2026-03-01" in question.question
    (record,) = stale.pending[0].matched
    assert record.band == "uncovered" and record.entry == ""
    # a name found is found, even on a stale list
    found = decide(policy, "Acme Rockets", "RU", as_of="2026-03-01")
    assert [r.rule for r in found.fired] == ["listed_partner"]


def test_a_name_from_a_country_the_list_does_not_cover_is_unknown(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, 'covers = ["RU", "CN"]')
    assert decide(policy, "Some Institute", "RU").pending == []
    outside = decide(policy, "Some Institute", "FR")
    assert [r.rule for r in outside.pending] == ["listed_partner"]
    assert "covers names from CN, RU only, not from FR" in outside.open_questions[0].question
    unknown = decide(policy, "Some Institute")
    assert [q.fact for q in unknown.open_questions] == ["partners[0].country"]


def test_exact_lists_keep_exact_folding(tmp_path: Path) -> None:
    policy = make_policy(tmp_path, 'matching = "exact"')
    assert decide(policy, "harbin institute of technology").fired
    assert not decide(policy, "Harbin Institute of Technology, Shenzhen").fired
    assert not decide(policy, "HIT").pending  # a weak alias never matches on its own


def test_without_the_screening_extra_lists_fall_back_to_exact_folding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise ScreeningUnavailable("rapidfuzz is missing: pip install 'kspolicy[screening]'")

    monkeypatch.setattr(screen_module, "Roster", missing)  # a short list's comparisons
    policy = make_policy(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decision = decide(policy, "Harbin Institute of Technology")
        campus = decide(policy, "Harbin Institute of Technology, Shenzhen")
    assert decision.fired and decision.fired[0].matched[0].rule == "exact-folding"
    assert not campus.fired and not campus.pending
    assert any(issubclass(w.category, screen_module.ScreeningFallback) for w in caught)
    assert "pip install" in str(caught[0].message)


@pytest.mark.parametrize(
    ("name", "country", "extra", "day"),
    [
        ("Harbin Institute of Technology, Shenzhen", "CN", "", "2026-02-01"),
        ("HIT", None, "", "2026-02-01"),
        ("HIT", "IN", "", "2026-02-01"),
        ("Ghent University", "BE", 'max_age = "30d"', "2026-03-01"),
        ("Some Institute", "FR", 'covers = ["RU"]', "2026-02-01"),
        ("Some Institute", None, 'covers = ["RU"]', "2026-02-01"),
    ],
)
def test_fast_path_traced_path_and_oracle_agree(
    tmp_path: Path, name: str, country: str | None, extra: str, day: str
) -> None:
    policy = make_policy(tmp_path, extra)
    partner = {"name": name, **({"country": country} if country else {})}
    both_runners_agree(policy, {"partners": [partner]}, day)


def test_no_name_of_a_case_reaches_generated_code(tmp_path: Path) -> None:
    """The fast path passes names to the screener at run time: the code holds none."""
    policy = make_policy(tmp_path)
    name = "'); import os; os.system('echo pwned') #\" {} \\ \n Harbin"
    both_runners_agree(policy, {"partners": [{"name": name, "country": "CN"}]}, "2026-02-01")
    runner = policy._program.runner
    assert isinstance(runner, FastPath)
    sources = "\n".join(runner.sources[day] for day in runner.sources)
    assert "pwned" not in sources and "Harbin" not in sources


# ---- adjudication -------------------------------------------------------------------


def test_a_dismissal_stops_holding_when_the_entry_changes(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    log = tmp_path / "audit.jsonl"
    answer = screen_tool.review(
        policy,
        list_name="LISTED",
        name="HIT",
        ruling="dismissed",
        by="j.doe",
        why="Hitachi, not the institute",
        audit_log=log,
        now=dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC),
    )
    assert answer.entry == "Harbin Institute of Technology"
    reloaded = kspolicy.load(tmp_path / "policy.pol")
    assert reloaded.sha256 != policy.sha256  # the answer is part of the policy's data
    assert decide(reloaded, "HIT").pending == []  # possible -> false
    # the entry gains an alias: the dismissal no longer holds
    listed = tmp_path / "lists" / "listed.toml"
    listed.write_text(
        listed.read_text().replace('weak_aliases = ["HIT"]', 'weak_aliases = ["HIT", "HGD"]')
    )
    changed = kspolicy.load(tmp_path / "policy.pol")
    decision = decide(changed, "HIT")
    assert [r.rule for r in decision.pending] == ["listed_partner"]
    assert "no longer holds" in (decision.pending[0].matched[0].adjudication or "")
    # the audit log holds the answer, intact, and replay passes it by
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert record["type"] == "adjudication" and record["adjudication"]["by"] == "j.doe"
    assert audit.verify(log).ok
    assert audit.replay(log, changed).problems == ()


def test_a_confirmation_makes_a_possible_match_true(tmp_path: Path) -> None:
    policy = make_policy(tmp_path)
    screen_tool.review(
        policy, list_name="LISTED", name="HIT", ruling="confirmed", by="a", why="their website"
    )
    reloaded = kspolicy.load(tmp_path / "policy.pol")
    decision = decide(reloaded, "HIT")
    assert [r.rule for r in decision.fired] == ["listed_partner"]
    assert "confirmed by a" in (decision.fired[0].matched[0].adjudication or "")
    both_runners_agree(reloaded, {"partners": [{"name": "HIT"}]}, "2026-02-01")


def test_a_wrong_adjudications_file_is_a_policy_error(tmp_path: Path) -> None:
    more = textwrap.dedent(
        """
        [ANSWERS]
        kind = "adjudications"
        source = "kspolicy screen review"
        retrieved = 2026-01-01
        entries = [{ list = "LISTED", name = "HIT", ruling = "maybe" }]
        """
    )
    with pytest.raises(kspolicy.PolicyError, match="has no `entry`"):
        make_policy(tmp_path, more=more)


def test_screen_command_and_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_policy(tmp_path)
    folder = str(tmp_path / "policy.pol")
    assert main(["screen", "HIT", "--country", "IN", "--policy", folder]) == 0
    assert capsys.readouterr().out == "HIT: LISTED: none\n"
    batch = tmp_path / "names.jsonl"
    batch.write_text('{"name": "HIT"}\n{"name": "Acme Rockets", "country": "RU"}\n')
    assert main(["screen", "--batch", str(batch), "--policy", folder, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["answer"] for line in lines] == ["possible", "match"]
    # Arguments missing: argparse's errors (tests/test_screen_cli.py has more).
    with pytest.raises(SystemExit, match="2"):
        main(["screen", "--policy", folder])
    assert "required: NAME" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="2"):
        main(["screen", "review", "HIT", "--list", "LISTED", "--policy", folder])
    assert "required: --by, --why" in capsys.readouterr().err
    assert main(["screen", "HIT", "--list", "LISTS", "--policy", folder]) == 2
    assert "did you mean" in capsys.readouterr().err.lower()
