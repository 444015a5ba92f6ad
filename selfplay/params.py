"""Parameter dataclasses of the self-play layer (game choice, worker, run loop, arena); imports nothing heavy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class GameParams:
    """Which game the run plays; Go rules live in their own section ([go])."""

    name: Literal["go", "tictactoe"] = field(default="go", metadata={"doc": "game to learn: go or tictactoe"})


@dataclass(frozen=True)
class SelfPlayParams:
    """How one self-play worker plays its B games in lockstep (AlphaGo Zero, with KataGo's options)."""

    games_in_parallel: int = field(
        default=16, metadata={"doc": "B: games each worker plays in lockstep through one batched search"}
    )
    games_per_task: int = field(
        default=8, metadata={"doc": "finished games a worker returns per task (the unit of work in flight)"}
    )
    temperature_moves: int = field(
        default=8,
        metadata={"doc": "opening moves sampled from the visit distribution; later moves take the most visited"},
    )
    temperature: float = field(
        default=1.0, metadata={"doc": "temperature for the opening moves (1 = proportional to visits)"}
    )
    resign_threshold: float = field(
        default=-0.9, metadata={"doc": "resign when the root value for the side to move is below this (-1 disables)"}
    )
    resign_playout_fraction: float = field(
        default=0.1, metadata={"doc": "fraction of games that never resign, to measure resignation false positives"}
    )
    resign_min_moves: int = field(default=10, metadata={"doc": "no resignation before this many moves"})
    resign_calibrate: bool = field(
        default=False,
        metadata={
            "doc": "AlphaGo Zero: the run sets the threshold from played-out games so that false positives stay under resign_false_positive_target; resign_threshold is then the most aggressive allowed, and resignation is off until there is evidence"
        },
    )
    resign_false_positive_target: float = field(
        default=0.05,
        metadata={
            "doc": "with resign_calibrate: highest share of played-out games the eventual winner would have resigned"
        },
    )
    resign_min_evidence: int = field(
        default=50, metadata={"doc": "with resign_calibrate: played-out games needed before resignation turns on"}
    )
    pass_min_moves: int = field(
        default=0,
        metadata={
            "doc": "Go self-play: no pass before this many moves while a legal move that does not fill the mover's own eye exists (0 = off)"
        },
    )
    playout_cap_randomization: bool = field(
        default=False,
        metadata={"doc": "KataGo: most moves use a fast search; only full-search moves become training targets"},
    )
    full_search_probability: float = field(
        default=0.25,
        metadata={"doc": "chance that a move step uses the full simulation count (with playout_cap_randomization)"},
    )
    fast_simulations: int = field(
        default=16, metadata={"doc": "simulations of a fast move step (with playout_cap_randomization)"}
    )
    score_utility_weight: float = field(
        default=0.0,
        metadata={
            "doc": "search utility = (1 - w) * value + w * (2/pi) atan(score / score_utility_scale) with the network's score head (KataGo's score utility, mixed so it stays in [-1, 1]); 0 = value only"
        },
    )
    komi_stdev: float = field(
        default=0.0,
        metadata={
            "doc": "Go: each game's komi is drawn around go.komi with this standard deviation, rounded to a half point (KataGo randomises komi; needs network.komi_input); 0 = always go.komi"
        },
    )
    score_utility_scale: float = field(
        default=5.0, metadata={"doc": "points of predicted margin at which the score utility is half its bound"}
    )
    dynamic_score_utility_weight: float = field(
        default=0.0,
        metadata={
            "doc": "KataGo's dynamic score utility: + d * (2/pi) atan((score - centre) / score_utility_scale), centre = the root's predicted margin when the move's search starts (the value's weight becomes 1 - w - d): steepest at the margin the game is heading for, so a won game is still played for more points; needs network.score_head; 0 = off"
        },
    )
    random_symmetry: bool = field(
        default=False,
        metadata={
            "doc": "the network sees each position in a random one of the 8 board symmetries, mapped back (Leela Zero's self-play; zero gtp does it by default): its errors in one orientation do not repeat across a tree"
        },
    )
    compile: bool = field(
        default=False,
        metadata={
            "doc": "torch.compile each worker's network (PyTorch's inductor; on a CPU it needs a C++ compiler; where compiling fails the network runs without it): go9_cpu's self-play made 1.16x the positions per second of eager PyTorch on one core of an Intel Xeon, after 18 s of compiling (BENCHMARKS.md, session 16). Off by default: 30 minutes of go9_cpu with it made 1.14 to 1.25x the positions and won 140 of 200 against GNU Go level 1, where eager runs won 150 and 146 (BENCHMARKS.md, session 17)"
        },
    )
    sgf_fraction: float = field(
        default=0.05, metadata={"doc": "fraction of finished games also written as SGF under sgf/ (Go only)"}
    )
    device: str = field(default="cpu", metadata={"doc": "device of each worker's network copy: cpu, cuda or auto"})

    def validate(self) -> None:
        if self.games_in_parallel < 1:
            raise ValueError(f"games_in_parallel must be >= 1, got {self.games_in_parallel}")
        if self.games_per_task < 1:
            raise ValueError(f"games_per_task must be >= 1, got {self.games_per_task}")
        if self.temperature_moves < 0:
            raise ValueError(f"temperature_moves must be >= 0, got {self.temperature_moves}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if not -1.0 <= self.resign_threshold <= 1.0:
            raise ValueError(f"resign_threshold must be in [-1, 1], got {self.resign_threshold}")
        if not 0.0 <= self.resign_playout_fraction <= 1.0:
            raise ValueError(f"resign_playout_fraction must be in [0, 1], got {self.resign_playout_fraction}")
        if self.resign_min_moves < 0:
            raise ValueError(f"resign_min_moves must be >= 0, got {self.resign_min_moves}")
        if not 0.0 <= self.resign_false_positive_target < 1.0:
            raise ValueError(f"resign_false_positive_target must be in [0, 1), got {self.resign_false_positive_target}")
        if self.resign_min_evidence < 1:
            raise ValueError(f"resign_min_evidence must be >= 1, got {self.resign_min_evidence}")
        if self.pass_min_moves < 0:
            raise ValueError(f"pass_min_moves must be >= 0, got {self.pass_min_moves}")
        if not 0.0 < self.full_search_probability <= 1.0:
            raise ValueError(f"full_search_probability must be in (0, 1], got {self.full_search_probability}")
        if self.fast_simulations < 1:
            raise ValueError(f"fast_simulations must be >= 1, got {self.fast_simulations}")
        if not 0.0 <= self.score_utility_weight < 1.0:
            raise ValueError(f"score_utility_weight must be in [0, 1), got {self.score_utility_weight}")
        if not 0.0 <= self.komi_stdev <= 100.0:
            raise ValueError(f"komi_stdev must be in [0, 100], got {self.komi_stdev}")
        if self.score_utility_scale <= 0:
            raise ValueError(f"score_utility_scale must be > 0, got {self.score_utility_scale}")
        if not 0.0 <= self.dynamic_score_utility_weight < 1.0 - self.score_utility_weight:
            raise ValueError(
                "dynamic_score_utility_weight must be >= 0 and below 1 - score_utility_weight "
                f"({1.0 - self.score_utility_weight:g}), got {self.dynamic_score_utility_weight}"
            )
        if not 0.0 <= self.sgf_fraction <= 1.0:
            raise ValueError(f"sgf_fraction must be in [0, 1], got {self.sgf_fraction}")
        if self.device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"device must be cpu, cuda or auto, got {self.device!r}")


@dataclass(frozen=True)
class RunParams:
    """The training run: workers, the balance between self-play and training, checkpoints, stopping."""

    name: str = field(
        default="run", metadata={"doc": "run name; the run directory is runs/<name> unless --run-dir is given"}
    )
    seed: int = field(default=0, metadata={"doc": "base seed; worker i plays with seed + 1000 * (i + 1)"})
    num_workers: int | Literal["auto"] = field(
        default=2,
        metadata={
            "doc": "self-play worker actors, or \"auto\": as many as the cluster's nodes hold (worker_cpus / worker_gpus each) once the trainer's share is set aside, growing when a node joins"
        },
    )
    worker_cpus: float = field(
        default=1.0, metadata={"doc": "CPUs Ray reserves for each worker actor (its torch threads: at least 1)"}
    )
    worker_gpus: float = field(
        default=0.0,
        metadata={
            "doc": "GPU share Ray reserves for each worker actor (e.g. 0.25); selfplay.device auto uses CUDA only with a share"
        },
    )
    trainer_cpus: float = field(
        default=1.0,
        metadata={
            "doc": 'with num_workers = "auto": CPUs of the driver\'s node Ray keeps for the trainer (no worker is placed on them)'
        },
    )
    trainer_gpus: float = field(
        default=0.25,
        metadata={
            "doc": 'with num_workers = "auto" and the trainer on CUDA: share of the driver\'s GPU Ray keeps for the trainer'
        },
    )
    tasks_in_flight_per_worker: int = field(default=1, metadata={"doc": "cap on self-play tasks queued per worker"})
    train_samples_per_new_sample: float = field(
        default=4.0, metadata={"doc": "training samples drawn per new self-play position (0 = self-play only)"}
    )
    max_train_lag: int = field(
        default=2000, metadata={"doc": "positions the trainer may owe before self-play tasks wait for it"}
    )
    min_replay_positions: int = field(
        default=1000, metadata={"doc": "positions in the replay window before training starts"}
    )
    steps_per_version: int = field(
        default=100, metadata={"doc": "train steps between weight publications (one model version each)"}
    )
    checkpoint_every_steps: int = field(
        default=500, metadata={"doc": "train steps between checkpoints (also written at the end of the run)"}
    )
    max_steps: int = field(default=0, metadata={"doc": "stop after this many train steps in total (0 = no limit)"})
    max_minutes: float = field(
        default=0.0,
        metadata={"doc": "stop after this many minutes of active time in total, over resumes (0 = no limit)"},
    )
    snapshot_every_minutes: float = field(
        default=0.0,
        metadata={
            "doc": "also keep the weights of the first checkpoint after every this many active minutes, in "
            "snapshots/<minutes>min/, never pruned (e.g. 30: a 60-minute run keeps its 30-minute network; 0 = off)"
        },
    )
    max_games: int = field(default=0, metadata={"doc": "stop after this many self-play games in total (0 = no limit)"})
    progress: bool = field(default=True, metadata={"doc": "show a tqdm progress display"})

    def validate(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"name must be a non-empty name without '/', got {self.name!r}")
        if self.num_workers != "auto" and self.num_workers < 1:
            raise ValueError(f'num_workers must be >= 1 or "auto", got {self.num_workers}')
        if self.worker_cpus < 0 or self.worker_gpus < 0:
            raise ValueError("worker_cpus must be >= 0 (and worker_gpus too)")
        if self.num_workers == "auto" and self.worker_cpus == 0 and self.worker_gpus == 0:
            raise ValueError('num_workers: "auto" counts workers by worker_cpus or worker_gpus; set one of them > 0')
        if self.trainer_cpus < 0 or self.trainer_gpus < 0:
            raise ValueError("trainer_cpus must be >= 0 (and trainer_gpus too)")
        if self.tasks_in_flight_per_worker < 1:
            raise ValueError(f"tasks_in_flight_per_worker must be >= 1, got {self.tasks_in_flight_per_worker}")
        if self.train_samples_per_new_sample < 0:
            raise ValueError(f"train_samples_per_new_sample must be >= 0, got {self.train_samples_per_new_sample}")
        if self.max_train_lag < 1:
            raise ValueError(f"max_train_lag must be >= 1, got {self.max_train_lag}")
        if self.min_replay_positions < 1:
            raise ValueError(f"min_replay_positions must be >= 1, got {self.min_replay_positions}")
        if self.steps_per_version < 1:
            raise ValueError(f"steps_per_version must be >= 1, got {self.steps_per_version}")
        if self.checkpoint_every_steps < 1:
            raise ValueError(f"checkpoint_every_steps must be >= 1, got {self.checkpoint_every_steps}")
        for limit in ("max_steps", "max_games", "max_minutes"):
            if getattr(self, limit) < 0:
                raise ValueError(f"{limit} must be >= 0 (0 = no limit), got {getattr(self, limit)}")
        if not 0 <= self.snapshot_every_minutes < float("inf"):
            raise ValueError(f"snapshot_every_minutes must be >= 0 (0 = off), got {self.snapshot_every_minutes}")


@dataclass(frozen=True)
class ArenaParams:
    """Evaluation during the run: the new network against the previous one and the random-rollout MCTS baseline."""

    every_versions: int = field(default=5, metadata={"doc": "evaluate every K model versions (0 = never)"})
    games: int = field(default=20, metadata={"doc": "games per pairing, colours alternating"})
    simulations: int = field(default=64, metadata={"doc": "simulations per move for both sides (equal simulations)"})
    baseline_rollouts: int = field(default=1, metadata={"doc": "random rollouts per leaf of the MCTS baseline"})
    temperature_moves: int = field(default=2, metadata={"doc": "opening moves sampled (temperature 1) so games differ"})
    gnugo_level: int = field(
        default=-1,
        metadata={
            "doc": "a ladder rung during the run: games against GNU Go at this level (0-10) through the match referee; -1 = off (GNU Go level 10 gives the anchored Elo)"
        },
    )
    gnugo_every_versions: int = field(default=10, metadata={"doc": "play the GNU Go rung every K model versions"})
    gnugo_games: int = field(default=20, metadata={"doc": "games per GNU Go rung, colours alternating"})
    gnugo_visits: int = field(default=200, metadata={"doc": "search visits per move of our engine in the GNU Go rung"})
    placement: Literal["trainer", "cluster"] = field(
        default="trainer",
        metadata={
            "doc": "where an evaluation runs: trainer = on the driver's node and the trainer's device (its GPU when it trains on one); cluster = a task on any node with arena.cpus CPUs and arena.gpus GPU"
        },
    )
    cpus: float = field(
        default=1.0,
        metadata={
            "doc": "torch threads of an evaluation on the CPU (at least 1); with placement = cluster also the CPUs Ray reserves for it"
        },
    )
    gpus: float = field(
        default=0.0,
        metadata={"doc": "with placement = cluster: GPU share Ray reserves for an evaluation (it then runs on CUDA)"},
    )

    def validate(self) -> None:
        if not -1 <= self.gnugo_level <= 10:
            raise ValueError(f"gnugo_level must be in 0..10, or -1 for off, got {self.gnugo_level}")
        if self.gnugo_every_versions < 1 or self.gnugo_games < 1 or self.gnugo_visits < 1:
            raise ValueError("gnugo_every_versions must be >= 1 (and gnugo_games, gnugo_visits too)")
        if self.cpus < 0 or self.gpus < 0:
            raise ValueError("cpus must be >= 0 (and gpus too)")
        if self.every_versions < 0:
            raise ValueError(f"every_versions must be >= 0, got {self.every_versions}")
        if self.games < 1:
            raise ValueError(f"games must be >= 1, got {self.games}")
        if self.simulations < 1:
            raise ValueError(f"simulations must be >= 1, got {self.simulations}")
        if self.baseline_rollouts < 1:
            raise ValueError(f"baseline_rollouts must be >= 1, got {self.baseline_rollouts}")
        if self.temperature_moves < 0:
            raise ValueError(f"temperature_moves must be >= 0, got {self.temperature_moves}")
