"""Tic-tac-toe positions: checked moves, results and board diagrams (imports only its own kernels and games.players).

Cells are actions 0..8, ``cell = y*3 + x`` with y the row from the top. Cell names use a
column letter a..c and a row digit 1..3 counted from the top: "a1" = 0 (top left), "c3" = 8.
Diagrams are three rows of ``X``, ``O`` or ``.`` separated by spaces, top row first.
"""

from __future__ import annotations

import numpy as np

from games.players import opponent
from games.tictactoe import _kernels
from games.tictactoe._kernels import EMPTY, O, X

NUM_ACTIONS = 9
PLANE_SHAPE = (3, 3, 3)
_SYMBOLS = {EMPTY: ".", X: "X", O: "O"}


class IllegalMoveError(ValueError):
    """A move on an occupied cell, off the board, or after the game ended."""


def cell(name: str) -> int:
    """Action index of a cell name such as "b2" (column a..c, row 1..3 from the top)."""
    name = name.strip().lower()
    if len(name) != 2 or name[0] not in "abc" or name[1] not in "123":
        raise ValueError(f"cell name must be a..c followed by 1..3, got {name!r}")
    return (int(name[1]) - 1) * 3 + "abc".index(name[0])


def cell_name(action: int) -> str:
    """Inverse of cell(): 4 -> "b2"."""
    if not 0 <= action < NUM_ACTIONS:
        raise ValueError(f"action must be in 0..8, got {action}")
    return "abc"[action % 3] + str(action // 3 + 1)


class TicTacToe:
    """One position: the board and the player to move (X or O)."""

    def __init__(self, board: np.ndarray | None = None, to_move: int = X) -> None:
        self.board = np.zeros(9, np.int8) if board is None else np.array(board, np.int8).reshape(9)
        if to_move not in (X, O):
            raise ValueError(f"to_move must be X (1) or O (2), got {to_move}")
        self.to_move = to_move

    @classmethod
    def from_diagram(cls, diagram: str, to_move: int | None = None) -> TicTacToe:
        """Parse three rows of X/O/. ; the player to move defaults to X when both have as many stones, else O."""
        symbols = [c for c in diagram if c in "XO."]
        if len(symbols) != 9:
            raise ValueError(f"a diagram needs 9 cells of X, O or ., got {len(symbols)}")
        board = np.array([{".": EMPTY, "X": X, "O": O}[c] for c in symbols], np.int8)
        if to_move is None:
            to_move = X if (board == X).sum() == (board == O).sum() else O
        return cls(board, to_move)

    def diagram(self) -> str:
        return "\n".join(" ".join(_SYMBOLS[int(c)] for c in self.board[r * 3 : (r + 1) * 3]) for r in range(3))

    def copy(self) -> TicTacToe:
        return TicTacToe(self.board.copy(), self.to_move)

    def winner(self) -> int:
        """X, O, or EMPTY (no line yet)."""
        return int(_kernels.winner(self.board))

    def is_over(self) -> bool:
        return self.winner() != EMPTY or not (self.board == EMPTY).any()

    def result(self) -> float:
        """Game result for the player to move (+1 win, 0 draw or unfinished, -1 loss)."""
        w = self.winner()
        return 0.0 if w == EMPTY else (1.0 if w == self.to_move else -1.0)

    def legal_actions(self) -> list[int]:
        return [] if self.is_over() else [int(a) for a in np.flatnonzero(self.board == EMPTY)]

    def play(self, action: int) -> None:
        """Play at ``action`` for the player to move; raises IllegalMoveError and changes nothing if illegal."""
        if self.is_over():
            raise IllegalMoveError(f"game is over; cannot play {action}")
        if not 0 <= action < NUM_ACTIONS:
            raise IllegalMoveError(f"action must be in 0..8, got {action}")
        if self.board[action] != EMPTY:
            raise IllegalMoveError(f"cell {cell_name(action)} is occupied")
        self.board[action] = self.to_move
        self.to_move = opponent(self.to_move)

    def key(self) -> tuple[bytes, int]:
        """Hashable identity of the position."""
        return self.board.tobytes(), self.to_move

    def __repr__(self) -> str:
        return f"TicTacToe({'X' if self.to_move == X else 'O'} to move)\n{self.diagram()}"
