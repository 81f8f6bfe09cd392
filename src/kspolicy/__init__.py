"""kspolicy: a rules engine with a declarative, explainable policy language.

    import kspolicy

    policy = kspolicy.load()                 # the built-in knowledge-security pack
    decision = policy.evaluate({"project": {"topics": ["robotics.drones"]}})
    decision.outcomes["verdict"]             # "notify"
    decision.to_dict()                       # the stable JSON form

`load(path)` reads any policy directory; `check(path)` lists its diagnostics without
raising. Errors derive from `KspolicyError`: `PolicyError` carries diagnostics,
`CaseError` lists every bad field of a case.
"""

from .diagnostics import (
    ArgumentError,
    CaseError,
    CaseProblem,
    Diagnostic,
    KspolicyError,
    PolicyError,
    Severity,
)
from .eval.decision import Decision, OpenQuestion, PolicyInfo, RuleResult, TraceNode
from .limits import Limits
from .policy import Policy, check, load
from .version import __version__ as __version__

__all__ = [
    "ArgumentError",
    "CaseError",
    "CaseProblem",
    "Decision",
    "Diagnostic",
    "KspolicyError",
    "Limits",
    "OpenQuestion",
    "Policy",
    "PolicyError",
    "PolicyInfo",
    "RuleResult",
    "Severity",
    "TraceNode",
    "check",
    "load",
]
