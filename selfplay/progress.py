"""What a run counts and shows: the totals kept across resumes, how each game ended, the tqdm bar."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from selfplay.records import GameRecord


@dataclass
class RunCounters:
    """Totals kept across resumes (saved in every checkpoint's training state)."""

    games: int = 0
    positions: int = 0  # training positions added to the replay window
    samples_trained: int = 0  # train steps x batch size
    resigned: int = 0
    resign_disabled: int = 0
    resign_false_positives: int = 0
    worker_restarts: int = 0
    active_seconds: float = 0.0  # wall-clock seconds the run loop ran, summed over its starts and resumes
    snapshots_due_done: int = 0  # multiples of run.snapshot_every_minutes already snapshotted (or passed)
    elo: dict = field(default_factory=dict)  # version -> {"vs_baseline": ..., "chained": ...}

    def as_dict(self) -> dict[str, Any]:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RunCounters:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


def how_ended(record: GameRecord) -> str:
    """'resign', 'passes' (the last two moves passed) or 'cap' (move limit, or a game without passes)."""
    if record.resigned:
        return "resign"
    pass_action = record.policy.shape[1] - 1
    moves = record.moves
    if len(moves) >= 2 and moves[-1] == pass_action and moves[-2] == pass_action:
        return "passes"
    return "cap"


class RunProgress:
    """A tqdm bar (train steps, or games for self-play only) with the run's figures as postfix; silent when disabled."""

    def __init__(self, enabled: bool, total: int, initial: int = 0) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total or None, initial=initial, unit="step" if total else "it", dynamic_ncols=True)

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def set_postfix(self, values: dict) -> None:
        if self.bar is not None:
            self.bar.set_postfix(values, refresh=False)

    def write(self, text: str) -> None:
        """A line above the bar, on stderr with the bar: stdout stays for `zero train --json`'s one JSON object."""
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
