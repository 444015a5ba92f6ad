"""The replay window: recent training positions stored compactly in memory and as atomic shards on disk, sampled uniformly with a random symmetry; imports numpy, torch and games.symmetry, never ray or sgfmill.

Sample contract (what self-play produces, per position):
    planes     0/1 uint8 or bool [C, H, W]   input features (stored bit-packed)
    policy     float32 [A]                   search visit distribution, sums to 1 (stored float16)
    value      float32                       final result for the player to move: +1 / -1 / 0
    ownership  int8 [H, W] or absent         final owner: +1 player to move, -1 opponent, 0 neither
    score      float32 or absent (NaN)       final area margin for the player to move (games that ended by scoring)
    constant   float32 [K] (K = constant_planes) the values of the last K input planes, each the same at every point
                                             (Go's komi plane): stored as one number per plane, not as bits
    opponent_move int or absent (-1)          the move played from the next position (the opponent's reply):
                                             the opponent policy head's target (stored as int16)

In memory the window is a ring of ``capacity`` slots; sampling draws from the newest
``window_size(total_added)`` positions, which grows with the number of positions ever
added when ``growth`` is on (KataGo, Wu 2019 section 4.1: ``c * (1 + beta * ((n/c)^alpha - 1) / alpha)``).
On disk, every ``shard_size`` added positions become ``shard-<first index>.npz``
(np.savez written to a temporary name then os.replace; read back with
allow_pickle=False). At start the newest shards are reloaded; a shard that cannot be
read is reported (``corrupt_shards`` and a warning) and skipped. Shards entirely older
than the ring's capacity are deleted.
Sampling is split so the trainer can overlap it with the device's work: ``sample_packed``
(host: pick positions and symmetries, copy their stored bytes) and ``decode`` (torch on
the training device: unpack bits, apply each sample's symmetry as one gather).
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from games.symmetry import NUM_SYMMETRIES, point_permutation

_SHARD = re.compile(r"^shard-(\d{12})\.npz$")


def _valid_moves(moves: np.ndarray, num_actions: int) -> bool:
    """Every entry an action index or -1 (none)."""
    return bool(((moves >= -1) & (moves < num_actions)).all())


def shard_files(directory: Path) -> list[tuple[int, Path]]:
    """The replay shards in ``directory`` as (first position index, path), oldest first (none if it is no folder)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _SHARD.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


@dataclass(frozen=True)
class ReplayConfig:
    """Size and growth of the replay window and how it is sharded on disk."""

    window: int = field(
        default=500_000, metadata={"doc": "most recent positions kept and sampled from (the maximum when growing)"}
    )
    growth: bool = field(
        default=True, metadata={"doc": "grow the window with the positions seen so far, as KataGo does"}
    )
    growth_min: int = field(
        default=100_000, metadata={"doc": "KataGo's c: window size while few positions have been seen"}
    )
    growth_alpha: float = field(default=0.75, metadata={"doc": "KataGo's alpha: exponent of the window's growth"})
    growth_beta: float = field(default=0.4, metadata={"doc": "KataGo's beta: scale of the window's growth"})
    shard_size: int = field(default=16_384, metadata={"doc": "positions per shard file on disk"})

    def validate(self) -> None:
        if self.window < 1:
            raise ValueError(f"window must be at least 1, got {self.window}")
        if self.growth_min < 1:
            raise ValueError(f"growth_min must be at least 1, got {self.growth_min}")
        if not 0.0 < self.growth_alpha <= 1.0:
            raise ValueError(f"growth_alpha must be in (0, 1], got {self.growth_alpha}")
        if self.growth_beta < 0.0:
            raise ValueError(f"growth_beta must be >= 0, got {self.growth_beta}")
        if self.shard_size < 1:
            raise ValueError(f"shard_size must be at least 1, got {self.shard_size}")

    def window_size(self, total_added: int) -> int:
        """Positions to sample from after ``total_added`` positions were ever added (at most ``window``)."""
        if not self.growth or total_added <= self.growth_min:
            return min(self.window, total_added)
        c, a = self.growth_min, self.growth_alpha
        grown = c * (1.0 + self.growth_beta * ((total_added / c) ** a - 1.0) / a)
        return int(min(self.window, total_added, grown))


