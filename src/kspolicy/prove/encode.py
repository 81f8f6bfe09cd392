"""A checked policy as a formula: every case within the bound at once, in Kleene's logic.

The encoding mirrors evaluation (`eval.compiler`, `eval.runtime`) construct by construct,
and `tests/test_prove_encoding.py` holds it to the evaluator on random cases:

- **A fact** is two parts: whether the case gives it (`known`) and its value. A condition
  is two booleans, *true* and *false*; neither is *unknown* (both is ruled out by
  construction). `and`, `or`, `not`, `any`, `all` are Kleene's, as in evaluation.
- **Values**: booleans are booleans; whole numbers and dates (as day numbers) integers;
  `number` reals; texts and codes integers that stand for strings: every string the
  policies name (codes, literals, list keys and aliases) has its own number, and any
  other number is some other text (`other 7` in a counterexample).
- **Lists of codes or texts** are finite sets: a flag per code (per string the policies
  name, for texts) plus `k` free elements for texts and numbers nobody names.
- **Lists of records** (`partners`) have a length from 0 to `k`, or are unknown; a rule
  with an implicit variable is the `or` of its bindings, the unknown list's one binding
  included, as in evaluation.
- **Dates**: the day of evaluation is an integer too, so rules and list entries in force
  in a period are encoded with it, and a difference on one day is found.
- **`matches`** compares a name with the folded names of a list's entries in force. A
  name the policies spell exactly as an entry (or alias) matches it; for any other name
  the engine may find a match, a possible one, or none (name screening), so the encoding
  leaves the answer free (`exact` off), or takes it as "no match" (`exact` on), which is
  what a counterexample with a made-up name reproduces. A proof holds with `exact` off;
  a counterexample is searched with it on first. A list that cannot answer on the day
  (older than its `max_age`, or covering some countries only) answers "not covered" for
  an unspelled name, as screening does, when a counterexample is searched.

Whatever this module cannot encode raises `Unsupported`; the caller marks the rule and
answers "unknown" for what depends on it, never "proved".
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import attrs

from ..diagnostics import KspolicyError
from ..lang import checked as c
from ..lang.formatter import expression
from ..lang.lists import NamedList, fold_name
from ..lang.schema import (
    BoolType,
    DateType,
    EnumType,
    IntType,
    ListType,
    NumberType,
    RecordType,
    TextType,
    Type,
)

try:
    import z3 as z3  # re-exported: the other modules of kspolicy.prove use it
except ImportError:  # pragma: no cover - the optional extra is missing
    raise KspolicyError(
        "kspolicy prove needs the z3 solver: pip install 'kspolicy[prove]'"
    ) from None

Z = Any  # a z3 expression (z3 ships no type information)
PathKey = tuple[str | int, ...]

FIRST_DAY = dt.date(1990, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
"""The days a proof ranges over: the day of evaluation and every date fact."""


class Unsupported(Exception):
    """A construct the encoder does not encode; the message says which."""


def show_path(path: PathKey) -> str:
    """A path as cases and decisions write it: `partners[1].country`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else part
    return text


# ---- building formulas ------------------------------------------------------------------------
#
# Conditions over constants are decided here, in Python, not handed to the solver: a
# quantifier over the 250 country codes whose body is false for most of them must not
# build 250 formulas (the encoding, not the solving, is what takes time).

TRUE = z3.BoolVal(True)
FALSE = z3.BoolVal(False)


def _flat(parts: tuple[Any, ...]) -> list[Z]:
    if len(parts) == 1 and isinstance(parts[0], list | tuple):
        return list(parts[0])
    return list(parts)


def and_(*parts: Any) -> Z:
    """`and` of formulas, with true and false decided at once."""
    kept = []
    for part in _flat(parts):
        if part is FALSE:
            return FALSE
        if part is not TRUE:
            kept.append(part)
    if not kept:
        return TRUE
    return kept[0] if len(kept) == 1 else z3.And(kept)


def or_(*parts: Any) -> Z:
    """`or` of formulas, with true and false decided at once."""
    kept = []
    for part in _flat(parts):
        if part is TRUE:
            return TRUE
        if part is not FALSE:
            kept.append(part)
    if not kept:
        return FALSE
    return kept[0] if len(kept) == 1 else z3.Or(kept)


def not_(part: Z) -> Z:
    """`not` of a formula."""
    if part is TRUE:
        return FALSE
    if part is FALSE:
        return TRUE
    return z3.Not(part)


def implies(a: Z, b: Z) -> Z:
    """`a` implies `b`."""
    return or_(not_(a), b)


# The constants made so far, by the identity of their term (each kept alive here, so
# that an identity is never reused): asking z3 whether a term is a constant costs more
# than the rest of the encoding.
_CONSTANTS: dict[int, tuple[Z, object]] = {}


