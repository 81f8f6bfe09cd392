"""Issue 13, the rest: a headline that never claims more than is known (point 2), the
sources a check is carried out with (point 7), running projects reassessed (point 8),
and the engine's words in Dutch (point 11)."""

from __future__ import annotations

import io
import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w

import kspolicy
from kspolicy.diagnostics import KSP215, KSP222, KspolicyError
from kspolicy.eval.decision import Decision
from kspolicy.lang.formatter import format_source
from kspolicy.lang.listfile import read_list_file
from kspolicy.lang.loader import default_policy_path
from kspolicy.render.document import to_html, to_markdown, to_text
from kspolicy.render.explain import explain
from kspolicy.render.text import render_decision
from kspolicy.span import Source
from kspolicy.tools import reassess
from kspolicy.tools.cli import main

from .conftest import ROOT

CASES = ROOT / "examples" / "cases"
DRONES = CASES / "drone-technology-with-chinese-university.toml"
RUSSIAN = CASES / "co-supervising-phd-at-sanctioned-russian-university.toml"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def explained(pack: kspolicy.Policy, case: Path | dict[str, object], lang: str) -> str:
    facts, _ = pack.read_case(case)
    decision = pack.evaluate(case, lang=lang)
    return to_text(explain(pack.checked, decision, case=facts))


# ---- point 2: the headline ----------------------------------------------------------


def test_an_empty_case_is_clear_only_so_far(pack: kspolicy.Policy) -> None:
    """The issue's reproducer: an empty case read "clear — No reporting duty"."""
    decision = pack.evaluate({}, as_of="2026-01-15")
    headline = decision.headline
    assert headline is not None and headline.outcome == "verdict" and headline.value == "clear"
    assert headline.provisional and headline.could_become == "prohibited"
    count = len(headline.questions)
    assert count > 1 and set(headline.questions) <= {q.fact for q in decision.open_questions}
    text = render_decision(decision, pack.checked.messages, pack.checked)
    clear = "no reporting duty: carry out the checks listed, if any"
    prohibited = "a legal or institutional bar applies"
    phrase = (
        f"Provisional decision: {clear}. {count} open questions could still change this to: "
        f"{prohibited}."
    )
    assert f"verdict: clear\n    {phrase}\n" in text
    heading = explained(pack, {}, "en").splitlines()[0]
    # "Provisional" first, and never the final form "Decision: No reporting duty".
    assert heading == phrase
    dutch = pack.evaluate({}, as_of="2026-01-15", lang="nl")
    shown = render_decision(dutch, pack.checked.messages, pack.checked)
    assert (
        f"Voorlopige beslissing: geen meldingsplicht: voer de vermelde controles uit, als die "
        f"er zijn. {count} open vragen kunnen dit nog veranderen in: een wettelijke of "
        f"institutionele beperking geldt."
    ) in shown


