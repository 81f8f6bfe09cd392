"""Evaluation: Kleene three-valued logic over a case, and the decision it leads to.

A compiled expression is a function from an `Env` to an `Ev`: a value (True, False or
None for unknown; or a fact's value), the facts that support it, the unknown facts it
depends on, the list entries it matched, and, when a trace is asked for, a trace node.
Supporting facts and unknowns follow the logic: `a and b` that is false keeps only the
facts of the false part, so a decision names exactly what made it so, and an open
question is only ever a fact whose value could change a result.

`run` evaluates every rule for every binding of its implicit variables (`partner`
ranges over `partners`), then combines outcomes monotonically: a scale takes the
highest code reached, a set the union. Rules whose condition is unknown are pending:
their outcomes are possible, not certain. Without an explanation asked for, the
program's runner (see `runner`) finds the rules that fire or are pending and what
supports each (`Runner.findings`), and nothing is traced; `run` assembles the decision
from those findings either way. `Traced` is this evaluation as a runner itself.

What an unknown fact is, and how a case's facts are read, is `facts.Facts`'s to say.
"""

from __future__ import annotations

import datetime as dt
import itertools
import string
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

import attrs

from ..diagnostics import KSP410, CaseError, CaseProblem
from ..lang import checked as c
from ..lang.catalogue import ENGINE, Catalogue
from ..lang.schema import ListType, RecordType, Schema
from ..limits import DEFAULT, Limits
from ..paths import element, format_path, parse_path
from .decision import (
    Decision,
    Headline,
    Match,
    OpenQuestion,
    OutcomeValues,
    PolicyInfo,
    RuleResult,
    RuleTexts,
    RuleTrace,
    SourcesLeft,
    TraceNode,
    assembled,
    compact_rows,
    open_question,
)
from .facts import UNKNOWN_COLLECTION, Facts
from .runner import Finding, Runner, Statuses
from .screen import screening_fact
from .summary import entries_by_code, entry_data

Fact = tuple[str, Any]


class Ev:
    """The result of evaluating one expression (see the module docstring)."""

    __slots__ = ("value", "facts", "unknowns", "hits", "step")

    def __init__(
        self,
        value: Any,
        facts: tuple[Fact, ...] = (),
        unknowns: tuple[str, ...] = (),
        hits: tuple[Match, ...] = (),
        step: TraceNode | None = None,
    ) -> None:
        self.value = value
        self.facts = facts
        self.unknowns = unknowns
        self.hits = hits
        self.step = step


@attrs.define
class Bound:
    """A variable's value and the path it stands for (`partners[1]`)."""

    value: Any
    path: str


@attrs.define
class Env:
    """What an evaluation reads: the case's facts, variables, the date, caches."""

    facts: Facts
    as_of: dt.date
    tracing: bool
    vars: dict[str, Bound] = attrs.Factory(dict)
    define_cache: dict[tuple[Any, ...], Ev] = attrs.Factory(dict)
    #: The definitions (cache keys) already explained in the trace of the rule being
    #: evaluated: a later use there is named, not explained again.
    explained: set[tuple[Any, ...]] = attrs.Factory(set)
    list_cache: dict[tuple[str, dt.date], Any] = attrs.Factory(dict)


Compiled = Callable[[Env], Ev]


def show(value: Any) -> str:
    """A value as people read it, the one way: in a trace, an explanation, a test's
    failure. Unknown is `unknown`, booleans `true`/`false`, a set `{a, b}` (sorted), a
    list `[a, b]`."""
    if value is None:
        return "unknown"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, frozenset | set):
        return "{" + ", ".join(sorted(map(str, value))) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(map(show, value)) + "]"
    return str(value)


