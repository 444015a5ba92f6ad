"""KataGo's dynamic score utility: the evaluator's utility around a centre, and the search's centres (the root's predicted
margin, its sign flipped for the player to move at odd depths)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from games.tictactoe import TicTacToe, TicTacToeBatch
from mcts import BatchedSearch, SearchParams
from selfplay.params import SelfPlayParams
from zero.nn.inference import NetworkEvaluator, score_utility
from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

SCORED = NetworkConfig(
    blocks=1,
    channels=8,
    global_pooling_every=0,
    policy_channels=2,
    value_channels=2,
    value_hidden=8,
    score_head=True,
)


def _evaluator(static: float, dynamic: float) -> NetworkEvaluator:
    torch.manual_seed(0)
    evaluator = NetworkEvaluator(PolicyValueNet(SCORED, GameShape(17, 5, 26)), device="cpu", precision="float32")
    evaluator.score_utility_weight = static
    evaluator.dynamic_score_utility_weight = dynamic
    return evaluator


@given(
    value=st.floats(-1.0, 1.0),
    score=st.floats(-400.0, 400.0),
    centre=st.floats(-400.0, 400.0),
    static=st.floats(0.0, 0.5),
    dynamic=st.floats(0.0, 0.49),
)
def test_the_utility_is_bounded_and_rises_with_the_score_around_any_centre(value, score, centre, static, dynamic):
    evaluator = _evaluator(static, dynamic)
    v, s, c = (np.array([x], np.float64) for x in (value, score, centre))
    utility = evaluator.utility(v, s, c)[0]
    expected = (
        (1 - static - dynamic) * value + static * score_utility(s, 5.0)[0] + dynamic * score_utility(s - c, 5.0)[0]
    )
    assert utility == pytest.approx(expected, abs=1e-5)
    assert abs(utility) <= 1.0 + 1e-6  # never beyond a terminal win or loss
    assert evaluator.utility(v, s + 1.0, c)[0] >= utility - 1e-6  # one more point is never worth less


def test_a_game_won_by_far_more_than_the_scale_still_values_each_point_with_the_dynamic_part():
    static_only = _evaluator(0.3, 0.0)
    dynamic = _evaluator(0.1, 0.2)
    value = np.array([0.99, 0.99])
    score = np.array([20.0, 21.0])  # a won game: 20 or 21 points ahead
    centre = np.array([20.0, 20.0])  # where the root's prediction says the game is heading
    gain_static = np.diff(static_only.utility(value, score, centre))[0]
    gain_dynamic = np.diff(dynamic.utility(value, score, centre))[0]
    assert gain_dynamic > 5 * gain_static  # the static atan has flattened at +20; the dynamic one is steepest there
    # without a centre (analysis, GTP) only the static part applies, with the value's weight 1 - w
    np.testing.assert_allclose(dynamic.utility(value, score), 0.9 * value + 0.1 * score_utility(score, 5.0), rtol=1e-6)


def test_the_dynamic_weight_leaves_room_for_the_value():
    with pytest.raises(ValueError, match="dynamic_score_utility_weight"):
        SelfPlayParams(score_utility_weight=0.5, dynamic_score_utility_weight=0.5).validate()
    SelfPlayParams(score_utility_weight=0.1, dynamic_score_utility_weight=0.3).validate()


class _ScoreEvaluator:
    """Uniform priors, value 0; a fixed score per position read off its planes; records the centres it is given."""

    wants_score_centre = True

    def __init__(self) -> None:
        self.centres: list[np.ndarray] = []
        self.root_calls = 0

    @staticmethod
    def _score(planes: np.ndarray) -> np.ndarray:
        return planes.reshape(planes.shape[0], -1).sum(axis=1).astype(np.float32) + 3.0

    def evaluate_with_score(self, planes):
        self.root_calls += 1
        n = planes.shape[0]
        return np.full((n, 9), 1 / 9, np.float32), np.zeros(n, np.float32), self._score(planes)

    def utility(self, value, score, score_centre=None):
        return np.asarray(value, np.float32)

    def evaluate(self, planes, score_centre=None):
        assert score_centre is not None, "the search must pass centres to an evaluator that wants them"
        self.centres.append(np.asarray(score_centre).copy())
        n = planes.shape[0]
        return np.full((n, 9), 1 / 9, np.float32), np.zeros(n, np.float32)


def test_each_leaf_gets_its_roots_predicted_margin_signed_for_its_player_to_move():
    games = [TicTacToe(), TicTacToe()]
    games[1].play(4)  # a different root: a different predicted margin
    batch = TicTacToeBatch(games)
    evaluator = _ScoreEvaluator()
    search = BatchedSearch(SearchParams(simulations=40, leaves_per_step=4), batch_size=2, num_actions=9)
    leaves: list[tuple[int, int]] = []  # (root, depth) of each network-evaluated leaf, in order
    original = search._evaluate_new_leaves

    def spy(game, ev, num_new):
        roots, lengths = search._leaves.eval_root[:num_new], search._leaves.eval_length[:num_new]
        terminal = game.leaf_inputs(roots, search._leaves.eval_paths[:num_new], lengths)[2]
        leaves.extend((int(r), int(n)) for r, n, t in zip(roots, lengths, terminal) if not t)
        return original(game, ev, num_new)

    search._evaluate_new_leaves = spy
    search.run(batch, evaluator, add_noise=False)
    root_score = evaluator._score(batch.root_inputs()[0])
    assert root_score[0] != root_score[1]
    np.testing.assert_allclose(search._score_centre, root_score)
    assert evaluator.root_calls == 1  # the centres come with the roots' expansion: no extra network call
    seen = np.concatenate(evaluator.centres)
    expected = np.array([root_score[r] * (1 if n % 2 == 0 else -1) for r, n in leaves], np.float32)
    np.testing.assert_allclose(seen, expected)
    assert {n % 2 for _, n in leaves} == {0, 1} and {r for r, _ in leaves} == {0, 1}
