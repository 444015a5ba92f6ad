"""The search's average ownership (KataGo's ownership, ownershipStdev and movesOwnership): each node keeps the evaluator's ownership of its position, negated a ply down, terminal leaves owned as the game scores them, the rows moved with a reused subtree."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import BLACK, GoGame, GoRules, GoSearchBatch
from mcts import BatchedSearch, SearchParams
from mcts.tree import NO_PARENT, ROOT, UNVISITED

SIDE_TO_MOVE = 16  # plane 16: 1 where Black is to move (the 17-plane layout without optional planes)


class BlackViewOwner:
    """Uniform priors, value 0, and an ownership chosen in Black's view: the stones (+1 Black, -1 White) and the
    empty points leaning to whoever has more stones, returned for the player to move; remembers each one it gave."""

    has_ownership = True

    def __init__(self, num_actions: int) -> None:
        self.num_actions = num_actions
        self.seen: list[np.ndarray] = []  # Black's view, one [N, N] per position evaluated

    def evaluate(self, planes):
        n = planes.shape[0]
        return np.ones((n, self.num_actions), np.float32), np.zeros(n, np.float32)

    def utility(self, value, score, score_centre=None):
        return np.asarray(value, np.float32)

    def black_view(self, planes) -> np.ndarray:
        black_to_move = planes[:, SIDE_TO_MOVE, 0, 0] > 0.5
        own, opp = planes[:, 0], planes[:, 8]
        black = np.where(black_to_move[:, None, None], own, opp)
        white = np.where(black_to_move[:, None, None], opp, own)
        lean = np.sign(black.sum(axis=(1, 2)) - white.sum(axis=(1, 2)) + 0.5)[:, None, None]  # ties: Black's
        return np.where(black + white > 0, black - white, 0.3 * lean).astype(np.float32)

    def evaluate_heads(self, planes):
        priors, values = self.evaluate(planes)
        black = self.black_view(planes)
        self.seen.extend(black)
        black_to_move = planes[:, SIDE_TO_MOVE, 0, 0] > 0.5
        return priors, values, None, np.where(black_to_move[:, None, None], black, -black)


def _opening(moves: list[str], size: int = 5) -> GoGame:
    game = GoGame(GoRules(size=size, komi=0.5))
    for move in moves:
        game.play(move)
    return game


def _search(games, simulations: int, no_pass_before: int = 30, **params):
    evaluator = BlackViewOwner(games[0].num_actions)
    points = games[0].size ** 2
    search = BatchedSearch(
        SearchParams(simulations=simulations, leaves_per_step=4, **params),
        batch_size=len(games),
        num_actions=games[0].num_actions,
        ownership_points=points,
    )
    result = search.run(GoSearchBatch(games, no_pass_before=no_pass_before), evaluator, add_noise=False)
    search.tree.check_consistency()
    return search, result, evaluator


def _position(root: GoGame, tree, b: int, node: int) -> GoGame:
    """The position of ``node`` in tree ``b``, replayed from ``root`` along the parent links (in Python)."""
    path = []
    while tree.parent[b, node] != NO_PARENT:
        path.append(int(tree.action_from_parent[b, node]))
        node = int(tree.parent[b, node])
    game = root.copy()
    for action in reversed(path):
        game.play(action)
    return game


def _mover_view(evaluator: BlackViewOwner, game: GoGame) -> np.ndarray:
    black = evaluator.black_view(game.planes()[None])[0].reshape(-1)
    return black if game.to_move == BLACK else -black


@pytest.mark.parametrize("moves", [[], ["C3"], ["B2", "D4", "pass"]])
def test_the_root_ownership_is_the_mean_and_spread_of_every_evaluation_for_the_player_to_move(moves):
    game = _opening(moves)
    search, result, evaluator = _search([game], 60)
    assert not search.tree.terminal[0, : search.tree.node_count[0]].any()  # no pass: every visit is one evaluation
    assert len(evaluator.seen) == 61  # the root's own evaluation and 60 more
    seen = np.stack(evaluator.seen).reshape(61, -1)
    sign = 1.0 if game.to_move == BLACK else -1.0
    np.testing.assert_allclose(result.ownership[0], sign * seen.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(result.ownership_stdev[0], seen.std(axis=0), atol=1e-4)
    assert result.ownership_stdev[0].max() > 0.1  # the lean of the empty points changes along the lines searched


def _subtree(tree, b: int, node: int) -> tuple[np.ndarray, int]:
    """(sum of the raw ownership in the subtree of ``node``, each for the player to move at ``node``; its nodes)."""
    total, count = tree.raw_ownership[b, node].astype(np.float64), 1
    for child in tree.children_index[b, node]:
        if child != UNVISITED:
            below, n = _subtree(tree, b, int(child))
            total, count = total - below, count + n
    return total, count


def test_each_node_keeps_its_positions_ownership_and_each_move_averages_its_subtree():
    games = [_opening(moves) for moves in ([], ["C3"], ["B2", "D4", "C3"])]  # Black, White, White to move
    search, result, evaluator = _search(games, 100)
    tree = search.tree
    for b, game in enumerate(games):
        for node in range(tree.node_count[b]):  # the row written for each leaf is its own position's
            expected = _mover_view(evaluator, _position(game, tree, b, node))
            np.testing.assert_allclose(tree.raw_ownership[b, node], expected, atol=1e-6)
        visited = result.visits[b] > 0
        assert visited.sum() >= 2 and (~visited).any()
        for a in np.flatnonzero(visited):
            below, count = _subtree(tree, b, int(tree.children_index[b, ROOT, a]))
            np.testing.assert_allclose(result.moves_ownership[b, a], -below / count, atol=1e-5)  # the root's view
        assert np.isnan(result.moves_ownership[b, ~visited]).all()
        assert np.isnan(result.moves_ownership_stdev[b, ~visited]).all()


def test_without_each_moves_ownership_results_carry_the_trees_alone_and_the_same():
    games = [_opening(moves) for moves in ([], ["C3"])]
    search, full, _ = _search(games, 50)
    search.moves_ownership = False
    alone = search.result()
    assert alone.moves_ownership is None and alone.moves_ownership_stdev is None
    np.testing.assert_array_equal(alone.ownership, full.ownership)
    np.testing.assert_array_equal(alone.ownership_stdev, full.ownership_stdev)


def test_a_reused_subtree_keeps_the_ownership_of_its_positions():
    game = _opening(["C3"])
    search, result, evaluator = _search([game], 400, reuse_tree=True)
    move = int(result.best_actions()[0])
    search.advance(np.array([move], np.int32))
    game.play(move)
    tree = search.tree
    assert tree.node_count[0] > 10
    for node in range(tree.node_count[0]):
        expected = _mover_view(evaluator, _position(game, tree, 0, node))
        np.testing.assert_allclose(tree.raw_ownership[0, node], expected, atol=1e-6)


def test_a_finished_game_in_the_tree_owns_the_points_as_the_game_scores_them():
    # White passed: Black's pass ends the game, and that leaf is valued (and owned) by the game's area count
    game = _opening(["B2", "D4", "C2", "pass"])
    search, result, _ = _search([game], 40, no_pass_before=0)
    tree = search.tree
    finished = int(tree.children_index[0, ROOT, game.num_actions - 1])
    assert finished != UNVISITED and tree.terminal[0, finished]
    over = game.copy()
    over.play("pass")
    assert over.is_over
    white_to_move = -1.0  # the player to move at the finished leaf is White: Black's owners negated
    np.testing.assert_array_equal(tree.raw_ownership[0, finished], white_to_move * over.ownership().reshape(-1))
    # its visits count each time in the root's average, as KataGo's terminal nodes do
    visits = int(tree.node_visits[0, finished])
    assert visits >= 1
    assert result.moves_ownership[0, game.num_actions - 1] == pytest.approx(over.ownership().reshape(-1), abs=1e-6)


def test_a_search_without_ownership_points_or_an_ownership_head_reports_none_and_keeps_no_rows():
    game = _opening(["C3"])
    plain = BatchedSearch(SearchParams(simulations=20), batch_size=1, num_actions=26)
    result = plain.run(GoSearchBatch([game]), BlackViewOwner(26), add_noise=False)
    assert result.ownership is None and plain.tree.raw_ownership.shape == (1, 21, 0)
    headless = BlackViewOwner(26)
    headless.has_ownership = False
    owning = BatchedSearch(SearchParams(simulations=20), batch_size=1, num_actions=26, ownership_points=25)
    assert owning.run(GoSearchBatch([game]), headless, add_noise=False).ownership is None
    assert not headless.seen  # evaluate, never evaluate_heads


@pytest.mark.parametrize("size", [2, 5, 9, 13, 19])
def test_terminal_ownership_is_the_games_area_owners_for_the_player_to_move(size):
    rng = np.random.default_rng(size)
    finished = []
    for _ in range(3):
        game = GoGame(GoRules(size=size, komi=0.5))
        while not game.is_over:  # random moves, a pass now and then, passes only after 2 N^2 moves
            moves = game.legal_moves()
            late = game.move_number > 2 * size * size
            game.play("pass" if late or not moves or rng.random() < 0.05 else moves[rng.integers(len(moves))])
        finished.append(game)
    batch = GoSearchBatch([*finished, _opening([], size=size)])
    roots = np.arange(4, dtype=np.int32)
    owners = batch.terminal_ownership(roots, np.zeros((4, 1), np.int32), np.zeros(4, np.int32))
    for game, row in zip(finished, owners):
        black = game.ownership().reshape(-1).astype(np.float32)
        assert np.abs(black).sum() > 0
        np.testing.assert_array_equal(row, black if game.to_move == BLACK else -black)
    np.testing.assert_array_equal(owners[3], 0.0)  # a game not finished owns nothing yet
    # and at a leaf: the last pass played by the search ends a game that was one pass from its end
    over = finished[0]
    over.undo()
    leaf = GoSearchBatch([over]).terminal_ownership(
        np.zeros(1, np.int32), np.array([[size * size]], np.int32), np.ones(1, np.int32)
    )
    over.play("pass")
    black = over.ownership().reshape(-1)
    np.testing.assert_array_equal(leaf[0], black if over.to_move == BLACK else -black)