def jsonable(value: Any) -> Any:
    """A fact's value as it appears in decision JSON."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items() if v is not None}
    return value


@attrs.frozen(eq=False)
class CompiledRule:
    """A rule with its `when` and `unless` conditions compiled."""

    rule: c.Rule
    when: Compiled
    unless: tuple[Compiled, ...]


@attrs.frozen(eq=False)
class Program:
    """A compiled policy: what `run` needs.

    `runner` finds each rule's status and support without explanations (see
    `runner`); `run` traces only when an explanation is asked for.
    """

    policy: c.Policy
    rules: tuple[CompiledRule, ...]
    entries: tuple[tuple[c.Outcome, Compiled], ...]
    runner: Runner
    limits: Limits = DEFAULT
    #: The rules that bind implicit variables, with the collections (paths) they range
    #: over: what `check_bindings` measures.
    bound: tuple[tuple[c.Rule, tuple[tuple[str, ...], ...]], ...] = attrs.field(
        init=False, default=()
    )
    #: The combinations of collections those rules range over, each once (most rules
    #: bind `partner` alone): what `check_bindings` measures first.
    combinations: tuple[tuple[tuple[str, ...], ...], ...] = attrs.field(init=False, default=())
    #: What a decision reads off the policy alone, kept once made: each rule's texts and
    #: effects in a language, each question's template for a fact (`run`). Bounded.
    memo: dict[Any, Any] = attrs.field(init=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        schema = self.policy.schema
        bound = tuple(
            (rule, tuple(schema.binders[name].fields for name in rule.binders))
            for rule in self.policy.rules
            if rule.binders
        )
        object.__setattr__(self, "bound", bound)
        combinations = tuple(dict.fromkeys(collections for _, collections in bound))
        object.__setattr__(self, "combinations", combinations)


def check_bindings(program: Program, facts: Facts) -> None:
    """Raise CaseError (KSP410) if a case gives a rule more bindings than the limit.

    A rule is evaluated once per combination of elements of the collections its
    implicit variables range over: three lists of 1,000 make a billion. Measured before
    anything is evaluated, by the fast path or the traced runtime, so that such a case
    is refused at once instead of running for hours.
    """
    limit = program.limits.max_bindings
    # Each combination of collections measured once; the rules only when one is over
    # the limit, to name the first rule that is (most cases have none).
    value_at = facts.value_at
    for collections in program.combinations:
        count = 1
        for fields in collections:
            value = value_at(fields)
            count *= len(value) if isinstance(value, list | tuple) else 1
        if count > limit:
            break
    else:
        return
    # Rules share their collections (most bind `partner` alone): each measured once.
    sizes: dict[tuple[str, ...], int] = {}
    totals: dict[tuple[tuple[str, ...], ...], int] = {}
    for rule, collections in program.bound:
        total = totals.get(collections)
        if total is None:
            total = 1
            for fields in collections:
                size = sizes.get(fields)
                if size is None:
                    value = facts.value_at(fields)
                    size = sizes[fields] = len(value) if isinstance(value, list | tuple) else 1
                total *= size
            totals[collections] = total
        if total > limit:
            named = [(format_path(fields), sizes[fields]) for fields in collections]
            product = " x ".join(f"{path} ({size:,})" for path, size in named)
            message = (
                f"rule `{rule.name}` ({rule.node.name.span}) would be evaluated for "
                f"{total:,} bindings, {product}; the limit is {limit:,} "
                "(max_bindings, docs/limits.md)"
            )
            largest = max(named, key=lambda pair: pair[1])[0]
            raise CaseError([CaseProblem(largest, message, KSP410)])


@attrs.frozen
class _Verdict:
    status: str  # fired, pending, silent
    ev: Ev
    steps: list[TraceNode]


def _evaluate_rule(rule: CompiledRule, env: Env) -> _Verdict:
    when = rule.when(env)
    steps = [when.step] if when.step else []
    value = when.value
    facts, unknowns, hits = list(when.facts), list(when.unknowns), list(when.hits)
    for unless in rule.unless:
        if value is False:
            break
        exception = unless(env)
        if exception.step:
            steps.append(TraceNode("unless", show(exception.value), [exception.step]))
        if exception.value is True:
            value, facts, unknowns, hits = False, list(exception.facts), [], list(exception.hits)
        elif exception.value is None:
            value = None
            unknowns.extend(exception.unknowns)
        else:
            facts.extend(exception.facts)
    status = {True: "fired", None: "pending", False: "silent"}[value]
    return _Verdict(status, Ev(value, tuple(facts), tuple(unknowns), tuple(hits)), steps)


def _bindings(
    rule: c.Rule, schema: Schema, env: Env
) -> Iterator[dict[str, tuple[Bound, int | None]]]:
    choices: list[list[tuple[str, Bound, int | None]]] = []
    for name in rule.binders:
        binder = schema.binders[name]
        value = env.facts.value_at(binder.fields)
        path = binder.collection
        if value is None:
            choices.append([(name, Bound(UNKNOWN_COLLECTION, path), None)])
        else:
            choices.append([(name, Bound(v, element(path, i)), i) for i, v in enumerate(value)])
    for combination in itertools.product(*choices):
        yield {name: (bound, index) for name, bound, index in combination}


class Traced:
    """The traced evaluation as a runner (see `runner`): every rule's closures, for
    every binding, without explanations. The reference the fast path is held to; slow."""

    def __init__(self, policy: c.Policy, rules: tuple[CompiledRule, ...]) -> None:
        self.schema = policy.schema
        self.rules = rules

    def statuses(self, facts: Facts, as_of: dt.date) -> Statuses:
        """The rules that fire and those pending for some binding (see `Runner`)."""
        env = Env(facts, as_of, False)  # one per call: nothing shared between threads
        fired: list[int] = []
        pending: list[int] = []
        for position, compiled in enumerate(self.rules):
            if not compiled.rule.valid_on(as_of):
                continue
            for binding in _bindings(compiled.rule, self.schema, env):
                env.vars = {name: bound for name, (bound, _) in binding.items()}
                status = _evaluate_rule(compiled, env).status
                found = fired if status == "fired" else pending if status == "pending" else None
                if found is not None and (not found or found[-1] != position):
                    found.append(position)
        return fired, pending

    def findings(
        self, facts: Facts, as_of: dt.date, only: Collection[int] | None = None
    ) -> list[Finding]:
        """Every binding that fires or is pending, with its support (see `Runner`); of
        the rules in `only`, when given (the fast path's fallback for rules it does not
        write code for)."""
        env = Env(facts, as_of, False)
        found: list[Finding] = []
        for position, compiled in enumerate(self.rules):
            if only is not None and position not in only:
                continue
            if not compiled.rule.valid_on(as_of):
                continue
            for binding in _bindings(compiled.rule, self.schema, env):
                env.vars = {name: bound for name, (bound, _) in binding.items()}
                verdict = _evaluate_rule(compiled, env)
                if verdict.status == "silent":
                    continue
                ev = verdict.ev
                found.append(
                    (
                        position,
                        ev.value,
                        {name: i for name, (_, i) in binding.items() if i is not None},
                        dict(ev.facts),
                        list(dict.fromkeys(ev.unknowns)),
                        list(dict.fromkeys(ev.hits)),
                    )
                )
        return found


def run(
    program: Program, facts: Mapping[str, Any], as_of: dt.date, lang: str, explain: bool
) -> Decision:
    """Evaluate every rule on a case's facts and combine the outcomes into a decision.

    Without an explanation, the program's runner finds the rules that fire or are
    pending and what supports each (`Runner.findings`); with one, the traced evaluation
    does, tracing every rule (silent ones too). The decision is the same either way.
    """
    policy = program.policy
    case = Facts(facts)
    check_bindings(program, case)
    env = Env(case, as_of, explain)
    trace: list[RuleTrace] = []
    if explain:
        fired: list[Finding] = []
        pending: list[Finding] = []
        for position, compiled in enumerate(program.rules):
            rule = compiled.rule
            if not rule.valid_on(as_of):
                trace.append(RuleTrace(rule.name, {}, "inactive"))
                continue
            for binding in _bindings(rule, policy.schema, env):
                env.vars = {name: bound for name, (bound, _) in binding.items()}
                env.explained = set()
                verdict = _evaluate_rule(compiled, env)
                indices = {name: i for name, (_, i) in binding.items() if i is not None}
                trace.append(RuleTrace(rule.name, indices, verdict.status, verdict.steps))
                if verdict.status == "silent":
                    continue
                ev = verdict.ev
                (fired if verdict.status == "fired" else pending).append(
                    (
                        position,
                        ev.value,
                        indices,
                        dict(ev.facts),
                        list(dict.fromkeys(ev.unknowns)),
                        list(dict.fromkeys(ev.hits)),
                    )
                )
        env.vars = {}
        concluded = _conclude(program, facts, env, as_of, lang, fired, pending)
    else:
        concluded = _concluded(program, case, env, as_of, lang)
    # The rule results and sources are made on the decision's first read of them
    # (`decision.assembled`): a caller that reads only outcomes and questions, or writes
    # the compact form, never pays for them.
    outcomes, possible = concluded.outcomes, concluded.possible
    return assembled(
        _policy_info(program, as_of),
        outcomes,
        possible,
        _texts(program, lang),
        concluded.fired,
        concluded.pending,
        concluded.questions,
        concluded.references,
        trace,
        lang,
        concluded.headline,
        _sources(program, outcomes, possible, as_of, lang),
    )


def _policy_info(program: Program, as_of: dt.date) -> PolicyInfo:
    """Which policy decided, on which date: one per date (the memo `compact_decision`
    keeps too, bounded), shared by the decisions of that date (frozen)."""
    infos = _memo(program, "policy")
    info: PolicyInfo | None = infos.get(as_of)
    if info is None:
        policy = program.policy
        info = infos[as_of] = PolicyInfo(
            policy.name, policy.version, policy.sha256, as_of.isoformat()
        )
    return info


def _sources(
    program: Program, outcomes: OutcomeValues, possible: OutcomeValues, as_of: dt.date, lang: str
) -> SourcesLeft:
    """What the decision's `sources` is made of (`decision.sources_from`): for each
    outcome declared with `sources LIST`, the list's entries by code in force on the
    date (`summary.entries_by_code`, once per outcome, date and language: what a code's
    sources are does not depend on the decision's other codes) and this decision's
    codes, certain then possible (a tuple: the decision's own lists may change)."""
    sourced = _sourced(program)
    if not sourced:
        return ()
    memo = _memo(program, "sources")
    left = []
    for name in sourced:
        key = (name, as_of, lang)
        entries_of = memo.get(key)
        if entries_of is None:
            entries_of = memo[key] = entries_by_code(program.policy.outcomes[name], as_of, lang)
        codes = _codes_in(outcomes.get(name)) + _codes_in(possible.get(name))
        if codes:
            left.append((name, entries_of, codes))
    return tuple(left)


def _codes_in(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if value.__class__ is str else tuple(value)


def _sourced(program: Program) -> tuple[str, ...]:
    """The outcomes declared with `sources LIST`."""
    found: tuple[str, ...] | None = program.memo.get("sourced")
    if found is None:
        outcomes = program.policy.outcomes.values()
        found = program.memo["sourced"] = tuple(o.name for o in outcomes if o.sources is not None)
    return found


def compact_decision(
    program: Program, facts: Mapping[str, Any], as_of: dt.date, lang: str
) -> dict[str, Any]:
    """The compact form of the decision `run` makes without an explanation, written
    straight from the runner's findings: `run(...).to_dict()`, the same data, without
    the decision's rule results, their texts and effects, or its sources (what the
    compact form leaves out). What a batch writes, a line per case."""
    policy = program.policy
    case = Facts(facts)
    check_bindings(program, case)
    concluded = _concluded(program, case, Env(case, as_of, False), as_of, lang, texts=False)
    # Bounded like every other memo: a stream of cases on many dates must not grow it.
    infos = _memo(program, "policy")
    info = infos.get(as_of)
    if info is None:
        info = infos[as_of] = PolicyInfo(
            policy.name, policy.version, policy.sha256, as_of.isoformat()
        )
    names = _names(program)
    return compact_rows(
        info,
        lang,
        concluded.outcomes,
        concluded.possible,
        concluded.headline,
        [
            (names[i], binding, found, matched, waits)
            for i, _, binding, found, waits, matched in concluded.fired
        ],
        [
            (names[i], binding, found, matched, waits)
            for i, _, binding, found, waits, matched in concluded.pending
        ],
        concluded.questions,
    )


@attrs.define
class _Concluded:
    fired: list[Finding]
    pending: list[Finding]
    outcomes: OutcomeValues
    possible: OutcomeValues
    questions: list[OpenQuestion]
    references: dict[str, dict[str, Any]]
    headline: Headline | None


def _listed(effects: tuple[tuple[str, str | tuple[str, ...]], ...]) -> OutcomeValues:
    return {k: v if isinstance(v, str) else list(v) for k, v in effects}


def _texts(program: Program, lang: str) -> list[RuleTexts]:
    """Each rule's texts and effects in a language (`decision.RuleTexts`), made once per
    program and language; shared by every decision, which copies what it owns."""
    texts: list[RuleTexts] | None = program.memo.get(("rules", lang))
    if texts is None:
        texts = program.memo[("rules", lang)] = [
            (
                name,
                title,
                cites,
                because,
                _listed(effects),
                tuple(k for k, v in effects if type(v) is tuple),
            )
            for name, title, cites, because, effects in (
                _rule_texts(program, position, lang) for position in range(len(program.rules))
            )
        ]
    return texts


def _names(program: Program) -> list[str]:
    names: list[str] | None = program.memo.get("names")
    if names is None:
        names = program.memo["names"] = [compiled.rule.name for compiled in program.rules]
    return names


def _concluded(
    program: Program, case: Facts, env: Env, as_of: dt.date, lang: str, texts: bool = True
) -> _Concluded:
    """What the runner's findings conclude (no explanation asked)."""
    found = program.runner.findings(case, as_of)
    fired = [finding for finding in found if finding[1] is True]
    pending = [finding for finding in found if finding[1] is not True]
    return _conclude(program, case.root, env, as_of, lang, fired, pending, texts)


def _conclude(
    program: Program,
    facts: Mapping[str, Any],
    env: Env,
    as_of: dt.date,
    lang: str,
    fired: list[Finding],
    pending: list[Finding],
    texts: bool = True,
) -> _Concluded:
    """The outcomes, possible outcomes, open questions, references and headline that
    the findings that fired and those pending lead to. Without `texts`, for the compact
    form, which holds neither: no question's text, no entry's data in `references`."""
    policy = program.policy
    ranked = _ranked(program)
    outcomes, possible, changing, raising = _outcomes(
        policy,
        ranked,
        frozenset([f[0] for f in fired]),
        _mask([f[0] for f in pending]),
        # A few KB an entry, and varied cases rarely meet the same pair again: 20,000
        # entries held ~80 MB a process for a 3% hit rate over generated cases.
        _memo(program, "outcomes", 2_048),
    )
    questions = _open_questions(
        policy.schema,
        facts,
        [f for f in pending if changing >> f[0] & 1],
        ranked.names,
        lang,
        policy.messages,
        _memo(program, "question plans", 4_096),  # by fact and language: few
        _memo(program, "questions", 4_096),  # by the values they name: many
        texts=texts,
    )
    references: dict[str, dict[str, Any]] = {}
    for outcome, key in program.entries:
        found_key = key(env)
        if found_key.value is None:
            asked = {q.fact for q in questions}
            questions += [
                OpenQuestion(
                    fact,
                    question_text(policy.schema, facts, fact, lang, policy.messages)
                    if texts
                    else "",
                    [outcome.name],
                )
                for fact in found_key.unknowns
                if fact not in asked
            ]
            continue
        assert outcome.records is not None
        by_key = _memo(program, "entries")
        entries = by_key.get((outcome.name, as_of))
        if entries is None:  # each key's first entry in force on the date
            entries = {}
            for entry in outcome.records.entries_on(as_of):
                entries.setdefault(entry.key, entry)
            by_key[(outcome.name, as_of)] = entries  # whole: threads share the memo
        try:
            chosen = entries.get(found_key.value)
        except TypeError:  # a value no key can equal (a list, say)
            chosen = None
        if chosen is not None:
            outcomes[outcome.name] = chosen.key
            if texts:
                references[outcome.name] = entry_data(chosen, lang)
    headline = _headline(policy, outcomes, questions, raising)
    return _Concluded(fired, pending, outcomes, possible, questions, references, headline)


def _headline(
    policy: c.Policy,
    outcomes: OutcomeValues,
    questions: list[OpenQuestion],
    raising: dict[str, str],
) -> Headline | None:
    """`summary.headline_of(policy, outcomes, ..., questions, raising)`, the same
    headline, each question's rules tested against `raising` in one set operation."""
    name = policy.headline
    value = outcomes.get(name) if name is not None else None
    if name is None or not isinstance(value, str):
        return None
    if not raising:
        return Headline(name, value)
    highest = max(raising.values(), key=policy.outcomes[name].rank)
    waiting = raising.keys()
    asked = [q.fact for q in questions if not waiting.isdisjoint(q.rules)]
    return Headline(name, value, True, highest, asked)


_RuleTexts = tuple[str, str, tuple[str, ...], str, tuple[tuple[str, str | tuple[str, ...]], ...]]
"""A rule's name, title, citations, reason and effects, in one language."""


def _rule_effects(rule: c.Rule) -> tuple[tuple[str, str | tuple[str, ...]], ...]:
    outcomes: dict[str, str | tuple[str, ...]] = {}
    for effect in rule.effects:
        if effect.outcome.kind == "scale":
            outcomes[effect.outcome.name] = effect.codes[0]
        else:
            existing = outcomes.get(effect.outcome.name, ())
            assert isinstance(existing, tuple)
            outcomes[effect.outcome.name] = existing + tuple(
                x for x in effect.codes if x not in existing
            )
    return tuple(outcomes.items())


def _rule_texts(program: Program, position: int, lang: str) -> _RuleTexts:
    rule = program.rules[position].rule
    return (
        rule.name,
        rule.title.get(lang) if rule.title else rule.name,
        tuple(rule.cites),
        rule.because.get(lang) if rule.because else "",
        _rule_effects(rule),
    )


def _rule_result(
    texts: _RuleTexts,
    binding: dict[str, int],
    facts: dict[str, Any],
    unknown: list[str],
    matched: list[Match],
) -> RuleResult:
    name, title, cites, because, effects = texts
    return RuleResult(
        name,
        title,
        list(cites),
        because,
        binding,
        facts,
        matched,
        {k: v if isinstance(v, str) else list(v) for k, v in effects},  # each its own
        unknown,
    )


def _memo(program: Program, name: str, bound: int = 20_000) -> dict[Any, Any]:
    """One of the program's memos, emptied when it grows past `bound` entries (a fact's
    path holds indices: a memo keyed by paths grows with the cases seen)."""
    found: dict[Any, Any] | None = program.memo.get(name)
    if found is None or len(found) > bound:
        found = program.memo[name] = {}
    return found


_Effects = tuple[tuple[tuple[str, int], ...], tuple[tuple[str, frozenset[str]], ...]]
"""A rule's effects as outcomes combine them: each scale's code by its rank, each set's
codes."""


@attrs.frozen
class _Ranked:
    """What the certain and possible outcomes are reckoned from, made once per program:
    the rules' names and effects (by index in the policy), each scale's codes' ranks,
    and, by outcome, the rules (by index) that reach each code (a scale's by rank), as a
    bit mask (bit i: rule i), which a case's pending rules (a mask too) meet in one `&`;
    the outcomes (not entries) in the policy's order, with their codes."""

    names: tuple[str, ...]
    effects: tuple[_Effects, ...]
    ranks: dict[str, dict[str, int]]
    reaching: dict[str, tuple[int, ...]]
    outcomes: tuple[tuple[str, tuple[str, ...], bool], ...]  # name, codes, a scale


def _ranked(program: Program) -> _Ranked:
    found: _Ranked | None = program.memo.get("ranked")
    if found is None:
        policy = program.policy
        ranks = {
            name: {code: i for i, code in enumerate(outcome.enum.codes)}
            for name, outcome in policy.outcomes.items()
            if outcome.kind != "entry"
        }
        effects: list[_Effects] = []
        reaching: dict[str, list[set[int]]] = {
            name: [set() for _ in codes] for name, codes in ranks.items()
        }
        for index, compiled in enumerate(program.rules):
            pairs = _rule_effects(compiled.rule)
            effects.append(
                (
                    tuple((name, ranks[name][v]) for name, v in pairs if isinstance(v, str)),
                    tuple((name, frozenset(v)) for name, v in pairs if not isinstance(v, str)),
                )
            )
            for name, value in pairs:
                for code in [value] if isinstance(value, str) else value:
                    reaching[name][ranks[name][code]].add(index)
        found = program.memo["ranked"] = _Ranked(
            tuple(compiled.rule.name for compiled in program.rules),
            tuple(effects),
            ranks,
            {name: tuple(_mask(rules) for rules in by) for name, by in reaching.items()},
            tuple(
                (name, tuple(outcome.enum.codes), outcome.kind == "scale")
                for name, outcome in policy.outcomes.items()
                if outcome.kind != "entry"
            ),
        )
    return found


def _mask(rules: Iterable[int]) -> int:
    """Rules (by index) as a bit mask: bit i set for rule i."""
    mask = 0
    for rule in rules:
        mask |= 1 << rule
    return mask


def _outcomes(
    policy: c.Policy,
    ranked: _Ranked,
    fired: frozenset[int],
    pending: int,
    memo: dict[Any, Any],
) -> tuple[OutcomeValues, OutcomeValues, int, dict[str, str]]:
    """The certain and possible outcomes of the rules (by index) that fired and those
    pending (a mask, `_mask`), the pending rules that could change them (a mask), and
    the headline's codes they
    could raise it to (see `_possible`). Many cases have the same rules fire and wait:
    reckoned once for each such pair (`memo`), each decision given outcomes of its own."""
    key = (fired, pending)
    found = memo.get(key)
    if found is None:
        certain = _certain(policy, fired, ranked.effects)
        found = memo[key] = (certain, *_possible(policy, certain, pending, ranked))
    certain, possible, changing, raising = found
    return _own(certain), _own(possible), changing, raising


def _own(values: OutcomeValues) -> OutcomeValues:
    """Outcome values no other decision holds (a set's codes in a list of its own)."""
    return {k: v if v.__class__ is str else list(v) for k, v in values.items()}


def _certain(
    policy: c.Policy, fired: frozenset[int], effects: tuple[_Effects, ...]
) -> OutcomeValues:
    """The outcomes the rules that fired reach: a scale's highest code, a set's codes."""
    best: dict[str, int] = {}  # each scale's highest rank reached
    reached: dict[str, set[str]] = {}  # each set's codes reached
    for rule in fired:  # a rule's bindings reach the same
        scales, sets = effects[rule]
        for name, rank in scales:
            if rank > best.get(name, -1):
                best[name] = rank
        for name, codes in sets:
            got = reached.get(name)
            if got is None:
                reached[name] = set(codes)
            else:
                got.update(codes)
    certain: OutcomeValues = {}
    for name, outcome in policy.outcomes.items():
        if outcome.kind == "entry":
            continue
        if outcome.kind == "scale":
            certain[name] = outcome.enum.codes[best.get(name, 0)]
        else:
            got = reached.get(name)
            certain[name] = [code for code in outcome.enum.codes if code in got] if got else []
    return certain


def _possible(
    policy: c.Policy, certain: OutcomeValues, pending: int, ranked: _Ranked
) -> tuple[OutcomeValues, int, dict[str, str]]:
    """What pending rules (a mask of their indices) could add beyond the certain
    outcomes, which rules could (a mask), and the headline's codes they could raise it
    to, by rule name (see `headline_of`).

    By code, not by rule: a pending rule changes a scale when it reaches a code ranked
    above the certain one, a set when it holds a code the set does not; the rules that
    reach each code are known beforehand (`_Ranked.reaching`, masks), so this is an `&`
    of two integers per code, however many rules are pending."""
    possible: OutcomeValues = {}
    changing = 0
    raising: dict[str, str] = {}
    if pending:
        headline = policy.headline
        for name, codes, scale in ranked.outcomes:
            reaching = ranked.reaching[name]
            value = certain[name]
            if scale:
                assert isinstance(value, str)
                now = ranked.ranks[name][value]
                for rank in range(len(codes) - 1, now, -1):
                    rules = reaching[rank] & pending
                    if rules:
                        if name not in possible:
                            possible[name] = codes[rank]
                        changing |= rules
                        if name == headline:
                            for rule in _indices(rules):
                                raising[ranked.names[rule]] = codes[rank]
            else:
                extra = []
                for rank, code in enumerate(codes):
                    rules = reaching[rank] & pending
                    if rules and code not in value:
                        extra.append(code)
                        changing |= rules
                if extra:
                    possible[name] = extra
    return possible, changing, raising


def _indices(mask: int) -> Iterator[int]:
    """The rules (indices) of a mask, in ascending order."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _open_questions(
    schema: Schema,
    facts: Mapping[str, Any],
    changing: list[Finding],
    names: tuple[str, ...],
    lang: str,
    catalogue: Catalogue,
    memo: dict[Any, Any] | None = None,
    filled: dict[Any, Any] | None = None,
    *,
    texts: bool = True,
) -> list[OpenQuestion]:
    asked: dict[str, list[str]] = {}
    screened: dict[str, str] = {}  # a name that may be on a list: the question it asks
    for index, _, _, _, unknown, matched in changing:
        rule = names[index]
        for fact in unknown:
            rules = asked.get(fact)
            if rules is None:
                asked[fact] = [rule]
            elif rule not in rules:
                rules.append(rule)
        if not texts:
            continue
        for hit in matched:
            if hit.band in ("possible", "uncovered"):
                fact = screening_fact(hit.fact, hit.list)
                if fact not in screened:
                    screened[fact] = screening_question(hit, lang, catalogue)
    make = open_question
    if not texts:
        return [make(fact, "", rules) for fact, rules in asked.items()]
    return [
        make(
            fact,
            screened.get(fact) or question_text(schema, facts, fact, lang, catalogue, memo, filled),
            rules,
        )
        for fact, rules in asked.items()
    ]


def screening_question(hit: Match, lang: str, catalogue: Catalogue = ENGINE) -> str:
    """What a name that may be on a list asks (`matches`, docs/screening.md): whether it
    is the entity found, with the evidence; or, when the list cannot answer for it, why."""
    words = catalogue.get(lang)
    if hit.band == "possible":
        return words["screening.possible"].format(
            name=hit.value, entry=hit.entry, list=hit.list, evidence=hit.evidence or ""
        )
    return words["screening.uncovered"].format(name=hit.value, list=hit.list, why=hit.evidence)


def split_path(path: str) -> list[tuple[str, int | None]]:
    """`partners[1].country` as [("partners", 1), ("country", None)] (see `kspolicy.paths`)."""
    parts: list[tuple[str, int | None]] = []
    for part in parse_path(path):
        if isinstance(part, str):
            parts.append((part, None))
        else:  # the schema has no list of lists: an index follows a name
            parts[-1] = (parts[-1][0], part)
    return parts


class _Placeholders(dict[str, str]):
    def __init__(self, record: Mapping[str, Any], fallback: str) -> None:
        super().__init__({k: str(v) for k, v in record.items() if not isinstance(v, list | dict)})
        self.fallback = fallback

    def __missing__(self, key: str) -> str:
        return self.fallback


def _element_name(schema: Schema, parts: list[tuple[str, int | None]], lang: str) -> str:
    """How a question names a list element whose own name is unknown: by its record's
    title and its place, `partner 2`, where the record has a title; else by its path."""
    path = format_path([p for n, i in parts for p in ((n,) if i is None else (n, i))])
    if not parts or parts[-1][1] is None:
        return path
    owner = schema.field_at(tuple(name for name, _ in parts))
    element = owner.type.element if owner is not None and isinstance(owner.type, ListType) else None
    if isinstance(element, RecordType) and element.title is not None:
        return f"{element.title.get(lang)} {parts[-1][1] + 1}"
    return path


def question_text(
    schema: Schema,
    facts: Mapping[str, Any],
    fact: str,
    lang: str,
    catalogue: Catalogue = ENGINE,
    memo: dict[Any, Any] | None = None,
    filled: dict[Any, Any] | None = None,
) -> str:
    """The question to ask for an unknown fact, with `{field}` filled from its record;
    for a field with no question of its own, the catalogue's `question.fallback`.
    `memo` keeps what the schema alone says of a fact (in a language), for the next;
    `filled` the texts asked for the same values (`memo` too, when not given: apart,
    the many texts of varied cases do not push the few plans out)."""
    key = (fact, lang)
    planned = memo.get(key) if memo is not None else None
    if planned is None:
        planned = _question_plan(schema, fact, lang, catalogue)
        if memo is not None:
            memo[key] = planned
    template, parts, owner, used = planned
    if parts is None:
        return template
    record: Any = facts
    for name, index in parts:  # (a case's records are dicts: read as such, at once)
        record = record.get(name) if record.__class__ is dict else Facts.field(record, name)
        if index is not None:
            record = Facts.element(record, index)
    context = record if record.__class__ is dict or isinstance(record, Mapping) else {}
    if used is None:
        return template.format_map(_Placeholders(context, owner))
    # Only the fields the question names, as many as it holds: the same texts ask the
    # same question, kept in `memo`. Texts only: 1 and 1.0, 0.0 and -0.0, True and 1 are
    # one key to a dict but read differently in a question; long texts are not kept.
    texts = filled if filled is not None else memo
    values = tuple([context.get(name, _ABSENT) for name in used])
    for value in values:
        if value is not _ABSENT and (value.__class__ is not str or len(value) > _KEPT_CHARS):
            texts = None
            break
    if texts is None:
        return template.format_map(_Placeholders(_named(context, used), owner))
    asked = (key, values)
    text: str | None = texts.get(asked)
    if text is None:
        text = texts[asked] = template.format_map(_Placeholders(_named(context, used), owner))
    return text


_ABSENT = object()
_KEPT_CHARS = 200  # the longest text a question kept in the memo may hold


def _named(context: Mapping[str, Any], used: tuple[str, ...]) -> dict[str, Any]:
    return {key: context[key] for key in used if key in context}


def _question_plan(
    schema: Schema, fact: str, lang: str, catalogue: Catalogue
) -> tuple[str, list[tuple[str, int | None]] | None, str, tuple[str, ...] | None]:
    """A fact's question: the template, the path of the record that fills it, how it
    names its owner and the fields it names (None: not only plain names); or the whole
    question (parts None) for a field with none."""
    parts = split_path(fact)
    field = schema.field_at(tuple(name for name, _ in parts))
    if field is None or field.question is None:
        return catalogue.get(lang)["question.fallback"].format(fact=fact), None, "", None
    owner = _element_name(schema, parts[:-1], lang) or fact
    template = field.question.get(lang)
    try:
        named = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError:
        named = ["?"]  # not a template `format_map` reads either: it says so, as before
    used = tuple(named) if all(name.isidentifier() for name in named) else None
    if used == ():  # a question that names no field: the same for every case
        return template.format_map(_Placeholders({}, owner)), None, "", None
    return template, parts[:-1], owner, used
