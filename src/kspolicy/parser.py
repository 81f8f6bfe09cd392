"""Policy text to syntax tree, and Lark's errors to diagnostics.

A file is first split into items at lines that start with an item keyword (`rule`,
`define`, `enum`...), outside texts in quotes. Each item is parsed on its own, so a
syntax error stops only its own item and every item's first error is reported in one
run. Spans are shifted from the item back to the file. An item is read by lalr.py's
fast reader over Lark's parse table, building nodes as it goes; what it refuses, Lark
parses, and its errors become the diagnostics. No Lark class, terminal name or
traceback reaches the user: `_describe_expected` names what was expected in words.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

import lark
from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import nodes as n
from .diagnostics import Diagnostic, did_you_mean, error
from .lalr import ItemReader, Meta, Refused, named_terminals
from .limits import DEFAULT
from .span import Source, Span

ITEM_KEYWORDS = (
    "policy",
    "import",
    "lists",
    "decision",
    "schema",
    "record",
    "enum",
    "define",
    "rule",
    "if",
)

_SCAN = re.compile(
    r'(?P<text>"(?:\\.|[^"\\])*"?)'
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<item>^[ \t]*(?:" + "|".join(ITEM_KEYWORDS) + r")(?![A-Za-z0-9_]))",
    re.MULTILINE | re.DOTALL,
)


_INK = re.compile(r"\S")
"""Anything but white space: a range without it holds no item."""


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, the repository."""
    packaged = resources.files("kspolicy").joinpath("grammar").joinpath("kspolicy.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = FsPath(__file__).resolve().parents[2] / "grammar" / "kspolicy.lark"
    return checkout.read_text(encoding="utf-8")


@cache
def _lark() -> lark.Lark:
    """Lark's parser for the grammar: its table drives the fast reader, and every syntax
    error comes from it.

    Every token is kept in the tree and positions are not propagated by Lark: _Builder
    takes each node's span from its tokens and drops the keywords itself (Lark's
    position propagation was a third of the time to parse a large policy).
    """
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        keep_all_tokens=True,
        maybe_placeholders=True,
        cache=False,
    )


@cache
def _named() -> frozenset[str]:
    """The named terminals of the grammar (see lalr.named_terminals)."""
    return named_terminals(_lark())


@cache
def _reader() -> ItemReader | None:
    """The fast reader (lalr.py) over the same parse table; None if it cannot drive it."""
    methods = {
        name: function
        for name, function in vars(_Builder).items()
        if not name.startswith("_") and callable(function)
    }
    try:
        return ItemReader(_lark(), methods, _UNWRAPPED, _KEEPS_TOKENS)
    except Refused:
        return None


def _build_item(chunk: str, builder: _Builder, max_height: int) -> list[n.Item] | None:
    """An item's nodes, built by `builder`; None if its tree is higher than `max_height`.

    The fast reader first; Lark's own parser for anything it refuses, so that every
    syntax error is Lark's (raised as UnexpectedInput). A tree too high is refused
    before Lark's tree is walked, since that walk is recursive; the reader builds
    without recursion, so its nodes are only dropped.
    """
    reader = _reader()
    if reader is not None:
        try:
            items, height = reader.read(chunk, builder)
        except Refused:
            builder.restart()  # Lark's lexer and parser say exactly what is wrong
        else:
            return items if height <= max_height else None
    tree = _lark().parse(chunk)
    if _tree_depth(tree) > max_height:
        return None
    built: list[n.Item] = builder.transform(tree).children
    return built


def parse_module(
    source: Source, max_depth: int = DEFAULT.max_depth
) -> tuple[n.Module, list[Diagnostic]]:
    """Parse one policy file: its tree (the items that parsed) and every diagnostic.

    An item nested deeper than `max_depth` conditions is reported (KSP130) and skipped,
    before anything recursive walks it.
    """
    items: list[n.Item] = []
    diagnostics: list[Diagnostic] = []
    ranges, found = _layout(source.text)
    comments = [n.Comment(text, Span(source, start, end)) for text, start, end in found]
    oneliners = 0
    for start, end in ranges:
        chunk = source.text[start:end]
        builder = _Builder(source, start, FsPath(source.name).stem, oneliners)
        try:
            # The grammar adds a level or two to the tree per condition.
            built = _build_item(chunk, builder, 2 * max_depth + 16)
        except UnexpectedInput as exc:
            diagnostics.append(_syntax_diagnostic(exc, source, start, end))
            continue
        if built is None:
            diagnostics.append(
                error(
                    "KSP130",
                    f"this item nests conditions more than {max_depth} deep",
                    Span(source, start, start + len(chunk.split(None, 1)[0])),
                    "split it with `define`, or raise the limit (docs/limits.md)",
                )
            )
            continue
        oneliners = builder.oneliners
        diagnostics.extend(builder.diagnostics)
        items.extend(built)
    module = n.Module(source.name, tuple(items), tuple(comments), Span(source, 0, len(source.text)))
    return module, diagnostics


