"""The fast path: a checked policy compiled to one Python function per date of evaluation.

The traced evaluator (compiler + runtime) explains everything it computes; most rules of
most cases are silent and need no explanation. The fast path only decides which rules
fire and which are pending (for some binding of their implicit variables), in
three-valued logic, and computes each distinct condition at most once per case
(conditions that read no implicit variable are shared by every rule). For a decision, a
third function (`_Writer.findings`) also collects, for each binding that fires or is
pending, what supports it (the facts read, the unknown facts, the list entries matched)
in the order the traced evaluation would: `runtime.run` assembles the decision from
that, and traces only when an explanation is asked for; decisions are the same, byte
for byte (tests/test_fastpath_decisions.py).

Generated code is built, never edited, and never made from text. Each function is a tree
(tuples, below: `("call", ("n", "_eq"), (a, b))`) that is turned into `ast` nodes and
compiled as such: no source text is parsed, no regular expression rewrites anything.
Every value from a policy or a case is a constant node (`ast.Constant`, which stands
for exactly that value whatever its characters) or a name bound outside the function
(other constants in `K`, sets as `S0`, `S1`...); every other name is the engine's own
(generated locals, the helpers below). A policy or a case cannot run Python through it.
`FastPath.sources` shows the code as `ast.unparse` writes it, for inspection only.

Conditions are shared by their structure (the tree, constants typed: `1`, `1.0` and
`True` stay apart). Definitions are shared, not expanded without bound: a small one is
written out where it is used (as before), any other is computed once per case (once per
binding when it reads an implicit variable) into a local, in an order found without
recursion, so the code grows linearly with the policy and chains of definitions do not
nest. Should a policy still be too deep for Python's compiler (conditions nested
thousands deep, allowed by a raised `max_depth`), the two-valued function is skipped
and the three-valued one decides: it computes each condition that reads no variable on
a line of its own, so its code hardly nests (the tests build 1,000 nested `not`).
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import gc
import operator
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from ..lang import checked as c
from ..lang.lists import NamedList, containing_code
from ..lang.schema import BoolType, EnumType, IntType, NumberType, TextType
from ..paths import element as element_path
from . import screen
from .decision import Match
from .facts import GENERATED, Facts, Undecided
from .runner import Finding, Statuses
from .runtime import Traced, jsonable

Decide = Callable[[Mapping[str, Any]], Statuses]
"""A generated function: a case's plain facts in, the rules' statuses out."""

Find = Callable[[Facts], list[Finding]]
"""A case's findings (see `runner.Runner.findings`), on one date."""

_Fn = TypeVar("_Fn", Decide, Find)  # a generated function kept by date


_first = operator.itemgetter(0)  # a finding's rule index, read in C


X = tuple[Any, ...]
"""An expression or statement of the generated code, as a tree of tuples.

Expressions: `("n", name)` a generated name; `("k", type, value)` a constant (its type
in the tuple so that equal-comparing constants such as `1` and `True` stay apart);
`("[]", base, key)`; `(".", base, attribute)`; `("call", function, arguments)`;
`("and" | "or", operands)`; `("not", x)`; `("cmp", operator, left, right)`;
`("?:", test, then, otherwise)`; `("+", a, b)` for `a + b` (texts: a fact's path);
`("gen" | "list", element, variable, iterable)` for
`(element for variable in iterable)` and `[...]`; `("*", x)`; `("tuple", items)`;
`("[*]", x)` a new list of the items of `x` (`[*x]`: no call of `list`);
`("[ ]",)` a new empty list; `("{ }",)` a new empty dict, `("{:}", ((key, value), ...))`
a new dict of these, `("{**}", x)` a new dict of the items of `x` (`{**x}`).
Statements: `("=", name, x)`, `("[]=", name, key, x)` (`name[key] = x`),
`("if", test, body, otherwise)`, `("for", name, x, body)`
(`name` a tuple of names to unpack each item),
`("do", x)`, `("return", x)`. Tuples compare and hash by structure: equal conditions
are found by looking them up.
"""

ROOT: X = ("n", "root")
FALSE: X = ("k", bool, False)
TRUE: X = ("k", bool, True)
NONE: X = ("k", type(None), None)
EMPTY: X = ("[ ]",)
NO_FACTS: X = ("{ }",)

_INLINE_NODES = 100
"""A definition whose expansion has at most this many nodes is written out where it is
used (no local, no call: the shape the code had before); a larger one is computed once."""


def _name(name: str) -> X:
    return ("n", name)


def _const(value: Any) -> X:
    return ("k", type(value), value)


def _call(function: str, *args: X) -> X:
    return ("call", ("n", function), args)


def _all_of(tests: list[X]) -> X:
    return tests[0] if len(tests) == 1 else ("and", tuple(tests)) if tests else TRUE


def _any_of(tests: list[X]) -> X:
    return tests[0] if len(tests) == 1 else ("or", tuple(tests)) if tests else FALSE


def _append(to: str, index: int) -> X:
    return ("do", ("call", (".", _name(to), "append"), (_const(index),)))


# ---- the helpers the three-valued function calls (engine code, bound by name) ----------


def _and(*values: Any) -> bool | None:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def _or(*values: Any) -> bool | None:
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def _not(v: Any) -> bool | None:
    return None if v is None else not v


def _get(record: Any, key: str) -> Any:
    return record.get(key) if record.__class__ is dict else None


_NOTHING: dict[str, Any] = {}  # never written: its `get` says None of every key


def _getter(record: Any) -> Callable[[str], Any]:
    """What `_get(record, key)` says of each key, as a function made once per record: the
    findings function reads a record's fields through it (a call of a dict's `get`
    costs half a call of `_get`)."""
    return record.get if record.__class__ is dict else _NOTHING.get