@dataclass
class ReplayBatch:
    """A training batch as CPU torch tensors: planes uint8 [B,C,H,W], policy float32 [B,A], value float32 [B], ownership float32 [B,H,W], has_ownership bool [B],
    score float32 [B] (final area margin for the side to move, 0 where unknown), has_score bool [B] (None: no score targets),
    target_weight float32 [B] (the weight of the ownership and score targets where they exist; None: all 1),
    opponent_move int64 [B] (the opponent's reply, an action in the sample's orientation; -1: none; None: no such targets)."""

    planes: torch.Tensor
    policy: torch.Tensor
    value: torch.Tensor
    ownership: torch.Tensor
    has_ownership: torch.Tensor
    score: torch.Tensor | None = None
    has_score: torch.Tensor | None = None
    target_weight: torch.Tensor | None = None
    opponent_move: torch.Tensor | None = None

    def to(self, device: torch.device, non_blocking: bool = True) -> ReplayBatch:
        """Move to ``device``; planes become float32 there (uint8 travels 4x cheaper)."""
        return ReplayBatch(
            self.planes.to(device, non_blocking=non_blocking).float(),
            self.policy.to(device, non_blocking=non_blocking),
            self.value.to(device, non_blocking=non_blocking),
            self.ownership.to(device, non_blocking=non_blocking),
            self.has_ownership.to(device, non_blocking=non_blocking),
            None if self.score is None else self.score.to(device, non_blocking=non_blocking),
            None if self.has_score is None else self.has_score.to(device, non_blocking=non_blocking),
            None if self.target_weight is None else self.target_weight.to(device, non_blocking=non_blocking),
            None if self.opponent_move is None else self.opponent_move.to(device, non_blocking=non_blocking),
        )

    def __len__(self) -> int:
        return int(self.value.shape[0])


@dataclass
class PackedBatch:
    """A sampled batch as stored (CPU tensors): planes_packed uint8 [B, ceil(C*H*W/8)], policy float16 [B,A], value float32 [B], ownership int8 [B,H*W], has_ownership bool [B], syms int64 [B], score float32 [B], has_score bool [B], constant float32 [B,K], target_weight float16 [B], opponent_move int16 [B] (-1: none)."""

    planes: torch.Tensor
    policy: torch.Tensor
    value: torch.Tensor
    ownership: torch.Tensor
    has_ownership: torch.Tensor
    syms: torch.Tensor
    score: torch.Tensor
    has_score: torch.Tensor
    constant: torch.Tensor
    target_weight: torch.Tensor
    opponent_move: torch.Tensor

    def pin_memory(self) -> PackedBatch:
        """Page-locked copies, so the host-to-device copy can overlap the device's work."""
        return PackedBatch(*(getattr(self, f.name).pin_memory() for f in fields(self)))


