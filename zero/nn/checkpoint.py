"""Checkpoints that load without running anyone's code: safetensors weights + JSON metadata + a weights-only training state; imports torch, safetensors and zero.nn.network, never ray or sgfmill.

Layout of a checkpoint directory (every file written to a temporary name, then
``os.replace``d, so a crash never leaves a half-written file under a real name):

    model-00001000.safetensors   weights; the header's metadata holds the JSON below
    model-00001000.json          the same metadata, for people and tools
    train-00001000.pt            optimizer/scheduler/step/RNG state for resuming,
                                 read with torch.load(weights_only=True) (optional)
    latest                       one line: the stem of the newest checkpoint

Metadata: ``{"format", "network": NetworkConfig fields, "shape": GameShape fields,
"step", "model_version", "run_config"}``, plus ``"origin"`` in a run started from another network
(``zero train --init-from``: its name, path, step, version and SHA-256), and ``"averaged_from"`` in weights
that are the mean of several checkpoints (``zero average``: each one's label, step, version and SHA-256). On load
the architecture stored in the checkpoint wins; a different architecture passed in explicitly is an error naming
both.
A checkpoint holding a nan or an inf (a diverged network) is never written, and refused on load.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from zero.common.atomic_files import atomic_write_bytes, atomic_write_via
from zero.nn.network import (
    OPPONENT_POLICY_WEIGHTS,
    GameShape,
    NetworkConfig,
    PolicyValueNet,
    differing_fields,
    unwrap,
)

FORMAT = "zero-checkpoint-1"
LATEST = "latest"
_STEM = re.compile(r"^model-(\d{8,})$")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: missing, corrupt, unsafe, non-finite or of another architecture; the message says which file and why."""


def nonfinite_names(values: Any, prefix: str = "") -> list[str]:
    """Names of the floating-point tensors or arrays holding a nan or an inf, in a (nested) dict or list of them."""
    if isinstance(values, dict):
        return [name for key, value in values.items() for name in nonfinite_names(value, f"{prefix}{key}.")]
    if isinstance(values, (list, tuple)):
        return [name for i, value in enumerate(values) for name in nonfinite_names(value, f"{prefix}{i}.")]
    if isinstance(values, torch.Tensor) and values.is_floating_point():
        return [] if bool(torch.isfinite(values).all()) else [prefix.rstrip(".")]
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.floating):
        return [] if bool(np.isfinite(values).all()) else [prefix.rstrip(".")]
    return []  # plain numbers are counters and settings (a threshold of -inf is a valid one), not weights


def network_problems(model: torch.nn.Module) -> list[str]:
    """What makes a network unusable: tensors holding nan or inf, or finite weights so large that its outputs are
    not finite (a diverged run's last steps). The probe is an all-zeros and an all-ones input, in eval mode."""
    net = unwrap(model)
    bad = nonfinite_names(net.state_dict())
    if bad:
        return [f"nan or inf in the weights ({describe_names(bad)})"]
    shape = net.shape
    param = next(net.parameters())
    probe = torch.zeros(
        2, shape.in_channels, shape.board_size, shape.board_size, device=param.device, dtype=param.dtype
    )
    probe[1] = 1
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            out = net(probe)
    finally:
        net.train(was_training)
    heads = {"policy": out.policy_logits, "value": out.value, "ownership": out.ownership}
    bad = [name for name, value in heads.items() if value is not None and not bool(torch.isfinite(value).all())]
    return [f"the {' and '.join(bad)} output{'s are' if len(bad) > 1 else ' is'} not finite"] if bad else []


