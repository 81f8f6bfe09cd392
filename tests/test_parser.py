"""The parser: every construct builds the node it should; layout never matters."""

from __future__ import annotations

import ast
import datetime as dt
import threading
from pathlib import Path
from typing import Any, cast

import pytest

from kspolicy.lang import builder, parser
from kspolicy.lang import nodes as n
from kspolicy.lang.parser import parse_expression, parse_module
from kspolicy.span import Source, Span

# Nodes leave their span out of equality, so an expected tree needs none.
NO_SPAN = cast(Span, None)


def parse(text: str) -> tuple[n.Module, list[str]]:
    module, diagnostics = parse_module(Source("t.pol", text))
    return module, [d.code.number for d in diagnostics]


def only(text: str) -> n.Item:
    module, codes = parse(text)
    assert codes == []
    [item] = module.items
    return item


def name(text: str) -> n.Name:
    return n.Name(text, NO_SPAN)


def path(dotted: str) -> n.Path:
    return n.Path(tuple(name(p) for p in dotted.split(".")), NO_SPAN)


def lit(value: n.LiteralValue) -> n.Literal:
    return n.Literal(value, NO_SPAN)


def test_header_with_title_and_languages() -> None:
    item = only(
        'policy ks version "2025.1"\n  title en "Knowledge security" nl "Kennisveiligheid"\n  languages en, nl'
    )
    assert isinstance(item, n.PolicyHeader)
    assert item.name.text == "ks" and item.version == "2025.1"
    assert item.title is not None and item.title.get("nl") == "Kennisveiligheid"
    assert [lang.text for lang in item.languages] == ["en", "nl"]


def test_imports_and_lists() -> None:
    module, codes = parse('import "schema.pol"\nlists "lists/*.toml"')
    assert codes == []
    assert module.items == (n.Import("schema.pol", NO_SPAN), n.Lists("lists/*.toml", NO_SPAN))


def test_decision_scales_and_sets() -> None:
    item = only(
        "decision {\n verdict: scale clear < notify < review\n risk: scale of Risk\n"
        ' obligations: set of Obligation title en "Obligations" }'
    )
    assert isinstance(item, n.DecisionDecl)
    verdict, risk, obligations = item.outcomes
    assert (verdict.kind, [c.text for c in verdict.codes], verdict.enum) == (
        "scale",
        ["clear", "notify", "review"],
        None,
    )
    assert (risk.kind, risk.enum) == ("scale", name("Risk"))
    assert (obligations.kind, obligations.enum) == ("set", name("Obligation"))
    assert obligations.title is not None


def test_enums_inline_with_labels_strings_and_from_lists() -> None:
    module, codes = parse(
        'enum Kind { university en "University" nl "Universiteit", company, }\n'
        'enum Institution { "KU Leuven", UGent }\n'
        'enum Country "a country code" from COUNTRIES\n'
        "enum Topic from TOPICS hierarchical\n"
        "enum Tech { robotics, robotics.drones }\n"
    )
    assert codes == []
    kind, institution, country, topic, tech = module.items
    assert isinstance(kind, n.EnumDecl) and [v.code.text for v in kind.values] == [
        "university",
        "company",
    ]
    assert kind.values[0].label is not None and kind.values[0].label.get("nl") == "Universiteit"
    assert isinstance(institution, n.EnumDecl) and institution.values[0].code.text == "KU Leuven"
    assert isinstance(country, n.EnumDecl)
    assert (country.description, country.from_list, country.hierarchical) == (
        "a country code",
        name("COUNTRIES"),
        False,
    )
    assert isinstance(topic, n.EnumDecl) and topic.hierarchical
    assert isinstance(tech, n.EnumDecl) and tech.hierarchical  # dotted codes make it so


def test_records_and_schema_fields_with_options() -> None:
    module, codes = parse(
        'record Partner title "Partner" {\n  name: text question en "Name?" nl "Naam?"\n'
        "  trl: int 1..9 required\n  sanctions: list of Sanction = []\n  ok: bool = true\n}\n"
        "schema { partners: list of Partner as partner = [] }"
    )
    assert codes == []
    record, schema = module.items
    assert isinstance(record, n.RecordDecl) and isinstance(schema, n.SchemaDecl)
    name_, trl, sanctions, ok = record.fields
    assert name_.question is not None and name_.question.get("nl") == "Naam?"
    assert trl.type.int_range == (1, 9) and trl.required
    assert sanctions.type.is_list and sanctions.default == lit(())  # `= []`
    assert ok.default == lit(True)
    assert schema.fields[0].binder == name("partner")


