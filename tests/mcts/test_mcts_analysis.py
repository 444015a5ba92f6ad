"""What analysis reads from the search: KataGo's LCB from visits and value variance, each root move's variation, allow/avoid filters, per-tree targets."""

import numpy as np
import pytest

from games.tictactoe import RolloutEvaluator, TicTacToe, TicTacToeBatch, cell
from mcts import BatchedSearch, SearchParams
from mcts.search import MIN_VISITS_FOR_LCB, MoveFilter, norm_to_t, value_lcb

WIN_IN_ONE = """
X X .
O O .
. . ."""  # X to move: c1 wins


def test_lcb_is_mean_minus_t_scaled_standard_error():
    values = np.array([1.0, -1.0, 1.0, 1.0, -1.0, 1.0, 1.0, 1.0])  # eight backed-up values of one move
    n, w, sq = len(values), values.sum(), (values**2).sum()
    mean, var = values.mean(), values.var()
    expected = mean - norm_to_t(5.0, n) * np.sqrt(var / n)
    assert value_lcb(np.array([n]), np.array([w]), np.array([sq]))[0] == pytest.approx(expected)
    # More visits with the same spread: a tighter bound, still below the mean.
    wide, tight = value_lcb(np.array([n, 100 * n]), np.array([w, 100 * w]), np.array([sq, 100 * sq]))
    assert wide < tight < mean
    # A constant value has (almost) no variance: the bound is the mean.
    assert value_lcb(np.array([50]), np.array([25.0]), np.array([12.5]))[0] == pytest.approx(0.5, abs=1e-3)
    # Too few visits: the whole range; no visits: NaN.
    few = value_lcb(np.array([MIN_VISITS_FOR_LCB - 1, 0]), np.array([1.0, 0.0]), np.array([1.0, 0.0]))
    assert few[0] == pytest.approx(1.0 / (MIN_VISITS_FOR_LCB - 1) - 2.0) and np.isnan(few[1])


def test_t_quantile_is_wider_than_normal_and_tends_to_it():
    assert norm_to_t(5.0, 4) > norm_to_t(5.0, 30) > norm_to_t(5.0, 100000) == pytest.approx(5.0, rel=1e-3)


def _search(diagrams, capacity, **run):
    positions = [TicTacToe.from_diagram(d) if isinstance(d, str) else d for d in diagrams]
    search = BatchedSearch(SearchParams(simulations=capacity), batch_size=len(positions), num_actions=9, seed=1)
    result = search.run(TicTacToeBatch(positions), RolloutEvaluator(rollouts=2, seed=5), add_noise=False, **run)
    search.tree.check_consistency()
    return search, result


def test_search_lcb_matches_the_tree_and_ranks_the_winning_move_first():
    search, result = _search([WIN_IN_ONE], 400)
    tree = search.tree
    visits = result.visits[0]
    for a in np.flatnonzero(visits):
        child = tree.children_index[0, 0, a]
        expected = value_lcb(
            np.array([visits[a]]),
            np.array([tree.children_value_sum[0, 0, a]]),
            np.array([tree.node_value_sq_sum[0, child]]),
        )[0]
        assert result.q_lcb[0, a] == pytest.approx(expected, abs=1e-5)
        assert result.q_lcb[0, a] <= result.q[0, a] + 1e-6
    assert np.isnan(result.q_lcb[0][visits == 0]).all()
    win = cell("c1")
    assert np.nanargmax(result.q_lcb[0]) == win
    assert result.q_lcb[0, win] > 0.9  # a forced win: every value is +1, no variance


def test_every_root_move_gets_its_own_variation_following_most_visits():
    search, result = _search([TicTacToe()], 300)
    tree = search.tree
    moves = np.flatnonzero(result.visits[0])
    lines, line_visits, length = search.variations(np.zeros(len(moves), np.int32), moves.astype(np.int32))
    best = int(result.best_actions()[0])
    assert lines[list(moves).index(best), : length[list(moves).index(best)]].tolist() == result.pv(0)
    for k, a in enumerate(moves):
        line = lines[k, : length[k]]
        assert line[0] == a and line_visits[k, 0] == result.visits[0, a]
        node = 0
        for d, move in enumerate(line):
            if d > 0:  # every later move is the most visited child (first on ties)
                assert move == int(np.argmax(tree.children_visits[0, node]))
            assert line_visits[k, d] == tree.children_visits[0, node, move]
            node = tree.children_index[0, node, move]
        assert (lines[k, length[k] :] == -1).all()
    # A move without visits has an empty variation.
    unvisited = np.flatnonzero(result.visits[0] == 0)
    if unvisited.size:
        assert search.variations(np.zeros(1, np.int32), unvisited[:1].astype(np.int32))[2][0] == 0


def test_allow_filter_confines_the_root_and_avoid_binds_only_until_its_depth():
    allowed = np.zeros((1, 2, 9), bool)
    allowed[0, 0, [cell("a3"), cell("b2")]] = True  # the root player may play a3 or b2 only
    allowed[0, 1] = True
    _, result = _search([TicTacToe()], 200, move_filter=MoveFilter(allowed, np.array([[1, 0]], np.int32)))
    assert set(np.flatnonzero(result.visits[0])) == {cell("a3"), cell("b2")}
    assert result.visits[0].sum() == 200
    # Avoid the winning c1 for X at the root only: the search plays elsewhere at the root but may still win later.
    avoid = np.ones((1, 2, 9), bool)
    avoid[0, 0, cell("c1")] = False
    search, result = _search([WIN_IN_ONE], 200, move_filter=MoveFilter(avoid, np.array([[1, 1]], np.int32)))
    assert result.visits[0, cell("c1")] == 0 and result.visits[0].sum() == 200
    deeper = search.tree.legal[0, 1 : search.tree.node_count[0]]
    assert deeper[:, cell("c1")].any()  # c1 stays legal below the root


def test_per_tree_targets_stop_each_tree_at_its_own_visits():
    _, result = _search([TicTacToe(), WIN_IN_ONE, TicTacToe()], 300, simulations=np.array([50, 120, 0]))
    assert result.simulations.tolist() == [50, 120, 0]
    with pytest.raises(ValueError):
        _search([TicTacToe()], 30, simulations=np.array([31]))


def test_root_policy_temperature_flattens_or_sharpens_the_root_priors_only():
    search = BatchedSearch(SearchParams(simulations=20), batch_size=2, num_actions=9)
    game = TicTacToeBatch([TicTacToe(), TicTacToe.from_diagram(WIN_IN_ONE)])
    search.expand_roots(game, RolloutEvaluator(rollouts=1, seed=2))
    tree = search.tree
    legal = tree.legal[:, 0].copy()
    tree.children_prior[0, 0] = np.array([0.4, 0.2, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03], np.float32)
    before = tree.children_prior[:, 0].copy()
    search.temper_root_priors(np.array([2.0, 1.0]))
    expected = np.sqrt(before[0]) / np.sqrt(before[0]).sum()
    assert np.allclose(tree.children_prior[0, 0], expected, atol=1e-6)  # T = 2: p^(1/2), renormalised
    assert np.array_equal(tree.children_prior[1, 0], before[1])  # T = 1 leaves a root alone
    assert np.array_equal(tree.legal[:, 0], legal)
    search.temper_root_priors(np.array([0.5, 1.0]))  # T < 1 sharpens back
    assert np.allclose(tree.children_prior[0, 0], before[0], atol=1e-6)
