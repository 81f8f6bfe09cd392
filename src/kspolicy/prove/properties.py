"""`kspolicy prove --property FILE`: a property over two cases, proved or refuted.

A property file (TOML, docs/analysis.md) speaks of two cases, `a` and `b`:

```toml
title = "Adding facts never lowers an outcome"
given = ["project.dual_use == listed"]       # conditions case a meets (policy language)
given_b = []                                  # conditions case b meets
[change]                                      # how b differs from a (default: not at all)
"*" = "known"                                 # any fact a leaves unknown, b may give
"partners.country" = ["EU_MEMBERS", "RISK_COUNTRIES"]   # may rise through these groups
"partners" = "reorder"                        # the same elements in another order
[expect]                                      # what must hold of the two decisions
verdict = "b >= a"                            # or "b == a", "b <= a"
obligations = ">= [export_licence]"           # a bound on b: "<= notify", "== []" ...
```

A fact's change is `same` (the default), `any`, `known` (b gives it where a does not,
else the same), `up` (b gives at least as much: true stays true, a number or a code in
the declared order does not fall, a list keeps its elements) or an order of groups,
lowest first (a code, a list's name for its codes, or a list of those): b is a's value
or in a higher group. A list of records may be `reorder`ed. `every_rule_cites = true`
asks that every rule that gives an outcome cites a passage (principle 6).

Conditions are checked as the policy's own (they become definitions of a copy of the
policy), so a misspelt fact is reported as in a policy file. A property holds for every
pair of cases within the bound; a refutation comes with the two cases, decided by the
engine before they are shown.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from ..diagnostics import Diagnostic, KspolicyError, PolicyError
from ..files import read_bounded
from ..lang import checked as c
from ..lang.loader import main_file
from ..lang.schema import BoolType, DateType, EnumType, IntType, NumberType
from ..policy import Policy
from ..span import Source, Span
from . import plain, problems
from .compare import Bound, Search, bound_of
from .encode import (
    FALSE,
    TRUE,
    Coll,
    Encoder,
    PathKey,
    Rec,
    SetVal,
    Space,
    Unsupported,
    Val,
    Z,
    and_,
    case_of,
    day_of,
    eq,
    implies,
    not_,
    or_,
    strings_of,
    z3,
)

WORDS = ("same", "any", "known", "up", "reorder")
PREFIX = "kspolicy_property_"


@attrs.frozen
class Refutation:
    """Two cases, on one day, for which the property does not hold, and why."""

    a: dict[str, Any]
    b: dict[str, Any]
    as_of: dt.date
    broken: tuple[str, ...]


@attrs.frozen
class PropertyResult:
    """A property proved (within the bound), refuted, or unknown (with the reason)."""

    file: str
    title: str
    bound: Bound
    status: str  # "proved", "refuted", "unknown"
    refutation: Refutation | None = None
    reason: str | None = None

    @property
    def proved(self) -> bool:
        """Whether it holds within the bound."""
        return self.status == "proved"

    def cases(self) -> dict[str, tuple[dict[str, Any], dt.date, str]]:
        """The refutation's cases, to write as case files."""
        if self.refutation is None:
            return {}
        why = f"kspolicy prove --property {self.file}: {'; '.join(self.refutation.broken)}"
        r = self.refutation
        return {"case-a": (r.a, r.as_of, why), "case-b": (r.b, r.as_of, why)}

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        found: dict[str, Any] = {
            "property": self.file,
            "title": self.title,
            "bound": self.bound.to_dict(),
            "status": self.status,
        }
        if self.reason:
            found["reason"] = self.reason
        if self.refutation is not None:
            found["counterexample"] = {
                "as_of": self.refutation.as_of.isoformat(),
                "a": plain(self.refutation.a),
                "b": plain(self.refutation.b),
                "broken": list(self.refutation.broken),
            }
        return found