def test_rules_with_every_clause() -> None:
    item = only(
        'rule r\n  title en "T" nl "T nl"\n  cite "risks", "case.1"\n'
        "  valid from 2025-01-01 until 2026-12-31\n  when a.b and not c\n  unless d\n  unless e\n"
        '  then verdict >= notify obligations += x, y\n  because en "B" nl "B nl"'
    )
    assert isinstance(item, n.Rule)
    assert [c.text for c in item.cites] == ["risks", "case.1"]
    assert (item.valid_from, item.valid_until) == (dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    assert item.when == n.And((path("a.b"), n.Not(path("c"), NO_SPAN)), NO_SPAN)
    assert item.unless == (path("d"), path("e"))
    assert item.then == (
        n.Assignment(name("verdict"), ">=", (name("notify"),), NO_SPAN),
        n.Assignment(name("obligations"), "+=", (name("x"), name("y")), NO_SPAN),
    )
    assert item.because is not None and item.because.get("nl") == "B nl"
    until = only("rule r valid until 2025-01-01 when a then v >= b")
    assert isinstance(until, n.Rule)
    assert until.valid_until == dt.date(2025, 1, 1)


def test_one_line_rules_are_named_by_file_and_position() -> None:
    module, codes = parse('if a then v >= b cite "x"\nif c then s += d because "why"')
    assert codes == []
    first, second = module.items
    assert isinstance(first, n.Rule) and isinstance(second, n.Rule)
    assert (first.name.text, second.name.text) == ("t.if1", "t.if2")
    assert first.oneline and first.cites == (name("x"),)


def test_definitions() -> None:
    item = only('define risky title en "Risky" = partner.country in RISK')
    assert isinstance(item, n.Define) and item.title is not None
    assert item.expr == n.In(path("partner.country"), path("RISK"), False, NO_SPAN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a == 1", n.Compare("==", path("a"), lit(1), NO_SPAN)),
        ("a != 1.5", n.Compare("!=", path("a"), lit(1.5), NO_SPAN)),
        ("a < 2025-01-31", n.Compare("<", path("a"), lit(dt.date(2025, 1, 31)), NO_SPAN)),
        ("a >= -3", n.Compare(">=", path("a"), lit(-3), NO_SPAN)),
        (
            'a in {x, "y z", 3}',
            n.In(path("a"), n.SetLiteral((path("x"), lit("y z"), lit(3)), NO_SPAN), False, NO_SPAN),
        ),
        ("a not in {}", n.In(path("a"), n.SetLiteral((), NO_SPAN), True, NO_SPAN)),
        ("a.name matches LIST", n.Matches(path("a.name"), name("LIST"), NO_SPAN)),
        ("a is known", n.IsKnown(path("a"), True, NO_SPAN)),
        ("a is unknown", n.IsKnown(path("a"), False, NO_SPAN)),
        ("true or false", n.Or((lit(True), lit(False)), NO_SPAN)),
        ("not not a", n.Not(n.Not(path("a"), NO_SPAN), NO_SPAN)),
        ("a or b and c", n.Or((path("a"), n.And((path("b"), path("c")), NO_SPAN)), NO_SPAN)),
        ("(a or b) and c", n.And((n.Or((path("a"), path("b")), NO_SPAN), path("c")), NO_SPAN)),
        (
            "any p in ps: p.x and p.y",
            n.Quantifier(
                "any", name("p"), path("ps"), n.And((path("p.x"), path("p.y")), NO_SPAN), NO_SPAN
            ),
        ),
        (
            "a and all p in ps: p.x",
            n.And(
                (path("a"), n.Quantifier("all", name("p"), path("ps"), path("p.x"), NO_SPAN)),
                NO_SPAN,
            ),
        ),
        ('a == "say \\"hi\\""', n.Compare("==", path("a"), lit('say "hi"'), NO_SPAN)),
    ],
)
def test_expressions(text: str, expected: n.Expr) -> None:
    assert parse_expression(text) == expected


def test_layout_and_comments_do_not_change_the_tree() -> None:
    compact, _ = parse('rule r when a and b then v >= c because "x  y"')
    spread, _ = parse(
        '# leading\nrule r # the rule\n  when a\n    and b   # both\n  then\n    v >= c\n  because "x\n     y"\n'
    )
    assert compact.items == spread.items
    assert [c.text for c in spread.comments] == ["# leading", "# the rule", "# both"]


def test_keywords_are_names_where_a_name_is_expected() -> None:
    item = only("rule r when project.title is known and x.in == 1 then v >= c")
    assert isinstance(item, n.Rule) and isinstance(item.when, n.And)


