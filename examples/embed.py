"""How an institutional system embeds kspolicy: load once, evaluate many, read decisions.

A grant-management system screens its projects: it loads the knowledge-security pack
once at start-up, turns each project record into a case, evaluates it, and stores what
the researcher must do next, with the reasons an auditor will want to see later.

    python examples/embed.py
"""

from __future__ import annotations

import json
from typing import Any

import kspolicy

# Records as the grant system holds them (a real system reads its database).
PROJECTS: list[dict[str, Any]] = [
    {
        "id": "G-2026-014",
        "institution": "UGent",
        "topics": ["robotics.drones"],
        "partners": [{"name": "Harbin Institute of Technology", "country": "CN"}],
        "programme": "FWO",
    },
    {
        "id": "G-2026-015",
        "institution": "KU Leuven",
        "topics": ["linguistics"],
        "partners": [{"name": "Universiteit Utrecht", "country": "NL", "kind": "university"}],
        "programme": "BOF",
    },
]


def to_case(record: dict[str, Any]) -> dict[str, Any]:
    """The grant system's record as a kspolicy case (the field names of the pack's schema.pol)."""
    return {
        "institution": record["institution"],
        "project": {"topics": record["topics"], "programme": record["programme"]},
        "partners": record["partners"],
        "researchers": [],
        "funders": [],
    }


def screen(policy: kspolicy.Policy, record: dict[str, Any]) -> dict[str, Any]:
    """What the system stores for one project."""
    try:
        decision = policy.evaluate(to_case(record), as_of="2026-01-15", lang="en")
    except kspolicy.CaseError as error:  # a bad record: every problem, with its path
        return {"id": record["id"], "error": [str(p) for p in error.problems]}
    return {
        "id": record["id"],
        # Typed reading: a scale's code is a str, a set's codes a frozenset[str]; a
        # misspelt outcome name is an error (OutcomeError), not an empty answer.
        "verdict": decision.scale("verdict"),
        "to_do": sorted(decision.codes("obligations") | decision.codes("checks")),
        "certain_because": [f"{r.title} [{', '.join(r.cite)}]" for r in decision.fired],
        "could_become": decision.possible_scale("verdict"),  # None: nothing unknown raises it
        "ask_the_researcher": [q.question for q in decision.open_questions[:3]],
        "contact": decision.references.get("contact_point", {}).get("email"),
        "policy": decision.policy.sha256[:12],  # which policy and lists decided: for audits
    }


def main() -> list[dict[str, Any]]:
    policy = kspolicy.load()  # once: parsing and checking happen here, not per case
    return [screen(policy, record) for record in PROJECTS]


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, ensure_ascii=False))
