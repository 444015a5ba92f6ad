"""One player encoding at every boundary: games.players' numbers are Go's colours and tic-tac-toe's marks."""

from __future__ import annotations

import pytest

import games.tictactoe as ttt
from games import FIRST_PLAYER, NO_PLAYER, SECOND_PLAYER, first_player_sign, opponent
from games.go import BLACK, EMPTY, WHITE, new_game


def test_the_games_use_the_one_encoding():
    assert (NO_PLAYER, FIRST_PLAYER, SECOND_PLAYER) == (0, 1, 2)
    assert (EMPTY, BLACK, WHITE) == (NO_PLAYER, FIRST_PLAYER, SECOND_PLAYER)
    assert (ttt.EMPTY, ttt.X, ttt.O) == (NO_PLAYER, FIRST_PLAYER, SECOND_PLAYER)
    assert new_game(size=5).to_move == FIRST_PLAYER and ttt.TicTacToe().to_move == FIRST_PLAYER


def test_opponent_and_sign():
    assert opponent(FIRST_PLAYER) == SECOND_PLAYER and opponent(SECOND_PLAYER) == FIRST_PLAYER
    assert first_player_sign(BLACK) == 1.0 and first_player_sign(WHITE) == -1.0
    for nobody in (NO_PLAYER, -1, 3):
        with pytest.raises(ValueError):
            opponent(nobody)
        with pytest.raises(ValueError):
            first_player_sign(nobody)
    game = new_game(size=5)
    game.play("C3")
    assert game.to_move == opponent(BLACK) == WHITE
