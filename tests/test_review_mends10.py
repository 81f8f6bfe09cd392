"""Defects a review of session 10 noticed, each reproduced by the test named after it: a
decision's repr, `Decision.from_dict` converting values of the wrong kind, an
adjudication's country in lower case, a review's silence about a weak alias elsewhere,
and a property file's unquoted dotted key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs
import pytest

import kspolicy
from kspolicy import Decision, DecisionFormatError, KspolicyError
from kspolicy.diagnostics import KSP225
from kspolicy.eval.screen import Reviews
from kspolicy.screening.inputs import country_code
from kspolicy.tools.cli import main
from kspolicy.tools.screen import screen_name

HIT = {"partners": [{"name": "HIT", "country": "CN"}]}
DAY = "2026-01-15"
ASSEMBLED = ("fired", "pending", "sources")


@pytest.fixture(scope="module")
def policy() -> kspolicy.Policy:
    return kspolicy.load()


# ---- 1. print(decision) ---------------------------------------------------------------


def test_print_decision_gives_a_short_useful_repr(policy: kspolicy.Policy) -> None:
    decision = policy.evaluate(HIT, as_of=DAY)
    said = repr(decision)
    assert str(decision) == said
    assert len(said) < 600, len(said)  # was 57 KB: every rule result, fact and match
    assert said.startswith(
        "Decision(policy='knowledge_security 2025.1', as_of='2026-01-15', outcomes={'verdict':"
        " 'notify', 'risk': 'high',"
    )
    fired, pending = len(decision.fired), len(decision.pending)
    assert fired and pending
    assert said.endswith(
        f", provisional=True, fired={fired}, pending={pending},"
        f" open_questions={len(decision.open_questions)})"
    )
    assert "sha256" not in said and "RuleResult" not in said


def test_print_decision_does_not_assemble_the_rules(policy: kspolicy.Policy) -> None:
    decision = policy.evaluate(HIT, as_of=DAY)
    assert not any(name in vars(decision) for name in ASSEMBLED)
    said = repr(decision)
    assert not any(name in vars(decision) for name in ASSEMBLED)  # counted, not made
    # The counts are those of the rules once made, and a decision made at once says the same.
    whole = Decision(**{f.name: getattr(decision, f.name) for f in attrs.fields(Decision)})
    assert repr(decision) == repr(whole) == said
    assert f"fired={len(whole.fired)}, pending={len(whole.pending)}" in said


def test_print_decision_explained_in_dutch_names_its_trace_and_language(
    policy: kspolicy.Policy,
) -> None:
    decision = policy.evaluate(HIT, as_of=DAY, explain=True, lang="nl")
    said = repr(decision)
    assert said.endswith(f", trace={len(decision.trace)}, lang='nl')") and decision.trace
    assert repr(Decision.from_dict(decision.to_dict(detail="full"))) == said


# ---- 2. Decision.from_dict of a value of the wrong kind ---------------------------------


def _refused(data: Any) -> str:
    with pytest.raises(DecisionFormatError) as caught:
        Decision.from_dict(data)
    return str(caught.value)


@pytest.mark.parametrize("detail", ["compact", "full"])
def test_from_dict_rule_5_is_refused_not_read_as_a_string(
    policy: kspolicy.Policy, detail: str
) -> None:
    data = policy.evaluate(HIT, as_of=DAY).to_dict(detail=detail)
    data["fired"][0]["rule"] = 5
    assert "fired[0].rule: expected str, got a number" in _refused(data)


@pytest.mark.parametrize("detail", ["compact", "full"])
@pytest.mark.parametrize(
    ("where", "value", "said"),
    [
        (("fired", 0, "binding", "partner"), True, "fired[0].binding['partner']: expected int"),
        (("fired", 0, "binding", "partner"), 0.0, "fired[0].binding['partner']: expected int"),
        (("outcomes", "verdict"), 5, "outcomes['verdict']: expected str | list[str], got a num"),
        (("outcomes", "obligations"), [1], "outcomes['obligations'][0]: expected str, got a num"),
        (("outcomes", "obligations"), {"a": 1}, "outcomes['obligations']: expected str | list"),
        (("policy", "version"), 2025.1, "policy.version: expected str, got a number"),
        (("headline", "provisional"), "no", "headline.provisional: expected bool, got a string"),
        (("lang",), None, "lang: expected str"),
    ],
    ids=[
        "binding-true",
        "binding-float",
        "verdict-5",
        "code-1",
        "codes-dict",
        "version",
        "provisional-no",
        "lang-null",
    ],
)
def test_from_dict_values_of_the_wrong_kind_name_their_json_path(
    policy: kspolicy.Policy, detail: str, where: tuple[Any, ...], value: Any, said: str
) -> None:
    data = policy.evaluate(HIT, as_of=DAY).to_dict(detail=detail)
    place = data
    for step in where[:-1]:
        place = place[step]
    place[where[-1]] = value
    message = _refused(data)
    assert said in message, message
    assert message.startswith(f"not a decision in format {detail}/1: ")


def test_from_dict_of_a_compact_open_question_not_a_string_is_refused(
    policy: kspolicy.Policy,
) -> None:
    data = policy.evaluate(HIT, as_of=DAY).to_dict()
    data["open_questions"][1] = 7
    assert "open_questions[1]: expected str, got a number" in _refused(data)


def test_from_dict_still_reads_a_whole_number_as_a_score(policy: kspolicy.Policy) -> None:
    data = policy.evaluate(HIT, as_of=DAY).to_dict()
    data["matched"].append({"list": "L", "entry": "e", "fact": "partners[0].name", "score": 1})
    last = len(data["matched"]) - 1
    data["fired"][0]["matched"] = [last]
    match = Decision.from_dict(data).fired[0].matched[0]
    assert match.score == 1.0 and isinstance(match.score, float)
    data["matched"][last]["score"] = True  # JSON's true is no score
    assert f"matched[{last}].score: expected float | None, got true or false" in _refused(data)
    data["matched"][last]["score"] = 1
    data["fired"][0]["matched"] = [-1]  # Python's index from the end is no index here
    assert "fired[0].matched[0]: -1 is not an index of `matched`" in _refused(data)


# ---- 3. an adjudication's country in lower case ------------------------------------------


def test_adjudication_country_cn_is_refused_by_check_as_by_screen_and_eval(
    tmp_path: Path,
) -> None:
    from .test_adjudication_countries import answer, make_policy

    text = answer("cn")
    folder = make_policy(tmp_path, text)
    [problem] = [d for d in kspolicy.check(folder) if d.code.number == KSP225.number]
    assert problem.is_error and problem.span.text == '"cn"'
    assert problem.span.line == text[: text.index('"cn"')].count("\n") + 1
    assert "`country` 'cn' is not a country code; did you mean 'CN'?" in problem.message
    assert problem.help is not None and problem.help.startswith('write "CN": ')
    # The same words as `screen` and a case's field give for the same country.
    (tmp_path / "ok").mkdir()
    fixed = kspolicy.load(make_policy(tmp_path / "ok", answer("CN")))
    said = "'cn' is not a country code; did you mean 'CN'?"
    with pytest.raises(KspolicyError, match=re.escape(said)):
        screen_name(fixed, "Acme", country="cn")
    with pytest.raises(kspolicy.CaseError, match=re.escape(said)):
        fixed.evaluate({"partner_name": "Acme", "partner_country": "cn"}, as_of=DAY)


def test_adjudication_country_cn_of_a_policy_whose_countries_are_text_is_read_as_screened(
    tmp_path: Path,
) -> None:
    """Where a case may write `cn` (its country is text, screened as `CN`), so may an
    answer: kept as written, and found for the name screened with `cn` or `CN`."""
    from .test_adjudication_countries import POLICY, answer, make_policy

    policy = POLICY.replace("partner_country: Country", "partner_country: text")
    loaded = kspolicy.load(make_policy(tmp_path, answer("cn"), policy))
    lists = loaded.checked.lists
    [given] = lists["ANSWERS"].adjudications
    assert given.country == "cn"
    reviews = Reviews(lists.values())
    for country in ("CN", "cn", " cn "):
        found = reviews.get("SANCTIONED_PARTIES", "Acme", country_code(country), "Acme Rockets")
        assert found is given
    assert reviews.get("SANCTIONED_PARTIES", "Acme", "DE", "Acme Rockets") is None


# ---- 4. screen review of a weak alias in another country --------------------------------


def test_review_of_a_weak_alias_in_another_country_says_why_it_is_no_candidate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .test_screen_language import make_policy

    policy = make_policy(tmp_path)
    [none] = screen_name(policy, "HIT", country="DE", lists=["LISTED"])
    assert none.answer == "none"  # the weak alias HIT is Harbin's in CN only
    argv = ["screen", "review", "HIT", "--list", "LISTED", "--by", "j.doe", "--why", "checked"]
    code = main([*argv, "--dismiss", "--country", "DE", "--policy", str(tmp_path / "policy.pol")])
    out, err = capsys.readouterr()
    assert code == 2 and not out
    assert (
        "HIT is no candidate on LISTED from DE: it matches Harbin Institute of Technology"
        " (listed in CN) only by the weak alias HIT, and a name from another country is not"
        " taken for an abbreviation (docs/screening.md), so screening answers none and no"
        " answer would change that. If it is that entity all the same, correct the case's"
        " country: with --country CN it is a candidate"
    ) in err
    assert "name the entry with --entry" not in err  # which would record an answer for nothing
    assert not (tmp_path / "lists" / "adjudications.toml").exists()
    # A name that matches nothing anywhere is no candidate for the reason it always was.
    zeta = ["screen", "review", "Zeta", *argv[3:], "--dismiss", "--country", "DE"]
    assert main([*zeta, "--policy", str(tmp_path / "policy.pol")]) == 2
    assert "Zeta is no candidate on LISTED: name the entry with --entry" in capsys.readouterr().err


# ---- 5. an unquoted dotted key in a property file's [change] -----------------------------

PACK = Path(__file__).parent.parent / "policies" / "knowledge-security"


def _prove_refuses(file: Path, capsys: pytest.CaptureFixture[str]) -> str:
    pytest.importorskip("z3")
    capsys.readouterr()
    code = main(["prove", "--property", str(file), str(PACK), "-k", "1"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), (code, out, err)
    return err


def test_property_change_unquoted_dotted_key_is_refused_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "dotted.toml"
    file.write_text('title = "t"\n\n[change]\nproject.trl = "up"\n[expect]\nverdict = "b >= a"\n')
    err = _prove_refuses(file, capsys)  # was at 1:1: "change `project`: {'trl': 'up'} is not..."
    assert err.startswith(
        f"{file}:4:1: error: change `project.trl`: a key with dots and no quotes is read by"
        " TOML as tables within tables, not as a fact's path\n"
    )
    assert '\n4 | project.trl = "up"\n' in err
    assert 'help: quote the key: "project.trl" = "up"\n' in err


@pytest.mark.parametrize(
    "line",
    ['researchers.0.role = "x"', 'partners.country = ["EU_MEMBERS", "RISK_COUNTRIES"]'],
    ids=["researchers-0-role", "partners-country"],
)
def test_property_change_unquoted_dotted_key_of_a_list_is_refused_not_proved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str
) -> None:
    """A list's fact (`partners`) read as the table TOML made of it: its change was no
    change of any fact, and the weaker property "proved"."""
    file = tmp_path / "dotted.toml"
    file.write_text(f'title = "t"\n[change]\n"*" = "known"\n{line}\n[expect]\nverdict = "b >= a"\n')
    key, _, value = line.partition(" = ")
    err = _prove_refuses(file, capsys)
    assert err.startswith(f"{file}:4:1: error: change `{key}`: a key with dots and no quotes")
    assert f'help: quote the key: "{key}" = {value}\n' in err and "proved" not in err


def test_property_change_tables_are_refused_at_their_lines(tmp_path: Path) -> None:
    pytest.importorskip("z3")
    from kspolicy.prove.properties import PropertyFileError, parse_property
    from kspolicy.span import Source

    text = (
        'title = "t"\n[change]\npartners = { country = "up" }\n'
        ' project . "dual_use" = "any"\n[change.researchers]\nrole = "any"\n'
    )
    with pytest.raises(PropertyFileError) as caught:
        parse_property(Source("p.toml", text))
    said = [(p.span.line, p.message, p.help) for p in caught.value.problems]
    assert said == [
        (
            3,
            "change `partners.country`: a table is not a change",
            """write the fact's path as one quoted key under [change]: "partners.country" = "up\"""",
        ),
        (
            4,
            "change `project.dual_use`: a key with dots and no quotes is read by TOML as tables"
            " within tables, not as a fact's path",
            'quote the key: "project.dual_use" = "any"',
        ),
        (
            5,
            "change `researchers.role`: a table is not a change",
            """write the fact's path as one quoted key under [change]: "researchers.role" = "any\"""",
        ),
    ]
    assert str(caught.value).startswith("p.toml:3:1: change `partners.country`")
