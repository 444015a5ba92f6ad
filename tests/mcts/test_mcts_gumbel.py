"""Gumbel root (Danihelka et al. 2022): the sequential-halving schedule, the best of two actions under a perfect value, the improved policy on a hand-built tree."""

from __future__ import annotations

import numpy as np
import pytest

from mcts import BatchedSearch, SearchParams, Tree, _gumbel_kernels


class Bandit:
    """A one-move game: action a ends it with value q[a] for the player at the root (a perfect, known value)."""

    def __init__(self, q, batch_size: int = 1) -> None:
        self.q = np.asarray(q, np.float32)
        self.num_actions = len(q)
        self.plane_shape = (1, 1, 1)
        self.batch_size = batch_size

    def root_inputs(self):
        b = self.batch_size
        return (
            np.zeros((b, 1, 1, 1), np.float32),
            np.ones((b, self.num_actions), bool),
            np.zeros(b, bool),
            np.zeros(b, np.float32),
        )

    def leaf_inputs(self, root_index, paths, path_length):
        n = len(root_index)
        # the child's value is for the player to move there: the opponent
        return (
            np.zeros((n, 1, 1, 1), np.float32),
            np.zeros((n, self.num_actions), bool),
            np.ones(n, bool),
            -self.q[paths[:n, 0]],
        )


class FixedPriors:
    def __init__(self, priors, value: float = 0.0) -> None:
        self.priors = np.asarray(priors, np.float32)
        self.value = value

    def evaluate(self, planes):
        n = planes.shape[0]
        return np.tile(self.priors, (n, 1)), np.full(n, self.value, np.float32)


def paper_allocation(n: int, m: int) -> list[int]:
    """Visits per action in rank order, written out from the paper's rule: ceil(log2 m) phases; a phase gives each of the
    remaining actions floor(n / (ceil(log2 m) * remaining)) visits, then keeps the better half; leftovers go on with two."""
    return {
        (16, 4): [2 + 4, 2 + 4, 2, 2],
        (32, 8): [1 + 2 + 5 + 3, 1 + 2 + 5 + 3, 1 + 2, 1 + 2, 1, 1, 1, 1],
        (200, 16): [3 + 6 + 12 + 25 + 3] * 2 + [3 + 6 + 12] * 2 + [3 + 6] * 4 + [3] * 8,
    }[(n, m)]


@pytest.mark.parametrize(("n", "m"), [(16, 4), (32, 8), (200, 16)])
def test_visit_allocation_follows_sequential_halving(n, m):
    actions = 20
    ranks = np.arange(actions)
    priors = np.exp(-0.05 * ranks)  # better rank, higher prior and higher value: one consistent order
    q = np.linspace(0.9, -0.9, actions)
    search = BatchedSearch(
        SearchParams(simulations=n, leaves_per_step=1, root="gumbel", gumbel_considered=m),
        batch_size=1,
        num_actions=actions,
    )
    result = search.run(Bandit(q), FixedPriors(priors / priors.sum()), add_noise=False)
    expected = paper_allocation(n, m) + [0] * (actions - m)
    assert sum(expected) == n
    assert result.visits[0].tolist() == expected
    assert result.chosen_action[0] == 0
    search.tree.check_consistency()


def test_perfect_value_and_two_simulations_pick_the_better_of_two_actions():
    q = [-1.0, 1.0]  # action 1 wins, action 0 loses; the prior prefers the loser
    priors = FixedPriors([0.8, 0.2])
    params = SearchParams(simulations=2, leaves_per_step=1, root="gumbel", gumbel_considered=16)
    search = BatchedSearch(params, batch_size=1, num_actions=2)
    result = search.run(Bandit(q), priors, add_noise=False)
    assert result.visits[0].tolist() == [1, 1] and result.chosen_action[0] == 1
    assert result.improved_policy[0, 1] > 0.95
    # with Gumbel noise the best action is still chosen in (nearly) every search, where the prior would pick it 20% of the time
    chosen = []
    for seed in range(100):
        search = BatchedSearch(params, batch_size=1, num_actions=2, seed=seed)
        chosen.append(int(search.run(Bandit(q), priors, add_noise=True).chosen_action[0]))
    assert sum(chosen) >= 92


