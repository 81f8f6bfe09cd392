"""What the language server answers, as pure functions over a `Snapshot`.

Positions here are character offsets into a file's text, and places are `Span`s whose
source is named by the file's real path; the server turns them into the protocol's
lines and UTF-16 columns. Nothing here knows the protocol, so every answer is tested
without a client.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

import attrs

from .. import KspolicyError, Policy
from ..diagnostics import Diagnostic
from ..lang import nodes as n
from ..lang.formatter import FormatError, format_source
from ..lang.lists import NamedList
from ..span import Source, Span
from . import index, properties, words
from .project import Snapshot


@attrs.frozen
class Hover:
    """What hovering over a name shows (Markdown), and the name's span."""

    markdown: str
    span: Span


@attrs.frozen
class Completion:
    """One completion: the text, its kind (keyword, field, code...), a detail line."""

    label: str
    kind: str
    detail: str = ""
    documentation: str = ""


@attrs.frozen
class Symbol:
    """A declaration for the outline and workspace symbols."""

    name: str
    kind: str  # rule, define, list, enum, record, field, outcome, policy
    span: Span  # the whole declaration
    selection: Span  # its name
    container: str = ""


@attrs.frozen
class Edit:
    """Replace a span's text."""

    span: Span
    text: str


@attrs.frozen
class Lens:
    """A code lens: a title above a span, and the command it runs."""

    span: Span
    title: str
    command: str
    arguments: tuple[str, ...] = ()


@attrs.frozen
class Related:
    """A diagnostic the editor shows, with the place it comes from when that is elsewhere
    (an error in a list file, shown at each rule that uses the list)."""

    diagnostic: Diagnostic
    related: Span | None = None


RENAMEABLE = frozenset({"define", "list"})
"""The kinds of name `rename` changes across files."""

RUN_TESTS = "kspolicy.runTests"
EVALUATE_RULE = "kspolicy.evaluateRule"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# ---- diagnostics -------------------------------------------------------------------


def diagnostics(snapshot: Snapshot) -> dict[Path, list[Related]]:
    """Every file's diagnostics, `kspolicy check`'s, and for each error in a list file the
    same error again at every use of a list that file defines (the rule that uses a
    broken list is where a policy officer looks)."""
    shown: dict[Path, list[Related]] = {p: [] for p in snapshot.sources}
    for path, found in snapshot.diagnostics.items():
        shown.setdefault(path, []).extend(Related(d) for d in found)
    for path, found in snapshot.diagnostics.items():
        if path.suffix != ".toml":
            continue
        errors = [d for d in found if d.is_error]
        if not errors:
            continue
        defined = [
            name for name, span in snapshot.model.lists.items() if span.source.name == str(path)
        ]
        first = errors[0]
        for occurrence in snapshot.occurrences:
            key = occurrence.key
            if key[0] != "list" or key[1] not in defined or occurrence.definition:
                continue
            use = Path(occurrence.span.source.name)
            message = (
                f"list `{key[1]}` cannot be read: {path.name}:{first.span.line}: {first.message}"
            )
            echo = attrs.evolve(first, message=message, span=occurrence.span)
            shown.setdefault(use, []).append(Related(echo, first.span))
    return shown


# ---- hover -------------------------------------------------------------------------


def hover(
    snapshot: Snapshot, path: Path, offset: int, policy: Policy | None = None
) -> Hover | None:
    """What the name under an offset is: a field's type and question, a list's title,
    source and entries, a code's label, a rule's citations with their passages."""
    found = index.at(snapshot.occurrences, str(path), offset)
    if found is None:
        return None
    text = describe(snapshot, found.key, policy)
    return Hover(text, found.span) if text else None


