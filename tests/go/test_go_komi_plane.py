"""The optional komi input plane (KataGo's komi input): values, both writers agree, and per-game komi in one search batch."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import BLACK, KOMI_SCALE, WHITE, GoGame, GoRules, GoSearchBatch


def test_the_komi_plane_is_the_komi_the_side_to_move_receives():
    game = GoGame(GoRules(size=5, komi=6.5))
    black = game.planes(komi_plane=True)
    assert black.shape == (18, 5, 5)
    assert np.array_equal(black[:17], game.planes())  # the AlphaGo Zero planes are unchanged
    assert np.all(black[17] == pytest.approx(-6.5 / KOMI_SCALE))  # Black gives komi
    game.play("C3")
    assert game.to_move == WHITE
    assert np.all(game.planes(komi_plane=True)[17] == pytest.approx(6.5 / KOMI_SCALE))  # White receives it


def test_search_batch_planes_equal_the_games_planes_with_each_games_own_komi():
    games = [GoGame(GoRules(size=5, komi=komi)) for komi in (0.5, 7.5, -3.0)]
    games[1].play("B2")
    batch = GoSearchBatch(games, komi_plane=True)
    assert batch.plane_shape == (18, 5, 5)
    planes, _, _, _ = batch.root_inputs()
    for b, game in enumerate(games):
        assert np.array_equal(planes[b], game.planes(komi_plane=True)), b
    # one move down every root: the side to move changes, and so does the sign of its komi
    leaves, _, _, _ = batch.leaf_inputs(
        np.arange(3, dtype=np.int32), np.full((3, 1), 12, np.int32), np.ones(3, np.int32)
    )
    for b, game in enumerate(games):
        after = game.copy()
        after.play(12)
        assert np.array_equal(leaves[b], after.planes(komi_plane=True)), b
    assert GoSearchBatch(games).plane_shape == (17, 5, 5)


def test_terminal_leaves_are_scored_with_their_own_games_komi():
    # Black owns 11 points, White 10: Black wins by 1 minus komi
    diagram = "X X X O O\nX X . O O\nX X . O O\nX X . O O\nX X . O O"
    games = [GoGame.from_diagram(diagram, to_move=BLACK, komi=komi) for komi in (0.5, 1.5)]
    assert [g.area_score() for g in games] == [0.5, -0.5]
    batch = GoSearchBatch(games)
    two_passes = np.full((2, 2), 25, np.int32)
    _, _, terminal, value = batch.leaf_inputs(np.arange(2, dtype=np.int32), two_passes, np.full(2, 2, np.int32))
    assert terminal.all()
    assert list(value) == [1.0, -1.0]  # Black to move after the two passes: wins at komi 0.5, loses at 1.5


def test_a_batch_still_refuses_games_under_different_rules_other_than_komi():
    with pytest.raises(ValueError, match="same rules"):
        GoSearchBatch([GoGame(GoRules(size=5)), GoGame(GoRules(size=5, superko="simple"))])
