"""Numba kernels of tic-tac-toe: winner, path replay into planes/legal/terminal, random rollouts (arrays and scalars only; imports only games.players).

board: int8[9]  EMPTY=0 X=1 O=2 (games.players' nobody, first and second player; the opponent of p is 3 - p), cell = y*3 + x (y from the top). X moves first.
Planes float32[3, 3, 3]: 0 = stones of the player to move, 1 = the opponent's, 2 = ones if X is to move.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from games.players import FIRST_PLAYER, NO_PLAYER, SECOND_PLAYER

EMPTY = NO_PLAYER
X = FIRST_PLAYER
O = SECOND_PLAYER
LINES = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]], np.int64)


@njit(cache=True)
def winner(board):
    """X, O, or EMPTY if no line is complete. board: int8[9]."""
    for i in range(LINES.shape[0]):
        c = board[LINES[i, 0]]
        if c != EMPTY and c == board[LINES[i, 1]] and c == board[LINES[i, 2]]:
            return c
    return EMPTY


@njit(cache=True)
def _is_full(board):
    for i in range(9):
        if board[i] == EMPTY:
            return False
    return True


@njit(cache=True)
def _outcome_for(board, to_move):
    """(terminal, value for ``to_move``): -1 if the opponent has a line, 0 for a full board."""
    w = winner(board)
    if w != EMPTY:
        return True, (1.0 if w == to_move else -1.0)
    if _is_full(board):
        return True, 0.0
    return False, 0.0


@njit(cache=True)
def write_position(board, to_move, planes, legal, out_row):
    """Planes float32[L,3,3,3], legal bool[L,9] row ``out_row`` for board int8[9] with ``to_move`` to play; returns (terminal, value)."""
    terminal, value = _outcome_for(board, to_move)
    other = 3 - to_move
    for i in range(9):
        y = i // 3
        x = i % 3
        planes[out_row, 0, y, x] = 1.0 if board[i] == to_move else 0.0
        planes[out_row, 1, y, x] = 1.0 if board[i] == other else 0.0
        planes[out_row, 2, y, x] = 1.0 if to_move == X else 0.0
        legal[out_row, i] = (not terminal) and board[i] == EMPTY
    return terminal, value


@njit(cache=True)
def replay_leaves(root_boards, root_to_move, root_index, paths, path_length, planes, legal, terminal, terminal_value):
    """Replay ``paths[l, :path_length[l]]`` from root ``root_index[l]`` and write each leaf's inputs.

    root_boards int8[B,9], root_to_move int8[B], root_index int32[L], paths int32[L,D], path_length int32[L];
    outputs planes float32[L,3,3,3], legal bool[L,9], terminal bool[L], terminal_value float32[L].
    Paths come from legal masks, so moves are assumed legal (no checks).
    """
    board = np.empty(9, np.int8)
    for l in range(root_index.shape[0]):
        r = root_index[l]
        for i in range(9):
            board[i] = root_boards[r, i]
        to_move = root_to_move[r]
        for d in range(path_length[l]):
            board[paths[l, d]] = to_move
            to_move = 3 - to_move
        t, v = write_position(board, to_move, planes, legal, l)
        terminal[l] = t
        terminal_value[l] = v


@njit(cache=True)
def _mix(x):
    """splitmix64 finaliser: a well-spread 64-bit hash of x."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True)
def rollout_values(planes, seed, rollouts, out):
    """Mean result of ``rollouts`` uniformly random playouts from each position, for the player to move there.

    planes float32[L,3,3,3] -> out float32[L]. The random stream of a position depends only on
    ``seed`` and the position itself, so a value never depends on which batch it was evaluated in.
    """
    board = np.empty(9, np.int8)
    empties = np.empty(9, np.int64)
    for l in range(planes.shape[0]):
        to_move = X if planes[l, 2, 0, 0] > 0.5 else O
        key = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(to_move)
        for i in range(9):
            c = EMPTY
            if planes[l, 0, i // 3, i % 3] > 0.5:
                c = to_move
            elif planes[l, 1, i // 3, i % 3] > 0.5:
                c = 3 - to_move
            board[i] = c
            key = _mix(key * np.uint64(3) + np.uint64(c))
        state = key | np.uint64(1)
        total = 0.0
        for _ in range(rollouts):
            work = board.copy()
            side = to_move
            while True:
                done, value = _outcome_for(work, side)
                if done:
                    # value is for ``side``; convert to the player to move at the leaf
                    total += value if side == to_move else -value
                    break
                n = 0
                for i in range(9):
                    if work[i] == EMPTY:
                        empties[n] = i
                        n += 1
                state = _mix(state + np.uint64(0x9E3779B97F4A7C15))
                work[empties[np.int64(state % np.uint64(n))]] = side
                side = 3 - side
        out[l] = total / rollouts
