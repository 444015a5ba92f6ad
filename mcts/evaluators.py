"""Evaluators that need no network: uniform priors and value 0 (for benchmarks and tests); game-specific rollout evaluators live in games/ (no games, torch or ray here)."""

from __future__ import annotations

import numpy as np


class UniformEvaluator:
    """Flat priors and value 0 for every position: the search then measures only its own and the board's cost."""

    def __init__(self, num_actions: int) -> None:
        self.num_actions = num_actions
        self.calls = 0  # evaluate() calls so far
        self.positions = 0  # positions evaluated so far

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """planes float32[L, C, H, W] -> (priors float32[L, A] all ones, values float32[L] zeros)."""
        n = planes.shape[0]
        self.calls += 1
        self.positions += n
        return np.ones((n, self.num_actions), np.float32), np.zeros(n, np.float32)