def test_the_drone_headline_says_what_could_raise_it_in_every_renderer(
    pack: kspolicy.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    decision = pack.evaluate(DRONES, lang="nl")
    assert decision.headline is not None and decision.headline.could_become == "review"
    count = len(decision.headline.questions)
    phrase = (
        f"Voorlopige beslissing: meld het project bij het contactpunt; er volgen controles. "
        f"{count} open vragen kunnen dit nog veranderen in: dien een aanvraag in bij de "
        f"bevoegde commissie."
    )
    facts, _ = pack.read_case(DRONES)
    blocks = explain(pack.checked, decision, case=facts)
    for rendered in (to_text(blocks), to_markdown(blocks), to_html(blocks, "t", "nl")):
        assert phrase in rendered
    assert "Oordeel: notify (voorlopig)" in to_text(blocks)
    out = tmp_path / "d.html"
    argv = ["explain", str(DRONES), "--lang", "nl", "--format", "html", "--out", str(out)]
    assert main(argv) == 0
    assert f"<title>knowledge_security: {phrase}</title>" in out.read_text(encoding="utf-8")
    assert main(["eval", str(DRONES)]) == 0
    assert (
        f"verdict: notify\n    Provisional decision: tell the contact point; checks follow. "
        f"{count} open questions could still change this to: apply to the competent committee."
    ) in capsys.readouterr().out


def test_a_headline_nothing_can_raise_is_shown_as_it_is(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(RUSSIAN)
    assert decision.outcomes["verdict"] == "prohibited"
    assert decision.headline is not None and not decision.headline.provisional
    assert decision.headline.questions == [] and decision.headline.could_become is None
    heading = explained(pack, RUSSIAN, "en").splitlines()[0]
    # By its label only: the code is in the outcomes' details and the JSON.
    assert heading == "Decision: A legal or institutional bar applies"
    assert "Provisional" not in render_decision(decision, pack.checked.messages, pack.checked)


def test_the_headline_and_sources_are_additive_json_fields(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(DRONES)
    data = decision.to_dict(detail="full")
    assert data["headline"]["provisional"] is True and data["headline"]["outcome"] == "verdict"
    assert Decision.from_dict(data) == decision
    older = {k: v for k, v in data.items() if k not in ("headline", "sources")}
    read = Decision.from_dict(older)  # a decision saved before the fields existed
    assert read.headline is None and read.sources == {}


def test_ask_ends_with_a_headline_that_says_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.toml"
    case.write_text(DRONES.read_text())
    monkeypatch.setattr("sys.stdin", io.StringIO("q\n"))
    assert main(["ask", str(case), "--lang", "nl"]) == 0
    assert (
        "verdict: notify\n    Voorlopige beslissing: meld het project bij het contactpunt; "
        "er volgen controles." in capsys.readouterr().out
    )


def test_a_third_language_lacking_the_headline_words_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(default_policy_path(), pack)
    policy = pack / "policy.pol"
    policy.write_text(policy.read_text().replace("languages en, nl", "languages en, nl, fr"))
    english = tomllib.loads(
        (ROOT / "src" / "kspolicy" / "lang" / "messages" / "en.toml").read_text()
    )
    del english["headline"]
    (pack / "messages").mkdir()
    (pack / "messages" / "fr.toml").write_text(tomli_w.dumps(english), encoding="utf-8")
    found = [d for d in kspolicy.check(pack) if d.code is KSP222]
    assert found and "headline.so_far" in found[0].message


# ---- point 7: sources ---------------------------------------------------------------


def test_checks_carry_their_sources_with_what_to_look_for(pack: kspolicy.Policy) -> None:
    decision = pack.evaluate(DRONES, lang="nl")
    sources = decision.sources["checks"]
    assert set(sources) <= set(decision.outcomes["checks"]) | set(decision.possible["checks"])
    background = {s["key"]: s for s in sources["partner_background"]}
    assert {"aspi_unitracker", "canada_nro", "iran_watch"} <= set(background)
    aspi = background["aspi_unitracker"]
    assert aspi["url"] == "https://unitracker.aspi.org.au"
    assert "defensietechnologie" in aspi["look_for"]  # in the decision's language
    assert [s["key"] for s in sources["sanctions_screening"]] == ["opensanctions"]
    assert "scholars_at_risk" in {s["key"] for s in sources["human_rights_check"]}  # possible


@pytest.mark.parametrize(
    ("day", "paywall"), [("2025-07-15", False), ("2025-08-01", True), ("2027-01-01", True)]
)
def test_the_aspi_tracker_is_behind_a_paywall_from_august_2025(
    pack: kspolicy.Policy, day: str, paywall: bool
) -> None:
    decision = pack.evaluate(DRONES, as_of=day)
    aspi = [s for s in decision.sources["checks"]["partner_background"] if "aspi_unit" in s["key"]]
    assert len(aspi) == 1
    assert ("paywall" in aspi[0].get("access", "")) is paywall
    if paywall:
        assert "end of 2026" in aspi[0]["access"]


def test_an_officer_updates_a_source_without_touching_a_rule(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(default_policy_path(), pack)
    sources = pack / "lists" / "sources.toml"
    text = sources.read_text(encoding="utf-8")
    sources.write_text(
        text.replace("https://www.iranwatch.org/iranian-entities", "https://x.example")
    )
    rules = sorted((pack / "rules").glob("*.pol"))
    assert all(
        r.read_bytes() == (default_policy_path() / "rules" / r.name).read_bytes() for r in rules
    )
    decision = kspolicy.load(pack).evaluate(DRONES)
    iran = [s for s in decision.sources["checks"]["partner_background"] if s["key"] == "iran_watch"]
    assert iran[0]["url"] == "https://x.example"


def test_sources_are_shown_under_their_check(pack: kspolicy.Policy) -> None:
    text = explained(pack, DRONES, "en")
    check = text.index("partner_background — ")
    assert text.index("look in: ASPI China Defence Universities Tracker", check) < text.index(
        "annex_i_classification — ", check
    )
    assert "look for: whether a Chinese university" in text


# ---- point 8: running projects ------------------------------------------------------


def sanctioned_now(tmp_path: Path) -> Path:
    case = tomllib.loads(DRONES.read_text())
    case["partners"][0]["sanctions"] = ["EU"]
    path = tmp_path / "now.toml"
    path.write_text(tomli_w.dumps(case))
    return path


def test_reassess_a_partner_newly_under_sanctions_points_to_ending(
    pack: kspolicy.Policy, tmp_path: Path
) -> None:
    """A running drone project whose partner came under EU sanctions: the verdict rose
    to prohibited, and the reassessment points to ending the collaboration."""
    before = pack.evaluate(DRONES).to_dict()
    result = reassess.reassess(pack, before, sanctioned_now(tmp_path))
    moves = {c.outcome: c for c in result.outcomes}
    assert (moves["verdict"].before, moves["verdict"].after) == ("notify", "prohibited")
    assert moves["verdict"].direction == "up" and moves["risk"].direction == "up"
    assert moves["restrictions"].added == ("sanctioned_party",)
    assert result.started == ("partner_under_binding_sanctions",) and result.stopped == ()
    assert [(f.fact, f.before, f.after) for f in result.facts] == [
        ("partners[0].sanctions", None, ["EU"]),  # read whole since screening (issue 14)
        ("partners[0].sanctions[0]", None, "EU"),
    ]
    assert result.ending and "mitigation.stop" in result.ending_cites
    text = reassess.render(result, pack.checked.messages, pack.checked)
    assert "verdict: notify -> prohibited (up)" in text
    assert "Verdict rose to prohibited" in text and "collaboration can be ended" in text


def test_reassess_a_fall_names_the_rules_that_stopped_and_does_not_point_to_ending(
    pack: kspolicy.Policy, tmp_path: Path
) -> None:
    before = pack.evaluate(sanctioned_now(tmp_path)).to_dict()
    result = reassess.reassess(pack, before, DRONES)
    verdict = next(c for c in result.outcomes if c.outcome == "verdict")
    assert verdict.direction == "down" and not result.ending
    assert result.stopped == ("partner_under_binding_sanctions",)


def test_reassess_unchanged_says_so(pack: kspolicy.Policy) -> None:
    result = reassess.reassess(pack, pack.evaluate(DRONES, lang="nl").to_dict(), DRONES)
    assert not result.changed
    assert reassess.render(result, pack.checked.messages) == (
        "Er veranderde niets sinds de vastgelegde beslissing.\n"
    )


def test_reassess_from_an_audit_log_compares_the_cases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "audit.jsonl"
    project = tmp_path / "project.toml"
    project.write_text(DRONES.read_text().replace('programme = "BOF"', 'programme = "FWO"'))
    assert main(["eval", str(DRONES), "--record", str(log)]) == 0
    assert main(["eval", str(project), "--record", str(log), "--lang", "nl"]) == 0
    capsys.readouterr()
    now = sanctioned_now(tmp_path)
    assert main(["reassess", str(log), str(now), "--line", "1"]) == 0
    out = capsys.readouterr().out
    assert "partners[0].sanctions: unknown -> [EU]" not in out  # a list of codes is one fact
    assert "partners[0].sanctions: [] -> [EU]" in out
    assert "verdict: notify -> prohibited (up)" in out and "mitigation.stop" in out
    assert main(["reassess", str(log), str(now)]) == 0  # the last record: nl, FWO
    out = capsys.readouterr().out
    assert "project.programme: FWO -> BOF" in out and "Oordeel steeg naar prohibited" in out


def test_reassess_refuses_a_record_after_an_altered_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "audit.jsonl"
    assert main(["eval", str(DRONES), "--record", str(log)]) == 0
    assert main(["eval", str(DRONES), "--record", str(log)]) == 0
    lines = log.read_text().splitlines()
    lines[0] = lines[0].replace('"notify"', '"clear"', 1)
    log.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert main(["reassess", str(log), str(DRONES)]) == 2
    assert "not intact" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [("not json", "not JSON"), ("[1]", "not a decision or a record"), ("{}", "no `outcomes`")],
)
def test_reassess_bad_input_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    before = tmp_path / "before.json"
    before.write_text(text)
    assert main(["reassess", str(before), str(DRONES)]) == 2
    assert message in capsys.readouterr().err
    with pytest.raises(KspolicyError):
        reassess.read_recorded(before, line=3)


# ---- point 11: the engine's words in Dutch ------------------------------------------


def test_dutch_output_names_records_lists_and_fields_in_dutch(pack: kspolicy.Policy) -> None:
    text = explained(pack, DRONES, "nl")
    assert "Verplichtingen kunnen worden aangevuld met:" in text  # plural: a set
    assert "Verplichtingen kan worden" not in text and "Oordeel kan worden: review" in text
    assert "gevonden in De tien kritieke technologiedomeinen: robotics" in text
    assert "CRITICAL_TECH" not in text and "RISK_COUNTRIES" not in text
    assert "- e-mail: researchsecurity@uantwerpen.be" in text and "- email:" not in text
    case = tomllib.loads(DRONES.read_text())
    case["researchers"] = [{"home_institution": "Harbin Institute of Technology"}]
    assert "onderzoeker 1 (Harbin Institute of Technology)" in explained(pack, case, "nl")
    shown = render_decision(pack.evaluate(case, lang="nl"), pack.checked.messages, pack.checked)
    assert "(onderzoeker 1)" in shown and "(researcher 1)" not in shown
    assert "telefoon: +32 3 265 90 63" in shown


def test_every_list_of_the_pack_has_a_dutch_title(pack: kspolicy.Policy) -> None:
    for named in pack.checked.lists.values():
        assert named.titles.get("nl") and named.titles.get("en"), named.name
        assert named.title_in("nl") != named.name


def test_a_list_title_is_a_text_or_texts_by_language() -> None:
    text = (
        '[A]\nkind = "codes"\nsource = "s"\nretrieved = 2025-06-01\ntitle = "Old"\n'
        'entries = ["x"]\n'
        '[B]\nkind = "records"\nsource = "s"\nretrieved = 2025-06-01\n'
        'title = { en = "New", nl = "Nieuw" }\nlabels = { email = { nl = "e-mail" } }\n'
        'entries = [{ key = "k", email = "a@b", note2 = { en = "x", nl = "y" } }]\n'
    )
    lists, problems = read_list_file(Source("l.toml", text))
    assert problems == []
    old, new = lists
    assert old.title == "Old" and old.title_in("nl") == "Old"  # old string titles stay valid
    assert new.title == "New" and new.title_in("nl") == "Nieuw" and new.title_in("fr") == "New"
    assert new.label_in("email", "nl") == "e-mail" and new.label_in("phone", "nl") == "phone"
    bad = '[C]\nkind = "codes"\nsource = "s"\nretrieved = 2025-06-01\ntitle = 3\nlabels = 4\nentries = ["x"]\n'
    _, problems = read_list_file(Source("l.toml", bad))
    assert [p.code for p in problems] == [KSP215, KSP215]
    assert "`title` must be a text or texts by language" in problems[0].message


def test_the_sources_clause_survives_formatting() -> None:
    text = (default_policy_path() / "policy.pol").read_text(encoding="utf-8")
    assert "checks: set of Check sources SOURCES\n" in format_source(text, "policy.pol")
