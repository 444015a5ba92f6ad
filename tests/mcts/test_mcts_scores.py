"""The search's average final margin (KataGo's scoreMean): backed up beside the values and negated a ply up, terminal leaves valued by the game's margin, network margins moved by the game's score offset."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import GoGame, GoRules, GoSearchBatch
from mcts import BatchedSearch, SearchParams
from mcts.tree import ROOT, UNVISITED

SIDE_TO_MOVE = 16  # plane 16: 1 where Black is to move (the 17-plane layout without optional planes)


class BlackViewScorer:
    """Uniform priors, value 0, and a margin chosen in Black's view (``black_view(black, white)`` of the stone
    planes), returned for the player to move; remembers every margin it gave, in Black's view."""

    predicts_margin = True

    def __init__(self, num_actions: int, black_view=lambda black, white: black - 2.0 * white) -> None:
        self.num_actions = num_actions
        self.black_view = black_view
        self.seen: list[float] = []

    def evaluate(self, planes):
        n = planes.shape[0]
        return np.ones((n, self.num_actions), np.float32), np.zeros(n, np.float32)

    def evaluate_with_margin(self, planes, score_centre=None):
        priors, values = self.evaluate(planes)
        black_to_move = planes[:, SIDE_TO_MOVE, 0, 0] > 0.5
        own, opp = planes[:, 0].sum(axis=(1, 2)), planes[:, 8].sum(axis=(1, 2))
        black = self.black_view(np.where(black_to_move, own, opp), np.where(black_to_move, opp, own))
        self.seen.extend(black.tolist())
        return priors, values, np.where(black_to_move, black, -black).astype(np.float32)


def _opening(moves: list[str], size: int = 9, komi: float = 7.5) -> GoGame:
    game = GoGame(GoRules(size=size, komi=komi))
    for move in moves:
        game.play(move)
    return game


def _search(batch, evaluator, simulations: int, **kwargs) -> tuple[BatchedSearch, object]:
    search = BatchedSearch(
        SearchParams(simulations=simulations, leaves_per_step=4), batch_size=len(batch), num_actions=batch.num_actions
    )
    result = search.run(batch, evaluator, add_noise=False, **kwargs)
    search.tree.check_consistency()  # includes: each node's margin sum = its own + minus its children's
    return search, result


@pytest.mark.parametrize("moves", [[], ["E5"], ["E5", "D4", "pass"]])
def test_the_root_margin_is_the_mean_of_every_evaluation_for_the_player_to_move(moves):
    game = _opening(moves)
    scorer = BlackViewScorer(82)
    # no pass while other moves exist: no leaf is a finished game, so every visit is one evaluation
    search, result = _search(GoSearchBatch([game], no_pass_before=50), scorer, 60)
    assert not search.tree.terminal[0, : search.tree.node_count[0]].any()
    assert len(scorer.seen) == search.tree.node_visits[0, ROOT] == 60 + 1  # the root's own evaluation and 60 more
    black_mean = float(np.mean(scorer.seen))
    assert result.root_score[0] == pytest.approx(black_mean if game.to_move == 1 else -black_mean, rel=1e-5)


def _subtree_margin(tree, b: int, node: int) -> float:
    """Sum of the raw margins in the subtree of ``node``, each for the player to move at ``node`` (walked in Python)."""
    total = float(tree.raw_score[b, node])
    for child in tree.children_index[b, node]:
        if child != UNVISITED:
            total -= _subtree_margin(tree, b, int(child))
    return total


def test_each_moves_margin_is_the_mean_over_its_subtree_for_the_player_at_the_root():
    games = [_opening(moves, size=5) for moves in ([], ["C3"], ["B2", "D4", "C3"])]  # Black, White, White to move
    scorer = BlackViewScorer(26)
    search, result = _search(GoSearchBatch(games, no_pass_before=20), scorer, 100)
    tree = search.tree
    for b in range(len(games)):
        visited = np.flatnonzero(result.visits[b])
        assert visited.size > 1 and result.visits[b].max() > 2
        for a in visited:
            child = int(tree.children_index[b, ROOT, a])
            expected = -_subtree_margin(tree, b, child) / tree.node_visits[b, child]
            assert result.score[b, a] == pytest.approx(expected, rel=1e-5, abs=1e-5)
        assert np.isnan(result.score[b][result.visits[b] == 0]).all()
        # the margins vary with the depth (a stone more per ply): the average is not the first ply's raw margin
        first_ply = np.array([-tree.raw_score[b, tree.children_index[b, ROOT, a]] for a in visited])
        assert not np.allclose(result.score[b, visited], first_ply)