def constant_term(term: Z, value: object) -> Z:
    """A constant term, registered so that `eq` and `value_of` know it."""
    _CONSTANTS[id(term)] = (term, value)
    return term


def value_of(term: Z) -> object | None:
    """The Python value of a registered constant term, else None."""
    found = _CONSTANTS.get(id(term))
    return found[1] if found is not None and found[0] is term else None


def eq(a: Z, b: Z) -> Z:
    """`a == b`, decided at once for two constants."""
    x, y = value_of(a), value_of(b)
    if x is not None and y is not None:
        return TRUE if x == y else FALSE
    return a == b


# ---- values --------------------------------------------------------------------------------


@attrs.frozen
class B3:
    """A condition: `t` when it is true, `f` when false, neither when unknown."""

    t: Z
    f: Z


@attrs.frozen
class Val:
    """A value that may be unknown; `codes` is the finite domain of an enum value."""

    known: Z
    term: Z
    type: Type | None
    codes: tuple[str, ...] | None = None


@attrs.frozen(eq=False)
class SetVal:
    """A list of scalars as a finite set. `fixed` are the codes (or the strings the
    policies name) it may hold, each with a flag made on first use (a country list has
    250 codes, a condition reads a few); `free` are (present, element) pairs for values
    nobody names."""

    known: Z
    fixed: tuple[tuple[str, Val], ...]
    free: tuple[tuple[Z, Val], ...]
    flags: dict[str, Z] = attrs.Factory(dict)
    make: Callable[[str], Z] | None = None

    def flag(self, value: str) -> Z:
        """Whether the set holds a fixed value (false for a value it cannot hold)."""
        found = self.flags.get(value)
        if found is None:
            if self.make is None or all(v != value for v, _ in self.fixed):
                return FALSE
            found = self.flags[value] = self.make(value)
        return found

    def all_flags(self) -> list[Z]:
        """Every flag, each fixed value's made now."""
        return [self.flag(v) for v, _ in self.fixed] + [f for f, _ in self.free]


@attrs.frozen
class Rec:
    """A record: the root, a record inside it, or an element of a list; `absent` is the
    element an implicit variable is bound to when its whole list is unknown."""

    path: PathKey
    type: RecordType
    absent: bool = False


@attrs.frozen
class Coll:
    """A list of records: known or not, its length, its `k` elements."""

    known: Z
    length: Z
    slots: tuple[Rec, ...]

    def present(self, i: int) -> Z:
        """Whether the list has an element at `i`."""
        return and_(self.known, self.length > i)


Value = B3 | Val | SetVal | Rec | Coll


def b3_of(value: Value) -> B3:
    """A value used as a condition."""
    if isinstance(value, B3):
        return value
    if isinstance(value, Val) and isinstance(value.type, BoolType):
        return B3(and_(value.known, value.term), and_(value.known, not_(value.term)))
    raise Unsupported("a condition that is not true or false")


def const(value: bool) -> B3:
    """A condition that is always true (or always false)."""
    return B3(TRUE, FALSE) if value else B3(FALSE, TRUE)


# ---- the space of cases --------------------------------------------------------------------


