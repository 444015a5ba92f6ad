"""The two protocols the search talks to: a batch of root positions (SearchGame) and a network-like Evaluator.

Value perspective, stated once for the whole project: every value (network output,
terminal value, Q, root value) is from the point of view of the player to move in
the position it belongs to, in [-1, 1] (+1 = that player wins).
Games implement these protocols structurally; they do not import this module.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Evaluator(Protocol):
    """Maps a batch of input planes to move priors and values (one call serves every leaf of a step)."""

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """planes: float32[L, C, H, W] -> (priors float32[L, A] (need not be normalised or masked), values float32[L])."""
        ...


class MarginEvaluator(Evaluator, Protocol):
    """An evaluator that also predicts each position's final margin (Go: a network with a score head): the search
    then averages margins beside the values (KataGo's scoreMean)."""

    predicts_margin: bool

    def evaluate_with_margin(
        self, planes: np.ndarray, score_centre: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """planes (and score centres, as evaluate takes them) -> (evaluate's priors and values, margins float32[L]
        in points for the player to move)."""
        ...


def predicts_margins(evaluator: object) -> bool:
    """Whether ``evaluator`` is a MarginEvaluator that predicts margins."""
    return bool(getattr(evaluator, "predicts_margin", False)) and hasattr(evaluator, "evaluate_with_margin")


class OwnershipEvaluator(Evaluator, Protocol):
    """An evaluator that also predicts who owns each point at the end (Go: a network with an ownership head): a
    search built with ``ownership_points`` then averages it over its tree (KataGo's search-averaged ownership)."""

    has_ownership: bool

    def evaluate_heads(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """planes -> (priors as evaluate's, raw values (no utility), margins float32[L] or None, ownership
        float32[L, H, W] in [-1, 1], +1 = the player to move owns the point)."""
        ...

    def utility(
        self, value: np.ndarray, score: np.ndarray | None, score_centre: np.ndarray | None = None
    ) -> np.ndarray:
        """The search's utility of raw values and margins (what evaluate returns as values)."""
        ...


def predicts_ownership(evaluator: object) -> bool:
    """Whether ``evaluator`` is an OwnershipEvaluator whose network has an ownership head."""
    return bool(getattr(evaluator, "has_ownership", False)) and hasattr(evaluator, "evaluate_heads")


class SearchGame(Protocol):
    """A batch of B root positions that the search expands by replaying action paths from them."""

    num_actions: int  # A: size of the action space (Go: N*N + 1, the last is pass)
    plane_shape: tuple[int, int, int]  # (C, H, W) of one position's input planes

    def root_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Inputs for the B roots: (planes float32[B,C,H,W], legal bool[B,A], terminal bool[B], terminal_value float32[B])."""
        ...

    def leaf_inputs(
        self, root_index: np.ndarray, paths: np.ndarray, path_length: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Replay ``paths[l, :path_length[l]]`` (action indices) from root ``root_index[l]`` for each leaf l.

        root_index: int32[L]; paths: int32[L, D]; path_length: int32[L].
        Returns (planes float32[L,C,H,W], legal bool[L,A], terminal bool[L],
        terminal_value float32[L]) for the positions reached; terminal_value is the
        game result for the player to move there and is only meaningful where terminal.
        The search may overwrite the returned planes (it moves the non-terminal rows to the front in place).
        """
        ...

    # Optional, for a game whose results have a margin (Go): ``terminal_margins(root_index, paths, path_length)`` ->
    # float32[L], the final margin (points, for the player to move) where the position reached is terminal, else 0.
    # A search that averages scores values terminal leaves with it (without it, a terminal leaf's margin counts 0).
    # Optional too: ``score_offset`` float32[B], points to add to the evaluator's margins for each root's player to
    # move (negated a ply down), e.g. for a network trained at another komi; absent = 0.
    # Optional for a search that tracks ownership: ``terminal_ownership(root_index, paths, path_length)`` ->
    # float32[L, P], the final owner of each point (+1 = the player to move at the leaf) where the position reached
    # is terminal, else 0 (without it, a terminal leaf's ownership counts 0: nobody's).
