"""A question's text depends on its case alone, not on the cases decided before it.

The text is kept for the same values (issue 16), and 1 and 1.0, 0.0 and -0.0, True and
1 are one key to a dict: a memo keyed by them asked "amount 1?" of a case holding 1.0
once a case holding 1 had been decided. Found by a review of the fast decision.
"""

from __future__ import annotations

from pathlib import Path

import kspolicy

POLICY = """\
policy qtest version "1.0"
  title en "Q" nl "Q"
  languages en, nl

decision {
  verdict: scale clear < notify < review
}

record Partner named by name {
  name: text
  amount: number
  flag: bool
    question en "Flag for {name} with amount {amount}?" nl "Vlag voor {name} met bedrag {amount}?"
}

schema {
  partners: list of Partner as partner
}

rule r1
  title en "r1" nl "r1"
  cite "x"
  when partner.flag and partner.amount < 5
  then verdict >= review
  because en "x" nl "x"
"""


def _questions(policy: kspolicy.Policy, amount: object) -> list[str]:
    case = {"partners": [{"name": "A", "amount": amount}]}
    decision = policy.evaluate(case, as_of="2025-01-01")
    return [question.question for question in decision.open_questions]


def test_equal_numbers_written_differently_ask_their_own_question(tmp_path: Path) -> None:
    (tmp_path / "policy.pol").write_text(POLICY, encoding="utf-8")
    policy = kspolicy.load(tmp_path)
    amounts: list[object] = [1, 1.0, 0.0, -0.0, 0, 1, 1.0]
    asked = [_questions(policy, amount) for amount in amounts]
    fresh = [_questions(kspolicy.load(tmp_path), amount) for amount in amounts]
    assert asked == fresh
    assert asked[1] == ["Flag for A with amount 1.0?"]
    assert asked[3] == ["Flag for A with amount -0.0?"]
    assert asked[4] == ["Flag for A with amount 0?"]
