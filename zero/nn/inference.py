"""The network as the search's Evaluator: numpy planes in, priors and values out, on CPU or CUDA; imports torch and zero.nn.network, never ray or sgfmill.

``precision="auto"`` picks, once per evaluator (see ``resolve_precision``): on CUDA,
bf16 autocast (fp16 where bf16 is unsupported) in channels-last memory format, and on a
CPU with native bf16 instructions (``amx_bf16`` or ``avx512_bf16`` among its flags: read,
never guessed) bf16 autocast in channels-last, each only where it runs this network faster
than float32, timed once per process (``probe_speeds``: a flag is not a speed); on any
other CPU, float32 (bf16 there is emulated and slower); float32 runs in channels-last where
that timed faster; batches under CPU_MIN_REDUCED_BATCH stay float32. A reduced precision chosen by ``auto`` on the CPU must pass a
fidelity check against float32 on the first distinct positions each model version evaluates
(``measure_fidelity``); a version that fails runs in float32 and says so on stderr.
What runs is a copy of the model with batch norm folded into the convolutions (``fold_batch_norm``).
Optionally it runs through ``torch.compile``. Outputs are always float32 numpy arrays. Weights are swapped in place
(``load_state_dict``) so a compiled graph and the evaluator object stay valid when
the self-play worker receives a new model version.

Score utility (KataGo, Wu 2019 section 4): with a score head and ``score_utility_weight``
w > 0, ``evaluate`` returns (1 - w) * value + w * score_utility(score, scale) instead of the
value, so that the search still prefers the larger margin once every move wins (or loses).
KataGo adds the two; the convex mix keeps the utility in [-1, 1], where the search's terminal
values (+-1, the game's result) stay the best and worst a leaf can be worth. A dynamic part
(``dynamic_score_utility_weight`` d, KataGo's dynamic score utility) adds d * score_utility(score
- centre, scale) around a centre the search passes per position (its root's predicted margin):
the static part flattens once a game is won by far more than ``scale``, the dynamic one stays
steepest at the margin the game is heading for, so a won game is still played for the last point.
"""

from __future__ import annotations

import contextlib
import copy
import math
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch

from zero.nn.network import GameShape, NetworkConfig, NetworkOutput, PolicyValueNet, fold_batch_norm, unwrap

if TYPE_CHECKING:
    from zero.nn.checkpoint import Checkpoint

Precision = Literal["auto", "float32", "bfloat16", "float16"]
PRECISIONS = ("auto", "float32", "bfloat16", "float16")

NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")  # CPU flags (Linux /proc/cpuinfo names) of hardware bf16 matmul

