"""A hand-built SearchResult for the engine's move-choice tests: one root whose moves have given visits, Q and LCB."""

from __future__ import annotations

import numpy as np

from mcts.search import SearchResult


def root_result(
    stats: dict[int, tuple[int, float, float]], actions: int = 26, chosen: int | None = None
) -> SearchResult:
    """A root with ``actions`` actions whose move a has (visits, Q, LCB) = stats[a]; ``chosen``: a Gumbel root's pick."""
    visits = np.zeros((1, actions), np.int32)
    q = np.full((1, actions), np.nan, np.float32)
    lcb = np.full((1, actions), np.nan, np.float32)
    for a, (n, value, bound) in stats.items():
        visits[0, a], q[0, a], lcb[0, a] = n, value, bound
    return SearchResult(
        visits=visits,
        q=q,
        prior=np.zeros((1, actions), np.float32),
        root_value=np.zeros(1, np.float32),
        principal_variation=np.zeros((1, 1), np.int32),
        pv_length=np.zeros(1, np.int32),
        terminal=np.zeros(1, bool),
        simulations=visits.sum(axis=1).astype(np.int32),
        q_lcb=lcb,
        chosen_action=None if chosen is None else np.array([chosen], np.int32),
    )
