"""Questions and answers: `kspolicy ask` driven with scripted answers, and `template`."""

from __future__ import annotations

import datetime as dt
import io
import json
import resource
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import kspolicy
from kspolicy.tools import interview
from kspolicy.tools.cli import main

from .conftest import ROOT

DRONES = ROOT / "examples" / "cases" / "drone-technology-with-chinese-university.toml"


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def ask(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: Path,
    answers: str,
    *extra: str,
) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    assert main(["ask", str(case), *extra]) == 0
    return capsys.readouterr().out


def test_ask_asks_the_most_decisive_question_first_and_saves_every_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.toml"
    case.write_text(DRONES.read_text())
    before = tomllib.loads(case.read_text())
    out = ask(monkeypatch, capsys, case, "maybe\nyes\n\nno\nq\n")
    first = out.split("\n\n")[1]
    assert "close ties to the army" in first  # it can raise the verdict to review
    assert "! answer yes or no (ja of nee)" in out  # "maybe" is asked again
    after = tomllib.loads(case.read_text())
    assert after["partners"][0]["military_ties"] is True
    assert "human_rights_concerns" not in after["partners"][0]  # skipped with Enter
    # the third question, answered "no": the next that can raise the verdict to review
    assert after["partners"][0]["serious_human_rights_violations"] is False
    for key, value in before.items():  # nothing the user wrote is lost
        if isinstance(value, dict):
            assert after[key].items() >= value.items()
        elif key != "partners":
            assert after[key] == value
    assert (tmp_path / "case.orig.toml").read_text() == DRONES.read_text()  # comments kept
    assert "verdict: review" in out


def test_an_interrupted_interview_keeps_the_answers_given(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pack: kspolicy.Policy,
) -> None:
    case = tmp_path / "case.json"
    original = {"partners": [{"name": "Acme", "country": "CN"}], "researchers": [], "funders": []}
    case.write_text(json.dumps(original))
    first = interview.questions(pack, pack.evaluate(original))[0]
    answer = "yes" if first.kind == "bool" else first.choices[0]
    ask(monkeypatch, capsys, case, answer + "\n")  # then end of input, as when the terminal closes
    data = json.loads(case.read_text())
    assert data == interview.set_answer(
        pack, original, first, interview.parse_answer(first, answer)
    )


def test_ask_in_dutch_with_codes_lists_and_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "leeg.toml"
    case.write_text('institution = "UGent"\n')
    out = ask(monkeypatch, capsys, case, "0\nnee\n0\n0\n", "--lang", "nl")
    assert "Welke partners" in out or "Welke inkomende onderzoekers" in out
    data = tomllib.loads(case.read_text())
    assert [k for k in ("partners", "researchers", "funders") if data.get(k) == []]


def test_questions_can_be_answered_through_the_api(pack: kspolicy.Policy) -> None:
    data = {"partners": [{"name": "Acme", "country": "IR"}], "researchers": [], "funders": []}
    decision = pack.evaluate(data, as_of="2026-01-15")
    questions = interview.questions(pack, decision)
    top = questions[0]
    assert top.weight >= questions[-1].weight
    by_fact = {q.fact: q for q in questions}
    sanctions = by_fact["partners[0].sanctions"]
    assert sanctions.kind == "codes" and "EU" in sanctions.choices
    assert interview.parse_answer(sanctions, "eu, Us") == ["EU", "US"]
    assert interview.parse_answer(sanctions, "geen") == []
    with pytest.raises(interview.AnswerError, match="did you mean 'UN'"):
        interview.parse_answer(sanctions, "UNN")
    data = interview.set_answer(pack, data, sanctions, ["EU"])
    assert pack.evaluate(data, as_of="2026-01-15").outcomes["verdict"] == "prohibited"
    trl = interview.Question("project.trl", "TRL?", "int", ("1..9",), (), 0)
    assert interview.parse_answer(trl, "4") == 4
    with pytest.raises(interview.AnswerError, match="from 1 to 9"):
        interview.parse_answer(trl, "12")
    ja = interview.Question("x", "?", "bool", (), (), 0)
    assert interview.parse_answer(ja, "Ja") is True and interview.parse_answer(ja, "nee") is False


