"""The parser: every construct builds the node it should; layout never matters."""

from __future__ import annotations

import datetime as dt

import pytest

from kspolicy import nodes as n
from kspolicy.parser import parse_expression, parse_module
from kspolicy.span import Source


def parse(text: str) -> tuple[n.Module, list[str]]:
    module, diagnostics = parse_module(Source("t.pol", text))
    return module, [d.code.number for d in diagnostics]


def only(text: str) -> n.Item:
    module, codes = parse(text)
    assert codes == []
    [item] = module.items
    return item


def name(text: str) -> n.Name:
    return n.Name(text, None)  # type: ignore[arg-type]


def path(dotted: str) -> n.Path:
    return n.Path(tuple(name(p) for p in dotted.split(".")), None)  # type: ignore[arg-type]


def lit(value: n.LiteralValue) -> n.Literal:
    return n.Literal(value, None)  # type: ignore[arg-type]


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
    assert module.items == (n.Import("schema.pol", None), n.Lists("lists/*.toml", None))  # type: ignore[arg-type]


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
    assert sanctions.type.is_list and sanctions.default == lit(())  # type: ignore[arg-type]
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
    assert item.when == n.And((path("a.b"), n.Not(path("c"), None)), None)  # type: ignore[arg-type]
    assert item.unless == (path("d"), path("e"))
    assert item.then == (
        n.Assignment(name("verdict"), ">=", (name("notify"),), None),  # type: ignore[arg-type]
        n.Assignment(name("obligations"), "+=", (name("x"), name("y")), None),  # type: ignore[arg-type]
    )
    assert item.because is not None and item.because.get("nl") == "B nl"
    assert only("rule r valid until 2025-01-01 when a then v >= b").valid_until == dt.date(
        2025, 1, 1
    )  # type: ignore[union-attr]


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
    assert item.expr == n.In(path("partner.country"), path("RISK"), False, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a == 1", n.Compare("==", path("a"), lit(1), None)),
        ("a != 1.5", n.Compare("!=", path("a"), lit(1.5), None)),
        ("a < 2025-01-31", n.Compare("<", path("a"), lit(dt.date(2025, 1, 31)), None)),
        ("a >= -3", n.Compare(">=", path("a"), lit(-3), None)),
        (
            'a in {x, "y z", 3}',
            n.In(path("a"), n.SetLiteral((path("x"), lit("y z"), lit(3)), None), False, None),
        ),
        ("a not in {}", n.In(path("a"), n.SetLiteral((), None), True, None)),
        ("a.name matches LIST", n.Matches(path("a.name"), name("LIST"), None)),
        ("a is known", n.IsKnown(path("a"), True, None)),
        ("a is unknown", n.IsKnown(path("a"), False, None)),
        ("true or false", n.Or((lit(True), lit(False)), None)),
        ("not not a", n.Not(n.Not(path("a"), None), None)),
        ("a or b and c", n.Or((path("a"), n.And((path("b"), path("c")), None)), None)),
        ("(a or b) and c", n.And((n.Or((path("a"), path("b")), None), path("c")), None)),
        (
            "any p in ps: p.x and p.y",
            n.Quantifier(
                "any", name("p"), path("ps"), n.And((path("p.x"), path("p.y")), None), None
            ),
        ),
        (
            "a and all p in ps: p.x",
            n.And((path("a"), n.Quantifier("all", name("p"), path("ps"), path("p.x"), None)), None),
        ),
        ('a == "say \\"hi\\""', n.Compare("==", path("a"), lit('say "hi"'), None)),
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


def test_an_item_the_reader_gives_up_on_halfway_is_built_once_by_lark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast reader builds nodes as it reads; when it refuses an item late (a token
    its lexer does not know, say), Lark parses it again with the same builder, which
    must not keep what the reader had built: one diagnostic, one-line rules counted once."""
    from kspolicy import parser
    from kspolicy.lalr import Refused

    reader = parser._reader()
    assert reader is not None

    class GivesUpAtTheEnd:
        def read(self, text: str, builder: object) -> object:
            assert reader is not None
            reader.read(text, builder)  # builds everything, then refuses
            raise Refused("at the end")

    monkeypatch.setattr(parser, "_reader", lambda: GivesUpAtTheEnd())
    module, codes = parse("if a then v >= b\nrule r valid from 2025-02-30 when a then v >= b")
    assert codes == ["KSP105"]  # the impossible date, once
    assert [item.name.text for item in module.items] == ["t.if1", "r"]  # type: ignore[attr-defined]
