"""Batched PUCT search over flat arrays; sees only action indices, legal masks and the SearchGame/Evaluator protocols (never imports games, torch or ray)."""

from mcts.evaluators import UniformEvaluator
from mcts.interface import Evaluator, SearchGame
from mcts.params import SearchParams
from mcts.search import BatchedSearch, SearchResult, choose_moves, visit_policy
from mcts.tree import NO_ACTION, NO_PARENT, ROOT, UNVISITED, Tree

__all__ = [
    "BatchedSearch",
    "Evaluator",
    "NO_ACTION",
    "NO_PARENT",
    "ROOT",
    "SearchGame",
    "SearchParams",
    "SearchResult",
    "Tree",
    "UNVISITED",
    "UniformEvaluator",
    "choose_moves",
    "visit_policy",
]
