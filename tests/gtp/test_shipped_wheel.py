"""The shipped network is found from an installed wheel, not only from the checkout: a wheel built from a copy of the tree (holding the real go9 when it is there, else the tests' small network), installed into a folder, used from a subprocess outside the repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .test_shipped_model import make_models_dir

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("games", "mcts", "zero", "selfplay")
MODELS = Path("zero") / "nn" / "models"


def copy_tree(destination: Path) -> Path:
    """What a wheel is built from: pyproject.toml, README.md and the packages, without caches or build output."""
    destination.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, destination / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, destination / package, ignore=ignore)
    return destination


def pip(*args: str, cwd: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-deps", "--no-index", "-q"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_shipped_network_is_found_and_played_from_an_installed_wheel(tmp_path):
    from zero.nn.shipped import MODELS_DIR_ENV, file_sha256

    source = copy_tree(tmp_path / "src")
    weights = source / MODELS / "go9.safetensors"
    if not weights.exists():  # before the trained network is added: the tests' own, placed as it would ship
        made = make_models_dir(tmp_path / "made")
        for suffix in (".safetensors", ".json", ".md"):
            shutil.copy(made / f"go9{suffix}", source / MODELS / f"go9{suffix}")
    digest = file_sha256(weights)

    pip("wheel", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source), cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("zero-*.whl")
    listed = set(zipfile.ZipFile(wheel).namelist())
    assert {f"zero/nn/models/go9{s}" for s in (".safetensors", ".json", ".md")} | {"zero/nn/models/README.md"} <= listed
    target = tmp_path / "installed"
    pip("install", "--target", str(target), str(wheel), cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"  # not the repository, not the source copy: nothing relative to the cwd
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in (MODELS_DIR_ENV, "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    probe = (
        "import json, zero; from zero.nn.shipped import shipped_model, file_sha256, resolve_model; "
        "p = shipped_model(9); print(json.dumps({'zero': zero.__file__, 'path': str(p), 'sha256': file_sha256(p), "
        "'by_name': str(resolve_model('go9'))}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env, cwd=elsewhere
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    installed = target / MODELS / "go9.safetensors"
    assert Path(found["zero"]).resolve().is_relative_to(target.resolve())  # the installed package, not the checkout
    assert Path(found["path"]).resolve() == installed.resolve() == Path(found["by_name"]).resolve()
    assert found["sha256"] == digest

    gtp = subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", "--visits", "16"],
        input="zero-model\ngenmove b\nquit\n",
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=elsewhere,
    )
    assert gtp.returncode == 0, gtp.stderr
    replies = [r for r in gtp.stdout.split("\n\n") if r.strip()]
    assert replies[0].startswith("= go9 step ") and replies[0].endswith(", 9x9, shipped"), replies
    assert replies[1].startswith("= ") and replies[1] != "= resign"
