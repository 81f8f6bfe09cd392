"""The canonical layout of policy files, keeping every comment.

`format_source` prints a parsed file item by item in one layout, then parses its own
output and refuses (FormatError) unless the tree is the same and every comment is
still there: it can never change what a policy means or lose what someone wrote.

Comments are attached to *units*: an item, and inside items each clause, assignment,
field, enum value and outcome. A comment on its own line goes before the unit that
follows it; a comment at the end of a unit's line stays at the end of that unit's last
line; a comment inside a unit (between the lines of a long condition) goes before the
unit. Blank lines between items are kept as one; there are none inside items.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache

import attrs

from ..diagnostics import KSP210, Diagnostic, KspolicyError
from ..span import Source, Span
from . import nodes as n
from .layout import ITEM_KEYWORDS
from .parser import parse_module, terminal_regex

WIDTH = 100


@cache
def _plain_name() -> re.Pattern[str]:
    """A dotted name, of the grammar's NAMEs: a code that matches is written unquoted."""
    name = terminal_regex("NAME")
    return re.compile(rf"{name}(\.{name})*$")


class FormatError(KspolicyError):
    """A file that cannot be formatted: it does not parse, or formatting would change it."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


@attrs.define
class _Unit:
    """Lines of output that comments attach to, and the source span they came from."""

    start: int
    end: int
    lines: list[str]
    indent: str = ""
    leading: list[str] = attrs.Factory(list)
    trailing: list[str] = attrs.Factory(list)


def format_source(text: str, name: str = "<policy>") -> str:
    """The canonical layout of one policy file (FormatError if it cannot be had safely)."""
    source = Source(name, text)
    module, diagnostics = parse_module(source)
    # A duplicated clause (KSP210) is not in the tree: formatting would drop it.
    errors = [d for d in diagnostics if d.code.number < "KSP200" or d.code == KSP210]
    if errors:
        raise FormatError(f"{name} has syntax errors; fix them before formatting", errors)
    formatted = _Printer(source, module.comments).module(module)
    again, diagnostics = parse_module(Source(name, formatted))
    if any(d.code.number < "KSP200" for d in diagnostics) or again.items != module.items:
        raise FormatError(f"{name}: formatting would change the policy; the file is left as it is")
    if sorted(c.text.rstrip() for c in again.comments) != sorted(
        c.text.rstrip() for c in module.comments
    ):
        raise FormatError(f"{name}: formatting would lose a comment; the file is left as it is")
    return formatted


# ---- expressions -----------------------------------------------------------------

_LEVEL = {n.Quantifier: 0, n.Or: 1, n.And: 2, n.Not: 3}


def _level(expr: n.Expr) -> int:
    return _LEVEL.get(
        type(expr), 4 if isinstance(expr, n.Compare | n.In | n.Matches | n.IsKnown) else 5
    )


def _ends_open(expr: n.Expr) -> bool:
    """Whether the printed expression ends in a quantifier body, which reaches rightwards."""
    if isinstance(expr, n.Quantifier):
        return True
    if isinstance(expr, n.Not):
        return _ends_open(expr.operand)
    if isinstance(expr, n.And | n.Or):
        return _ends_open(expr.operands[-1])
    return False


def quote(text: str) -> str:
    """A text in quotes, escaped so that it parses back to itself."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def literal(value: object) -> str:
    """A literal value as the policy language writes it."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        shown = format(Decimal(repr(value)), "f")
        return shown if "." in shown else shown + ".0"
    if value == ():
        return "[]"
    return str(value)


def _code(name: str) -> str:
    plain = _plain_name().match(name) and name.split(".")[0] not in ITEM_KEYWORDS
    return name if plain else quote(name)


def _operands(expr: n.And | n.Or) -> list[str]:
    parts = []
    for i, operand in enumerate(expr.operands):
        last = i == len(expr.operands) - 1
        needs = _level(operand) <= _level(expr) or (not last and _ends_open(operand))
        if isinstance(operand, n.Quantifier) and last:
            needs = False
        parts.append(f"({expression(operand)})" if needs else expression(operand))
    return parts


def _side(expr: n.Expr) -> str:
    return expression(expr) if _level(expr) == 5 else f"({expression(expr)})"


def expression(expr: n.Expr) -> str:
    """An expression on one line, with the parentheses its structure needs."""
    if isinstance(expr, n.Path):
        return expr.dotted
    if isinstance(expr, n.Literal):
        return literal(expr.value)
    if isinstance(expr, n.SetLiteral):
        return "{" + ", ".join(expression(i) for i in expr.items) + "}"
    if isinstance(expr, n.Not):
        inner = expr.operand
        return "not " + (
            expression(inner)
            if _level(inner) >= 3 or isinstance(inner, n.Quantifier)
            else f"({expression(inner)})"
        )
    if isinstance(expr, n.And):
        return " and ".join(_operands(expr))
    if isinstance(expr, n.Or):
        return " or ".join(_operands(expr))
    if isinstance(expr, n.Compare):
        return f"{_side(expr.left)} {expr.op} {_side(expr.right)}"
    if isinstance(expr, n.In):
        op = "not in" if expr.negated else "in"
        return f"{_side(expr.element)} {op} {_side(expr.container)}"
    if isinstance(expr, n.Matches):
        return f"{_side(expr.subject)} matches {expr.list_name.text}"
    if isinstance(expr, n.IsKnown):
        return f"{_side(expr.subject)} is {'known' if expr.known else 'unknown'}"
    assert isinstance(expr, n.Quantifier)
    return f"{expr.kind} {expr.var.text} in {expr.collection.dotted}: {expression(expr.body)}"


def _wrapped(head: str, expr: n.Expr, indent: str) -> list[str]:
    """`head expr`, broken before `and`/`or` when it does not fit on one line."""
    flat = head + expression(expr)
    if len(flat) <= WIDTH or not isinstance(expr, n.And | n.Or):
        return [flat]
    word = " and " if isinstance(expr, n.And) else " or "
    pad = " " * len(head)
    lines = [head]
    for i, part in enumerate(_operands(expr)):
        piece = part if i == 0 else word.strip() + " " + part
        if i and len(lines[-1]) + 1 + len(piece) > WIDTH:
            lines.append(pad + piece)
        else:
            lines[-1] = lines[-1] + ("" if i == 0 else " ") + piece
    return lines


def text(value: n.Text, head: str, room: int = 0) -> list[str]:
    """`head en "..." nl "..."` on one line if it fits, else one language a line.

    A language's text too long for its line is wrapped inside its quotes: white space
    in a text counts as one space, so the wrapped text means the same.
    """
    parts = [(f"{lang} " if lang else "", body) for lang, body in value.parts]
    flat = head + " ".join(lang + quote(body) for lang, body in parts)
    if len(flat) + room <= WIDTH:
        return [flat]
    pad = " " * len(head)
    lines: list[str] = []
    for i, (lang, body) in enumerate(parts):
        lines += _wrap_text((head if i == 0 else pad) + lang, body)
    return lines


def _wrap_text(prefix: str, body: str) -> list[str]:
    words = quote(body)[1:-1].split(" ")
    indent = " " * (len(prefix) + 1)
    lines = [prefix + '"' + words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) + 1 > WIDTH and lines[-1].strip() not in ("", '"'):
            lines.append(indent + word)
        else:
            lines[-1] += " " + word
    lines[-1] += '"'
    return lines


# ---- items -------------------------------------------------------------------------


class _Printer:
    def __init__(self, source: Source, comments: Sequence[n.Comment] = ()) -> None:
        self.source = source
        self.comments = comments

    def _has_comment(self, span: Span) -> bool:
        return any(span.start <= c.span.start < span.end for c in self.comments)

    def module(self, module: n.Module) -> str:
        groups = [self.units(item) for item in module.items]
        comments = list(module.comments)
        starts = [g[0].start for g in groups]
        attached = self.attach(comments, [u for g in groups for u in g], starts)
        out: list[str] = []
        previous: tuple[n.Item, bool] | None = None
        for item, units in zip(module.items, groups, strict=True):
            multi = sum(len(u.lines) for u in units) > 1
            if previous is not None and (
                previous[1] or multi or self._blank_between(previous[0], item)
            ):
                out.append("")
            for unit in units:
                # One comment fits at the end of a line (a second would become part of
                # the first): the others go on lines of their own above it.
                *above, last = unit.trailing or [""]
                out += [unit.indent + c if c else "" for c in (*unit.leading, *above)]
                lines = list(unit.lines)
                if last:
                    lines[-1] += "  " + last
                out += lines
            previous = (item, multi)
        if attached:  # comments after the last item
            if out:
                out.append("")
            out += attached
        return "\n".join(out).rstrip("\n") + "\n"

    def _blank_between(self, a: n.Item, b: n.Item) -> bool:
        return bool(re.search(r"\n[ \t\r]*\n", self.source.text[a.span.end : b.span.start]))

    def attach(
        self, comments: list[n.Comment], units: list[_Unit], item_starts: list[int]
    ) -> list[str]:
        """Give each comment to a unit; return those after every unit."""
        rest: list[str] = []
        for comment in comments:
            text_ = comment.text.rstrip()
            line_start = self.source.text.rfind("\n", 0, comment.span.start) + 1
            own_line = not self.source.text[line_start : comment.span.start].strip()
            if not own_line:
                before = [u for u in units if u.start < comment.span.start]
                owner = max(before, key=lambda u: u.start) if before else None
                if owner is not None and comment.span.start >= owner.end:
                    owner.trailing.append(text_)
                    continue
                if owner is not None:  # inside a unit that spans lines: put it before
                    owner.leading.append(text_)
                    continue
            after_it = [u for u in units if u.start >= comment.span.start]
            following = min(after_it, key=lambda u: u.start) if after_it else None
            target = following.leading if following is not None else rest
            target.append(text_)
            upto = following.start if following is not None else len(self.source.text)
            after = self.source.text[comment.span.end : upto]
            if re.match(r"[ \t\r]*\n[ \t\r]*\n", after):
                target.append("")  # the author left a blank line after this comment
        return rest

    # each item as units

    def units(self, item: n.Item) -> list[_Unit]:
        method = getattr(self, f"item_{type(item).__name__}")
        return method(item)  # type: ignore[no-any-return]

    def unit(self, span: Span, lines: list[str], indent: str = "") -> _Unit:
        return _Unit(span.start, span.end, lines, indent)

    def item_PolicyHeader(self, item: n.PolicyHeader) -> list[_Unit]:
        head = self.unit(item.name.span, [f"policy {item.name.text} version {quote(item.version)}"])
        head.start = item.span.start
        units = [head]
        if item.title is not None:
            units.append(self.unit(item.title.span, text(item.title, "  title "), "  "))
        if item.languages:
            span = item.languages[0].span.to(item.languages[-1].span)
            units.append(
                self.unit(span, ["  languages " + ", ".join(x.text for x in item.languages)], "  ")
            )
        return units

    def item_Import(self, item: n.Import) -> list[_Unit]:
        return [self.unit(item.span, [f"import {quote(item.path)}"])]

    def item_Lists(self, item: n.Lists) -> list[_Unit]:
        return [self.unit(item.span, [f"lists {quote(item.pattern)}"])]

    def item_DecisionDecl(self, item: n.DecisionDecl) -> list[_Unit]:
        units = [_Unit(item.span.start, item.span.start + 1, ["decision {"])]
        for outcome in item.outcomes:
            if outcome.kind == "entry":
                assert outcome.enum is not None and outcome.key is not None
                kind = f"entry of {outcome.enum.text} for {outcome.key.dotted}"
            elif outcome.enum is not None:
                kind = f"{outcome.kind} of {outcome.enum.text}"
            else:
                kind = "scale " + " < ".join(_code(c.text) for c in outcome.codes)
            lines = [f"  {outcome.name.text}: {kind}"]
            if outcome.headline is not None:
                lines[0] += " headline"
            if outcome.sources is not None:
                lines[0] += f" sources {outcome.sources.text}"
            if outcome.title is not None:
                lines += text(outcome.title, "    title ")
            units.append(self.unit(outcome.span, lines, "  "))
        units.append(_Unit(item.span.end - 1, item.span.end, ["}"], "  "))
        return units

    def _fields(self, fields: Iterable[n.FieldDecl]) -> list[_Unit]:
        units = []
        for field in fields:
            type_ = ("list of " if field.type.is_list else "") + field.type.name.text
            if field.type.int_range is not None:
                type_ += f" {field.type.int_range[0]}..{field.type.int_range[1]}"
            head = f"  {field.name.text}: {type_}"
            if field.required:
                head += " required"
            if field.default is not None:
                head += f" = {literal(field.default.value)}"
            if field.binder is not None:
                head += f" as {field.binder.text}"
            lines = [head]
            if field.question is not None:
                lines += text(field.question, "    question ")
            units.append(self.unit(field.span, lines, "  "))
        return units

    def item_RecordDecl(self, item: n.RecordDecl) -> list[_Unit]:
        head = f"record {item.name.text}"
        if item.title is not None:
            head = " ".join(text(item.title, head + " title "))
        if item.named_by is not None:
            head += f" named by {item.named_by.text}"
        units = [_Unit(item.span.start, item.name.span.end, [head + " {"])]
        units += self._fields(item.fields)
        units.append(_Unit(item.span.end - 1, item.span.end, ["}"], "  "))
        return units

    def item_SchemaDecl(self, item: n.SchemaDecl) -> list[_Unit]:
        units = [_Unit(item.span.start, item.span.start + 6, ["schema {"])]
        units += self._fields(item.fields)
        units.append(_Unit(item.span.end - 1, item.span.end, ["}"], "  "))
        return units

    def item_EnumDecl(self, item: n.EnumDecl) -> list[_Unit]:
        head = f"enum {item.name.text}"
        if item.description is not None:
            head += f" {quote(item.description)}"
        if item.from_list is not None:
            tail = " hierarchical" if item.hierarchical else ""
            return [self.unit(item.span, [f"{head} from {item.from_list.text}{tail}"])]
        values = []
        for value in item.values:
            entry = _code(value.code.text)
            label = (
                text(value.label, f"  {entry} ", room=1)
                if value.label is not None
                else [f"  {entry}"]
            )
            values.append((value, [line[2:] for line in label]))
        flat = head + " { " + ", ".join(" ".join(v[1]) for v in values) + " }"
        plain = not any(v.label for v, _ in values)
        if plain and len(flat) <= WIDTH:
            return [self.unit(item.span, [flat])]
        if plain and not self._has_comment(item.span):
            lines = ["  "]
            for _, (code,) in values:
                if len(lines[-1]) + len(code) + 2 > WIDTH:
                    lines.append("  ")
                lines[-1] += ("" if lines[-1] == "  " else " ") + code + ","
            return [self.unit(item.span, [head + " {", *lines, "}"])]
        units = [_Unit(item.span.start, item.name.span.end, [head + " {"])]
        for value, lines in values:
            lines = ["  " + line for line in lines]
            lines[-1] += ","
            units.append(self.unit(value.span, lines, "  "))
        units.append(_Unit(item.span.end - 1, item.span.end, ["}"], "  "))
        return units

    def item_Define(self, item: n.Define) -> list[_Unit]:
        units = [self.unit(item.name.span, [f"define {item.name.text}"])]
        units[0].start = item.span.start
        if item.title is not None:
            units.append(self.unit(item.title.span, text(item.title, "  title "), "  "))
        units.append(self.unit(item.expr.span, _wrapped("  = ", item.expr, "  "), "  "))
        if (
            item.title is None
            and len(units[-1].lines) == 1
            and len(units[0].lines[0]) + len(units[-1].lines[0]) - 1 <= WIDTH
        ):
            units[0].lines = [units[0].lines[0] + units[-1].lines[0][1:]]
            units[0].end = units[-1].end
            units.pop()
        return units

    def _assignment(self, assignment: n.Assignment) -> str:
        values = ", ".join(_code(v.text) for v in assignment.values)
        return f"{assignment.outcome.text} {assignment.op} {values}"

    def _assignment_lines(self, head: str, assignment: n.Assignment) -> list[str]:
        """An assignment, its codes wrapped after a comma when the line is too long."""
        start = f"{head}{assignment.outcome.text} {assignment.op} "
        codes = [_code(v.text) for v in assignment.values]
        lines = [start + codes[0]]
        for code in codes[1:]:
            if len(lines[-1]) + 2 + len(code) + 1 > WIDTH:
                lines[-1] += ","
                lines.append(" " * len(start) + code)
            else:
                lines[-1] += ", " + code
        return lines

    def item_Rule(self, item: n.Rule) -> list[_Unit]:
        if item.oneline:
            return self._oneline(item)
        units = [self.unit(item.name.span, [f"rule {item.name.text}"])]
        units[0].start = item.span.start
        if item.title is not None:
            units.append(self.unit(item.title.span, text(item.title, "  title "), "  "))
        if item.cites:
            span = item.cites[0].span.to(item.cites[-1].span)
            units.append(
                self.unit(span, ["  cite " + ", ".join(quote(c.text) for c in item.cites)], "  ")
            )
        if item.valid_from or item.valid_until:
            validity = (f" from {item.valid_from.isoformat()}" if item.valid_from else "") + (
                f" until {item.valid_until.isoformat()}" if item.valid_until else ""
            )
            assert item.valid_span is not None
            units.append(self.unit(item.valid_span, ["  valid" + validity], "  "))
        if item.when is not None:
            units.append(self.unit(item.when.span, _wrapped("  when ", item.when, "  "), "  "))
        for unless in item.unless:
            units.append(self.unit(unless.span, _wrapped("  unless ", unless, "  "), "  "))
        for i, assignment in enumerate(item.then):
            head = "  then " if i == 0 else "       "
            units.append(self.unit(assignment.span, self._assignment_lines(head, assignment), "  "))
        if item.because is not None:
            units.append(self.unit(item.because.span, text(item.because, "  because "), "  "))
        units.sort(key=lambda u: u.start)
        return self._canonical_order(units)

    def _canonical_order(self, units: list[_Unit]) -> list[_Unit]:
        order = (
            "rule",
            "  title",
            "  cite",
            "  valid",
            "  when",
            "  unless",
            "  then",
            "       ",
            "  because",
        )
        return sorted(
            units, key=lambda u: next(i for i, p in enumerate(order) if u.lines[0].startswith(p))
        )

    def _oneline(self, item: n.Rule) -> list[_Unit]:
        assert item.when is not None
        line = f"if {expression(item.when)} then " + " ".join(
            self._assignment(a) for a in item.then
        )
        if item.cites:
            line += " cite " + ", ".join(quote(c.text) for c in item.cites)
        if item.because is not None:
            line += " " + " ".join(text(item.because, "because "))
        return [self.unit(item.span, [line])]