class Space:
    """The variables of one symbolic case (`prefix` tells two cases apart), shared by the
    policies compared on it, and what they range over."""

    def __init__(
        self,
        strings: Sequence[str],
        k: int = 3,
        as_of: dt.date | None = None,
        prefix: str = "",
        day: Z | None = None,
    ) -> None:
        self.k = k
        self.prefix = prefix
        self.names = sorted(set(strings))
        self.ids = {s: i for i, s in enumerate(self.names)}
        self._terms: dict[str, Z] = {}
        self.constraints: list[Z] = []
        self.groups: dict[PathKey, Any] = {}
        if day is not None:
            self.day = day
        elif as_of is not None:
            self.day = z3.IntVal(as_of.toordinal())
        else:
            self.day = z3.Int("as_of")
            self.constraints.append(
                and_(self.day >= FIRST_DAY.toordinal(), self.day <= LAST_DAY.toordinal())
            )
        self.exact = z3.Bool("exact_matches")

    # -- strings

    def sid(self, text: str) -> Z:
        """The number a string the policies name stands for."""
        found = self._terms.get(text)
        if found is None:
            if text not in self.ids:
                raise Unsupported(f"the string {text!r} was not collected")
            found = self._terms[text] = constant_term(z3.IntVal(self.ids[text]), text)
        return found

    def text_of(self, number: int) -> str:
        """The string a number stands for: a named one, or another text."""
        if 0 <= number < len(self.names):
            return self.names[number]
        return f"other {number}"

    # -- constants

    def constant(self, value: object, type_: Type | None) -> Z:
        """A literal as a term of its type."""
        if isinstance(value, bool):
            return TRUE if value else FALSE
        if isinstance(value, str):
            return self.sid(value)
        if isinstance(value, dt.date):
            return constant_term(z3.IntVal(value.toordinal()), value.toordinal())
        if isinstance(value, int):
            term = z3.RealVal(value) if isinstance(type_, NumberType) else z3.IntVal(value)
            return constant_term(term, value)
        if isinstance(value, float):
            return constant_term(z3.RealVal(value), value)
        raise Unsupported(f"a literal {value!r}")

    # -- variables

    def _name(self, what: str, path: PathKey) -> str:
        return f"{self.prefix}{what}:{show_path(path)}"

    def _scalar(self, path: PathKey, type_: Type, forced: bool) -> Val:
        known = TRUE if forced else z3.Bool(self._name("known", path))
        name = self._name("value", path)
        if isinstance(type_, BoolType):
            return Val(known, z3.Bool(name), type_)
        if isinstance(type_, NumberType):
            return Val(known, z3.Real(name), type_)
        term = z3.Int(name)
        if isinstance(type_, IntType):
            if type_.low is not None:
                self.constraints.append(term >= type_.low)
            if type_.high is not None:
                self.constraints.append(term <= type_.high)
            return Val(known, term, type_)
        if isinstance(type_, DateType):
            self.constraints.append(
                and_(term >= FIRST_DAY.toordinal(), term <= LAST_DAY.toordinal())
            )
            return Val(known, term, type_)
        if isinstance(type_, EnumType):
            self.constraints.append(or_([eq(term, self.sid(code)) for code in type_.codes]))
            return Val(known, term, type_, type_.codes)
        if isinstance(type_, TextType):
            return Val(known, term, type_)
        raise Unsupported(f"a fact of type {type_}")

    def _set(self, path: PathKey, element: Type, forced: bool) -> SetVal:
        known = TRUE if forced else z3.Bool(self._name("known", path))
        fixed: list[tuple[str, Val]] = []
        free: list[tuple[Z, Val]] = []
        if isinstance(element, EnumType):
            for code in element.codes:
                fixed.append((code, Val(TRUE, self.sid(code), element, (code,))))
        else:
            if isinstance(element, TextType):
                for text in self.names:
                    fixed.append((text, Val(TRUE, self.sid(text), element)))
            for i in range(self.k):
                item = self._scalar((*path, i), element, True)
                if isinstance(element, TextType):  # a text nobody names: not a fixed one
                    self.constraints.append(or_(item.term < 0, item.term >= len(self.names)))
                free.append((z3.Bool(self._name("has", (*path, i))), item))
        # An unknown list has no elements to speak of: all flags off, so that a model
        # reads back as the case it stands for.
        self.constraints += [implies(not_(known), not_(f)) for f, _ in free]

        def make(value: str) -> Z:
            flag = z3.Bool(self._name(f"has {value}", path))
            self.constraints.append(implies(not_(known), not_(flag)))
            return flag

        return SetVal(known, tuple(fixed), tuple(free), make=make)

    def _coll(self, path: PathKey, element: RecordType, forced: bool) -> Coll:
        known = TRUE if forced else z3.Bool(self._name("known", path))
        length = z3.Int(self._name("length", path))
        self.constraints.append(and_(length >= 0, length <= self.k))
        self.constraints.append(implies(not_(known), length == 0))
        slots = tuple(Rec((*path, i), element) for i in range(self.k))
        for slot in slots:
            self._required(slot)
        return Coll(known, length, slots)

    def _required(self, record: Rec) -> None:
        for field in record.type.fields.values():
            if field.required:
                self.field(record, field.name)

    def field(self, record: Rec, name: str) -> Value:
        """A field of a record: its variables, made on first use and shared after."""
        if record.absent:
            field = record.type.fields[name]
            return _unknown(field.type)
        path = (*record.path, name)
        found = self.groups.get(path)
        if found is not None:
            return found  # type: ignore[no-any-return]
        field = record.type.fields[name]
        forced = field.required or field.default is not None
        type_ = field.type
        made: Value
        if isinstance(type_, RecordType):
            made = Rec(path, type_)
            self._required(made)
        elif isinstance(type_, ListType) and isinstance(type_.element, RecordType):
            made = self._coll(path, type_.element, forced)
        elif isinstance(type_, ListType):
            made = self._set(path, type_.element, forced)
        else:
            made = self._scalar(path, type_, forced)
        self.groups[path] = made
        return made

    def root(self, schema_root: RecordType) -> Rec:
        """The case itself."""
        return Rec((), schema_root)

    def in_force(self, item: Any) -> Z:
        """Whether a rule, list or entry is in force on the day of evaluation."""
        parts = []
        if item.valid_from is not None:
            parts.append(self.day >= item.valid_from.toordinal())
        if item.valid_until is not None:
            parts.append(self.day <= item.valid_until.toordinal())
        return and_(parts) if parts else TRUE


