"""The named groups of arrays that the search kernels take: one Numba namedtuple argument per group instead of one argument per array (imports nothing of ours).

Numba compiles attribute access on a namedtuple to a field read, so a kernel that takes
``tree`` and reads ``tree.children_visits[b, n, a]`` runs the same code as one that takes the
array itself; the groups only shorten the signatures and the call sites. Shapes and dtypes
are documented where each group is built (``mcts.tree.Tree``, ``mcts.search.BatchedSearch``).
"""

from __future__ import annotations

from collections import namedtuple

# The B trees (mcts.tree.Tree's arrays, in its field order).
TreeArrays = namedtuple(
    "TreeArrays",
    (
        "node_count",
        "parent",
        "action_from_parent",
        "terminal",
        "raw_value",
        "node_visits",
        "node_value_sum",
        "node_value_sq_sum",
        "raw_score",
        "node_score_sum",
        "node_virtual",
        "children_index",
        "legal",
        "children_prior",
        "children_visits",
        "children_value_sum",
        "children_virtual",
        "raw_ownership",
    ),
)

# The leaves of one search step, as select_leaves writes them (K = B * leaves per tree rows):
# tree, node, action, slot int32[K]; eval_root int32[K], eval_paths int32[K, D], eval_length int32[K]
# (the NEW leaves' roots and paths from them, by slot).
LeafBatch = namedtuple("LeafBatch", ("tree", "node", "action", "slot", "eval_root", "eval_paths", "eval_length"))

# What the game and the evaluator said about the NEW leaves, by slot: priors float32[E, A], values float32[E],
# legal bool[E, A], terminal bool[E], terminal_value float32[E] (the game result where terminal); scores
# float32[E] (the predicted final margin, or the game's where terminal, for the player to move), or float32[0]
# when the search does not track scores; ownership float32[E, P] (+1 = the player to move owns the point, the
# game's final area where terminal), or float32[E, 0] when the search does not track ownership.
LeafEvaluations = namedtuple(
    "LeafEvaluations", ("priors", "values", "legal", "terminal", "terminal_value", "scores", "ownership")
)

# How each root chooses its action besides PUCT. The Gumbel root (mcts._gumbel_kernels): gumbel bool;
# root_scores float64[B, A] (g + logits of the sampled actions, NOT_CONSIDERED elsewhere); considered_visits
# int32[B, S] (the sequential-halving schedule); start_visits int32[B] (root visits when this search began).
# KataGo's forced playouts: forced bool[B], the roots (PUCT, noised) where they apply.
RootRules = namedtuple("RootRules", ("gumbel", "root_scores", "considered_visits", "start_visits", "forced"))
