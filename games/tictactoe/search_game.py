"""Tic-tac-toe as a SearchGame for the batched search, plus the random-rollout evaluator (never imports mcts: the protocols are structural)."""

from __future__ import annotations

import numpy as np

from games.tictactoe import _kernels
from games.tictactoe.rules import NUM_ACTIONS, PLANE_SHAPE, TicTacToe


class TicTacToeBatch:
    """B tic-tac-toe positions: root_inputs / leaf_inputs for the search, play(actions) to advance them."""

    num_actions = NUM_ACTIONS
    plane_shape = PLANE_SHAPE

    def __init__(self, positions: list[TicTacToe]) -> None:
        if not positions:
            raise ValueError("positions must not be empty")
        self.positions = [p.copy() for p in positions]
        self._sync()

    def _sync(self) -> None:
        self._boards = np.stack([p.board for p in self.positions]).astype(np.int8)
        self._to_move = np.array([p.to_move for p in self.positions], np.int8)

    def root_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(planes float32[B,3,3,3], legal bool[B,9], terminal bool[B], terminal_value float32[B])."""
        b = len(self.positions)
        return self.leaf_inputs(np.arange(b, dtype=np.int32), np.zeros((b, 1), np.int32), np.zeros(b, np.int32))

    def leaf_inputs(self, root_index: np.ndarray, paths: np.ndarray, path_length: np.ndarray):
        """Replay each path from its root in one Numba call (see mcts.interface.SearchGame)."""
        n = root_index.shape[0]
        planes = np.empty((n, *PLANE_SHAPE), np.float32)
        legal = np.empty((n, NUM_ACTIONS), np.bool_)
        terminal = np.empty(n, np.bool_)
        value = np.empty(n, np.float32)
        _kernels.replay_leaves(
            self._boards, self._to_move, root_index, paths, path_length, planes, legal, terminal, value
        )
        return planes, legal, terminal, value

    def play(self, actions: np.ndarray) -> None:
        """Play actions[b] in game b (checked); a negative action leaves game b unchanged."""
        for position, action in zip(self.positions, np.asarray(actions).tolist()):
            if action >= 0:
                position.play(int(action))
        self._sync()


class RolloutEvaluator:
    """Uniform priors and the mean of ``rollouts`` random playouts as the value (a pure-MCTS baseline, no network)."""

    def __init__(self, rollouts: int = 1, seed: int = 0) -> None:
        if rollouts < 1:
            raise ValueError(f"rollouts must be >= 1, got {rollouts}")
        self.rollouts = rollouts
        self.seed = seed

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.empty(planes.shape[0], np.float32)
        _kernels.rollout_values(np.ascontiguousarray(planes, np.float32), self.seed, self.rollouts, values)
        return np.ones((planes.shape[0], NUM_ACTIONS), np.float32), values