class ReplayBuffer:
    """The replay window for one game shape; ``add`` positions, ``sample`` batches, ``flush`` the tail to disk."""

    def __init__(
        self,
        config: ReplayConfig,
        *,
        in_channels: int,
        board_size: int,
        num_actions: int,
        directory: str | Path | None = None,
        seed: int | None = None,
        constant_planes: int = 0,
    ) -> None:
        """``in_channels`` planes per position as the network sees them, of which the last ``constant_planes``
        are constant-valued (stored as one float each) and the others 0/1 (stored as bits)."""
        config.validate()
        if not 0 <= constant_planes < in_channels:
            raise ValueError(f"constant_planes must be in 0..{in_channels - 1}, got {constant_planes}")
        self.config = config
        self.in_channels, self.board_size, self.num_actions = in_channels, board_size, num_actions
        self.constant_planes = constant_planes
        self.binary_channels = in_channels - constant_planes
        points = board_size * board_size
        if num_actions not in (points, points + 1):
            raise ValueError(
                f"num_actions must be {points} or {points + 1} for a {board_size}x{board_size} board, got {num_actions}"
            )
        self.plane_bits = self.binary_channels * points
        self.capacity = config.window
        cap = self.capacity
        self._planes = np.zeros((cap, (self.plane_bits + 7) // 8), np.uint8)  # bit-packed [C*H*W] per slot
        self._policy = np.zeros((cap, num_actions), np.float16)
        self._value = np.zeros(cap, np.float32)
        self._ownership = np.zeros((cap, points), np.int8)
        self._has_ownership = np.zeros(cap, bool)
        self._score = np.zeros(cap, np.float32)  # final area margin for the side to move (score head target)
        self._has_score = np.zeros(cap, bool)  # False: the game did not end by scoring (resigned), or an older shard
        self._constant = np.zeros((cap, constant_planes), np.float32)  # the constant planes' values
        # Weight of a position's ownership and score targets (its game's; 1 for most): a game played out past the
        # resign threshold stands for the resigned games like it, which have neither target (selfplay.records).
        self._target_weight = np.ones(cap, np.float16)
        self._opponent_move = np.full(cap, -1, np.int16)  # the opponent's reply (-1: none, or an older shard)
        self.total_added = 0  # positions ever added; slot of position i is i % capacity
        self.directory = Path(directory) if directory is not None else None
        self.corrupt_shards: list[tuple[Path, str]] = []
        self._flushed = 0  # positions [0, _flushed) are on disk
        # positions read from shards at start, the newest last and no gap among them (zero loss reads them)
        self.loaded_positions = 0
        self.rng = np.random.default_rng(seed)
        self._perms = np.stack([point_permutation(board_size, k) for k in range(NUM_SYMMETRIES)])  # [8, H*W]
        self._tables: dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}  # per device (_device_tables)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._load_shards()

    # ---- size -----------------------------------------------------------------
    def __len__(self) -> int:
        """Positions currently sampled from (the window)."""
        return self.config.window_size(self.total_added)

    # ---- adding -----------------------------------------------------------------
    def add(
        self,
        planes: np.ndarray,
        policy: np.ndarray,
        value: np.ndarray,
        ownership: np.ndarray | None = None,
        *,
        score: np.ndarray | None = None,
        constant: np.ndarray | None = None,
        target_weight: np.ndarray | None = None,
        opponent_move: np.ndarray | None = None,
    ) -> None:
        """Add a batch of positions: planes 0/1 [B,C,H,W] (C = the binary channels), policy [B,A], value [B], ownership
        int8 [B,H,W] or None, score float32 [B] (final margin for the side to move; NaN = unknown) or None, constant
        float32 [B,K] (the constant planes' values; required when K = constant_planes > 0), target_weight float32 [B]
        (the weight of the ownership and score targets, >= 0; None = 1), opponent_move int [B] (the opponent's reply,
        an action, or -1 for none; None = none)."""
        planes = np.asarray(planes)
        n = planes.shape[0] if planes.ndim == 4 else -1
        c, s, a = self.binary_channels, self.board_size, self.num_actions
        if planes.shape != (n, c, s, s):
            raise ValueError(f"planes must have shape [B, {c}, {s}, {s}], got {list(planes.shape)}")
        policy, value = np.asarray(policy, np.float32), np.asarray(value, np.float32).reshape(-1)
        if policy.shape != (n, a):
            raise ValueError(f"policy must have shape [{n}, {a}], got {list(policy.shape)}")
        if value.shape != (n,):
            raise ValueError(f"value must have shape [{n}], got {list(value.shape)}")
        if planes.dtype != bool and ((planes != 0) & (planes != 1)).any():
            raise ValueError("planes must be 0/1 (they are stored bit-packed)")
        if ownership is not None:
            ownership = np.asarray(ownership)
            if ownership.shape != (n, s, s):
                raise ValueError(f"ownership must have shape [{n}, {s}, {s}], got {list(ownership.shape)}")
        packed = np.packbits(planes.reshape(n, -1).astype(bool), axis=1)
        own = np.zeros((n, s * s), np.int8) if ownership is None else ownership.reshape(n, -1).astype(np.int8)
        has = np.full(n, ownership is not None)
        score = np.full(n, np.nan, np.float32) if score is None else np.asarray(score, np.float32).reshape(-1)
        if score.shape != (n,):
            raise ValueError(f"score must have shape [{n}], got {list(score.shape)}")
        has_score = np.isfinite(score)
        constant = np.zeros((n, 0), np.float32) if constant is None else np.asarray(constant, np.float32)
        if constant.shape != (n, self.constant_planes) or not np.isfinite(constant).all():
            raise ValueError(
                f"constant must be finite with shape [{n}, {self.constant_planes}], got {list(constant.shape)}"
            )
        weight = np.ones(n, np.float32) if target_weight is None else np.asarray(target_weight, np.float32).reshape(-1)
        if weight.shape != (n,) or not (np.isfinite(weight) & (weight >= 0)).all():
            raise ValueError(f"target_weight must be finite and >= 0 with shape [{n}]")
        reply = np.full(n, -1, np.int64) if opponent_move is None else np.asarray(opponent_move).reshape(-1)
        if reply.shape != (n,) or not np.issubdtype(reply.dtype, np.integer) or not _valid_moves(reply, a):
            raise ValueError(f"opponent_move must be {n} integers in -1..{a - 1}")
        self._put(
            packed,
            policy.astype(np.float16),
            value,
            own,
            has,
            np.where(has_score, score, 0.0),
            has_score,
            constant,
            weight.astype(np.float16),
            reply.astype(np.int16),
        )
        if self.directory is not None:
            while self.total_added - self._flushed >= self.config.shard_size:
                self._write_shard(self._flushed, self._flushed + self.config.shard_size)

    def _put(self, packed, policy, value, own, has, score, has_score, constant, weight, reply) -> None:
        n = len(value)
        if n > self.capacity:  # only the newest capacity positions can survive
            skip = n - self.capacity
            self.total_added += skip
            packed, policy, value, own, has = packed[skip:], policy[skip:], value[skip:], own[skip:], has[skip:]
            score, has_score, constant, weight = score[skip:], has_score[skip:], constant[skip:], weight[skip:]
            reply = reply[skip:]
            n = self.capacity
        slots = (self.total_added + np.arange(n)) % self.capacity
        self._planes[slots], self._policy[slots], self._value[slots] = packed, policy, value
        self._ownership[slots], self._has_ownership[slots] = own, has
        self._score[slots], self._has_score[slots] = score, has_score
        self._constant[slots] = constant
        self._target_weight[slots] = weight
        self._opponent_move[slots] = reply
        self.total_added += n

    # ---- sampling -----------------------------------------------------------------
    def sample(self, batch_size: int, *, augment: bool = True, device: str | torch.device = "cpu") -> ReplayBatch:
        """``batch_size`` positions drawn uniformly (with replacement) from the window, each under a random one of the 8 symmetries."""
        return self.decode(self.sample_packed(batch_size, augment=augment), device)

    def sample_packed(self, batch_size: int, *, augment: bool = True) -> PackedBatch:
        """The cheap host half of ``sample``: pick positions and symmetries, copy their stored bytes (decode later, on the device)."""
        window = len(self)
        if window == 0:
            raise ValueError("the replay buffer is empty: add positions before sampling")
        ages = self.rng.integers(0, window, size=batch_size)
        slots = (self.total_added - 1 - ages) % self.capacity
        syms = self.rng.integers(0, NUM_SYMMETRIES, size=batch_size) if augment else np.zeros(batch_size, np.int64)
        return self._packed(slots, syms)

    def gather(self, slots: np.ndarray, syms: np.ndarray, device: str | torch.device = "cpu") -> ReplayBatch:
        """The positions in ring ``slots`` [B] under symmetries ``syms`` [B] (decoded and transformed together)."""
        return self.decode(self._packed(np.asarray(slots), np.asarray(syms)), device)

    def _packed(self, slots: np.ndarray, syms: np.ndarray) -> PackedBatch:
        return PackedBatch(
            torch.from_numpy(self._planes[slots]),
            torch.from_numpy(self._policy[slots]),
            torch.from_numpy(self._value[slots]),
            torch.from_numpy(self._ownership[slots]),
            torch.from_numpy(self._has_ownership[slots]),
            torch.from_numpy(syms.astype(np.int64)),
            torch.from_numpy(self._score[slots]),
            torch.from_numpy(self._has_score[slots]),
            torch.from_numpy(self._constant[slots]),
            torch.from_numpy(self._target_weight[slots]),
            torch.from_numpy(self._opponent_move[slots]),
        )

    def decode(self, packed: PackedBatch, device: str | torch.device = "cpu") -> ReplayBatch:
        """Unpack bits and apply each sample's symmetry with gathers on ``device`` (a few kernels for the whole batch).

        Symmetry k maps flat point i of the transformed board to ``perm[k][i]`` of the original
        (games.symmetry.point_permutation), so planes, the point part of the policy and the
        ownership are all ``x.gather(-1, perm[syms])``; the pass entry is left in place.
        """
        device = torch.device(device)
        perms, inverses, shifts = self._device_tables(device)
        non_blocking = device.type == "cuda"
        b, c, s = packed.value.shape[0], self.binary_channels, self.board_size
        points = s * s
        bits = packed.planes.to(device, non_blocking=non_blocking)
        planes = ((bits[:, :, None] >> shifts) & 1).reshape(b, -1)[:, : self.plane_bits].reshape(b, c, points)
        index = perms[packed.syms.to(device, non_blocking=non_blocking)]  # [B, P]
        planes = planes.gather(2, index[:, None, :].expand(b, c, points)).reshape(b, c, s, s)
        if self.constant_planes:  # constant planes need no symmetry
            constant = packed.constant.to(device, non_blocking=non_blocking)
            planes = torch.cat([planes.float(), constant[:, :, None, None].expand(b, self.constant_planes, s, s)], 1)
        policy = packed.policy.to(device, non_blocking=non_blocking).float()
        policy = torch.cat([policy[:, :points].gather(1, index), policy[:, points:]], dim=1)
        ownership = packed.ownership.to(device, non_blocking=non_blocking).gather(1, index)
        # a reply on a point moves to where the symmetry puts that point; pass and -1 (none) stay as they are
        reply = packed.opponent_move.to(device, non_blocking=non_blocking).long()
        on_point = (reply >= 0) & (reply < points)
        moved = inverses[packed.syms.to(device, non_blocking=non_blocking)].gather(
            1, reply.clamp(0, points - 1)[:, None]
        )
        reply = torch.where(on_point, moved.squeeze(1), reply)
        return ReplayBatch(
            planes,
            policy,
            packed.value.to(device, non_blocking=non_blocking),
            ownership.reshape(b, s, s).float(),
            packed.has_ownership.to(device, non_blocking=non_blocking),
            packed.score.to(device, non_blocking=non_blocking),
            packed.has_score.to(device, non_blocking=non_blocking),
            packed.target_weight.to(device, non_blocking=non_blocking).float(),
            reply,
        )

    def _device_tables(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per device: the 8 point permutations [8, P], their inverses (where each original point goes) and the bit
        shifts that unpack a byte."""
        key = str(device)
        if key not in self._tables:
            perms = torch.from_numpy(self._perms.astype(np.int64)).to(device)  # [8, P]
            inverses = torch.argsort(perms, dim=1)
            shifts = torch.arange(7, -1, -1, dtype=torch.uint8, device=device)  # np.packbits is big-endian per byte
            self._tables[key] = (perms, inverses, shifts)
        return self._tables[key]

    def window_contents(self) -> dict[str, np.ndarray]:
        """The window, oldest first, as stored (packed planes, float16 policy...): for tests and tools."""
        window = len(self)
        slots = (self.total_added - window + np.arange(window)) % self.capacity
        return {
            "planes": self._planes[slots],
            "policy": self._policy[slots],
            "value": self._value[slots],
            "ownership": self._ownership[slots],
            "has_ownership": self._has_ownership[slots],
            "score": self._score[slots],
            "has_score": self._has_score[slots],
            "constant": self._constant[slots],
            "target_weight": self._target_weight[slots],
            "opponent_move": self._opponent_move[slots],
        }

    # ---- disk -----------------------------------------------------------------
    def flush(self) -> None:
        """Write the positions not yet on disk as one (possibly short) shard."""
        if self.directory is not None and self.total_added > self._flushed:
            self._write_shard(self._flushed, self.total_added)

    def _write_shard(self, start: int, stop: int) -> None:
        start = max(start, self.total_added - self.capacity)  # older ones were overwritten in the ring
        slots = np.arange(start, stop) % self.capacity
        path = self.directory / f"shard-{start:012d}.npz"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(
                    fh,
                    start=np.int64(start),
                    shape=np.array([self.in_channels, self.board_size, self.num_actions], np.int64),
                    planes=self._planes[slots],
                    policy=self._policy[slots],
                    value=self._value[slots],
                    ownership=self._ownership[slots],
                    has_ownership=self._has_ownership[slots],
                    score=self._score[slots],
                    has_score=self._has_score[slots],
                    constant=self._constant[slots],
                    target_weight=self._target_weight[slots],
                    opponent_move=self._opponent_move[slots],
                )
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._flushed = stop
        self._delete_old_shards()

    def _shard_files(self) -> list[tuple[int, Path]]:
        return shard_files(self.directory)

    def _delete_old_shards(self) -> None:
        files = self._shard_files()
        oldest_kept = self.total_added - self.capacity
        for (_, path), (next_start, _) in zip(files, files[1:]):
            if next_start <= oldest_kept:  # every position of this shard left the ring
                path.unlink(missing_ok=True)

    def _load_shards(self) -> None:
        expected = np.array([self.in_channels, self.board_size, self.num_actions])
        for start, path in self._shard_files():
            try:
                with np.load(path, allow_pickle=False) as data:
                    arrays = {
                        k: data[k]
                        for k in ("start", "shape", "planes", "policy", "value", "ownership", "has_ownership")
                    }
                    n = len(arrays["value"])
                    # shards written before the score head have no score: those positions have no score target
                    arrays["score"] = data["score"] if "score" in data.files else np.zeros(n, np.float32)
                    arrays["has_score"] = data["has_score"] if "has_score" in data.files else np.zeros(n, bool)
                    # shards written before constant planes existed have none (their shape says so)
                    arrays["constant"] = data["constant"] if "constant" in data.files else np.zeros((n, 0), np.float32)
                    # ... and shards written before target weights weigh every target 1
                    arrays["target_weight"] = (
                        data["target_weight"] if "target_weight" in data.files else np.ones(n, np.float16)
                    )
                    # ... and shards written before the opponent's reply was kept have none
                    arrays["opponent_move"] = (
                        data["opponent_move"] if "opponent_move" in data.files else np.full(n, -1, np.int16)
                    )
                if not np.array_equal(arrays["shape"], expected):
                    raise ValueError(
                        f"shard is for (channels, size, actions) = {arrays['shape'].tolist()}, expected {expected.tolist()}"
                    )
                if int(arrays["start"]) != start:
                    raise ValueError(f"shard says it starts at {int(arrays['start'])}, its name says {start}")
                if (
                    arrays["planes"].shape != (n, self._planes.shape[1])
                    or arrays["policy"].shape != (n, self.num_actions)
                    or arrays["ownership"].shape != (n, self.board_size**2)
                    or arrays["has_ownership"].shape != (n,)
                    or arrays["score"].shape != (n,)
                    or arrays["has_score"].shape != (n,)
                    or arrays["constant"].shape != (n, self.constant_planes)
                    or not np.isfinite(arrays["constant"]).all()
                    or arrays["target_weight"].shape != (n,)
                    or not (np.isfinite(arrays["target_weight"]) & (arrays["target_weight"] >= 0)).all()
                    or arrays["opponent_move"].shape != (n,)
                ):
                    raise ValueError("array shapes do not match each other")
                replies = arrays["opponent_move"]
                if not np.issubdtype(replies.dtype, np.integer) or not _valid_moves(replies, self.num_actions):
                    raise ValueError(f"opponent_move holds values outside -1..{self.num_actions - 1}")
            except Exception as exc:  # zipfile.BadZipFile, EOFError, ValueError, KeyError, OSError...
                self.corrupt_shards.append((path, f"{type(exc).__name__}: {exc}"))
                continue
            if start > self.total_added:  # a gap (skipped shard) stays a gap in the counter
                self.total_added, self.loaded_positions = start, 0
            self._put(
                arrays["planes"],
                arrays["policy"].astype(np.float16),
                arrays["value"].astype(np.float32),
                arrays["ownership"].astype(np.int8),
                arrays["has_ownership"].astype(bool),
                arrays["score"].astype(np.float32),
                arrays["has_score"].astype(bool),
                arrays["constant"].astype(np.float32),
                arrays["target_weight"].astype(np.float16),
                arrays["opponent_move"].astype(np.int16),
            )
            self.loaded_positions += len(arrays["value"])
        self._flushed = self.total_added
        self.loaded_positions = min(self.loaded_positions, self.capacity)
        if self.corrupt_shards:  # one warning, however many shards: the list is in corrupt_shards
            path, reason = self.corrupt_shards[0]
            more = f" (and {len(self.corrupt_shards) - 1} more)" if len(self.corrupt_shards) > 1 else ""
            warnings.warn(f"replay: skipping unreadable shard {path}: {reason}{more}", RuntimeWarning, stacklevel=2)
