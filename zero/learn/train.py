"""The trainer: samples the replay window, takes optimizer steps, logs metrics, saves and resumes; a plain class (no Ray), imports torch and zero.{network,inference,replay,checkpoint}, never ray or sgfmill.

Loss (Silver et al. 2017, Methods, "Optimization"; Wu 2019 for the ownership term):
    l = -pi . log p            policy cross-entropy against the search's visit distribution
      + w_v (z - v)^2          value MSE against the game result (player to move)
      + w_o BCE(owner)         per-point ownership, mean over points (KataGo), where present
      + w_s Huber(s/P, z_s/P)  score: final area margin z_s (player to move) over the board's P points, where scored
      + w_r -log q[r]          the opponent's reply r under the opponent policy head q, where there was
                               one (Wu 2019's auxiliary policy target; with network.opponent_policy_head only)
    L2 regularisation is the optimizer's weight decay (on conv/linear weights, not on
    batch-norm scales or biases).
One step reads top to bottom in ``_step``: LR from the schedule, forward under
autocast, backward (with a GradScaler for fp16), gradient clipping, optimizer step,
metric sums kept on the device. The one host sync per step is the divergence check: a
non-finite loss raises TrainingDiverged before the backward pass, so the weights stay those
of the last finite step (the caller decides what to keep). Every ``log_every`` steps
the sums become one record: to ``<run_dir>/metrics.jsonl`` (kind "train", zero.common.metrics), to TensorBoard under
``<run_dir>/tensorboard`` and to the tqdm bar. Sampling runs one batch ahead on a
background thread so the input pipeline overlaps the device's work: the thread only
picks positions and copies their stored bytes (pinned for CUDA); unpacking the bits and
applying the symmetries happen on the training device.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from zero.common.metrics import MetricsLog
from zero.learn.replay import PackedBatch, ReplayBatch, ReplayBuffer
from zero.nn.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from zero.nn.inference import device_description, resolve_device, resolve_precision
from zero.nn.network import NetworkOutput, PolicyValueNet, unwrap


class TrainingDiverged(RuntimeError):
    """The loss or the weights became nan or inf; the message (one line) names the step and which loss."""


LOSS_TERMS = (
    "policy_loss",
    "value_loss",
    "ownership_loss",
    "score_loss",
    "opponent_policy_loss",
)  # the terms of the training loss, by name


def divergence_message(step: int, losses: dict[str, torch.Tensor]) -> str:
    """'training diverged at step 12: policy_loss nan, value_loss inf' (the weighted sum alone when every term is finite)."""
    values = {k: float(v.detach()) for k, v in losses.items() if k in (*LOSS_TERMS, "loss")}
    bad = [f"{k} {values[k]}" for k in LOSS_TERMS if k in values and not math.isfinite(values[k])]
    return f"training diverged at step {step}: {', '.join(bad) or 'loss ' + str(values['loss'])}"


@dataclass(frozen=True)
class TrainConfig:
    """Optimizer, schedule, loss weights and logging of the trainer."""

    batch_size: int = field(default=256, metadata={"doc": "positions per optimizer step"})
    optimizer: Literal["sgd", "adamw"] = field(
        default="sgd", metadata={"doc": "sgd (with momentum, as AlphaGo Zero) or adamw"}
    )
    lr: float = field(default=0.02, metadata={"doc": "peak learning rate"})
    lr_schedule: Literal["constant", "step", "cosine", "budget"] = field(
        default="step",
        metadata={
            "doc": "constant, step (x lr_step_gamma every lr_step_every steps), cosine to lr_min_ratio*lr over "
            "lr_total_steps, or budget: the same cosine over a run's time budget (run.max_minutes of active time)"
        },
    )
    lr_anneal_from: float = field(
        default=0.0,
        metadata={
            "doc": "budget schedule: the fraction of the time budget spent at the constant peak lr before the cosine "
            "starts (0 = anneal over the whole budget)"
        },
    )
    lr_warmup_steps: int = field(default=0, metadata={"doc": "linear warm-up from 0 to lr over this many steps"})
    lr_step_every: int = field(default=200_000, metadata={"doc": "step schedule: steps between LR drops"})
    lr_step_gamma: float = field(default=0.1, metadata={"doc": "step schedule: LR multiplier at each drop"})
    lr_total_steps: int = field(default=500_000, metadata={"doc": "cosine schedule: steps from peak to the minimum"})
    lr_min_ratio: float = field(default=0.01, metadata={"doc": "cosine schedule: final LR as a fraction of lr"})
    momentum: float = field(default=0.9, metadata={"doc": "SGD momentum (Nesterov off); AdamW beta1"})
    weight_decay: float = field(
        default=1e-4, metadata={"doc": "L2 / decoupled weight decay on conv and linear weights"}
    )
    grad_clip: float = field(default=5.0, metadata={"doc": "clip the global gradient norm to this; 0 = off"})
    value_loss_weight: float = field(default=1.0, metadata={"doc": "weight of the value MSE in the loss"})
    value_target_search_weight: float = field(
        default=0.0,
        metadata={
            "doc": "w: each position's value target is (1 - w) game result + w root search value (its player's view); "
            "0 = the result alone (AlphaZero); averaging in the search's value lowers the target's variance"
        },
    )
    policy_surprise_weight: float = field(
        default=0.0,
        metadata={
            "doc": "f: the fraction of each self-play game's training weight spread over its positions in proportion "
            "to their policy surprise, KL(search policy || the network's prior), the rest evenly; a position of "
            "weight w enters the replay floor(w) times and once more with probability w - floor(w) (KataGo's policy "
            "surprise weighting, 0.5 there); 0 = every position once"
        },
    )
    ownership_loss_weight: float = field(
        default=0.5, metadata={"doc": "weight of the ownership loss (mean over points)"}
    )
    opponent_policy_loss_weight: float = field(
        default=0.15,
        metadata={
            "doc": "weight of the opponent's-reply cross-entropy, where the network has network.opponent_policy_head (KataGo: 0.15)"
        },
    )
    score_loss_weight: float = field(
        default=0.5,
        metadata={
            "doc": "weight of the score loss: Huber on the margin divided by the board's points, where the game was scored"
        },
    )
    amp: Literal["auto", "off", "bfloat16", "float16"] = field(
        default="auto",
        metadata={
            "doc": "mixed precision: auto = bf16 (or fp16) on CUDA and on CPUs with native bf16 (amx_bf16/avx512_bf16) where it runs the network faster (timed), off on other CPUs"
        },
    )
    average_steps: int = field(
        default=0,
        metadata={
            "doc": "the weights a run publishes (self-play, checkpoints, snapshots, the arena) are an exponential moving "
            "average of the trained weights over about this many optimizer steps (decay 1 - 1/N a step; KataGo's SWA); "
            "0 = the trained weights themselves"
        },
    )
    device: str = field(default="auto", metadata={"doc": "auto, cpu or cuda[:i]"})
    compile: bool = field(default=False, metadata={"doc": "run the training forward pass through torch.compile"})
    prefetch: bool = field(default=True, metadata={"doc": "sample the next batch on a background thread"})
    log_every: int = field(default=100, metadata={"doc": "steps between metric records"})

    def validate(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if self.lr < 0:
            raise ValueError(f"lr must be >= 0, got {self.lr}")
        for name in ("lr_warmup_steps", "average_steps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("lr_step_every", "lr_total_steps", "log_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.lr_step_gamma <= 1:
            raise ValueError(f"lr_step_gamma must be in (0, 1], got {self.lr_step_gamma}")
        if not 0 <= self.lr_min_ratio <= 1:
            raise ValueError(f"lr_min_ratio must be in [0, 1], got {self.lr_min_ratio}")
        if not 0 <= self.lr_anneal_from < 1:
            raise ValueError(f"lr_anneal_from must be in [0, 1), got {self.lr_anneal_from}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum}")
        if not 0 <= self.value_target_search_weight <= 1:
            raise ValueError(f"value_target_search_weight must be in [0, 1], got {self.value_target_search_weight}")
        if not 0 <= self.policy_surprise_weight <= 1:
            raise ValueError(f"policy_surprise_weight must be in [0, 1], got {self.policy_surprise_weight}")
        for name in (
            "weight_decay",
            "grad_clip",
            "value_loss_weight",
            "ownership_loss_weight",
            "score_loss_weight",
            "opponent_policy_loss_weight",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.optimizer not in ("sgd", "adamw"):
            raise ValueError(f"optimizer must be sgd or adamw, got {self.optimizer!r}")
        if self.lr_schedule not in ("constant", "step", "cosine", "budget"):
            raise ValueError(f"lr_schedule must be constant, step, cosine or budget, got {self.lr_schedule!r}")
        if self.amp not in ("auto", "off", "bfloat16", "float16"):
            raise ValueError(f"amp must be auto, off, bfloat16 or float16, got {self.amp!r}")

    def lr_at(self, step: int, budget_used: float = 0.0) -> float:
        """The learning rate for optimizer step ``step`` (0-based): warm-up, then the schedule.

        ``budget_used`` is the fraction of the run's time budget spent so far (the budget schedule's clock)."""
        if self.lr_warmup_steps and step < self.lr_warmup_steps:
            return self.lr * (step + 1) / self.lr_warmup_steps
        t = step - self.lr_warmup_steps
        if self.lr_schedule == "step":
            return self.lr * self.lr_step_gamma ** (t // self.lr_step_every)
        if self.lr_schedule == "cosine":
            return self._cosine(min(t, self.lr_total_steps) / self.lr_total_steps)
        if self.lr_schedule == "budget":
            # a run that anneals only at its end follows moving self-play data at the full rate until then
            frac = (budget_used - self.lr_anneal_from) / (1.0 - self.lr_anneal_from)
            return self._cosine(min(max(frac, 0.0), 1.0))
        return self.lr

    def _cosine(self, frac: float) -> float:
        return self.lr * (self.lr_min_ratio + (1 - self.lr_min_ratio) * 0.5 * (1 + math.cos(math.pi * frac)))


def compute_losses(out: NetworkOutput, batch: ReplayBatch) -> dict[str, torch.Tensor]:
    """Per-head losses and diagnostics (scalars on the batch's device) for a batch already on the device."""
    logits = out.policy_logits.float()
    log_p = F.log_softmax(logits, dim=1)
    policy_loss = -(batch.policy * log_p).sum(dim=1).mean()
    value = out.value.float()
    value_loss = F.mse_loss(value, batch.value)
    entropy = -(log_p.exp() * log_p).sum(dim=1).mean()
    decisive = batch.value != 0
    correct = ((value > 0) == (batch.value > 0)) & decisive
    losses = {
        "policy_loss": policy_loss,
        "value_loss": value_loss,
        "policy_entropy": entropy,
        "value_correct": correct.float().sum(),
        "value_decisive": decisive.float().sum(),
    }
    if out.ownership_logits is not None:
        # tanh(u) = 2*sigmoid(2u) - 1, so BCE on sigmoid(2u) against (t+1)/2 trains the tanh output towards t.
        per_point = F.binary_cross_entropy_with_logits(
            2 * out.ownership_logits.float(), (batch.ownership + 1) / 2, reduction="none"
        ).mean(dim=(1, 2))
        mask = target_weights(batch, batch.has_ownership)
        losses["ownership_loss"] = (per_point * mask).sum() / mask.sum().clamp(min=1)
    if out.score is not None and batch.score is not None:
        # in units of the board's points, so one weight suits every board size; resigned games are masked out
        points = float(batch.planes.shape[-2] * batch.planes.shape[-1])
        per_sample = F.huber_loss(out.score.float() / points, batch.score / points, reduction="none", delta=0.25)
        mask = target_weights(batch, batch.has_score)
        losses["score_loss"] = (per_sample * mask).sum() / mask.sum().clamp(min=1)
    if out.opponent_policy_logits is not None and batch.opponent_move is not None:
        reply = batch.opponent_move
        per_sample = F.cross_entropy(out.opponent_policy_logits.float(), reply.clamp(min=0), reduction="none")
        mask = (reply >= 0).float()  # -1: the game ended with this position's move
        losses["opponent_policy_loss"] = (per_sample * mask).sum() / mask.sum().clamp(min=1)
    return losses


def target_weights(batch: ReplayBatch, has_target: torch.Tensor) -> torch.Tensor:
    """Each sample's weight in an ownership or score loss: 0 without the target, else its game's target weight
    (a game played out past the resign threshold stands for the resigned games like it; selfplay.records)."""
    mask = has_target.float()
    return mask if batch.target_weight is None else mask * batch.target_weight


class Trainer:
    """Trains a PolicyValueNet from a ReplayBuffer; ``train_steps(n)`` runs n optimizer steps."""

    def __init__(
        self,
        model: PolicyValueNet,
        config: TrainConfig,
        replay: ReplayBuffer | None = None,
        *,
        run_dir: str | Path | None = None,
        seed: int = 0,
    ) -> None:
        config.validate()
        self.config = config
        self.replay = replay
        self.device = resolve_device(config.device)
        self.precision = resolve_precision(self.device, "float32" if config.amp == "off" else config.amp, model=model)
        self.autocast_dtype = self.precision.autocast_dtype
        torch.manual_seed(seed)
        model = model.to(self.device)
        if self.precision.channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self._forward = torch.compile(model) if config.compile else model
        self.optimizer = self._build_optimizer()
        self.averaged = self._build_average()
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.autocast_dtype == torch.float16)
        self.step = 0
        self.model_version = 0
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._writer = None
        self._sums: dict[str, torch.Tensor] = {}
        self._interval_steps = 0
        self._interval_start = time.perf_counter()
        self.last_metrics: dict[str, float] = {}
        self.budget_used = 0.0  # fraction of the run's time budget spent; set by the run loop (lr_schedule = budget)

    def _build_optimizer(self) -> torch.optim.Optimizer:
        decay = [p for p in self.model.parameters() if p.ndim > 1]  # conv and linear weights
        no_decay = [p for p in self.model.parameters() if p.ndim <= 1]  # BN scales, biases
        groups = [
            {"params": decay, "weight_decay": self.config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        if self.config.optimizer == "adamw":
            return torch.optim.AdamW(groups, lr=self.config.lr, betas=(self.config.momentum, 0.999))
        return torch.optim.SGD(groups, lr=self.config.lr, momentum=self.config.momentum)

    def _build_average(self) -> AveragedModel | None:
        """The moving average of the weights (parameters and batch-norm statistics), or None when average_steps is 0."""
        if not self.config.average_steps:
            return None
        decay = 1.0 - 1.0 / self.config.average_steps
        return AveragedModel(unwrap(self.model), multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)

    @property
    def published_model(self) -> torch.nn.Module:
        """The network a run plays and saves: the moving average where train.average_steps is set, else the trained one."""
        return self.averaged.module if self.averaged is not None else unwrap(self.model)

    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    # ---- the loop -----------------------------------------------------------------
    def train_steps(self, n: int, *, progress: bool = False) -> dict[str, float]:
        """Run ``n`` optimizer steps on batches sampled from the replay buffer; returns the latest metric record (from an earlier call if none fell due)."""
        if self.replay is None:
            raise ValueError("this trainer has no replay buffer; pass one or use train_on_batch")
        if len(self.replay) == 0:
            raise ValueError("the replay buffer is empty: add positions before training")
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=n, desc="train", unit="step", dynamic_ncols=True)
        sample = self._sample
        try:
            with ThreadPoolExecutor(max_workers=1) if self.config.prefetch else contextlib.nullcontext() as pool:
                pending = pool.submit(sample) if pool else None
                for i in range(n):
                    packed = pending.result() if pool else sample()
                    batch = self.replay.decode(packed, self.device)
                    if pool and i + 1 < n:
                        pending = pool.submit(sample)
                    record = self.train_on_batch(batch)
                    if bar is not None:
                        bar.update(1)
                        if record:
                            bar.set_postfix(loss=f"{record['loss']:.3f}", lr=f"{record['lr']:.2g}")
        finally:
            if bar is not None:
                bar.close()
        return self.last_metrics

    def _sample(self) -> PackedBatch:
        """On the prefetch thread, numpy only: pick positions and copy their stored bytes (pinned for CUDA).

        Decoding (torch) stays on the main thread: torch ops on a second thread start a
        second OpenMP pool that spins against the training step's cores (measured: ~30%
        slower CPU steps on two cores), and on CUDA the decode is a few GPU kernels anyway.
        """
        packed = self.replay.sample_packed(self.config.batch_size)
        return packed.pin_memory() if self.device.type == "cuda" else packed

    def train_on_batch(self, batch: ReplayBatch) -> dict[str, float] | None:
        """One optimizer step on ``batch`` (CPU or device tensors); returns a metric record when one is due, else None."""
        batch = batch.to(self.device)
        planes = batch.planes
        if self.precision.channels_last:
            planes = planes.contiguous(memory_format=torch.channels_last)
        cfg = self.config
        lr = cfg.lr_at(self.step, self.budget_used)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        with self._autocast():
            out = self._forward(planes)
        losses = compute_losses(out, batch)
        loss = losses["policy_loss"] + cfg.value_loss_weight * losses["value_loss"]
        if "ownership_loss" in losses:
            loss = loss + cfg.ownership_loss_weight * losses["ownership_loss"]
        if "score_loss" in losses:
            loss = loss + cfg.score_loss_weight * losses["score_loss"]
        if "opponent_policy_loss" in losses:
            loss = loss + cfg.opponent_policy_loss_weight * losses["opponent_policy_loss"]
        if not bool(torch.isfinite(loss)):  # stop before the backward pass: no nan reaches the weights or the optimizer
            raise TrainingDiverged(divergence_message(self.step + 1, {**losses, "loss": loss}))
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if cfg.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        else:
            grad_norm = torch.zeros((), device=self.device)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.averaged is not None:
            self.averaged.update_parameters(unwrap(self.model))
        self.step += 1
        losses["loss"] = loss
        losses["grad_norm"] = grad_norm
        for key, value in losses.items():
            value = value.detach().float()
            self._sums[key] = self._sums[key] + value if key in self._sums else value
        self._sums["samples"] = self._sums.get("samples", 0) + len(batch)
        self._interval_steps += 1
        if self.step % cfg.log_every == 0:
            return self._emit(lr)
        return None

    def _emit(self, lr: float) -> dict[str, float]:
        """Turn the interval's device-side sums into one record (one host sync per log_every steps) and write it."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elapsed = time.perf_counter() - self._interval_start
        sums = {k: float(v) for k, v in self._sums.items()}
        steps = max(self._interval_steps, 1)
        record: dict[str, float] = {"step": self.step, "lr": lr}
        for key in (
            "loss",
            "policy_loss",
            "value_loss",
            "ownership_loss",
            "score_loss",
            "opponent_policy_loss",
            "policy_entropy",
            "grad_norm",
        ):
            if key in sums:
                record[key] = sums[key] / steps
        if sums.get("value_decisive"):  # undefined when every game in the interval was a draw: left out
            record["value_accuracy"] = sums["value_correct"] / sums["value_decisive"]
        record["samples_per_s"] = sums["samples"] / max(elapsed, 1e-9)
        self._sums, self._interval_steps, self._interval_start = {}, 0, time.perf_counter()
        self.last_metrics = record
        self._write(record)
        return record

    def _write(self, record: dict[str, float]) -> None:
        if self.run_dir is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        MetricsLog(self.run_dir / "metrics.jsonl").write("train", **record)
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.run_dir / "tensorboard"))
        for key, value in record.items():
            if key != "step" and math.isfinite(value):
                self._writer.add_scalar(f"train/{key}", value, int(record["step"]))
        self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # ---- resume -----------------------------------------------------------------
    def state_dict(self, *, include_model: bool = True) -> dict[str, Any]:
        """Everything needed to resume bit-for-bit: model, optimizer, scaler, step, version, RNG states (the LR is a function of step)."""
        state: dict[str, Any] = {
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict(),
            "step": self.step,
            "model_version": self.model_version,
            "torch_rng": torch.get_rng_state(),
            "replay_rng": json.dumps(self.replay.rng.bit_generator.state) if self.replay is not None else "",
        }
        if self.device.type == "cuda":
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        if self.averaged is not None:
            state["averaged_count"] = int(self.averaged.n_averaged)
        # with an average, the weights file holds it: the trained weights travel here
        if include_model or self.averaged is not None:
            state["model"] = unwrap(self.model).state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "model" in state:
            unwrap(self.model).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self.model_version = int(state["model_version"])
        torch.set_rng_state(state["torch_rng"])
        if "cuda_rng" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        if state.get("replay_rng") and self.replay is not None:
            self.replay.rng.bit_generator.state = json.loads(state["replay_rng"])
        if self.averaged is not None and "averaged_count" in state:
            self.averaged.n_averaged.fill_(int(state["averaged_count"]))

    def save_checkpoint(
        self,
        directory: str | Path,
        *,
        model_version: int,
        run_config: dict[str, Any] | None = None,
        run_state: dict[str, Any] | None = None,
        keep_last: int = 5,
        origin: dict[str, Any] | None = None,
    ) -> Path:
        """Publish model version ``model_version``: weights + metadata + resume state (+ the caller's ``run_state``), atomically; returns the weights path.
        TrainingDiverged, and nothing written, if the network is not finite (check_weights). ``origin``: the network
        the run started from, kept in the metadata."""
        self.check_weights()
        self.model_version = model_version
        state = self.state_dict(include_model=False)
        if run_state is not None:
            state["run_state"] = run_state
        return save_checkpoint(
            directory,
            self.published_model,
            step=self.step,
            model_version=self.model_version,
            run_config=run_config,
            training_state=state,
            keep_last=keep_last,
            origin=origin,
        )

    def load_checkpoint(self, path: str | Path) -> dict[str, Any]:
        """Resume from a checkpoint written by save_checkpoint (its architecture must match this trainer's model);
        returns the ``run_state`` saved with it ({} if none)."""
        net = unwrap(self.model)
        ckpt = load_checkpoint(path, expected_config=net.config, expected_shape=net.shape)
        return self.restore(ckpt, ckpt.load_training_state())

    def restore(self, ckpt: Checkpoint, state: dict[str, Any] | None) -> dict[str, Any]:
        """The weights of loaded checkpoint ``ckpt`` and its training ``state`` (None: weights, step and version only);
        returns the ``run_state`` saved with it ({} if none)."""
        unwrap(self.model).load_state_dict(ckpt.state_dict)  # an averaging run's trained weights come from ``state``
        self._start_average_from(ckpt.state_dict)
        if state is None:
            self.step, self.model_version = ckpt.step, ckpt.model_version
            return {}
        self.load_state_dict(state)
        return dict(state.get("run_state") or {})

    def load_weights(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Weights only (``zero train --init-from``): the optimizer, step and version stay as they are (fresh)."""
        unwrap(self.model).load_state_dict(state_dict)
        self._start_average_from(state_dict)

    def _start_average_from(self, state_dict: dict[str, torch.Tensor]) -> None:
        """The moving average starts at these weights (counted as one step averaged) rather than at the first step's."""
        if self.averaged is not None:
            self.averaged.module.load_state_dict(state_dict)
            self.averaged.n_averaged.fill_(1)

    def check_weights(self) -> None:
        """TrainingDiverged if a weight holds a nan or an inf, or the outputs are not finite (weights near overflow)."""
        from zero.nn.checkpoint import network_problems

        problems = network_problems(self.model)
        if self.averaged is not None:
            problems += [f"averaged weights: {problem}" for problem in network_problems(self.averaged.module)]
        if problems:
            raise TrainingDiverged(f"training diverged at step {self.step}: {'; '.join(problems)}")

    def describe(self) -> str:
        return f"{device_description(self.device)}, {self.precision.describe()}"


def premade_batch(replay: ReplayBuffer, batch_size: int, device: torch.device) -> ReplayBatch:
    """A batch sampled once and moved to ``device`` (float planes): the 'no input pipeline' baseline for benchmarks."""
    return replay.sample(batch_size).to(device)
