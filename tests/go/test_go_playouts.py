"""The light-playout kernel against its reference (the board's own building blocks, composed move by move):
the same moves and the same arrays, state for state; and the fast end-of-playout area score against the flood fill."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from games.go import _kernels as K
from games.go.game import zobrist_table


@njit
def reference_playout(N, c, passes, max_moves, color, chain, empties, meta, zobrist, rng):
    """K.playout as plain composition of _next_random, _own_eye, legal_simple and play_stone (its definition)."""
    moves = 0
    while passes < 2 and moves < max_moves:
        n = meta[K.NUM_EMPTY]
        played = False
        while n > 0:
            i = K._next_random(rng, n)
            p = empties[K.LIST, i]
            if not K._own_eye(N, p, c, color) and K.legal_simple(N, p, c, color, chain, meta) == K.LEGAL:
                K.play_stone(N, p, c, color, chain, empties, meta, zobrist)
                played = True
                break
            n -= 1  # a rejected point goes behind the candidates: it is not drawn again this move
            q = empties[K.LIST, n]
            empties[K.LIST, i] = q
            empties[K.WHERE, q] = i
            empties[K.LIST, n] = p
            empties[K.WHERE, p] = n
        if played:
            passes = 0
        else:
            passes += 1
            meta[K.KO] = K.NO_POINT
        c = 3 - c
        moves += 1
    return moves


def fresh_board(N: int):
    P = (N + 2) * (N + 1) + 1
    board = (
        np.empty(P, np.int8),
        np.empty((4, P), np.int32),
        np.empty((2, P), np.int32),
        np.empty(K.META_SIZE, np.int64),
    )
    K.init_board(N, *board)
    return board


def copies(board, rng):
    return [a.copy() for a in board], rng.copy()


@pytest.mark.parametrize("size", [2, 3, 4, 5, 7, 9, 13, 19])
def test_playout_matches_the_reference_state_for_state(size):
    """From random positions (partial playouts: captures, ko points, passes pending), with random colour, passes
    and move limits: the same number of moves, stones, chains, pseudo-liberties, empty list, ko, hash, captures
    and random state as the reference."""
    N = size
    zobrist = zobrist_table(N)
    draw = np.random.default_rng(size)
    trials = 120 if N < 13 else 40
    for trial in range(trials):
        board = fresh_board(N)
        rng = K.make_rng(int(draw.integers(1 << 40)))
        reference_playout(N, int(draw.integers(1, 3)), 0, int(draw.integers(0, 3 * N * N)), *board, zobrist, rng)
        c, passes = int(draw.integers(1, 3)), int(draw.integers(0, 2))
        max_moves = 3 * N * N if trial % 3 == 0 else int(draw.integers(0, 4 * N * N))
        (ours, our_rng), (ref, ref_rng) = copies(board, rng), copies(board, rng)
        moves = K.playout(N, c, passes, max_moves, *ours, zobrist, our_rng)
        assert moves == reference_playout(N, c, passes, max_moves, *ref, zobrist, ref_rng), trial
        (color, chain, empties, meta), (ref_color, ref_chain, ref_empties, ref_meta) = ours, ref
        n = int(meta[K.NUM_EMPTY])
        assert np.array_equal(color, ref_color) and np.array_equal(chain, ref_chain), trial
        assert np.array_equal(meta, ref_meta) and np.array_equal(our_rng, ref_rng), trial
        assert np.array_equal(empties[K.LIST, :n], ref_empties[K.LIST, :n]), trial
        assert np.array_equal(empties[K.WHERE, empties[K.LIST, :n]], np.arange(n)), trial


@pytest.mark.parametrize("size", [2, 5, 9, 19])
def test_playout_area_diff_equals_the_flood_fill(size):
    """Finished playouts (the fast path) and playouts cut short (empty regions: the fallback)."""
    N = size
    zobrist = zobrist_table(N)
    draw = np.random.default_rng(100 + size)
    for trial in range(200):
        color, chain, empties, meta = fresh_board(N)
        rng = K.make_rng(trial)
        max_moves = 3 * N * N if trial % 2 else int(draw.integers(0, N * N))
        K.playout(N, K.BLACK, 0, max_moves, color, chain, empties, meta, zobrist, rng)
        assert K.playout_area_diff(N, color) == K.area_diff(N, color), trial


def test_rollout_values_and_benchmark_are_deterministic():
    zobrist = zobrist_table(9)
    stones = np.zeros((2, 81), np.int8)
    stones[1, 40] = K.BLACK
    to_move = np.array([K.BLACK, K.WHITE], np.int8)
    first = K.rollout_values(9, stones, to_move, 7.5, 16, 243, zobrist, 5)
    assert np.array_equal(first, K.rollout_values(9, stones, to_move, 7.5, 16, 243, zobrist, 5))
    assert K.bench_playouts(9, 20, 243, zobrist, 3) == K.bench_playouts(9, 20, 243, zobrist, 3)