def _eq(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a == b


def _ne(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a != b


def _lt(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a < b


def _le(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a <= b


def _gt(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a > b


def _ge(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a >= b


def _match(name: Any, country: Any, screener: screen.Screener, said: _Memo) -> bool | None:
    # Kept in `said` (the generated function's, for this screener) by name and country
    # when both are texts (or the country unknown), as `_screened` keeps a screening:
    # four calls down to the screener's memo, else.
    if name.__class__ is not str or country.__class__ not in _PLACES:
        return screener(name, country)
    key = (name, country)
    found = said.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = screener(name, country)
        if len(said) > _KEPT_MATCHES:
            said.clear()
        said[key] = found
    return found  # type: ignore[no-any-return]


_UNSEEN = object()
_PLACES = frozenset({str, type(None)})


def _matches(name: Any, country: Any, screener: screen.Screener) -> bool:
    found = screener(name, country)
    if found is None:
        raise Undecided  # a possible match, or a list that cannot answer: three-valued
    return found


def _each(collection: Any) -> Any:
    # an unknown collection gives one binding, to an unknown element
    return collection if collection is not None else (None,)


def _in(e: Any, s: Any, hierarchical: bool, negated: bool) -> bool | None:
    if s is not None and not s:
        return negated
    if e is None or s is None:
        return None
    return (_hierarchical(e, s) if hierarchical else e in s) is not negated


def _peek(record: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if record.__class__ is not dict:
            return None
        record = record.get(key)
    return record


def _hierarchical(code: Any, container: Any) -> bool:
    return containing_code(code, container) is not None


def _among(items: Any, values: frozenset[Any]) -> bool | None:
    """Kleene `any x in items: x in values`, values a policy's set (never holding None):
    true if a known element is in it, else unknown if an element is unknown, else false.
    Nothing is in an empty set, whatever the element (as `_in` says)."""
    if not values:
        return False
    if not values.isdisjoint(items):
        return True
    return None if None in items else False


def _outside(items: Any, values: frozenset[Any]) -> bool | None:
    """Kleene `any x in items: x not in values`, as `_among`: every element is outside
    an empty set, an unknown one too."""
    if not values:
        return len(items) > 0
    outside = set(items).difference(values)
    outside.discard(None)
    if outside:
        return True
    return None if None in items else False


def _within(items: Any, codes: frozenset[Any], negated: bool) -> bool | None:
    """Kleene `any x in items: x in codes` for codes a hierarchy (`_in` hierarchical: a
    code or one of its parents is in the set), `not in` when `negated`: what
    `_or(*[_in(x, codes, True, negated) for x in items])` says, in one call."""
    if not codes:
        return negated if items else False  # `_in` says `negated` of every element
    unknown = False
    for item in items:
        if item is None:
            unknown = True
        elif (containing_code(item, codes) is not None) is not negated:
            return True
    return None if unknown else False


def _undecided() -> bool:
    raise Undecided  # only three-valued logic answers this condition


# ---- the helpers the findings function calls (see `_Writer.findings`) ----------------

_PLAIN = frozenset({str, int, float, bool})
_PLAIN_TYPES = (BoolType, IntType, NumberType, TextType, EnumType)
"""The types of facts whose value in a case is its value in a decision's JSON."""
_SHARED_SUPPORT = (c.And, c.Or, c.Quantifier, c.Member, c.Match)
"""Conditions whose support is worth collecting once per case (`_shared_support`)."""


def _json(value: Any) -> Any:
    return value if value.__class__ in _PLAIN else jsonable(value)


def _indexed(collection: Any) -> Any:
    # an unknown collection gives one binding, to an unknown element, with no index
    return enumerate(collection) if collection is not None else ((None, None),)


def _elem(path: str, index: int | None) -> str:
    return path if index is None else element_path(path, index)


class _Kept(dict[int | None, tuple[str, ...]]):
    """The element paths a generated function keeps (`_paths`): a dict, hashed by
    identity so that it is a constant of its own (`_Code.constant`)."""

    __hash__ = object.__hash__  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other


class _Memo(dict[Any, Any]):
    """What a generated function keeps of one screener's answers (`_match`,
    `_screened`): a dict of its own (hashed by identity, as `_Kept`), so that it goes
    when the function does, holding no screener of another policy or date; emptied
    past _KEPT_MATCHES entries."""

    __hash__ = object.__hash__  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other


_KEPT_PATHS = 256
"""Elements of a collection (by index) whose paths `_paths` keeps, per generated function."""


def _paths(
    kept: dict[int | None, tuple[str, ...]],
    collection: str,
    index: int | None,
    fields: tuple[tuple[str, ...], ...],
) -> tuple[str, ...]:
    """The paths of an element's facts that the findings function names, `fields` of
    the element at `index` of `collection` (`partners[1].country`; an unknown
    collection's one binding: the collection's path), made once for each element and
    kept in `kept` for the next case: the same texts, their hashes computed once."""
    found = kept.get(index)
    if found is None:
        element = collection if index is None else element_path(collection, index)
        found = tuple(
            element if index is None or not names else element + "." + ".".join(names)
            for names in fields
        )
        if index is None or index < _KEPT_PATHS:  # (threads: each makes the same tuple)
            kept[index] = found
    return found


def _binding(names: tuple[str, ...], indices: tuple[int | None, ...]) -> dict[str, int]:
    return {name: i for name, i in zip(names, indices, strict=True) if i is not None}


def _hit(
    hits: list[Match], named: str, value: Any, container: Any, hierarchical: bool, path: str
) -> None:
    if value is None or container is None:
        return
    found = (
        containing_code(value, container)
        if hierarchical
        else (str(value) if value in container else None)
    )
    if found is not None:
        text = str(value)
        key = (named, found, path, text)
        match = _MATCHES.get(key)
        if match is None:
            if len(_MATCHES) > _KEPT_MATCHES:
                _MATCHES.clear()
            match = _MATCHES[key] = Match(named, found, path, text)
        if match not in hits:  # each once, where it came first
            hits.append(match)


_MATCHES: dict[tuple[str, str, str, str], Match] = {}
"""The entries of codes lists matched, made once for the same list, entry, path and
value (a frozen `Match` of texts: decisions may share it); emptied past _KEPT_MATCHES."""
_KEPT_MATCHES = 20_000


def _screened(
    facts: dict[str, Any] | None,
    unknowns: list[str] | None,
    hits: list[Match] | None,
    screener: screen.Screener,
    name: Any,
    path: str,
    place: Any,
    place_path: str | None,
    kept: _Memo,
) -> None:
    """What `name matches LIST` adds to a finding, as `compiler.visit_Match` says: the
    name (or that it is unknown), the country when it counted, the candidate or why
    the list cannot answer, and what stays unknown. `kept`: the screenings made, for
    this screener (the generated function's)."""
    if name is None:
        if unknowns is not None and path not in unknowns:
            unknowns.append(path)
        return
    # Made once for the same name, place and paths (a finding screens a partner's name
    # for several of its rules, and a batch meets the same partners again): making the
    # record of the candidate was most of the cost.
    key = (name, path, place, place_path)
    said = kept.get(key) if name.__class__ is str and place.__class__ in _PLACES else None
    if said is None:
        said = _screening(screener, name, path, place, place_path)
        if name.__class__ is str and place.__class__ in _PLACES:
            if len(kept) > _KEPT_MATCHES:
                kept.clear()
            kept[key] = said
    fact, place_fact, record, waits = said
    if facts is not None:
        facts[path] = fact
        if place_fact is not None:
            facts[place_fact[0]] = place_fact[1]
    if hits is not None and record is not None and record not in hits:
        hits.append(record)  # each once, where it came first
    if waits is not None and unknowns is not None and waits not in unknowns:
        unknowns.append(waits)


_Screening = tuple[Any, tuple[str, Any] | None, Match | None, str | None]
"""What screening a name adds to a finding (`_screening`): the name's JSON value, the
country's path and value when it counted, the record of the candidate or of why the list
cannot answer, and the fact that stays unknown."""

# `_screened` keeps what screening a name adds to a finding by name, path, country and
# its path (texts: a name of another type, which could equal a text's hash, is not
# kept); records are frozen, so findings may share them.


def _screening(
    screener: screen.Screener, name: Any, path: str, place: Any, place_path: str | None
) -> _Screening:
    """What screening a known name adds to a finding (see `_screened`)."""
    found = screener.screen(str(name), place)
    named = screener.named
    counted = found.hit is not None and place is not None and place_path is not None
    record: Match | None = None
    if found.hit is not None:
        record = screen.screen_record(named, path, str(name), found.hit)
    elif found.uncovered is not None:
        record = screen.uncovered_record(named, path, str(name), found.uncovered)
    waits: str | None = None
    if found.value is None:
        if found.needs_country and place_path is not None and place is None:
            waits = place_path
        else:
            waits = screen.screening_fact(path, named.name)
    place_fact = (place_path, _json(place)) if counted and place_path is not None else None
    return (_json(name), place_fact, record, waits)


def _waits(unknowns: str, path: X, empty: bool) -> X:
    """A statement adding a fact to the unknown facts (a list: each once, in order);
    with no test where the list is known to be `empty`."""
    append: X = ("do", ("call", (".", _name(unknowns), "append"), (path,)))
    return append if empty else ("if", ("cmp", "not in", path, _name(unknowns)), [append], [])


def _ordered(findings: list[Finding]) -> None:
    findings.sort(key=_first)  # stable: each rule's bindings stay in order


def _nones(facts: dict[str, Any], unknowns: list[str]) -> None:
    facts.update(dict.fromkeys(unknowns))


def _merge(items: list[Any], more: list[Any]) -> None:
    """Add to `items` (entries matched, or unknown facts) those of `more` it does not
    hold yet, in order."""
    for item in more:
        if item not in items:
            items.append(item)


_HELPERS: dict[str, Any] = {
    "_and": _and, "_or": _or, "_not": _not, "_get": _get, "_getter": _getter,
    "_eq": _eq, "_ne": _ne, "_lt": _lt, "_le": _le, "_gt": _gt, "_ge": _ge,
    "_match": _match, "_each": _each,
    "_in": _in, "_matches": _matches, "_peek": _peek, "_hier": _hierarchical,
    "_undecided": _undecided, "_json": _json, "_indexed": _indexed, "_elem": _elem,
    "_among": _among, "_outside": _outside, "_within": _within,
    "_binding": _binding, "_hit": _hit, "_paths": _paths, "_screened": _screened,
    "_nones": _nones, "_merge": _merge, "_enum": enumerate,
    "_update": dict.update,
    "_ordered": _ordered,
}  # fmt: skip
_COMPARE = {"==": "_eq", "!=": "_ne", "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}


# ---- definitions: which are written out, which computed once ---------------------------


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a function is generated: its trees are
    hundreds of thousands of tuples and nodes, none of them garbage until the end, that
    the collector would otherwise scan over and over (most of the time taken)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Definitions:
    """How the generated code computes each definition, planned once per policy.

    `inline` holds the definitions written out where they are used. Every other one is
    computed into a local before any condition that needs it; `reads` lists, for each
    definition, the computed ones its code reads (itself or through written-out ones),
    and `position` orders definitions so that each comes after those it reads. All of
    it is found without recursion, in time linear in the definitions' size.
    """

    def __init__(self, policy: c.Policy) -> None:
        definitions = policy.definitions
        refs = {
            name: [e.name for e in c.walk([d.expr]) if isinstance(e, c.DefineRef)]
            for name, d in definitions.items()
        }
        nodes = {name: sum(1 for _ in c.walk([d.expr])) for name, d in definitions.items()}
        order = _topological(refs)
        self.position = {name: i for i, name in enumerate(order)}
        self.inline: set[str] = set()
        self.reads: dict[str, tuple[str, ...]] = {}
        self.loops: dict[str, bool] = {}
        size: dict[str, int] = {}
        for name in order:
            size[name] = nodes[name] + sum(size[r] for r in refs[name] if r in self.inline)
            if size[name] <= _INLINE_NODES:
                self.inline.add(name)
            reads: dict[str, None] = {}
            for ref in refs[name]:
                reads.update(dict.fromkeys(self.reads[ref] if ref in self.inline else (ref,)))
            self.reads[name] = tuple(reads)
            # A computed definition is a local to the code that uses it: no loop there.
            self.loops[name] = any(
                (isinstance(e, c.Quantifier) and not _is_set_test(e))
                or (isinstance(e, c.DefineRef) and e.name in self.inline and self.loops[e.name])
                for e in c.walk([definitions[name].expr])
            )

    def computed(self, exprs: Iterable[c.Expr]) -> list[str]:
        """The computed definitions that code for these expressions needs, in order."""
        if len(self.inline) == len(self.position):
            return []  # every definition is written out where it is used
        stack = [
            read
            for e in c.walk(exprs)
            if isinstance(e, c.DefineRef)
            for read in (self.reads[e.name] if e.name in self.inline else (e.name,))
        ]
        needed: set[str] = set()
        while stack:
            name = stack.pop()
            if name not in needed:
                needed.add(name)
                stack.extend(self.reads[name])
        return sorted(needed, key=self.position.__getitem__)


def _topological(refs: dict[str, list[str]]) -> list[str]:
    """Names ordered so that each comes after those it refers to; without recursion."""
    order: list[str] = []
    seen: set[str] = set()
    for start in refs:
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(refs[start]))]
        while stack:
            name, pending = stack[-1]
            for ref in pending:
                if ref not in seen and ref in refs:
                    seen.add(ref)
                    stack.append((ref, iter(refs[ref])))
                    break
            else:
                stack.pop()
                order.append(name)
    return order


# ---- the fast path ---------------------------------------------------------------------


class _Code:
    """A generated function being built: its constants, sets and shared conditions."""

    def __init__(self) -> None:
        self.constants: list[Any] = []
        self.sets: list[frozenset[Any]] = []
        self.lines: list[X] = []  # statements computing shared conditions
        self.shared: dict[X, X] = {}
        self.counter = 0
        self.definitions: dict[str, X] = {}  # computed definitions: name -> local
        self._constant_slots: dict[tuple[type, Any], X] = {}
        self._set_slots: dict[frozenset[Any], X] = {}

    def constant(self, value: Any) -> X:
        """A constant: a text, number or truth value as a constant node, anything else
        in a slot (`K[i]`). Equal constants of one type read alike, so equal conditions
        are shared."""
        if type(value) in (str, int, float, bool):
            return _const(value)
        key = (type(value), value)
        slot = self._constant_slots.get(key)
        if slot is None:
            self.constants.append(value)
            slot = self._constant_slots[key] = ("[]", _name("K"), _const(len(self.constants) - 1))
        return slot

    def set(self, values: frozenset[Any]) -> X:
        """A set of constants, by its name. Equal sets (`{1}` and `{1.0}` too) share one:
        all the code does with a set is test membership, the same for both."""
        slot = self._set_slots.get(values)
        if slot is None:
            self.sets.append(values)
            slot = self._set_slots[values] = _name(f"S{len(self.sets) - 1}")
        return slot

    def names(self) -> dict[str, Any]:
        """The globals the generated code reads: helpers, constants, each set by name."""
        return {
            **_HELPERS,
            "K": tuple(self.constants),
            **{f"S{i}": s for i, s in enumerate(self.sets)},
        }

    def local(self) -> str:
        self.counter += 1
        return f"v{self.counter}"


class FastPath:
    """The fast runner (see `runner`): builds and caches, for each date of evaluation,
    the function deciding a policy's rules.

    Safe to share between threads: whatever is built for one date is built by one
    `_Writer`, made for that build alone, under a lock; deciding takes no lock.
    """

    def __init__(self, policy: c.Policy, traced: Traced | None = None) -> None:
        self.policy = policy
        self.sources = Sources()  # the generated code, for inspection
        self._cache: dict[dt.date, Decide] = {}
        self._finders: dict[dt.date, Find] = {}
        self._plan: _Definitions | None = None
        self._lock = threading.RLock()  # held while anything is built
        self._last: tuple[dt.date | None, Decide | None] = (None, None)
        self._last_finder: tuple[dt.date | None, Find | None] = (None, None)
        # What finds the rules the findings function has no code for (see `findings`).
        self._traced = traced

    @property
    def plan(self) -> _Definitions:
        """How definitions are computed (planned when first needed)."""
        with self._lock:
            if self._plan is None:
                self._plan = _Definitions(self.policy)
            return self._plan

    def statuses(self, facts: Facts, as_of: dt.date) -> Statuses:
        """The rules that fire and those pending on a case (see `runner.Runner`)."""
        day, decide = self._last  # the date asked last: usually today, every time
        if decide is None or as_of is not day:
            decide = self.decide(as_of)
            self._last = (as_of, decide)  # one assignment: threads see a whole pair
        return decide(facts.root)

    def findings(self, facts: Facts, as_of: dt.date) -> list[Finding]:
        """Every binding that fires or is pending, with its support (see `runner.Runner`)."""
        day, find = self._last_finder
        if find is None or as_of is not day:
            find = self.finder(as_of)
            self._last_finder = (as_of, find)
        return find(facts)

    def finder(self, as_of: dt.date) -> Find:
        """The function giving a case's findings on `as_of` (see `_Writer.findings`)."""
        return self._dated(self._finders, as_of, self._finder)

    def _dated(
        self, memo: dict[dt.date, _Fn], as_of: dt.date, make: Callable[[dt.date], _Fn]
    ) -> _Fn:
        """`memo`'s function for `as_of`, made once (under the lock: threads share it);
        past 64 dates every generated function and its source are dropped."""
        found = memo.get(as_of)
        if found is None:
            with self._lock:
                found = memo.get(as_of)
                if found is None:
                    found = make(as_of)
                    if len(memo) > 64:
                        self._finders.clear()
                        self._cache.clear()
                        self.sources.clear()
                    memo[as_of] = found
        return found

    @_collector_paused()
    def _finder(self, as_of: dt.date) -> Find:
        """Generated code for every rule it can write code for; the traced runner for
        the others (a rule reading a definition computed once, say), merged in order."""
        writer = _Writer(self.policy, self.plan, as_of)
        try:
            code, others = writer.findings()
            generated: Callable[[Mapping[str, Any]], list[Finding]] | None = self._compile(
                as_of, writer, code, "findings"
            )
        except (RecursionError, MemoryError):  # too deep for Python's compiler
            generated, others = None, [i for i, _ in writer._active()]
        if not others:
            assert generated is not None
            return lambda facts: generated(facts.root)
        traced = self._traced_runner()
        rest = frozenset(others)

        def find(facts: Facts) -> list[Finding]:
            found = generated(facts.root) if generated is not None else []
            found += traced.findings(facts, as_of, rest)
            found.sort(key=_first)  # stable: each rule's bindings stay in order
            return found

        return find

    def _traced_runner(self) -> Traced:
        assert self._traced is not None, "compile_policy gives the fast path its traced runner"
        return self._traced

    def decide(self, as_of: dt.date) -> Decide:
        """The function deciding which rules fire and which are pending on `as_of`."""
        return self._dated(self._cache, as_of, self._decider)

    def _decider(self, as_of: dt.date) -> Decide:
        """Two-valued first; three-valued, built when first needed, when the two-valued
        function meets an unknown fact (`Facts.missed`) or a condition it cannot answer."""
        try:
            two: Decide | None = self.two_valued(as_of)
        except (RecursionError, MemoryError):  # too deep for Python's compiler
            two = None
        three: list[Decide] = []  # built when an unknown fact first needs it
        missed = Facts.missed

        def decide(facts: Mapping[str, Any]) -> Statuses:
            if two is not None:
                try:
                    return two(facts)
                except Undecided:
                    pass
                except (KeyError, TypeError) as error:
                    if not missed(error):
                        raise  # a fault, not an unknown fact: never hidden
            if not three:
                with self._lock:
                    if not three:
                        three.append(self.three_valued(as_of))
            fired, pending = three[0](facts)  # once per binding: once each here
            return list(dict.fromkeys(fired)), list(dict.fromkeys(pending))

        return decide

    @_collector_paused()
    def two_valued(self, as_of: dt.date) -> Decide:
        """A function that decides in plain two-valued logic, raising KeyError at the
        first unknown fact it needs (the caller then uses the three-valued one)."""
        writer = _Writer(self.policy, self.plan, as_of)
        decide: Decide = self._compile(as_of, writer, writer.two_valued(), "two-valued")
        return decide

    @_collector_paused()
    def three_valued(self, as_of: dt.date) -> Decide:
        """A function that decides in three-valued logic, whatever the case gives."""
        writer = _Writer(self.policy, self.plan, as_of)
        decide: Decide = self._compile(as_of, writer, writer.three_valued(), "three-valued")
        return decide

    def _compile(self, as_of: dt.date, writer: _Writer, code: _Function, label: str) -> Any:
        """The function `decide(root)` of this code, compiled from its tree."""
        namespace = writer.src.names()
        module = _module(code)
        self.sources.add(as_of, code)
        exec(compile(module, f"{GENERATED}, {label}>", "exec"), namespace)
        return namespace["decide"]


class _Writer:
    """Writes the generated functions of one policy for one date: made for one build,
    so that no state of a build is ever shared (between threads, or two builds)."""

    def __init__(self, policy: c.Policy, plan: _Definitions, as_of: dt.date) -> None:
        self.policy = policy
        self.plan = plan
        self.as_of = as_of
        self.src = _Code()
        self._list_sets: dict[tuple[str, dt.date], frozenset[str]] = {}
        self._memos: dict[tuple[str, str], X] = {}  # (`_screener`)
        self._rule_definitions: dict[str, X] = {}  # those read per binding, in one rule
        self._variables: dict[c.Expr, bool] = {}  # whether each reads a variable
        # The findings function's supports collected once per case (`_shared_support`).
        self._support_slots: dict[Any, tuple[str | None, ...]] = {}
        self._slot_names: list[str] = []
        # How often each such support is used (`_shared_support`; a use that may run
        # more than once per case counts twice), and those written out where used.
        self._slot_uses: dict[Any, int] = {}
        self._written_out: frozenset[Any] = frozenset()
        self._looping = 0  # how many loops the code being written is in
        # The statements of a finding's support being written, while its facts, unknown
        # facts and hits (these locals) are still empty (`_finding`, `_shared_support`);
        # those a support collected once per case then made as copies of it.
        self._fresh: tuple[list[X], frozenset[str]] | None = None
        self._copied: set[str] = set()
        # Locals a finding's code uses for a while only (`_scratch`), by depth: each
        # local of a function costs every call of it, whether it is used or not.
        self._scratch_names: list[list[str]] = []
        self._depth = 0
        self._finding_locals: tuple[str, str, str] = ("", "", "")
        # For the local holding an element's path: the local holding the paths of its
        # facts (`_paths`), and the local each fact's path is unpacked to, by its fields.
        self._field_paths: dict[str, tuple[str, dict[tuple[str, ...], str]]] = {}
        # For the local holding an element of a collection of records: the local of its
        # reader (`_getter`), and whether the code reads it.
        self._getters: dict[str, list[Any]] = {}
        # The findings function's `_emit` writes Kleene tests of locals in place and
        # reads each record of the root once (the three-valued one, as it always has).
        self._in_place = False

    def _active(self) -> list[tuple[int, c.Rule]]:
        """The rules in force on the date, with their index in the policy."""
        return [(i, r) for i, r in enumerate(self.policy.rules) if r.valid_on(self.as_of)]

    def _unbound_definitions(self, active: list[tuple[int, c.Rule]]) -> Iterator[c.Definition]:
        """The computed definitions these rules need that read no implicit variable: both
        functions compute them once, before every rule, in this order."""
        for name in self.plan.computed(e for _, r in active for e in (r.when, *r.unless)):
            definition = self.policy.definitions[name]
            if not definition.binders:
                yield definition

    def _fact(self, expr: c.Fact, env: dict[str, X], step: Callable[[X, X], X]) -> X:
        """A read of a fact, each field read by `step` (how each function reads a field)."""
        code = ROOT if expr.base is None else env[expr.base]
        for field in expr.fields:
            code = step(code, self.src.constant(field))
        return code

    def _codes(self, named: NamedList) -> frozenset[str]:
        key = (named.name, self.as_of)
        found = self._list_sets.get(key)
        if found is None:
            found = self._list_sets[key] = frozenset(e.key for e in named.entries_on(self.as_of))
        return found

    def _member_of(self, expr: c.Member, element: X, container: X) -> X:
        """`element in container`, as `_in` says it; tested in place for a set of the
        policy's (nothing is in it if it is empty) and an element in a local."""
        if (
            isinstance(expr.container, c.ConstSet | c.ListSet)
            and not expr.hierarchical
            and _testable(element)
        ):
            if not self._constant_values(expr.container):
                return _const(expr.negated)
            test = ("cmp", "not in" if expr.negated else "in", element, container)
            return ("?:", ("cmp", "is", element, NONE), NONE, test)  # unknown: unknown
        flags = (_const(expr.hierarchical), _const(expr.negated))
        return _call("_in", element, container, *flags)

    def _constant_values(self, expr: c.ConstSet | c.ListSet) -> frozenset[Any]:
        """The values of a set of the policy's (`S0`...), on the date."""
        return frozenset(expr.values) if isinstance(expr, c.ConstSet) else self._codes(expr.list)

    def _constant(self, expr: c.Const | c.ConstSet | c.ListSet) -> X:
        """A constant as both generated functions write it: a constant or a set's name."""
        if isinstance(expr, c.Const):
            return self.src.constant(expr.value)
        if isinstance(expr, c.ConstSet):
            return self.src.set(frozenset(expr.values))
        return self.src.set(self._codes(expr.list))

    def _definition(self, name: str) -> X | None:
        """The local holding a computed definition (None: it is written out)."""
        if name in self.plan.inline:
            return None
        found = self.src.definitions.get(name) or self._rule_definitions.get(name)
        assert found is not None, f"definition {name} used before it was computed"
        return found

    def _binder_reader(self, name: str, reader: Callable[[X, str], X]) -> X:
        code = ROOT
        for field in self.policy.schema.binders[name].fields:
            code = reader(code, field)
        return code

    # ---- the two-valued function ----------------------------------------------------

    def two_valued(self) -> _Function:
        """The code of a function deciding in plain two-valued logic, which raises
        KeyError at the first unknown fact it needs (see `FastPath._decider`)."""
        src = self.src
        active = self._active()
        body: list[X] = []
        # A read of an unknown fact in a definition computed first sends the case to the
        # three-valued function, as anywhere.
        for definition in self._unbound_definitions(active):
            local = src.definitions[definition.name] = _name(f"d{len(src.definitions)}")
            body.append(("=", local[1], self._plain(definition.expr, {})))
        conditions: list[list[X]] = []
        looping: set[X] = set()  # conditions whose code loops over a collection
        expressions: dict[X, c.Expr] = {}  # what each condition's code was made from
        for _, rule in active:
            if rule.binders:
                conditions.append([])  # made per binding by _plain_rule
                continue
            operands = rule.when.operands if isinstance(rule.when, c.And) else (rule.when,)
            codes = [self._plain(o, {}) for o in operands]
            expressions.update(zip(codes, operands, strict=True))
            looping.update(code for o, code in zip(operands, codes, strict=True) if self._loops(o))
            unless = [("not", self._plain(u, {})) for u in rule.unless]
            looping.update(
                code for u, code in zip(rule.unless, unless, strict=True) if self._loops(u)
            )
            conditions.append(codes + unless)
        counts: dict[X, int] = {}
        for codes in conditions:
            for code in codes:
                counts[code] = counts.get(code, 0) + 1
        # Share conditions when rules repeat them enough to pay for computing them early;
        # group rules under the condition most of them share, tested once for all.
        share = sum(counts.values()) > 1.5 * max(len(counts), 1) and len(active) > 60
        if share:
            names = {code: f"c{i}" for i, code in enumerate(counts)}
            groups: dict[X, list[tuple[int, list[X]]]] = {}
            loops: list[X] = []
            for (index, rule), codes in zip(active, conditions, strict=True):
                if rule.binders:
                    loops += self._plain_rule(index, rule)
                    continue
                # The lead is computed for every case: a cheap test (no loop over a
                # collection) if the rule has one, then the one most rules share.
                lead = max(codes, key=lambda x: (x not in looping, counts[x]))
                groups.setdefault(lead, []).append((index, [x for x in codes if x != lead]))
            guards = _guards(groups)
            # Every lead, and each condition too many groups test to guard it, is
            # computed for every case; the other conditions only when a group needs them.
            always = [*groups, *(x for x, leads in guards.items() if len(leads) > _MAX_GUARDS)]
            body += self._always(always, names, expressions)
            body += [
                ("=", names[code], _guarded(code, leads, names))
                for code, leads in guards.items()
                if len(leads) <= _MAX_GUARDS
            ]
            body += loops
            for lead, members in groups.items():
                tests = [
                    ("if", _all_of([_name(names[x]) for x in rest]), [_append("fired", index)], [])
                    if rest
                    else _append("fired", index)
                    for index, rest in members
                ]
                body.append(("if", _name(names[lead]), tests, []))
        else:
            for (index, rule), codes in zip(active, conditions, strict=True):
                if rule.binders:
                    body += self._plain_rule(index, rule)
                else:
                    body.append(("if", _all_of(codes), [_append("fired", index)], []))
        # With few rules, short-circuiting already skips most reads.
        head, reads = _hoist_reads(body) if share else ([], {})
        head = [("=", "fired", EMPTY), *head]
        body.append(("return", ("tuple", (_name("fired"), EMPTY))))
        return (head, body, reads)

    def _always(self, codes: list[X], names: dict[X, str], expressions: dict[X, c.Expr]) -> list[X]:
        """The statements computing conditions needed for every case (`codes`).

        Conditions of the form `any x in C: ...` over the same collection C share one
        loop over it, each tested until it holds: with a few elements per collection,
        making a generator for each `any(...)` cost more than testing them (most of a
        decision of 3,000 rules). Each is tested on the same elements as `any` would, so
        the same unknown fact makes the decision fall back to the three-valued function.
        """
        loops: dict[X, list[tuple[X, c.Quantifier]]] = {}
        for code in codes:
            expr = expressions.get(code)
            if isinstance(expr, c.Quantifier) and expr.kind == "any" and not _is_set_test(expr):
                loops.setdefault(self._plain(expr.collection, {}), []).append((code, expr))
        shared = {code for members in loops.values() if len(members) > 1 for code, _ in members}
        lines: list[X] = [("=", names[code], code) for code in codes if code not in shared]
        q0 = _name("q0")
        for collection, members in loops.items():
            if len(members) < 2:
                continue
            lines += [("=", names[code], FALSE) for code, _ in members]
            tests: list[X] = []
            for code, expr in members:
                test = self._plain(expr.body, {expr.var: q0, "?0": q0})
                name = _name(names[code])
                tests.append(("if", ("and", (("not", name), test)), [("=", name[1], TRUE)], []))
            lines.append(("for", "q0", collection, tests))
        return lines

    def _plain_rule(self, index: int, rule: c.Rule) -> list[X]:
        """A rule with implicit variables: a loop per binder, in two-valued logic."""
        # Every binding is tried, none skipped once the rule fired: an unknown fact in a
        # later binding makes the rule pending too, so it must reach the three-valued path.
        # The rule is reported once, however many bindings fire it.
        hit = f"h{index}"
        env = {name: _name(f"b{n}") for n, name in enumerate(rule.binders)}
        inner = self._rule_definitions_computed(rule, env, self._plain)
        operands = rule.when.operands if isinstance(rule.when, c.And) else (rule.when,)
        codes = [self._plain(o, env) for o in operands]
        codes += [("not", self._plain(u, env)) for u in rule.unless]
        self._rule_definitions = {}
        loop: list[X] = [*inner, ("if", _all_of(codes), [("=", hit, TRUE)], [])]
        for n in reversed(range(len(rule.binders))):
            reader = self._binder_reader(rule.binders[n], lambda x, f: ("[]", x, _const(f)))
            loop = [("for", f"b{n}", reader, loop)]
        return [("=", hit, FALSE), *loop, ("if", _name(hit), [_append("fired", index)], [])]

    def _rule_definitions_computed(
        self, rule: c.Rule, env: dict[str, X], write: Callable[[c.Expr, dict[str, X]], X]
    ) -> list[X]:
        """Statements computing, per binding, the definitions a rule reads through its
        implicit variables (the others were computed once, before every rule)."""
        lines: list[X] = []
        self._rule_definitions = {}
        for name in self.plan.computed((rule.when, *rule.unless)):
            definition = self.policy.definitions[name]
            if name in self.src.definitions or not definition.binders:
                continue
            local = self.src.local()
            lines.append(("=", local, write(definition.expr, env)))
            self._rule_definitions[name] = _name(local)
        return lines

    def _loops(self, expr: c.Expr) -> bool:
        """Whether the two-valued code of an expression loops over a collection."""
        if isinstance(expr, c.Quantifier):
            return not _is_set_test(expr)
        if isinstance(expr, c.DefineRef):
            return expr.name in self.plan.inline and self.plan.loops[expr.name]
        if isinstance(expr, c.Not):
            return self._loops(expr.operand)
        if isinstance(expr, c.And | c.Or):
            return any(self._loops(o) for o in expr.operands)
        return False

    def _plain(self, expr: c.Expr, env: dict[str, X]) -> X:
        """A Python expression in two-valued logic; reading an unknown fact raises KeyError."""
        src = self.src
        if isinstance(expr, c.Fact):
            return self._fact(expr, env, lambda code, key: ("[]", code, key))
        if isinstance(expr, c.Const | c.ConstSet | c.ListSet):
            return self._constant(expr)
        if isinstance(expr, c.DefineRef):
            local = self._definition(expr.name)
            if local is not None:
                return local
            return self._plain(self.policy.definitions[expr.name].expr, env)
        if isinstance(expr, c.Not):
            return ("not", self._plain(expr.operand, env))
        if isinstance(expr, c.And | c.Or):
            kind = "and" if isinstance(expr, c.And) else "or"
            return (kind, tuple(self._plain(o, env) for o in expr.operands))
        if isinstance(expr, c.Compare):
            return ("cmp", expr.op, self._plain(expr.left, env), self._plain(expr.right, env))
        if isinstance(expr, c.Member):
            element, container = self._plain(expr.element, env), self._plain(expr.container, env)
            test = (
                _call("_hier", element, container)
                if expr.hierarchical
                else ("cmp", "in", element, container)
            )
            return ("not", test) if expr.negated else test
        if isinstance(expr, c.Match):
            # The name is read as a fact (an unknown one raises KeyError as any other);
            # the country softly: a name without one is still screened.
            subject = self._plain(expr.subject, env)
            return _call(
                "_matches",
                subject,
                self._country(expr, env, plain=True),
                self._screener(expr),
            )
        if isinstance(expr, c.Known):
            if not isinstance(expr.subject, c.Fact):
                return _call("_undecided")  # only the three-valued function answers this one
            base = ROOT if expr.subject.base is None else env[expr.subject.base]
            keys = ("tuple", tuple(src.constant(f) for f in expr.subject.fields))
            return ("cmp", "is not" if expr.known else "is", _call("_peek", base, keys), NONE)
        assert isinstance(expr, c.Quantifier)
        body_ = expr.body
        if _is_set_test(expr):
            # `any t in topics: t in S` is a set operation, done in C
            assert isinstance(body_, c.Member)
            collection = self._plain(expr.collection, env)
            container = self._plain(body_.container, env)
            return ("not", ("call", (".", container, "isdisjoint"), (collection,)))
        depth = len([k for k in env if k.startswith("?")])
        element = _name(f"q{depth}")
        body = self._plain(expr.body, {**env, expr.var: element, f"?{depth}": element})
        collection = self._plain(expr.collection, env)
        return ("call", _name(expr.kind), (("gen", body, element[1], collection),))

    # ---- the three-valued function --------------------------------------------------

    def three_valued(self) -> _Function:
        """The code of a function deciding in three-valued logic."""
        src = self.src
        active = self._active()
        for definition in self._unbound_definitions(active):
            src.definitions[definition.name] = self._expr(definition.expr, {})
        body: list[X] = []
        for index, rule in active:
            body += self._rule(index, rule)
        head = [("=", "fired", EMPTY), ("=", "pending", EMPTY)]
        body = [*src.lines, *body, ("return", ("tuple", (_name("fired"), _name("pending"))))]
        return (head, body, {})

    def _rule(self, index: int, rule: c.Rule) -> list[X]:
        env: dict[str, X] = {}
        readers: list[tuple[str, X, str]] = []
        for name in rule.binders:
            reader = self._binder_reader(name, lambda x, f: _call("_get", x, self.src.constant(f)))
            collection, element = self.src.local(), self.src.local()
            readers.append((collection, reader, element))
            env[name] = _name(element)
        inner = self._rule_definitions_computed(rule, env, self._expr)
        when = self._expr(rule.when, env)
        parts = [when] + [_call("_not", self._expr(u, env)) for u in rule.unless]
        self._rule_definitions = {}
        verdict = parts[0] if len(parts) == 1 else _call("_and", *parts)
        r = _name("r")
        lines: list[X] = [
            *inner,
            ("=", "r", verdict),
            (
                "if",
                ("cmp", "is", r, TRUE),
                [_append("fired", index)],
                [("if", ("cmp", "is", r, NONE), [_append("pending", index)], [])],
            ),
        ]
        for collection, reader, element in reversed(readers):
            lines = [
                ("=", collection, reader),
                ("for", element, _call("_each", _name(collection)), lines),
            ]
        return lines

    # ---- the findings function: a decision's rules, with what supports each ----------

    def findings(self) -> tuple[_Function, list[int]]:
        """The code of a function returning a case's findings (`runner.Finding`), and
        the rules (by index) it has no code for, which the traced runner then finds.

        Three-valued, like `three_valued`, with the same sharing: every condition that
        reads no implicit variable is computed once per case, before any rule; each
        rule's conditions once per binding, each part into a local. For a binding that
        fires or is pending, the code then collects what supports it, as the traced
        evaluation (`compiler`) does, in the same order: a fact read (or unknown), the
        entry a code matched; an `and` decided by a false part explained by that part
        alone, an `any` by its witnesses. Those parts' values are the locals already
        computed, so the code grows with the policy, not with its nesting.
        """
        # Written twice: first to count where each support collected once per case is
        # used (the code is then dropped), then for good, with the supports used in one
        # place written out there (`_shared_support`).
        counted = _Writer(self.policy, self.plan, self.as_of)
        counted._findings()
        self._written_out = frozenset(k for k, n in counted._slot_uses.items() if n == 1)
        return self._findings()

    def _findings(self) -> tuple[_Function, list[int]]:
        src = self.src
        self._in_place = True  # (`_emit`: tests in place, reads from the root shared)
        active = self._active()
        for definition in self._unbound_definitions(active):
            src.definitions[definition.name] = self._expr(definition.expr, {})
        out = src.local()
        # every finding collects its support in these, appended before the next starts
        self._finding_locals = (src.local(), src.local(), src.local())
        body: list[X] = []
        others = [index for index, rule in active if not self._writable(rule)]
        written = [(index, rule) for index, rule in active if index not in others]
        # Rules with one implicit variable share one loop over its collection.
        loops: dict[str, list[tuple[int, c.Rule]]] = {}
        for index, rule in written:
            if len(rule.binders) == 1:
                loops.setdefault(rule.binders[0], []).append((index, rule))
        for index, rule in written:
            if len(rule.binders) != 1:
                body += self._finding_rule(index, rule, out)
            elif loops[rule.binders[0]][0][0] == index:  # the loop, where its first rule is
                body += self._finding_loop(rule.binders[0], loops[rule.binders[0]], out)
        if any(len(rules) > 1 for rules in loops.values()):
            body.append(("do", _call("_ordered", _name(out))))
        head: list[X] = [("=", out, EMPTY), *(("=", x, NONE) for x in self._slot_names)]
        body = [*src.lines, *body, ("return", _name(out))]
        return (head, body, {}), others

    def _writable(self, rule: c.Rule) -> bool:
        """Whether the findings function writes this rule's code: not when it reads a
        definition computed once (its support would be written at every use), nor a
        value whose path the code cannot name (a list or a name that is no fact)."""
        stack: list[c.Expr] = [rule.when, *rule.unless]
        while stack:
            expr = stack.pop()
            if isinstance(expr, c.DefineRef):
                if expr.name not in self.plan.inline:
                    return False
                stack.append(self.policy.definitions[expr.name].expr)
                continue
            if isinstance(expr, c.Quantifier) and not isinstance(
                self._fact_of(expr.collection), c.Fact
            ):
                return False
            if isinstance(expr, c.Match) and not isinstance(self._fact_of(expr.subject), c.Fact):
                return False
            if isinstance(expr, c.Member) and self._fact_of(expr.element) is False:
                return False
            stack.extend(c.children(expr))
        return True

    def _may_match(self, exprs: Iterable[c.Expr]) -> bool:
        """Whether the support of these conditions can hold a list entry matched: only
        where a name is screened or a fact is looked up in a codes list."""
        stack = list(exprs)
        while stack:
            expr = stack.pop()
            if isinstance(expr, c.Match) or (
                isinstance(expr, c.Member) and isinstance(expr.container, c.ListSet)
            ):
                return True
            if isinstance(expr, c.DefineRef):
                stack.append(self.policy.definitions[expr.name].expr)
            else:
                stack.extend(c.children(expr))
        return False

    def _fact_of(self, expr: c.Expr) -> c.Fact | bool:
        """The fact an expression reads, through definitions written out; True for a
        constant (which reads none), False for anything else."""
        while isinstance(expr, c.DefineRef) and expr.name in self.plan.inline:
            expr = self.policy.definitions[expr.name].expr
        if isinstance(expr, c.Fact):
            return expr
        return isinstance(expr, c.Const | c.ConstSet | c.ListSet)

    def _finding_rule(self, index: int, rule: c.Rule, out: str) -> list[X]:
        """A rule, per binding: its verdict, and for a binding that fires or is pending,
        what supports it, appended to `out` as a finding."""
        env: dict[str, X] = {}
        loops: list[tuple[str, X, str, str, str]] = []
        positions: list[tuple[str, str, str]] = []
        for name in rule.binders:
            collection, position, element = self.src.local(), self.src.local(), self.src.local()
            path = self.src.local()
            loops.append((collection, self._collection(name), position, element, path))
            env[name] = _name(element)
            positions.append((name, position, path))
            self._getters[element] = [self.src.local(), False]
        tables = [self._element_paths(path) for *_, path in loops]
        self._looping += bool(loops)
        lines = self._finding(index, rule, env, positions, {}, out)
        self._looping -= bool(loops)
        for (collection, reader, position, element, path), (name, _, _), table in zip(
            reversed(loops), reversed(positions), reversed(tables), strict=True
        ):
            each = [
                *self._element_path(name, position, path, table),
                *self._element_getter(element),
                *lines,
            ]
            lines = [
                ("=", collection, reader),
                ("for", (position, element), _call("_indexed", _name(collection)), each),
            ]
        return lines

    def _finding_loop(self, name: str, rules: list[tuple[int, c.Rule]], out: str) -> list[X]:
        """Rules with one implicit variable, the same, in one loop over its collection:
        each element's facts read once for them all (their findings come out by element,
        and are put back in rule order at the end)."""
        collection, position, element = self.src.local(), self.src.local(), self.src.local()
        path = self.src.local()  # the element's path, made once for every rule's findings
        env = {name: _name(element)}
        memo: dict[Any, X] = {}  # shared by the rules: what one computed, the next reads
        table = self._element_paths(path)
        self._getters[element] = [self.src.local(), False]
        lines: list[X] = []
        self._looping += 1
        for index, rule in rules:
            lines += self._finding(index, rule, env, [(name, position, path)], memo, out)
        self._looping -= 1
        lines = [
            *self._element_path(name, position, path, table),
            *self._element_getter(element),
            *lines,
        ]
        loop = ("for", (position, element), _call("_indexed", _name(collection)), lines)
        return [("=", collection, self._collection(name)), loop]

    def _element_paths(self, path: str) -> str:
        """A local for the paths of the facts of the element whose path is in `path`,
        which `_path` fills in as the code names them (the element's own first)."""
        table = self.src.local()
        self._field_paths[path] = (table, {(): path})
        return table

    def _element_path(self, name: str, position: str, path: str, table: str) -> list[X]:
        """Statements making, per element, the paths its facts' code names (once the
        code is written: `_path` has then said which), and the element's own."""
        collection_path = self.policy.schema.binders[name].collection
        places = self._field_paths[path][1]
        kept = self.src.constant(_Kept())  # a dict of this function's, for `_paths`
        made = _call(
            "_paths", kept, _const(collection_path), _name(position), _const(tuple(places))
        )
        # each path into a local of its own (the element's own first): read where named
        return [("=", table, made), ("=", tuple(places.values()), _name(table))]

    def _element_getter(self, element: str) -> list[X]:
        """The statement making the reader of an element's fields, if the code reads any."""
        getter, used = self._getters.pop(element)
        return [("=", getter, _call("_getter", _name(element)))] if used else []

    def _field(self, record: X, key: X) -> X:
        """A field of a record, in the findings function: read by the record's reader
        (`_getter`) when there is one (an element's: `_element_getter`; one read from the
        root, shared: `_shared_field`), else by `_get`."""
        if record[0] == "n":
            getter = self._getters.get(record[1])
            if getter is not None:
                getter[1] = True
                return ("call", _name(getter[0]), (key,))
        return _call("_get", record, key)

    def _shared_field(self, record: X, key: X) -> X:
        """A field of a record that reads no variable (the root, a record read from it):
        through the record's reader, made once per case and shared."""
        return ("call", self._shared(_call("_getter", record)), (key,))

    def _collection(self, name: str) -> X:
        return self._binder_reader(name, lambda x, f: self._shared_field(x, self.src.constant(f)))

    def _finding(
        self,
        index: int,
        rule: c.Rule,
        env: dict[str, X],
        positions: list[tuple[str, str, str]],
        memo: dict[Any, X],
        out: str,
    ) -> list[X]:
        """One binding of a rule: its verdict and, when it fires or is pending, its
        support, appended to `out` with the rule's index and the binding. `positions`:
        each implicit variable's name, and the locals holding its index and path."""
        lines: list[X] = []
        when = self._val(rule.when, env, lines, memo)
        unless = [self._val(u, env, lines, memo) for u in rule.unless]
        if unless:
            verdict = _call("_and", when, *(_call("_not", u) for u in unless))
            r = self.src.local()
            lines.append(("=", r, verdict))
        elif when[0] == "n":
            r = when[1]  # the value of `when` is in a local already
        else:
            r = self.src.local()
            lines.append(("=", r, when))
        # Facts by path (a dict), unknown facts and the entries matched (for a rule that
        # can match any) in lists, each once, in order: the locals every finding uses.
        facts, unknowns, hits_local = self._finding_locals
        hits = hits_local if self._may_match((rule.when, *rule.unless)) else None
        paths: dict[str, tuple[X, X | None]] = {
            name: (_name(path), _name(position)) for name, position, path in positions
        }
        # `found` runs when the verdict is not false: nor is `when` then, and no
        # `unless` condition is true (`settled`: what a value is known not to be)
        support: list[X] = []
        self._fresh = (support, frozenset(x for x in (facts, unknowns, hits) if x is not None))
        self._support(
            rule.when, env, paths, dict(memo), support, facts, unknowns, hits, settled=FALSE
        )
        self._fresh = None
        found: list[X] = [
            ("=", x, NO_FACTS if x == facts else EMPTY)
            for x in (facts, unknowns, hits)
            if x is not None and x not in self._copied
        ]
        found += support
        self._copied.clear()
        for condition, value in zip(rule.unless, unless, strict=True):
            waiting: list[X] = []
            self._support(
                condition, env, paths, dict(memo), waiting, None, unknowns, None, settled=TRUE
            )
            known: list[X] = []
            self._support(condition, env, paths, dict(memo), known, facts, None, None, settled=TRUE)
            found.append(("if", ("cmp", "is", value, NONE), waiting, known))
        binding: X
        if len(positions) == 1:
            index_of = _name(positions[0][1])
            one = ("{:}", ((_const(positions[0][0]), index_of),))
            binding = ("?:", ("cmp", "is", index_of, NONE), ("{ }",), one)
        elif positions:
            names = ("tuple", tuple(_const(name) for name, _, _ in positions))
            indices = ("tuple", tuple(_name(p) for _, p, _ in positions))
            binding = _call("_binding", names, indices)
        else:
            binding = ("{ }",)
        # The list of hits is new for this binding, each entry in it once (`_hit`,
        # `_screened` and `_merge` add none it holds: matches are few, tests cheap).
        matched: X = EMPTY if hits is None else _name(hits)
        waits = _name(unknowns)  # (a list new for this finding, as `matched`)
        finding = ("tuple", (_const(index), _name(r), binding, _name(facts), waits, matched))
        found.append(("do", ("call", (".", _name(out), "append"), (finding,))))
        lines.append(("if", ("cmp", "is not", _name(r), FALSE), found, []))
        return lines

    def _val(self, expr: c.Expr, env: dict[str, X], out: list[X], memo: dict[Any, X]) -> X:
        """The value of an expression, as a name or a constant: a condition reading no
        implicit variable is shared (computed once per case); any other is computed into
        a local by statements added to `out`, each part once (`memo`: the locals already
        computed where `out` runs)."""
        if not self._reads_variables(expr):
            return self._expr(expr, env)
        # A fact by its path, so that rules reading it share it; anything else by itself.
        thing = ("fact", expr.base, expr.fields) if isinstance(expr, c.Fact) else id(expr)
        key = (thing, tuple(env.items()))
        found = memo.get(key)
        if found is not None:
            return found
        code: X
        if isinstance(expr, c.DefineRef):
            return self._val(self.policy.definitions[expr.name].expr, env, out, memo)
        if isinstance(expr, c.Fact):
            code = self._fact(expr, env, self._field)
        elif isinstance(expr, c.Not):
            code = _not_of(self._val(expr.operand, env, out, memo))
        elif isinstance(expr, c.And | c.Or):
            parts = [self._val(o, env, out, memo) for o in expr.operands]
            code = _junction_of(isinstance(expr, c.And), parts)
        elif isinstance(expr, c.Compare):
            left = self._val(expr.left, env, out, memo)
            right = self._val(expr.right, env, out, memo)
            code = _compare_of(expr.op, left, right)
        elif isinstance(expr, c.Member):
            element = self._val(expr.element, env, out, memo)
            container = self._val(expr.container, env, out, memo)
            code = self._member_of(expr, element, container)
        elif isinstance(expr, c.Match):
            subject = self._val(expr.subject, env, out, memo)
            where = screen.country_field(self.policy.schema, expr.subject)
            country = NONE if where is None else self._val(where, env, out, memo)
            code = _call("_match", subject, country, self._screener(expr), self._memo(expr, "said"))
            if subject[0] == "n":  # an unknown name (most often): unknown, with no call
                code = ("?:", ("cmp", "is", subject, NONE), NONE, code)
        elif isinstance(expr, c.Known):
            code = _known_of(self._val(expr.subject, env, out, memo), expr.known)
        else:  # a quantifier: its elements' values are computed again where explained
            assert isinstance(expr, c.Quantifier)
            code = self._quantified(expr, env, self._val(expr.collection, env, out, memo))
        if code[0] == "n":  # a name already (an element read whole): no copy of it
            memo[key] = code
            return code
        # The same code where it would run again (a definition written out in several
        # places, say): its parts are the same locals, so its value is the same local's.
        same = memo.get(code)
        if same is not None:
            memo[key] = same
            return same
        local = self.src.local()
        out.append(("=", local, code))
        memo[key] = memo[code] = _name(local)
        return _name(local)

    def _path(self, expr: c.Fact, paths: dict[str, tuple[X, X | None]]) -> X:
        """The path of a fact, as the traced evaluation names it (`partners[1].name`;
        a binding of an unknown collection: the collection's path)."""
        fields = ".".join(expr.fields)
        if expr.base is None:
            return _const(fields)
        base, position = paths[expr.base]
        if not fields:
            return base
        table = self._field_paths.get(base[1]) if position is not None else None
        if table is not None:  # an element's fact: its path made once per element
            places = table[1]
            place = places.get(expr.fields)
            if place is None:
                place = places[expr.fields] = self.src.local()
            return _name(place)
        path = ("+", base, _const("." + fields))  # as `paths.child` writes it
        return path if position is None else ("?:", ("cmp", "is", position, NONE), base, path)

    def _support(
        self,
        expr: c.Expr,
        env: dict[str, X],
        paths: dict[str, tuple[X, X | None]],
        memo: dict[Any, X],
        out: list[X],
        facts: str | None,
        unknowns: str | None,
        hits: str | None,
        *,
        shared: bool = True,
        settled: X | None = None,
    ) -> None:
        """Statements adding to `facts`, `unknowns` and `hits` (lists; None: not
        wanted) what supports the value of `expr`, as `compiler`'s closures say;
        `shared`: a part that reads no implicit variable collected once per case;
        `settled`: TRUE or FALSE, a value `expr` is known not to have where these
        statements run (no test then of whether it decided a junction or quantifier)."""
        if facts is None and unknowns is None and hits is None:
            return
        if isinstance(expr, c.DefineRef | c.Not):
            pass  # (what they stand for is looked at below)
        elif shared and isinstance(expr, _SHARED_SUPPORT) and not self._reads_variables(expr):
            self._shared_support(expr, out, facts, unknowns, hits, settled)
            return
        if isinstance(expr, c.DefineRef):
            expr = self.policy.definitions[expr.name].expr  # written out (`_writable`)
            self._support(expr, env, paths, memo, out, facts, unknowns, hits, settled=settled)
        elif isinstance(expr, c.Fact):
            if facts is None and unknowns is None:
                return
            value = self._val(expr, env, out, memo)
            path = self._path(expr, paths)
            missing = [_waits(unknowns, path, self._fresh_out(out))] if unknowns else []
            plain = isinstance(expr.type, _PLAIN_TYPES)  # its value is its JSON already
            data = value if plain else _call("_json", value)
            given = [("[]=", facts, path, data)] if facts else []
            out.append(("if", ("cmp", "is", value, NONE), missing, given))
        elif isinstance(expr, c.Not):
            flipped = None if settled is None else TRUE if settled == FALSE else FALSE
            self._support(
                expr.operand, env, paths, memo, out, facts, unknowns, hits, settled=flipped
            )
        elif isinstance(expr, c.And | c.Or):
            self._junction(expr, env, paths, memo, out, facts, unknowns, hits, settled)
        elif isinstance(expr, c.Compare):
            for side in c.children(expr):
                self._support(side, env, paths, memo, out, facts, unknowns, None)
        elif isinstance(expr, c.Member):
            self._member(expr, env, paths, memo, out, facts, unknowns, hits)
        elif isinstance(expr, c.Match):
            subject = self._fact_of(expr.subject)
            assert isinstance(subject, c.Fact)  # (`_writable`)
            name = self._val(expr.subject, env, out, memo)
            where = screen.country_field(self.policy.schema, expr.subject)
            place = NONE if where is None else self._val(where, env, out, memo)
            place_path = NONE if where is None else self._path(where, paths)
            lists = [_name(x) if x is not None else NONE for x in (facts, unknowns, hits)]
            path = self._path(subject, paths)
            screenings = self._memo(expr, "screened")
            arguments = (self._screener(expr), name, path, place, place_path, screenings)
            screened = ("do", _call("_screened", *lists, *arguments))
            if name[0] == "n":  # an unknown name (most often) only waits, with no call
                waits = [_waits(unknowns, path, self._fresh_out(out))] if unknowns else []
                out.append(("if", ("cmp", "is", name, NONE), waits, [screened]))
            else:
                out.append(screened)
        elif isinstance(expr, c.Known):
            # Known: the subject's facts; unknown: its unknown facts, as facts with no value.
            if facts is None and hits is None:
                return
            value = self._val(expr.subject, env, out, memo)
            subject = self._fact_of(expr.subject)
            if value[0] == "k":  # a constant: nothing waits on it
                known_facts = facts if value[2] is not None else None
                self._support(expr.subject, env, paths, memo, out, known_facts, None, hits)
                return
            if isinstance(subject, c.Fact):
                # A fact, known or not, is in the facts (unknown: with no value, None,
                # which is also its JSON): one store, no dicts to collect it in first.
                if facts:
                    plain = isinstance(subject.type, _PLAIN_TYPES)
                    data = value if plain else _call("_json", value)
                    out.append(("[]=", facts, self._path(subject, paths), data))
                return
            waiting, kept = self._scratch(2)
            out.append(("=", waiting, EMPTY))
            known = ("cmp", "is not", value, NONE)
            out.append(("=", kept, ("?:", known, _name(facts), NO_FACTS) if facts else NO_FACTS))
            self._support(expr.subject, env, paths, memo, out, kept, waiting, hits)
            if facts:
                nones = ("do", _call("_nones", _name(facts), _name(waiting)))
                out.append(("if", ("cmp", "is", value, NONE), [nones], []))
            self._depth -= 1
        elif isinstance(expr, c.Quantifier):
            self._quantifier(expr, env, paths, memo, out, facts, unknowns, hits, settled)
        # a constant, a set, a list's codes: nothing supports them

    def _fresh_out(self, out: list[X]) -> bool:
        """Whether `out` is a finding's support, empty yet: its facts, unknown facts
        and hits are empty where the statements added next run."""
        return self._fresh is not None and self._fresh[0] is out and not out

    def _scratch(self, count: int) -> list[str]:
        """`count` locals for code that uses them only while it runs (a junction's
        deciding part, a quantifier's element): the same locals for every such code at
        this depth (code written before `_depth` is lowered again, which is deeper,
        uses others). The caller lowers `_depth` once its code is written."""
        while len(self._scratch_names) <= self._depth:
            self._scratch_names.append([])
        names = self._scratch_names[self._depth]
        while len(names) < count:
            names.append(self.src.local())
        self._depth += 1
        return names[:count]

    def _shared_support(
        self,
        expr: c.Expr,
        out: list[X],
        facts: str | None,
        unknowns: str | None,
        hits: str | None,
        settled: X | None,
    ) -> None:
        """The support of a condition that reads no implicit variable: the same for
        every rule and binding that needs it, so collected once per case, when first
        needed, into locals that later uses copy; written out where it is used if that
        is its only use (and runs once per case: `_written_out`), with what its value
        is known not to be there (`settled`)."""
        wanted = (facts, unknowns, hits if self._may_match((expr,)) else None)
        key = (id(expr), *(x is not None for x in wanted))
        self._slot_uses[key] = self._slot_uses.get(key, 0) + (2 if self._looping else 1)
        if key in self._written_out:
            self._support(expr, {}, {}, {}, out, *wanted, shared=False, settled=settled)
            return
        slots = self._support_slots.get(key)
        first: list[X] = []
        if slots is None:
            slots = tuple(self.src.local() if x is not None else None for x in wanted)
            self._support_slots[key] = slots
            self._slot_names.extend(x for x in slots if x is not None)
        lists = [x for x in slots if x is not None]
        # facts in a dict (by path), unknown facts and hits in lists (each once)
        first += [("=", x, EMPTY if n else NO_FACTS) for n, x in enumerate(slots) if x]
        # Written at each use, so it runs (once per case) inside the code it is written
        # in: its locals by depth (`_scratch`) are deeper than those of that code.
        looping, self._looping = self._looping, 0
        self._support(expr, {}, {}, {}, first, *slots, shared=False)
        self._looping = looping
        fresh = self._fresh_out(out)
        out.append(("if", ("cmp", "is", _name(lists[0]), NONE), first, []))
        targets = {x for x in wanted if x is not None}
        if fresh and self._fresh is not None and targets <= self._fresh[1]:
            # the finding's first support, into its empty dicts and list: copies of it
            for n, (target, slot) in enumerate(zip(wanted, slots, strict=True)):
                if target is not None and slot is not None:
                    out.append(("=", target, ("[*]" if n else "{**}", _name(slot))))
                    self._copied.add(target)
            return
        for n, (target, slot) in enumerate(zip(wanted, slots, strict=True)):
            if target is not None and slot is not None:
                join = "_merge" if n else "_update"
                # most of these are empty (facts known: no unknown facts; no entry
                # matched): a test of one costs less than the call
                out.append(
                    ("if", _name(slot), [("do", _call(join, _name(target), _name(slot)))], [])
                )

    def _junction(
        self,
        expr: c.And | c.Or,
        env: dict[str, X],
        paths: dict[str, tuple[X, X | None]],
        memo: dict[Any, X],
        out: list[X],
        facts: str | None,
        unknowns: str | None,
        hits: str | None,
        settled: X | None = None,
    ) -> None:
        """Decided by a part (false for `and`, true for `or`): the first such part alone;
        else every part. Each part's support is written once, under a test of which,
        or with none when the value is known not to be the deciding one (`settled`,
        the usual case: a rule's `when` where its finding is made)."""
        deciding = FALSE if isinstance(expr, c.And) else TRUE
        if settled == deciding:  # no part decided it: every part, none deciding either
            for operand in expr.operands:
                self._support(
                    operand, env, paths, memo, out, facts, unknowns, hits, settled=settled
                )
            return
        value = self._val(expr, env, out, memo)
        parts = [self._val(o, env, out, memo) for o in expr.operands]
        which: X = _const(len(parts) - 1)
        for n in reversed(range(len(parts) - 1)):
            which = ("?:", ("cmp", "is", parts[n], deciding), _const(n), which)
        [chosen] = self._scratch(1)
        out.append(("=", chosen, ("?:", ("cmp", "is", value, deciding), which, _const(-1))))
        for n, operand in enumerate(expr.operands):
            lines: list[X] = []
            self._support(operand, env, paths, dict(memo), lines, facts, unknowns, hits)
            if lines:
                # every part (-1) is the usual case: a finding that is pending, or one
                # that fires on an `and`, is supported by all its parts; tested first
                test: X = ("cmp", "<=", _name(chosen), _const(0))
                if n:
                    test = (
                        "or",
                        (
                            ("cmp", "<", _name(chosen), _const(0)),
                            ("cmp", "==", _name(chosen), _const(n)),
                        ),
                    )
                out.append(("if", test, lines, []))
        self._depth -= 1

    def _member(
        self,
        expr: c.Member,
        env: dict[str, X],
        paths: dict[str, tuple[X, X | None]],
        memo: dict[Any, X],
        out: list[X],
        facts: str | None,
        unknowns: str | None,
        hits: str | None,
    ) -> None:
        """`x in S`: nothing is in an empty S (S's facts alone); else both sides, and
        the entry of a codes list that x matched."""
        element = self._val(expr.element, env, out, memo)
        container = self._val(expr.container, env, out, memo)
        empty: list[X] = []
        self._support(expr.container, env, paths, dict(memo), empty, facts, None, None)
        given: list[X] = []
        self._support(expr.element, env, paths, dict(memo), given, facts, unknowns, None)
        self._support(expr.container, env, paths, dict(memo), given, facts, unknowns, None)
        fact = self._fact_of(expr.element)
        if hits and isinstance(expr.container, c.ListSet) and isinstance(fact, c.Fact):
            named = _const(expr.container.list.name)
            flag, path = _const(expr.hierarchical), self._path(fact, paths)
            hit: X = ("do", _call("_hit", _name(hits), named, element, container, flag, path))
            # The element is in the set (an entry matched) just when the test says so
            # (`_in`, `_member_of`): most tests say not, and then `_hit` is not called.
            value = self._val(expr, env, out, memo)
            if value[0] == "n":
                contained = ("cmp", "is", value, FALSE if expr.negated else TRUE)
                hit = ("if", contained, [hit], [])
            given.append(hit)
        if isinstance(expr.container, c.ConstSet | c.ListSet):
            # a set of the policy's: whether it is empty is known now
            out += given if self._constant_values(expr.container) else empty
        elif empty or given:
            test = ("and", (("cmp", "is not", container, NONE), ("not", container)))
            out.append(("if", test, empty, given))

    def _quantifier(
        self,
        expr: c.Quantifier,
        env: dict[str, X],
        paths: dict[str, tuple[X, X | None]],
        memo: dict[Any, X],
        out: list[X],
        facts: str | None,
        unknowns: str | None,
        hits: str | None,
        settled: X | None = None,
    ) -> None:
        """`any`/`all`: an unknown collection, the fact naming it; else its witnesses
        (any) or counterexamples (all) when there are, every element's otherwise (with
        no test when the value is known not to be the deciding one: `settled`)."""
        deciding = TRUE if expr.kind == "any" else FALSE
        value = self._val(expr, env, out, memo)
        collection = self._val(expr.collection, env, out, memo)
        fact = self._fact_of(expr.collection)
        assert isinstance(fact, c.Fact)  # (`_writable`)
        unknown: list[X] = []
        self._support(expr.collection, env, paths, dict(memo), unknown, None, unknowns, None)
        if len(unknown) == 1 and unknown[0][:2] == ("if", ("cmp", "is", collection, NONE)):
            unknown = unknown[0][2]  # (where it runs, the collection is unknown: no test)
        position, item, path = self._scratch(3)
        depth = len([k for k in env if k.startswith("?")])
        inner = {**env, expr.var: _name(item), f"?{depth}": _name(item)}
        inner_paths = {**paths, expr.var: (_name(path), None)}
        inner_memo = dict(memo)
        body: list[X] = [("=", path, _call("_elem", self._path(fact, paths), _name(position)))]
        lines: list[X] = []
        self._looping += 1  # (the body's support runs for each element)
        if settled == deciding:  # no element decided it: each one's support, none deciding
            self._support(
                expr.body,
                inner,
                inner_paths,
                inner_memo,
                lines,
                facts,
                unknowns,
                hits,
                settled=settled,
            )
            body += lines
        else:
            each = self._val(expr.body, inner, body, inner_memo)
            self._support(expr.body, inner, inner_paths, inner_memo, lines, facts, unknowns, hits)
            test = ("or", (("cmp", "is not", value, deciding), ("cmp", "is", each, deciding)))
            if lines:
                body.append(("if", test, lines, []))
        self._looping -= 1
        self._depth -= 1
        if lines:
            known = [("for", (position, item), _call("_enum", collection), body)]
        else:
            known = []
        if unknown or known:
            out.append(("if", ("cmp", "is", collection, NONE), unknown, known))

    def _expr(self, expr: c.Expr, env: dict[str, X]) -> X:
        """A Python expression for the value (True/False/None, or a fact's value)."""
        code = self._emit(expr, env)
        if code[0] in ("n", "k") or self._reads_variables(expr):
            return code  # (a constant is written where it is used: no local to test)
        return self._shared(code)

    def _shared(self, code: X) -> X:
        """Code that reads no variable, shared by every rule: computed once per case,
        before any rule, into a local (`c0`...)."""
        name = self.src.shared.get(code)
        if name is None:
            name = self.src.shared[code] = _name(f"c{len(self.src.shared)}")
            self.src.lines.append(("=", name[1], code))
        return name

    def _emit(self, expr: c.Expr, env: dict[str, X]) -> X:
        if isinstance(expr, c.Fact):
            if self._in_place and expr.base is None:
                # `project.trl`: the record `project` read once per case, for every field,
                # each record's fields through its reader, made once
                record = ROOT
                for field in expr.fields[:-1]:
                    record = self._shared(self._shared_field(record, self.src.constant(field)))
                return self._shared_field(record, self.src.constant(expr.fields[-1]))
            return self._fact(expr, env, lambda code, key: _call("_get", code, key))
        if isinstance(expr, c.Const | c.ConstSet | c.ListSet):
            return self._constant(expr)
        if isinstance(expr, c.DefineRef):
            local = self._definition(expr.name)
            if local is not None:
                return local
            return self._expr(self.policy.definitions[expr.name].expr, env)
        if isinstance(expr, c.Not):
            operand = self._expr(expr.operand, env)
            return _not_of(operand) if self._in_place else _call("_not", operand)
        if isinstance(expr, c.And | c.Or):
            parts = [self._expr(o, env) for o in expr.operands]
            if self._in_place:
                return _junction_of(isinstance(expr, c.And), parts)
            return _call("_and" if isinstance(expr, c.And) else "_or", *parts)
        if isinstance(expr, c.Compare):
            a, b = self._expr(expr.left, env), self._expr(expr.right, env)
            return _compare_of(expr.op, a, b) if self._in_place else _call(_COMPARE[expr.op], a, b)
        if isinstance(expr, c.Member):
            element = self._expr(expr.element, env)
            container = self._expr(expr.container, env)
            if self._in_place:
                return self._member_of(expr, element, container)
            flags = (_const(expr.hierarchical), _const(expr.negated))
            return _call("_in", element, container, *flags)
        if isinstance(expr, c.Match):
            subject = self._expr(expr.subject, env)
            country = self._country(expr, env, plain=False)
            return _call("_match", subject, country, self._screener(expr), self._memo(expr, "said"))
        if isinstance(expr, c.Known):
            return _known_of(self._expr(expr.subject, env), expr.known)
        assert isinstance(expr, c.Quantifier)
        return self._quantified(expr, env, self._expr(expr.collection, env))

    def _quantified(self, expr: c.Quantifier, env: dict[str, X], collection: X) -> X:
        """`any`/`all` over a collection read by `collection` (a name, in the findings
        function: the collection read once, not once to test it and once to loop)."""
        body_ = expr.body
        if (
            expr.kind == "any"
            and isinstance(body_, c.Member)
            and isinstance(body_.element, c.Fact)
            and body_.element.base == expr.var
            and not body_.element.fields
            and isinstance(body_.container, c.ConstSet | c.ListSet)
        ):
            # `any t in xs: t in S` (or `not in`), S a policy's set: set operations in C,
            # not a list made of each element's test and a call of `_or`; for a codes
            # list (`t in LIST` hierarchical: a code or its parent), one call for all
            tested = (
                _call("_within", collection, self._constant(body_.container), _const(body_.negated))
                if body_.hierarchical
                else _call(
                    "_outside" if body_.negated else "_among",
                    collection,
                    self._constant(body_.container),
                )
            )
            return ("?:", ("cmp", "is", collection, NONE), NONE, tested)
        # the same name at the same depth: the same code for the same condition
        element = _name(f"q{len([k for k in env if k.startswith('?')])}")
        inner_env = {**env, expr.var: element, "?" + expr.var: element}
        body = self._emit(expr.body, inner_env)
        join = "_or" if expr.kind == "any" else "_and"
        values = ("*", ("list", body, element[1], collection))
        return ("?:", ("cmp", "is", collection, NONE), NONE, _call(join, values))

    def _screener(self, expr: c.Match) -> X:
        """The list's screener for this date, in a constant slot: the code passes it the
        name read from the case, which is never part of the code itself."""
        return self.src.constant(screen.screener(self.policy, expr.list, self.as_of))

    def _memo(self, expr: c.Match, helper: str) -> X:
        """The memo (`_Memo`) of this function's where `helper` keeps what the list's
        screener says, in a constant slot: one per list and helper."""
        key = (expr.list.name, helper)
        kept = self._memos.get(key)
        if kept is None:
            kept = self._memos[key] = self.src.constant(_Memo())
        return kept

    def _country(self, expr: c.Match, env: dict[str, X], plain: bool) -> X:
        """The name's country (see `screen.country_field`), read softly: None if unknown."""
        where = screen.country_field(self.policy.schema, expr.subject)
        if where is None:
            return NONE
        if not plain:
            return self._expr(where, env)
        base = ROOT if where.base is None else env[where.base]
        keys = ("tuple", tuple(self.src.constant(f) for f in where.fields))
        return _call("_peek", base, keys)

    def _reads_variables(self, expr: c.Expr) -> bool:
        """Whether an expression reads an implicit or quantifier variable bound outside
        it (then it cannot be computed once for every rule)."""
        found = self._variables.get(expr)
        if found is None:
            found = self._variables[expr] = bool(self._free(expr, frozenset()))
        return found

    def _free(self, expr: c.Expr, bound: frozenset[str]) -> bool:
        if isinstance(expr, c.Fact):
            return expr.base is not None and expr.base not in bound
        if isinstance(expr, c.DefineRef):
            return bool(self.policy.definitions[expr.name].binders)
        if isinstance(expr, c.Quantifier):
            # its body reads its own variable, bound inside; and perhaps others
            return self._free(expr.collection, bound) or self._free(expr.body, bound | {expr.var})
        if not bound:
            return any(self._reads_variables(child) for child in c.children(expr))
        return any(self._free(child, bound) for child in c.children(expr))


_MAX_GUARDS = 16
"""A condition that more groups test is computed for every case: testing that many
leads first costs about what the condition does."""


def _guards(groups: dict[X, list[tuple[int, list[X]]]]) -> dict[X, list[X]]:
    """Each condition that leads no group, and the leads of the groups that test it."""
    guards: dict[X, dict[X, None]] = {}
    for lead, members in groups.items():
        for _, rest in members:
            for code in rest:
                if code not in groups:
                    guards.setdefault(code, {})[lead] = None
    return {code: list(leads) for code, leads in guards.items()}


_INLINE_JUNCTION = 4
"""An `and`/`or` of at most this many values in locals is written as tests of them
(`is False`, `is None`), not as a call of `_and`/`_or`: a call costs more than them."""


def _testable(code: X) -> bool:
    """Whether `code` may be tested in place (`x is None`): a local, or a constant that
    `is` compares as Python means it (True, False, None; not a text or a number)."""
    return code[0] == "n" or (code[0] == "k" and code[1] in (bool, type(None)))


def _junction_of(conjunction: bool, parts: list[X]) -> X:
    """Kleene `and` (`or`) of values: false (true) if one is, else unknown if one is, else
    true (false); as `_and`/`_or` say it, tested in place when the values are in locals."""
    if len(parts) > _INLINE_JUNCTION or not all(map(_testable, parts)):
        return _call("_and" if conjunction else "_or", *parts)
    deciding = FALSE if conjunction else TRUE
    decided = _any_of([("cmp", "is", part, deciding) for part in parts])
    unknown = _any_of([("cmp", "is", part, NONE) for part in parts])
    return ("?:", decided, deciding, ("?:", unknown, NONE, TRUE if conjunction else FALSE))


def _compare_of(op: str, left: X, right: X) -> X:
    """A comparison, unknown if either side is: as `_eq`... say it, tested in place when
    both sides are in locals or constants (a constant other than None is known)."""
    if left[0] not in ("n", "k") or right[0] not in ("n", "k"):
        return _call(_COMPARE[op], left, right)
    if NONE in (left, right):
        return NONE  # unknown compared with anything: unknown
    unknown = [("cmp", "is", x, NONE) for x in (left, right) if x[0] == "n"]
    test = ("cmp", op, left, right)
    return ("?:", _any_of(unknown), NONE, test) if unknown else test


def _known_of(subject: X, known: bool) -> X:
    """`subject is known` (`is unknown` when not `known`): a constant's answer is known
    now (`'x' is None` is no test to write: Python warns of `is` with a literal)."""
    if subject[0] == "k":
        return _const((subject[2] is not None) is known)
    return ("cmp", "is not" if known else "is", subject, NONE)


def _not_of(value: X) -> X:
    """Kleene `not`: as `_not` says it, tested in place when the value is in a local."""
    if not _testable(value):
        return _call("_not", value)
    return ("?:", ("cmp", "is", value, NONE), NONE, ("not", value))


def _guarded(code: X, leads: list[X], names: dict[X, str]) -> X:
    """A condition computed only when a group that tests it will look at it.

    When every such group's lead is false, no rule there can fire, whatever this
    condition is: in three-valued logic too (false and unknown is false), so leaving an
    unknown fact unread here changes nothing but the time taken.
    """
    assert len(leads) <= _MAX_GUARDS
    return ("?:", _any_of([_name(names[lead]) for lead in leads]), code, FALSE)


def _read(code: X) -> int:
    """How many fields deep `code` reads the case from its root (0: it is no such read)."""
    depth = 0
    while code[0] == "[]" and code[2][0] == "k" and code[2][1] is str:
        depth, code = depth + 1, code[1]
    return depth if code == ROOT else 0


def _read_length(code: X) -> int:
    """The length of a read from the root written as text (`root['a']['b']`)."""
    length = len("root")
    while code[0] == "[]":
        length, code = length + len(repr(code[2][2])) + 2, code[1]
    return length


def _hoist_reads(body: list[X]) -> tuple[list[X], dict[X, str]]:
    """Read facts that several statements need once, into locals, before anything else:
    the first one or two fields of each read from the root, found in the tree.

    A read of an unknown fact raises KeyError sooner this way; the three-valued function
    then answers, so hoisting changes how fast a decision is, never what it is. Returns
    the statements reading them and the reads to replace by those locals.
    """
    counts: dict[X, int] = {}
    for code in _expressions(body):
        depth = _read(code)
        if depth == 0:
            continue
        while depth > 2:
            code, depth = code[1], depth - 1
        counts[code] = counts.get(code, 0) + 1
    # Shorter reads first, so that longer ones can use them (by their length as text:
    # the order the code was written in before, for comparing the two).
    hoisted = sorted((x for x, n in counts.items() if n > 1), key=_read_length)
    names: dict[X, str] = {}
    head: list[X] = []
    for read in hoisted:
        base = _name(names[read[1]]) if read[1] in names else read[1]
        names[read] = f"f{len(names)}"
        head.append(("=", names[read], ("[]", base, read[2])))  # holds no other read
    return head, names


def _expressions(body: list[X]) -> Iterator[X]:
    """Every expression in these statements, outermost first, except the inner parts of
    a read from the root (so that each read counts once); without recursion."""
    stack: list[X] = [("stmts", body)]
    while stack:
        item = stack.pop()
        tag = item[0]
        if tag == "stmts":
            stack += [("stmt", s) for s in reversed(item[1])]
        elif tag == "stmt":
            s = item[1]
            kind = s[0]
            if kind in ("=", "do", "return"):
                stack.append(s[-1])
            elif kind == "[]=":
                stack += [s[3], s[2]]
            elif kind == "if":
                stack += [("stmts", s[3]), ("stmts", s[2]), s[1]]
            else:  # for
                stack += [("stmts", s[3]), s[2]]
        else:
            yield item
            if _read(item):
                continue
            stack += reversed([part for part in _parts(item)])


def _parts(code: X) -> list[X]:
    """The expressions directly inside one."""
    tag = code[0]
    if tag in ("n", "k", "[ ]", "{ }"):
        return []
    if tag == "{:}":
        return [part for pair in code[1] for part in pair]
    if tag in ("[]", "cmp", "?:", "+"):
        return [p for p in code[1:] if isinstance(p, tuple)]
    if tag == ".":
        return [code[1]]
    if tag == "call":
        return [code[1], *code[2]]
    if tag in ("and", "or", "tuple"):
        return list(code[1])
    if tag in ("not", "*", "[*]", "{**}"):
        return [code[1]]
    if tag in ("gen", "list"):
        return [code[1], code[3]]
    raise AssertionError(f"unknown code {tag}")


_AT: dict[str, Any] = {"lineno": 1, "col_offset": 0, "end_lineno": 1, "end_col_offset": 0}
"""Where every node is: the generated code has no text whose lines could be pointed at."""

_OPERATORS: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE,
    "in": ast.In, "not in": ast.NotIn, "is": ast.Is, "is not": ast.IsNot,
}  # fmt: skip


def _node(code: X, reads: Mapping[X, str]) -> ast.expr:
    """The `ast` node of an expression; reads found in `reads` become their local."""
    tag = code[0]
    if tag == "n":
        return ast.Name(code[1], ast.Load(), **_AT)
    if tag == "k":
        return ast.Constant(code[2], **_AT)
    if tag == "[]":
        local = reads.get(code) if reads else None
        if local is not None:
            return ast.Name(local, ast.Load(), **_AT)
        base, key = _node(code[1], reads), _node(code[2], reads)
        return ast.Subscript(base, key, ast.Load(), **_AT)
    if tag == ".":
        return ast.Attribute(_node(code[1], reads), code[2], ast.Load(), **_AT)
    if tag == "call":
        return ast.Call(_node(code[1], reads), [_node(a, reads) for a in code[2]], [], **_AT)
    if tag in ("and", "or"):
        operator = ast.And() if tag == "and" else ast.Or()
        return ast.BoolOp(operator, [_node(o, reads) for o in code[1]], **_AT)
    if tag == "not":
        return ast.UnaryOp(ast.Not(), _node(code[1], reads), **_AT)
    if tag == "cmp":
        left, right = _node(code[2], reads), _node(code[3], reads)
        return ast.Compare(left, [_OPERATORS[code[1]]()], [right], **_AT)
    if tag == "?:":
        return ast.IfExp(*(_node(part, reads) for part in code[1:]), **_AT)
    if tag == "[ ]":
        return ast.List([], ast.Load(), **_AT)
    if tag == "{ }":
        return ast.Dict([], [], **_AT)
    if tag == "{:}":
        keys: list[ast.expr | None] = [_node(k, reads) for k, _ in code[1]]
        return ast.Dict(keys, [_node(v, reads) for _, v in code[1]], **_AT)
    if tag in ("gen", "list"):
        target = ast.Name(code[2], ast.Store(), **_AT)
        loop = ast.comprehension(target, _node(code[3], reads), [], 0)
        kind = ast.GeneratorExp if tag == "gen" else ast.ListComp
        return kind(_node(code[1], reads), [loop], **_AT)
    if tag == "*":
        return ast.Starred(_node(code[1], reads), ast.Load(), **_AT)
    if tag == "[*]":
        items = ast.Starred(_node(code[1], reads), ast.Load(), **_AT)
        return ast.List([items], ast.Load(), **_AT)
    if tag == "{**}":
        return ast.Dict([None], [_node(code[1], reads)], **_AT)
    if tag == "+":
        return ast.BinOp(_node(code[1], reads), ast.Add(), _node(code[2], reads), **_AT)
    assert tag == "tuple", tag
    return ast.Tuple([_node(item, reads) for item in code[1]], ast.Load(), **_AT)


_Function = tuple[list[X], list[X], Mapping[X, str]]
"""A generated function: statements that read the case first, the others, and the reads
from the root that those others find in locals (made by the first ones)."""


def _module(code: _Function) -> ast.Module:
    """The module defining the function `decide(root)` of this code."""
    head, body, reads = code
    function = ast.FunctionDef(
        name="decide",
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg("root", **_AT)],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=[*(_statement(s, {}) for s in head), *(_statement(s, reads) for s in body)],
        decorator_list=[],
        returns=None,
        type_comment=None,
        **_AT,
    )
    if sys.version_info >= (3, 12):  # pragma: no cover  (a field new in 3.12)
        function.type_params = []
    return ast.Module(body=[function], type_ignores=[])


def _statement(code: X, reads: Mapping[X, str]) -> ast.stmt:
    """The `ast` node of a statement."""
    tag = code[0]
    if tag == "=":
        target: ast.expr = ast.Name(code[1], ast.Store(), **_AT)
        if isinstance(code[1], tuple):  # names to unpack the value to
            targets: list[ast.expr] = [ast.Name(name, ast.Store(), **_AT) for name in code[1]]
            target = ast.Tuple(targets, ast.Store(), **_AT)
        return ast.Assign([target], _node(code[2], reads), **_AT)
    if tag == "if":
        body = [_statement(s, reads) for s in code[2]] or [ast.Pass(**_AT)]
        otherwise = [_statement(s, reads) for s in code[3]]
        return ast.If(_node(code[1], reads), body, otherwise, **_AT)
    if tag == "for":
        each: ast.expr = ast.Name(code[1], ast.Store(), **_AT)
        if isinstance(code[1], tuple):
            names: list[ast.expr] = [ast.Name(name, ast.Store(), **_AT) for name in code[1]]
            each = ast.Tuple(names, ast.Store(), **_AT)
        body = [_statement(s, reads) for s in code[3]]
        return ast.For(each, _node(code[2], reads), body, [], **_AT)
    if tag == "do":
        return ast.Expr(_node(code[1], reads), **_AT)
    if tag == "[]=":
        item = ast.Subscript(
            ast.Name(code[1], ast.Load(), **_AT), _node(code[2], reads), ast.Store(), **_AT
        )
        return ast.Assign([item], _node(code[3], reads), **_AT)
    assert tag == "return", tag
    return ast.Return(_node(code[1], reads), **_AT)


def _is_set_test(expr: c.Quantifier) -> bool:
    """`any t in xs: t in S`, with S a set of constants: one set operation, no loop."""
    body = expr.body
    return (
        expr.kind == "any"
        and isinstance(body, c.Member)
        and not body.negated
        and not body.hierarchical
        and isinstance(body.element, c.Fact)
        and body.element.base == expr.var
        and not body.element.fields
        and isinstance(body.container, c.ConstSet | c.ListSet)
    )


class Sources(Mapping[dt.date, str]):
    """The generated code of each date, written out by `ast.unparse` when asked for."""

    def __init__(self) -> None:
        self._trees: dict[dt.date, list[_Function]] = {}

    def add(self, as_of: dt.date, code: _Function) -> None:
        """Keep the code of a function generated for `as_of`."""
        self._trees.setdefault(as_of, []).append(code)

    def clear(self) -> None:
        """Forget every function's code."""
        self._trees.clear()

    def trees(self, as_of: dt.date) -> list[ast.Module]:
        """The code of each function generated for `as_of`, as the tree compiled."""
        return [_module(code) for code in self._trees[as_of]]

    @_collector_paused()
    def __getitem__(self, as_of: dt.date) -> str:
        return "".join("\n" + ast.unparse(tree) + "\n" for tree in self.trees(as_of))

    def __iter__(self) -> Iterator[dt.date]:
        return iter(self._trees)

    def __len__(self) -> int:
        return len(self._trees)