def test_template_has_every_field_and_reads_as_an_empty_case(
    pack: kspolicy.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = interview.template(pack, "en")
    for path, field in pack.schema.fields():
        assert (
            f"{field.name} = " in text or f"[{field.name}]" in text or f"[[{field.name}]]" in text
        ), path
    empty = tomllib.loads(text)
    assert pack.evaluate(empty, as_of="2026-01-15").outcomes["verdict"] == "clear"
    out = tmp_path / "new.toml"
    assert main(["template", "--lang", "nl", "--out", str(out)]) == 0
    assert "Aan welke instelling" in out.read_text()
    assert main(["template", "--out", str(out)]) == 2  # never overwrites a case
    assert "never overwrites" in capsys.readouterr().err


def test_an_element_whose_name_is_unknown_is_named_by_its_record_title_and_place() -> None:
    pack = kspolicy.load()
    case = {
        "partners": [{"name": "Acme", "country": "BE"}, {"country": "CN", "kind": "university"}]
    }
    for lang, expected in (("en", "partner 2"), ("nl", "partner 2")):
        questions = [q.question for q in pack.evaluate(case, lang=lang).open_questions]
        about_second = [q for q in questions if expected in q]
        assert about_second, questions
        assert not any("partners[1]" in q for q in questions)


def test_without_a_record_title_an_element_is_named_by_its_path(tmp_path: Path) -> None:
    (tmp_path / "policy.pol").write_text(
        """policy p version "1"
decision { level: scale low < high }
record Partner {
  name: text
  military: bool question en "Is {name} military?"
}
schema { partners: list of Partner as partner }
rule r cite "1" when partner.military then level >= high
""",
        encoding="utf-8",
    )
    policy = kspolicy.load(tmp_path)
    questions = policy.evaluate({"partners": [{"name": "Acme"}, {}]}).open_questions
    assert [q.question for q in questions] == ["Is Acme military?", "Is partners[1] military?"]


# ---- issue 11: answers that crashed ask ----------------------------------------------


def test_ask_answering_superscript_two_to_a_count_asks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.toml"
    case.write_text('institution = "UGent"\n')
    out = ask(monkeypatch, capsys, case, "²\n2\nq\n")  # '²'.isdigit() is true; int() refuses it
    assert "! answer with how many there are (0 for none)" in out
    assert tomllib.loads(case.read_text())["partners"] == [{}, {}]


def test_ask_answering_999999999_to_a_count_is_bounded_by_the_limit(tmp_path: Path) -> None:
    case = tmp_path / "case.toml"
    case.write_text('institution = "UGent"\n')

    def at_most_2_gb() -> None:
        # Once a list of 999999999 records (a MemoryError after 20 GB): should that come
        # back, this process fails alone instead of the machine running out of memory.
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "kspolicy.tools.cli", "ask", str(case)],
        input="999999999\n1001\n3\nq\n",
        capture_output=True,
        text=True,
        preexec_fn=at_most_2_gb,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("! answer with a number up to 1,000") == 2
    assert len(tomllib.loads(case.read_text())["partners"]) == 3


def test_ask_a_json_case_with_null_saved_as_toml_keeps_the_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case, out_file = tmp_path / "case.json", tmp_path / "case.toml"
    data = {
        "institution": "UGent",
        "project": None,
        "partners": [{"name": "Acme", "country": "CN", "kind": None}],
        "researchers": [],
        "funders": [],
    }
    case.write_text(json.dumps(data))
    out = ask(monkeypatch, capsys, case, "company\nq\n", "--out", str(out_file))
    assert "TOML has no null: project, partners[0].kind will be left out" in out
    saved = tomllib.loads(out_file.read_text())
    assert saved["partners"] == [{"name": "Acme", "country": "CN", "kind": "company"}]
    assert "project" not in saved and json.loads(case.read_text()) == data


def test_ask_a_json_case_with_null_in_a_list_is_refused_as_toml_before_any_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "case.json"
    case.write_text('{"partners": [null, {"name": "Acme", "country": "CN"}]}')
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert main(["ask", str(case), "--out", str(tmp_path / "case.toml")]) == 2
    captured = capsys.readouterr()
    assert "TOML has no null, and partners[0] is one" in captured.err
    assert "--out FILE.json" in captured.err and captured.out == ""
    assert not (tmp_path / "case.toml").exists()


def test_ask_answering_a_count_of_5000_digits_asks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # int() refuses more than 4,300 digits: once a ValueError out of parse_answer.
    case = tmp_path / "case.toml"
    case.write_text('institution = "UGent"\n')
    out = ask(monkeypatch, capsys, case, "9" * 5000 + "\n1\nq\n")
    assert "! that number is far too large" in out
    assert tomllib.loads(case.read_text())["partners"] == [{}]


def test_ask_an_answer_that_is_not_utf8_asks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In a UTF-8 locale Python decodes stdin strictly: a stray byte was a traceback.
    case = tmp_path / "case.toml"
    case.write_text('institution = "UGent"\n')
    typed = io.TextIOWrapper(io.BytesIO(b"1\n\xff\xfe\nBE\nq\n"), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", typed)
    assert main(["ask", str(case)]) == 0
    assert "! the answer is not utf-8 text; type it again" in capsys.readouterr().out
    assert tomllib.loads(case.read_text())["partners"] == [{"country": "BE"}]


def test_ask_never_offers_a_possible_screening_match_as_a_fact_to_type() -> None:
    """A partner named `HIT` is a possible match on SEVEN_SONS: the open question
    `partners[0].name matches SEVEN_SONS` is for a reviewer (`kspolicy screen review`),
    and answering it in `ask` would have written a field no schema has into the case."""
    policy = kspolicy.load()
    case = {
        "institution": "UAntwerpen",
        "project": {"title": "Drones", "topics": ["robotics.drones"]},
        "partners": [{"name": "HIT", "kind": "university"}],
    }
    decision = policy.evaluate(case, as_of=dt.date(2026, 1, 15))
    assert any(" matches " in q.fact for q in decision.open_questions)  # the premise
    asked = interview.questions(policy, decision)
    assert asked and all(" matches " not in q.fact for q in asked)
    assert "partners[0].country" in {q.fact for q in asked}  # the country settles it