def test_every_item_reports_its_own_error() -> None:
    _, codes = parse(
        "rule a when x = 1 then v >= c\nrule b when y && z then v >= c\nrule c when ok then v >= c\n"
        "rule d when (e then v >= c\n"
    )
    assert codes == ["KSP101", "KSP102", "KSP101"]


def test_spans_point_into_the_file() -> None:
    module, _ = parse("\n\nrule r\n  when partner.country in RISK\n  then v >= c")
    rule = module.items[0]
    assert isinstance(rule, n.Rule) and isinstance(rule.when, n.In)
    span = rule.when.element.span
    assert (span.line, span.column, span.text) == (4, 8, "partner.country")


def test_a_text_before_the_first_item_is_an_error() -> None:
    _, codes = parse("hello\nrule r when a then v >= c")
    assert codes == ["KSP101"]


def test_an_item_refused_late_leaves_nothing_of_what_was_built() -> None:
    """Nodes are built as Lark reduces, so an item refused at its last token has already
    built some (and reported an impossible date): only its syntax error remains, and its
    one-line rule is not counted."""
    module, codes = parse(
        "if a then v >= b\nif b valid from 2025-02-30 when a then v >= b )\n"
        "rule r valid from 2025-02-30 when a then v >= b )\nif c then v >= b"
    )
    assert codes == ["KSP101", "KSP101"]  # no KSP105 for the dates
    assert all(isinstance(item, n.Rule) for item in module.items)
    names = [item.name.text for item in module.items if isinstance(item, n.Rule)]
    assert names == ["t.if1", "t.if2"]


def test_a_long_and_chain_is_one_node_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11 ("one `and` of 100,000 operands 14 s (quadratic)"; "long and/or chains
    are flat"), the parser's part: a chain is one And of all its operands, made by one
    call of the builder, so building it is linear (no node per operand, no tuple grown
    operand by operand)."""
    calls: list[int] = []
    and_expr = builder.Builder.and_expr

    def counted(self: Any, span: Any, *operands: n.Expr) -> n.And:
        calls.append(len(operands))
        return and_expr(self, span, *operands)

    monkeypatch.setattr(builder.Builder, "and_expr", counted)
    counting = parser.make_parser(parser.grammar_text())
    monkeypatch.setattr(parser, "_lark", lambda: counting)
    # 5,000 operands: within max_item_chars (KSP135 refuses longer items unparsed)
    expr = parse_expression(" and ".join(f"x{i}" for i in range(5_000)))
    assert calls == [5_000]
    assert isinstance(expr, n.And) and len(expr.operands) == 5_000
    assert all(isinstance(o, n.Path) for o in expr.operands)
    assert (expr.operands[-1].span.text, expr.span.text[-9:]) == ("x4999", "and x4999")
    expr = parse_expression(" or ".join(f"x{i}" for i in range(1_000)) + " or (a or b)")
    assert isinstance(expr, n.Or) and len(expr.operands) == 1_001  # brackets stay a node


@pytest.mark.parametrize("opening, closing", [("not ", ""), ("(", ")"), ("not (", ")")])
def test_max_depth_1010_with_1000_nots_parses(opening: str, closing: str) -> None:
    """Issue 11: `--limit max_depth=1010` with 1,000 `not` (documented as safe to raise).
    Lark's parser and the node building are not recursive, so the parser takes any depth
    the limit allows, in a thread with Python's default recursion limit too."""
    text = "rule r when " + opening * 1_000 + "f.a" + closing * 1_000 + " then v >= y"
    outcome: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcome.append(parse_module(Source("t.pol", text), max_depth=1_010))
    )
    worker.start()
    worker.join()
    [(module, diagnostics)] = outcome
    assert diagnostics == []
    rule = module.items[0]
    assert isinstance(rule, n.Rule)
    node, nots = rule.when, 0
    while isinstance(node, n.Not):
        node, nots = node.operand, nots + 1
    assert nots == (1_000 if "not" in opening else 0)
    assert isinstance(node, n.Path) and node.span.text == "f.a"
    _, diagnostics = parse_module(Source("t.pol", text), max_depth=400)
    # Brackets alone add no level to the parse tree (the checker counts them).
    assert [d.code.number for d in diagnostics] == (["KSP130"] if nots else [])


# ---- the grammar is the only definition of the language ----------------------------------

SRC = Path(parser.__file__).parent


def _grammar_terminals() -> dict[str, str]:
    """Each terminal the grammar defines by a regular expression, as written there."""
    written = {}
    for terminal in parser._lark().terminals:
        if terminal.pattern.type == "re":
            value = str(terminal.pattern.value)
            for char, escape in (("\t", "\\t"), ("\f", "\\f"), ("\r", "\\r"), ("\n", "\\n")):
                value = value.replace(char, escape)
            written[str(terminal.name)] = value
    return written


