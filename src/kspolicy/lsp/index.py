"""Every name a policy declares and every place that uses it, from the syntax trees.

The index is made from the syntax trees of the policy's files and the table headers of
its list files, not from the checked policy, so that it is there while the policy has
errors (the editor asks for a definition most while a policy is half written). Each
use is an `Occurrence` of a `Key`: `("field", "Partner", "country")`, `("list",
"RISK_COUNTRIES")`, `("code", "Verdict", "notify")`... A path in a condition is
resolved the way the checker reads it: a quantifier's variable, a binder (`as
partner`), a definition, a list, a field of the schema; the parts after the first are
fields of the record reached so far. A name that resolves to none of these, compared
with a value of an enum, is one of that enum's codes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeAlias

import attrs

from ..lang import nodes as n
from ..span import Source, Span

Key: TypeAlias = tuple[str, ...]
"""What an occurrence names: its kind first, then what identifies it among that kind."""

LIST_HEADER = re.compile(
    r'^[ \t]*(\[\[?)[ \t]*("?)([A-Za-z_][A-Za-z0-9_]*)\2[ \t]*(\.[^\]\n]*)?\]', re.MULTILINE
)
"""A table header of a list file that names a list: `[RISK_COUNTRIES]` (or quoted) declares
it, a list being named by its table; `[CONTACT_POINTS.labels]` and `[[ANSWERS.entries]]`
write a table inside it, and so name it too."""

LIST_REFERENCE = re.compile(
    r'(?:^|[{,])[ \t]*list[ \t]*=[ \t]*"([A-Za-z_][A-Za-z0-9_]*)"', re.MULTILINE
)
"""Where a list file names another list: an adjudication's `list = "SANCTIONED_PARTIES"`
(an entities list it answers for; lang/reviews.py), inline or a table's line."""

LIST_CITE = re.compile(r'^[ \t]*cite[ \t]*=[ \t]*"([^"\n]+)"', re.MULTILINE)
"""The anchor a list cites: `cite = "contacts"`."""

_SCALARS = frozenset({"bool", "int", "decimal", "text", "date"})


@attrs.frozen
class Occurrence:
    """One place a name is written: where it is declared (`definition`) or used."""

    key: Key
    span: Span
    definition: bool = False


@attrs.frozen
class FieldType:
    """A path's type as far as the index follows it: a type name, and whether a list."""

    name: str
    is_list: bool = False


@attrs.frozen
class Model:
    """The declarations of a policy, by name, as its syntax trees give them."""

    schema: dict[str, n.FieldDecl]
    records: dict[str, n.RecordDecl]
    enums: dict[str, n.EnumDecl]
    defines: dict[str, n.Define]
    outcomes: dict[str, n.OutcomeDecl]
    rules: dict[str, n.Rule]
    binders: dict[str, n.FieldDecl]  # the binder's name: the list field it binds
    lists: dict[str, Span]  # each list's header in its list file
    imports: list[tuple[n.Import, Path]]  # each import with the file it names
    listed: list[Occurrence] = attrs.field(factory=list)  # the names in the list files

    def fields_of(self, record: str | None) -> dict[str, n.FieldDecl]:
        """The fields of a record by name; of the schema for None."""
        if record is None:
            return self.schema
        decl = self.records.get(record)
        return {f.name.text: f for f in decl.fields} if decl is not None else {}


def model(modules: Iterable[tuple[Path, n.Module]], list_files: Iterable[Source]) -> Model:
    """The declarations of these modules (file, tree) and list files; a name declared
    twice keeps its first declaration (the checker reports the second)."""
    built = Model({}, {}, {}, {}, {}, {}, {}, {}, [])
    for path, module in modules:
        for item in module.items:
            _declare(built, path, item)
    for source in list_files:
        built.listed.extend(list_file_occurrences(source))
    for occurrence in built.listed:
        if occurrence.definition:
            built.lists.setdefault(occurrence.key[1], occurrence.span)
    return built


