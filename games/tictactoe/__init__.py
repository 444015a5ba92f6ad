"""Tic-tac-toe, the small solvable game: rules, a SearchGame batch, a random-rollout evaluator and an exact solver (imports nothing of ours outside games.tictactoe but games.players).

X = 1 moves first and O = 2 second: games.players' FIRST_PLAYER and SECOND_PLAYER."""

from games.tictactoe.rules import EMPTY, NUM_ACTIONS, PLANE_SHAPE, IllegalMoveError, O, TicTacToe, X, cell, cell_name
from games.tictactoe.search_game import RolloutEvaluator, TicTacToeBatch
from games.tictactoe.solver import action_values, best_actions, solve

__all__ = [
    "EMPTY",
    "X",
    "O",
    "NUM_ACTIONS",
    "PLANE_SHAPE",
    "IllegalMoveError",
    "RolloutEvaluator",
    "TicTacToe",
    "TicTacToeBatch",
    "action_values",
    "best_actions",
    "cell",
    "cell_name",
    "solve",
]