def _unknown(type_: Type) -> Value:
    """A field read through a record that is not there: unknown, whatever its type."""
    no = FALSE
    if isinstance(type_, ListType) and isinstance(type_.element, RecordType):
        return Coll(no, z3.IntVal(0), ())
    if isinstance(type_, ListType):
        return SetVal(no, (), ())
    if isinstance(type_, RecordType):
        return Rec((), type_, absent=True)
    return Val(no, FALSE if isinstance(type_, BoolType) else z3.IntVal(0), type_)


def strings_of(policies: Iterable[c.Policy], extra: Iterable[c.Expr] = ()) -> set[str]:
    """Every string the policies name: codes, literals, list keys and aliases."""
    found: set[str] = set()
    roots: list[c.Expr] = list(extra)
    for policy in policies:
        for enum in policy.schema.enums.values():
            found.update(enum.codes)
        for outcome in policy.outcomes.values():
            found.update(outcome.enum.codes)
            if outcome.key is not None:
                roots.append(outcome.key)
        for named in policy.lists.values():
            for entry in named.entries:
                found.add(entry.key)
                found.update(entry.aliases)
        roots += [d.expr for d in policy.definitions.values()]
        for rule in policy.rules:
            roots += [rule.when, *rule.unless]
    for expr in c.walk(roots):
        if isinstance(expr, c.Const) and isinstance(expr.value, str):
            found.add(expr.value)
        elif isinstance(expr, c.ConstSet):
            found.update(v for v in expr.values if isinstance(v, str))
    return found


# ---- a policy on a space ---------------------------------------------------------------------

Env = dict[str, Value]


