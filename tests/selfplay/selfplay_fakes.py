"""Evaluators with scripted values for self-play tests (imported by the test modules of this folder)."""

from __future__ import annotations

import numpy as np


class BlackDespairs:
    """Uniform priors; the value says Black is lost (-0.99 when Black is to move, +0.99 when White is)."""

    def __init__(self, num_actions: int) -> None:
        self.num_actions = num_actions

    def evaluate(self, planes: np.ndarray):
        black_to_move = planes[:, 16, 0, 0] > 0.5
        values = np.where(black_to_move, -0.99, 0.99).astype(np.float32)
        return np.full((len(planes), self.num_actions), 1.0 / self.num_actions, np.float32), values
