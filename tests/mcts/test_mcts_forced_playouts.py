"""KataGo's forced playouts and policy target pruning (Wu 2019, section 3.1) at noised PUCT roots."""

from __future__ import annotations

import math

import numpy as np
import pytest

from games.tictactoe import TicTacToe, TicTacToeBatch
from mcts import BatchedSearch, SearchParams
from mcts.tree import ROOT


class _PeakedEvaluator:
    """Prior 0.9 on the centre (action 4), the rest spread evenly; value 0 everywhere."""

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        priors = np.full((planes.shape[0], 9), 0.1 / 8, np.float32)
        priors[:, 4] = 0.9
        return priors, np.zeros(planes.shape[0], np.float32)


def _search(k: float, add_noise: bool, simulations: int = 200):
    # epsilon 0: the noise request switches forced playouts on without changing the priors
    params = SearchParams(simulations=simulations, leaves_per_step=1, dirichlet_epsilon=0.0, forced_playouts_k=k)
    search = BatchedSearch(params, batch_size=1, num_actions=9)
    result = search.run(TicTacToeBatch([TicTacToe()]), _PeakedEvaluator(), add_noise=add_noise)
    return search, result


def test_every_root_child_gets_its_forced_visits_only_where_forced_playouts_are_on():
    _, plain = _search(0.0, add_noise=True)
    _, forced = _search(4.0, add_noise=True)
    _, unnoised = _search(4.0, add_noise=False)
    others = [a for a in range(9) if a != 4]
    floor = math.floor(math.sqrt(4.0 * (0.1 / 8) * 199))  # whole playouts owed just before the last simulation: 3
    assert plain.visits[0, others].min() < floor  # PUCT alone starves the low-prior moves...
    assert forced.visits[0, others].min() >= floor  # ...forced playouts give each its share
    assert np.array_equal(unnoised.visits, plain.visits)  # no noise (play, not self-play): no forcing
    assert plain.target_visits is None and forced.target_visits is not None
    assert np.array_equal(unnoised.target_visits, unnoised.visits)  # nothing to prune where nothing was forced


def test_a_child_owed_less_than_one_whole_playout_is_not_forced():
    # at 32 simulations a move of prior 0.0125 is owed sqrt(2 * 0.0125 * 31) = 0.88 playouts: none. A real-valued
    # bound forced every unvisited move once, in board order, and self-play learned to open in the corner.
    _, plain = _search(0.0, add_noise=True, simulations=32)
    _, forced = _search(2.0, add_noise=True, simulations=32)
    assert np.array_equal(forced.visits, plain.visits)


def test_pruning_takes_the_forced_visits_back_off_the_target():
    _, plain = _search(0.0, add_noise=True)
    _, forced = _search(2.0, add_noise=True)
    target = forced.target_visits[0]
    assert target[4] == forced.visits[0, 4]  # the most visited child keeps its visits
    assert (target <= forced.visits[0]).all()
    # what remains of the other moves is about what PUCT alone gave them
    assert target[[a for a in range(9) if a != 4]].sum() <= plain.visits[0, [a for a in range(9) if a != 4]].sum() + 8


def test_pruned_visits_match_a_brute_force_search_for_the_smallest_visit_count_puct_would_not_prefer():
    params = SearchParams(simulations=200, forced_playouts_k=2.0)
    search = BatchedSearch(params, batch_size=1, num_actions=4)
    tree = search.tree
    prior = np.array([0.5, 0.3, 0.15, 0.05])
    visits = np.array([60, 25, 10, 5])
    q = np.array([0.2, 0.1, -0.3, 0.15])
    tree.node_count[0] = 1
    tree.legal[0, ROOT] = True
    tree.children_prior[0, ROOT] = prior
    tree.children_visits[0, ROOT] = visits
    tree.children_value_sum[0, ROOT] = q * visits
    tree.node_visits[0, ROOT] = 1 + visits.sum()
    search._root_rules.forced[0] = True
    pruned = search.pruned_visits(visits[None].astype(np.int32))[0]

    parent_n = 1 + visits.sum()
    explore = (math.log((1 + parent_n + params.c_base) / params.c_base) + params.c_init) * math.sqrt(parent_n)

    def puct(a, n):
        return q[a] + explore * prior[a] / (1 + n)

    best = puct(0, visits[0])
    for a in (1, 2, 3):
        forced_share = math.sqrt(2.0 * prior[a] * visits.sum())
        steps = np.linspace(0.0, forced_share, 200_001)
        allowed = [visits[a] - t for t in steps if puct(a, visits[a] - t) <= best]
        expected = min(allowed) if allowed else visits[a]
        expected = 0.0 if expected < visits[a] and expected <= 1 else expected
        assert pruned[a] == pytest.approx(expected, abs=1e-3), a
    assert pruned[0] == visits[0]


def test_forced_playouts_k_must_not_be_negative():
    with pytest.raises(ValueError, match="forced_playouts_k"):
        SearchParams(forced_playouts_k=-1.0).validate()
