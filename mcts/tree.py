"""The search tree of B games as a struct of arrays with a batch axis; owns allocation, reset, subtree reuse and the consistency check (no games, torch or ray).

Layout (mctx/minigo style): node i of tree b is the i-th node created in that tree
(node 0 = the root; a node is created by the simulation that first reaches it, so
``simulations + 1`` nodes always suffice). Child statistics live in the PARENT's rows
``[B, M, A]`` so that selection scans contiguous memory.

Value perspective (see mcts.interface): ``node_value_sum[b, n]`` and ``raw_value[b, n]`` are
for the player to move at node n; ``children_value_sum[b, n, a]`` is for the player to move
at the parent n (so Q(n, a) = children_value_sum / children_visits, used as is by PUCT).

Memory: 4+4+4+4+4+1 = 21 bytes per edge (plus 33 bytes per node, and 4 per point where ownership is
tracked), so 64 trees x 801 nodes x 362 actions (19x19, 800 simulations) = 390 MB, and 9x9 (82 actions)
= 88 MB. A compact edge pool would save the rows of illegal moves, but the dense rows keep selection a
straight scan and fit the 2 GB budget with room to spare, so we keep them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mcts import _kernels
from mcts._arrays import TreeArrays
from mcts._kernels import NO_ACTION, NO_PARENT, ROOT, UNVISITED

__all__ = ["Tree", "UNVISITED", "NO_PARENT", "NO_ACTION", "ROOT"]


@dataclass
class Tree:
    """B search trees of capacity M nodes over A actions (arrays are modified in place by the kernels)."""

    node_count: np.ndarray  # int32[B]        nodes in use; 0 = tree empty (root not expanded yet)
    parent: np.ndarray  # int32[B, M]         parent node, NO_PARENT for the root
    action_from_parent: np.ndarray  # int32[B, M]  action that leads from the parent, NO_ACTION for the root
    terminal: np.ndarray  # bool[B, M]        game over at this node (valued by the game, no children)
    raw_value: np.ndarray  # float32[B, M]    evaluator value (or game result if terminal), player to move at the node
    node_visits: np.ndarray  # int32[B, M]    N(s): backups through the node, including its own evaluation
    node_value_sum: np.ndarray  # float32[B, M]  sum of backed-up values, player to move at the node
    node_value_sq_sum: np.ndarray  # float32[B, M]  sum of their squares (value variance, for the LCB)
    raw_score: np.ndarray  # float32[B, M]  evaluator's final-margin prediction (the game's if terminal), player to move
    node_score_sum: np.ndarray  # float32[B, M]  sum of backed-up margins, player to move (0 if not tracked)
    node_virtual: np.ndarray  # int32[B, M]   selections in flight that chose a child here (0 between steps)
    children_index: np.ndarray  # int32[B, M, A]  child node of each edge, UNVISITED if not created
    legal: np.ndarray  # bool[B, M, A]        legal actions (all False at terminal nodes)
    children_prior: np.ndarray  # float32[B, M, A]  P(s, a), normalised over legal actions (root: with noise)
    children_visits: np.ndarray  # int32[B, M, A]   N(s, a)
    children_value_sum: np.ndarray  # float32[B, M, A]  W(s, a), player to move at the parent
    children_virtual: np.ndarray  # int32[B, M, A]  selections in flight through the edge (0 between steps)
    # The evaluator's ownership of each of P points at the node (+1 = the player to move there owns it; the game's
    # final area at a terminal node), where the search tracks ownership; P = 0 (no memory) where it does not.
    raw_ownership: np.ndarray  # float32[B, M, P]

    @classmethod
    def allocate(cls, batch_size: int, capacity: int, num_actions: int, ownership_points: int = 0) -> Tree:
        """Empty trees; rows are written only when a node is created, so allocation is cheap. ``ownership_points``:
        P > 0 keeps each node's ownership of P points (4 bytes a point per node)."""
        if batch_size < 1 or capacity < 2 or num_actions < 1:
            raise ValueError(
                f"batch_size, capacity, num_actions must be >= 1, 2, 1; got {batch_size}, {capacity}, {num_actions}"
            )
        b, m, a = batch_size, capacity, num_actions
        return cls(
            node_count=np.zeros(b, np.int32),
            parent=np.empty((b, m), np.int32),
            action_from_parent=np.empty((b, m), np.int32),
            terminal=np.zeros((b, m), np.bool_),
            raw_value=np.empty((b, m), np.float32),
            node_visits=np.zeros((b, m), np.int32),
            node_value_sum=np.zeros((b, m), np.float32),
            node_value_sq_sum=np.zeros((b, m), np.float32),
            raw_score=np.zeros((b, m), np.float32),
            node_score_sum=np.zeros((b, m), np.float32),
            node_virtual=np.zeros((b, m), np.int32),
            children_index=np.empty((b, m, a), np.int32),
            legal=np.zeros((b, m, a), np.bool_),
            children_prior=np.empty((b, m, a), np.float32),
            children_visits=np.zeros((b, m, a), np.int32),
            children_value_sum=np.zeros((b, m, a), np.float32),
            children_virtual=np.zeros((b, m, a), np.int32),
            raw_ownership=np.empty((b, m, max(int(ownership_points), 0)), np.float32),
        )

    @property
    def batch_size(self) -> int:
        return int(self.node_count.shape[0])

    @property
    def capacity(self) -> int:
        return int(self.parent.shape[1])

    @property
    def num_actions(self) -> int:
        return int(self.legal.shape[2])

    @property
    def ownership_points(self) -> int:
        """P: the points whose ownership each node keeps (0: ownership is not tracked)."""
        return int(self.raw_ownership.shape[2])

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, name).nbytes for name in self.__dataclass_fields__)

    @cached_property
    def arrays(self) -> TreeArrays:
        """The arrays as the one ``tree`` argument of the kernels (built once: the kernels modify them in place)."""
        return TreeArrays(*(getattr(self, name) for name in TreeArrays._fields))

    def reset(self, trees: np.ndarray | None = None) -> None:
        """Empty the given trees (all if None); their roots will be expanded by the next search."""
        if trees is None:
            self.node_count[:] = 0
        else:
            self.node_count[np.asarray(trees, dtype=np.int64)] = 0

    def keep_subtree(self, tree: int, action: int) -> bool:
        """Re-root tree ``tree`` at the child reached by ``action``; empty it if that child does not exist. Returns True if kept."""
        if self.node_count[tree] == 0 or not 0 <= action < self.num_actions:
            self.node_count[tree] = 0
            return False
        child = int(self.children_index[tree, ROOT, action])
        if child == UNVISITED:
            self.node_count[tree] = 0
            return False
        scratch = np.empty(self.capacity, np.int32)
        _kernels.keep_subtree(tree, child, scratch, self.arrays)
        return True

    def root_visits(self) -> np.ndarray:
        """int32[B]: simulations that have gone through each root (its visits minus its own evaluation)."""
        visits = self.node_visits[:, ROOT] - 1
        return np.where(self.node_count > 0, visits, 0).astype(np.int32)

    def check_consistency(self) -> None:
        """Raise AssertionError if the redundant statistics disagree (parents, edges, visits, values, virtual loss)."""
        for b in range(self.batch_size):
            count = int(self.node_count[b])
            if count == 0:
                continue
            assert self.parent[b, ROOT] == NO_PARENT, f"tree {b}: root has a parent"
            assert not self.node_virtual[b, :count].any(), f"tree {b}: virtual visits left on nodes"
            assert not self.children_virtual[b, :count].any(), f"tree {b}: virtual visits left on edges"
            for n in range(count):
                idx = self.children_index[b, n]
                assert not (idx[~self.legal[b, n]] != UNVISITED).any(), f"tree {b} node {n}: child on an illegal edge"
                for a in np.flatnonzero(idx != UNVISITED):
                    c = int(idx[a])
                    assert n < c < count, f"tree {b} node {n}: child {c} out of order"
                    assert self.parent[b, c] == n and self.action_from_parent[b, c] == a, (
                        f"tree {b} node {c}: wrong parent link"
                    )
                    assert self.children_visits[b, n, a] == self.node_visits[b, c], (
                        f"tree {b} edge {n}/{a}: N differs from the child's"
                    )
                    assert np.isclose(self.children_value_sum[b, n, a], -self.node_value_sum[b, c], atol=1e-3), (
                        f"tree {b} edge {n}/{a}: W is not minus the child's value sum"
                    )
                unexplored = idx == UNVISITED
                assert not self.children_visits[b, n][unexplored].any(), (
                    f"tree {b} node {n}: visits on an edge without child"
                )
                n_visits = max(int(self.node_visits[b, n]), 1)
                assert self.node_value_sq_sum[b, n] >= self.node_value_sum[b, n] ** 2 / n_visits - 1e-3, (
                    f"tree {b} node {n}: sum of squares below (sum)^2 / N"
                )
                assert self.node_value_sq_sum[b, n] <= n_visits + 1e-3, (
                    f"tree {b} node {n}: sum of squares above N (values are in [-1, 1])"
                )
                own = (
                    0
                    if n == ROOT and self.node_visits[b, n] == 0
                    else self.node_visits[b, n] - self.children_visits[b, n].sum()
                )
                assert own >= 1 or self.terminal[b, n], f"tree {b} node {n}: visits do not add up"
                if not self.terminal[b, n]:
                    assert own == 1, f"tree {b} node {n}: N(s) != 1 + sum N(s, a)"
                    assert np.isclose(
                        self.node_value_sum[b, n], self.raw_value[b, n] + self.children_value_sum[b, n].sum(), atol=1e-3
                    ), f"tree {b} node {n}: value sum != own value + children's"
                # a child's margins are for its own player to move: minus, seen from n
                children = idx[~unexplored]
                own_score = self.raw_score[b, n] * (own if self.terminal[b, n] else min(own, 1))
                assert np.isclose(
                    self.node_score_sum[b, n], own_score - self.node_score_sum[b, children].sum(), rtol=1e-4, atol=1e-2
                ), f"tree {b} node {n}: score sum != own score + children's"