class Encoder:
    """One policy's rules and outcomes on a space of cases."""

    def __init__(self, space: Space, policy: c.Policy, tag: str) -> None:
        self.space = space
        self.policy = policy
        self.tag = tag
        self.root = space.root(policy.schema.root)
        self.unsupported: dict[str, str] = {}
        self.uses_matches: set[str] = set()
        self._fired: dict[str, Z] = {}
        self._defines: dict[tuple[Any, ...], Value] = {}
        self._lists: dict[str, dict[str, Z]] = {}

    # -- rules

    def bindings(self, rule: c.Rule) -> Iterator[tuple[Z, Env]]:
        """Each binding of a rule's implicit variables: when it exists, and the variables."""
        choices: list[list[tuple[Z, str, Value]]] = []
        for name in rule.binders:
            binder = self.policy.schema.binders[name]
            coll = self.collection(binder.fields)
            element = binder.element
            assert isinstance(element, RecordType)
            options: list[tuple[Z, str, Value]] = [
                (not_(coll.known), name, Rec((), element, absent=True))
            ]
            options += [(coll.present(i), name, slot) for i, slot in enumerate(coll.slots)]
            choices.append(options)
        for combination in itertools.product(*choices):
            yield and_([cond for cond, _, _ in combination]), {n: v for _, n, v in combination}

    def collection(self, fields: tuple[str, ...]) -> Coll:
        """The encoded list of records at `fields` from the case's root (what an implicit
        variable ranges over); Unsupported if it is not a list of records."""
        value: Value = self.root
        for name in fields:
            assert isinstance(value, Rec)
            value = self.space.field(value, name)
        if not isinstance(value, Coll):
            raise Unsupported("an implicit variable over something not a list of records")
        return value

    def status(self, rule: c.Rule, env: Env) -> B3:
        """A rule's condition for one binding: `when` and not any `unless`, in Kleene's
        logic (true: fires, unknown: pending, false: silent)."""
        result = b3_of(self.expr(rule.when, env))
        for unless in rule.unless:
            exception = b3_of(self.expr(unless, env))
            result = B3(and_(result.t, exception.f), or_(result.f, exception.t))
        return result

    def fired(self, rule: c.Rule) -> Z:
        """Whether the rule fires for some binding, on the day of evaluation."""
        found = self._fired.get(rule.name)
        if found is not None:
            return found
        try:
            parts = [and_(cond, self.status(rule, env).t) for cond, env in self.bindings(rule)]
            found = and_(self.space.in_force(rule), or_(parts))
        except Unsupported as exc:
            self.unsupported[rule.name] = str(exc)
            found = z3.Bool(f"{self.space.prefix}{self.tag}:opaque:{rule.name}")
        self._fired[rule.name] = found
        return found

    def pending(self, rule: c.Rule) -> Z:
        """Whether the rule is pending (its condition unknown) for some binding."""
        try:
            parts = []
            for cond, env in self.bindings(rule):
                status = self.status(rule, env)
                parts.append(and_(cond, not_(status.t), not_(status.f)))
            return and_(self.space.in_force(rule), or_(parts))
        except Unsupported:
            return z3.Bool(f"{self.space.prefix}{self.tag}:opaque-pending:{rule.name}")

    def fingerprint(self, rule: c.Rule) -> str:
        """What the rule's firing depends on, as text: its conditions in the canonical
        layout, the definitions they use, the lists they read, its period. Two rules with
        the same fingerprint fire on the same cases (the encoding of one serves both)."""
        parts = [
            repr((rule.valid_from, rule.valid_until, rule.binders)),
            *(expression(e.node) for e in (rule.when, *rule.unless)),
        ]
        seen: set[str] = set()
        stack: list[c.Expr] = [rule.when, *rule.unless]
        while stack:
            for expr in c.walk([stack.pop()]):
                if isinstance(expr, c.DefineRef) and expr.name not in seen:
                    seen.add(expr.name)
                    definition = self.policy.definitions[expr.name]
                    parts.append(f"define {expr.name} = {expression(definition.expr.node)}")
                    stack.append(definition.expr)
                elif isinstance(expr, c.ListSet | c.Match):
                    parts.append(_list_signature(expr.list))
                elif isinstance(expr, c.Fact | c.Const):
                    parts.append(f"{expression(expr.node)}: {_type_signature(expr.type)}")
        return "\n".join(parts)

    def adopt(self, name: str, fired: Z, unsupported: str | None) -> None:
        """Take another encoder's encoding of a rule that fires on the same cases."""
        self._fired[name] = fired
        if unsupported is not None:
            self.unsupported[name] = unsupported

    # -- outcomes

    def reaches(self, outcome: c.Outcome, code: str) -> Z:
        """A scale: whether it is at `code` or higher; a set: whether it holds `code`."""
        wanted = outcome.rank(code)
        parts = []
        for rule in self.policy.rules:
            for effect in rule.effects:
                if effect.outcome.name != outcome.name:
                    continue
                if outcome.kind == "scale":
                    hit = outcome.rank(effect.codes[0]) >= wanted
                else:
                    hit = code in effect.codes
                if hit:
                    parts.append(self.fired(rule))
                    break
        return or_(parts) if parts else FALSE

    def rules_for(self, outcome: str) -> list[str]:
        """The rules that have an effect on an outcome."""
        return [
            r.name for r in self.policy.rules if any(e.outcome.name == outcome for e in r.effects)
        ]

    def entry(self, outcome: c.Outcome) -> tuple[Z, Z]:
        """An entry outcome: whether the key finds an entry in force, and the key."""
        assert outcome.key is not None and outcome.records is not None
        key = self.expr(outcome.key, {})
        if not isinstance(key, Val):
            raise Unsupported("an entry looked up by something not a value")
        found = [
            and_(eq(key.term, self.space.constant(e.key, key.type)), self.space.in_force(e))
            for e in outcome.records.entries
        ]
        present = and_(key.known, self.space.in_force(outcome.records), or_(found))
        return present, key.term

    # -- expressions

    def expr(self, expr: c.Expr, env: Env) -> Value:
        """An expression under variables `env`."""
        method = getattr(self, f"_{type(expr).__name__}")
        return method(expr, env)  # type: ignore[no-any-return]

    def cond(self, expr: c.Expr, env: Env) -> B3:
        """An expression used as a condition."""
        return b3_of(self.expr(expr, env))

    def _Fact(self, expr: c.Fact, env: Env) -> Value:
        value: Value = self.root if expr.base is None else env[expr.base]
        for name in expr.fields:
            if not isinstance(value, Rec):
                raise Unsupported("a field of something not a record")
            value = self.space.field(value, name)
        return value

    def _Const(self, expr: c.Const, env: Env) -> Value:
        if isinstance(expr.value, bool):
            return const(expr.value)
        return Val(TRUE, self.space.constant(expr.value, expr.type), expr.type)

    def _ConstSet(self, expr: c.ConstSet, env: Env) -> Value:
        raise Unsupported("a set outside `in`")

    def _ListSet(self, expr: c.ListSet, env: Env) -> Value:
        raise Unsupported("a list outside `in`")

    def _DefineRef(self, expr: c.DefineRef, env: Env) -> Value:
        definition = self.policy.definitions[expr.name]
        bound = [env[b] for b in definition.binders]
        if not all(isinstance(v, Rec) for v in bound):
            return self.expr(definition.expr, env)
        # Records compare by path: one encoding per binding, however often it is used.
        key = (expr.name, *bound)
        found = self._defines.get(key)
        if found is None:
            found = self.expr(definition.expr, env)
            self._defines[key] = found
        return found

    def _Not(self, expr: c.Not, env: Env) -> Value:
        inner = self.cond(expr.operand, env)
        return B3(inner.f, inner.t)

    def _And(self, expr: c.And, env: Env) -> Value:
        parts = [self.cond(o, env) for o in expr.operands]
        return B3(and_([p.t for p in parts]), or_([p.f for p in parts]))

    def _Or(self, expr: c.Or, env: Env) -> Value:
        parts = [self.cond(o, env) for o in expr.operands]
        return B3(or_([p.t for p in parts]), and_([p.f for p in parts]))

    def _value(self, expr: c.Expr, env: Env) -> Val:
        value = self.expr(expr, env)
        if isinstance(value, B3):  # a condition compared as a value
            return Val(or_(value.t, value.f), value.t, BoolType())
        if not isinstance(value, Val):
            raise Unsupported("a list or a record used as a single value")
        return value

    def _Compare(self, expr: c.Compare, env: Env) -> Value:
        left, right = self._value(expr.left, env), self._value(expr.right, env)
        a, b = left.term, right.term
        relation = {
            "==": lambda: eq(a, b),
            "!=": lambda: not_(eq(a, b)),
            "<": lambda: a < b,
            "<=": lambda: a <= b,
            ">": lambda: a > b,
            ">=": lambda: a >= b,
        }[expr.op]()
        known = and_(left.known, right.known)
        return B3(and_(known, relation), and_(known, not_(relation)))

    def _Member(self, expr: c.Member, env: Env) -> Value:
        element = self._value(expr.element, env)
        container = expr.container
        space = self.space
        if isinstance(container, c.ConstSet):
            values = container.values
            cont_known, empty = TRUE, FALSE if values else TRUE

            def holds(value: str) -> Z:
                return TRUE if value in values else FALSE

            def holds_term(term: Z) -> Z:
                known = value_of(term)
                if isinstance(known, str):
                    return holds(known)
                return or_([eq(term, space.constant(v, element.type)) for v in values])

        elif isinstance(container, c.ListSet):
            member = self._members(container.list)
            cont_known = TRUE
            empty = not_(or_(list(member.values()))) if member else TRUE

            def holds(value: str) -> Z:
                return member.get(value, FALSE)

            def holds_term(term: Z) -> Z:
                known = value_of(term)
                if isinstance(known, str):
                    return holds(known)
                return or_([and_(eq(term, space.sid(k)), m) for k, m in member.items()])

        else:
            found = self.expr(container, env)
            if not isinstance(found, SetVal):
                raise Unsupported("`in` a value that is not a set or a list")
            items = found
            cont_known = items.known
            flags = items.all_flags()
            empty = not_(or_(flags)) if flags else TRUE

            def holds(value: str) -> Z:
                parts = [items.flag(value)]
                parts += [and_(f, eq(item.term, space.sid(value))) for f, item in items.free]
                return or_(parts) if parts else FALSE

            def holds_term(term: Z) -> Z:
                known = value_of(term)
                if isinstance(known, str):
                    return holds(known)
                parts = [and_(items.flag(v), eq(term, item.term)) for v, item in items.fixed]
                parts += [and_(f, eq(term, item.term)) for f, item in items.free]
                return or_(parts) if parts else FALSE

        if expr.hierarchical:
            if element.codes is None:
                raise Unsupported("a hierarchical `in` on a value that is not a code")
            options = []
            for code in element.codes:
                ancestors = [code]
                while "." in ancestors[-1]:
                    ancestors.append(ancestors[-1].rsplit(".", 1)[0])
                options.append(
                    and_(eq(element.term, space.sid(code)), or_([holds(a) for a in ancestors]))
                )
            found_it = or_(options)
        else:
            found_it = holds_term(element.term)
        # Found means the container is not empty; nothing is in an empty one, known or not.
        yes = and_(cont_known, element.known, found_it)
        no = and_(cont_known, or_(empty, and_(element.known, not_(found_it))))
        return B3(no, yes) if expr.negated else B3(yes, no)

    def _members(self, named: NamedList) -> dict[str, Z]:
        """A codes list: per key, whether it is in force on the day (made once)."""
        found = self._lists.get(named.name)
        if found is None:
            by_key: dict[str, list[Z]] = {}
            for entry in named.entries:
                by_key.setdefault(entry.key, []).append(self.space.in_force(entry))
            list_on = self.space.in_force(named)
            found = {key: and_(list_on, or_(days)) for key, days in by_key.items()}
            self._lists[named.name] = found
        return found

    def _Match(self, expr: c.Match, env: Env) -> Value:
        subject = self._value(expr.subject, env)
        named = expr.list
        self.uses_matches.add(named.name)
        names: dict[str, list[Any]] = {}
        for entry in named.entries:
            for spelling in (entry.key, *entry.aliases):
                names.setdefault(fold_name(spelling), []).append(entry)
        list_on = self.space.in_force(named)
        hits = []
        for text in self.space.names:
            for entry in names.get(fold_name(text), ()):
                hits.append(
                    and_(eq(subject.term, self.space.sid(text)), self.space.in_force(entry))
                )
        hit = and_(list_on, or_(hits)) if hits else FALSE
        # What screening says of any other name: free, shared by every use of the list.
        signature = _list_signature(named)
        yes = z3.Function(f"match:{signature}", z3.IntSort(), z3.IntSort(), z3.BoolSort())
        no = z3.Function(f"nomatch:{signature}", z3.IntSort(), z3.IntSort(), z3.BoolSort())
        free_yes, free_no = yes(subject.term, self.space.day), no(subject.term, self.space.day)
        self.space.constraints.append(not_(and_(free_yes, free_no)))
        # "No match" for an unspelled name only where the list can answer: a list older
        # than its `max_age` on the day answers "not covered" (unknown) instead, and so
        # does a list that covers some countries only (coverage by country is not encoded).
        exact = and_(self.space.exact, self._answers(named))
        t = and_(subject.known, or_(hit, and_(not_(self.space.exact), free_yes)))
        f = and_(subject.known, not_(hit), or_(exact, free_no))
        return B3(t, f)

    def _answers(self, named: Any) -> Z:
        """Whether screening against `named` can say "no match" on the day evaluated."""
        if getattr(named, "covers", ()):
            return FALSE
        max_age = getattr(named, "max_age", None)
        if max_age is None:
            return TRUE
        taken = named.retrieved
        if taken is None:
            return FALSE
        day = taken.date() if isinstance(taken, dt.datetime) else taken
        return self.space.day <= (day + max_age).toordinal()

    def _Known(self, expr: c.Known, env: Env) -> Value:
        value = self.expr(expr.subject, env)
        if isinstance(value, B3):
            known = or_(value.t, value.f)
        elif isinstance(value, Val | SetVal | Coll):
            known = value.known
        else:
            raise Unsupported("`is known` of a record")
        return B3(known, not_(known)) if expr.known else B3(not_(known), known)

    def _Quantifier(self, expr: c.Quantifier, env: Env) -> Value:
        collection = self.expr(expr.collection, env)
        items: list[tuple[Callable[[], Z], Value]]
        if isinstance(collection, Coll):
            known = collection.known
            items = [
                (lambda i=i: collection.present(i), s)  # type: ignore[misc]
                for i, s in enumerate(collection.slots)
            ]
        elif isinstance(collection, SetVal):
            known = collection.known
            items = [
                (lambda v=v: collection.flag(v), val)  # type: ignore[misc]
                for v, val in collection.fixed
            ]
            items += [(lambda f=f: f, val) for f, val in collection.free]  # type: ignore[misc]
        else:
            raise Unsupported("`any`/`all` over something not a list")
        # An element whose body leaves the result as it is (false for `any`, true for
        # `all`) is left out: most of 250 country codes, say.
        neutral = (FALSE, TRUE) if expr.kind == "any" else (TRUE, FALSE)
        parts = []
        for present, item in items:
            body = self.cond(expr.body, {**env, expr.var: item})
            if body.t is not neutral[0] or body.f is not neutral[1]:
                parts.append((present(), body))
        if expr.kind == "any":
            t = or_([and_(p, b.t) for p, b in parts])
            f = and_([implies(p, b.f) for p, b in parts])
        else:
            t = and_([implies(p, b.t) for p, b in parts])
            f = or_([and_(p, b.f) for p, b in parts])
        return B3(and_(known, t), and_(known, f))


