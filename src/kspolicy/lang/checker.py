"""Names and types: from syntax trees to a checked policy, or every error found.

The check is two passes, run in this order over all items of all files of a policy:

1. `declarations`: the header, the types and the case schema, the decision's outcomes,
   the names of the definitions and rules. It gives a `Declared`.
2. `expressions`: every condition and effect typed against that `Declared`, which it
   only reads. It gives the outcomes, definitions and rules, typed.

Data flows one way, from the first pass to the second and from both to here, where the
checked policy is put together. Neither pass stops at the first error; they share one
list of diagnostics, and a policy with any error is not returned.

One mistake is reported once. A declaration that fails (a field of an unknown type, an
enum from an unknown list, a list in a list file that does not read) *poisons* its name:
the first pass gives the poisoned names in `Declared.poisoned`, and what uses one of
them, in either pass, is not reported again, so the real cause is not buried under, or
printed after, the follow-on errors it causes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..diagnostics import Diagnostic
from ..limits import DEFAULT, Limits
from . import checked as c
from . import nodes as n
from . import reviews
from .catalogue import Catalogue, Messages
from .declarations import Declarations
from .expressions import Expressions
from .lists import NamedList
from .schema import Schema


class Checker:
    """Checks one policy: construct, call `check`, read `diagnostics`."""

    def __init__(
        self,
        modules: Sequence[n.Module],
        lists: dict[str, NamedList],
        limits: Limits = DEFAULT,
        messages: Mapping[str, Messages] | None = None,
        broken_lists: Iterable[str] = (),
    ) -> None:
        self.modules = modules
        self.lists = lists
        self.limits = limits
        self.messages = Catalogue(messages)  # the policy's own messages files, by language
        self.diagnostics: list[Diagnostic] = []
        # The lists of list files that did not read (already reported): poisoned names.
        self.broken_lists = frozenset(broken_lists)
        # How deep the conditions checked nest, a definition as deep as what it stands
        # for: the depth their evaluation recurses to (the facade sizes its frames by
        # it). Set by `check`, from the expression pass.
        self.deepest = 0

    def check(self, sha256: str, files: tuple[tuple[str, str], ...]) -> c.Policy | None:
        """The checked policy, or None when any error was found (see `diagnostics`)."""
        declared = Declarations(
            self.modules, self.lists, self.limits, self.diagnostics, self.broken_lists
        ).declare()
        typed = Expressions(declared, self.lists, self.limits, self.diagnostics).check()
        schema = Schema(declared.root, declared.records, declared.enums, declared.binders)
        # Reviewers' answers name lists and countries too: a list file alone cannot tell
        # if the list exists, or if a case can give the country.
        self.diagnostics.extend(reviews.naming_no_list(self.lists, self.broken_lists))
        self.diagnostics.extend(reviews.country_not_held(self.lists, schema))
        self.deepest = typed.deepest
        header = declared.header
        if any(d.is_error for d in self.diagnostics) or header is None:
            return None
        return c.Policy(
            name=header.name.text,
            version=header.version,
            title=header.title,
            languages=tuple(lang.text for lang in header.languages),
            schema=schema,
            lists=self.lists,
            outcomes=typed.outcomes,
            definitions=typed.definitions,
            rules=typed.rules,
            sha256=sha256,
            files=files,
            headline=declared.headline,
            messages=self.messages,
        )
