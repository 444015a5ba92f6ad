"""Evaluators with scripted values, and a watch on a worker's searches, for self-play tests (imported by the test modules of this folder)."""

from __future__ import annotations

import numpy as np


class BlackDespairs:
    """Uniform priors; the value says Black is lost (-0.99 when Black is to move, +0.99 when White is)."""

    def __init__(self, num_actions: int) -> None:
        self.num_actions = num_actions

    def evaluate(self, planes: np.ndarray):
        black_to_move = planes[:, 16, 0, 0] > 0.5
        values = np.where(black_to_move, -0.99, 0.99).astype(np.float32)
        return np.full((len(planes), self.num_actions), 1.0 / self.num_actions, np.float32), values


def raising_host(fail_on_task: int):
    """A SelfPlayHost whose ``fail_on_task``-th task (1-based) raises the Go rules' IllegalMoveError inside the worker,
    as a bug in self-play would; the earlier tasks play real games."""
    from games.go import IllegalMoveError
    from selfplay.actors import SelfPlayHost

    class RaisingHost(SelfPlayHost):
        tasks = 0

        def play(self, *args, **kwargs):
            RaisingHost.tasks += 1
            if RaisingHost.tasks >= fail_on_task:
                raise IllegalMoveError("occupied", "illegal move C3 for black: occupied")
            return super().play(*args, **kwargs)

    return RaisingHost


def steps_with_their_search(worker, steps: int):
    """Step ``worker`` ``steps`` times, yielding the search outcome of each step in which no game ended (so every
    slot's latest entries belong to that search; a restarted slot's record left with its finished game)."""
    seen = []
    inner = worker.searcher.search_games

    def spy(boards, **kwargs):
        seen.append(inner(boards, **kwargs))
        return seen[-1]

    worker.searcher.search_games = spy
    for _ in range(steps):
        games_before = worker.stats.games
        worker.step()
        if worker.stats.games == games_before:
            yield seen[-1]
