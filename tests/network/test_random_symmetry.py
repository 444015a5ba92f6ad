"""The evaluator's random symmetry (Leela Zero, KataGo): each position through one of the 8 board symmetries, priors and ownership mapped back."""

from __future__ import annotations

import dataclasses

import numpy as np
from netfixtures import GO5, TINY, random_samples, tiny_model

from games.symmetry import NUM_SYMMETRIES, inverse_planes, inverse_policy, transform_planes, transform_policy
from mcts import SearchParams
from zero.analysis.engine import AnalysisConfig, AnalysisEngine, AnalysisParams
from zero.gtp.player import EngineParams, GoPlayer
from zero.nn.inference import NetworkEvaluator

N = GO5.board_size


def _evaluator(**changes) -> NetworkEvaluator:
    # an untrained net: its outputs differ a lot between orientations, so a wrong mapping cannot pass by luck
    model = tiny_model(GO5, dataclasses.replace(TINY, ownership_head=True, **changes), seed=3)
    return NetworkEvaluator(model, device="cpu", precision="float32")


def _reference(evaluator: NetworkEvaluator, planes: np.ndarray, legal: np.ndarray):
    """Per symmetry k: (priors, values, ownership) of planes seen in orientation k, mapped back by hand."""
    out = []
    for k in range(NUM_SYMMETRIES):
        legal_k = transform_policy(legal, N, k)
        priors, values, ownership = evaluator.evaluate_with_ownership(transform_planes(planes, k), legal_k)
        out.append((inverse_policy(priors, N, k), values, inverse_planes(ownership, k)))
    return out


def test_each_row_is_one_symmetry_mapped_back_and_all_eight_are_drawn():
    planes = random_samples(64, GO5, seed=5)[0].astype(np.float32)
    legal = np.random.default_rng(1).random((64, GO5.num_actions)) < 0.7
    evaluator = _evaluator()
    reference = _reference(evaluator, planes, legal)
    evaluator.set_random_symmetry(True, seed=7)
    priors, values, ownership = evaluator.evaluate_with_ownership(planes, legal)
    drawn = set()
    for row in range(len(planes)):
        errors = [np.abs(ref[0][row] - priors[row]).max() for ref in reference]
        k = int(np.argmin(errors))
        assert errors[k] < 1e-5, (row, errors)
        assert abs(reference[k][1][row] - values[row]) < 1e-5  # the same orientation gave the value...
        np.testing.assert_allclose(reference[k][2][row], ownership[row], atol=1e-5)  # ... and the ownership
        assert np.all(priors[row][~legal[row]] == 0)  # the mask stays in the original orientation
        drawn.add(k)
    assert drawn == set(range(NUM_SYMMETRIES))
    assert np.abs(reference[1][0] - reference[0][0]).max() > 1e-3  # the orientations do give different priors


def test_off_is_the_identity_and_a_seed_repeats_its_draws():
    planes = random_samples(16, GO5, seed=2)[0].astype(np.float32)
    evaluator = _evaluator()
    plain = evaluator.evaluate(planes)[0]
    np.testing.assert_array_equal(plain, _reference(evaluator, planes, np.ones((16, 26), bool))[0][0])
    evaluator.set_random_symmetry(True, seed=11)
    first = evaluator.evaluate(planes)[0]
    evaluator.set_random_symmetry(True, seed=11)
    np.testing.assert_array_equal(first, evaluator.evaluate(planes)[0])
    assert not np.allclose(first, plain)
    evaluator.set_random_symmetry(False)
    np.testing.assert_array_equal(evaluator.evaluate(planes)[0], plain)


def test_the_gtp_player_turns_it_on_by_default_and_off_when_asked():
    evaluator = _evaluator()
    GoPlayer(EngineParams(), SearchParams(simulations=8), evaluator)
    assert evaluator.random_symmetry
    GoPlayer(EngineParams(random_symmetry=False), SearchParams(simulations=8), evaluator)
    assert not evaluator.random_symmetry


def test_the_analysis_engine_turns_it_on_by_default_and_off_when_asked():
    evaluator = _evaluator()
    AnalysisEngine(AnalysisConfig(), evaluator)
    assert evaluator.random_symmetry
    AnalysisEngine(AnalysisConfig(AnalysisParams(random_symmetry=False)), evaluator)
    assert not evaluator.random_symmetry


def test_mean_ownership_is_the_average_of_the_eight_orientations_whatever_random_symmetry():
    planes = random_samples(6, GO5, seed=9)[0].astype(np.float32)
    evaluator = _evaluator()
    expected = np.mean([ref[2] for ref in _reference(evaluator, planes, np.ones((6, 26), bool))], axis=0)
    np.testing.assert_allclose(evaluator.mean_ownership(planes), expected, atol=1e-5)
    evaluator.set_random_symmetry(True, seed=3)
    first = evaluator.mean_ownership(planes)
    np.testing.assert_allclose(first, expected, atol=1e-5)
    np.testing.assert_array_equal(first, evaluator.mean_ownership(planes))  # no draw: the same every call
    # a board and its mirror image get mirrored ownership
    mirrored = evaluator.mean_ownership(transform_planes(planes, 5))
    np.testing.assert_allclose(inverse_planes(mirrored, 5), first, atol=1e-5)


def test_the_gtp_players_dead_stones_do_not_change_between_calls():
    from games.go import GoGame, GoRules

    game = GoGame(GoRules(size=N, komi=0.5))
    for move in ("C3", "B3", "C2", "B2", "D3", "C4", "B4", "D4", "E4", "D2"):
        game.play(move)
    with_net = GoPlayer(EngineParams(random_symmetry=True, seed=4), SearchParams(simulations=8), _evaluator())
    rollouts = GoPlayer(EngineParams(seed=4, ownership_playouts=20), SearchParams(simulations=8))
    for player in (with_net, rollouts):
        first = player.ownership(game)
        for _ in range(3):
            np.testing.assert_array_equal(player.ownership(game), first)
            assert player.dead_stones(game) == player.dead_stones(game)
