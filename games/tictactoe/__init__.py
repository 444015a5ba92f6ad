"""Tic-tac-toe, the small solvable game: rules, a SearchGame batch, a random-rollout evaluator and an exact solver (imports nothing of ours outside games.tictactoe)."""

from games.tictactoe.rules import NUM_ACTIONS, PLANE_SHAPE, IllegalMoveError, TicTacToe, cell, cell_name
from games.tictactoe.search_game import RolloutEvaluator, TicTacToeBatch
from games.tictactoe.solver import action_values, best_actions, solve

__all__ = [
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