def test_a_finished_game_below_the_root_counts_its_own_margin_and_the_offset_moves_only_the_networks():
    # White to move after Black passed: White's pass ends the game (a terminal leaf, valued by the board)
    game = _opening(["C3", "C4", "D3", "D4", "pass"], size=5, komi=0.5)
    scorer = BlackViewScorer(26)
    plain, plain_result = _search(GoSearchBatch([game]), scorer, 200)
    shifted_batch = GoSearchBatch([game])
    shifted_batch.score_offset[:] = 1.5  # 1.5 points more for White, the root's player
    shifted, shifted_result = _search(shifted_batch, scorer, 200)
    tree = plain.tree
    count = tree.node_count[0]
    passed = int(tree.children_index[0, ROOT, 25])
    assert passed != UNVISITED and tree.terminal[0, passed]
    over = game.copy()
    over.play("pass")
    assert tree.raw_score[0, passed] == pytest.approx(over.area_score())  # Black to move there: Black's margin
    # same tree (the values do not read margins); network margins moved by 1.5 for White, terminal ones not at all
    assert shifted.tree.node_count[0] == count
    assert np.array_equal(shifted.tree.parent[0, :count], tree.parent[0, :count])
    depth = np.zeros(count, np.int64)
    for n in range(1, count):
        depth[n] = depth[tree.parent[0, n]] + 1
    terminal = tree.terminal[0, :count]
    moved = np.where(terminal, 0.0, np.where(depth % 2 == 0, 1.5, -1.5))
    assert np.allclose(shifted.tree.raw_score[0, :count] - tree.raw_score[0, :count], moved, atol=1e-5)
    assert terminal.sum() >= 1 and shifted_result.root_score[0] > plain_result.root_score[0]


def test_terminal_margins_are_the_area_score_for_the_player_to_move():
    rng = np.random.default_rng(3)
    for size, komi in [(5, 0.5), (7, 6.5), (9, 7.5)]:
        game = GoGame(GoRules(size=size, komi=komi))
        while not game.is_over:  # random moves, a pass now and then, passes only after 2 N^2 moves
            moves = game.legal_moves()
            late = game.move_number > 2 * size * size
            game.play("pass" if late or not moves or rng.random() < 0.05 else moves[rng.integers(len(moves))])
        batch = GoSearchBatch([game])
        margin = batch.terminal_margins(np.zeros(1, np.int32), np.zeros((1, 1), np.int32), np.zeros(1, np.int32))
        black = game.area_score()
        assert black != 0 and margin[0] == pytest.approx(black if game.to_move == 1 else -black)
    # a position that is not finished has no margin
    live = GoSearchBatch([_opening(["E5"])])
    assert live.terminal_margins(np.zeros(1, np.int32), np.zeros((1, 1), np.int32), np.zeros(1, np.int32))[0] == 0.0


def test_no_margins_without_a_score_head_or_when_not_tracked():
    game = _opening(["E5"])
    _, result = _search(GoSearchBatch([game]), BlackViewScorer(82), 16)
    assert result.score is not None and result.root_score is not None
    search = BatchedSearch(SearchParams(simulations=16), batch_size=1, num_actions=82, track_scores=False)
    result = search.run(GoSearchBatch([game]), BlackViewScorer(82), add_noise=False)
    assert result.score is None and result.root_score is None
    assert not search.tree.node_score_sum[0, : search.tree.node_count[0]].any()
    plain = BlackViewScorer(82)
    plain.predicts_margin = False
    _, result = _search(GoSearchBatch([game]), plain, 16)
    assert result.score is None and plain.seen == []
