"""One batched search over B game objects per move (through the game adapter) and move choice from visits; numpy + mcts, no torch or ray."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mcts import BatchedSearch, SearchParams


@dataclass(frozen=True)
class SearchOutcome:
    """The search of B positions: what the worker records and chooses from."""

    visits: np.ndarray  # int32[B, A]  root visit counts
    root_value: np.ndarray  # float32[B]  for the player to move
    planes: np.ndarray  # float32[B, C, H, W]  the roots' input planes (0/1)
    legal: np.ndarray  # bool[B, A]  legal moves at the roots
    improved_policy: np.ndarray | None = None  # float32[B, A]  Gumbel root: the policy target (None with PUCT)
    chosen_action: np.ndarray | None = None  # int32[B]  Gumbel root: the move sequential halving chose
    target_visits: np.ndarray | None = None  # float32[B, A]  forced playouts on: visits with them pruned (KataGo)
    prior: np.ndarray | None = None  # float32[B, A]  the roots' priors the search used (PUCT: with its noise)


class CountingEvaluator:
    """Wraps an Evaluator, counting positions evaluated and seconds spent inside it (self-play efficiency)."""

    def __init__(self, evaluator) -> None:
        self.inner = evaluator
        self.evals = 0
        self.calls = 0
        self.seconds = 0.0

    def evaluate(self, planes: np.ndarray):
        start = time.perf_counter()
        out = self.inner.evaluate(planes)
        self.seconds += time.perf_counter() - start
        self.evals += int(planes.shape[0])
        self.calls += 1
        return out


class _CachedRoots:
    """A SearchGame whose root_inputs() is computed once, so the worker can record the root planes without a second build."""

    def __init__(self, game) -> None:
        self.game = game
        self.num_actions = game.num_actions
        self.plane_shape = game.plane_shape
        self._roots = None

    def root_inputs(self):
        if self._roots is None:
            self._roots = self.game.root_inputs()
        return self._roots

    def leaf_inputs(self, root_index, paths, path_length):
        return self.game.leaf_inputs(root_index, paths, path_length)


class BatchSearcher:
    """A BatchedSearch of fixed batch size B over lists of B game objects, one move at a time."""

    def __init__(
        self,
        adapter,
        params: SearchParams,
        evaluator,
        *,
        batch_size: int,
        seed: int = 0,
        no_pass_before: int = 0,
        keep_root_evaluations: bool = False,
    ) -> None:
        """``keep_root_evaluations`` (self-play: one evaluator, every move searched): a root whose position the previous
        search evaluated as the played move's child is not evaluated again (BatchedSearch.keep_root_evaluations)."""
        self.adapter = adapter
        self.no_pass_before = no_pass_before
        self.evaluator = evaluator
        self.batch_size = batch_size
        # self-play reads no margins from its results: the search does not average them
        self.search = BatchedSearch(
            params, batch_size=batch_size, num_actions=adapter.num_actions, seed=seed, track_scores=False
        )
        self.search.keep_root_evaluations = keep_root_evaluations

    def search_games(
        self, games: list, *, simulations: int | np.ndarray, add_noise: bool | np.ndarray, evaluator=None
    ) -> SearchOutcome:
        """Search the current positions of ``games`` (length B); finished games come back with zero visits.
        ``simulations`` and ``add_noise`` may differ per game (int[B], bool[B])."""
        if len(games) != self.batch_size:
            raise ValueError(f"expected {self.batch_size} games, got {len(games)}")
        if evaluator is not None and evaluator is not self.evaluator:
            self.search.forget_root_evaluations()  # kept from another evaluator's search
        batch = _CachedRoots(self.adapter.search_batch(games, no_pass_before=self.no_pass_before))
        result = self.search.run(
            batch, evaluator or self.evaluator, add_noise=add_noise, simulations=simulations, lines=False
        )
        planes, legal, _, _ = batch.root_inputs()
        return SearchOutcome(
            visits=result.visits,
            root_value=result.root_value,
            planes=planes,
            legal=legal,
            improved_policy=result.improved_policy,
            chosen_action=result.chosen_action,
            target_visits=result.target_visits,
            prior=result.prior,
        )

    def advance(self, actions: np.ndarray) -> None:
        """``actions[b]`` was played in game b (NO_ACTION = a new game starts there): reuse or reset each tree."""
        self.search.advance(np.asarray(actions, np.int32))
