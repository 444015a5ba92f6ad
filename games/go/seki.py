"""Seki at the end of a game: shared liberties that neither side can fill and the chains living on them (imports only games.go).

A *seki point* is an empty point next to stones of both colours where a stone of either colour
would be self-atari (its chain left with one liberty, capturing nothing) or illegal. Chains next to
a seki point live in seki: neither side can approach, so they are neither dead nor owning territory;
the seki points themselves belong to nobody (Tromp-Taylor area already counts them for no one).
This covers the classic two-group seki (no eyes, two shared liberties) and the one-eye-each seki
(one shared liberty). A capturing race where one side can still approach is not seki: that side's
move there leaves it two liberties.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from games.go.game import BLACK, EMPTY, WHITE, GoGame, IllegalMoveError


def neighbours(a: int, N: int) -> list[int]:
    """The on-board neighbours of flat point ``a`` on an N x N board."""
    x, y = a % N, a // N
    return [b for b, ok in ((a - 1, x > 0), (a + 1, x < N - 1), (a - N, y > 0), (a + N, y < N - 1)) if ok]


def _self_atari(board: GoGame, point: int, color: int) -> bool:
    """Whether ``color`` cannot play ``point`` without leaving its chain one liberty (illegal counts too)."""
    trial = board.copy()
    try:
        captured = trial.play(point, color)
    except IllegalMoveError:
        return True
    if captured:
        return False
    N = board.size
    stones = trial.stones().reshape(-1)
    chain = next(c for c in trial.chains() if point in c)
    liberties = {b for a in chain for b in neighbours(a, N) if stones[b] == EMPTY}
    return len(liberties) <= 1


def seki_points(game: GoGame, dead: Iterable[int] = ()) -> list[int]:
    """Flat indices of the seki points of ``game``'s position once the ``dead`` stones are taken off."""
    N = game.size
    stones = game.stones().reshape(-1).copy()
    stones[np.asarray(list(dead), np.int64)] = EMPTY
    board = GoGame(game.rules)
    board.setup(np.flatnonzero(stones == BLACK).tolist(), np.flatnonzero(stones == WHITE).tolist())
    out = []
    for a in np.flatnonzero(stones == EMPTY).tolist():  # only points touching both colours are tried
        colours = {int(stones[b]) for b in neighbours(a, N)}
        if {BLACK, WHITE} <= colours and _self_atari(board, a, BLACK) and _self_atari(board, a, WHITE):
            out.append(a)
    return out


def seki_stones(game: GoGame, dead: Iterable[int] = ()) -> list[int]:
    """Flat indices (ascending) of the stones of every chain next to a seki point, the ``dead`` stones taken off first."""
    dead = set(dead)
    points = set(seki_points(game, dead))
    if not points:
        return []
    N = game.size
    out: list[int] = []
    for chain in game.chains():
        if chain[0] in dead:
            continue
        if any(b in points for a in chain for b in neighbours(a, N)):
            out.extend(chain)
    return sorted(out)