def describe_names(names: list[str], most: int = 3) -> str:
    """'a, b, c and 4 more' for an error line."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: weights on the CPU plus what is needed to rebuild and resume."""

    path: Path  # the .safetensors file
    network_config: NetworkConfig
    shape: GameShape
    step: int
    model_version: int
    run_config: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    origin: dict[str, Any] = field(default_factory=dict)  # the network its run started from ({}: from scratch)
    averaged_from: list[dict[str, Any]] = field(default_factory=list)  # what these weights average ([]: nothing)

    def for_board_size(self, board_size: int) -> Checkpoint:
        """The same weights for another board size: no weight's shape depends on the board (the tower is convolutional,
        the heads pool over the board or read it point by point), so the network reads any size, trained or not."""
        shape = self.shape.for_board_size(board_size)
        shape.validate()
        return dataclasses.replace(self, shape=shape)

    def without_opponent_policy_head(self) -> Checkpoint:
        """The same network without its opponent policy head: play never reads that head (training only), so this
        plays as the checkpoint does, and a network of the same tower without the head can average with it. Its run
        config's network table, where it has one, says so too."""
        if not self.network_config.opponent_policy_head:
            return self
        run_config = self.run_config
        if isinstance(run_config.get("network"), dict):
            run_config = {**run_config, "network": {**run_config["network"], "opponent_policy_head": False}}
        return dataclasses.replace(
            self,
            network_config=dataclasses.replace(self.network_config, opponent_policy_head=False),
            state_dict={k: v for k, v in self.state_dict.items() if not k.startswith(OPPONENT_POLICY_WEIGHTS)},
            run_config=run_config,
        )

    def build_model(self) -> PolicyValueNet:
        """A PolicyValueNet with the checkpoint's architecture and weights (train mode; call .eval() for inference)."""
        model = PolicyValueNet(self.network_config, self.shape)
        try:
            model.load_state_dict(self.state_dict)
        except RuntimeError as exc:
            raise CheckpointError(f"{self.path}: weights do not fit the architecture stored with them: {exc}") from None
        return model

    @property
    def trained_komi(self) -> float | None:
        """The komi its run trained at (Go), or None where the run config does not say: a network without the komi
        plane predicts scores at that komi (zero.analysis.engine.komi_shift)."""
        komi = (self.run_config.get("go") or {}).get("komi")
        if isinstance(komi, bool) or not isinstance(komi, int | float) or not math.isfinite(komi):
            return None
        return float(komi)

    @property
    def training_state_path(self) -> Path:
        return self.path.with_name(self.path.name.replace("model-", "train-").replace(".safetensors", ".pt"))

    def load_training_state(self) -> dict[str, Any] | None:
        """The optimizer/scheduler/step/RNG state saved beside the weights, or None if there is none."""
        path = self.training_state_path
        if not path.exists():
            return None
        return load_training_state(path)


def save_checkpoint(
    directory: str | Path,
    model: torch.nn.Module,
    *,
    step: int,
    model_version: int,
    run_config: dict[str, Any] | None = None,
    training_state: dict[str, Any] | None = None,
    keep_last: int = 5,
    origin: dict[str, Any] | None = None,
    averaged_from: list[dict[str, Any]] | None = None,
) -> Path:
    """Save weights (+ training state) as checkpoint ``step``, point ``latest`` at it, keep the newest ``keep_last``; returns the weights path.
    ``origin``: where the run started from (``zero train --init-from``), kept in the metadata; ``averaged_from``:
    the checkpoints whose mean the weights are (``zero average``)."""
    if keep_last < 1:
        raise ValueError(f"keep_last must be at least 1, got {keep_last}")
    directory = Path(directory)
    net = unwrap(model)
    # A diverged network must never become 'latest' (nor push a finite checkpoint out of the keep_last window).
    problems = network_problems(net)
    bad_state = nonfinite_names(training_state or {})
    if bad_state:
        problems.append(f"nan or inf in the training state ({describe_names(bad_state)})")
    if problems:
        raise CheckpointError(f"{directory}: refused to write checkpoint step {step}: {'; '.join(problems)}")
    directory.mkdir(parents=True, exist_ok=True)
    metadata = {
        "format": FORMAT,
        "network": net.config.to_dict(),
        "shape": net.shape.to_dict(),
        "step": int(step),
        "model_version": int(model_version),
        "run_config": run_config or {},
    }
    if origin:
        metadata["origin"] = origin
    if averaged_from:
        metadata["averaged_from"] = averaged_from
    text = json.dumps(metadata, sort_keys=True)
    stem = f"model-{step:08d}"
    # safetensors refuses shared storage; clone to plain contiguous CPU tensors.
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in net.state_dict().items()}
    weights = directory / f"{stem}.safetensors"
    if training_state is not None:
        train_path = directory / f"train-{step:08d}.pt"
        atomic_write_via(train_path, lambda tmp: torch.save(training_state, tmp))
    atomic_write_via(weights, lambda tmp: save_file(tensors, tmp, metadata={"zero": text}))
    atomic_write_bytes(directory / f"{stem}.json", (json.dumps(metadata, indent=2, sort_keys=True) + "\n").encode())
    atomic_write_bytes(directory / LATEST, (stem + "\n").encode())
    _prune(directory, keep_last)
    return weights


