"""The project's import graph read from the source (ast, nothing imported): every import, at module level or inside a function.

Used by tests/test_layers.py; run as a script it prints the counts the layering is judged by::

    python3 tests/import_graph.py [ROOT]

An import ``from pkg import name`` is an edge to the module ``pkg.name`` when that is a
module of the project, else to ``pkg`` (its ``__init__``); ``import a.b`` is an edge to
``a.b``. The implicit run of a parent package's ``__init__`` is not an edge (the usual
convention: it would make every package a cycle with its own modules).
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGES = (
    "games",
    "mcts",
    "zero",
    "selfplay",
)  # the project's top-level packages (tests/ and configs/ are not code layers)


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (both dotted project modules) at ``line``; ``in_function``: inside a def (run on call)."""

    source: str
    target: str
    line: int
    in_function: bool


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of the project's packages."""
    return {module_name(root, path): path for package in PACKAGES for path in sorted((root / package).rglob("*.py"))}


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute module of a relative ``from ... import`` in ``module``."""
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, modules: dict[str, Path]) -> list[str]:
    def nearest(dotted: str) -> str | None:
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            candidate = ".".join(parts[:i])
            if candidate in modules:
                return candidate
        return None

    found: list[str | None] = []
    if isinstance(node, ast.Import):
        found = [nearest(alias.name) for alias in node.names]
    else:
        base = _absolute(module, is_package, node.level, node.module)
        for alias in node.names:
            full = f"{base}.{alias.name}"
            found.append(full if full in modules else nearest(base))
    return [t for t in found if t is not None and t != module]


def import_edges(root: Path) -> list[Edge]:
    """Every import between project modules, module-level and function-level, in file order."""
    modules = project_modules(root)
    edges: list[Edge] = []
    for module, path in modules.items():
        _collect(ast.parse(path.read_text(), str(path)), module, path.name == "__init__.py", modules, False, edges)
    return edges


def _collect(
    node: ast.AST, module: str, is_package: bool, modules: dict[str, Path], in_function: bool, edges: list[Edge]
) -> None:
    """Append the imports under ``node`` of ``module`` to ``edges`` (``in_function`` once inside a def or lambda)."""
    for child in ast.iter_child_nodes(node):
        nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            for target in _targets(child, module, is_package, modules):
                edges.append(Edge(module, target, child.lineno, nested))
        _collect(child, module, is_package, modules, nested, edges)


def cycles(edges: list[Edge], *, include_function_level: bool) -> list[list[str]]:
    """The strongly connected components of more than one module (each a cycle of imports), sorted."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        if include_function_level or not e.in_function:
            graph.setdefault(e.source, set()).add(e.target)
            graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(components)


def is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def private_reaches(edges: list[Edge]) -> list[Edge]:
    """Imports of a private module (a ``_name`` in its path) from outside the package that holds it."""
    out = []
    for e in edges:
        if not is_private(e.target):
            continue
        owner = e.target.split(".")
        owner = owner[: next(i for i, part in enumerate(owner) if part.startswith("_"))]
        if e.source.split(".")[: len(owner)] != owner:
            out.append(e)
    return out


def largest_function(root: Path) -> tuple[int, str]:
    """(lines, "module:function") of the longest function or method of the project."""
    best = (0, "")
    for module, path in project_modules(root).items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                best = max(best, (lines, f"{module}:{node.name}"))
    return best


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else Path(__file__).resolve().parents[1]).resolve()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_layers import upward_imports  # the one ordered list lives in the test

    edges = import_edges(root)
    module_cycles = cycles(edges, include_function_level=False)
    all_cycles = cycles(edges, include_function_level=True)
    print(f"modules: {len(project_modules(root))}, imports between them: {len(edges)}")
    print(f"import cycles, module level: {len(module_cycles)} {module_cycles}")
    print(f"import cycles, function level included: {len(all_cycles)} {all_cycles}")
    private = sorted({(e.source, e.target) for e in private_reaches(edges)})
    print(f"modules importing another package's private module: {len({s for s, _ in private})} {private}")
    upward = sorted({(e.source, e.target) for e in upward_imports(edges)})
    print(f"upward imports: {len(upward)} {upward}")
    lines, name = largest_function(root)
    print(f"largest function: {lines} lines ({name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