def describe(snapshot: Snapshot, key: index.Key, policy: Policy | None = None) -> str:
    """A name's description in Markdown, in each of the policy's languages."""
    m = snapshot.model
    kind = key[0]
    if kind == "field":
        decl = m.fields_of(key[1] or None).get(key[2])
        if decl is None:
            return ""
        owner = f"`{key[1]}`" if key[1] else "the case"
        lines = [f"**{key[2]}**: `{_type_text(decl.type)}` — a field of {owner}"]
        if decl.required:
            lines.append("required")
        if decl.binder is not None:
            lines.append(f"each element is `{decl.binder.text}` in conditions")
        if decl.question is not None:
            lines += [f"- {lang or '*'}: {q}" for lang, q in decl.question.parts]
        return "\n\n".join(lines[:1] + ["\n".join(lines[1:])]) if lines[1:] else lines[0]
    if kind == "binder":
        decl = m.binders.get(key[1])
        if decl is None:
            return ""
        return (
            f"**{key[1]}**: each element of `{decl.name.text}` "
            f"(`{decl.type.name.text}`), bound wherever a condition names it"
        )
    if kind == "define":
        define = m.defines.get(key[1])
        if define is None:
            return ""
        return (
            _titled(f"**define {key[1]}**", define.title)
            + f"\n\n```kspolicy\n{define.span.text}\n```"
        )
    if kind == "list":
        return _describe_list(snapshot, key[1], policy)
    if kind == "outcome":
        outcome = m.outcomes.get(key[1])
        if outcome is None:
            return ""
        what = (
            outcome.enum.text
            if outcome.enum is not None
            else " < ".join(c.text for c in outcome.codes)
        )
        return _titled(f"**{key[1]}**: {outcome.kind} of `{what}`", outcome.title)
    if kind == "code":
        return _describe_code(snapshot, key[1], key[2])
    if kind in ("enum", "record"):
        return _describe_type(snapshot, kind, key[1])
    if kind == "rule":
        rule = m.rules.get(key[1])
        if rule is None:
            return ""
        parts = [_titled(f"**rule {key[1]}**", rule.title)]
        parts += [_describe_anchor(snapshot, a.text) for a in rule.cites]
        return "\n\n".join(parts)
    if kind == "anchor":
        return _describe_anchor(snapshot, key[1])
    if kind == "file":
        return f"`{key[1]}`"
    return ""


def _type_text(ref: n.TypeRef) -> str:
    text = f"list of {ref.name.text}" if ref.is_list else ref.name.text
    if ref.int_range is not None:
        text += f" {ref.int_range[0]}..{ref.int_range[1]}"
    return text


def _titled(head: str, title: n.Text | None) -> str:
    if title is None:
        return head
    return head + "\n\n" + "\n".join(f"- {lang or '*'}: {t}" for lang, t in title.parts)


def _describe_anchor(snapshot: Snapshot, name: str) -> str:
    anchor = snapshot.anchors.get(name)
    if anchor is None:
        return f"cites `{name}`"
    quoted = "\n".join(f"> {line}" if line else ">" for line in anchor.text.splitlines())
    return f"cites `{name}`: **{anchor.title}**\n\n{quoted}"


def _describe_code(snapshot: Snapshot, enum: str, code: str) -> str:
    m = snapshot.model
    if enum.startswith("outcome:"):
        return f"`{code}`: a code of the outcome `{enum.split(':', 1)[1]}`"
    decl = m.enums.get(enum)
    if decl is None:
        return ""
    for value in decl.values:
        if value.code.text == code:
            return _titled(f"`{code}`: a value of `{enum}`", value.label)
    return f"`{code}`: a value of `{enum}`"


def _describe_type(snapshot: Snapshot, kind: str, name: str) -> str:
    m = snapshot.model
    if kind == "enum":
        enum = m.enums.get(name)
        if enum is None:
            return ""
        head = f"**enum {name}**" + (f": {enum.description}" if enum.description else "")
        if enum.from_list is not None:
            return head + f"\n\nthe entries of `{enum.from_list.text}`"
        return head + "\n\n" + ", ".join(f"`{v.code.text}`" for v in enum.values)
    record = m.records.get(name)
    if record is None:
        return ""
    fields = ", ".join(f"`{f.name.text}`" for f in record.fields)
    return _titled(f"**record {name}**", record.title) + f"\n\nfields: {fields}"


def _describe_list(snapshot: Snapshot, name: str, policy: Policy | None) -> str:
    named: NamedList | None = policy.checked.lists.get(name) if policy is not None else None
    if named is None:
        span = snapshot.model.lists.get(name)
        where = f" in `{Path(span.source.name).name}`" if span is not None else ""
        return f"**list {name}**{where}"
    lines = [f"**list {name}** ({named.kind})"]
    titles = named.titles or ({"*": named.title} if named.title else {})
    lines += [f"- {lang}: {title}" for lang, title in titles.items()]
    source = f"source: {named.source}"
    if named.retrieved is not None:
        source += f" (retrieved {named.retrieved.isoformat()})"
    lines.append(source)
    if named.cite:
        lines.append(f"cites `{named.cite}`")
    shown = 20
    keys = [e.key for e in named.entries]
    entries = ", ".join(f"`{k}`" for k in keys[:shown])
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    lines.append(f"{len(keys)} entries: {entries}{more}")
    return "\n\n".join(lines)


