"""Explicit limits on what the engine accepts, so that no input makes Python's recursion
limit or the machine's memory the judge.

Each limit has a default that real policies and cases never reach, its own diagnostic
code, and can be raised by the embedding system: `kspolicy.load(path, limits=Limits(
max_rules=50_000))`. docs/limits.md lists them.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Limits:
    """The limits one policy is loaded and its cases evaluated with."""

    #: Nesting of conditions: parentheses, `not`, quantifiers, definitions inside
    #: definitions (KSP130; in a case file, KSP407).
    max_depth: int = 64
    #: Size of one policy or list file, in bytes (KSP131).
    max_file_bytes: int = 5_000_000
    #: Characters in one item of a policy file: a rule, a definition, a record... (KSP135).
    #: Checked before the item is parsed: parsing and evaluating a condition of 100,000
    #: operands takes seconds, and no real item comes near (the pack's largest: ~3,000).
    max_item_chars: int = 50_000
    #: Rules in a policy (KSP132).
    max_rules: int = 20_000
    #: Entries in one list (KSP133).
    max_list_entries: int = 200_000
    #: Size of one case, in bytes of its file (KSP406).
    max_case_bytes: int = 1_000_000
    #: Characters in one text of a case (KSP408).
    max_text: int = 10_000
    #: Elements in one list of a case: partners, topics... (KSP409).
    max_items: int = 1_000
    #: `any`/`all` nested inside one another in one condition, definitions included
    #: (KSP134): each level multiplies the work by the size of its collection.
    max_quantifier_depth: int = 2
    #: Bindings of one rule for one case: the product of the sizes of the collections
    #: its implicit variables range over, `partner` x `researcher`... (KSP410).
    max_bindings: int = 10_000
    #: Characters in one name to screen (`kspolicy screen`, `POST /v1/screen`): each
    #: name is compared word by word with a list's names, and a 10,000-character name
    #: costs most of a second of CPU where a real one (the longest on the lists: ~250)
    #: costs a millisecond. Refused in words naming the limit, no diagnostic code.
    max_name_chars: int = 500

    @property
    def depth(self) -> int:
        """The nesting the engine accepts: `max_depth`, but never more than it can
        evaluate (ENGINE_MAX_DEPTH)."""
        return min(self.max_depth, ENGINE_MAX_DEPTH)

    def recursion_needed(self) -> int:
        """Python frames the deepest input allowed may need (parser, checker, runtime)."""
        return self.depth * 12 + 500


#: The deepest nesting of conditions the engine evaluates and explains, whatever
#: `max_depth` says: beyond it, Python's own C stack (the JSON encoder, comparisons of
#: trees) could overflow, which no recursion limit turns into an error. Conditions
#: deeper than this get KSP130 even when `max_depth` is raised above it (docs/limits.md).
ENGINE_MAX_DEPTH = 2_000

#: What a limit's value must be, as every place that reads one says it (`kspolicy
#: check --limit`, the language server's `kspolicy.limits`): one wording, since -1 is a
#: number too.
VALUE_WANTED = "a whole number of 0 or more"


DEFAULT = Limits()
