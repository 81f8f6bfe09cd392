"""Issue 12 ("Mixed jobs": `checker.py` held two passes in one class): the check is a
declarations pass and an expression pass, data flowing one way, with every diagnostic
and every checked policy as before."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import kspolicy
from kspolicy.lang import checked as c
from kspolicy.lang import declarations
from kspolicy.lang.checker import Checker
from kspolicy.lang.listfile import read_list_file
from kspolicy.lang.lists import NamedList
from kspolicy.lang.parser import parse_module
from kspolicy.limits import DEFAULT
from kspolicy.span import Source

LANG = Path(declarations.__file__).parent

DESKS = """
[HELPDESKS]
kind = "records"
source = "test"
retrieved = 2025-01-01
entries = [{ key = "Ghent", email = "help@ghent.example" }]
"""


def _imports(module: Path) -> set[str]:
    """The kspolicy.lang modules a file imports (`from .x import ...`, `from . import x`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_the_declarations_pass_reads_nothing_of_the_expression_pass() -> None:
    assert "expressions" in _imports(LANG / "checker.py")
    assert "declarations" in _imports(LANG / "expressions.py")
    assert not {"expressions", "checker"} & _imports(LANG / "declarations.py")
    assert "checker" not in _imports(LANG / "expressions.py")


def test_the_checker_drives_the_two_passes_and_nothing_else() -> None:
    # The thin driver: no method of its own that checks names or types.
    methods = {name for name in vars(Checker) if not name.startswith("__")}
    assert methods == {"check"}


def _policy(write_policy: Callable[..., Path], decision: str, rules: str = "") -> Path:
    return write_policy(
        {
            "policy.pol": f"""
policy desk version "1"
lists "desks.toml"
enum Site {{ Ghent, Leuven }}
schema {{ site: Site }}
define near = site == Ghent
decision {{
{decision}
}}
rule r when site == Ghent then verdict >= notify
{rules}""",
            "desks.toml": DESKS,
        }
    )


def test_outcomes_keep_their_declared_order_with_an_entry_among_them(
    write_policy: Callable[..., Path],
) -> None:
    # An entry outcome is finished by the expression pass, after the others: its place
    # among the outcomes (and so in every decision) is still the one declared.
    folder = _policy(
        write_policy,
        "  verdict: scale clear < notify\n  helpdesk: entry of HELPDESKS for site\n"
        "  checks: set of Site",
    )
    policy = kspolicy.load(folder)
    assert list(policy.checked.outcomes) == ["verdict", "helpdesk", "checks"]
    decision = policy.evaluate({"site": "Ghent"})
    # (A decision gives the scales and sets, then the entries looked up.)
    assert decision.outcomes == {"verdict": "notify", "checks": [], "helpdesk": "Ghent"}


def test_an_entry_key_never_names_a_definition(write_policy: Callable[..., Path]) -> None:
    # A definition is a condition, not a fact of the case: as before the split, the key
    # `near` is an unknown name, and no definition is suggested for it.
    folder = _policy(
        write_policy, "  verdict: scale clear < notify\n  helpdesk: entry of HELPDESKS for near"
    )
    found = [(d.code.number, d.message) for d in kspolicy.check(folder)]
    assert found == [("KSP202", "unknown name `near`")]


def test_a_failed_entry_outcome_is_no_outcome_for_the_rules(
    write_policy: Callable[..., Path],
) -> None:
    folder = _policy(
        write_policy,
        "  verdict: scale clear < notify\n  helpdesk: entry of HELPDESKS for nowhere",
        "rule s when site == Ghent then helpdesk += Ghent",
    )
    found = [(d.code.number, d.message) for d in kspolicy.check(folder)]
    assert found == [
        ("KSP202", "unknown name `nowhere`"),
        ("KSP204", "the decision has no outcome `helpdesk`"),
    ]


def test_a_clause_given_twice_is_named_by_its_keyword() -> None:
    # One class per clause kind (nodes.py); each still knows the word it starts with.
    text = (
        'rule r title "a" title "b" when x when y then v >= c\n'
        "schema { f: int required required = 1 = 2 }\n"
    )
    _, diagnostics = parse_module(Source("t.pol", text))
    assert [(d.code.number, d.message) for d in diagnostics] == [
        ("KSP210", "rule `r` has more than one `title`"),
        ("KSP210", "rule `r` has more than one `when`"),
        ("KSP210", "field `f` has `required` twice"),
        ("KSP210", "field `f` has `default` twice"),
    ]


def test_the_passes_share_one_list_of_diagnostics() -> None:
    source = Source(
        "p.pol", 'policy p version "1"\nschema { a: nope }\nrule r when b then v >= c\n'
    )
    module, _ = parse_module(source)
    checker = Checker([module], {})
    assert checker.check("0" * 64, ()) is None
    assert [d.code.number for d in checker.diagnostics] == ["KSP207", "KSP202", "KSP204"]


def _declared(text: str, lists: dict[str, NamedList] | None = None) -> declarations.Declared:
    module, _ = parse_module(Source("p.pol", text))
    return declarations.Declarations([module], lists or {}, DEFAULT, []).declare()


def test_a_poisoned_name_is_reported_once_across_the_passes() -> None:
    # The declarations pass poisons what failed there (`Declared.poisoned`); the
    # expression pass reads it and stays silent where the name is used.
    text = (
        'policy p version "1"\n'
        "enum Flag from NOWHERE\n"
        "schema {\n a: nope\n tags: list of Tag as tag\n}\n"
        "decision { verdict: scale clear < notify\n flags: set of Flag }\n"
        "rule r when a == 1 and tag is known then verdict >= notify\n"
        "rule s when verdict_unused then flags += b\n"
    )
    assert _declared(text).poisoned >= {"Flag", "case.a", "case.tags", "tag", "flags"}
    module, _ = parse_module(Source("p.pol", text))
    checker = Checker([module], {})
    assert checker.check("0" * 64, ()) is None
    assert [(d.code.number, d.message) for d in checker.diagnostics] == [
        ("KSP206", "unknown list `NOWHERE`"),
        ("KSP207", "unknown type `nope`"),
        ("KSP207", "unknown type `Tag`"),
        ("KSP202", "unknown name `verdict_unused`"),
    ]


def test_a_broken_list_file_poisons_its_lists_for_both_passes() -> None:
    text = (
        'policy p version "1"\nschema { country: text }\n'
        "decision { verdict: scale clear < notify }\n"
        "rule r when country in ADEQUATE then verdict >= notify\n"
    )
    module, _ = parse_module(Source("p.pol", text))
    checker = Checker([module], {}, broken_lists=["ADEQUATE"])
    checked = checker.check("0" * 64, ())
    # Nothing more to report: the list file's own error, reported where it is read,
    # stops the load; the rule that uses the list is left out, not reported again.
    assert checker.diagnostics == []
    assert checked is not None and checked.rules == ()


def test_sources_are_checked_with_their_outcome_in_the_declarations_pass() -> None:
    read, problems = read_list_file(
        Source(
            "sources.toml",
            '[SOURCES]\nkind = "records"\nsource = "g"\nretrieved = 2025-06-01\n'
            'entries = [{ key = "register", codes = ["sanctions"] }]\n',
        )
    )
    assert problems == []
    lists = {named.name: named for named in read}
    declared = _declared(
        'policy p version "1"\nenum Check { sanctions, background }\n'
        "decision { checks: set of Check sources SOURCES }\n",
        lists,
    )
    checks = declared.outcomes["checks"]
    assert isinstance(checks, c.Outcome) and checks.sources is lists["SOURCES"]