def parse_expression(text: str, name: str = "<expression>") -> n.Expr:
    """Parse a lone expression (for tests and tools): `rule _ when <text>` in disguise."""
    source = Source(name, f"rule _ when {text} then _ += _")
    module, diagnostics = parse_module(source)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        from .diagnostics import PolicyError

        raise PolicyError(errors)
    rule = module.items[0]
    assert isinstance(rule, n.Rule) and rule.when is not None
    return rule.when


def _tree_depth(tree: lark.Tree[Token]) -> int:
    """The depth of a parse tree, measured without recursion."""
    deepest = 0
    stack: list[tuple[lark.Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        step = 0 if _kind(node.data).unwrap is not None else 1  # brackets add no level
        stack.extend(
            (child, depth + step) for child in node.children if isinstance(child, lark.Tree)
        )
    return deepest


def _layout(text: str) -> tuple[list[tuple[int, int]], list[tuple[str, int, int]]]:
    """Where each item starts and ends, and each comment (its text, start and end), in
    one pass over the text. Text before the first item is a range of its own, unless it
    is only comments and white space."""
    starts: list[int] = []
    comments: list[tuple[str, int, int]] = []
    for match in _SCAN.finditer(text):
        if match.lastgroup == "item":
            starts.append(match.start())
        elif match.lastgroup == "comment":
            comments.append((match.group(), match.start(), match.end()))
    if not starts or text[: starts[0]].strip() and not _only_comments(text[: starts[0]]):
        starts.insert(0, 0)
    bounds = starts + [len(text)]
    ranges = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if _INK.search(text, a, b)]
    return ranges, comments


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


# ---- syntax errors -----------------------------------------------------------------

_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a text in quotes",
    "INT": "a whole number",
    "DECIMAL": "a number",
    "DATE": "a date (YYYY-MM-DD)",
    "LANGTAG": "a language tag such as `en`",
    "LANGNAME": "a language code such as `en`",
}


def _describe_terminal(name: str) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    for terminal in _lark().terminals:
        if terminal.name == name and terminal.pattern.type == "str":
            return f"`{terminal.pattern.value}`"
    return name.lower().replace("_", " ")


def _describe_expected(expected: set[str]) -> str:
    # Inside an item, another item cannot start (the file was split at item keywords),
    # so item keywords in Lark's expected set are noise.
    item_starts = {f"`{k}`" for k in ITEM_KEYWORDS}
    described = {_describe_terminal(t) for t in expected if t != "$END"} - item_starts
    comparisons = {"`==`", "`!=`", "`<`", "`<=`", "`>`", "`>=`"}
    if comparisons <= described:
        described = (described - comparisons) | {"a comparison (`==`, `<`, …)"}
    # Descriptions ("a name") first, then keywords and symbols.
    words = sorted(described, key=lambda w: (w.startswith("`"), w))
    if "$END" in expected:
        words.append("the end of the item")
    if not words:
        return "something else"
    if len(words) > 8:
        return ", ".join(words[:8]) + ", …"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _token_span(source: Source, offset: int, token: Token | None, fallback_end: int) -> Span:
    if token is not None and token.start_pos is not None and token.end_pos is not None:
        return Span(source, offset + token.start_pos, offset + token.end_pos)
    return Span(source, fallback_end, fallback_end)


