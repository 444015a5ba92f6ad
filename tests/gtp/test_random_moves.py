"""The engine's opening randomness (gtp.random_moves, Leela Zero's --randomcnt) and its seed: drawn by visits, never an own eye."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from games.go import GoGame
from mcts import SearchParams
from zero.gtp.player import EngineParams, GoPlayer

from .root_results import root_result

EYE_POSITION = """
. X . . .
X X . . .
. . . . .
. . . . .
. . . . .
"""


def test_random_moves_are_drawn_in_proportion_to_visits_and_never_fill_an_own_eye():
    game = GoGame.from_diagram(EYE_POSITION)  # Black to move; A5 (0) is Black's eye
    result = root_result({a: (n, 0.5, 0.5) for a, n in {0: 50, 12: 30, 13: 10, 25: 10}.items()})  # eye, two moves, pass
    player = GoPlayer(EngineParams(random_moves=10, seed=3), SearchParams(simulations=8))
    drawn = Counter(player.choose_move(game, result) for _ in range(2000))
    assert set(drawn) == {12, 13}  # neither the eye nor pass, though both were visited
    assert drawn[12] / 2000 == pytest.approx(0.75, abs=0.04)  # 30 : 10
    strict = GoPlayer(EngineParams(random_moves=0), SearchParams(simulations=8))
    assert {strict.choose_move(game, result) for _ in range(20)} == {12}  # the most visited non-eye move
    game.play("E1")
    game.play("E2")  # move 2: past random_moves=2, the most visited again
    assert {
        GoPlayer(EngineParams(random_moves=2, seed=s), SearchParams(simulations=8)).choose_move(game, result)
        for s in range(10)
    } == {12}


def test_seed_minus_one_draws_a_fresh_seed_and_bad_values_are_refused():
    seeds = {GoPlayer(EngineParams(seed=-1), SearchParams(simulations=8)).seed for _ in range(5)}
    assert len(seeds) > 1 and all(s >= 0 for s in seeds)
    assert GoPlayer(EngineParams(seed=7), SearchParams(simulations=8)).seed == 7
    for bad in ("gtp.random_moves=-1", "gtp.seed=-2"):
        out = subprocess.run(
            [sys.executable, "-m", "zero.cli", "gtp", bad], input="quit\n", capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert bad.split("=")[0].split(".")[1] in out.stderr
