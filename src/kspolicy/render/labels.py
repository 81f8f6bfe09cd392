"""The words a decision is shown in, beyond its codes: the headline, whether it is
final or only *so far*, and the names of records, lists and reference fields in the
decision's language. Every renderer (text, explanation, the HTML title) takes them from
here, so that they say the same in each.
"""

from __future__ import annotations

from ..eval.decision import Decision
from ..lang import checked as c
from ..lang.catalogue import Messages
from ..lang.schema import ListType, RecordType


def so_far(decision: Decision, words: Messages, policy: c.Policy | None = None) -> str | None:
    """The provisional headline as one sentence, such as "Provisional decision: tell the
    contact point; checks follow. 3 open questions could still change this to: apply to
    the competent committee."; None when no open question could change the headline.

    Codes are named by their labels in the decision's language when the checked `policy`
    is given and declares them (`named`), so that a Dutch sentence holds Dutch words
    only; else, and for a code without a label, by the code.
    """
    headline = decision.headline
    if headline is None or not headline.provisional or headline.could_become is None:
        return None
    count = len(headline.questions)
    key = "headline.so_far_one" if count == 1 else "headline.so_far"
    value = named(policy, headline.outcome, headline.value, words)
    could = named(policy, headline.outcome, headline.could_become, words)
    return words[key].format(value=value, count=count, could=could)


def named(policy: c.Policy | None, outcome: str, code: str, words: Messages) -> str:
    """A code of an outcome as a sentence names it after a colon: its label in the
    words' language, starting lower case (`in_sentence`), or the code when it has no
    label. The code itself stays out: a reader's sentence holds the reader's words, and
    the codes are listed with the outcomes (and in the JSON decision)."""
    found = policy.outcomes.get(outcome) if policy is not None else None
    text = found.enum.labels.get(code) if found is not None else None
    if text is None:
        return code
    return in_sentence(text.get(words.lang))


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "Tell the contact point" becomes "tell the
    contact point", while a label that starts with an acronym or a name written in
    capitals ("FWO does not fund", "EU") keeps its first letter. A mark or quote before
    the first letter stays as it is."""
    first = next((i for i, char in enumerate(label) if char.isalpha()), None)
    if first is None:
        return label
    end = next((i for i in range(first, len(label)) if not label[i].isalpha()), len(label))
    word = label[first:end]
    if len(word) > 1 and word.isupper():  # an acronym: "EU", "FWO"
        return label
    return label[:first] + label[first].lower() + label[first + 1 :]


def headline_line(decision: Decision, words: Messages, policy: c.Policy | None = None) -> str:
    """The headline in one line: its code, or its provisional form (see `so_far`); ""
    without one."""
    headline = decision.headline
    if headline is None:
        return ""
    return so_far(decision, words, policy) or headline.value


def binder_label(policy: c.Policy | None, binder: str, index: int, lang: str) -> str:
    """A bound record as people count it, 1-based and in the language: "onderzoeker 1"
    for `researcher` 0, from the record's title; the binder's name without one."""
    record = _record_of(policy, binder) if policy is not None else None
    name = record.title.get(lang) if record is not None and record.title else binder
    return f"{name} {index + 1}"


def _record_of(policy: c.Policy, binder: str) -> RecordType | None:
    found = policy.schema.binders.get(binder)
    field = policy.schema.root.fields.get(found.collection) if found else None
    element = field.type.element if field and isinstance(field.type, ListType) else None
    return element if isinstance(element, RecordType) else None


def list_title(policy: c.Policy | None, name: str, lang: str) -> str:
    """A list as people know it: its title in the language, else its name."""
    found = policy.lists.get(name) if policy is not None else None
    return found.title_in(lang) if found is not None else name


def field_label(policy: c.Policy | None, outcome: str, field: str, lang: str) -> str:
    """A field of an `entry of` outcome's records (`email`) in the language, as the
    list's `labels` give it; the field's name without one."""
    found = policy.outcomes.get(outcome) if policy is not None else None
    if found is None or found.records is None:
        return field
    return str(found.records.label_in(field, lang))
