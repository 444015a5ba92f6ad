"""The import layering of DESIGN.md, checked on the source: each package imports only the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAY_MODULES = {"selfplay/actors.py", "selfplay/orchestrator.py"}  # the only modules allowed to import ray
NO_RAY_NO_SGF = ["zero/nn/network.py", "zero/nn/inference.py", "zero/learn/train.py", "zero/learn/replay.py", "zero/nn/checkpoint.py"]


def imported_roots(path: Path) -> set[str]:
    """Top-level package names imported anywhere in ``path`` (inside functions too)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("games", {"mcts", "zero", "selfplay", "torch", "ray"}),
        ("mcts", {"games", "zero", "selfplay", "torch", "ray"}),
        ("zero", {"ray"}),
    ],
)
def test_lower_layers_never_import_higher_ones(package: str, forbidden: set[str]) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & forbidden)
        for path in sources(package)
        if imported_roots(path) & forbidden
    }
    assert offenders == {}


def test_only_the_ray_layer_imports_ray() -> None:
    users = {str(p.relative_to(ROOT)) for p in sources("selfplay") if "ray" in imported_roots(p)}
    assert users <= RAY_MODULES, users - RAY_MODULES


@pytest.mark.parametrize("module", NO_RAY_NO_SGF)
def test_learning_modules_need_neither_ray_nor_sgfmill(module: str) -> None:
    assert not imported_roots(ROOT / module) & {"ray", "sgfmill"}


def test_zero_package_init_imports_nothing() -> None:
    tree = ast.parse((ROOT / "zero" / "__init__.py").read_text())
    assert all(isinstance(node, ast.Expr) for node in tree.body), "zero/__init__.py must stay a docstring only"


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        str(p.relative_to(ROOT))
        for package in ("games", "mcts", "zero", "selfplay")
        for p in sources(package)
        if ast.get_docstring(ast.parse(p.read_text())) is None
    ]
    assert missing == []
