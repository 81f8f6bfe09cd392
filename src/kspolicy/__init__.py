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

from importlib.metadata import PackageNotFoundError, version

from .diagnostics import CaseError, CaseProblem, Diagnostic, KspolicyError, PolicyError, Severity
from .eval.decision import Decision, OpenQuestion, PolicyInfo, RuleResult, TraceNode
from .limits import Limits
from .policy import Policy, check, load

try:
    __version__ = version("kspolicy")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
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
