# Vendored from the peer benchmark this project joins (shared/bench/workload.py beside
# the repository, as handed to the project on 2026-11-28), unchanged below this header,
# so that the tests and bench_load.py can build the benchmark workload without it.
# peers.py itself still reads its own copy; the two must stay identical: the sha256 of
# the peer's file, below, is what tests/test_fastpath.py holds the part under this header
# to, and the peer's file too where it lies beside the repository.
# sha256 of shared/bench/workload.py: 15f2b6059c1ef94743dca10031caa4864cbaceaf59a50b465a5a818165cc1589
"""Engine-neutral workload for the peer benchmark.

A *case* is a research-collaboration screening request (nested dicts/lists of
str/int/bool).  A *policy* is a list of rules; each rule is a conjunction of
2-4 conditions and yields one label when it fires.  The decision for a case is
the set of labels of all fired rules.

Everything is generated deterministically from a seed, so every engine (and
later the project's own engine) sees exactly the same policy and cases.
Policies are prefixes of one 3,000-rule stream: the N=30 policy is the first 30
rules of the N=300 policy, and so on.

Conditions (the neutral AST every adapter translates):

  Cmp(path, op, value)   scalar test on the case: op in {">=", "=="}
                         e.g. project.trl >= 3, project.dual_use == True,
                         project.classified == "secret"
  Exists(coll, preds)    "there is an element e of <coll> such that all preds
                         hold": the "any partner such that ..." quantifier.
                         A Pred is (attr, op, value) with op "==" (literal) or
                         "in" (value names a list in Policy.lists); attr None
                         means the element itself (project.topics is a list
                         of strings).

Labels are "<outcome>#<rule id>" (e.g. "export_license#R0042"): the outcome is
the business decision, the rule id makes the cross-check compare exactly which
rules fired (with only 8 outcomes, label sets saturate at N=3,000 and a
coarser check would hide mismatches).
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any, Union

SEED = int(os.environ.get("BENCH_SEED", "20240611"))  # another seed: a fresh workload of the same shape

# --------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------
RISK11 = ("AF", "BY", "CN", "CU", "IR", "KP", "MM", "PK", "RU", "SY", "VE")
SANCTIONED = ("BY", "CU", "IR", "KP", "RU", "SY")
TECH_TRANSFER_WATCH = ("CN", "IR", "KP", "PK", "RU")
OTHER_COUNTRIES = ("AT", "AU", "BE", "BR", "CA", "CH", "DE", "DK", "ES", "FI",
                   "FR", "GB", "IL", "IN", "IT", "JP", "KR", "NL", "NO", "PL",
                   "SE", "SG", "TR", "US", "ZA")

TECH_CATEGORIES = {
    "TECH_AI": ("ai.image_recognition", "ai.nlp", "ai.autonomy",
                "ai.decision_support", "ai.facial_recognition", "ai.generative",
                "ai.hardware"),
    "TECH_UAV": ("drones", "uav.swarming", "uav.propulsion", "uav.navigation",
                 "counter_uav"),
    "TECH_QUANTUM": ("quantum.computing", "quantum.sensing",
                     "quantum.communication", "quantum.cryptography",
                     "quantum.materials"),
    "TECH_SEMI": ("semi.lithography", "semi.design_tools", "semi.gan_devices",
                  "semi.advanced_packaging", "semi.rf_chips"),
    "TECH_SPACE": ("space.launchers", "space.satellites", "space.propulsion",
                   "space.earth_observation", "space.positioning"),
    "TECH_MATERIALS": ("mat.composites", "mat.metamaterials", "mat.superalloys",
                       "mat.additive_manufacturing", "mat.nanomaterials"),
    "TECH_BIO": ("bio.synthetic_biology", "bio.gene_editing", "bio.pathogens",
                 "bio.vaccines", "bio.neurotech"),
    "TECH_ENERGY": ("energy.fusion", "energy.hydrogen", "energy.batteries",
                    "energy.nuclear_fission", "energy.smart_grid"),
    "TECH_CYBER": ("cyber.intrusion", "cyber.cryptanalysis", "cyber.surveillance",
                   "cyber.forensics", "cyber.secure_comms"),
    "TECH_SENSING": ("sens.radar", "sens.lidar", "sens.sonar",
                     "sens.hyperspectral", "sens.night_vision"),
    "TECH_HYPERSONIC": ("hyp.scramjet", "hyp.thermal_protection", "hyp.guidance",
                        "hyp.wind_tunnels"),
    "TECH_ROBOTICS": ("rob.autonomous_vehicles", "rob.exoskeletons",
                      "rob.underwater", "rob.manipulators"),
}
CRITICAL_TECH = tuple(t for v in TECH_CATEGORIES.values() for t in v)  # 60 codes
OTHER_TOPICS = (
    "history.medieval", "linguistics", "economics.labour", "medicine.cardiology",
    "education", "agriculture.soils", "climate.modelling", "law.contracts",
    "sociology.migration", "philosophy.ethics", "art.restoration",
    "ecology.wetlands", "medicine.oncology", "psychology.cognition",
    "urban.planning", "music.theory", "archaeology", "public.health",
    "mathematics.topology", "chemistry.catalysis", "physics.cosmology",
    "geology.volcanology", "oceanography", "veterinary.science",
    "food.science", "tourism", "sports.science", "literature.modern",
    "statistics.survey_methods", "nursing",
)

PARTNER_KINDS = ("university", "company", "government", "research_institute",
                 "military")
RESEARCHER_ROLES = ("visiting", "phd", "postdoc", "staff", "guest_professor")
FUNDER_KINDS = ("government", "private", "eu", "foundation", "military")
CLASSIFIED_LEVELS = ("none", "restricted", "confidential", "secret")
OUTCOMES = ("committee", "export_license", "contact_point", "security_review",
            "legal_review", "enhanced_due_diligence", "notify_ministry",
            "reject")

_REAL_LISTED = (
    "Beihang University", "Harbin Institute of Technology",
    "Northwestern Polytechnical University",
    "National University of Defense Technology",
    "Harbin Engineering University", "Nanjing University of Aeronautics",
    "Sharif University of Technology", "Malek Ashtar University",
    "Bauman Moscow State Technical University",
    "Moscow Institute of Physics and Technology",
)
_LISTED_A = ("Northern", "Eastern", "Central", "Southern", "Western", "Polytechnic",
             "State", "National", "Applied", "Advanced", "Strategic", "Federal")
_LISTED_B = ("Aerospace", "Optics", "Materials", "Electronics", "Radar", "Propulsion",
             "Photonics", "Cyber", "Marine", "Nuclear", "Ordnance", "Avionics",
             "Guidance", "Telemetry", "Rocketry")
_LISTED_C = ("University", "Institute", "Laboratory", "Academy",
             "Research Center", "Corporation", "Group")
_BENIGN_CITY = ("Ghent", "Leuven", "Delft", "Utrecht", "Lyon", "Bologna", "Porto",
                "Uppsala", "Aarhus", "Graz", "Basel", "Kyoto", "Toronto",
                "Melbourne", "Austin", "Edinburgh", "Bergen", "Tartu", "Krakow",
                "Valencia", "Bremen", "Leiden", "Lund", "Turku", "Salzburg")
_BENIGN_KIND = ("University of", "Institute of Technology", "Medical Center",
                "Research Foundation", "School of Economics", "Polytechnic",
                "Applied Sciences", "Innovation Hub", "Labs")


def _listed_names() -> tuple[str, ...]:
    names = list(_REAL_LISTED)
    for a in _LISTED_A:
        for b in _LISTED_B:
            for c in _LISTED_C:
                names.append(f"{a} {b} {c}")
    rng = random.Random(SEED + 1)
    rng.shuffle(names[len(_REAL_LISTED):])
    return tuple(names[:320])


def _benign_names() -> tuple[str, ...]:
    out = []
    for city in _BENIGN_CITY:
        for kind in _BENIGN_KIND:
            out.append(f"University of {city}" if kind == "University of"
                       else f"{city} {kind}")
    return tuple(out)


LISTED_NAMES = _listed_names()
BENIGN_NAMES = _benign_names()


def _entity_lists() -> dict[str, tuple[str, ...]]:
    rng = random.Random(SEED + 2)
    lists = {}
    for i in range(1, 21):
        size = 7 if i == 1 else (100 if i == 2 else rng.randint(7, 100))
        pool = list(LISTED_NAMES)
        rng.shuffle(pool)
        chosen = pool[:size]
        if i <= 3:  # the famous ones are on the first lists
            chosen = list(dict.fromkeys(list(_REAL_LISTED[:5]) + chosen))[:size]
        lists[f"ENTITY_LIST_{i:02d}"] = tuple(sorted(chosen))
    return lists


def all_lists() -> dict[str, tuple[str, ...]]:
    lists: dict[str, tuple[str, ...]] = {
        "RISK11": RISK11,
        "SANCTIONED": SANCTIONED,
        "TECH_TRANSFER_WATCH": TECH_TRANSFER_WATCH,
        "CRITICAL_TECH": CRITICAL_TECH,
    }
    lists.update(TECH_CATEGORIES)
    lists.update(_entity_lists())
    return lists


# --------------------------------------------------------------------------
# Neutral policy AST
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Cmp:
    path: tuple[str, ...]
    op: str          # ">=" or "=="
    value: Any


@dataclass(frozen=True)
class Pred:
    attr: Union[str, None]  # None: the element itself
    op: str                 # "==" (literal) or "in" (name of a list)
    value: Any


@dataclass(frozen=True)
class Exists:
    coll: tuple[str, ...]
    preds: tuple[Pred, ...]


Cond = Union[Cmp, Exists]


@dataclass(frozen=True)
class Rule:
    id: str
    outcome: str
    conds: tuple[Cond, ...]

    @property
    def label(self) -> str:
        return f"{self.outcome}#{self.id}"


@dataclass
class Policy:
    rules: list[Rule]
    lists: dict[str, tuple[str, ...]] = field(default_factory=all_lists)

    @property
    def n(self) -> int:
        return len(self.rules)

    def used_lists(self) -> list[str]:
        used = set()
        for r in self.rules:
            for c in r.conds:
                if isinstance(c, Exists):
                    for p in c.preds:
                        if p.op == "in":
                            used.add(p.value)
        return sorted(used)


# --------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------
_COND_KINDS = ("trl", "dual_use", "classified", "topic", "partner",
               "partner_name", "researcher", "funder")
_COND_WEIGHTS = (14, 12, 5, 22, 20, 10, 10, 7)


def _country_list(rng: random.Random) -> str:
    return rng.choices(("RISK11", "SANCTIONED", "TECH_TRANSFER_WATCH"),
                       weights=(70, 15, 15))[0]


def _make_cond(kind: str, rng: random.Random, entity_lists: list[str]) -> Cond:
    if kind == "trl":
        return Cmp(("project", "trl"), ">=", rng.choice((3, 3, 3, 4, 5, 6)))
    if kind == "dual_use":
        return Cmp(("project", "dual_use"), "==", rng.random() < 0.9)
    if kind == "classified":
        return Cmp(("project", "classified"), "==",
                   rng.choice(("restricted", "confidential", "secret")))
    if kind == "topic":
        lst = "CRITICAL_TECH" if rng.random() < 0.4 else rng.choice(
            tuple(TECH_CATEGORIES))
        return Exists(("project", "topics"), (Pred(None, "in", lst),))
    if kind == "partner_name":
        return Exists(("partners",), (Pred("name", "in", rng.choice(entity_lists)),))
    if kind == "partner":
        opts = [Pred("country", "in", _country_list(rng)),
                Pred("kind", "==", rng.choice(PARTNER_KINDS)),
                Pred("military_ties", "==", True)]
        k = rng.choice((1, 2, 2, 3))
        chosen = rng.sample(opts, k)
        if not any(p.attr in ("country", "military_ties") for p in chosen):
            chosen.append(opts[0])
        return Exists(("partners",), tuple(sorted(chosen, key=lambda p: p.attr)))
    if kind == "researcher":
        opts = [Pred("nationality", "in", _country_list(rng)),
                Pred("role", "==", rng.choice(RESEARCHER_ROLES)),
                Pred("military_background", "==", True)]
        k = rng.choice((1, 2, 2, 3))
        chosen = rng.sample(opts, k)
        if not any(p.attr in ("nationality", "military_background") for p in chosen):
            chosen.append(opts[0])
        return Exists(("researchers",), tuple(sorted(chosen, key=lambda p: p.attr)))
    if kind == "funder":
        opts = [Pred("country", "in", _country_list(rng)),
                Pred("kind", "==", rng.choice(FUNDER_KINDS)),
                Pred("unusual_terms", "==", True)]
        k = rng.choice((1, 2))
        return Exists(("funders",), tuple(sorted(rng.sample(opts, k),
                                                 key=lambda p: p.attr)))
    raise ValueError(kind)


def make_policy(n: int, seed: int = SEED) -> Policy:
    """First n rules of the seeded rule stream (policies are prefixes)."""
    rng = random.Random(seed)
    lists = all_lists()
    entity_lists = sorted(k for k in lists if k.startswith("ENTITY_LIST_"))
    rules = []
    for i in range(n):
        k = rng.choice((2, 2, 3, 3, 3, 4))
        kinds: list[str] = []
        while len(kinds) < k:
            kd = rng.choices(_COND_KINDS, weights=_COND_WEIGHTS)[0]
            if kd not in kinds:
                kinds.append(kd)
        conds = tuple(_make_cond(kd, rng, entity_lists) for kd in kinds)
        rules.append(Rule(f"R{i + 1:04d}", rng.choice(OUTCOMES), conds))
    return Policy(rules, lists)


def make_cases(n: int = 1000, seed: int = SEED + 7) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        profile = rng.random()  # 0-0.35 benign, 0.35-0.8 mixed, 0.8-1 risky
        risk = 0.03 if profile < 0.35 else (0.25 if profile < 0.8 else 0.6)
        n_topics = rng.randint(1, 4)
        topics = []
        for _ in range(n_topics):
            crit = rng.random() < (0.15 if profile < 0.35 else 0.6)
            topics.append(rng.choice(CRITICAL_TECH if crit else OTHER_TOPICS))
        topics = list(dict.fromkeys(topics))

        def country():
            return rng.choice(RISK11) if rng.random() < risk else rng.choice(OTHER_COUNTRIES)

        partners = []
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            listed = rng.random() < risk * 0.6
            partners.append({
                "name": rng.choice(LISTED_NAMES if listed else BENIGN_NAMES),
                "country": country(),
                "kind": rng.choice(PARTNER_KINDS),
                "military_ties": rng.random() < risk * 0.5,
            })
        researchers = [{
            "role": rng.choice(RESEARCHER_ROLES),
            "nationality": country(),
            "military_background": rng.random() < risk * 0.4,
        } for _ in range(rng.choice((0, 1, 1, 2, 3)))]
        funders = [{
            "country": country(),
            "kind": rng.choice(FUNDER_KINDS),
            "unusual_terms": rng.random() < risk * 0.4,
        } for _ in range(rng.choice((0, 1, 1, 2)))]
        cases.append({
            "project": {
                "topics": topics,
                "trl": rng.randint(1, 9),
                "dual_use": rng.random() < (0.1 if profile < 0.35 else 0.45),
                "classified": rng.choices(CLASSIFIED_LEVELS, weights=(80, 10, 6, 4))[0],
            },
            "partners": partners,
            "researchers": researchers,
            "funders": funders,
        })
    return cases


# --------------------------------------------------------------------------
# Reference semantics (the oracle for the cross-check)
# --------------------------------------------------------------------------
def get_path(obj: Any, path: tuple[str, ...]) -> Any:
    for k in path:
        obj = obj[k]
    return obj


def _pred_holds(p: Pred, elem: Any, sets: dict[str, frozenset]) -> bool:
    v = elem if p.attr is None else elem[p.attr]
    if p.op == "==":
        return v == p.value
    if p.op == "in":
        return v in sets[p.value]
    raise ValueError(p.op)


def cond_holds(c: Cond, case: dict, sets: dict[str, frozenset]) -> bool:
    if isinstance(c, Cmp):
        v = get_path(case, c.path)
        if c.op == ">=":
            return v >= c.value
        if c.op == "==":
            return v == c.value
        raise ValueError(c.op)
    return any(all(_pred_holds(p, e, sets) for p in c.preds)
               for e in get_path(case, c.coll))


def reference_decide(policy: Policy, case: dict) -> frozenset:
    sets = {k: frozenset(v) for k, v in policy.lists.items()}
    return frozenset(r.label for r in policy.rules
                     if all(cond_holds(c, case, sets) for c in r.conds))


def describe(policy: Policy, cases: list[dict]) -> dict:
    """Workload statistics for the report."""
    sets = {k: frozenset(v) for k, v in policy.lists.items()}
    fired = [sum(1 for r in policy.rules
                 if all(cond_holds(c, case, sets) for c in r.conds))
             for case in cases]
    fired_sorted = sorted(fired)
    n_conds = [len(r.conds) for r in policy.rules]
    n_exists = sum(isinstance(c, Exists) for r in policy.rules for c in r.conds)
    return {
        "rules": policy.n,
        "conditions": sum(n_conds),
        "exists_conditions": n_exists,
        "mean_fired_per_case": sum(fired) / len(fired),
        "median_fired_per_case": fired_sorted[len(fired) // 2],
        "max_fired_per_case": fired_sorted[-1],
        "cases_with_no_label": sum(1 for f in fired if f == 0),
    }


if __name__ == "__main__":  # quick look at the workload
    import json
    cases = make_cases()
    print(json.dumps(cases[0], indent=1))
    for n in (30, 300, 3000):
        print(n, describe(make_policy(n), cases))
