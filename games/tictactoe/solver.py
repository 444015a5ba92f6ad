"""Exact minimax solution of tic-tac-toe (memoised over all 5,478 reachable positions): a perfect opponent and ground truth for search tests."""

from __future__ import annotations

from functools import cache

import numpy as np

from games.tictactoe.rules import TicTacToe


@cache
def _value(board: bytes, to_move: int) -> int:
    position = TicTacToe(np.frombuffer(board, np.int8), to_move)
    if position.is_over():
        return int(position.result())
    best = -1
    for action in position.legal_actions():
        child = position.copy()
        child.play(action)
        best = max(best, -_value(*child.key()))
        if best == 1:
            break
    return best


def solve(position: TicTacToe) -> int:
    """Game-theoretic value for the player to move: +1 win, 0 draw, -1 loss."""
    return _value(*position.key())


def action_values(position: TicTacToe) -> dict[int, int]:
    """Value of each legal action for the player who plays it."""
    out = {}
    for action in position.legal_actions():
        child = position.copy()
        child.play(action)
        out[action] = -solve(child)
    return out


def best_actions(position: TicTacToe) -> list[int]:
    """All optimal actions (empty if the game is over)."""
    values = action_values(position)
    if not values:
        return []
    top = max(values.values())
    return sorted(a for a, v in values.items() if v == top)