def _type_signature(type_: Type) -> str:
    """A type with what it ranges over: an enum's codes, a number's bounds."""
    if isinstance(type_, EnumType):
        return f"{type_.name}{type_.codes}{type_.hierarchical}"
    if isinstance(type_, ListType):
        return f"list of {_type_signature(type_.element)}"
    return repr(type_) if not isinstance(type_, RecordType) else type_.name


def _list_signature(named: NamedList) -> str:
    """A list's name with a digest of its entries: two versions of a list are two
    functions, one list is one in both policies."""
    import hashlib

    text = repr(
        [(e.key, e.aliases, e.valid_from, e.valid_until) for e in named.entries]
        + [named.valid_from, named.valid_until]
    )
    return f"{named.name}:{hashlib.sha256(text.encode()).hexdigest()[:12]}"


# ---- a model as a case -------------------------------------------------------------------


def case_of(space: Space, model: Z, schema_root: RecordType) -> dict[str, Any]:
    """The case a model stands for: every fact the encoding made a variable for, with the
    model's value where it is known; everything else left out (unknown)."""
    case: dict[str, Any] = {}

    def ev(term: Z) -> Any:
        return model.eval(term, model_completion=True)

    def scalar(val: Val) -> Any:
        value = ev(val.term)
        type_ = val.type
        if isinstance(type_, BoolType):
            return z3.is_true(value)
        if isinstance(type_, NumberType):
            number = value.as_fraction()
            return int(number) if number.denominator == 1 else float(number)
        number = value.as_long()
        if isinstance(type_, DateType):
            return dt.date.fromordinal(number)
        if isinstance(type_, EnumType | TextType):
            return space.text_of(number)
        return number

    def place(path: PathKey, value: Any) -> None:
        holder: Any = case
        for part, nxt in zip(path, path[1:], strict=False):
            if isinstance(part, int):
                while len(holder) <= part:
                    holder.append({})
                holder = holder[part]
            else:
                if part not in holder:
                    holder[part] = [] if isinstance(nxt, int) else {}
                holder = holder[part]
        last = path[-1]
        assert isinstance(last, str)
        holder[last] = value

    def reachable(path: PathKey) -> bool:
        """Whether a path lies within lists the model says are known and long enough."""
        for i, part in enumerate(path):
            if isinstance(part, int):
                coll = space.groups.get(path[:i])
                if not isinstance(coll, Coll) or not z3.is_true(ev(coll.known)):
                    return False
                if part >= ev(coll.length).as_long():
                    return False
        return True

    for path in sorted(space.groups, key=lambda p: (len(p), show_path(p))):
        group = space.groups[path]
        if not reachable(path):
            continue
        if isinstance(group, Coll):
            if z3.is_true(ev(group.known)):
                length = ev(group.length).as_long()
                place(path, [{} for _ in range(length)])
        elif isinstance(group, SetVal):
            if z3.is_true(ev(group.known)):
                items = [v for v, _ in group.fixed if v in group.flags]
                items = [v for v in items if z3.is_true(ev(group.flags[v]))]
                items += [scalar(item) for f, item in group.free if z3.is_true(ev(f))]
                place(path, list(dict.fromkeys(items)))
        elif isinstance(group, Val):
            if z3.is_true(ev(group.known)):
                place(path, scalar(group))
    return case


