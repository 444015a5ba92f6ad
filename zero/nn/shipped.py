"""The networks shipped inside the package (zero/nn/models/: <name>.safetensors + <name>.json + model card <name>.md, found with importlib.resources) and what a --model or --init-from spec names; imports no torch.

A spec is one of: ``none`` (no network), a path that exists (a checkpoint file, a checkpoint directory
with a ``latest`` pointer, or a run directory: as ``zero gtp --model`` always took), or the name of a
shipped network (``go9``: the file ``zero/nn/models/go9.safetensors``). An existing path wins over a
shipped name. The shipped network of board size N is named ``goN``; a size without one has none.
``ZERO_MODELS_DIR`` points the registry at another folder instead of the package's (the tests' own
networks; a folder of your own).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
from importlib import resources
from pathlib import Path

MODELS_PACKAGE = "zero.nn.models"
MODELS_DIR_ENV = "ZERO_MODELS_DIR"
NO_MODEL = "none"
WEIGHTS_SUFFIX = ".safetensors"

_extracted = contextlib.ExitStack()  # files a zipped install had to copy out, removed at exit
atexit.register(_extracted.close)


class ModelSpecError(ValueError):
    """A --model / --init-from spec that names nothing usable (one line for the command line)."""


def shipped_name(board_size: int) -> str:
    """The name of the shipped network for ``board_size`` (whether or not this install has it)."""
    return f"go{int(board_size)}"


def _models_root():
    override = os.environ.get(MODELS_DIR_ENV)
    if override:
        return Path(override)
    return resources.files(MODELS_PACKAGE)


def _as_path(resource) -> Path:
    """A file system path for a package resource (a zipped install copies it out for the process's lifetime)."""
    if isinstance(resource, Path):
        return resource
    return Path(_extracted.enter_context(resources.as_file(resource)))


def shipped_names() -> list[str]:
    """The names of the networks this install ships, sorted."""
    root = _models_root()
    if not root.is_dir():
        return []
    return sorted(
        entry.name[: -len(WEIGHTS_SUFFIX)]
        for entry in root.iterdir()
        if entry.name.endswith(WEIGHTS_SUFFIX) and len(entry.name) > len(WEIGHTS_SUFFIX) and entry.is_file()
    )


def shipped_sizes() -> list[int]:
    """The board sizes this install ships a network for (``goN``), ascending."""
    return sorted(int(name[2:]) for name in shipped_names() if name.startswith("go") and name[2:].isdigit())


def shipped_path(name: str) -> Path | None:
    """The weights file of shipped network ``name``, or None where this install has no such network."""
    if not name or "/" in name or os.sep in name or name.startswith("."):
        return None
    root = _models_root()
    resource = root.joinpath(name + WEIGHTS_SUFFIX)
    if not resource.is_file():
        return None
    return _as_path(resource)


def shipped_model(board_size: int) -> Path | None:
    """The weights file of the shipped network for ``board_size``, or None where there is none."""
    return shipped_path(shipped_name(board_size))


def resolve_model(spec: str) -> Path | None:
    """The weights file, checkpoint directory or run directory ``spec`` names, or None for ``none``.

    ModelSpecError (one line) when it is neither an existing path nor a shipped network."""
    if spec == NO_MODEL:
        return None
    if os.path.exists(spec):
        return Path(spec)
    path = shipped_path(spec)
    if path is not None:
        return path
    shipped = shipped_names()
    listed = ", ".join(shipped) if shipped else "none in this install"
    raise ModelSpecError(f"{spec}: no such file or directory, and no shipped network of that name (shipped: {listed})")


def load_model(spec: str):
    """The checkpoint (zero.nn.checkpoint.Checkpoint) ``spec`` names: a shipped name, a weights file, a checkpoint or
    run directory. ModelSpecError for ``none`` or a name that is nothing; CheckpointError for a file that is no
    checkpoint."""
    from zero.nn.checkpoint import load_checkpoint

    path = resolve_model(spec)
    if path is None:
        raise ModelSpecError(f"{spec}: names no network here; give a shipped name or a checkpoint")
    return load_checkpoint(path)


def model_label(path: Path) -> str:
    """How to name the network at ``path``: its shipped name when it is one, else the path."""
    path = Path(path)
    if path.name.endswith(WEIGHTS_SUFFIX):
        name = path.name[: -len(WEIGHTS_SUFFIX)]
        shipped = shipped_path(name)
        if shipped is not None and shipped.resolve() == path.resolve():
            return name
    return str(path)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex (what ``sha256sum`` prints)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
