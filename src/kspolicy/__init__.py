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

from .diagnostics import CaseError, CaseProblem, Diagnostic, KspolicyError, PolicyError, Severity
from .eval.decision import (
    Decision,
    OpenQuestion,
    OutcomeError,
    PolicyInfo,
    RuleResult,
    TraceNode,
)
from .limits import Limits
from .policy import Policy, check, load
from .version import __version__ as __version__

__all__ = [
    "CaseError",
    "CaseProblem",
    "Decision",
    "Diagnostic",
    "KspolicyError",
    "Limits",
    "OpenQuestion",
    "OutcomeError",
    "Policy",
    "PolicyError",
    "PolicyInfo",
    "RuleResult",
    "Severity",
    "TraceNode",
    "check",
    "load",
]
