"""The search on solved tic-tac-toe positions: wins, blocks, the drawn empty board, batched == single, tree reuse, the player."""

import numpy as np
import pytest

from games.tictactoe import RolloutEvaluator, TicTacToe, TicTacToeBatch, best_actions, cell, solve
from mcts import NO_ACTION, BatchedSearch, SearchParams, UniformEvaluator, choose_moves

WIN_IN_ONE = """
X X .
O O .
. . ."""  # X to move: c1 wins (and O threatens c2)
MUST_BLOCK = """
X . .
. X .
O . ."""  # O to move: only c3 stops the diagonal
FORK_DEFENCE = """
X . .
. O .
. . X"""  # O to move: a corner loses to a fork, an edge holds


def _search(diagrams, simulations=800, evaluator=None, **params):
    positions = [TicTacToe.from_diagram(d) if isinstance(d, str) else d for d in diagrams]
    search = BatchedSearch(SearchParams(simulations=simulations, **params), batch_size=len(positions), num_actions=9)
    result = search.run(TicTacToeBatch(positions), evaluator or RolloutEvaluator(rollouts=4), add_noise=False)
    search.tree.check_consistency()
    return positions, result


def test_win_in_one_and_must_block_get_the_most_visits():
    positions, result = _search([WIN_IN_ONE, MUST_BLOCK, FORK_DEFENCE], simulations=1500)
    assert result.best_actions()[0] == cell("c1")
    assert result.best_actions()[1] == cell("c3")
    assert int(result.best_actions()[2]) in best_actions(positions[2])  # an edge, not a corner
    assert result.root_value[0] > 0.9  # the win is found and backed up
    assert result.q[0, cell("c1")] == 1.0  # terminal win, valued by the game every visit
    assert result.pv(0) == [cell("c1")]  # the game ends there


def test_known_answers_need_no_rollouts_terminal_values_suffice():
    _, result = _search([WIN_IN_ONE, MUST_BLOCK], simulations=400, evaluator=UniformEvaluator(9))
    assert result.best_actions().tolist() == [cell("c1"), cell("c3")]


def test_empty_board_value_converges_to_a_draw():
    values = []
    for sims in (1000, 30000):
        _, result = _search([TicTacToe()], simulations=sims, evaluator=RolloutEvaluator(rollouts=1))
        values.append(abs(float(result.root_value[0])))
    # random playouts favour the first player (about +0.3); search corrects towards the true 0
    assert values[1] < 0.08 and values[1] < values[0]


def test_terminal_root_gets_no_visits_and_no_move():
    over = TicTacToe.from_diagram("X X X\nO O .\n. . .")
    _, result = _search([over, TicTacToe()], simulations=50)
    assert result.terminal.tolist() == [True, False]
    assert result.visits[0].sum() == 0 and result.best_actions()[0] == NO_ACTION
    assert result.simulations.tolist() == [0, 50]


def test_batched_search_equals_the_same_searches_one_at_a_time():
    diagrams = [TicTacToe(), WIN_IN_ONE, FORK_DEFENCE, "X . .\n. . .\n. . .", MUST_BLOCK]
    positions = [TicTacToe.from_diagram(d) if isinstance(d, str) else d for d in diagrams]
    params = SearchParams(simulations=300, leaves_per_step=4, reuse_tree=True)
    evaluator = RolloutEvaluator(rollouts=2, seed=9)
    together = BatchedSearch(params, batch_size=len(positions), num_actions=9, seed=100)
    game = TicTacToeBatch(positions)
    batched = [together.run(game, evaluator, add_noise=True).visits]
    moves = together.result().best_actions()
    moves[1] = NO_ACTION  # that game is over after the win: its tree resets
    together.advance(moves)
    game.play(moves)
    batched.append(together.run(game, evaluator, add_noise=True).visits)
    for b, pos in enumerate(positions):
        alone = BatchedSearch(params, batch_size=1, num_actions=9, seed=100 + b)
        single_game = TicTacToeBatch([pos])
        first = alone.run(single_game, evaluator, add_noise=True).visits[0]
        assert np.array_equal(first, batched[0][b]), f"game {b}, move 1"
        alone.advance(moves[b : b + 1])
        single_game.play(moves[b : b + 1])
        assert np.array_equal(alone.run(single_game, evaluator, add_noise=True).visits[0], batched[1][b]), (
            f"game {b}, move 2"
        )


def test_noise_changes_the_root_priors_only_with_noise_on_and_alpha_scales_with_legal_moves():
    game = TicTacToeBatch([TicTacToe()])
    search = BatchedSearch(SearchParams(simulations=20), batch_size=1, num_actions=9)
    plain = search.run(game, UniformEvaluator(9), add_noise=False).prior[0]
    assert np.allclose(plain, 1 / 9)
    search.reset()
    noisy = search.run(game, UniformEvaluator(9), add_noise=True).prior[0]
    assert noisy.sum() == pytest.approx(1.0) and not np.allclose(noisy, 1 / 9)
    assert noisy.min() >= 0.75 / 9 - 1e-6  # epsilon 0.25: at least 75% of the flat prior remains
    # Running again on the same root does not stack a second noise sample.
    assert np.array_equal(search.run(game, UniformEvaluator(9), add_noise=True).prior[0], noisy)