# ---- definition, references, rename --------------------------------------------------


def definition(snapshot: Snapshot, path: Path, offset: int) -> list[Span]:
    """Where the name under an offset is declared (a file's start for an import)."""
    found = index.at(snapshot.occurrences, str(path), offset)
    if found is None:
        return []
    if found.key[0] == "file":
        target = Path(found.key[1])
        source = snapshot.sources.get(target) or Source(str(target), "")
        return [Span(source, 0, 0)]
    return [o.span for o in index.of_key(snapshot.occurrences, found.key) if o.definition]


def references(
    snapshot: Snapshot, path: Path, offset: int, include_declaration: bool = True
) -> list[Span]:
    """Every place the name under an offset is written, in every file of the policy."""
    found = index.at(snapshot.occurrences, str(path), offset)
    if found is None:
        return []
    if found.key[0] == "file":
        return [o.span for o in index.of_key(snapshot.occurrences, found.key)]
    return [
        o.span
        for o in index.of_key(snapshot.occurrences, found.key)
        if include_declaration or not o.definition
    ] + _in_properties(snapshot, found.key)


def _in_properties(snapshot: Snapshot, key: index.Key) -> list[Span]:
    """Where the property files name a definition or a list (lsp/properties.py)."""
    if key[0] not in RENAMEABLE:
        return []
    return [
        span
        for source in snapshot.properties.values()
        for span in properties.occurrences(source, snapshot.model, key)
    ]


class RenameError(Exception):
    """A rename that cannot be made, with the reason in words."""


def rename(snapshot: Snapshot, path: Path, offset: int, new_name: str) -> list[Edit]:
    """The edits that rename the define or list under an offset: every place `references`
    gives, in every file (for a list, its table headers and the adjudications that
    answer for it in the list files too; the conditions and groups of the property
    files that name it, lsp/properties.py). Raises RenameError for any other name, or a
    new name that is not a name or is taken."""
    found = index.at(snapshot.occurrences, str(path), offset)
    if found is None or found.key[0] not in RENAMEABLE:
        raise RenameError("only a `define` or a list can be renamed")
    if not _NAME.match(new_name):
        raise RenameError(f"`{new_name}` is not a name: letters, digits and `_`")
    m = snapshot.model
    taken = set(m.defines) | set(m.lists) | set(m.schema) | set(m.binders)
    if new_name in taken:
        raise RenameError(f"`{new_name}` is already declared")
    spans = [o.span for o in index.of_key(snapshot.occurrences, found.key)]
    return [Edit(span, new_name) for span in spans + _in_properties(snapshot, found.key)]


def prepare_rename(snapshot: Snapshot, path: Path, offset: int) -> Span | None:
    """The span of a renameable name under an offset, else None."""
    found = index.at(snapshot.occurrences, str(path), offset)
    if found is None or found.key[0] not in RENAMEABLE:
        return None
    return found.span


# ---- symbols ------------------------------------------------------------------------


def document_symbols(snapshot: Snapshot, path: Path) -> list[Symbol]:
    """A file's outline: rules, definitions, enums, records and fields, outcomes; a list
    file's lists."""
    module = snapshot.modules.get(path)
    if module is None:
        return [s for s in _list_symbols(snapshot) if s.span.source.name == str(path)]
    found: list[Symbol] = []
    for item in module.items:
        found.extend(_item_symbols(item))
    return found


def _item_symbols(item: n.Item) -> list[Symbol]:
    if isinstance(item, n.Rule):
        return [Symbol(item.name.text, "rule", item.span, item.name.span)]
    if isinstance(item, n.Define):
        return [Symbol(item.name.text, "define", item.span, item.name.span)]
    if isinstance(item, n.EnumDecl):
        return [Symbol(item.name.text, "enum", item.span, item.name.span)]
    if isinstance(item, n.PolicyHeader):
        return [Symbol(item.name.text, "policy", item.span, item.name.span)]
    if isinstance(item, n.RecordDecl | n.SchemaDecl):
        owner = item.name.text if isinstance(item, n.RecordDecl) else "schema"
        head = item.name.span if isinstance(item, n.RecordDecl) else item.span
        fields = [Symbol(f.name.text, "field", f.span, f.name.span, owner) for f in item.fields]
        return [Symbol(owner, "record", item.span, head), *fields]
    if isinstance(item, n.DecisionDecl):
        return [
            Symbol(o.name.text, "outcome", o.span, o.name.span, "decision") for o in item.outcomes
        ]
    return []


