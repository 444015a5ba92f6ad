"""AlphaGo Zero's resignation threshold, calibrated on played-out games; numpy and games.players only.

In a game that was played out (resignation disabled), the eventual winner's lowest root
value from move ``min_moves`` on is the threshold below which that winner would have
resigned: a false positive. The calibrator keeps these minima for the last ``window``
played-out games and chooses the highest threshold (at most ``cap``) at which no more
than ``target`` of them would have been false positives. With fewer than
``min_evidence`` played-out games there is no evidence, and resignation is off (-1); games
of model versions below ``min_version`` (version 0: the untrained net) are no evidence.
The minima travel in the run's checkpoints (``state_dict``), so a resumed run resigns at once.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from games import FIRST_PLAYER, SECOND_PLAYER

OFF = -1.0


class ResignCalibrator:
    """Feeds on finished GameRecords; ``threshold`` is what the workers resign below (-1 = off)."""

    def __init__(
        self,
        cap: float,
        target: float = 0.05,
        min_evidence: int = 50,
        min_moves: int = 0,
        window: int = 500,
        min_version: int = 1,
    ) -> None:
        self.cap = float(cap)
        self.target = float(target)
        self.min_evidence = int(min_evidence)
        self.min_moves = int(min_moves)
        self.min_version = int(min_version)
        self.winner_minima: deque[float] = deque(maxlen=window)

    def add(self, record) -> None:
        """Count ``record`` if it was played out (resign-disabled, not resigned) and decisive."""
        if (
            not record.resign_disabled
            or record.resigned
            or record.result == 0
            or record.model_version < self.min_version
        ):
            return
        winner = FIRST_PLAYER if record.result > 0 else SECOND_PLAYER
        values = np.asarray(record.root_value)[self.min_moves :]
        mine = values[np.asarray(record.to_move)[self.min_moves :] == winner]
        self.winner_minima.append(float(mine.min()) if mine.size else 1.0)

    @property
    def evidence(self) -> int:
        return len(self.winner_minima)

    @property
    def threshold(self) -> float:
        """The highest t <= cap with share(winner minimum < t) <= target; -1 (off) without enough evidence."""
        n = len(self.winner_minima)
        if n < self.min_evidence or self.cap <= OFF:
            return OFF
        minima = np.sort(np.fromiter(self.winner_minima, np.float64, n))
        allowed = int(np.floor(self.target * n + 1e-9))  # false positives tolerated among n games
        t = (
            float(minima[allowed]) if allowed < n else 1.0
        )  # exactly `allowed` minima lie strictly below minima[allowed] at most
        return max(OFF, min(self.cap, t))

    def false_positive_share(self, threshold: float) -> float | None:
        """Share of the recorded played-out games whose winner would have resigned at ``threshold``."""
        if not self.winner_minima:
            return None
        return float(np.mean(np.fromiter(self.winner_minima, np.float64) < threshold))

    def state_dict(self) -> dict[str, list[float]]:
        """The evidence, as plain floats (checkpoints load it with ``weights_only``)."""
        return {"winner_minima": [float(m) for m in self.winner_minima]}

    def load_state_dict(self, state: dict | None) -> None:
        """Restore ``state_dict()``'s evidence (None or an empty dict: none, as in a new run); refuses anything else."""
        minima = (state or {}).get("winner_minima", [])
        if not isinstance(minima, (list, tuple)) or not all(isinstance(m, (int, float)) for m in minima):
            raise ValueError("resign calibrator state: winner_minima must be a list of numbers")
        self.winner_minima.clear()
        self.winner_minima.extend(float(m) for m in minima)
