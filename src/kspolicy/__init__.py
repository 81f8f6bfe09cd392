"""kspolicy: a rules engine with a declarative, explainable policy language.

    >>> import kspolicy
    >>> policy = kspolicy.load()             # the built-in knowledge-security pack
    >>> case = {"partners": [{"name": "HIT", "country": "CN"}]}
    >>> decision = policy.evaluate(case, as_of="2026-01-15")
    >>> decision.outcomes["verdict"], decision.outcomes["risk"]
    ('notify', 'high')
    >>> "project.topics" in [q.fact for q in decision.open_questions]   # what to ask
    True
    >>> decision.to_dict()["outcomes"]["verdict"]                      # the JSON form
    'notify'

(tests/test_docs.py runs this example.)

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
    "ArgumentError",
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