def _list_symbols(snapshot: Snapshot) -> list[Symbol]:
    return [Symbol(name, "list", span, span) for name, span in snapshot.model.lists.items()]


def workspace_symbols(snapshots: Iterable[Snapshot], query: str) -> list[Symbol]:
    """Rules, lists and definitions whose name holds the query (case folded)."""
    wanted = query.casefold()
    found: list[Symbol] = []
    for snapshot in snapshots:
        for path in snapshot.modules:
            found += [
                s
                for s in document_symbols(snapshot, path)
                if s.kind in ("rule", "define") and wanted in s.name.casefold()
            ]
        found += [s for s in _list_symbols(snapshot) if wanted in s.name.casefold()]
    return found


# ---- formatting ---------------------------------------------------------------------


def format_document(text: str, name: str = "<policy>") -> list[Edit]:
    """The edit that gives a file its canonical layout (`kspolicy fmt`); none when it has
    it already or does not parse."""
    try:
        formatted = format_source(text, name)
    except FormatError:
        return []
    if formatted == text:
        return []
    return [Edit(Span(Source(name, text), 0, len(text)), formatted)]


def format_range(snapshot: Snapshot, path: Path, start: int, end: int) -> list[Edit]:
    """The canonical layout for the items a range touches, the rest left as it is."""
    module = snapshot.modules.get(path)
    source = snapshot.sources.get(path)
    if module is None or source is None:
        return []
    touched = [i for i in module.items if i.span.start < max(end, start + 1) and i.span.end > start]
    if not touched:
        return []
    first, last = touched[0].span.start, touched[-1].span.end
    chunk = source.text[first:last]
    try:
        formatted = format_source(chunk, source.name).rstrip("\n")
    except FormatError:
        return []
    if formatted == chunk:
        return []
    return [Edit(Span(source, first, last), formatted)]


# ---- completion ---------------------------------------------------------------------

_PATH_BEFORE = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\.([A-Za-z0-9_]*)\Z"
)
_ASSIGN_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:>=|\+=)\s*(?:[\w.]+\s*,\s*)*[\w.]*\Z")
_COMPARE_BEFORE = re.compile(r"([A-Za-z_][\w.]*)\s*(?:==|!=|(?:not\s+)?in\s*\{[^}]*)\s*[\w.]*\Z")
_CITE_BEFORE = re.compile(r'\bcite\s+(?:"[^"\n]*"\s*,\s*)*"[^"\n]*\Z')
_MATCHES_BEFORE = re.compile(r"\bmatches\s+\w*\Z")
_QUANTIFIER = re.compile(r"\b(?:any|all)\s+([A-Za-z_]\w*)\s+in\s+([A-Za-z_][\w.]*)\s*:")


def complete(snapshot: Snapshot, path: Path, offset: int) -> list[Completion]:
    """What may be written at an offset: anchors in `cite`, fields after a dot, codes
    after `==` or an assignment, lists after `matches` and `in`, else keywords and names."""
    source = snapshot.sources.get(path)
    if source is None:
        return []
    before = source.text[max(0, offset - 2000) : offset]
    m = snapshot.model
    if _CITE_BEFORE.search(before):
        return [Completion(a.name, "anchor", a.title, a.text) for a in snapshot.anchors.values()]
    item_start = _item_start(before)
    item_text = before[item_start:]
    vars = _quantifier_vars(snapshot, item_text)
    dotted = _PATH_BEFORE.search(before)
    if dotted:
        parts = tuple(n.Name(p, Span(source, 0, 0)) for p in dotted.group(1).split("."))
        resolved = index.resolve(m, parts, vars)
        if resolved is not None and resolved[1] is not None:
            return _fields(snapshot, resolved[1].name)
        return []
    assigned = _ASSIGN_BEFORE.search(before)
    if assigned and assigned.group(1) in m.outcomes:
        return _outcome_codes(snapshot, m.outcomes[assigned.group(1)])
    if _MATCHES_BEFORE.search(before):
        return [Completion(name, "list", "list") for name in sorted(m.lists)]
    compared = _COMPARE_BEFORE.search(before)
    if compared:
        parts = tuple(n.Name(p, Span(source, 0, 0)) for p in compared.group(1).split("."))
        resolved = index.resolve(m, parts, vars)
        if resolved is not None and resolved[1] is not None and resolved[1].name in m.enums:
            return _enum_codes(snapshot, resolved[1].name)
    found = [Completion(w, "keyword") for w in words.keywords()]
    found += [Completion(name, "field", _type_text(f.type)) for name, f in sorted(m.schema.items())]
    found += [Completion(name, "variable", "binder") for name in sorted(m.binders)]
    found += [Completion(name, "variable", "quantifier variable") for name in sorted(vars)]
    found += [
        Completion(name, "define", "define", _plain(d.title))
        for name, d in sorted(m.defines.items())
    ]
    found += [Completion(name, "list", "list") for name in sorted(m.lists)]
    found += [Completion(name, "outcome", "outcome") for name in sorted(m.outcomes)]
    found += [
        Completion(name, "type", "type")
        for name in (*words.TYPE_WORDS, *sorted(m.enums), *sorted(m.records))
    ]
    return found