def test_improved_policy_is_softmax_of_logits_plus_sigma_of_completed_q_on_a_hand_built_tree():
    tree = Tree.allocate(1, 8, 5)
    tree.node_count[0] = 1
    tree.terminal[0, 0] = False
    tree.raw_value[0, 0] = 0.1
    tree.legal[0, 0] = [True, True, True, True, False]
    prior = np.array([0.4, 0.3, 0.2, 0.1, 0.0], np.float32)
    visits = np.array([3, 1, 0, 0, 0], np.int32)
    value_sum = np.array([1.5, -0.4, 0.0, 0.0, 0.0], np.float32)  # Q = 0.5, -0.4
    tree.children_prior[0, 0] = prior
    tree.children_visits[0, 0] = visits
    tree.children_value_sum[0, 0] = value_sum
    scores = np.full((1, 5), _gumbel_kernels.NOT_CONSIDERED)
    scores[0, :4] = np.log(prior[:4])
    improved = np.zeros((1, 5), np.float32)
    chosen = np.zeros(1, np.int32)
    _gumbel_kernels.root_outputs(
        tree.arrays,
        scores,
        50.0,
        0.1,
        improved,
        chosen,
    )
    # by hand: v_mix = (v + sum N * sum_visited(p q) / sum_visited(p)) / (1 + sum N)
    v_mix = (0.1 + 4 * (0.4 * 0.5 + 0.3 * -0.4) / 0.7) / 5
    completed = np.array([0.5, -0.4, v_mix, v_mix])
    rescaled = (completed - completed.min()) / (completed.max() - completed.min())
    sigma = (50 + 3) * 0.1 * rescaled
    logits = np.log(prior[:4].astype(np.float64)) + sigma
    expected = np.exp(logits - logits.max())
    expected /= expected.sum()
    np.testing.assert_allclose(improved[0, :4], expected, rtol=1e-5)
    assert improved[0, 4] == 0.0
    assert chosen[0] == 0  # the most visited considered action with the best g + logits + sigma


def test_gumbel_root_works_at_four_simulations_on_go_and_rejects_tree_reuse():
    from games.go import GoGame, GoRules, GoSearchBatch, RolloutEvaluator

    games = [GoGame(GoRules(size=9, komi=7.5)) for _ in range(3)]
    search = BatchedSearch(
        SearchParams(simulations=4, leaves_per_step=2, root="gumbel", gumbel_considered=16),
        batch_size=3,
        num_actions=82,
        seed=5,
    )
    result = search.run(GoSearchBatch(games), RolloutEvaluator(9, 7.5, 1, seed=1), add_noise=True)
    assert result.visits.sum(axis=1).tolist() == [4, 4, 4]
    assert (result.visits > 0).sum(axis=1).tolist() == [4, 4, 4]  # 4 simulations, 4 sampled actions, one each
    for b in range(3):
        assert result.visits[b, result.chosen_action[b]] > 0
        assert result.improved_policy[b].sum() == pytest.approx(1.0, abs=1e-5)
    search.tree.check_consistency()
    with pytest.raises(ValueError, match="reuse_tree"):
        SearchParams(root="gumbel", reuse_tree=True).validate()
    with pytest.raises(ValueError, match="root must be"):
        SearchParams(root="sideways").validate()


def test_gtp_player_plays_the_gumbel_choice_where_visits_tie():
    from games.go import GoGame, GoRules
    from zero.gtp.player import EngineParams, GoPlayer

    player = GoPlayer(
        EngineParams(visits=16, resign_winrate=0.0, seed=2),
        SearchParams(simulations=16, root="gumbel", gumbel_considered=4),
    )
    game = GoGame(GoRules(size=9, komi=7.5))
    result = player.search(game)
    top = np.flatnonzero(result.visits[0] == result.visits[0].max())
    assert len(top) == 2  # (16, 4): the last two actions get 6 visits each
    assert player.choose_move(game, result) == result.chosen_action[0]


def test_the_root_sample_takes_the_top_m_of_g_plus_logits_ties_to_the_lower_action():
    # roots: 0 without noise (a tie between actions 1, 2, 3), 1 with noise given per legal action in index order,
    # 2 not searched this move (target 0), 3 with no tree yet (not live)
    legal = np.array([[False, True, True, True, False]] * 4)
    prior = np.where(legal, 0.25, 0.0).astype(np.float32)
    noise = np.zeros((4, 5))
    noise[1, :3] = [0.0, 0.0, 5.0]  # the third legal action (3) gets g = 5
    scores = np.zeros((4, 5))
    schedules = np.full((4, 8), -1, np.int32)
    _gumbel_kernels.sample_root_scores(
        prior,
        legal,
        np.array([True, True, True, False]),
        noise,
        np.array([False, True, False, False]),
        2,
        np.array([8, 8, 0, 8], np.int32),
        scores,
        schedules,
    )
    considered = np.isfinite(scores)
    assert considered[0].tolist() == [False, True, True, False, False]
    assert considered[1].tolist() == [False, True, False, True, False]
    assert scores[1, 3] == pytest.approx(np.log(0.25) + 5.0) and scores[0, 1] == pytest.approx(np.log(0.25))
    assert not considered[2:].any() and (schedules[2:] == -1).all()
    expected = np.zeros(8, np.int32)
    _gumbel_kernels.considered_visit_sequence(2, 8, expected)
    assert (schedules[0] == expected).all() and (schedules[1] == expected).all()