def average_weights(checkpoints: list[Checkpoint]) -> dict[str, torch.Tensor]:
    """The element-wise mean of the checkpoints' weights, batch norm's running statistics included (its step counter
    is the last one's): points along one network's training, averaged as KataGo averages the networks it releases
    (stochastic weight averaging). Re-estimating batch norm on replay positions instead measured the same
    (BENCHMARKS.md, session 32).
    CheckpointError when fewer than two are given or they differ in architecture or game shape."""
    if len(checkpoints) < 2:
        raise CheckpointError(f"averaging needs at least two checkpoints, got {len(checkpoints)}")
    first = checkpoints[0]
    for other in checkpoints[1:]:
        for what, mine, theirs in (
            ("network", first.network_config, other.network_config),
            ("game shape", first.shape, other.shape),
        ):
            if mine != theirs:
                differ = [f"{name}={a} against {b}" for name, a, b in differing_fields(mine, theirs)]
                raise CheckpointError(
                    f"{other.path}: its {what} differs from {first.path}'s ({', '.join(differ)}); "
                    "only checkpoints of one architecture and game average"
                )
    averaged = {}
    for name, tensor in checkpoints[-1].state_dict.items():
        if tensor.is_floating_point():
            total = sum(c.state_dict[name].double() for c in checkpoints)
            averaged[name] = (total / len(checkpoints)).to(tensor.dtype)
        else:
            averaged[name] = tensor.clone()
    return averaged


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Weights files in ``directory``, oldest step first."""
    found = []
    for path in Path(directory).glob("model-*.safetensors"):
        match = _STEM.match(path.stem)
        if match:
            found.append((int(match.group(1)), path))
    return [p for _, p in sorted(found)]


def resolve_checkpoint_path(path: str | Path) -> Path:
    """A weights file for ``path``: the file itself, or for a directory the one its ``latest`` names (else the
    newest); a run directory stands for its ``checkpoints/``."""
    path = Path(path)
    if (
        path.is_dir()
        and not (path / LATEST).exists()
        and not list_checkpoints(path)
        and (path / "checkpoints").is_dir()
    ):
        path = path / "checkpoints"
    if path.is_dir():
        pointer = path / LATEST
        if pointer.exists():
            stem = pointer.read_text().strip()
            if not _STEM.match(stem):
                raise CheckpointError(f"{pointer}: expected a checkpoint name like model-00001000, got {stem[:60]!r}")
            return path / f"{stem}.safetensors"
        found = list_checkpoints(path)
        if not found:
            raise CheckpointError(f"{path}: no checkpoint in this directory (no 'latest' file, no model-*.safetensors)")
        return found[-1]
    return path


def load_checkpoint(
    path: str | Path,
    *,
    expected_config: NetworkConfig | None = None,
    expected_shape: GameShape | None = None,
) -> Checkpoint:
    """Read a checkpoint safely (no unpickling); the stored architecture wins, and an explicit different one is an error."""
    weights = resolve_checkpoint_path(path)
    if not weights.exists():
        raise CheckpointError(f"{weights}: no such checkpoint file")
    metadata = _read_metadata(weights)
    try:
        state = load_file(str(weights), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{weights}: cannot read the weights (truncated or corrupt safetensors file: {exc})"
        ) from None
    try:
        config = NetworkConfig.from_dict(metadata["network"])
        shape = GameShape(**metadata["shape"])
        shape.validate()
        step, version = int(metadata["step"]), int(metadata["model_version"])
        run_config = dict(metadata.get("run_config") or {})
        origin = dict(metadata.get("origin") or {})
        averaged_from = [dict(source) for source in metadata.get("averaged_from") or []]
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{weights}: bad checkpoint metadata: {exc}") from None
    if expected_config is not None and expected_config != config:
        raise CheckpointError(
            f"{weights}: the checkpoint's network is {_describe(config)} but the given config asks for "
            f"{_describe(expected_config)}; drop the explicit network settings to use the checkpoint's"
        )
    if expected_shape is not None and expected_shape != shape:
        raise CheckpointError(
            f"{weights}: the checkpoint is for {_describe(shape)} but the game needs {_describe(expected_shape)}"
        )
    checkpoint = Checkpoint(weights, config, shape, step, version, run_config, state, origin, averaged_from)
    problems = network_problems(checkpoint.build_model())
    if problems:
        raise CheckpointError(f"{weights}: refused: {'; '.join(problems)}; the network diverged")
    return checkpoint


def load_training_state(path: str | Path) -> dict[str, Any]:
    """The resume state written by save_checkpoint, loaded with weights_only=True (a pickle that would run code is refused)."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError... depending on the damage
        text = str(exc)
        if "Weights only load failed" in text:
            culprit = next(
                (line.strip() for line in text.splitlines() if "GLOBAL" in line or "Unsupported" in line), ""
            )
            reason = (
                f"it holds objects that could run code when unpickled ({culprit or 'not plain tensors and containers'})"
            )
        else:
            reason = f"truncated or not a torch.save file ({type(exc).__name__}: {text.strip().splitlines()[0] if text.strip() else ''})"
        raise CheckpointError(f"{path}: refused to load the training state: {reason}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a dict of training state, got {type(state).__name__}")
    bad = nonfinite_names(state)
    if bad:
        raise CheckpointError(f"{path}: refused: nan or inf in the training state ({describe_names(bad)})")
    return state


