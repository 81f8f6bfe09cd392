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
import operator
import string
from collections.abc import Callable, Collection, Iterator, Mapping
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
    # the limit, to name the first rule that is (most cases have none). `facts.value_at`
    # written in place, a dict and a list known by their exact type before the abstract
    # classes are asked: this runs for every case decided.
    root = facts.root
    for collections in program.combinations:
        count = 1
        for fields in collections:
            value: Any = root
            for name in fields:
                value = (
                    value.get(name) if type(value) is dict or isinstance(value, Mapping) else None
                )
            if type(value) is list or isinstance(value, list | tuple):
                count *= len(value)
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
                # The trace's binding is its own: the rule result's is another dict.
                trace.append(RuleTrace(rule.name, dict(indices), verdict.status, verdict.steps))
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
    return compact_rows(
        info,
        lang,
        concluded.outcomes,
        concluded.possible,
        concluded.headline,
        _names(program),
        concluded.fired,  # the findings are the rows: made for this case, handed over
        concluded.pending,
        concluded.asked,
        held=False,  # every part made for this case and this call: nothing to copy
    )


@attrs.define
class _Concluded:
    fired: list[Finding]
    pending: list[Finding]
    outcomes: OutcomeValues
    possible: OutcomeValues
    questions: list[OpenQuestion]  # with texts (see `_conclude`)
    asked: list[str]  # without: the open questions' facts
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
    fired: list[Finding] = []
    pending: list[Finding] = []
    # One pass, not a comprehension each: a finding's value is True (fired) or None.
    for finding in program.runner.findings(case, as_of):
        (fired if finding[1] else pending).append(finding)
    return _conclude(program, case.root, env, as_of, lang, fired, pending, texts)


