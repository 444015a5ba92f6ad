"""selfplay.random_symmetry reaches the workers' networks, seeded per worker, and self-play plays legal games with it."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from games.go import GoGame  # noqa: E402
from selfplay.builders import build_adapter, build_evaluator, build_worker  # noqa: E402
from selfplay.config import load_config  # noqa: E402


@pytest.mark.parametrize("on", [False, True])
def test_the_switch_reaches_the_evaluator_and_games_stay_legal(on):
    config = load_config("configs/tiny.toml", [f"selfplay.random_symmetry={str(on).lower()}"])
    adapter = build_adapter(config)
    evaluator = build_evaluator(config, adapter=adapter, seed=4)
    assert evaluator.random_symmetry is on
    records = build_worker(config, evaluator, seed=4, adapter=adapter).play(2)
    assert len(records) == 2
    for record in records:
        game = GoGame(adapter.rules)
        for i, move in enumerate(record.moves):
            assert np.all(record.policy[i][~game.legal_mask()] == 0)  # visits only where a move is legal
            if move < 0:
                break
            game.play(int(move))  # raises on an illegal move
        assert np.isfinite(record.root_value).all()


def test_workers_with_different_seeds_draw_different_symmetries():
    config = load_config("configs/tiny.toml", ["selfplay.random_symmetry=true"])
    draws = [build_evaluator(config, seed=s)._symmetries(32) for s in (1, 1, 2)]
    assert np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[0], draws[2])
