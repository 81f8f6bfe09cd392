"""Reads one item in one loop: lexer.py's tokens, Lark's LALR table, the builder's nodes.

Lark's parser feeds each token through a generic loop and builds a `lark.Tree` for
every rule it reduces, which parser.py's builder then walks again to make nodes: two
thirds of the time to load a large policy. This reader drives the same LALR(1) table
that Lark computed from grammar/kspolicy.lark, but calls the builder as each rule is
reduced, so no tree is made; each rule's reduction is a small function written out
from the grammar when the reader is made (`_Plan.source`). The shape of what the
builder is given follows Lark's parse-tree rules, as lark/parse_tree_builder.py
defines them (`_rule`s spliced into their parent, `?rule`s with one child replaced by
it, `[optional]` parts absent as None), with every token kept and keywords left out
by parser.py's own convention.

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


def named_terminals(parser: Lark) -> frozenset[str]:
    """Terminals with a name in the grammar (NAME, STRING...): the tokens a node keeps.
    The others are keywords and punctuation, written as "..." in the grammar."""
    return frozenset(str(t.name) for t in parser.terminals if t.pattern.type == "re")


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

    __slots__ = ("size", "origin", "terms", "parts", "trailing", "makes", "unwrap", "method")

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
        self.terms = tuple(symbol.is_term for symbol in expansion)  # a token: 0 high, placed
        # How many Nones (absent `[optional]` parts) go before each child and after the last.
        nones = [0] * (self.size + 1)
        if rule.options.empty_indices:
            child = 0
            for absent in rule.options.empty_indices:
                if absent:
                    nones[child] += 1
                else:
                    child += 1
        absent_parts = sum(nones)
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
            if len(kept) + absent_parts == 1:
                only = kept[0]
                if only.is_term and only.name not in named or only.name.startswith("_"):
                    raise Refused(f"`{name}` would stand for a keyword or a spliced rule")
                self.makes = _PASS  # the child stays as it is: only the state changes

    def source(self, number: int) -> str:
        """A function `reduce_<number>` that reduces by this rule on the reader's stacks.

        The stacks are parallel lists (state, value, start, end, height per entry). The
        function pops the rule's children, makes its value and pushes it with its span
        and height and the state the table goes to (`goto_<number>`, by the state
        below). Written out per rule, with what is known of each child (a token has a
        place and no height) spelled in, it does much less than one generic function
        looping over every plan did (a cold load of 3,000 rules: 1.42 -> 1.14 s).
        """
        size = self.size
        lines = [f"def reduce_{number}(builder, states, values, starts, ends, heights):"]
        if self.makes == _PASS:
            lines.append(f"    states[-1] = goto_{number}[states[-2]]")
            return "\n".join(lines) + "\n"
        if size == 1:
            lines += ["    v0 = values.pop()", "    s0 = starts.pop()", "    e0 = ends.pop()"]
            lines += ["    h0 = heights.pop()", "    del states[-1]"]
        elif size:
            for stack, letter in (("values", "v"), ("starts", "s"), ("ends", "e")):
                unpacked = ", ".join(f"{letter}{i}" for i in range(size))
                lines.append(f"    {unpacked} = {stack}[-{size}:]")
            for i in range(size):
                if not self.terms[i]:
                    lines.append(f"    h{i} = heights[{i - size}]")
            lines.append(f"    del values[-{size}:], starts[-{size}:], ends[-{size}:]")
            lines.append(f"    del heights[-{size}:], states[-{size}:]")
        # A node spans its first child's start to its last child's end, keywords
        # included; a child with no token (start -1) does not count.
        begin = finish = "-1"
        for i in reversed(range(size)):
            begin = f"s{i}" if self.terms[i] else f"(s{i} if s{i} >= 0 else {begin})"
        for i in range(size):
            finish = f"e{i}" if self.terms[i] else f"(e{i} if s{i} >= 0 else {finish})"
        lines += [f"    begin = {begin}", f"    finish = {finish}"]
        below = [f"h{i}" for i in range(size) if not self.terms[i]]
        high = "0" if not below else below[0] if len(below) == 1 else f"max({', '.join(below)})"
        elements: list[str] = []
        for index, spliced, nones in self.parts:
            elements += ["None"] * nones
            elements.append(f"*v{index}" if spliced else f"v{index}")
        elements += ["None"] * self.trailing
        if self.makes == _UNWRAP:
            lines.append(f"    value = v{self.unwrap}")
        elif self.makes == _SPLICE:
            first = self.parts[0] if self.parts else None
            if first is not None and first[1] and not first[2]:
                # Left recursion (`__x_star: __x_star x`): grow the list already made,
                # as Lark does; nothing else holds it.
                lines.append(f"    value = v{first[0]}")
                rest = elements[1:]
                if len(rest) == 1 and not rest[0].startswith("*"):
                    lines.append(f"    value.append({rest[0]})")
                elif rest:
                    lines.append(f"    value += [{', '.join(rest)}]")
            else:
                lines.append(f"    value = [{', '.join(elements)}]")
        elif self.method is None:
            lines.append(f"    value = [{', '.join(elements)}]")
            high = f"{high} + 1"
        else:
            arguments = ", ".join(["builder", "Meta(begin, finish)", *elements])
            lines.append(f"    value = method_{number}({arguments})")
            high = f"{high} + 1"
        lines += [
            f"    states.append(goto_{number}[states[-1]])",
            "    values.append(value)",
            "    starts.append(begin)",
            "    ends.append(finish)",
            f"    heights.append({high})",
        ]
        return "\n".join(lines) + "\n"


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
        named = named_terminals(parser)
        self._named = named
        try:
            self._scanner = Scanner(parser.terminals, lexer_conf.ignore, states)
        except NoToken as exc:
            raise Refused(str(exc)) from exc
        numbers: dict[Any, int] = {}
        plans: list[_Plan] = []
        for rule in parser.rules:
            numbers[rule] = len(plans)
            plans.append(_Plan(rule, named, unwrapped, keeps_tokens, methods))
        # actions[state][terminal]: the next state (shift, >= 0) or ~rule number (reduce);
        # goto[rule name][state]: the state after reducing to that rule.
        self._actions: dict[int, dict[str, int]] = {}
        goto: dict[str, dict[int, int]] = {}
        for state, row in states.items():
            actions = self._actions[state] = {}
            for symbol, (action, argument) in row.items():
                if action.name != "Shift":
                    actions[str(symbol)] = ~numbers[argument]
                elif symbol in terminals:
                    actions[str(symbol)] = argument
                else:
                    goto.setdefault(str(symbol), {})[state] = argument
        namespace: dict[str, Any] = {"Meta": Meta}
        for number, plan in enumerate(plans):
            namespace[f"goto_{number}"] = goto.get(plan.origin, {})
            namespace[f"method_{number}"] = plan.method
        # Written from the grammar alone: no policy text is ever part of this code.
        # Compiled one function at a time: compiling all at once took 9 MiB for a moment,
        # which the process then kept.
        sources = [plan.source(number) for number, plan in enumerate(plans)]
        for source in sources:
            exec(compile(source, "<kspolicy.lalr reducers>", "exec"), namespace)
        self.source = "".join(sources)
        self._reducers = [namespace[f"reduce_{number}"] for number in range(len(plans))]

    def read(self, text: str, builder: Any) -> tuple[Any, int]:
        """The value of the whole text (for `start`: the list of its items), and the
        height of the tree Lark would have built (brackets and titles add no level)."""
        actions, reducers, named = self._actions, self._reducers, self._named
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
            action = actions[states[-1]].get(kind)
            while action is not None and action < 0:
                reducers[~action](builder, states, values, starts, ends, heights)
                if kind == END and states[-1] == accept:
                    return values[-1], heights[-1]
                action = actions[states[-1]].get(kind)
            if action is None:
                raise Refused(f"{kind} at {start}")
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