def render(result: PropertyResult) -> str:
    """The result for a terminal, with the bound it holds within."""
    lines = [f"{result.title}: {result.status}", f"Within the bound: {result.bound.describe()}."]
    if result.reason:
        lines.append(f"  {result.reason}")
    if result.refutation is not None:
        import json

        r = result.refutation
        lines.append(f"  broken: {'; '.join(r.broken)} (on {r.as_of})")
        lines.append(f"  a: {json.dumps(plain(r.a), ensure_ascii=False)}")
        lines.append(f"  b: {json.dumps(plain(r.b), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


# ---- reading a property file ------------------------------------------------------------


@attrs.frozen
class Property:
    """A property file, read."""

    title: str
    given: tuple[str, ...]
    given_b: tuple[str, ...]
    change: dict[str, Any]
    expect: dict[str, str]
    every_rule_cites: bool


class PropertyFileError(KspolicyError):
    """A property file `prove` refuses: every mistake found, each placed in the file
    (prove/problems.py renders them as `kspolicy check` renders a policy's)."""

    def __init__(self, found: list[problems.Problem]) -> None:
        self.problems = tuple(found)
        first = next((p for p in self.problems if p.is_error), self.problems[0])
        line, column = first.span.source.position(first.span.start)
        errors = sum(p.is_error for p in self.problems)
        more = f" (and {errors - 1} more)" if errors > 1 else ""
        super().__init__(f"{first.span.source.name}:{line}:{column}: {first.message}{more}")


def read_source(path: Path) -> Source:
    """A property file's text (at most 1 MB); KspolicyError naming the file when it
    cannot be read."""
    try:
        return Source(str(path), read_bounded(path, 1_000_000).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise KspolicyError(f"{path}: not a property file: {exc}") from None


def read_property(path: Path) -> Property:
    """A property file; PropertyFileError placing the mistake when it is malformed."""
    return parse_property(read_source(path))


def parse_property(source: Source) -> Property:
    """A property file's text read; PropertyFileError at the first mistake (in the file
    `source` names: the editor's buffer reads as the file does)."""
    try:
        data = tomllib.loads(source.text)
        change = data.get("change")
        dotted = _dotted(source, change) if isinstance(change, dict) else []
        if dotted:
            raise PropertyFileError(dotted)
        return _shape(data, Path(source.name).stem)
    except tomllib.TOMLDecodeError as exc:
        message = f"not a property file: {exc}"
    except _Refused as exc:
        message = str(exc)
    raise PropertyFileError([problems.at_key(source, message)])


def _dotted(source: Source, change: dict[str, Any]) -> list[problems.Problem]:
    """A `[change]` key that TOML read as a table: a fact path written without quotes
    (`partners.country = ...`), whose dots TOML takes for tables within tables. Its
    change would be no change of any fact, and a property of a list's facts
    (`partners`, itself a fact) would hold more easily than written; so each such key
    is refused at its own line, with the line as it is to be written."""
    found = []
    for key, value in change.items():
        if not isinstance(value, dict):
            continue
        for path, leaf in _leaves((key,), value):
            dotted = ".".join(path)
            quoted = f'"{dotted}" = {_toml(leaf)}'
            line = _written(source, path, header=False)
            if line is not None:
                within = source.text[line.start : line.end].lstrip().startswith("change")
                message = (
                    f"change `{dotted}`: a key with dots and no quotes is read by TOML as"
                    " tables within tables, not as a fact's path"
                )
                hint = f"quote the key: {'change.' if within else ''}{quoted}"
            else:  # an inline table (`partners = { country = "up" }`), a `[change.x]` table
                line = _written(source, path, header=True)
                message = f"change `{dotted}`: a table is not a change"
                hint = f"write the fact's path as one quoted key under [change]: {quoted}"
            span = line or problems.key_span(source, key, "change") or problems.first_line(source)
            found.append(problems.Problem(span, message, help=hint))
    return found


def _leaves(path: tuple[str, ...], value: Any) -> list[tuple[tuple[str, ...], Any]]:
    """Each value within nested tables, with the keys that lead to it."""
    if not isinstance(value, dict):
        return [(path, value)]
    return [leaf for key, item in value.items() for leaf in _leaves((*path, key), item)]


def _written(source: Source, path: tuple[str, ...], header: bool) -> Span | None:
    """The line that writes `path` as a dotted key (`researchers.0.role =`, each part bare
    or quoted, spaces around a dot allowed, `change.` before it or not), to its end; with
    `header`, the `[change.PART...]` header of the longest part of it that has one."""

    def key(parts: tuple[str, ...]) -> str:
        return r"[ \t]*\.[ \t]*".join(
            rf"""(?:{re.escape(p)}|"{re.escape(p)}"|'{re.escape(p)}')""" for p in parts
        )

    if not header:
        pattern = rf"^[ \t]*((?:change[ \t]*\.[ \t]*)?{key(path)})[ \t]*="
        found = re.search(pattern, source.text, re.M)
        return None if found is None else problems.line_from(source, found.start(1))
    for end in range(len(path), 0, -1):
        found = re.search(
            rf"^[ \t]*(\[[ \t]*{key(('change', *path[:end]))}[ \t]*\])", source.text, re.M
        )
        if found is not None:
            return problems.line_from(source, found.start(1))
    return None


def _toml(value: Any) -> str:
    """A change's value as TOML writes it (a word, a list of groups)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


class _Refused(Exception):
    """A mistake in a property file's shape, in words (placed by `parse_property`)."""


def _shape(data: dict[str, Any], stem: str) -> Property:
    known = {"title", "given", "given_b", "change", "expect", "every_rule_cites", "principle"}
    extra = sorted(set(data) - known)
    if extra:
        raise _Refused(f"unknown key `{extra[0]}` (the keys: {', '.join(sorted(known))})")
    # A title that is no text was shown as if it were one (`5: proved`): refused, as a
    # misspelt key is, so that what the file says is what is proved.
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        raise _Refused(f'`title` is a text: title = "{title}"')
    cites = data.get("every_rule_cites", False)
    if not isinstance(cites, bool):
        raise _Refused("`every_rule_cites` is true or false")

    def texts(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Refused(f"`{key}` is a list of conditions (texts)")
        return tuple(value)

    change, expect = data.get("change", {}), data.get("expect", {})
    if not isinstance(change, dict) or not isinstance(expect, dict):
        raise _Refused("`change` and `expect` are tables")
    for fact, word in change.items():
        if isinstance(word, str) and word not in WORDS:
            raise _Refused(
                f"change `{fact}` = {word!r}: give one of {', '.join(WORDS)}, "
                "or an order of groups (a list)"
            )
    for outcome, text in expect.items():
        if not isinstance(text, str):
            raise _Refused(f'expect `{outcome}`: a text such as "b >= a"')
    return Property(
        stem if title is None else title, texts("given"), texts("given_b"), change, expect, cites
    )


class ConditionsError(KspolicyError):
    """Conditions that do not check: the check's errors (in the copy of the policy)."""

    def __init__(self, where: Path, errors: list[Diagnostic]) -> None:
        self.errors = tuple(errors)
        message = "; ".join(d.message for d in errors[:3])
        super().__init__(f"{where}: a condition does not check: {message}")


def with_conditions(
    policy_path: Path, conditions: list[str], load: Callable[[Path], Policy], where: Path
) -> Policy:
    """The policy with each condition as a definition (`kspolicy_property_N`): checked
    exactly as the policy's own conditions are (the editor's too: lsp/propertycheck.py).
    ConditionsError with the check's errors when it fails."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "policy"
        source = policy_path if policy_path.is_dir() else policy_path.parent
        shutil.copytree(source, copy)
        main = main_file(copy if policy_path.is_dir() else copy / policy_path.name)
        text = main.read_text(encoding="utf-8")
        main.write_text(text + f'\nimport "{PREFIX}.pol"\n', encoding="utf-8")
        body = "".join(
            f"define {PREFIX}{i}\n  = {condition}\n\n" for i, condition in enumerate(conditions)
        )
        (copy / f"{PREFIX}.pol").write_text(body, encoding="utf-8")
        try:
            return load(main if not policy_path.is_dir() else copy)
        except PolicyError as exc:
            raise ConditionsError(where, [d for d in exc.diagnostics if d.is_error]) from None


# ---- proving ------------------------------------------------------------------------------


def prove_file(
    policy_path: Path,
    file: Path,
    load: Callable[[Path], Policy],
    k: int = 3,
    as_of: dt.date | None = None,
) -> PropertyResult:
    """Prove or refute the property of `file` for the policy at `policy_path`."""
    source = read_source(file)
    prop = parse_property(source)
    conditions = [*prop.given, *prop.given_b]
    if not conditions:
        policy = load(policy_path)
    else:
        try:
            policy = with_conditions(policy_path, conditions, load, file)
        except ConditionsError as exc:
            found = [problems.relative(d, PREFIX) for d in exc.errors]
            # The policy alone: its own errors are said at its own files, not at the
            # copy's; else the names of `[change]` and `[expect]` are checked too, so that
            # every mistake is said at once (as the editor marks them).
            alone = load(policy_path)
            named = problems.names(source, prop.change, prop.expect, alone.checked)
            placed = problems.placed(source, prop.given, prop.given_b, found)
            raise PropertyFileError(placed + named) from None
    refused = problems.names(source, prop.change, prop.expect, policy.checked)
    if refused:
        raise PropertyFileError(refused)
    return prove(policy, prop, str(file), k, as_of)


def prove(
    policy: Policy, prop: Property, name: str, k: int = 3, as_of: dt.date | None = None
) -> PropertyResult:
    """Prove or refute a property (its conditions already definitions of `policy`)."""
    bound = bound_of(k, as_of)
    checked = policy.checked
    if prop.every_rule_cites:
        silent = [r.name for r in checked.rules if r.effects and not r.cites]
        if silent:
            return PropertyResult(
                name,
                prop.title,
                bound,
                "refuted",
                reason="rules that cite nothing: " + ", ".join(silent),
            )
        if not prop.expect:
            return PropertyResult(name, prop.title, bound, "proved")
    strings = strings_of([checked])
    space_a = Space(sorted(strings), k, as_of, prefix="a:")
    space_b = Space(sorted(strings), k, as_of, prefix="b:", day=space_a.day)
    enc_a, enc_b = Encoder(space_a, checked, "a"), Encoder(space_b, checked, "b")
    try:
        assumed = [_given(enc_a, i) for i in range(len(prop.given))]
        assumed += [_given(enc_b, len(prop.given) + i) for i in range(len(prop.given_b))]
        expectations = [
            (f"{o} {t}", _expect(enc_a, enc_b, o, t, name)) for o, t in prop.expect.items()
        ]
    except Unsupported as exc:
        return PropertyResult(name, prop.title, bound, "unknown", reason=str(exc))
    opaque = sorted({*enc_a.unsupported, *enc_b.unsupported})
    if opaque:
        return PropertyResult(
            name,
            prop.title,
            bound,
            "unknown",
            reason="rules that cannot be encoded: " + ", ".join(opaque),
        )
    relation = _relate(space_a, space_b, checked, prop.change, name)
    space_a.constraints += space_b.constraints
    search = Search(space_a, bool(enc_a.uses_matches))
    broken = or_([not_(holds) for _, holds in expectations])
    answer, detail = search.find(and_(*assumed, *relation, broken))
    if answer == "none":
        return PropertyResult(name, prop.title, bound, "proved")
    if answer == "unknown":
        return PropertyResult(name, prop.title, bound, "unknown", reason=str(detail))
    model = detail
    a = case_of(space_a, model, checked.schema.root)
    b = case_of(space_b, model, checked.schema.root)
    day = day_of(space_a, model)
    which = tuple(text for text, holds in expectations if z3.is_false(model.eval(holds, True)))
    if not _reproduces(policy, prop, a, b, day):
        reason = (
            "the solver's counterexample did not reproduce with the engine "
            "(a gap in the encoding: please report it)"
        )
        return PropertyResult(name, prop.title, bound, "unknown", reason=reason)
    return PropertyResult(name, prop.title, bound, "refuted", Refutation(a, b, day, which))


def _given(encoder: Encoder, index: int) -> Z:
    definition = encoder.policy.definitions[f"{PREFIX}{index}"]
    if definition.binders:
        raise Unsupported(
            f"condition {index + 1} uses an implicit variable: quantify with `any`/`all`"
        )
    return encoder.cond(definition.expr, {}).t


def _expect(enc_a: Encoder, enc_b: Encoder, name: str, text: str, where: str) -> Z:
    outcome = enc_a.policy.outcomes.get(name)
    if outcome is None or outcome.kind == "entry":
        raise KspolicyError(f"{where}: expect `{name}`: no scale or set outcome of that name")
    words = text.split(None, 2)
    if text.replace(" ", "") in ("b>=a", "b==a", "b<=a"):
        op = text.replace(" ", "")[1:3]
        pairs = []
        codes = outcome.enum.codes[1:] if outcome.kind == "scale" else outcome.enum.codes
        for code in codes:
            x, y = enc_a.reaches(outcome, code), enc_b.reaches(outcome, code)
            if op in (">=", "=="):
                pairs.append(implies(x, y))
            if op in ("<=", "=="):
                pairs.append(implies(y, x))
        return and_(pairs)
    if len(words) == 2 and words[0] in ("<=", ">=", "=="):
        op, value = words
        if outcome.kind == "scale":
            if value not in outcome.enum.codes:
                raise KspolicyError(f"{where}: expect `{name}`: {value!r} is not a code of it")
            rank = outcome.rank(value)
            higher = outcome.enum.codes[rank + 1 :]
            at_most = not_(enc_b.reaches(outcome, higher[0])) if higher else TRUE
            at_least = enc_b.reaches(outcome, value) if rank else TRUE
            return {"<=": at_most, ">=": at_least, "==": and_(at_most, at_least)}[op]
        listed = [v.strip() for v in value.strip("[]").split(",") if v.strip()]
        wrong = [v for v in listed if v not in outcome.enum.codes]
        if wrong:
            raise KspolicyError(f"{where}: expect `{name}`: {wrong[0]!r} is not a code of it")
        at_least = and_([enc_b.reaches(outcome, v) for v in listed])
        at_most = and_(
            [not_(enc_b.reaches(outcome, v)) for v in outcome.enum.codes if v not in listed]
        )
        return {"<=": at_most, ">=": at_least, "==": and_(at_most, at_least)}[op]
    raise KspolicyError(
        f'{where}: expect `{name}` = {text!r}: write "b >= a", "b == a", "b <= a", '
        'or a bound such as "<= notify" or ">= [export_licence]"'
    )


def _reproduces(
    policy: Policy, prop: Property, a: dict[str, Any], b: dict[str, Any], day: dt.date
) -> bool:
    """Whether the engine's decisions on the two cases break an expectation."""
    try:
        da, db = policy.evaluate(a, as_of=day), policy.evaluate(b, as_of=day)
    except Exception:  # noqa: BLE001 - a case the engine refuses refutes nothing
        return False
    for name, text in prop.expect.items():
        outcome = policy.checked.outcomes[name]
        va, vb = da.outcomes.get(name), db.outcomes.get(name)

        def rank(v: Any, outcome: c.Outcome = outcome) -> int:
            return outcome.rank(str(v))

        compact = text.replace(" ", "")
        if compact in ("b>=a", "b==a", "b<=a"):
            if outcome.kind == "scale":
                ok = {">=": rank(vb) >= rank(va), "==": vb == va, "<=": rank(vb) <= rank(va)}[
                    compact[1:3]
                ]
            else:
                sa, sb = set(va or []), set(vb or [])
                ok = {">=": sa <= sb, "==": sa == sb, "<=": sb <= sa}[compact[1:3]]
        else:
            op, value = text.split(None, 1)
            if outcome.kind == "scale":
                ok = {
                    "<=": rank(vb) <= rank(value),
                    ">=": rank(vb) >= rank(value),
                    "==": vb == value,
                }[op]
            else:
                listed = {v.strip() for v in value.strip("[]").split(",") if v.strip()}
                sb = set(vb or [])
                ok = {"<=": sb <= listed, ">=": listed <= sb, "==": sb == listed}[op]
        if not ok:
            return True
    return False


# ---- how b differs from a ---------------------------------------------------------------


def _key(path: PathKey) -> str:
    return ".".join(p for p in path if isinstance(p, str))


def _materialise(space: Space, path: PathKey, root: Rec) -> Any:
    """The group at a path, made in this space if the other made it."""
    value: Any = root
    for part in path:
        if isinstance(part, int):
            if not isinstance(value, Coll) or part >= len(value.slots):
                return None
            value = value.slots[part]
        else:
            if not isinstance(value, Rec):
                return None
            value = space.field(value, part)
    return value


def _relate(
    space_a: Space, space_b: Space, checked: c.Policy, change: dict[str, Any], where: str
) -> list[Z]:
    root_a, root_b = space_a.root(checked.schema.root), space_b.root(checked.schema.root)
    for name in change:
        if name != "*" and checked.schema.field_at(tuple(name.split("."))) is None:
            raise KspolicyError(f"{where}: change `{name}`: no such fact in the schema")
    while True:  # make every group in both spaces (a group may make required fields)
        paths = set(space_a.groups) | set(space_b.groups)
        for path in paths:
            _materialise(space_a, path, root_a)
            _materialise(space_b, path, root_b)
        if set(space_a.groups) | set(space_b.groups) == paths and len(space_a.groups) == len(paths):
            break
    default = change.get("*", "same")
    reordered = {
        p
        for p, g in space_a.groups.items()
        if isinstance(g, Coll) and change.get(_key(p)) == "reorder"
    }
    found: list[Z] = []
    for path in sorted(space_a.groups, key=len):
        a, b = space_a.groups[path], space_b.groups[path]
        word = change.get(_key(path), default)
        under = [r for r in reordered if path[: len(r)] == r and len(path) > len(r)]
        if under:
            continue  # related by the permutation, below
        if isinstance(a, Coll):
            found.append(_coll(a, b, "same" if word in ("reorder", "up") else word))
            if word == "reorder":
                found.append(_permuted(space_a, space_b, path, a, b))
        elif isinstance(a, SetVal):
            found.append(_set(a, b, word))
        elif isinstance(a, Val):
            found.append(_val(space_a, a, b, word, checked, where, _key(path)))
    return found


def _coll(a: Coll, b: Coll, word: str) -> Z:
    same = and_(a.known == b.known, a.length == b.length)
    if word == "any":
        return TRUE
    if word == "known":
        return implies(a.known, same)
    return same


def _same_val(a: Val, b: Val) -> Z:
    return and_(a.known == b.known, implies(a.known, eq(a.term, b.term)))


def _val(space: Space, a: Val, b: Val, word: Any, checked: c.Policy, where: str, name: str) -> Z:
    if word == "same" or word == "reorder":
        return _same_val(a, b)
    if word == "any":
        return TRUE
    if word == "known":
        return implies(a.known, and_(b.known, eq(a.term, b.term)))
    type_ = a.type
    if word == "up":
        if isinstance(type_, BoolType):
            rises = implies(a.term, b.term)
        elif isinstance(type_, IntType | NumberType | DateType):
            rises = b.term >= a.term
        elif isinstance(type_, EnumType):
            return _ordered(space, a, b, [[code] for code in type_.codes])
        else:
            raise KspolicyError(f'{where}: change `{name}` = "up": a text has no order')
        return implies(a.known, and_(b.known, rises))
    if isinstance(word, list):
        groups = []
        for group in word:
            members = group if isinstance(group, list) else [group]
            codes: list[str] = []
            for member in members:
                named = checked.lists.get(str(member))
                codes += list(named.codes()) if named is not None else [str(member)]
            groups.append(codes)
        return _ordered(space, a, b, groups)
    raise KspolicyError(f"{where}: change `{name}`: {word!r} is not a change")


def _ordered(space: Space, a: Val, b: Val, groups: list[list[str]]) -> Z:
    """b is a's value, or a code of a higher group than a's (a known; else anything)."""
    options = [eq(a.term, b.term)]
    for low, group in enumerate(groups):
        for high in groups[low + 1 :]:
            in_low = or_([_is(space, a, code) for code in group])
            in_high = or_([_is(space, b, code) for code in high])
            options.append(and_(in_low, in_high))
    return implies(a.known, and_(b.known, or_(options)))


def _is(space: Space, value: Val, code: str) -> Z:
    if value.codes is not None and code not in value.codes:
        return FALSE
    try:
        return eq(value.term, space.sid(code))
    except Unsupported:  # a code the policy never names: no value is it
        return FALSE


def _set(a: SetVal, b: SetVal, word: Any) -> Z:
    flags = sorted(set(a.flags) | set(b.flags))
    same_items = [a.flag(v) == b.flag(v) for v in flags]
    same_items += [
        and_(fa == fb, implies(fa, eq(ia.term, ib.term)))
        for (fa, ia), (fb, ib) in zip(a.free, b.free, strict=True)
    ]
    if word in ("same", "reorder"):
        return and_(a.known == b.known, *same_items)
    if word == "any":
        return TRUE
    if word == "known":
        return implies(a.known, and_(b.known, *same_items))
    grows = [implies(a.flag(v), b.flag(v)) for v in flags]
    grows += [
        implies(fa, and_(fb, eq(ia.term, ib.term)))
        for (fa, ia), (fb, ib) in zip(a.free, b.free, strict=True)
    ]
    return implies(a.known, and_(b.known, *grows))


def _permuted(space_a: Space, space_b: Space, path: PathKey, a: Coll, b: Coll) -> Z:
    """b's elements are a's in another order: every field the same under a permutation."""
    k = len(a.slots)
    inner = [p for p in space_a.groups if p[: len(path)] == path and len(p) > len(path) + 1]
    options = []
    for order in itertools.permutations(range(k)):
        parts = []
        for i, j in enumerate(order):
            fits = (a.length > i) == (a.length > j)
            for p in inner:
                if p[len(path)] != i:
                    continue
                q = (*path, j, *p[len(path) + 1 :])
                ga, gb = space_a.groups[p], space_b.groups.get(q)
                if isinstance(ga, Val) and isinstance(gb, Val):
                    parts.append(implies(a.length > i, _same_val(ga, gb)))
                elif isinstance(ga, SetVal) and isinstance(gb, SetVal):
                    parts.append(implies(a.length > i, _set(ga, gb, "same")))
                elif isinstance(ga, Coll) and isinstance(gb, Coll):
                    parts.append(implies(a.length > i, _coll(ga, gb, "same")))
            parts.append(fits)
        options.append(and_(parts))
    return or_(options)