def test_no_terminal_is_restated_outside_the_grammar() -> None:
    """No text in kspolicy's code holds the regular expression of a grammar terminal
    (lexer.py did, and read `-5` when the grammar's INT no longer did)."""
    terminals = _grammar_terminals()
    assert {"NAME", "STRING", "INT", "DECIMAL", "DATE", "COMMENT"} <= set(terminals)
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.replace("?:", "")  # `(?:...)` restates `(...)` all the same
                for name, pattern in terminals.items():
                    assert pattern not in text, f"{path.name}:{node.lineno} restates {name}"


def test_the_check_for_restated_terminals_finds_one() -> None:
    # What the test above looks for, in the form lexer.py and the formatter wrote it.
    terminals = _grammar_terminals()
    assert terminals["INT"] in r"-?\d+"
    assert terminals["NAME"] in r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
    assert terminals["STRING"] in r'(?P<text>"(?:\\.|[^"\\])*"?)'.replace("?:", "")


def _with_grammar(monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    grammar = parser.grammar_text()
    assert old in grammar
    changed = parser.make_parser(grammar.replace(old, new))
    monkeypatch.setattr(parser, "_lark", lambda: changed)


def test_int_changed_to_digits_only_in_the_grammar_refuses_minus_five(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 12: with INT changed to /\\d+/ in the grammar, the fast reader still read
    `-5`, Lark refused it. Now what the grammar says is what parses."""
    text = "rule r when x == -5 then v >= c"
    rule = only(text)
    assert isinstance(rule, n.Rule)
    compare = rule.when
    assert isinstance(compare, n.Compare) and compare.right == lit(-5)
    _with_grammar(monkeypatch, r"INT: /-?\d+/", r"INT: /\d+/")
    assert parse(text)[1] == ["KSP102"]  # unexpected character `-`
    assert parse("rule r when x == 5 then v >= c")[1] == []


def test_the_item_layout_takes_texts_and_comments_from_the_grammar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A file is split into items outside texts and comments, as the grammar has them.
    text = "rule a when x then v >= c // a note\nrule b when y then v >= c\n"
    assert parse(text)[1] == ["KSP102"]  # `/` is no character of the language
    _with_grammar(monkeypatch, r"COMMENT: /#[^\n]*/", r"COMMENT: /\/\/[^\n]*/")
    module, codes = parse(text)
    assert codes == []
    assert [c.text for c in module.comments] == ["// a note"]
    _, codes = parse("rule a when x then v >= c // note\nrule b when y then v >= c # no\n")
    assert codes == ["KSP102"]  # `#` no longer starts a comment


# ---- Lark's public API only --------------------------------------------------------------

LARK_INTERNALS = {
    "parse_table",
    "parser_conf",
    "lexer_conf",
    "empty_indices",
    "expand1",
    "template_source",
    "callbacks",
    "states",
    "start_states",
    "end_states",
}


def test_no_private_lark_attribute_in_src() -> None:
    """Lark is used through its public API: imported from `lark` and `lark.exceptions`
    only, no attribute of Lark's internals (the parse table, rule options, the parser
    inside the parser), no `_`-prefixed attribute but our own (`self._x`), no token
    made behind Token's back (`str.__new__`)."""
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        uses_lark = False
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lark":
                assert node.module in ("lark", "lark.exceptions"), f"{path.name}: {node.module}"
                uses_lark = True
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "lark":
                        assert alias.name == "lark", f"{path.name}: import {alias.name}"
                        uses_lark = True
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            where = f"{path.name}:{node.lineno}: .{node.attr}"
            assert node.attr not in LARK_INTERNALS, where
            if isinstance(node.value, ast.Attribute):  # `x.parser.parser`
                assert not (node.attr == node.value.attr == "parser"), where
            if node.attr == "__new__" and isinstance(node.value, ast.Name):
                assert node.value.id != "str", where
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            if uses_lark and private:
                assert isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"), where


def test_every_rule_of_the_grammar_has_a_reduction() -> None:
    # A rule without one would reach the builder as a bare lark.Tree.
    reductions = parser._lark().options.transformer
    for rule in parser._lark().rules:
        name = str(rule.alias or rule.origin.name)
        always_inlined = rule.options.expand1 and not rule.alias and len(rule.expansion) == 1
        if not name.startswith("_") and not always_inlined:
            assert callable(getattr(reductions, name, None)), name
