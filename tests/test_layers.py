"""The layers of docs/architecture.md: every import goes down the layers, and none is in a cycle.

Every import counts: at module level and inside functions, `import x` and `from x import
y`, relative and absolute (`kspolicy.…`). A module's layer is its package (`lang`,
`eval`, `render`, `tools`) or, at the top, the module itself (`span`, `policy`, ...).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import kspolicy

PACKAGE = Path(kspolicy.__file__).parent
ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"

# Lower numbers are lower layers; a module imports from its own layer or lower ones.
# docs/architecture.md holds the same table (checked below).
LAYERS = {
    "span": 0,
    "diagnostics": 0,
    "limits": 0,
    "files": 0,
    "paths": 0,
    "version": 0,
    "screening": 0,  # a package of its own, on layer 0 only, so that lang and eval may use it
    "lang": 1,
    "eval": 2,
    "render": 3,
    "policy": 4,
    "__init__": 4,  # the package's own __init__.py: the facade
    "tools": 5,
    "lsp": 5,  # editor support, built on the facade like tools
    "prove": 5,  # proofs about policies (docs/analysis.md), beside the tools
    "service": 5,  # beside tools: the HTTP service (docs/service.md)
    "__main__": 5,  # `python -m kspolicy`: the command line, as the console script runs it
}


def _modules(package: Path) -> dict[str, Path]:
    """Each module's dotted name relative to the package ("" for its __init__.py)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _layer(module: str) -> str:
    return module.split(".")[0] if module else "__init__"


@functools.cache
def _import_nodes(path: Path) -> tuple[ast.Import | ast.ImportFrom, ...]:
    """Every import statement of a file, anywhere in it. Read once per file and run: the
    tests below each read all of src/ (the planted packages are files of their own)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return tuple(node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom))


def _imports(package: Path, module: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """The package's modules that `module` imports anywhere in its code, with the line."""
    own = module.split(".") if module else []
    here = own if path.name == "__init__.py" else own[:-1]  # what `.` means in this file
    found: list[tuple[str, int]] = []

    def add(target: list[str], names: list[str], line: int) -> None:
        base = ".".join(target)
        for name in names:  # `from . import nodes`: the name is a module of its own
            sub = f"{base}.{name}" if base else name
            if sub in known:
                found.append((sub, line))
            else:
                found.append((base, line))

    for node in _import_nodes(path):
        if isinstance(node, ast.ImportFrom):
            names = [alias.name for alias in node.names]
            if node.level:
                up = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                add(
                    [*up, *(node.module or "").split(".")] if node.module else up,
                    names,
                    node.lineno,
                )
            elif node.module and (node.module + ".").startswith(package.name + "."):
                add(node.module.split(".")[1:], names, node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.name + ".").startswith(package.name + "."):
                    found.append((".".join(alias.name.split(".")[1:]), node.lineno))
    return found


def layer_problems(package: Path, layers: dict[str, int]) -> list[str]:
    """Every upward import, import of no module, module without a layer, and import cycle."""
    modules = _modules(package)
    known = set(modules)
    problems: list[str] = []
    graph: dict[str, dict[str, int]] = {m: {} for m in modules}
    name = package.name

    def shown(module: str) -> str:
        return f"{name}.{module}" if module else name

    for module, path in modules.items():
        if _layer(module) not in layers:
            problems.append(f"{shown(module)} has no layer: add it to the table")
            continue
        for target, line in _imports(package, module, path, known):
            where = f"{path.relative_to(package.parent)}:{line}"
            if target not in known:
                problems.append(f"{where}: {shown(module)} imports {shown(target)}, no module")
                continue
            graph[module].setdefault(target, line)
            mine, theirs = layers[_layer(module)], layers.get(_layer(target), -1)
            if theirs > mine:
                problems.append(
                    f"{where}: {shown(module)} (layer {mine}) imports {shown(target)} "
                    f"(layer {theirs}), a higher layer"
                )
    for cycle in _cycles(graph):
        steps = [
            f"{shown(a)} imports {shown(b)} "
            f"({modules[a].relative_to(package.parent)}:{graph[a][b]})"
            for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True)
        ]
        problems.append("import cycle: " + "; ".join(steps))
    return problems


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle through each strongly connected component of more than one module (or a
    module that imports itself), by Tarjan's algorithm, kept iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    components.append(component)
    return [_cycle_in(graph, set(component)) for component in components]


def _cycle_in(graph: dict[str, dict[str, int]], members: set[str]) -> list[str]:
    """A cycle through the first member, within its component (a path back to the start)."""
    start = min(members)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node]):
            if child == start:
                return paths[node]
            if child in members and child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")  # a component always has one


def _documented_layers() -> dict[str, int]:
    """The layer table of docs/architecture.md: `| 1 | `lang` | ... |` rows."""
    table = {}
    for number, names in re.findall(r"^\| *(\d+) *\|([^|\n]*)\|", ARCHITECTURE.read_text(), re.M):
        for name in re.findall(r"`([\w.]+)`", names):
            table[name.removeprefix("kspolicy.").removesuffix(".py")] = int(number)
    return table


def test_imports_go_down_the_layers_and_never_in_a_cycle() -> None:
    assert layer_problems(PACKAGE, LAYERS) == []


def test_the_layer_table_is_the_one_docs_architecture_shows() -> None:
    assert _documented_layers() == LAYERS


def test_the_checker_catches_a_planted_upward_import_and_a_planted_cycle(tmp_path: Path) -> None:
    # A fake kspolicy with each kind of fault, so that the checks above cannot pass
    # because the checker reads nothing.
    package = tmp_path / "kspolicy"
    for folder in ("lang", "tools"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from .tools import cli\n")
    (package / "span.py").write_text("def f():\n    from .lang.parser import parse\n")
    (package / "lang" / "parser.py").write_text("import kspolicy.lang.checker\n\nparse = 1\n")
    (package / "lang" / "checker.py").write_text("def g():\n    from . import parser\n")
    (package / "tools" / "cli.py").write_text("from kspolicy.span import f\nfrom ..gone import x\n")
    (package / "odd.py").write_text("")
    problems = layer_problems(package, LAYERS)
    assert sorted(problems) == sorted(
        [
            "kspolicy/__init__.py:1: kspolicy (layer 4) imports kspolicy.tools.cli (layer 5), "
            "a higher layer",
            "kspolicy/span.py:2: kspolicy.span (layer 0) imports kspolicy.lang.parser "
            "(layer 1), a higher layer",
            "kspolicy/tools/cli.py:2: kspolicy.tools.cli imports kspolicy.gone, no module",
            "kspolicy.odd has no layer: add it to the table",
            "import cycle: kspolicy.lang.checker imports kspolicy.lang.parser "
            "(kspolicy/lang/checker.py:2); kspolicy.lang.parser imports "
            "kspolicy.lang.checker (kspolicy/lang/parser.py:1)",
        ]
    )


def test_a_module_that_imports_itself_is_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "kspolicy"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "span.py").write_text("def f():\n    from . import span\n")
    assert layer_problems(package, LAYERS) == [
        "import cycle: kspolicy.span imports kspolicy.span (kspolicy/span.py:2)"
    ]


def test_nothing_imports_the_cli() -> None:
    modules = _modules(PACKAGE)
    for module, path in modules.items():
        if module not in ("tools.cli", "tools.entry"):  # entry: the console script's module
            targets = {t for t, _ in _imports(PACKAGE, module, path, set(modules))}
            assert "tools.cli" not in targets, path