# The fidelity bar a reduced precision must clear against float32 on the same weights and positions.
FIDELITY_MIN_TOP1_AGREEMENT = 0.99  # fraction of positions whose most likely (legal) move is the same
# The automatic check counts a float32 near-tie as agreement: the reduced precision's top move has at least
# (1 - FIDELITY_TIE) of float32's top prior by float32's own priors. On go9_cpu's trained net every strict
# disagreement was such a tie (<= 0.4% of the prior apart, 4 of 512 self-play positions): on a sample of a few
# hundred positions a strict 99% bar would pass or fail such a net by chance, version after version. So is a move
# that a symmetry of the position maps onto float32's (same_move_by_symmetry): the shipped net's first search in
# zero gtp, from the empty board, failed on such pairs (6% apart) and ran the whole session in float32.
# 0.05, not the first 0.01: every model version of every 13x13 run (go13a-e, go13w, go19a: none of several hundred
# checks) failed at 1%, agreeing on 97.9% of positions; 91-95% of their strict disagreements lie within 5%, and
# at 200 visits a bf16 search chose float32's move (same seed) on 82% of 150 positions where float32 with another
# seed chose it on 70%: bf16 moves the search less than its own seed does, and those nets' self-play ran
# float32, 1.4-1.5x slower (BENCHMARKS.md, session 33).
FIDELITY_TIE = 0.05
FIDELITY_MAX_MEAN_VALUE_DIFF = 0.02  # mean |value_bf16 - value_float32| over the positions, value in [-1, 1]
FIDELITY_POSITIONS = 128  # distinct positions an auto evaluator checks per model version before trusting bf16
# A version that misses the bar narrowly on those (FIDELITY_NARROW_MISS or better, its values within the bar) is
# decided on FIDELITY_EXTENDED_POSITIONS instead, against the same bar. 128 positions tell a net at the bar from one
# just under it badly: go13b (the first shipped go13) agrees on 99.2% of 4,096 of its self-play positions, yet 2
# misses of 128 fail it, and about a quarter of its versions self-played float32 (BENCHMARKS.md, session 28). By the
# binomial, a net at 99.2% then passes 87% of its checks instead of 73%, one at 99.6% 99% instead of 91%, while one
# at 98% still passes 29% instead of 27%; on go13b's own positions 80% of its checks passed instead of 67.5%
# (session 29).
FIDELITY_NARROW_MISS = 0.97
FIDELITY_EXTENDED_POSITIONS = 512
# At most this many of them from one call, spread over its rows from an offset that moves on each call: the sample
# spans the games of a batch and several search steps. The first rows of each call (as once taken) were the same 16
# games, and self-play's openings repeat one position across games: a single float32 near-tie (6% apart in prior)
# counted 3-4 times among 128 and failed every version of the shipped net's training runs (196 of 196), where that
# net agrees on 99.6% of 2,048 of its self-play positions counting near-ties (99.2% strict); with distinct rows
# spread over the batch, 42 of 51 checks of it passed (BENCHMARKS.md, session 26).
FIDELITY_ROWS_PER_CALL = 16
# Under auto on the CPU, smaller batches run in float32: bf16 autocast's per-call casts cost more than its faster
# matmuls save there. Measured (zero bench network --clock cpu, one thread, EPYC with avx512_bf16, 2026-12-03):
# bf16+channels_last against float32 at batch 1 / 4 / 8 / 16: go9_cpu's 3x32 0.63x / 1.39x / 1.32x / 1.31x,
# 4x48 1.03x / 1.15x / 1.22x / 1.26x; the 6x96 net gains at every size. GTP's 8-leaf batches run in bf16.
CPU_MIN_REDUCED_BATCH = 4
# Under auto, the reduced precision must run the network at least this much faster than float32
# (probe_speeds) to be chosen. A CPU flag alone misleads: an Intel Xeon whose VM shows avx512_bf16 but not
# AMX ran go9_cpu's 3x32 in bf16+channels_last at 0.73x float32's speed at batch 128 and trained at 0.86x
# (BENCHMARKS.md, session 12), where an AMD EPYC with the same flag ran 1.3x and an AMX Xeon 2x. On an H200 bf16
# autocast ran the 6x96 and 10x128 nets at 0.74-0.82x of TF32 float32 and 20x256 at 1.4x (session 11).
REDUCED_MIN_SPEEDUP = 1.05
# Batch of the timing probe: on a CPU between zero gtp's 8 leaves and self-play's 128; a GPU's batches are larger.
PROBE_BATCH = {"cpu": 32, "cuda": 128}
PROBE_ROUNDS = 5  # interleaved rounds per layout; the fastest counts
PROBE_ROUND_SECONDS = 0.01  # each round repeats the call until float32 would take about this long
_speed_probes: dict[tuple, SpeedProbe] = {}  # (config, shape, device, dtype, torch threads) -> the timings


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
        raise ValueError(
            f"device {name!r} requested but torch sees no CUDA GPU (torch {torch.__version__}); use --device cpu or auto"
        )
    if name != "cpu" and not name.startswith("cuda"):
        raise ValueError(f"device must be auto, cpu or cuda[:i], got {name!r}")
    return torch.device(name)


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as the kernel reports them (the ``flags`` line of /proc/cpuinfo); empty where unreadable (not Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def cpu_native_bf16() -> str | None:
    """The flag that shows this CPU computes bf16 natively (``amx_bf16`` or ``avx512_bf16``), or None: bf16 would be emulated."""
    flags = cpu_flags()
    return next((flag for flag in NATIVE_BF16_FLAGS if flag in flags), None)


_DTYPE_NAMES = {None: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}


@dataclass(frozen=True)
class PrecisionChoice:
    """What a network runs in: the autocast dtype (None = plain float32), the memory format, and why."""

    autocast_dtype: torch.dtype | None
    channels_last: bool
    reason: str  # e.g. "auto: the CPU has avx512_bf16"

    @property
    def precision(self) -> str:
        """float32, bfloat16 or float16 (the ``precision`` JSON key of the benchmarks)."""
        return _DTYPE_NAMES[self.autocast_dtype]

    @property
    def memory_format(self) -> str:
        """channels_last or contiguous (the ``memory_format`` JSON key)."""
        return "channels_last" if self.channels_last else "contiguous"

    def describe(self) -> str:
        return f"precision {self.precision}, memory format {self.memory_format} ({self.reason})"


@dataclass(frozen=True)
class SpeedProbe:
    """Seconds per call of one network in each layout ``auto`` chooses among (``probe_speeds``)."""

    float32: float  # contiguous memory format
    float32_channels_last: float
    reduced_channels_last: float | None  # the reduced dtype's autocast in channels-last; None: no dtype was timed

    @property
    def float32_prefers_channels_last(self) -> bool:
        return self.float32_channels_last < self.float32

    @property
    def best_float32(self) -> float:
        return min(self.float32, self.float32_channels_last)


def probe_speeds(
    model: PolicyValueNet, device: torch.device | None = None, dtype: torch.dtype | None = None
) -> SpeedProbe:
    """Time ``model``'s architecture on ``device`` (None = the CPU) in float32 contiguous, float32 channels-last and, with
    ``dtype``, that dtype's autocast in channels-last, at PROBE_BATCH positions with the current torch threads: the best
    of PROBE_ROUNDS interleaved rounds each (CPU time on a CPU). Timed once per process and architecture (on a CPU
    about 0.2 s for go9_cpu's net, 2 s for the default 6x96); the weights do not matter."""
    model = unwrap(model)
    device = device if device is not None else torch.device("cpu")
    key = (model.config, model.shape, str(device), dtype, torch.get_num_threads())
    if key not in _speed_probes:
        plain = fold_batch_norm(model).to(device)  # what an evaluator runs
        channels_last = copy.deepcopy(plain).to(memory_format=torch.channels_last)
        shape = model.shape
        batch = PROBE_BATCH.get(device.type, PROBE_BATCH["cpu"])
        x = torch.randint(0, 2, (batch, shape.in_channels, shape.board_size, shape.board_size), device=device).float()
        x_cl = x.contiguous(memory_format=torch.channels_last)
        layouts = [(plain, x, None), (channels_last, x_cl, None)] + ([(channels_last, x_cl, dtype)] if dtype else [])

        # On a CPU this process's CPU time, not the wall clock: self-play workers probe while the others start, and
        # a preempted wall-clock round once made bf16 look 1.6x faster where it was 0.8x.
        clock = time.perf_counter if device.type == "cuda" else time.process_time

        def seconds(net: PolicyValueNet, planes: torch.Tensor, autocast: torch.dtype | None, calls: int) -> float:
            with torch.inference_mode(), torch.autocast(device.type, dtype=autocast, enabled=autocast is not None):
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                start = clock()
                for _ in range(calls):
                    net(planes)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                return clock() - start

        for layout in layouts:  # warm-up: oneDNN/cuDNN pick their kernels on first use
            seconds(*layout, 1)
        calls = max(2, math.ceil(PROBE_ROUND_SECONDS / max(seconds(*layouts[0], 1), 1e-6)))
        rounds = [[seconds(*layout, calls) / calls for layout in layouts] for _ in range(PROBE_ROUNDS)]
        best = [min(r[i] for r in rounds) for i in range(len(layouts))]
        _speed_probes[key] = SpeedProbe(best[0], best[1], best[2] if dtype else None)
    return _speed_probes[key]


def resolve_precision(
    device: torch.device, precision: str, channels_last: bool | None = None, model: PolicyValueNet | None = None
) -> PrecisionChoice:
    """The precision and memory format for ``precision`` on ``device``; ``channels_last=None`` = channels-last whenever
    autocast is on (with ``model`` under auto: the faster layout, timed).

    ``auto``: CUDA -> bf16 (fp16 where unsupported); a CPU with a flag in NATIVE_BF16_FLAGS -> bf16; other CPUs ->
    float32. With ``model`` given (``probe_speeds``), the reduced precision only where it runs the model at least
    REDUCED_MIN_SPEEDUP times the faster float32 layout's speed, and float32 in whichever memory format ran faster.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        dtype = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}[precision]
        return PrecisionChoice(dtype, dtype is not None if channels_last is None else channels_last, "requested")
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        reason = "auto: CUDA"
    elif (flag := cpu_native_bf16()) is not None:
        dtype, reason = torch.bfloat16, f"auto: the CPU has {flag}"
    else:
        dtype, reason = None, f"auto: the CPU has none of {', '.join(NATIVE_BF16_FLAGS)} (bf16 would be emulated)"
    float32_channels_last = False
    if model is not None:
        probe = probe_speeds(model, device, dtype)
        float32_channels_last = probe.float32_prefers_channels_last
        float32_layout = "float32 channels_last" if float32_channels_last else "float32"
        if dtype is not None:
            speedup = probe.best_float32 / max(probe.reduced_channels_last, 1e-9)
            measured = f"{_DTYPE_NAMES[dtype]} ran this network at {speedup:.2f}x {float32_layout}'s speed (measured)"
            if speedup < REDUCED_MIN_SPEEDUP:
                dtype, reason = None, f"{reason}, but {measured}"
            else:
                reason = f"{reason}, and {measured}"
        if dtype is None:
            ratio = probe.float32 / max(probe.float32_channels_last, 1e-9)
            reason = f"{reason}; float32 channels_last ran {ratio:.2f}x contiguous (measured)"
    if channels_last is None:
        channels_last = True if dtype is not None else float32_channels_last
    return PrecisionChoice(dtype, channels_last, reason)


def resolve_autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The autocast dtype of ``resolve_precision(device, precision)`` (None = plain float32)."""
    return resolve_precision(device, precision).autocast_dtype


@dataclass(frozen=True)
class Fidelity:
    """A reduced precision against float32 on the same weights and positions."""

    positions: int
    top1_agreement: float  # fraction of positions with the same most likely (legal) move (strict)
    top1_agreement_within_ties: float  # ... counting float32 near-ties (FIDELITY_TIE) and a symmetric position's
    # images of one move (same_move_by_symmetry) as agreement: what passed checks
    mean_value_diff: float  # mean |value difference|

    @property
    def passed(self) -> bool:
        return (
            self.top1_agreement_within_ties >= FIDELITY_MIN_TOP1_AGREEMENT
            and self.mean_value_diff <= FIDELITY_MAX_MEAN_VALUE_DIFF
        )

    @property
    def narrow_miss(self) -> bool:
        """Failed, but close enough to the bar that a bigger sample may tell otherwise (FIDELITY_NARROW_MISS)."""
        return (
            not self.passed
            and self.top1_agreement_within_ties >= FIDELITY_NARROW_MISS
            and self.mean_value_diff <= FIDELITY_MAX_MEAN_VALUE_DIFF
        )

    def describe(self) -> str:
        return (
            f"top-1 agreement {self.top1_agreement_within_ties:.4f} counting near-ties and symmetric moves, "
            f"{self.top1_agreement:.4f} strict "
            f"(need >= {FIDELITY_MIN_TOP1_AGREEMENT}), mean |value diff| {self.mean_value_diff:.4f} "
            f"(need <= {FIDELITY_MAX_MEAN_VALUE_DIFF}) on {self.positions} positions"
        )


def same_move_by_symmetry(planes: np.ndarray, a: int, b: int) -> bool:
    """Whether moves ``a`` and ``b`` of the position ``planes`` float32[C,N,N] are images of each other under a board
    symmetry that leaves every plane unchanged: then they are the same move, and a network picks one of them by
    chance (after one stone on the centre point of an empty board, the four points two lines from it)."""
    from games.symmetry import NUM_SYMMETRIES, point_permutation

    n = planes.shape[-1]
    if a == b or max(a, b) >= n * n:
        return a == b
    flat = planes.reshape(planes.shape[0], n * n)
    for k in range(1, NUM_SYMMETRIES):
        perm = point_permutation(n, k)
        if (perm[a] == b or perm[b] == a) and np.array_equal(flat[:, perm], flat):
            return True
    return False


def _compare(reference, reduced, legal: torch.Tensor | None, planes: np.ndarray) -> tuple[int, int, float]:
    """(positions whose top-1 legal move agrees, ... or is a float32 near-tie or the same move by the position's
    symmetry, sum of |value differences|) of two NetworkOutputs for ``planes`` float32[L,C,N,N]; ``reduced`` may
    cover only the first rows of ``reference``."""
    rows = len(reduced.value)
    a, b = reference.policy_logits[:rows].float(), reduced.policy_logits.float()
    if legal is not None:
        a, b = a.masked_fill(~legal[:rows], float("-inf")), b.masked_fill(~legal[:rows], float("-inf"))
    best, chosen = a.argmax(dim=1), b.argmax(dim=1)
    # float32's prior of the reduced top move over float32's top prior, from the logits: exp(a[chosen] - a[best])
    ratio = torch.exp(a.gather(1, chosen[:, None]) - a.gather(1, best[:, None])).squeeze(1)
    ties = int((ratio >= 1 - FIDELITY_TIE).sum())
    for row in torch.nonzero(ratio < 1 - FIDELITY_TIE).flatten().tolist():
        ties += same_move_by_symmetry(planes[row], int(best[row]), int(chosen[row]))
    values = float((reference.value[:rows].float() - reduced.value.float()).abs().sum())
    return int((best == chosen).sum()), ties, values


def measure_fidelity(
    model: PolicyValueNet,
    planes: np.ndarray,
    legal: np.ndarray | None = None,
    *,
    precision: str = "bfloat16",
    channels_last: bool = True,
) -> Fidelity:
    """``precision`` (with ``channels_last``) against float32 for ``model`` on ``planes`` float32[L,C,H,W] (legal bool[L,A] optional), on the CPU."""
    choice = resolve_precision(torch.device("cpu"), precision, channels_last)
    model = model.eval()
    x = torch.from_numpy(np.ascontiguousarray(planes, dtype=np.float32))
    mask = None if legal is None else torch.from_numpy(np.asarray(legal, dtype=bool))
    reduced_model = copy.deepcopy(model).to(memory_format=torch.channels_last) if choice.channels_last else model
    xr = x.contiguous(memory_format=torch.channels_last) if choice.channels_last else x
    with torch.inference_mode():
        reference = model(x)
        with torch.autocast(
            "cpu", dtype=choice.autocast_dtype or torch.bfloat16, enabled=choice.autocast_dtype is not None
        ):
            reduced = reduced_model(xr)
    agree, agree_within_ties, value_diff = _compare(reference, reduced, mask, np.asarray(planes, np.float32))
    n = max(len(x), 1)
    return Fidelity(len(x), agree / n, agree_within_ties / n, value_diff / n)


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
        channels_last: bool | None = None,
        compile: bool = False,
    ) -> None:
        self.device = resolve_device(device)
        self.choice = resolve_precision(self.device, precision, channels_last, model=model)
        # auto's reduced precision on the CPU is trusted per model version only after the fidelity check
        self._check_fidelity = (
            precision == "auto" and self.device.type == "cpu" and self.choice.autocast_dtype is not None
        )
        self._min_reduced_batch = CPU_MIN_REDUCED_BATCH if self._check_fidelity else 1
        self._checked: list[tuple[int, int, float, int]] = []  # _compare's counts and the positions, per checked batch
        self.fidelity: Fidelity | None = None  # the current version's result, once checked
        self._fidelity_seen: set[bytes] = set()  # the planes of the positions this version's check compared
        self._fidelity_calls = 0  # calls that fed the check: moves the rows' offset
        self._fidelity_sample = FIDELITY_POSITIONS  # positions the current version's verdict waits for
        self.shape: GameShape = model.shape
        self.config: NetworkConfig = model.config
        self.num_actions = self.shape.num_actions
        self.has_ownership = model.config.ownership_head
        self.has_score = model.config.score_head
        self.komi_input = model.config.komi_input  # Go: the planes must carry the komi plane
        self.liberty_input = model.config.liberty_input  # Go: ... and the liberty planes
        self.ladder_input = model.config.ladder_input  # Go: ... and the ladder planes
        self.trained_komi: float | None = None  # Go: the komi its run trained at, where known (from_checkpoint)
        self.score_utility_weight = (
            0.0  # w: search utility = (1 - w) value + w score_utility(score, scale); 0 = value only
        )
        self.score_utility_scale = 5.0  # points at which the utility reaches (2/pi) atan(1) = 0.5
        self.dynamic_score_utility_weight = 0.0  # d: + d score_utility(score - centre, scale), centre from the search
        self.random_symmetry = False  # each position in a random board symmetry (set_random_symmetry)
        self._symmetry_rng = np.random.default_rng(0)
        self._symmetry_perms: np.ndarray | None = None  # int64[8, H*W] (games.symmetry.point_permutation)
        self.model_version = 0
        model = model.to(self.device).eval()
        self._module = model  # the weights as trained: state_dict() reads them, load_state_dict() writes them
        # What runs: a copy with batch norm folded into the convolutions, its weights refreshed in place on every swap
        self._inference = fold_batch_norm(model)
        if self.choice.channels_last:
            self._inference = self._inference.to(memory_format=torch.channels_last)
        self._forward = torch.compile(self._inference, dynamic=True) if compile else self._inference

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        """The autocast dtype the next call runs in (None = float32, also while auto checks a version or after it failed)."""
        if self._check_fidelity and (self.fidelity is None or not self.fidelity.passed):
            return None
        return self.choice.autocast_dtype

    @property
    def compiled(self) -> bool:
        """True while the network runs through torch.compile (False from the start, or after a compile failed)."""
        return self._forward is not self._inference

    @property
    def precision(self) -> str:
        return _DTYPE_NAMES[self.autocast_dtype]

    @property
    def awaited_precision(self) -> str | None:
        """The reduced precision auto runs once the current model version passes its fidelity check (None: no check pending)."""
        return self.choice.precision if self._check_fidelity and self.fidelity is None else None

    @property
    def memory_format(self) -> str:
        return self.choice.memory_format

    def describe(self) -> str:
        """One line for the logs: device, precision, memory format and why."""
        check = (
            f" for batches of {self._min_reduced_batch}+ after a fidelity check per model version"
            if self._check_fidelity
            else ""
        )
        compiled = ", torch.compile" if self.compiled else ""
        return f"{device_description(self.device)}, {self.choice.describe()}{check}{compiled}"

    @classmethod
    def from_checkpoint(cls, path: str, *, expected_shape: GameShape | None = None, **kwargs) -> NetworkEvaluator:
        """An evaluator for the checkpoint at ``path`` (a file, a directory with a ``latest`` pointer, or a run
        directory); CheckpointError if it was trained for another game than ``expected_shape``."""
        from zero.nn.checkpoint import load_checkpoint

        return cls.from_loaded(load_checkpoint(path, expected_shape=expected_shape), **kwargs)

    @classmethod
    def from_loaded(cls, checkpoint: Checkpoint, **kwargs) -> NetworkEvaluator:
        """An evaluator for a loaded checkpoint: its weights, model version and training komi."""
        evaluator = cls(checkpoint.build_model(), **kwargs)
        evaluator.model_version = checkpoint.model_version
        evaluator.trained_komi = checkpoint.trained_komi
        return evaluator

    def load_state_dict(self, state: dict[str, torch.Tensor], model_version: int | None = None) -> None:
        """Swap in new weights (same architecture) without rebuilding or recompiling the model."""
        unwrap(self._module).load_state_dict(state)
        self._inference.load_state_dict(fold_batch_norm(self._module).state_dict())  # in place: keeps layout and graph
        if model_version is not None:
            self.model_version = model_version
        self.restart_fidelity_check()  # new weights: check the reduced precision again

    def restart_fidelity_check(self) -> None:
        """Forget the positions the current check has compared (zero gtp's warm-up planes are no position of a game)."""
        self._checked, self.fidelity = [], None
        self._fidelity_seen.clear()
        self._fidelity_sample = FIDELITY_POSITIONS

    def state_dict(self) -> dict[str, torch.Tensor]:
        return unwrap(self._module).state_dict()

    def set_random_symmetry(self, enabled: bool, seed: int = 0) -> None:
        """Evaluate each position under a random one of the 8 board symmetries, mapped back (Leela Zero and
        KataGo do so in their search): the net's errors in one orientation no longer repeat all over a tree."""
        self.random_symmetry = enabled
        self._symmetry_rng = np.random.default_rng(seed)

    def _all_symmetries(self) -> np.ndarray:
        """int64[8, H*W]: the board symmetries as point permutations (transformed point i is original point [k, i])."""
        if self._symmetry_perms is None:
            from games.symmetry import NUM_SYMMETRIES, point_permutation

            n = self.shape.board_size
            self._symmetry_perms = np.stack([point_permutation(n, k) for k in range(NUM_SYMMETRIES)])
        return self._symmetry_perms

    def _symmetries(self, rows: int) -> np.ndarray | None:
        """int64[rows, H*W]: for each row, transformed point i is original point index[i]; None when off."""
        n = self.shape.board_size
        if not self.random_symmetry or self.num_actions not in (n * n, n * n + 1):
            return None
        perms = self._all_symmetries()
        return perms[self._symmetry_rng.integers(0, len(perms), rows)]

    def mean_ownership(self, planes: np.ndarray) -> np.ndarray:
        """float32[L,H,W]: the ownership (+1 = the player to move) averaged over the 8 board symmetries, in one call:
        the same answer every time, whatever ``random_symmetry`` (dead stones and final scores must not flicker
        between calls), and steadier than one orientation's."""
        if not self.has_ownership:
            raise ValueError("this network has no ownership head (network.ownership_head = false)")
        perms = self._all_symmetries()
        rows = len(planes)
        _, _, ownership, _ = self._run(
            np.repeat(np.asarray(planes), len(perms), axis=0), None, symmetries=np.tile(perms, (rows, 1))
        )
        return ownership.reshape(rows, len(perms), *ownership.shape[1:]).mean(axis=1)

    def evaluate_in_symmetries(self, planes: np.ndarray, legal: np.ndarray | None, symmetries: list[int]):
        """One position (planes [1,C,H,W], legal [1,A]) seen in each board symmetry of ``symmetries`` (0-7, 0 = as
        is), a row each, in one call: the raw (priors, values, ownership or None, score or None), mapped back to the
        planes' orientation (KataGo's kata-raw-nn)."""
        perms = self._all_symmetries()
        if not symmetries or any(not 0 <= k < len(perms) for k in symmetries):
            raise ValueError(f"symmetries must be among 0..{len(perms) - 1}, got {list(symmetries)}")
        rows = len(symmetries)
        repeated = None if legal is None else np.repeat(np.asarray(legal), rows, axis=0)
        return self._run(np.repeat(np.asarray(planes), rows, axis=0), repeated, symmetries=perms[list(symmetries)])

    def _autocast(self, batch: int):
        if self.autocast_dtype is None or batch < self._min_reduced_batch:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _run(self, planes: np.ndarray, legal: np.ndarray | None, symmetries: np.ndarray | None = None):
        """(priors, values, ownership or None, score or None) as float32 numpy arrays, in the planes' orientation;
        ``symmetries`` int64[rows, H*W]: each row's orientation (default: a random one with random_symmetry, else none)."""
        planes = np.asarray(planes)
        c, n = self.shape.in_channels, self.shape.board_size
        if planes.ndim != 4 or planes.shape[1:] != (c, n, n):
            raise ValueError(f"planes must have shape [L, {c}, {n}, {n}], got {list(planes.shape)}")
        if legal is not None and np.shape(legal) != (planes.shape[0], self.num_actions):
            raise ValueError(
                f"legal must have shape [{planes.shape[0]}, {self.num_actions}], got {list(np.shape(legal))}"
            )
        rows, points = len(planes), n * n
        index = self._symmetries(rows) if symmetries is None else symmetries
        if index is not None:  # the network sees the drawn orientation: planes and legal moves gathered into it
            planes = np.take_along_axis(planes.reshape(rows, c, points), index[:, None, :], axis=2).reshape(
                planes.shape
            )
            if legal is not None:
                legal = np.array(legal, dtype=bool)
                legal[:, :points] = np.take_along_axis(legal[:, :points], index, axis=1)
        x = torch.from_numpy(np.ascontiguousarray(planes, dtype=np.float32))
        if self.device.type == "cuda":
            x = x.pin_memory().to(self.device, non_blocking=True)
        if self.choice.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        mask = None if legal is None else torch.from_numpy(np.asarray(legal, dtype=bool)).to(self.device)
        with torch.inference_mode():
            with self._autocast(len(x)):
                out = self._network(x)
            if self._check_fidelity and self.fidelity is None:
                self._record_fidelity(x, out, mask)
            logits = out.policy_logits.float()
            if mask is not None:
                logits = logits.masked_fill(~mask, float("-inf"))
            priors = torch.softmax(logits, dim=1).nan_to_num_(0.0).cpu().numpy()  # a row with no legal move -> zeros
            value = out.value.float().cpu().numpy()
            ownership = out.ownership.float().cpu().numpy() if out.ownership is not None else None
            score = out.score.float().cpu().numpy() if out.score is not None else None
        if index is not None:  # back to the planes' orientation (pass stays in place)
            np.put_along_axis(priors[:, :points], index, priors[:, :points].copy(), axis=1)
            if ownership is not None:
                flat = ownership.reshape(rows, points)
                np.put_along_axis(flat, index, flat.copy(), axis=1)
        return priors, value, ownership, score

    def _network(self, x: torch.Tensor) -> NetworkOutput:
        """The forward pass. A compiled network that fails (no C++ compiler on a CPU, an inductor error) runs eagerly
        from then on, said once on stderr: the outputs are the same, only slower."""
        try:
            return self._forward(x)
        except Exception as exc:
            if not self.compiled:
                raise
            reason = (str(exc).strip().splitlines() or [""])[0][:200]
            print(
                f"torch.compile failed ({type(exc).__name__}: {reason}); the network runs without it",
                file=sys.stderr,
                flush=True,
            )
            self._forward = self._inference
            return self._forward(x)

    def _fidelity_rows(self, x: torch.Tensor) -> tuple[list[int], np.ndarray]:
        """Up to FIDELITY_ROWS_PER_CALL rows of ``x`` for the fidelity check, and their planes float32[R,C,N,N]:
        positions this version's check has not seen yet, spread over the batch from an offset that moves on with
        every call."""
        stride = max(1, len(x) // FIDELITY_ROWS_PER_CALL)
        offset = self._fidelity_calls % stride
        self._fidelity_calls += 1
        rows: list[int] = []
        planes: list[np.ndarray] = []
        for k, position in enumerate(x[offset::stride].float().cpu().numpy()):
            key = position.tobytes()
            if key not in self._fidelity_seen and len(rows) < FIDELITY_ROWS_PER_CALL:
                self._fidelity_seen.add(key)
                rows.append(offset + k * stride)
                planes.append(position)
        return rows, np.asarray(planes)

    def _record_fidelity(self, x: torch.Tensor, reference: NetworkOutput, mask: torch.Tensor | None) -> None:
        """Add some positions of one float32 batch (``_fidelity_rows``) to this version's fidelity check; after
        FIDELITY_POSITIONS positions (FIDELITY_EXTENDED_POSITIONS after a narrow miss), decide, and say so if the
        reduced precision failed."""
        rows, planes = self._fidelity_rows(x)
        if not rows:
            return
        index = torch.tensor(rows, device=x.device)
        with torch.autocast(self.device.type, dtype=self.choice.autocast_dtype):
            reduced = self._network(x[index])
        reference = NetworkOutput(*(None if t is None else t[index] for t in reference))
        legal = None if mask is None else mask[index]
        self._checked.append((*_compare(reference, reduced, legal, planes), len(rows)))
        positions = sum(row[-1] for row in self._checked)
        if positions < self._fidelity_sample:
            return
        agree, agree_within_ties, value_diff = (sum(row[i] for row in self._checked) / positions for i in range(3))
        fidelity = Fidelity(positions, agree, agree_within_ties, value_diff)
        if fidelity.narrow_miss and self._fidelity_sample < FIDELITY_EXTENDED_POSITIONS:
            # decided on the bigger sample only, not on any sum between the two (that would pass more by chance)
            self._fidelity_sample = FIDELITY_EXTENDED_POSITIONS
            return
        self.fidelity = fidelity
        if not self.fidelity.passed:
            print(
                f"precision auto: model version {self.model_version} fails the {self.choice.precision} fidelity check "
                f"({self.fidelity.describe()}); it runs in float32",
                file=sys.stderr,
                flush=True,
            )

    @property
    def wants_score_centre(self) -> bool:
        """True when the utility has a dynamic part: the search then passes each position's score centre to ``evaluate``."""
        return self.dynamic_score_utility_weight > 0 and self.has_score

    def utility(
        self, value: np.ndarray, score: np.ndarray | None, score_centre: np.ndarray | None = None
    ) -> np.ndarray:
        """The search's utility of raw (value, score) pairs, float32[L]: the value where no score utility applies, else
        (1 - w - d) value + w score_utility(score) + d score_utility(score - centre) (the dynamic part only where a centre is given)."""
        w = self.score_utility_weight
        d = self.dynamic_score_utility_weight if score_centre is not None else 0.0
        if score is None or (w <= 0 and d <= 0):
            return np.asarray(value, np.float32)
        mixed = (1.0 - w - d) * value + w * score_utility(score, self.score_utility_scale)
        if d > 0:
            mixed = mixed + d * score_utility(score - score_centre, self.score_utility_scale)
        return mixed.astype(np.float32)

    def evaluate(
        self, planes: np.ndarray, legal: np.ndarray | None = None, score_centre: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """planes float32[L,C,H,W] (optional legal bool[L,A], score_centre float32[L] in points for the player to move)
        -> (priors float32[L,A] summing to 1, utilities float32[L])."""
        priors, value, _, score = self._run(planes, legal)
        return priors, self.utility(value, score, score_centre)

    def evaluate_with_ownership(
        self, planes: np.ndarray, legal: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like evaluate, plus ownership float32[L,H,W] in [-1,1] (+1 = the player to move owns the point)."""
        if not self.has_ownership:
            raise ValueError("this network has no ownership head (network.ownership_head = false)")
        priors, value, ownership, _ = self._run(planes, legal)
        return priors, value, ownership

    def evaluate_heads(
        self, planes: np.ndarray, legal: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """What every head says in one call (mcts.interface.OwnershipEvaluator): (priors, raw values (``utility``
        makes them evaluate's), final margins float32[L] or None without a score head, ownership float32[L,H,W])."""
        if not self.has_ownership:
            raise ValueError("this network has no ownership head (network.ownership_head = false)")
        priors, value, ownership, score = self._run(planes, legal)
        return priors, value, score, ownership

    @property
    def predicts_margin(self) -> bool:
        """Whether ``evaluate_with_margin`` works (mcts.interface.MarginEvaluator): the network has a score head. (The
        ownership's sum is no substitute: against finished games it missed the margin by 4-17 points on average,
        BENCHMARKS.md, session 22.)"""
        return self.has_score

    def evaluate_with_margin(
        self, planes: np.ndarray, legal: np.ndarray | None = None, score_centre: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """evaluate's (priors, utilities), plus the score head's final margin float32[L] in points for the player to
        move (at the komi it trained at, for a network without the komi plane)."""
        if not self.has_score:
            raise ValueError("this network has no score head (network.score_head = false)")
        priors, value, _, score = self._run(planes, legal)
        return priors, self.utility(value, score, score_centre), score

    def evaluate_with_score(
        self, planes: np.ndarray, legal: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like evaluate (raw value, no utility), plus the predicted final area margin float32[L] for the player to move."""
        if not self.has_score:
            raise ValueError("this network has no score head (network.score_head = false)")
        priors, value, _, score = self._run(planes, legal)
        return priors, value, score
