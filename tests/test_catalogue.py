"""The message catalogue, and an engine that names nothing of the pack.

The engine's words live in `kspolicy/lang/messages/<lang>.toml`; a policy adds a
language by declaring it and shipping `messages/<lang>.toml`. A record says which field
names it in explanations (`named by`), a scale that it is the headline (`headline`).
"""

from __future__ import annotations

import ast
import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w

import kspolicy
from kspolicy import check
from kspolicy.diagnostics import KSP201, KSP208, KSP221, KSP222, PolicyError
from kspolicy.lang.catalogue import ENGINE, engine_messages, read_messages
from kspolicy.lang.formatter import format_source
from kspolicy.lang.loader import default_policy_path
from kspolicy.lang.parser import parse_module
from kspolicy.render.document import to_markdown
from kspolicy.render.explain import explain
from kspolicy.render.text import render_decision
from kspolicy.span import Source
from kspolicy.tools import interview
from kspolicy.tools.cli import main

from .conftest import ROOT

CASES = ROOT / "examples" / "cases"
ENGINE_MESSAGES = ROOT / "src" / "kspolicy" / "lang" / "messages"
OPEN, CLOSE = "⟦", "⟧"


def marked(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


def unmarked(text: str) -> str:
    return text.replace(OPEN, "").replace(CLOSE, "")


def outside_marks(text: str) -> str:
    return re.sub(f"{OPEN}[^{CLOSE}]*{CLOSE}", "", text)


def french_pack(folder: Path) -> Path:
    """A copy of the pack with a third language, `fr`: every English text of the pack
    and of the engine's catalogue, marked, so that what is French can be told apart."""
    pack = folder / "pack"
    shutil.copytree(default_policy_path(), pack)
    string = r'"(?:\\.|[^"\\])*"'
    for path in pack.rglob("*.pol"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(
            rf"\ben(\s+)({string})",
            lambda m: f'en{m[1]}{m[2]} fr "{marked(m[2][1:-1])}"',
            text,
        )
        path.write_text(text.replace("languages en, nl", "languages en, nl, fr"))
    english = tomllib.loads((ENGINE_MESSAGES / "en.toml").read_text(encoding="utf-8"))
    french = {
        section: {k: marked(v) if isinstance(v, str) else v for k, v in table.items()}
        for section, table in english.items()
    }
    french["answer"].update(yes=["oui", "o"], no=["non"], none=["aucun"])
    (pack / "messages").mkdir()
    (pack / "messages" / "fr.toml").write_text(tomli_w.dumps(french), encoding="utf-8")
    return pack


@pytest.fixture(scope="module")
def french(tmp_path_factory: pytest.TempPathFactory) -> kspolicy.Policy:
    return kspolicy.load(french_pack(tmp_path_factory.mktemp("french")))


def everything(policy: kspolicy.Policy, case: Path, lang: str) -> str:
    """A decision in every form a person reads: text, the explanation with its trace
    and a why-not, and the case template."""
    facts, _ = policy.read_case(case)
    decision = policy.evaluate(case, lang=lang, explain=True)
    silent = next(t.rule for t in decision.trace if t.result == "silent")
    blocks = explain(policy.checked, decision, case=facts, why_not=silent, full=True)
    return "\n".join(
        [
            render_decision(decision, policy.checked.messages),
            to_markdown(blocks),  # as the terminal's, without underlines as long as a title
            interview.template(policy, lang),
        ]
    )


@pytest.mark.parametrize(
    "case",
    [
        "phd-candidate-from-iranian-army-on-emotion-detection",
        "co-supervising-phd-at-sanctioned-russian-university",
    ],
)
def test_a_policy_adds_a_language_without_touching_the_engine(
    french: kspolicy.Policy, case: str
) -> None:
    path = CASES / f"{case}.toml"
    in_french = everything(french, path, "fr")
    # The same decision as in English, word for word, each word from the French channel:
    assert unmarked(in_french) == everything(french, path, "en")
    assert in_french != unmarked(in_french)
    # and no word of the engine's English left outside it.
    rest = outside_marks(in_french)
    english = engine_messages("en")
    for section in ("text", "explain", "template"):
        for key, words in english.section(section).items():
            if len(words) > 4:  # a word, not a fact's name that holds it (`results_...`)
                assert not re.search(rf"(?<![\w.]){re.escape(words)}(?!\w)", rest), key


def test_a_third_language_is_understood_in_answers(french: kspolicy.Policy) -> None:
    question = interview.Question("x", "x?", "bool", (), (), 0)
    catalogue = french.checked.messages
    assert interview.parse_answer(question, "oui", catalogue) is True
    assert interview.parse_answer(question, "non", catalogue) is False
    assert interview.parse_answer(question, "ja", catalogue) is True  # the engine's too
    assert question.hint("fr", catalogue) == marked("yes/no")
    with pytest.raises(interview.AnswerError):
        interview.parse_answer(question, "oui")  # the engine alone has no French


def test_lang_accepts_the_languages_the_policy_declares(
    french: kspolicy.Policy, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pack = french_pack(tmp_path)
    case = str(CASES / "drone-technology-with-chinese-university.toml")
    assert main(["explain", case, "--policy", str(pack), "--lang", "fr"]) == 0
    # The drone case's headline is provisional: one sentence, from the French channel.
    assert "⟦Provisional decision: " in capsys.readouterr().out
    assert main(["eval", case, "--policy", str(pack), "--lang", "de"]) == 2
    err = capsys.readouterr().err
    assert "--lang de" in err and "en, nl, fr" in err
    # The built-in pack declares two languages: a third is refused by name.
    assert main(["eval", case, "--lang", "fr"]) == 2
    assert "en, nl" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["eval", case, "--lang", "french"])
    assert exit_.value.code == 2
    assert "not a language code" in capsys.readouterr().err


def test_a_policy_may_change_the_engines_words(
    write_policy: Callable[[dict[str, str]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    english = (ENGINE_MESSAGES / "en.toml").read_text(encoding="utf-8")
    folder = write_policy(
        {
            "policy.pol": POLICY.replace("  languages en\n", "  languages en\n"),
            "messages/en.toml": english.replace('why = "Why"', 'why = "Reasons"'),
            "case.toml": "x = true\n",
        }
    )
    assert main(["explain", str(folder / "case.toml"), "--policy", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Reasons" in out and "Why" not in out


POLICY = """\
policy t version "1"
  languages en

decision {
  flags: set of Flag
  level: scale low < high headline
}

enum Flag { a, b }

record Person named by label {
  name: text
  label: text
}

schema {
  x: bool
  people: list of Person as person
}

rule r cite "s" when x then level >= high flags += a because "b"
rule p cite "s" when person.name == "Ann" then flags += b because "b"
"""


def test_a_messages_file_of_a_language_the_engine_lacks_is_required(
    write_policy: Callable[[dict[str, str]], Path],
) -> None:
    folder = write_policy({"policy.pol": POLICY.replace("languages en", "languages en, fr")})
    (found,) = [d for d in check(folder) if d.is_error]
    assert found.code == KSP222
    assert found.span.text == "fr"
    assert "messages/fr.toml" in (found.help or "")


ENGLISH = (ENGINE_MESSAGES / "en.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "message", "where"),
    [
        (ENGLISH.replace("why = ", "whyy = "), "no message `explain.whyy`", "whyy"),
        (ENGLISH.replace('why = "Why"\n', ""), "lacks 1 message for `fr`: `explain.why`", ""),
        (ENGLISH.replace('why = "Why"', 'why = ["Why"]'), "`explain.why` should be a text", "why"),
        (ENGLISH.replace('yes = ["yes", "y", "true"]', 'yes = "yes"'), "should be a list", "yes"),
        (ENGLISH.replace("{fact}", "{fait}"), "placeholder the engine does not fill", "fallback"),
        (ENGLISH.replace("{fact}", "{fact"), "not a text with placeholders", "fallback"),
        (ENGLISH.replace('why = "Why"', "why = "), "is not valid TOML", "why = "),
    ],
    ids=["unknown", "missing", "not-a-text", "not-a-list", "placeholder", "brace", "toml"],
)
def test_a_messages_file_that_does_not_fit_is_placed(text: str, message: str, where: str) -> None:
    found, problems = read_messages(Source("messages/fr.toml", text), "fr")
    assert found is None
    # (A misspelt key is also a missing one: both are said.)
    (problem,) = [p for p in problems if message in p.message]
    assert problem.code == KSP222
    assert problem.span.text.startswith(where) or where in problem.span.text


def test_the_engines_catalogues_have_the_same_messages() -> None:
    # Dutch is read the way a policy's language would be: every key, nothing else.
    found, problems = read_messages(
        Source("nl.toml", (ENGINE_MESSAGES / "nl.toml").read_text()), "nl"
    )
    assert problems == []
    assert found is not None and found.items().keys() == engine_messages("en").items().keys()
    assert ENGINE.get("xx") is engine_messages("en")


def test_explain_names_an_element_by_the_field_its_record_declares(
    write_policy: Callable[[dict[str, str]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_policy(
        {
            "policy.pol": POLICY,
            "case.toml": 'x = true\n[[people]]\nname = "Ann"\nlabel = "Dr. Ann Smith"\n',
        }
    )
    assert main(["explain", str(folder / "case.toml"), "--policy", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "person 1 (Dr. Ann Smith)" in out  # `label`, not the field called `name`


def test_the_headline_is_the_scale_marked_so_not_an_outcome_called_verdict(
    write_policy: Callable[[dict[str, str]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_policy({"policy.pol": POLICY, "case.toml": "x = true\n"})
    case = str(folder / "case.toml")
    assert main(["explain", case, "--policy", str(folder), "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("# Decision: **high**")
    assert main(["explain", case, "--policy", str(folder), "--format", "html"]) == 0
    assert "<title>t: high</title>" in capsys.readouterr().out


def test_without_a_mark_the_first_scale_is_the_headline(
    write_policy: Callable[[dict[str, str]], Path],
) -> None:
    text = POLICY.replace(" headline", "").replace(
        "  flags: set of Flag\n", "  flags: set of Flag\n  other: scale no < yes\n"
    )
    assert kspolicy.load(write_policy({"policy.pol": text})).checked.headline == "other"


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (("named by label", "named by lable"), KSP201, "record `Person` has no field `lable`"),
        (("  label: text", "  label: bool"), KSP208, "`label` is a true/false value"),
        (("flags: set of Flag", "flags: set of Flag headline"), KSP221, "`flags` is a set"),
        (
            ("  flags: set of Flag\n", "  flags: set of Flag\n  other: scale no < yes headline\n"),
            KSP221,
            "`level` is a second headline",
        ),
    ],
    ids=["unknown-field", "not-text", "headline-on-a-set", "two-headlines"],
)
def test_the_checker_places_a_wrong_named_by_or_headline(
    write_policy: Callable[[dict[str, str]], Path],
    change: tuple[str, str],
    code: object,
    message: str,
) -> None:
    folder = write_policy({"policy.pol": POLICY.replace(*change)})
    with pytest.raises(PolicyError) as raised:
        kspolicy.load(folder)
    (found,) = raised.value.diagnostics
    assert found.code == code and message in found.message
    if code == KSP201:
        assert found.help == "did you mean `label`?"


def test_the_formatter_lays_out_named_by_and_headline() -> None:
    messy = (
        'record   Person\n title en "person"   nl "persoon"\n  named\n by   label { label : text }\n'
        'decision { level : scale low<high\n headline   title "Level" }\n'
    )
    formatted = format_source(messy, "m.pol")
    assert formatted == (
        'record Person title en "person" nl "persoon" named by label {\n'
        "  label: text\n"
        "}\n"
        "\n"
        "decision {\n"
        "  level: scale low < high headline\n"
        '    title "Level"\n'
        "}\n"
    )
    assert format_source(formatted, "m.pol") == formatted
    tree, _ = parse_module(Source("m.pol", messy))
    again, _ = parse_module(Source("m.pol", formatted))
    assert tree.items == again.items


def test_the_engine_names_nothing_of_the_pack() -> None:
    # Strings in code, not docstrings: examples of the built-in pack may name its outcomes.
    pack_names = {"verdict", "home_institution", "contact_point", "CONTACT_POINTS"}
    for path in (ROOT / "src" / "kspolicy").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings:
                    continue
                assert node.value not in pack_names, (path.name, node.value)
                assert "Contact point" not in node.value, path.name