_UNKNOWN = operator.itemgetter(4)  # a finding's unknown facts (`runner.Finding`)


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
    form, which holds neither question texts nor entries' data in `references`: the open
    questions are only their facts (`asked`), no `OpenQuestion` made."""
    policy = program.policy
    ranked = _ranked(program)
    outcomes, possible, changing, raising = _outcomes(ranked, fired, pending)
    questions: list[OpenQuestion] = []
    asked: list[str] = []
    by_entry: list[tuple[str, str]] = []  # without texts: an entry's question, its outcome
    if texts:
        plans = _memo(program, "question plans", 4_096)  # by fact and language: few
        filled = _memo(program, "questions", 4_096)  # by the values they name: many
        questions = _open_questions(
            policy.schema, facts, changing, ranked.names, lang, policy.messages, plans, filled
        )
    else:
        asked = [*dict.fromkeys(itertools.chain.from_iterable(map(_UNKNOWN, changing)))]
    references: dict[str, dict[str, Any]] = {}
    for outcome, key in program.entries:
        found_key = key(env)
        if found_key.value is None:
            if texts:
                known = {q.fact for q in questions}
                questions += [
                    OpenQuestion(
                        fact,
                        # With the memos: a plan made anew cost ~30 us a question.
                        question_text(
                            policy.schema, facts, fact, lang, policy.messages, plans, filled
                        ),
                        [outcome.name],
                    )
                    for fact in found_key.unknowns
                    if fact not in known
                ]
            else:
                known = {*asked, *(fact for fact, _ in by_entry)}
                by_entry += [
                    (fact, outcome.name) for fact in found_key.unknowns if fact not in known
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
    raised: list[str] = []  # the open questions whose answers could raise the headline
    if raising:
        if texts:
            waiting = raising.keys()
            raised = [q.fact for q in questions if not waiting.isdisjoint(q.rules)]
        else:
            names = ranked.names
            facts_of = {fact for f in changing if names[f[0]] in raising for fact in f[4]}
            raised = [fact for fact in asked if fact in facts_of]
            raised += [fact for fact, name in by_entry if name in raising]
    if by_entry:
        asked += [fact for fact, _ in by_entry]
    headline = _headline(policy, outcomes, possible, raising, raised)
    return _Concluded(fired, pending, outcomes, possible, questions, asked, references, headline)


def _headline(
    policy: c.Policy,
    outcomes: OutcomeValues,
    possible: OutcomeValues,
    raising: dict[str, str],
    raised: list[str],
) -> Headline | None:
    """`summary.headline_of(policy, outcomes, ..., questions, raising)`, the same
    headline, given the open questions whose answers could raise it (`raised`)."""
    name = policy.headline
    value = outcomes.get(name) if name is not None else None
    if name is None or not isinstance(value, str):
        return None
    if not raising:
        return Headline(name, value)
    # The highest of the codes the rules in `raising` reach: the headline's possible
    # code, which is the highest code above the certain one a pending rule reaches
    # (`_outcomes`), without ranking each rule's again.
    highest = possible[name]
    assert isinstance(highest, str)
    return Headline(name, value, True, highest, raised)


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


def _memo(program: Program, name: str, bound: int = 20_000) -> dict[Any, Any]:
    """One of the program's memos, emptied when it grows past `bound` entries (a fact's
    path holds indices: a memo keyed by paths grows with the cases seen)."""
    found: dict[Any, Any] | None = program.memo.get(name)
    if found is None or len(found) > bound:
        found = program.memo[name] = {}
    return found


_Outcome = tuple[
    str,
    tuple[str, ...],
    bool,
    int,
    int,
    dict[int, tuple[str, ...]],
    dict[int, tuple[Any, int]],  # a scale's code (str) or a set's codes (a tuple)
]
"""An outcome as `_Ranked` holds it: its name, codes, whether it is a scale, its offset
and its full mask (a bit per code) in a rule's `bits`; for a set, the codes each mask
met so far holds; and what each mask of codes reached met so far makes certain (a
scale's code, a set's codes) with the codes it leaves open, at the outcome's offset
(`_certain`). The last two filled as cases meet them."""


@attrs.frozen
class _Ranked:
    """What the certain and possible outcomes are reckoned from, made once per program:
    the rules' names (by index in the policy) and, for each rule, the codes it reaches
    as one integer (`bits`: a bit per code of each scale and set outcome, at the
    outcome's offset, a scale's codes by rank), so that what the rules that fired reach
    is an `|` of one integer per finding, and what a pending rule could add an `&`; the
    outcomes (not entries) in the policy's order (`_Outcome`); and the headline's
    offset, full mask and codes when it is one of these scales, with each rule's codes
    of it alone (`heads`: a few bits, where `bits` is a long integer)."""

    names: tuple[str, ...]
    bits: tuple[int, ...]
    outcomes: tuple[_Outcome, ...]
    headline: tuple[int, int, tuple[str, ...]] | None  # offset, full mask, codes
    heads: tuple[int, ...]


def _ranked(program: Program) -> _Ranked:
    found: _Ranked | None = program.memo.get("ranked")
    if found is None:
        policy = program.policy
        outcomes: list[_Outcome] = []
        at: dict[str, tuple[int, dict[str, int]]] = {}  # each outcome's offset, codes' ranks
        offset = 0
        headline = None
        for name, outcome in policy.outcomes.items():
            if outcome.kind == "entry":
                continue
            codes = tuple(outcome.enum.codes)
            full = (1 << len(codes)) - 1
            outcomes.append((name, codes, outcome.kind == "scale", offset, full, {}, {}))
            at[name] = (offset, {code: i for i, code in enumerate(codes)})
            if name == policy.headline and outcome.kind == "scale":
                headline = (offset, full, codes)
            offset += len(codes)
        bits = []
        for compiled in program.rules:
            reached = 0
            for name, value in _rule_effects(compiled.rule):
                start, ranks = at[name]
                for code in [value] if isinstance(value, str) else value:
                    reached |= 1 << (start + ranks[code])
            bits.append(reached)
        found = program.memo["ranked"] = _Ranked(
            tuple(compiled.rule.name for compiled in program.rules),
            tuple(bits),
            tuple(outcomes),
            headline,
            tuple(reached >> headline[0] & headline[1] if headline else 0 for reached in bits),
        )
    return found


def _outcomes(
    ranked: _Ranked, fired: list[Finding], pending: list[Finding]
) -> tuple[OutcomeValues, OutcomeValues, list[Finding], dict[str, str]]:
    """The certain and possible outcomes of the findings that fired and those pending,
    the pending findings that could change them, and the headline's codes they could
    raise it to, by rule name (see `headline_of`).

    By code, not by rule: what the rules that fired reach is the `|` of their codes
    (`_Ranked.bits`); a pending rule changes a scale when it reaches a code ranked above
    the certain one, a set when it holds a code the set does not, which is an `&` with
    the codes the certain outcomes leave open (`_certain`). Not kept for the next case:
    varied cases rarely reach the same codes (3,032 sets of codes fired in 5,000
    generated cases), and reckoning them costs little more than a look-up."""
    bits = ranked.bits
    reached = 0
    for finding in fired:
        reached |= bits[finding[0]]
    certain, open_codes = _certain(ranked, reached)
    extra = 0
    changing = []
    for finding in pending:
        adds = bits[finding[0]] & open_codes
        if adds:
            extra |= adds
            changing.append(finding)
    raising: dict[str, str] = {}
    if not extra:
        return certain, {}, changing, raising
    headline = ranked.headline
    if headline is not None and extra >> headline[0] & headline[1]:
        start, full, codes = headline
        names = ranked.names
        heads = ranked.heads
        above = open_codes >> start & full
        for finding in changing:
            rank = heads[finding[0]] & above
            if rank:  # a scale rule reaches one code of it
                raising[names[finding[0]]] = codes[rank.bit_length() - 1]
    return certain, _possible(ranked, extra), changing, raising


def _certain(ranked: _Ranked, reached: int) -> tuple[OutcomeValues, int]:
    """The outcomes these codes (`_Ranked.bits`) make certain, a scale's highest code
    reached (its lowest when none is), a set's codes; and the codes a pending rule could
    still add (a scale's above its certain code, a set's it does not hold)."""
    certain: OutcomeValues = {}
    open_codes = 0
    # Each outcome's part of `reached` takes few values (a scale's highest code, a set's
    # few combinations): what it makes certain is looked up, not reckoned anew.
    for name, codes, scale, offset, full, _, made in ranked.outcomes:
        field = reached >> offset & full
        found = made.get(field)
        if found is None:
            found = _certain_field(made, codes, scale, offset, full, field)
        value, opened = found
        certain[name] = value if scale else [*value]
        open_codes |= opened
    return certain, open_codes


def _certain_field(
    made: dict[int, tuple[Any, int]],
    codes: tuple[str, ...],
    scale: bool,
    offset: int,
    full: int,
    field: int,
) -> tuple[Any, int]:
    """What an outcome's codes reached (`field`) make certain, a scale's highest code
    (its lowest when none is) or a set's codes, and the codes they leave open, at the
    outcome's offset (a scale's above its certain code, a set's it does not hold); kept
    in `made`, bounded like `_held`."""
    if len(made) > 4_096:
        made.clear()
    if scale:
        rank = field.bit_length() - 1 if field else 0
        found: tuple[Any, int] = (
            codes[rank],
            (full + 1 - (2 << rank)) << offset,  # the ranks above
        )
    else:
        found = (_codes_of(codes, field), (full ^ field) << offset)
    made[field] = found
    return found


def _possible(ranked: _Ranked, extra: int) -> OutcomeValues:
    """What pending rules could add beyond the certain outcomes, given as the codes they
    reach that those leave open (`_certain`): a scale's highest such code, a set's codes."""
    possible: OutcomeValues = {}
    for name, codes, scale, offset, full, known, _ in ranked.outcomes:
        field = extra >> offset & full
        if field:
            if scale:
                possible[name] = codes[field.bit_length() - 1]
            else:
                held = known.get(field)
                possible[name] = [*(held if held is not None else _held(known, codes, field))]
    return possible


def _held(known: dict[int, tuple[str, ...]], codes: tuple[str, ...], mask: int) -> tuple[str, ...]:
    """The codes a set's mask holds, in the set's order, kept in `known` (bounded: a
    set of many codes could be met in many ways)."""
    if len(known) > 4_096:
        known.clear()
    held = known[mask] = _codes_of(codes, mask)
    return held


def _codes_of(codes: tuple[str, ...], mask: int) -> tuple[str, ...]:
    """The codes a set's mask holds (a bit per code), in the set's order."""
    return tuple(code for i, code in enumerate(codes) if mask >> i & 1)


def _open_questions(
    schema: Schema,
    facts: Mapping[str, Any],
    changing: list[Finding],
    names: tuple[str, ...],
    lang: str,
    catalogue: Catalogue,
    memo: dict[Any, Any] | None = None,
    filled: dict[Any, Any] | None = None,
) -> list[OpenQuestion]:
    """The open questions the pending findings that could change the decision ask: each
    unknown fact once, with the rules that wait on it and its question's text."""
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
        for hit in matched:
            if hit.band in ("possible", "uncovered"):
                fact = screening_fact(hit.fact, hit.list)
                if fact not in screened:
                    screened[fact] = screening_question(hit, lang, catalogue)
    make = open_question
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