def test_tree_reuse_keeps_the_subtree_of_the_move_played():
    game = TicTacToeBatch([TicTacToe()])
    params = SearchParams(simulations=500, reuse_tree=True)
    search = BatchedSearch(params, batch_size=1, num_actions=9)
    result = search.run(game, RolloutEvaluator(), add_noise=False)
    tree = search.tree
    move = int(result.best_actions()[0])
    child = tree.children_index[0, 0, move]
    child_visits = tree.children_visits[0, child].copy()
    child_q = tree.children_value_sum[0, child].copy()
    search.advance(np.array([move]))
    tree.check_consistency()
    assert tree.node_visits[0, 0] == result.visits[0, move]
    assert np.array_equal(tree.children_visits[0, 0], child_visits)
    assert np.array_equal(tree.children_value_sum[0, 0], child_q)
    game.play(np.array([move]))
    again = search.run(game, RolloutEvaluator(), add_noise=False)
    assert again.simulations[0] == 500 and search.tree.node_count[0] <= 501
    search.tree.check_consistency()
    # Without reuse the same advance empties the tree.
    fresh = BatchedSearch(SearchParams(simulations=50), batch_size=1, num_actions=9)
    fresh.run(TicTacToeBatch([TicTacToe()]), UniformEvaluator(9), add_noise=False)
    fresh.advance(np.array([4]))
    assert fresh.tree.node_count[0] == 0


def test_time_limit_stops_early():
    search = BatchedSearch(SearchParams(simulations=200000, leaves_per_step=1), batch_size=1, num_actions=9)
    result = search.run(TicTacToeBatch([TicTacToe()]), RolloutEvaluator(), add_noise=False, max_seconds=0.02)
    assert 0 < result.simulations[0] < 200000


def test_match_player_never_loses_to_the_perfect_solver():
    """Four games as X and four as O against a solver that picks randomly among its optimal moves."""
    rng = np.random.default_rng(0)
    games = 8
    positions = [TicTacToe() for _ in range(games)]
    player_is_x = np.array([b % 2 == 0 for b in range(games)])
    search = BatchedSearch(SearchParams(simulations=2000), batch_size=games, num_actions=9)
    evaluator = RolloutEvaluator(rollouts=4)
    batch = TicTacToeBatch(positions)
    while not all(p.is_over() for p in batch.positions):
        to_move_x = np.array([p.to_move == 1 for p in batch.positions])
        actions = search.run(batch, evaluator, add_noise=False).best_actions()  # match play: most visited
        for b, pos in enumerate(batch.positions):
            if pos.is_over():
                actions[b] = NO_ACTION
            elif to_move_x[b] != player_is_x[b]:
                actions[b] = rng.choice(best_actions(pos))
        search.advance(actions)
        batch.play(actions)
    for b, pos in enumerate(batch.positions):
        assert pos.winner() != (2 if player_is_x[b] else 1), f"game {b} lost:\n{pos.diagram()}"
    assert solve(TicTacToe()) == 0


def test_the_temperature_sampler_samples_early_then_plays_greedily():
    """choose_moves, the one sampler of self-play, the arena and GTP random_moves: T = 1 draws from the visits, T = 0 takes the most visited."""
    first_moves = set()
    for seed in range(6):
        rng = np.random.default_rng(seed)
        search = BatchedSearch(SearchParams(simulations=200), batch_size=1, num_actions=9, seed=seed)
        result = search.run(TicTacToeBatch([TicTacToe()]), UniformEvaluator(9), add_noise=True)
        actions = choose_moves(result.visits, np.array([1.0]), rng)  # move 1: sampled
        first_moves.add(int(actions[0]))
        assert result.visits[0, actions[0]] > 0
        search.reset()
        result = search.run(TicTacToeBatch([TicTacToe.from_diagram(WIN_IN_ONE)]), UniformEvaluator(9), add_noise=True)
        actions = choose_moves(result.visits, np.array([0.0]), rng)  # move 2: greedy
        assert actions[0] == result.best_actions()[0]
    assert len(first_moves) > 1
    visits = np.array([[0, 3, 3, 1], [0, 0, 0, 0]])
    assert set(choose_moves(visits, 0.0, np.random.default_rng(1))[:1].tolist()) <= {1, 2}  # ties broken at random
    assert choose_moves(visits, 1.0, np.random.default_rng(1))[1] == NO_ACTION  # nothing visited
    drawn = [choose_moves(visits[:1], 1.0, np.random.default_rng(s))[0] for s in range(700)]
    assert drawn.count(3) / 700 == pytest.approx(1 / 7, abs=0.04) and 0 not in drawn  # N^(1/T) with T = 1
