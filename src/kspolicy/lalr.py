"""Reads one item in one loop: lexer.py's tokens, Lark's LALR table, the builder's nodes.

Lark's parser feeds each token through a generic loop and builds a `lark.Tree` for
every rule it reduces, which parser.py's builder then walks again to make nodes: two
thirds of the time to load a large policy. This reader drives the same LALR(1) table
that Lark computed from grammar/kspolicy.lark, but calls the builder as each rule is
reduced, so no tree is made. The shape of what the builder is given follows Lark's
parse-tree rules, as lark/parse_tree_builder.py defines them (`_rule`s spliced into
their parent, `?rule`s with one child replaced by it, `[optional]` parts absent as
None), with every token kept and keywords left out by parser.py's own convention.

Like lexer.py it is only ever the first attempt: anything it cannot read (a token the
lexer does not know, a token the table has no action for) raises `Refused`, and
parser.py parses the item again with Lark, whose errors become the diagnostics.
tests/test_parser_positions.py checks that both build the same nodes and spans.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from lark import Lark, Token

from .lexer import END, NoToken, Scanner

_new_str = str.__new__


class Refused(Exception):
    """This reader cannot read the item (so: Lark's turn, for the diagnostic)."""


class Meta:
    """Where a node starts and ends in its item (`empty` when it has no token)."""

    __slots__ = ("start_pos", "end_pos", "empty")

    def __init__(self, start: int, end: int) -> None:
        self.start_pos = start
        self.end_pos = end
        self.empty = start < 0


# What a reduction makes of its children (the `_Plan.makes` field).
_PASS = 0  # a `?rule` with one child: that child, unchanged
_SPLICE = 1  # a `_rule`: its children, to be spliced into the parent's
_UNWRAP = 2  # `( expr )`, `title text`: the child at `_Plan.unwrap`, with the outer span
_BUILD = 3  # a node: the builder's method for the rule (or alias), or the list of items


class _Plan:
    """How to reduce by one grammar rule, worked out once from Lark's Rule."""

    __slots__ = ("size", "origin", "parts", "trailing", "makes", "unwrap", "method")

    def __init__(
        self,
        rule: Any,
        named: Collection[str],
        unwrapped: Mapping[str, int],
        keeps_tokens: Collection[str],
        methods: Mapping[str, Callable[..., Any]],
    ) -> None:
        name = rule.alias or rule.options.template_source or rule.origin.name
        expansion = rule.expansion
        self.size = len(expansion)
        self.origin = str(rule.origin.name)
        # How many Nones (absent `[optional]` parts) go before each child and after the last.
        nones = [0] * (self.size + 1)
        if rule.options.empty_indices:
            child = 0
            for absent in rule.options.empty_indices:
                if absent:
                    nones[child] += 1
                else:
                    child += 1
        # parts: (index, spliced, Nones before) for each child the node is given.
        parts = []
        for index, symbol in enumerate(expansion):
            keyword = symbol.is_term and symbol.name not in named
            if keyword and name not in keeps_tokens:
                nones[index + 1] += nones[index]  # the Nones still go where they were
                continue
            spliced = not symbol.is_term and symbol.name.startswith("_")
            parts.append((index, spliced, nones[index]))
        self.parts = tuple(parts)
        self.trailing = nones[self.size]
        self.unwrap = unwrapped.get(name)
        self.method = methods.get(name)
        if self.origin.startswith("_"):
            self.makes = _SPLICE
            if name in keeps_tokens:
                raise Refused(f"`{name}` keeps its keywords but is spliced")
        elif self.unwrap is not None:
            self.makes = _UNWRAP
        else:
            self.makes = _BUILD
        # A `?rule` given exactly one child (as Lark counts: every token, each spliced
        # child, each None) is replaced by it. With one part that is not spliced, that
        # is always so; with more, never (a spliced rule has at least one child).
        if rule.options.expand1 and not rule.alias:
            kept = [s for s in expansion if rule.options.keep_all_tokens or not s.filter_out]
            if len(kept) + sum(nones) == 1:
                only = kept[0]
                if only.is_term and only.name not in named or only.name.startswith("_"):
                    raise Refused(f"`{name}` would stand for a keyword or a spliced rule")
                self.makes = _PASS  # the child stays as it is: only the state changes


class ItemReader:
    """Parses items of the grammar `parser` was built from, building nodes as it goes.

    `methods` maps a rule's name (or alias) to the function that builds its node,
    called as `method(builder, Meta(start, end), *children)`; rules without one (only
    `start`) give the list of their children. `unwrapped` names the rules that stand
    for one of their children (its index), `keeps_tokens` those given their keywords
    too. Raises Refused at construction if Lark's parser is not one it can drive.
    """

    def __init__(
        self,
        parser: Lark,
        methods: Mapping[str, Callable[..., Any]],
        unwrapped: Mapping[str, int],
        keeps_tokens: Collection[str],
    ) -> None:
        try:
            table = parser.parser.parser.parser.parse_table  # Lark 1.x: ParsingFrontend → _Parser
            lexer_conf = parser.lexer_conf
            states = table.states
            self._start = table.start_states["start"]
            self._accept = table.end_states["start"]
        except (AttributeError, KeyError) as exc:
            raise Refused(f"not Lark's LALR parser as known: {exc}") from exc
        # Lark's names are Token objects, whose `==` is a Python call: plain texts here.
        terminals = {str(t.name) for t in parser.terminals} | {END}
        named = frozenset(str(t.name) for t in parser.terminals if t.pattern.type == "re")
        self._named = named
        try:
            self._scanner = Scanner(parser.terminals, lexer_conf.ignore, states)
        except NoToken as exc:
            raise Refused(str(exc)) from exc
        plans: dict[Any, int] = {}
        self._plans: list[_Plan] = []
        for rule in parser.rules:
            plans[rule] = len(self._plans)
            self._plans.append(_Plan(rule, named, unwrapped, keeps_tokens, methods))
        # actions[state][terminal]: the next state (shift, >= 0) or ~plan (reduce, < 0);
        # goto[state][rule name]: the state after reducing to that rule.
        self._actions: dict[int, dict[str, int]] = {}
        self._goto: dict[int, dict[str, int]] = {}
        for state, row in states.items():
            actions = self._actions[state] = {}
            goto = self._goto[state] = {}
            for symbol, (action, argument) in row.items():
                if action.name == "Shift":
                    (actions if symbol in terminals else goto)[str(symbol)] = argument
                else:
                    actions[str(symbol)] = ~plans[argument]

    def read(self, text: str, builder: Any) -> tuple[Any, int]:
        """The value of the whole text (for `start`: the list of its items), and the
        height of the tree Lark would have built (brackets and titles add no level)."""
        actions, goto, plans, named = self._actions, self._goto, self._plans, self._named
        scan = self._scanner.scan
        accept = self._accept
        end = len(text)
        # Parallel stacks: parser state, value, where it starts and ends, its height.
        # A token is 0 high; a keyword's value is its text (only `comparison` keeps one).
        states = [self._start]
        values: list[Any] = [None]
        starts = [-1]
        ends = [-1]
        heights = [0]
        pos = 0
        while True:
            try:
                kind, start, stop = scan(text, pos, end, states[-1])
            except NoToken as exc:
                raise Refused(f"no token at {exc}") from None
            while True:
                action = actions[states[-1]].get(kind)
                if action is None:
                    raise Refused(f"{kind} at {start}")
                if action >= 0:  # shift
                    break
                plan = plans[~action]
                if plan.makes == _PASS:
                    state = states[-1] = goto[states[-2]][plan.origin]
                    value, high = values[-1], heights[-1]
                else:
                    value, begin, finish, high = self._reduce(
                        plan, builder, values, starts, ends, heights
                    )
                    if plan.size:
                        del states[-plan.size :]
                    state = goto[states[-1]][plan.origin]
                    states.append(state)
                    values.append(value)
                    starts.append(begin)
                    ends.append(finish)
                    heights.append(high)
                if state == accept and kind == END:
                    return value, high
            if kind == END:
                raise Refused("the table shifts the end")
            states.append(action)
            word = text[start:stop]
            if kind in named:
                token = _new_str(Token, word)
                token.type = kind
                token.value = word
                token.start_pos = start
                token.end_pos = stop
                token.line = token.column = token.end_line = token.end_column = None
                values.append(token)
            else:
                values.append(word)
            starts.append(start)
            ends.append(stop)
            heights.append(0)
            pos = stop

    @staticmethod
    def _reduce(
        plan: _Plan,
        builder: Any,
        values: list[Any],
        starts: list[int],
        ends: list[int],
        heights: list[int],
    ) -> tuple[Any, int, int, int]:
        """Pop a rule's children off the stacks: its value, start, end and height."""
        size = plan.size
        if size:
            args = values[-size:]
            firsts = starts[-size:]
            lasts = ends[-size:]
            high = max(heights[-size:])
            del values[-size:], starts[-size:], ends[-size:], heights[-size:]
        else:
            args, firsts, lasts, high = [], [], [], 0
        # A node spans its first child's start to its last child's end, keywords
        # included; children with no token (start -1) do not count.
        begin = finish = -1
        for first in firsts:
            if first >= 0:
                begin = first
                break
        for at in range(size - 1, -1, -1):
            if firsts[at] >= 0:
                finish = lasts[at]
                break
        if plan.makes == _UNWRAP:
            return args[plan.unwrap], begin, finish, high  # type: ignore[index]
        children: list[Any] = []
        for at, spliced, nones in plan.parts:
            if nones:
                children += [None] * nones
            if spliced:
                children += args[at]
            else:
                children.append(args[at])
        if plan.trailing:
            children += [None] * plan.trailing
        if plan.makes == _SPLICE:
            return children, begin, finish, high
        method = plan.method
        value = children if method is None else method(builder, Meta(begin, finish), *children)
        return value, begin, finish, high + 1
