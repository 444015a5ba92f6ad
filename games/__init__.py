"""Game rules: Go (games.go) and a small solvable game (games.tictactoe); imports nothing else of ours.

The player encoding every game and every layer above uses (games.players)::

    from games import FIRST_PLAYER, SECOND_PLAYER, NO_PLAYER, opponent
    # 1 = first player (Black / X), 2 = second player (White / O), 0 = nobody; opponent(1) == 2
"""

from games.players import FIRST_PLAYER, NO_PLAYER, PLAYERS, SECOND_PLAYER, first_player_sign, opponent

__all__ = ["FIRST_PLAYER", "NO_PLAYER", "PLAYERS", "SECOND_PLAYER", "first_player_sign", "opponent"]