def list_file_occurrences(source: Source) -> list[Occurrence]:
    """The names a list file writes: the lists its tables declare and the tables inside
    them, the lists its adjudications answer for, the anchors its lists cite. Found in
    the text, so that they are there while the file does not read as TOML."""
    found = []
    for match in LIST_HEADER.finditer(source.text):
        declares = match.group(1) == "[" and match.group(4) is None
        span = Span(source, match.start(3), match.end(3))
        found.append(Occurrence(("list", match.group(3)), span, declares))
    references = list(LIST_REFERENCE.finditer(source.text))
    answered = _answered_lists(source.text) if references else set()
    for match in references:
        if answered is None or match.group(1) in answered:
            found.append(Occurrence(("list", match.group(1)), Span(source, *match.span(1))))
    for match in LIST_CITE.finditer(source.text):
        found.append(Occurrence(("anchor", match.group(1)), Span(source, *match.span(1))))
    return found


def _answered_lists(text: str) -> set[str] | None:
    """The lists a list file's adjudications answer for; None when the file does not
    read as TOML (then each `list = "..."` is taken for one: no other list has the key,
    only a records list's own data could)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    found: set[str] = set()
    for table in data.values():
        if isinstance(table, dict) and table.get("kind") == "adjudications":
            entries = table.get("entries")
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get("list"), str):
                    found.add(entry["list"])
    return found


def _declare(built: Model, path: Path, item: n.Item) -> None:
    if isinstance(item, n.SchemaDecl):
        for field in item.fields:
            built.schema.setdefault(field.name.text, field)
            if field.binder is not None:
                built.binders.setdefault(field.binder.text, field)
    elif isinstance(item, n.RecordDecl):
        built.records.setdefault(item.name.text, item)
        for field in item.fields:
            if field.binder is not None:
                built.binders.setdefault(field.binder.text, field)
    elif isinstance(item, n.EnumDecl):
        built.enums.setdefault(item.name.text, item)
    elif isinstance(item, n.Define):
        built.defines.setdefault(item.name.text, item)
    elif isinstance(item, n.DecisionDecl):
        for outcome in item.outcomes:
            built.outcomes.setdefault(outcome.name.text, outcome)
    elif isinstance(item, n.Rule):
        built.rules.setdefault(item.name.text, item)
    elif isinstance(item, n.Import):
        built.imports.append((item, (path.parent / item.path).resolve()))


def owner_of(decl: n.FieldDecl, built: Model) -> str:
    """The record a field belongs to, "" for the schema's own fields."""
    for name, record in built.records.items():
        if any(f is decl for f in record.fields):
            return name
    return ""


def outcome_enum(outcome: n.OutcomeDecl) -> str:
    """The enum an outcome's codes belong to: its `of` enum, or its own inline scale."""
    if outcome.enum is not None and outcome.kind != "entry":
        return outcome.enum.text
    return f"outcome:{outcome.name.text}"


def occurrences(modules: Iterable[tuple[Path, n.Module]], built: Model) -> list[Occurrence]:
    """Every occurrence of every name in these modules and in the list files."""
    found = list(built.listed)
    for _, module in modules:
        for item in module.items:
            found.extend(_Walker(built).item(item))
    return found