def _read_metadata(weights: Path) -> dict[str, Any]:
    header = _read_safetensors_header(weights)
    text = (header.get("__metadata__") or {}).get("zero")
    if text is None:
        raise CheckpointError(f"{weights}: not a zero checkpoint (no 'zero' metadata in the safetensors header)")
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{weights}: checkpoint metadata is not valid JSON: {exc}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"{weights}: unknown checkpoint format {metadata.get('format') if isinstance(metadata, dict) else metadata!r}"
        )
    return metadata


def _read_safetensors_header(weights: Path) -> dict[str, Any]:
    """Parse the safetensors header (8-byte little-endian length + JSON) ourselves to give one clear error."""
    size = weights.stat().st_size
    with open(weights, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{weights}: truncated checkpoint ({size} bytes, not even a safetensors header)")
        length = int.from_bytes(head, "little")
        if length > min(size - 8, 100_000_000):
            raise CheckpointError(
                f"{weights}: not a safetensors file or truncated (header claims {length} bytes, file has {size}); "
                "pickled .pt/.pth files are not accepted"
            )
        raw = fh.read(length)
    try:
        header = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise CheckpointError(f"{weights}: not a safetensors file (header is not JSON)") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{weights}: not a safetensors file (header is not a JSON object)")
    return header


def _describe(obj: NetworkConfig | GameShape) -> str:
    return "(" + ", ".join(f"{k}={v}" for k, v in obj.to_dict().items()) + ")"


def _prune(directory: Path, keep_last: int) -> None:
    for weights in list_checkpoints(directory)[:-keep_last]:
        stem = weights.stem
        for path in (weights, weights.with_suffix(".json"), directory / f"train-{stem[len('model-') :]}.pt"):
            _remove_quietly(path)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
