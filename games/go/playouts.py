"""Light random playouts for callers outside games.go: dead-stone ownership estimates and the playout benchmark; imports only games.go.

The playouts are the kernels' own (games.go._kernels.playout): uniform among simple-ko-legal
moves that do not fill the mover's single-point eye, pass only when none remains.
"""

from __future__ import annotations

import numpy as np

from games.go import _kernels as K
from games.go.game import GoGame, zobrist_table


def playout_ownership(game: GoGame, playouts: int, seed: int) -> np.ndarray:
    """float32[N*N] mean Tromp-Taylor owner (+1 Black, -1 White) of each point after ``playouts`` playouts from ``game``.

    The playouts go on after two passes in the game (``passes`` starts at 0): that is how
    dead stones get captured. ``game`` is not changed.
    """
    N = game.size
    total = np.zeros(N * N, np.float64)
    owner = np.empty(N * N, np.int8)
    rng = K.make_rng(seed)
    for _ in range(playouts):
        color, chain, empties, meta = game.color.copy(), game.chain.copy(), game.empties.copy(), game.meta.copy()
        K.playout(N, game.to_move, 0, 3 * N * N, color, chain, empties, meta, game.zobrist, rng)
        K.area_owner(N, color, owner)
        total += owner
    return (total / playouts).astype(np.float32)


def bench_playouts(size: int, count: int, seed: int, max_moves: int = 0) -> tuple[int, int]:
    """Play ``count`` playouts from the empty ``size`` board (Black first) in one kernel call; (total moves, Black wins
    without komi). ``max_moves`` caps each playout (0 = 3*N*N, the playouts' safety limit for simple-ko cycles)."""
    moves, black_wins = K.bench_playouts(size, count, max_moves or 3 * size * size, zobrist_table(size), seed)
    return int(moves), int(black_wins)