class _Walker:
    """The occurrences in one item; `vars` are the quantifier variables in scope."""

    def __init__(self, built: Model) -> None:
        self.model = built
        self.found: list[Occurrence] = []

    def add(self, key: Key, span: Span, definition: bool = False) -> None:
        self.found.append(Occurrence(key, span, definition))

    def item(self, item: n.Item) -> list[Occurrence]:
        m = self.model
        if isinstance(item, n.SchemaDecl | n.RecordDecl):
            owner = item.name.text if isinstance(item, n.RecordDecl) else ""
            if isinstance(item, n.RecordDecl):
                self.add(("record", owner), item.name.span, True)
                if item.named_by is not None:
                    self.add(("field", owner, item.named_by.text), item.named_by.span)
            for field in item.fields:
                self.add(("field", owner, field.name.text), field.name.span, True)
                self.type_ref(field.type)
                if field.binder is not None:
                    self.add(("binder", field.binder.text), field.binder.span, True)
        elif isinstance(item, n.EnumDecl):
            self.add(("enum", item.name.text), item.name.span, True)
            for value in item.values:
                self.add(("code", item.name.text, value.code.text), value.code.span, True)
            if item.from_list is not None:
                self.add(("list", item.from_list.text), item.from_list.span)
        elif isinstance(item, n.DecisionDecl):
            for outcome in item.outcomes:
                self.add(("outcome", outcome.name.text), outcome.name.span, True)
                if outcome.enum is not None:
                    kind = "list" if outcome.kind == "entry" else "enum"
                    self.add((kind, outcome.enum.text), outcome.enum.span)
                for code in outcome.codes:
                    self.add(("code", outcome_enum(outcome), code.text), code.span, True)
                if outcome.sources is not None:
                    self.add(("list", outcome.sources.text), outcome.sources.span)
                if outcome.key is not None:
                    self.path(outcome.key, {})
        elif isinstance(item, n.Define):
            self.add(("define", item.name.text), item.name.span, True)
            self.expr(item.expr, {})
        elif isinstance(item, n.Rule):
            if not item.oneline:
                self.add(("rule", item.name.text), item.name.span, True)
            for anchor in item.cites:
                self.add(("anchor", anchor.text), anchor.span)
            for expr in (item.when, *item.unless):
                if expr is not None:
                    self.expr(expr, {})
            for assignment in item.then:
                self.assignment(assignment)
        elif isinstance(item, n.Import):
            for path_key in (p for i, p in m.imports if i is item):
                self.add(("file", str(path_key)), _quoted(item.span))
        return self.found

    def type_ref(self, ref: n.TypeRef) -> None:
        name = ref.name.text
        if name in self.model.records:
            self.add(("record", name), ref.name.span)
        elif name in self.model.enums:
            self.add(("enum", name), ref.name.span)

    def assignment(self, assignment: n.Assignment) -> None:
        name = assignment.outcome.text
        self.add(("outcome", name), assignment.outcome.span)
        outcome = self.model.outcomes.get(name)
        if outcome is None:
            return
        for value in assignment.values:
            self.add(("code", outcome_enum(outcome), value.text), value.span)

    def expr(self, expr: n.Expr, vars: dict[str, FieldType]) -> FieldType | None:
        """Record the occurrences in an expression; its type, where the index knows it."""
        if isinstance(expr, n.Path):
            return self.path(expr, vars)
        if isinstance(expr, n.Not):
            self.expr(expr.operand, vars)
        elif isinstance(expr, n.And | n.Or):
            for operand in expr.operands:
                self.expr(operand, vars)
        elif isinstance(expr, n.SetLiteral):
            for item in expr.items:
                self.expr(item, vars)
        elif isinstance(expr, n.Compare):
            self.compared(expr.left, expr.right, vars)
        elif isinstance(expr, n.In):
            self.member(expr.element, expr.container, vars)
        elif isinstance(expr, n.Matches):
            self.expr(expr.subject, vars)
            self.add(("list", expr.list_name.text), expr.list_name.span)
        elif isinstance(expr, n.IsKnown):
            self.expr(expr.subject, vars)
        elif isinstance(expr, n.Quantifier):
            collection = self.path(expr.collection, vars)
            inner = dict(vars)
            if collection is not None:
                inner[expr.var.text] = FieldType(collection.name)
            self.expr(expr.body, inner)
        return None

    def compared(self, left: n.Expr, right: n.Expr, vars: dict[str, FieldType]) -> None:
        types = [self.resolvable(side, vars) for side in (left, right)]
        for side, other in ((left, types[1]), (right, types[0])):
            if self.resolvable(side, vars) is None and isinstance(side, n.Path) and other:
                self.code(side, other.name)
            else:
                self.expr(side, vars)

    def member(self, element: n.Expr, container: n.Expr, vars: dict[str, FieldType]) -> None:
        element_type = self.resolvable(element, vars)
        container_type = self.resolvable(container, vars)
        if isinstance(container, n.SetLiteral) and element_type is not None:
            for item in container.items:
                if isinstance(item, n.Path) and self.resolvable(item, vars) is None:
                    self.code(item, element_type.name)
                else:
                    self.expr(item, vars)
        else:
            self.expr(container, vars)
        if element_type is None and isinstance(element, n.Path) and container_type is not None:
            self.code(element, container_type.name)
        else:
            self.expr(element, vars)

    def code(self, path: n.Path, enum: str) -> None:
        if enum in self.model.enums:
            self.add(("code", enum, path.dotted), path.span)

    def resolvable(self, expr: n.Expr, vars: dict[str, FieldType]) -> FieldType | None:
        """An expression's type without recording anything: None if not a known path."""
        if not isinstance(expr, n.Path):
            return None
        resolved = resolve(self.model, expr.parts, vars)
        return resolved[1] if resolved is not None else None

    def path(self, path: n.Path, vars: dict[str, FieldType]) -> FieldType | None:
        resolved = resolve(self.model, path.parts, vars)
        if resolved is None:
            return None
        keys, found = resolved
        for part, key in zip(path.parts, keys, strict=False):
            if key is not None:
                self.add(key, part.span)
        return found


