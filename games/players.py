"""The one player encoding of every game and of everything above the games: 1 = first player, 2 = second, 0 = nobody.

Go's BLACK / WHITE and tic-tac-toe's X / O are these numbers (the first player moves first:
Black, X). Self-play records (side to move, who would have resigned), the GTP engine and the
match referee use them too; only the Numba kernels spell ``opponent`` as ``3 - p``.
"""

from __future__ import annotations

NO_PLAYER = 0  # nobody: an empty point, no winner, no resignation
FIRST_PLAYER = 1  # moves first: Black in Go, X in tic-tac-toe
SECOND_PLAYER = 2  # White in Go, O in tic-tac-toe
PLAYERS = (FIRST_PLAYER, SECOND_PLAYER)


def opponent(player: int) -> int:
    """The other player: FIRST_PLAYER <-> SECOND_PLAYER (a ValueError for anything else)."""
    if player not in PLAYERS:
        raise ValueError(f"a player is {FIRST_PLAYER} or {SECOND_PLAYER}, got {player!r}")
    return 3 - int(player)


def first_player_sign(player: int) -> float:
    """+1.0 for the first player, -1.0 for the second: turns a first-player view into ``player``'s view."""
    if player not in PLAYERS:
        raise ValueError(f"a player is {FIRST_PLAYER} or {SECOND_PLAYER}, got {player!r}")
    return 1.0 if player == FIRST_PLAYER else -1.0