def _syntax_diagnostic(exc: UnexpectedInput, source: Source, start: int, end: int) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        at = start + (exc.pos_in_stream or 0)
        char = source.text[at] if at < len(source.text) else ""
        span = Span(source, at, at + 1)
        if char == '"':
            return error(
                "KSP103",
                "this text in quotes is never closed",
                span,
                'add the closing `"`; a `"` inside a text is written `\\"`',
            )
        hint = {
            "&": "write `and`",
            "|": "write `or`",
            "!": "write `not`, or `!=` for 'is not equal to'",
            "'": 'texts are written in double quotes: "like this"',
            "=": "compare with `==`; raise a scale with `>=`, add to a set with `+=`",
        }.get(char, "remove it, or put it inside a text in quotes")
        shown = repr(char)[1:-1] if char.strip() else repr(char)
        return error("KSP102", f"unexpected character `{shown}`", span, hint)
    if isinstance(exc, UnexpectedEOF):
        span = Span(source, end, end)
        expected = _describe_expected(set(exc.expected))
        return error("KSP104", f"the item ends too early: expected {expected}", span)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = _describe_expected(set(exc.accepts or exc.expected))
    if token.type == "$END":
        trimmed = source.text[start:end].rstrip()
        span = Span(source, start + len(trimmed), start + len(trimmed))
        return error("KSP104", f"the item ends too early: expected {expected}", span)
    span = _token_span(source, start, token, end)
    return error(
        "KSP101",
        f"unexpected {_describe_found(token)}: expected {expected}",
        span,
        _syntax_help(token, set(exc.accepts or exc.expected)),
    )


def _describe_found(token: Token) -> str:
    if token.type == "NAME":
        return f"name `{token}`"
    if token.type == "STRING":
        return "text in quotes"
    return f"`{token}`"


def _syntax_help(token: Token, expected: set[str]) -> str | None:
    value = str(token)
    keywords = [
        t.pattern.value for t in _lark().terminals if t.name in expected and t.pattern.type == "str"
    ]
    if token.type == "NAME" and keywords:
        suggestion = did_you_mean(value, keywords)
        if suggestion:
            return suggestion
    if value in ITEM_KEYWORDS:
        return f"`{value}` starts a new item: put it at the start of a line"
    if value == "=":
        return "compare with `==`; raise a scale with `>=`, add to a set with `+=`"
    if value in ("&&", "||"):
        return "write `and` / `or`"
    if "STRING" in expected and token.type == "NAME":
        return 'texts are written in double quotes: "like this"'
    return None


# ---- tree to AST -------------------------------------------------------------------

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(.)", re.S)


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    if "\\" not in body:  # most texts: nothing to replace
        return body
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def _fold(text: str) -> str:
    """Runs of white space in a displayed text (titles, reasons) count as one space."""
    return " ".join(text.split())


_UNWRAPPED = {"operand": 1, "title": 1}
"""Trees that stand for the child at that place: `( expr )` and `title text`."""

_KEEPS_TOKENS = frozenset({"comparison"})
"""Trees whose keywords the builder is given: a comparison's one token is its operator."""


class _Kind:
    """What the builder does with a tree of one rule (looked up once per rule name)."""

    __slots__ = ("method", "unwrap", "keeps_tokens")

    def __init__(self, name: str) -> None:
        self.method = name
        self.unwrap = _UNWRAPPED.get(name)
        self.keeps_tokens = name in _KEEPS_TOKENS


_KINDS: dict[Any, _Kind] = {}


def _kind(data: Any) -> _Kind:
    # Lark names a rule's trees with one Token object per rule: keyed by that object,
    # the lookup is an identity check, not a call to Token.__eq__ for every node.
    found = _KINDS.get(data)
    if found is None:
        found = _KINDS[data] = _Kind(str(data))
    return found


