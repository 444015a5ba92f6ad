"""The network as the search's Evaluator: numpy planes in, priors and values out, on CPU or CUDA; imports torch and zero.nn.network, never ray or sgfmill.

On CUDA the model runs in channels-last memory format under bf16 autocast (fp16 where
bf16 is unsupported), optionally through ``torch.compile``; on the CPU it runs in
float32. Outputs are always float32 numpy arrays. Weights are swapped in place
(``load_state_dict``) so a compiled graph and the evaluator object stay valid when
the self-play worker receives a new model version.

Score utility (KataGo, Wu 2019 section 4): with a score head and ``score_utility_weight``
w > 0, ``evaluate`` returns (1 - w) * value + w * score_utility(score, scale) instead of the
value, so that the search still prefers the larger margin once every move wins (or loses).
KataGo adds the two; the convex mix keeps the utility in [-1, 1], where the search's terminal
values (+-1, the game's result) stay the best and worst a leaf can be worth.
"""

from __future__ import annotations

import contextlib
from typing import Literal

import numpy as np
import torch

from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet, unwrap

Precision = Literal["auto", "float32", "bfloat16", "float16"]


def score_utility(score: np.ndarray, scale: float) -> np.ndarray:
    """(2/pi) atan(score / scale): the bounded, increasing utility of a predicted margin, in (-1, 1) (KataGo's score utility)."""
    if scale <= 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    return (2.0 / np.pi) * np.arctan(np.asarray(score, np.float64) / scale)


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present else CPU; ``cuda`` without a GPU is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but torch sees no CUDA GPU (torch {torch.__version__}); use --device cpu or auto")
    if name != "cpu" and not name.startswith("cuda"):
        raise ValueError(f"device must be auto, cpu or cuda[:i], got {name!r}")
    return torch.device(name)


def resolve_autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device`` (None = plain float32); ``auto`` = bf16 on CUDA when supported, else fp16; float32 on CPU."""
    if precision == "float32" or (precision == "auto" and device.type != "cuda"):
        return None
    if precision == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if precision == "bfloat16":
        return torch.bfloat16
    if precision == "float16":
        return torch.float16
    raise ValueError(f"precision must be auto, float32, bfloat16 or float16, got {precision!r}")


def device_description(device: torch.device) -> str:
    """A human name for the device, e.g. ``cuda:0 NVIDIA H100 80GB HBM3`` or ``cpu (2 threads)``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} {torch.cuda.get_device_name(index)}"
    return f"cpu ({torch.get_num_threads()} threads)"


class NetworkEvaluator:
    """Implements mcts.interface.Evaluator with a PolicyValueNet; also returns ownership when the head exists.

    The given model is moved to the device and put in eval mode in place (pass a copy to keep training it).
    """

    def __init__(
        self,
        model: PolicyValueNet,
        *,
        device: str = "auto",
        precision: Precision = "auto",
        compile: bool = False,
    ) -> None:
        self.device = resolve_device(device)
        self.autocast_dtype = resolve_autocast_dtype(self.device, precision)
        self.shape: GameShape = model.shape
        self.config: NetworkConfig = model.config
        self.num_actions = self.shape.num_actions
        self.has_ownership = model.config.ownership_head
        self.has_score = model.config.score_head
        self.score_utility_weight = 0.0  # w: search utility = (1 - w) value + w score_utility(score, scale); 0 = value only
        self.score_utility_scale = 5.0  # points at which the utility reaches (2/pi) atan(1) = 0.5
        self.model_version = 0
        model = model.to(self.device).eval()
        if self.device.type == "cuda":
            model = model.to(memory_format=torch.channels_last)
        self._module = model  # the plain module: weights are copied into it in place
        self._forward = torch.compile(model, dynamic=True) if compile else model

    @classmethod
    def from_checkpoint(cls, path: str, *, expected_shape: GameShape | None = None, **kwargs) -> NetworkEvaluator:
        """An evaluator for the checkpoint at ``path`` (a file, a directory with a ``latest`` pointer, or a run
        directory); CheckpointError if it was trained for another game than ``expected_shape``."""
        from zero.nn.checkpoint import load_checkpoint

        ckpt = load_checkpoint(path, expected_shape=expected_shape)
        evaluator = cls(ckpt.build_model(), **kwargs)
        evaluator.model_version = ckpt.model_version
        return evaluator

    def load_state_dict(self, state: dict[str, torch.Tensor], model_version: int | None = None) -> None:
        """Swap in new weights (same architecture) without rebuilding or recompiling the model."""
        unwrap(self._module).load_state_dict(state)
        if model_version is not None:
            self.model_version = model_version

    def state_dict(self) -> dict[str, torch.Tensor]:
        return unwrap(self._module).state_dict()

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _run(self, planes: np.ndarray, legal: np.ndarray | None):
        planes = np.asarray(planes)
        c, n = self.shape.in_channels, self.shape.board_size
        if planes.ndim != 4 or planes.shape[1:] != (c, n, n):
            raise ValueError(f"planes must have shape [L, {c}, {n}, {n}], got {list(planes.shape)}")
        if legal is not None and np.shape(legal) != (planes.shape[0], self.num_actions):
            raise ValueError(f"legal must have shape [{planes.shape[0]}, {self.num_actions}], got {list(np.shape(legal))}")
        x = torch.from_numpy(np.ascontiguousarray(planes, dtype=np.float32))
        if self.device.type == "cuda":
            x = x.pin_memory().to(self.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), self._autocast():
            out = self._forward(x)
            logits = out.policy_logits.float()
            if legal is not None:
                mask = torch.from_numpy(np.asarray(legal, dtype=bool)).to(self.device)
                logits = logits.masked_fill(~mask, float("-inf"))
            priors = torch.softmax(logits, dim=1).nan_to_num_(0.0)  # a row with no legal move -> zeros
            value = out.value.float()
            ownership = out.ownership.float() if out.ownership is not None else None
            score = out.score.float() if out.score is not None else None
        return priors, value, ownership, score

    def evaluate(self, planes: np.ndarray, legal: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """planes float32[L,C,H,W] (optional legal bool[L,A]) -> (priors float32[L,A] summing to 1, values float32[L])."""
        priors, value, _, score = self._run(planes, legal)
        values = value.cpu().numpy()
        if self.score_utility_weight > 0 and score is not None:
            w = self.score_utility_weight
            values = ((1.0 - w) * values + w * score_utility(score.cpu().numpy(), self.score_utility_scale)).astype(np.float32)
        return priors.cpu().numpy(), values

    def evaluate_with_ownership(
        self, planes: np.ndarray, legal: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like evaluate, plus ownership float32[L,H,W] in [-1,1] (+1 = the player to move owns the point)."""
        if not self.has_ownership:
            raise ValueError("this network has no ownership head (network.ownership_head = false)")
        priors, value, ownership, _ = self._run(planes, legal)
        return priors.cpu().numpy(), value.cpu().numpy(), ownership.cpu().numpy()

    def evaluate_with_score(self, planes: np.ndarray, legal: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like evaluate (raw value, no utility), plus the predicted final area margin float32[L] for the player to move."""
        if not self.has_score:
            raise ValueError("this network has no score head (network.score_head = false)")
        priors, value, _, score = self._run(planes, legal)
        return priors.cpu().numpy(), value.cpu().numpy(), score.cpu().numpy()
