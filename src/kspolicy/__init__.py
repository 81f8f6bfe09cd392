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

The names of the package (imported when first used):

- `load`, `check`, `Policy` (`evaluate`, `evaluate_many`, `compact_decision`,
  `rule_statuses`) and `Limits`;
- `Decision`, `OpenQuestion`, `RuleResult`, `TraceNode`, `PolicyInfo`, `OutcomeError`,
  `DecisionFormatError`;
- `KspolicyError`, `PolicyError`, `CaseError`, `ArgumentError`, `CaseProblem`,
  `Diagnostic`, `Severity`; and `__version__`.
"""

# Under private names: `import kspolicy` offers only the package's own names.
import typing as _typing

if _typing.TYPE_CHECKING:
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
        DecisionFormatError,
        OpenQuestion,
        OutcomeError,
        PolicyInfo,
        RuleResult,
        TraceNode,
    )
    from .limits import Limits
    from .policy import Policy, check, load
    from .version import __version__ as __version__

# The facade's names are imported when first used (PEP 562), not by `import kspolicy`:
# importing the engine takes a moment, and the `kspolicy` command must be able to answer
# a Ctrl-C from its first instant (tools/entry.py), which it can only do once a module of
# its own runs, after this one.
_HOMES = {
    **dict.fromkeys(
        (
            "ArgumentError",
            "CaseError",
            "CaseProblem",
            "Diagnostic",
            "KspolicyError",
            "PolicyError",
            "Severity",
        ),
        "diagnostics",
    ),
    **dict.fromkeys(
        (
            "Decision",
            "DecisionFormatError",
            "OpenQuestion",
            "OutcomeError",
            "PolicyInfo",
            "RuleResult",
            "TraceNode",
        ),
        "eval.decision",
    ),
    "Limits": "limits",
    **dict.fromkeys(("Policy", "check", "load"), "policy"),
    "__version__": "version",
}


if not _typing.TYPE_CHECKING:  # a type checker sees the imports above: a typo stays an error

    def __getattr__(name: str) -> _typing.Any:
        """A facade name, imported from its module on first use; a submodule by its
        name (`kspolicy.diagnostics`), as an eager import made them attributes."""
        import importlib

        home = _HOMES.get(name)
        if home is None:
            if not name.isidentifier():  # "." or "eval.decision": not an attribute
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
            try:
                return importlib.import_module(f"{__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{__name__}.{name}":
                    raise
                raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value
        return value


__all__ = [
    "ArgumentError",
    "CaseError",
    "CaseProblem",
    "Decision",
    "DecisionFormatError",
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


def __dir__() -> list[str]:
    """The package's names, imported or not yet (tab completion, `help`), its dunders
    and the submodules imported so far, not its private helpers."""
    import sys

    prefix = f"{__name__}."
    submodules = {
        name[len(prefix) :]
        for name in sys.modules
        if name.startswith(prefix) and "." not in name[len(prefix) :]
    }
    dunders = {name for name in globals() if name.startswith("__") and name.endswith("__")}
    return sorted({*__all__, "__version__", *dunders, *submodules})
