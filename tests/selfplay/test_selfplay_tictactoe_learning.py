"""Learning from nothing: configs/tictactoe.toml reaches perfect play (never loses to minimax, as X or as O) within minutes on 2 cores."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from games.tictactoe import TicTacToe, best_actions
from mcts import choose_moves
from selfplay.adapters import make_adapter
from selfplay.config import load_config
from selfplay.player import BatchSearcher

ROOT = Path(__file__).resolve().parents[2]


def losses_against_minimax(evaluator, search_params, simulations: int, our_side: int) -> list[str]:
    """Play our (deterministic, greedy) player against EVERY optimal reply of minimax; return the diagrams of lost games.

    our_side: 1 = we are X (move first), 2 = we are O. Positions on our turn are searched
    level by level in one batch.
    """
    adapter = make_adapter("tictactoe")
    lost: list[str] = []
    frontier = [TicTacToe()]
    rng = np.random.default_rng(0)
    while frontier:
        ours = [p for p in frontier if p.to_move == our_side and not p.is_over()]
        theirs = [p for p in frontier if p.to_move != our_side and not p.is_over()]
        for p in frontier:
            if p.is_over() and p.winner() not in (0, our_side):
                lost.append(p.diagram())
        nxt: list[TicTacToe] = []
        if ours:
            searcher = BatchSearcher(adapter, search_params, evaluator, batch_size=len(ours))
            outcome = searcher.search_games(ours, simulations=simulations, add_noise=False)
            actions = choose_moves(outcome.visits, np.zeros(len(ours)), rng)
            for position, action in zip(ours, actions):
                child = position.copy()
                child.play(int(action))
                nxt.append(child)
        for position in theirs:
            for action in best_actions(position):
                child = position.copy()
                child.play(int(action))
                nxt.append(child)
        unique = {p.key(): p for p in nxt}  # transpositions
        frontier = list(unique.values())
    return lost


@pytest.mark.slow
@pytest.mark.ray
def test_tictactoe_learns_perfect_play_from_nothing(tmp_path):
    import ray

    from selfplay.orchestrator import run
    from zero.nn.inference import NetworkEvaluator

    config = load_config(ROOT / "configs/tictactoe.toml", ["run.progress=false", "arena.every_versions=0"])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = run(config, tmp_path)
    finally:
        ray.shutdown()
    assert summary["step"] == config.run.max_steps
    evaluator = NetworkEvaluator.from_checkpoint(str(tmp_path / "checkpoints"), device="cpu")
    params = dataclasses.replace(config.search, reuse_tree=False)
    for side in (1, 2):
        lost = losses_against_minimax(evaluator, params, config.arena.simulations, our_side=side)
        assert not lost, f"lost as {'X' if side == 1 else 'O'}:\n" + "\n\n".join(lost[:3])