class _Builder:
    """Builds AST nodes for one item; collects what is wrong on the way.

    Each grammar rule (or alias) has a method here, called with the node's position
    (a `Meta`) and its children already built: by lalr.py's reader as it reduces each
    rule, or by `transform` walking the tree Lark made of an item the reader refused.
    The walk is ours rather than a `lark.Transformer` with `v_args`: that wraps every
    call anew, which was half the time of building the tree of a large policy.
    """

    def __init__(self, source: Source, offset: int, stem: str, oneliners: int) -> None:
        self.source = source
        self.offset = offset
        self.stem = stem
        self.oneliners = self._first_oneliners = oneliners
        self.diagnostics: list[Diagnostic] = []

    def restart(self) -> None:
        """Forget what was built so far (the reader refused the item halfway)."""
        self.oneliners = self._first_oneliners
        self.diagnostics.clear()

    def transform(self, tree: lark.Tree[Token]) -> Any:
        """The node built from a tree (see `_walk`)."""
        return self._walk(tree)[0]

    def _walk(self, tree: lark.Tree[Token]) -> tuple[Any, int, int]:
        """The node built from a tree, and where the tree starts and ends in the item.

        The children are built first, then the rule's own method is called with the
        node's position and the children, keywords and punctuation left out (but for
        `comparison`, whose token is the operator). A parenthesised expression and a
        `title "..."` become what they hold: their span is what is inside, while the
        node around them reaches over the brackets or the keyword (as Lark's inlined
        rules with propagated positions did). Recursive, like Lark's transformers:
        parse_module refuses trees deeper than the depth limit before this runs, and
        brackets, which that depth leaves out, are unwrapped in a loop.
        """
        outer_start = -1
        outer_end = -1
        kind = _kind(tree.data)
        while kind.unwrap is not None:
            first, last = tree.children[0], tree.children[-1]
            if outer_start < 0 and isinstance(first, Token):
                outer_start = first.start_pos if first.start_pos is not None else -1
            if outer_end < 0 and isinstance(last, Token) and last.end_pos is not None:
                outer_end = last.end_pos
            inner = tree.children[kind.unwrap]
            assert isinstance(inner, lark.Tree)
            tree = inner
            kind = _kind(tree.data)
        named = _named()
        keep_tokens = kind.keeps_tokens
        children: list[Any] = []
        start = end = -1
        for child in tree.children:
            if child is None:
                children.append(None)
            elif isinstance(child, Token):
                if start < 0:
                    start = child.start_pos if child.start_pos is not None else -1
                end = child.end_pos if child.end_pos is not None else end
                if keep_tokens or child.type in named:
                    children.append(child)
            else:
                value, child_start, child_end = self._walk(child)
                if child_start >= 0:
                    if start < 0:
                        start = child_start
                    end = child_end
                children.append(value)
        build = getattr(self, kind.method, None)
        if build is None:  # `start`: the items, in a plain tree
            value = lark.Tree(kind.method, children)
        else:
            value = build(Meta(start, end), *children)
        if outer_start >= 0:
            return value, outer_start, max(outer_end, end)
        return value, start, end

    # spans

    def _span(self, meta: Any) -> Span:
        if meta.empty:
            return Span(self.source, self.offset, self.offset)
        return Span(self.source, self.offset + meta.start_pos, self.offset + meta.end_pos)

    def _tspan(self, token: Token) -> Span:
        assert token.start_pos is not None and token.end_pos is not None
        return Span(self.source, self.offset + token.start_pos, self.offset + token.end_pos)

    def _name(self, token: Token) -> n.Name:
        return n.Name(str(token), self._tspan(token))

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self.diagnostics.append(
                error(
                    "KSP105",
                    f"`{token}` is not a date that exists",
                    self._tspan(token),
                    "write a real date as YYYY-MM-DD, e.g. 2025-01-31",
                )
            )
            return dt.date(1, 1, 1)

    def _int(self, token: Token) -> int:
        try:
            return int(token)
        except ValueError:  # Python reads whole numbers of at most 4,300 digits
            digits = len(token.lstrip("-"))
            self._bad_number(token, f"has {digits:,} digits; whole numbers may have up to 4,300")
            return 0

    def _decimal(self, token: Token) -> float:
        value = float(token)
        if math.isinf(value):
            self._bad_number(token, "is too large to compute with (the limit is about 10^308)")
            return 0.0
        return value

    def _bad_number(self, token: Token, what: str) -> None:
        shown = token if len(token) <= 24 else f"{token[:12]}…{token[-6:]}"
        self.diagnostics.append(
            error(
                "KSP106",
                f"`{shown}` {what}",
                self._tspan(token),
                "write a number of at most 300 digits",
            )
        )

    # header, imports, lists

    def policy_header(
        self, meta: Any, name: Token, version: Token, *clauses: Any
    ) -> n.PolicyHeader:
        title = next((c.value for c in clauses if c.keyword == "title"), None)
        languages: tuple[n.Name, ...] = ()
        for clause in clauses:
            if clause.keyword == "languages":
                languages = clause.value
        return n.PolicyHeader(
            self._name(name), _unquote(version), title, languages, self._span(meta)
        )

    def title_clause(self, meta: Any, text: n.Text) -> n.Clause:
        return n.Clause("title", text, self._span(meta))

    def languages_clause(self, meta: Any, *langs: Token) -> n.Clause:
        return n.Clause("languages", tuple(self._name(t) for t in langs), self._span(meta))

    def import_stmt(self, meta: Any, path: Token) -> n.Import:
        return n.Import(_unquote(path), self._span(meta))

    def lists_stmt(self, meta: Any, pattern: Token) -> n.Lists:
        return n.Lists(_unquote(pattern), self._span(meta))

    # decision

    def decision_decl(self, meta: Any, *outcomes: n.OutcomeDecl) -> n.DecisionDecl:
        return n.DecisionDecl(tuple(outcomes), self._span(meta))

    def outcome_decl(
        self, meta: Any, name: Token, kind: tuple[Any, ...], title: Any
    ) -> n.OutcomeDecl:
        key = kind[3] if len(kind) > 3 else None
        return n.OutcomeDecl(
            self._name(name), kind[0], kind[1], kind[2], title, key, self._span(meta)
        )

    def scale_inline(self, meta: Any, *codes: n.Name) -> tuple[str, tuple[n.Name, ...], None]:
        return ("scale", codes, None)

    def scale_of(self, meta: Any, enum: Token) -> tuple[str, tuple[n.Name, ...], n.Name]:
        return ("scale", (), self._name(enum))

    def set_of(self, meta: Any, enum: Token) -> tuple[str, tuple[n.Name, ...], n.Name]:
        return ("set", (), self._name(enum))

    def entry_of(self, meta: Any, records: Token, key: n.Path) -> tuple[Any, ...]:
        return ("entry", (), self._name(records), key)

    # schema

    def schema_decl(self, meta: Any, *fields: n.FieldDecl) -> n.SchemaDecl:
        return n.SchemaDecl(fields, self._span(meta))

    def record_decl(
        self, meta: Any, name: Token, title: n.Text | None, *fields: n.FieldDecl
    ) -> n.RecordDecl:
        return n.RecordDecl(self._name(name), title, fields, self._span(meta))

    def field_decl(
        self, meta: Any, name: Token, type_ref: n.TypeRef, *options: n.Clause
    ) -> n.FieldDecl:
        seen: dict[str, n.Clause] = {}
        for option in options:
            if option.keyword in seen:
                self.diagnostics.append(
                    error(
                        "KSP210",
                        f"field `{name}` has `{option.keyword}` twice",
                        option.span,
                        "keep one of them",
                    )
                )
                continue
            seen[option.keyword] = option
        default = seen["default"].value if "default" in seen else None
        return n.FieldDecl(
            self._name(name),
            type_ref,
            "required" in seen,
            default,
            seen["as"].value if "as" in seen else None,
            seen["question"].value if "question" in seen else None,
            self._span(meta),
        )

    def scalar_type(self, meta: Any, name: Token, int_range: tuple[int, int] | None) -> n.TypeRef:
        return n.TypeRef(self._name(name), False, int_range, self._span(meta))

    def list_type(self, meta: Any, name: Token) -> n.TypeRef:
        return n.TypeRef(self._name(name), True, None, self._span(meta))

    def int_range(self, meta: Any, low: Token, high: Token) -> tuple[int, int]:
        return (self._int(low), self._int(high))

    def required_option(self, meta: Any) -> n.Clause:
        return n.Clause("required", True, self._span(meta))

    def default_option(self, meta: Any, literal: n.Literal) -> n.Clause:
        return n.Clause("default", literal, self._span(meta))

    def empty_default_option(self, meta: Any) -> n.Clause:
        return n.Clause("default", n.Literal((), self._span(meta)), self._span(meta))  # type: ignore[arg-type]

    def binder_option(self, meta: Any, name: Token) -> n.Clause:
        return n.Clause("as", self._name(name), self._span(meta))

    def question_option(self, meta: Any, text: n.Text) -> n.Clause:
        return n.Clause("question", text, self._span(meta))

    def enum_decl(self, meta: Any, name: Token, description: Token | None, body: Any) -> n.EnumDecl:
        values, from_list, hierarchical = body
        return n.EnumDecl(
            self._name(name),
            _unquote(description) if description is not None else None,
            values,
            from_list,
            hierarchical,
            self._span(meta),
        )

    def enum_inline(self, meta: Any, *values: n.EnumValue) -> tuple[Any, ...]:
        return (values, None, any("." in v.code.text for v in values))

    def enum_from_list(self, meta: Any, list_name: Token) -> tuple[Any, ...]:
        return ((), self._name(list_name), False)

    def enum_from_hierarchy(self, meta: Any, list_name: Token) -> tuple[Any, ...]:
        return ((), self._name(list_name), True)

    def enum_value(self, meta: Any, code: n.Name | Token, label: n.Text | None) -> n.EnumValue:
        if isinstance(code, Token):
            code = n.Name(_unquote(code), self._tspan(code))
        return n.EnumValue(code, label, self._span(meta))

    # definitions and rules

    def define(self, meta: Any, name: Token, title: n.Text | None, expr: n.Expr) -> n.Define:
        return n.Define(self._name(name), title, expr, self._span(meta))

    def rule(self, meta: Any, name: Token, *clauses: n.Clause) -> n.Rule:
        return self._rule(self._name(name), clauses, self._span(meta), oneline=False)

    def oneline(self, meta: Any, when: n.Expr, *rest: Any) -> n.Rule:
        self.oneliners += 1
        span = self._span(meta)
        assignments = tuple(a for a in rest if isinstance(a, n.Assignment))
        clauses = [n.Clause("when", when, when.span), n.Clause("then", assignments, span)]
        clauses += [c for c in rest if isinstance(c, n.Clause)]
        name = n.Name(
            f"{self.stem}.if{self.oneliners}", Span(self.source, span.start, span.start + 2)
        )
        return self._rule(name, clauses, span, oneline=True)

    def _rule(self, name: n.Name, clauses: Any, span: Span, oneline: bool) -> n.Rule:
        seen: dict[str, n.Clause] = {}
        unless: list[n.Expr] = []
        for clause in clauses:
            if clause.keyword == "unless":
                unless.append(clause.value)
            elif clause.keyword in seen:
                self.diagnostics.append(
                    error(
                        "KSP210",
                        f"rule `{name.text}` has more than one `{clause.keyword}`",
                        clause.span,
                        "join them into one clause"
                        + (" with `and`" if clause.keyword == "when" else ""),
                    )
                )
            else:
                seen[clause.keyword] = clause
        for needed in ("when", "then"):
            if needed not in seen:
                self.diagnostics.append(
                    error(
                        "KSP211",
                        f"rule `{name.text}` has no `{needed}` clause",
                        name.span,
                        "a rule needs `when <condition>` and `then <outcomes>`",
                    )
                )
        valid = seen["valid"].value if "valid" in seen else (None, None)
        if valid[0] and valid[1] and valid[1] < valid[0]:
            self.diagnostics.append(
                error(
                    "KSP219",
                    f"rule `{name.text}` stops being valid before it starts",
                    seen["valid"].span,
                    "the `until` date must be on or after the `from` date",
                )
            )
        return n.Rule(
            name=name,
            title=seen["title"].value if "title" in seen else None,
            cites=seen["cite"].value if "cite" in seen else (),
            valid_from=valid[0],
            valid_until=valid[1],
            when=seen["when"].value if "when" in seen else None,
            unless=tuple(unless),
            then=seen["then"].value if "then" in seen else (),
            because=seen["because"].value if "because" in seen else None,
            oneline=oneline,
            valid_span=seen["valid"].span if "valid" in seen else None,
            span=span,
        )

    def cite_clause(self, meta: Any, *anchors: Token) -> n.Clause:
        names = tuple(n.Name(_unquote(a), self._tspan(a)) for a in anchors)
        return n.Clause("cite", names, self._span(meta))

    def valid_clause(self, meta: Any, validity: tuple[dt.date | None, dt.date | None]) -> n.Clause:
        return n.Clause("valid", validity, self._span(meta))

    def validity(self, meta: Any, *tokens: Token) -> tuple[dt.date | None, dt.date | None]:
        dates = [self._date(t) for t in tokens]
        text = self.source.text[self.offset + meta.start_pos : self.offset + meta.end_pos]
        if text.lstrip().startswith("until"):
            return (None, dates[0])
        return (dates[0], dates[1] if len(dates) > 1 else None)

    def when_clause(self, meta: Any, expr: n.Expr) -> n.Clause:
        return n.Clause("when", expr, self._span(meta))

    def unless_clause(self, meta: Any, expr: n.Expr) -> n.Clause:
        return n.Clause("unless", expr, self._span(meta))

    def then_clause(self, meta: Any, *assignments: n.Assignment) -> n.Clause:
        return n.Clause("then", assignments, self._span(meta))

    def because_clause(self, meta: Any, text: n.Text) -> n.Clause:
        return n.Clause("because", text, self._span(meta))

    def raise_clause(self, meta: Any, outcome: Token, value: Any) -> n.Assignment:
        return n.Assignment(self._name(outcome), ">=", (self._code(value),), self._span(meta))

    def add_clause(self, meta: Any, outcome: Token, *values: Any) -> n.Assignment:
        codes = tuple(self._code(v) for v in values)
        return n.Assignment(self._name(outcome), "+=", codes, self._span(meta))

    def _code(self, value: n.Name | Token) -> n.Name:
        return n.Name(_unquote(value), self._tspan(value)) if isinstance(value, Token) else value

    # expressions

    def or_expr(self, meta: Any, *operands: n.Expr) -> n.Or:
        return n.Or(operands, self._span(meta))

    def and_expr(self, meta: Any, *operands: n.Expr) -> n.And:
        return n.And(operands, self._span(meta))

    def not_expr(self, meta: Any, operand: n.Expr) -> n.Not:
        return n.Not(operand, self._span(meta))

    def any_quantifier(self, meta: Any, var: Token, coll: n.Path, body: n.Expr) -> n.Quantifier:
        return n.Quantifier("any", self._name(var), coll, body, self._span(meta))

    def all_quantifier(self, meta: Any, var: Token, coll: n.Path, body: n.Expr) -> n.Quantifier:
        return n.Quantifier("all", self._name(var), coll, body, self._span(meta))

    def compare(self, meta: Any, left: n.Expr, op: str, right: n.Expr) -> n.Compare:
        return n.Compare(op, left, right, self._span(meta))

    def comparison(self, meta: Any, op: Token) -> str:
        return str(op)

    def in_test(self, meta: Any, element: n.Expr, container: n.Expr) -> n.In:
        return n.In(element, container, False, self._span(meta))

    def not_in_test(self, meta: Any, element: n.Expr, container: n.Expr) -> n.In:
        return n.In(element, container, True, self._span(meta))

    def matches_test(self, meta: Any, subject: n.Expr, list_name: Token) -> n.Matches:
        return n.Matches(subject, self._name(list_name), self._span(meta))

    def known_test(self, meta: Any, subject: n.Expr) -> n.IsKnown:
        return n.IsKnown(subject, True, self._span(meta))

    def unknown_test(self, meta: Any, subject: n.Expr) -> n.IsKnown:
        return n.IsKnown(subject, False, self._span(meta))

    def path(self, meta: Any, *names: Any) -> n.Path:
        # The most frequent node of all (a large policy has tens of thousands): its
        # names (tokens, always placed) are made here rather than by a call of `_name` each.
        source, offset, name, span = self.source, self.offset, n.Name, Span
        parts = [
            name(str(t), span(source, offset + t.start_pos, offset + t.end_pos)) for t in names
        ]
        return n.Path(tuple(parts), self._span(meta))

    def code_name(self, meta: Any, *names: Token) -> n.Name:
        return n.Name(".".join(names), self._span(meta))

    def set_literal(self, meta: Any, *items: n.Expr | None) -> n.SetLiteral:
        return n.SetLiteral(tuple(i for i in items if i is not None), self._span(meta))

    def string(self, meta: Any, token: Token) -> n.Literal:
        return n.Literal(_unquote(token), self._span(meta))

    def integer(self, meta: Any, token: Token) -> n.Literal:
        return n.Literal(self._int(token), self._span(meta))

    def decimal(self, meta: Any, token: Token) -> n.Literal:
        return n.Literal(self._decimal(token), self._span(meta))

    def date(self, meta: Any, token: Token) -> n.Literal:
        return n.Literal(self._date(token), self._span(meta))

    def true(self, meta: Any) -> n.Literal:
        return n.Literal(True, self._span(meta))

    def false(self, meta: Any) -> n.Literal:
        return n.Literal(False, self._span(meta))

    # texts

    def text(self, meta: Any, *parts: Any) -> n.Text:
        if len(parts) == 1 and isinstance(parts[0], Token):
            return n.Text(((None, _fold(_unquote(parts[0]))),), self._span(meta))
        return n.Text(tuple(parts), self._span(meta))

    def lang_text(self, meta: Any, lang: Token, value: Token) -> tuple[str, str]:
        return (str(lang), _fold(_unquote(value)))
