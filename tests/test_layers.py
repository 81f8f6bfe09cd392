"""The layers of DESIGN.md: a module imports only from lower layers (or its own)."""

from __future__ import annotations

import ast
from pathlib import Path

import kspolicy

PACKAGE = Path(kspolicy.__file__).parent

LAYERS = {
    "span": 0,
    "limits": 0,
    "diagnostics": 0,
    "nodes": 1,
    "schema": 1,
    "decision": 1,
    "lists": 1,
    "checked": 1,
    "parser": 2,
    "serde": 2,
    "cache": 3,
    "checker": 3,
    "lints": 3,
    "loader": 3,
    "runtime": 4,
    "compiler": 4,
    "fastpath": 4,
    "render": 5,
    "formatter": 5,
    "policy": 5,
    "audit": 6,
    "batch": 6,
    "interview": 6,
    "testing": 6,
    "cli": 6,
    "__init__": 6,
}


def _module_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in tree.body:  # module level only: a lazy import inside a function is a choice
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            target = (node.module or "").split(".")[0]
            if node.level == 2 or not target:
                target = (node.module or "").split(".")[0] if node.level == 2 else ""
            if target:
                found.add(target)
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_every_module_has_a_layer() -> None:
    modules = {_module_of(p) for p in PACKAGE.rglob("*.py")}
    assert modules - set(LAYERS) == set()


def test_imports_go_down_the_layers() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_of(path)
        for target in _imports(path):
            if target in LAYERS and LAYERS[target] > LAYERS[module]:
                wrong.append(
                    f"{module} (layer {LAYERS[module]}) imports {target} (layer {LAYERS[target]})"
                )
    assert wrong == []


def test_nothing_imports_the_cli() -> None:
    for path in PACKAGE.rglob("*.py"):
        if _module_of(path) != "cli":
            assert "cli" not in _imports(path), path
