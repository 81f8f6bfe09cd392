"""The declarations pass: what a policy declares, before any condition is typed.

Reads all items of all files of a policy at once (declarations may come in any order
and from any imported file): the `policy` header, the enums and records and the case
schema they make (with the binders `as x` declares), the decision's outcomes, and the
names of the definitions and rules. It never stops at the first error: each problem
becomes a diagnostic with a span and, where a name is close, a "did you mean"
(`diagnostics.did_you_mean`).

What it produces, `Declared`, is all the expression pass (`expressions`) reads; this
pass reads nothing of that one. The key of an `entry of LIST for fact` outcome is an
expression, so such an outcome leaves this pass as an `EntryOutcome`, its list found,
for the expression pass to finish. An outcome's `sources LIST` is checked here, with
the outcome (`sources`).

A declaration that fails (a field of an unknown type, an enum from an unknown list, a
list in a list file that does not read) *poisons* its name: what uses the name is not
reported again, here or in the expression pass (`Declared.poisoned`), so that one
mistake is reported once, at its cause.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence, Set

import attrs

from ..diagnostics import (
    KSP132,
    KSP201,
    KSP206,
    KSP207,
    KSP208,
    KSP209,
    KSP214,
    KSP217,
    KSP220,
    KSP221,
    KSP226,
    KSP227,
    Code,
    Diagnostic,
    did_you_mean,
    error,
)
from ..limits import Limits
from ..span import Span
from . import checked as c
from . import nodes as n
from . import sources
from .lists import NamedList
from .schema import (
    BUILTIN_TYPES,
    Binder,
    BoolType,
    DateType,
    EnumType,
    Field,
    IntType,
    ListType,
    NumberType,
    RecordType,
    TextType,
    Type,
)


@attrs.frozen
class EntryOutcome:
    """An `entry of LIST for fact` outcome whose records list was found: its key, an
    expression, is typed by the expression pass."""

    decl: n.OutcomeDecl
    records: NamedList


@attrs.frozen
class Declared:
    """What the declarations pass found: all that the expression pass reads.

    `outcomes` is in the order declared (a decision lists its outcomes in that order);
    `rules` holds each rule once, within the rules limit; `header` is None when the
    policy has none (an error already reported). `poisoned` holds the names already
    reported, whose uses are not reported again: types, binders, outcomes, lists, and
    fields as `Record.field` (`case.field`).
    """

    header: n.PolicyHeader | None
    enums: dict[str, EnumType]
    records: dict[str, RecordType]
    root: RecordType
    binders: dict[str, Binder]
    outcomes: dict[str, c.Outcome | EntryOutcome]
    headline: str | None
    defines: dict[str, n.Define]
    rules: tuple[n.Rule, ...]
    poisoned: frozenset[str]


class Declarations:
    """The declarations pass over one policy: construct, call `declare`.

    Diagnostics go to the list given, which the whole check shares.
    """

    def __init__(
        self,
        modules: Sequence[n.Module],
        lists: Mapping[str, NamedList],
        limits: Limits,
        diagnostics: list[Diagnostic],
        broken_lists: Iterable[str] = (),
    ) -> None:
        self.modules = modules
        self.lists = lists
        self.limits = limits
        self.diagnostics = diagnostics
        self.enums: dict[str, EnumType] = {}
        self.records: dict[str, RecordType] = {}
        self.root = RecordType("case", {})
        self.binders: dict[str, Binder] = {}
        self.outcomes: dict[str, c.Outcome | EntryOutcome] = {}
        # Names already reported: types, binders, outcomes, lists (`broken_lists`: those
        # of list files that did not read), and fields as `Record.field` (`case.field`).
        self._poisoned: set[str] = set(broken_lists)

    def items(self) -> Iterable[n.Item]:
        """Every item of every module, in order."""
        for module in self.modules:
            yield from module.items

    def error(self, code: Code, message: str, span: Span, help: str | None = None) -> None:
        """Record an error diagnostic."""
        self.diagnostics.append(error(code, message, span, help))

    def declare(self) -> Declared:
        """Everything the policy declares; what is wrong goes to `diagnostics`."""
        header = self._header()
        self._declare_enums()
        self._declare_records()
        self._declare_schema()
        self._declare_outcomes()
        defines = self._declare_defines()
        return Declared(
            header=header,
            enums=self.enums,
            records=self.records,
            root=self.root,
            binders=self.binders,
            outcomes=self.outcomes,
            headline=self._headline(),
            defines=defines,
            rules=self._declare_rules(),
            poisoned=frozenset(self._poisoned),
        )

    def _header(self) -> n.PolicyHeader | None:
        headers = [i for i in self.items() if isinstance(i, n.PolicyHeader)]
        for extra in headers[1:]:
            self.error(
                KSP214,
                "a policy has one `policy` header; this is a second one",
                extra.span,
                f"the first is at {headers[0].span}; remove one of them",
            )
        if not headers and self.modules:
            first = self.modules[0]
            quoted = _QUOTED_HEADER.search(first.span.source.text)
            if quoted is not None:  # a header the parser could not read: say why
                self.error(
                    KSP214,
                    f"the policy's name is written in quotes, {quoted.group(1)}: it is a name"
                    " (letters, digits and `_`), not a text, so this `policy` header does"
                    " not read",
                    Span(first.span.source, quoted.start(1), quoted.end(1)),
                    f"write it without quotes: `policy {_as_name(quoted.group(1)[1:-1])}"
                    ' version "..."`; a title in words goes in `title en "..."` under it',
                )
            else:
                self.error(
                    KSP214,
                    "this policy has no `policy` header",
                    Span(first.span.source, 0, 0),
                    'start the main file with `policy <name> version "<version>"`',
                )
        return headers[0] if headers else None

    def _unique(self, kind: str, name: n.Name, seen: dict[str, Span]) -> bool:
        if name.text in seen:
            self.error(
                KSP209,
                f"{kind} `{name.text}` is declared twice",
                name.span,
                f"the first declaration is at {seen[name.text]}; rename or remove one",
            )
            return False
        seen[name.text] = name.span
        return True

    # ---- types --------------------------------------------------------------------

    def _declare_enums(self) -> None:
        seen: dict[str, Span] = {}
        for item in self.items():
            if not isinstance(item, n.EnumDecl) or not self._unique("type", item.name, seen):
                continue
            if item.name.text in BUILTIN_TYPES:
                self.error(
                    KSP209,
                    f"`{item.name.text}` is a built-in type",
                    item.name.span,
                    "choose another name for the enum",
                )
                continue
            labels: dict[str, n.Text] = {}
            if item.from_list is not None:
                named = self._list(item.from_list)
                if named is None:
                    self._poisoned.add(item.name.text)
                    continue
                if named.kind != "codes":
                    self._poisoned.add(item.name.text)
                    self.error(
                        KSP208,
                        f"`{named.name}` is a list of entities, not of codes",
                        item.from_list.span,
                        "an enum can be made only from a codes list",
                    )
                    continue
                codes = named.codes()
            else:
                codes_seen: dict[str, Span] = {}
                codes_list = []
                for value in item.values:
                    if self._unique("value", value.code, codes_seen):
                        codes_list.append(value.code.text)
                        if value.label is not None:
                            labels[value.code.text] = value.label
                codes = tuple(codes_list)
            self.enums[item.name.text] = EnumType(
                item.name.text, codes, labels, item.description, item.hierarchical
            )

    def _declare_records(self) -> None:
        seen: dict[str, Span] = {
            e.name.text: e.name.span for e in self.items() if isinstance(e, n.EnumDecl)
        }
        decls = []
        for item in self.items():
            if isinstance(item, n.RecordDecl) and self._unique("type", item.name, seen):
                named_by = item.named_by.text if item.named_by else None
                self.records[item.name.text] = RecordType(item.name.text, {}, item.title, named_by)
                decls.append(item)
        for item in decls:
            record = self.records[item.name.text]
            record.fields.update(self._fields(item.fields, record.name))
            if item.named_by is not None:
                self._check_named_by(record, item.named_by)
        self._refuse_cycles([self.records[item.name.text] for item in decls])

    def _refuse_cycles(self, records: Sequence[RecordType]) -> None:
        """A record that holds itself, directly or through other records or lists, is an
        error (KSP226): a case's records must nest finitely, and what reads a case (a
        class per record, made from the classes of the records it holds) and what walks
        the schema would go round the cycle without end.

        A walk depth first over the records, in the order declared; a field leading back
        to a record still on the way closes a cycle: it is reported there, once, and
        dropped from its record (its uses poisoned, not reported again), so that no
        later pass meets a cycle. A record walked once is not walked again (what it
        holds has no cycle left), and the walk keeps its own stack, so neither records
        held in many places nor a long chain of them costs more than one step a field.
        """
        done: set[str] = set()
        for start in records:
            if start.name in done:
                continue
            path: list[tuple[RecordType, str]] = []  # each record entered, by which field
            on_path = {start.name: 0}  # a record on the way: where its part of `path` starts
            stack = [(start, iter(list(start.fields.values())))]
            while stack:
                record, fields = stack[-1]
                field = next(fields, None)
                if field is None:
                    stack.pop()
                    del on_path[record.name]
                    done.add(record.name)
                    if path:
                        path.pop()
                    continue
                inner = _record_in(field)
                if inner is None or inner.name in done:
                    continue
                if inner.name in on_path:
                    self._refuse_cycle(record, field, [*path[on_path[inner.name] :]], inner)
                    continue
                path.append((record, field.name))
                on_path[inner.name] = len(path)
                stack.append((inner, iter(list(inner.fields.values()))))

    def _refuse_cycle(
        self,
        record: RecordType,
        field: Field,
        steps: list[tuple[RecordType, str]],
        inner: RecordType,
    ) -> None:
        """Report the field that closes a cycle of records (`steps` lead from `inner` to
        `record`), and drop it."""
        cycle = " -> ".join(
            [*(f"{r.name}.{name}" for r, name in steps), f"{record.name}.{field.name}", inner.name]
        )
        id_type = "list of text" if isinstance(field.type, ListType) else "text"
        assert field.span is not None
        self.error(
            KSP226,
            f"record `{inner.name}` contains itself ({cycle})",
            field.span,
            "a case's records must nest finitely: refer to the other record by a text id"
            f" instead (`{field.name}_id: {id_type}`)",
        )
        del record.fields[field.name]
        self._poisoned.add(f"{record.name}.{field.name}")
        if field.binder is not None:
            self._poisoned.add(field.binder)

    def _check_named_by(self, record: RecordType, named_by: n.Name) -> None:
        """`named by F`: F is a field of the record whose value is a text or a code."""
        found = record.fields.get(named_by.text)
        if found is None:
            hint = did_you_mean(named_by.text, record.fields)
            self.error(
                KSP201,
                f"record `{record.name}` has no field `{named_by.text}`",
                named_by.span,
                hint or f"name one of its text fields: {some(record.fields)}",
            )
        elif not isinstance(found.type, TextType | EnumType):
            texts = [f.name for f in record.fields.values() if isinstance(f.type, TextType)]
            self.error(
                KSP208,
                f"`{named_by.text}` is {found.type.what}: an element is named by a text or a code",
                named_by.span,
                f"name a text field, such as {some(texts)}" if texts else None,
            )

    def _declare_schema(self) -> None:
        schemas = [i for i in self.items() if isinstance(i, n.SchemaDecl)]
        for extra in schemas[1:]:
            self.error(
                KSP209,
                "a policy has one `schema`; this is a second one",
                extra.span,
                f"move these fields into the first, at {schemas[0].span}",
            )
        if schemas:
            self.root.fields.update(self._fields(schemas[0].fields, self.root.name))
            self._refuse_too_large(schemas[0])
        self._declare_binders(self.root, (), inside_list=False)

    def _refuse_too_large(self, schema: n.SchemaDecl) -> None:
        """Records held in several places multiply a schema's fact paths (a record with
        two fields of the next, 26 deep, has 2^26), and a chain of records nests as deep
        as it is long: what walks the schema (the lints, questions, the case reader)
        would take hours or run out of stack. Either is refused (KSP227) and the schema's
        fields left out, their uses not reported again. Counted once per record, by a
        walk with its own stack (the records hold no cycle: `_refuse_cycles`)."""
        most = self.limits.depth
        counted: dict[str, tuple[int, int]] = {}  # a record's fact paths and levels
        stack: list[RecordType] = [self.root]
        while stack:
            record = stack[-1]
            inner = [r for r in map(_record_in, record.fields.values()) if r is not None]
            waiting = list({r.name: r for r in inner if r.name not in counted}.values())
            if waiting:
                stack += waiting
                continue
            stack.pop()
            paths = len(record.fields) + sum(counted[r.name][0] for r in inner)
            levels = 1 + max((counted[r.name][1] for r in inner), default=0)
            counted[record.name] = (min(paths, _MAX_PATHS + 1), levels)
        paths, levels = counted[self.root.name]
        levels -= 1  # the case itself is no record
        if paths <= _MAX_PATHS and levels <= most:
            return
        what = (
            f"more than {_MAX_PATHS:,} fact paths"
            if paths > _MAX_PATHS
            else f"records nested {levels} deep, and a case nests at most {most} (max_depth)"
        )
        self.error(
            KSP227,
            f"the schema has {what}",
            schema.span,
            "a record held in several places repeats all its fields in each: hold it once"
            " and refer to it by a text id elsewhere, or nest fewer records",
        )
        for field in self.root.fields.values():
            self._poisoned.add(f"{self.root.name}.{field.name}")
            if field.binder is not None:
                self._poisoned.add(field.binder)
        self.root.fields.clear()

    def _fields(self, decls: Sequence[n.FieldDecl], owner: str) -> dict[str, Field]:
        fields: dict[str, Field] = {}
        seen: dict[str, Span] = {}
        for decl in decls:
            if not self._unique("field", decl.name, seen):
                continue
            type_ = self._type(decl.type)
            if type_ is None:
                self._poisoned.add(f"{owner}.{decl.name.text}")
                if decl.binder is not None:
                    self._poisoned.add(decl.binder.text)
                continue
            default = self._default(decl, type_) if decl.default is not None else None
            fields[decl.name.text] = Field(
                decl.name.text,
                type_,
                decl.required,
                default,
                decl.binder.text if decl.binder else None,
                decl.question,
                decl.span,
            )
            if decl.binder is not None and not isinstance(type_, ListType):
                self.error(
                    KSP217,
                    f"`as {decl.binder.text}` needs a list, and `{decl.name.text}` is {type_}",
                    decl.binder.span,
                    "only a `list of ...` field can bind its elements",
                )
        return fields

    def _type(self, ref: n.TypeRef) -> Type | None:
        name = ref.name.text
        base: Type | None = (
            BUILTIN_TYPES.get(name) or self.enums.get(name) or self.records.get(name)
        )
        if base is None and name in self._poisoned:
            return None
        if base is None:
            known = [*BUILTIN_TYPES, *self.enums, *self.records]
            self.error(
                KSP207,
                f"unknown type `{name}`",
                ref.name.span,
                did_you_mean(name, known) or "declare it with `enum` or `record`",
            )
            return None
        if ref.int_range is not None:
            if not isinstance(base, IntType):
                self.error(
                    KSP208,
                    f"a range `{ref.int_range[0]}..{ref.int_range[1]}` "
                    f"applies to `int`, not to `{name}`",
                    ref.span,
                    "remove the range",
                )
            elif ref.int_range[0] > ref.int_range[1]:
                self.error(KSP208, "this range is empty", ref.span, "write the lower bound first")
            else:
                base = IntType(*ref.int_range)
        return ListType(base) if ref.is_list else base

    def _default(self, decl: n.FieldDecl, type_: Type) -> object:
        literal = decl.default
        assert literal is not None
        value = literal.value
        if value == () and isinstance(type_, ListType):
            return ()
        fits = (
            (isinstance(type_, BoolType) and isinstance(value, bool))
            or (isinstance(type_, IntType) and type(value) is int)
            or (isinstance(type_, NumberType) and type(value) in (int, float))
            or (isinstance(type_, TextType) and isinstance(value, str))
            or (isinstance(type_, DateType) and isinstance(value, dt.date))
            or (isinstance(type_, EnumType) and value in type_)
        )
        if not fits:
            self.error(
                KSP220,
                f"the default of `{decl.name.text}` is not {type_.what}",
                literal.span,
                f"give a default of type {type_}, or none",
            )
        return value

    def _declare_binders(
        self, record: RecordType, path: tuple[str, ...], inside_list: bool
    ) -> None:
        for field in record.fields.values():
            here = (*path, field.name)
            element = field.type.element if isinstance(field.type, ListType) else None
            if field.binder is not None and isinstance(field.type, ListType):
                assert field.span is not None
                span = field.span
                if inside_list:
                    self.error(
                        KSP217,
                        f"`{field.binder}` would bind inside another collection",
                        span,
                        "bind the outer collection, then use `any x in ...` inside",
                    )
                elif field.binder in self.binders or field.binder in self.root.fields:
                    self.error(
                        KSP209,
                        f"the name `{field.binder}` is already taken",
                        span,
                        "choose another name after `as`",
                    )
                else:
                    self.binders[field.binder] = Binder(field.binder, here, field.type.element)
            inner = element if element is not None else field.type
            if isinstance(inner, RecordType) and inner is not record and len(here) < 16:
                self._declare_binders(inner, here, inside_list or element is not None)

    def _declare_outcomes(self) -> None:
        decls = [i for i in self.items() if isinstance(i, n.DecisionDecl)]
        for extra in decls[1:]:
            self.error(
                KSP209,
                "a policy has one `decision`; this is a second one",
                extra.span,
                "declare all outcomes in one `decision { ... }`",
            )
        seen: dict[str, Span] = {}
        for decl in decls[:1]:
            self._check_headline(decl)
            for outcome in decl.outcomes:
                if not self._unique("outcome", outcome.name, seen):
                    continue
                if outcome.kind == "entry":
                    if outcome.sources is not None:
                        self.diagnostics += sources.refused_on_entry(outcome)
                    entry = self._entry_outcome(outcome)
                    if entry is not None:
                        self.outcomes[outcome.name.text] = entry
                    continue
                if outcome.enum is not None:
                    enum = self.enums.get(outcome.enum.text)
                    if enum is None and outcome.enum.text in self._poisoned:
                        self._poisoned.add(outcome.name.text)
                        continue
                    if enum is None:
                        self.error(
                            KSP207,
                            f"unknown enum `{outcome.enum.text}`",
                            outcome.enum.span,
                            did_you_mean(outcome.enum.text, self.enums) or "declare it with `enum`",
                        )
                        continue
                else:
                    codes_seen: dict[str, Span] = {}
                    for code in outcome.codes:
                        self._unique("value", code, codes_seen)
                    enum = EnumType(outcome.name.text, tuple(codes_seen), {})
                declared = c.Outcome(outcome.name.text, outcome.kind, enum, outcome.title)
                if outcome.sources is not None:
                    declared = self._sources(outcome, declared)
                self.outcomes[outcome.name.text] = declared

    def _check_headline(self, decl: n.DecisionDecl) -> None:
        """`headline` marks one scale: the outcome an explanation starts with."""
        marked = [o for o in decl.outcomes if o.headline is not None]
        for outcome in marked:
            assert outcome.headline is not None
            if outcome.kind != "scale":
                self.error(
                    KSP221,
                    f"`{outcome.name.text}` is {'an' if outcome.kind == 'entry' else 'a'} "
                    f"{outcome.kind}: only a scale can be the headline",
                    outcome.headline.span,
                    "mark the one scale that sums up the decision",
                )
        scales = [o for o in marked if o.kind == "scale"]
        for extra in scales[1:]:
            assert extra.headline is not None
            self.error(
                KSP221,
                f"`{extra.name.text}` is a second headline",
                extra.headline.span,
                f"`{scales[0].name.text}` is the headline already; keep one `headline`",
            )

    def _headline(self) -> str | None:
        """The outcome marked `headline`, else the first scale declared (or None)."""
        decls = [i for i in self.items() if isinstance(i, n.DecisionDecl)]
        outcomes = decls[0].outcomes if decls else ()
        marked = [o.name.text for o in outcomes if o.headline is not None]
        scales = [o.name.text for o in outcomes if o.kind == "scale"]
        first = marked or scales
        return first[0] if first else None

    def _entry_outcome(self, outcome: n.OutcomeDecl) -> EntryOutcome | None:
        assert outcome.enum is not None and outcome.key is not None
        records = self._list(outcome.enum)
        if records is None:
            return None
        if records.kind != "records":
            self.error(
                KSP208,
                f"`{records.name}` is a list of {records.kind}, not of records",
                outcome.enum.span,
                '`entry of` looks up an entry of a `kind = "records"` list',
            )
            return None
        return EntryOutcome(outcome, records)

    def _sources(self, node: n.OutcomeDecl, outcome: c.Outcome) -> c.Outcome:
        """`sources LIST`: a records list whose entries name codes of the outcome; the
        outcome with them, or as it was where they are wrong (reported)."""
        assert node.sources is not None
        named = self._list(node.sources)
        if named is not None:
            found, problems = sources.check(node, outcome.enum, named)
            self.diagnostics += problems
            if found is not None:
                return attrs.evolve(outcome, sources=found)
        return outcome

    # ---- definitions and rules: their names ----------------------------------------

    def _declare_defines(self) -> dict[str, n.Define]:
        defines: dict[str, n.Define] = {}
        seen: dict[str, Span] = {}
        for item in self.items():
            if isinstance(item, n.Define) and self._unique("definition", item.name, seen):
                taken = item.name.text in self.root.fields or item.name.text in self.binders
                if taken:
                    self.error(
                        KSP209,
                        f"`{item.name.text}` is already a field or binder",
                        item.name.span,
                        "choose another name for the definition",
                    )
                    continue
                defines[item.name.text] = item
        return defines

    def _declare_rules(self) -> tuple[n.Rule, ...]:
        rules: list[n.Rule] = []
        seen: dict[str, Span] = {}
        for item in self.items():
            if not isinstance(item, n.Rule) or not self._unique("rule", item.name, seen):
                continue
            if len(seen) > self.limits.max_rules:
                self.error(
                    KSP132,
                    f"the policy has more than {self.limits.max_rules:,} rules",
                    item.name.span,
                    "raise the limit (docs/limits.md) if the policy is right",
                )
                break
            rules.append(item)
        return tuple(rules)

    def _list(self, name: n.Name) -> NamedList | None:
        return find_list(name, self.lists, self._poisoned, self.diagnostics)


def find_list(
    name: n.Name,
    lists: Mapping[str, NamedList],
    poisoned: Set[str],
    diagnostics: list[Diagnostic],
) -> NamedList | None:
    """The named list `name` names, or None with KSP206 in `diagnostics` (none for a
    poisoned name: its cause is reported already)."""
    named = lists.get(name.text)
    if named is None and name.text not in poisoned:
        # `ADEQUATE_COUNTRIES` for `ADEQUATE`: a list's name with a word added.
        longer = [known for known in lists if name.text.startswith(f"{known}_")]
        diagnostics.append(
            error(
                KSP206,
                f"unknown list `{name.text}`",
                name.span,
                (f"did you mean `{max(longer, key=len)}`?" if longer else None)
                or did_you_mean(name.text, lists)
                or "define it in a list file named by a `lists` line",
            )
        )
    return named


def some(names: Iterable[str]) -> str:
    """Up to twelve of `names`, for a help that lists what there is."""
    items = list(names)
    shown = ", ".join(items[:12])
    return shown + (f", … ({len(items)} in all)" if len(items) > 12 else "")


#: A `policy` header that names the policy with a text (`policy "x" version "1"`): the
#: parser reads no header from it, so without this the policy is said to have none.
_QUOTED_HEADER = re.compile(r'^[ \t]*policy[ \t]+("[^"\n]*")', re.MULTILINE)


def _as_name(text: str) -> str:
    """A name for a policy that was written as a text: `"Export control"` is
    `export_control`."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_").lower()
    return name if name and not name[0].isdigit() else f"policy_{name}".rstrip("_")


_MAX_PATHS = 100_000  # fact paths of a schema: the pack has ~100


def _record_in(field: Field) -> RecordType | None:
    """The record a field holds (through lists), if any."""
    inner: Type = field.type
    while isinstance(inner, ListType):
        inner = inner.element
    return inner if isinstance(inner, RecordType) else None