def day_of(space: Space, model: Z) -> dt.date:
    """The day of evaluation a model chose."""
    return dt.date.fromordinal(model.eval(space.day, model_completion=True).as_long())


def assignment(space: Space, case: dict[str, Any], day: dt.date) -> list[Z] | None:
    """A concrete case as constraints on the space's variables (those made so far), or
    None when it lies outside the bound (a list of records longer than `k`, more texts
    nobody names in a list than `k`): what holds the encoding to the evaluator."""
    others: dict[str, int] = {}

    def term_of(value: Any, type_: Type | None) -> Z:
        if isinstance(value, str) and value not in space.ids:
            number = others.setdefault(value, len(space.names) + len(others))
            return z3.IntVal(number)
        if isinstance(value, str) and isinstance(type_, DateType):
            return z3.IntVal(dt.date.fromisoformat(value).toordinal())
        return space.constant(value, type_)

    def lookup(path: PathKey) -> Any:
        value: Any = case
        for part in path:
            if isinstance(part, int):
                value = value[part] if isinstance(value, list) and part < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return value

    found = [space.day == day.toordinal()]
    for path, group in space.groups.items():
        value = lookup(path)
        if isinstance(group, Coll):
            if value is None:
                found.append(not_(group.known))
            elif len(value) > space.k:
                return None
            else:
                found += [group.known, group.length == len(value)]
        elif isinstance(group, SetVal):
            if value is None:
                found.append(not_(group.known))
                continue
            found.append(group.known)
            named = {v for v, _ in group.fixed}
            for item, flag in group.flags.items():
                found.append(flag == (item in value))
            rest = [v for v in value if v not in named]
            if len(rest) > len(group.free):
                return None
            for i, (present, element) in enumerate(group.free):
                if i < len(rest):
                    found += [present, element.term == term_of(rest[i], element.type)]
                else:
                    found.append(not_(present))
        elif isinstance(group, Val):
            if value is None:
                found.append(not_(group.known))
            else:
                found += [group.known, group.term == term_of(value, group.type)]
    return found
