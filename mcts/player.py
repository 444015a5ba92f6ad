"""A move-choosing player on top of BatchedSearch: self-play mode (root noise, temperature for the first moves) and match mode (no noise, most visited), limited by simulations or seconds (no games, torch or ray)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from mcts.interface import Evaluator, PlayableGame, SearchGame
from mcts.params import PlayerParams, SearchParams
from mcts.search import BatchedSearch, SearchResult
from mcts.tree import NO_ACTION

Mode = Literal["selfplay", "match"]


class Player:
    """Chooses one move for each of B games per call; tracks each game's move number for the temperature schedule."""

    def __init__(self, search_params: SearchParams, evaluator: Evaluator, *, batch_size: int, num_actions: int,
                 mode: Mode = "match", player_params: PlayerParams | None = None, seed: int = 0) -> None:
        if mode not in ("selfplay", "match"):
            raise ValueError(f"mode must be 'selfplay' or 'match', got {mode!r}")
        self.params = player_params or PlayerParams()
        self.params.validate()
        self.mode = mode
        self.evaluator = evaluator
        self.search = BatchedSearch(search_params, batch_size=batch_size, num_actions=num_actions, seed=seed)
        self.move_number = np.zeros(batch_size, np.int64)  # moves this player has played in each game
        # Move sampling uses its own streams, apart from the search's noise streams.
        self._rngs = [np.random.default_rng((seed, 1, b)) for b in range(batch_size)]

    def choose(self, game: SearchGame, *, simulations: int | None = None,
               max_seconds: float | None = None) -> tuple[np.ndarray, SearchResult]:
        """Search ``game``'s B roots and pick a move for each: int32[B] (NO_ACTION where the game is over)."""
        result = self.search.run(game, self.evaluator, add_noise=self.mode == "selfplay",
                                 simulations=simulations, max_seconds=max_seconds)
        actions = result.best_actions()
        if self.mode == "selfplay" and self.params.temperature > 0:
            policy = result.policy(self.params.temperature)
            for b in np.flatnonzero(self.move_number < self.params.temperature_moves):  # once per move
                if policy[b].sum() > 0:
                    p = policy[b].astype(np.float64)
                    actions[b] = self._rngs[b].choice(p.shape[0], p=p / p.sum())
        return actions.astype(np.int32), result

    def play(self, game: PlayableGame, *, simulations: int | None = None,
             max_seconds: float | None = None) -> tuple[np.ndarray, SearchResult]:
        """choose() then play the moves in ``game`` and advance the trees (reused if the params say so)."""
        actions, result = self.choose(game, simulations=simulations, max_seconds=max_seconds)
        self.record_moves(actions)
        game.play(actions)
        return actions, result

    def record_moves(self, actions: np.ndarray) -> None:
        """Tell the player that ``actions[b]`` was played in game b (by it or an opponent); NO_ACTION = game over or unknown."""
        actions = np.asarray(actions)
        self.search.advance(actions)
        self.move_number += actions != NO_ACTION

    def reset(self, games: np.ndarray | list[int] | None = None) -> None:
        """New games in the given slots (all if None): empty trees, move numbers back to 0."""
        self.search.reset(games)
        if games is None:
            self.move_number[:] = 0
        else:
            self.move_number[np.asarray(games, dtype=np.int64)] = 0
