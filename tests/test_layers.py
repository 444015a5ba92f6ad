"""The import layering of the project (ARCHITECTURE.md), checked on the source: one ordered list of layers, every module, imports inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from import_graph import Edge, cycles, import_edges, private_reaches, project_modules

ROOT = Path(__file__).resolve().parents[1]

# The one list, lowest first: a module may import modules of its own layer and of the
# layers above it in this list, never of a layer below it. A module belongs to the
# longest entry that is its name or a prefix of it (``zero.nn.network`` -> ``zero.nn``).
LAYERS = [
    "games",  # rules engines: Go (Numba board, SGF, search adapter) and tic-tac-toe; no search, no torch
    "mcts",  # batched PUCT search over any SearchGame, evaluated by any Evaluator; no game, no torch
    "zero.common",  # config library, atomic files, metrics log, match statistics; no other project package
    "zero.nn",  # policy-value network, checkpoints, batched inference (torch), the shipped networks
    "zero.learn",  # replay window and trainer
    "selfplay",  # workers, arena, learner, the run config, the Ray run (the only ray users)
    "zero.analysis",  # KataGo's JSON analysis protocol and the batched analysis engine
    "zero.gtp",  # the GTP engine: protocol, Go commands, player, clock, analysis output
    "zero.match",  # GTP client, referee, match runner
    "zero.args",  # command-line pieces shared by the commands and the benchmarks
    "zero.bench",  # `zero bench TARGET`
    "zero.commands",  # `zero train|selfplay|config|gtp|match|analysis`
    "zero.cli",  # the `zero` entry point
]
PACKAGE_ROOTS = {"zero"}  # package __init__ files that sit under every layer above and import nothing
RAY_MODULES = {
    "selfplay.actors",
    "selfplay.cluster",
    "selfplay.evaluations",
    "selfplay.orchestrator",
}  # the only modules allowed to import ray
LEARNING_PACKAGES = ("zero.nn", "zero.learn")  # need neither ray nor sgfmill


def layer_of(module: str) -> int:
    """Index in LAYERS of ``module``'s layer; -1 for a bare package root (``zero``)."""
    if module in PACKAGE_ROOTS:
        return -1
    matches = [i for i, layer in enumerate(LAYERS) if module == layer or module.startswith(layer + ".")]
    if not matches:
        raise KeyError(f"{module} belongs to no layer of LAYERS")
    return max(matches, key=lambda i: len(LAYERS[i]))


def upward_imports(edges: list[Edge]) -> list[Edge]:
    """Imports of a module in a higher layer than the importer's."""
    return [e for e in edges if layer_of(e.target) > layer_of(e.source)]


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_edges(ROOT)


def _show(bad: list[Edge]) -> list[str]:
    return [f"{e.source}:{e.line} imports {e.target}" + (" (in a function)" if e.in_function else "") for e in bad]


def test_every_module_belongs_to_a_layer() -> None:
    orphans = []
    for module in project_modules(ROOT):
        try:
            layer_of(module)
        except KeyError:
            orphans.append(module)
    assert orphans == []


def test_no_module_imports_a_higher_layer(edges: list[Edge]) -> None:
    assert _show(upward_imports(edges)) == []


def test_no_import_cycle_at_module_level(edges: list[Edge]) -> None:
    assert cycles(edges, include_function_level=False) == []


def test_no_import_cycle_even_through_imports_inside_functions(edges: list[Edge]) -> None:
    assert cycles(edges, include_function_level=True) == []


def test_no_module_imports_another_packages_private_module(edges: list[Edge]) -> None:
    assert _show(private_reaches(edges)) == []


def test_the_checks_see_a_violation() -> None:
    """The checks above can fail: a made-up upward import, cycle and private reach are each found."""
    up = Edge("zero.nn.network", "selfplay.worker", 1, True)
    loop = [Edge("games.go.game", "games.go.sgf", 1, True), Edge("games.go.sgf", "games.go.game", 1, False)]
    private = Edge("zero.gtp.player", "games.go._kernels", 1, False)
    assert upward_imports([up]) == [up]
    assert cycles(loop, include_function_level=False) == []
    assert cycles(loop, include_function_level=True) == [["games.go.game", "games.go.sgf"]]
    assert private_reaches([private, Edge("games.go.game", "games.go._kernels", 1, False)]) == [private]


def _imported_roots(path: Path) -> set[str]:
    """Top-level package names imported anywhere in ``path`` (inside functions too)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [("games", {"torch", "ray"}), ("mcts", {"torch", "ray"})],
)
def test_the_bottom_layers_need_neither_torch_nor_ray(layer: str, forbidden: set[str]) -> None:
    offenders = {
        module: sorted(_imported_roots(path) & forbidden)
        for module, path in project_modules(ROOT).items()
        if layer_of(module) == LAYERS.index(layer) and _imported_roots(path) & forbidden
    }
    assert offenders == {}


def test_only_the_ray_layer_imports_ray() -> None:
    users = {module for module, path in project_modules(ROOT).items() if "ray" in _imported_roots(path)}
    assert users <= RAY_MODULES, users - RAY_MODULES


def test_learning_modules_need_neither_ray_nor_sgfmill() -> None:
    offenders = {
        module: sorted(_imported_roots(path) & {"ray", "sgfmill"})
        for module, path in project_modules(ROOT).items()
        if module.startswith(LEARNING_PACKAGES) and _imported_roots(path) & {"ray", "sgfmill"}
    }
    assert offenders == {}


def test_zero_package_init_imports_nothing() -> None:
    """Importing zero.nn.network must not pull in the CLI, Ray or anything else: zero/__init__.py is a docstring."""
    tree = ast.parse((ROOT / "zero" / "__init__.py").read_text())
    assert all(isinstance(node, ast.Expr) for node in tree.body), "zero/__init__.py must stay a docstring only"


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        module
        for module, path in project_modules(ROOT).items()
        if ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert missing == []


@pytest.mark.parametrize("package", ["games", "mcts", "zero", "selfplay"])
def test_each_package_readme_names_every_module(package: str) -> None:
    """The folder README (modules in dependency order) names each module by its path, or its folder (``bench/``)."""
    text = (ROOT / package / "README.md").read_text()
    unnamed = [
        str(rel)
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "__init__.py"
        for rel in [path.relative_to(ROOT / package)]
        if f"`{rel}`" not in text and not any(f"`{parent}/`" in text for parent in rel.parents if str(parent) != ".")
    ]
    assert unnamed == []
