"""Single-point own eyes (what the engine never fills): diagrams, and GoGame.own_eye_mask against the playouts' per-point test."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import BLACK, WHITE, GoGame
from games.go import _kernels as K


def own_eye_points(game: GoGame, colour: int) -> np.ndarray:
    """bool[N, N] of ``game.own_eye_mask(colour)`` (pass dropped)."""
    return game.own_eye_mask(colour)[:-1].reshape(game.size, game.size)


def test_eyes_in_the_corner_on_the_edge_and_in_the_centre_and_false_eyes():
    game = GoGame.from_diagram(
        """
        . X . . . O .
        X X . . O . O
        . . . X . O .
        . . X . X . .
        O . . X . . .
        O X . . . . .
        X . X . . . .
        """
    )
    black = own_eye_points(game, BLACK)
    white = own_eye_points(game, WHITE)
    assert black[0, 0]  # corner eye
    assert black[3, 3]  # centre eye, no opponent diagonal
    assert not black[6, 1]  # edge point: one opponent diagonal (A2) makes it false
    assert white[1, 5] and white[0, 6]  # white's eyes: one inside, one in the corner
    assert not black[1, 5]  # white's eye is not black's
    assert not black[1, 1] and not black[2, 0]  # occupied, or an open point
    mask = game.own_eye_mask()  # Black to move
    assert mask.shape == (50,) and not mask[49]  # pass never fills an eye
    assert mask[:49].reshape(7, 7).tolist() == black.tolist()
    assert game.own_eye_mask("white")[:49].reshape(7, 7).tolist() == white.tolist()


def test_two_opponent_diagonals_make_a_centre_point_a_false_eye():
    game = GoGame.from_diagram(
        """
        O . O . .
        . X . . .
        X . X . .
        . X . . .
        . . . . .
        """
    )
    assert not own_eye_points(game, BLACK)[1, 1]  # enclosed, but the two O diagonals make it false
    one = GoGame.from_diagram(
        """
        O . . . .
        . X . . .
        X . X . .
        . X . . .
        . . . . .
        """
    )
    assert one.own_eye_mask()[2 * 5 + 1]  # one opponent diagonal in the centre: still an eye


@pytest.mark.parametrize("size", [5, 9, 19])
def test_mask_agrees_with_the_playout_kernel_on_random_positions(size):
    rng = np.random.default_rng(size)
    W = size + 1
    game = GoGame.from_diagram("\n".join(" ".join("." * size) for _ in range(size)))
    for move in range(3 * size * size):
        if game.is_over:
            break
        legal = np.flatnonzero(game.legal_mask()[:-1])
        game.play(int(rng.choice(legal)) if legal.size and rng.random() > 0.02 else size * size)
        if move % 5:
            continue
        stones = game.stones()
        for colour in (BLACK, WHITE):
            mask = own_eye_points(game, colour)
            for y in range(size):
                for x in range(size):
                    expected = stones[y, x] == 0 and K._own_eye(size, (y + 1) * W + x + 1, colour, game.color)
                    assert mask[y, x] == expected, (move, y, x, colour)