def _plain(text: n.Text | None) -> str:
    return text.get("en") if text is not None else ""


def _item_start(before: str) -> int:
    starts = [
        m.start()
        for m in re.finditer(r"^[ \t]*(?:" + "|".join(words.item_keywords()) + r")\b", before, re.M)
    ]
    return starts[-1] if starts else 0


def _quantifier_vars(snapshot: Snapshot, item_text: str) -> dict[str, index.FieldType]:
    """The quantifier variables written before the cursor in its item, with their types."""
    vars: dict[str, index.FieldType] = {}
    for match in _QUANTIFIER.finditer(item_text):
        parts = tuple(n.Name(p, Span(Source("", ""), 0, 0)) for p in match.group(2).split("."))
        resolved = index.resolve(snapshot.model, parts, vars)
        if resolved is not None and resolved[1] is not None:
            vars[match.group(1)] = index.FieldType(resolved[1].name)
    return vars


def _fields(snapshot: Snapshot, record: str) -> list[Completion]:
    fields = snapshot.model.fields_of(record) if record in snapshot.model.records else {}
    return [
        Completion(name, "field", _type_text(f.type), _plain(f.question))
        for name, f in fields.items()
    ]


def _enum_codes(snapshot: Snapshot, enum: str) -> list[Completion]:
    decl = snapshot.model.enums[enum]
    return [
        Completion(
            v.code.text if _NAME.match(v.code.text) else f'"{v.code.text}"',
            "code",
            enum,
            _plain(v.label),
        )
        for v in decl.values
    ]


def _outcome_codes(snapshot: Snapshot, outcome: n.OutcomeDecl) -> list[Completion]:
    if outcome.enum is not None and outcome.enum.text in snapshot.model.enums:
        return _enum_codes(snapshot, outcome.enum.text)
    return [Completion(c.text, "code", outcome.name.text) for c in outcome.codes]


# ---- code lenses --------------------------------------------------------------------


def lenses(
    snapshot: Snapshot, path: Path, fired: dict[str, list[str]] | None, cases: int
) -> list[Lens]:
    """ "Run tests" at the top of the main file; at each rule, the example cases it fires
    on (`fired`: rule name to case names, None while the policy has errors)."""
    found: list[Lens] = []
    source = snapshot.sources.get(path)
    if source is None:
        return found
    if path == snapshot.main:
        found.append(Lens(Span(source, 0, 0), "Run tests", RUN_TESTS, (str(snapshot.folder),)))
    module = snapshot.modules.get(path)
    if module is None or fired is None or cases == 0:
        return found
    for item in module.items:
        if isinstance(item, n.Rule):
            names = fired.get(item.name.text, [])
            if names:
                shown = ", ".join(names[:3]) + (
                    f" and {len(names) - 3} more" if len(names) > 3 else ""
                )
                title = f"fires on {len(names)} of {cases} example cases: {shown}"
            else:
                title = f"fires on none of {cases} example cases"
            found.append(
                Lens(item.name.span, title, EVALUATE_RULE, (str(snapshot.folder), item.name.text))
            )
    return found


def example_cases(folder: Path) -> list[Path]:
    """A policy's example cases: `tests/cases/*.toml` and `*.json` next to its main file."""
    cases = folder / "tests" / "cases"
    try:
        return sorted(p for p in cases.iterdir() if p.suffix in (".toml", ".json") and p.is_file())
    except OSError:
        return []


def fired_on(
    policy: Policy, cases: Iterable[Path], as_of: dt.date | None = None
) -> dict[str, list[str]]:
    """For each rule, the example cases (by file stem) it fires on; a case that does not
    fit the schema fires nothing."""
    fired: dict[str, list[str]] = {}
    for case in cases:
        try:
            statuses = policy.rule_statuses(case, as_of=as_of)
        except KspolicyError:  # a broken example case must not stop the lenses
            continue
        for name in statuses.fired:
            fired.setdefault(name, []).append(case.stem)
    return fired