def resolve(
    built: Model, parts: tuple[n.Name, ...], vars: dict[str, FieldType]
) -> tuple[list[Key | None], FieldType | None] | None:
    """What each part of a path names, and the path's type; None when its first part is
    nothing the policy declares (a code, or a mistake the checker reports)."""
    first = parts[0].text
    keys: list[Key | None] = []
    record: str | None
    if first in vars:
        keys.append(None)
        record = vars[first].name
    elif first in built.binders:
        keys.append(("binder", first))
        record = built.binders[first].type.name.text
    elif len(parts) == 1 and first in built.defines:
        return [("define", first)], FieldType("bool")
    elif len(parts) == 1 and first in built.lists:
        return [("list", first)], _list_type(built, first)
    elif first in built.schema:
        field = built.schema[first]
        keys.append(("field", "", first))
        record = field.type.name.text
        if len(parts) == 1:
            return keys, FieldType(record, field.type.is_list)
    else:
        return None
    found: FieldType | None = FieldType(record)
    for part in parts[1:]:
        fields = built.fields_of(record) if record in built.records else {}
        inner = fields.get(part.text)
        if inner is None:
            keys.append(None)
            found = None
            record = ""
            continue
        keys.append(("field", record or "", part.text))
        record = inner.type.name.text
        found = FieldType(record, inner.type.is_list)
    return keys, found


def _list_type(built: Model, name: str) -> FieldType | None:
    """A codes list's element type: the enum made from it (`enum Country from COUNTRIES`)."""
    for enum in built.enums.values():
        if enum.from_list is not None and enum.from_list.text == name:
            return FieldType(enum.name.text, True)
    return None


def _quoted(span: Span) -> Span:
    """The text in quotes within an item's span (an import's file name)."""
    text = span.text
    start = text.find('"')
    end = text.rfind('"')
    if start < 0 or end <= start:
        return span
    return Span(span.source, span.start + start, span.start + end + 1)


def at(found: Iterable[Occurrence], path: str, offset: int) -> Occurrence | None:
    """The occurrence under an offset of a file (the innermost, when several are)."""
    best: Occurrence | None = None
    for occurrence in found:
        span = occurrence.span
        if span.source.name == path and span.start <= offset <= span.end:
            if best is None or span.end - span.start < best.span.end - best.span.start:
                best = occurrence
    return best


def of_key(found: Iterable[Occurrence], key: Key) -> Iterator[Occurrence]:
    """Every occurrence of one key, in the order found."""
    return (o for o in found if o.key == key)


def is_scalar(name: str) -> bool:
    """Whether a type name is a built-in scalar (`bool`, `text`...)."""
    return name in _SCALARS
