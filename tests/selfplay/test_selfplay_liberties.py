"""Liberty and ladder planes as network inputs (network.liberty_input, network.ladder_input): self-play records carry
them as 0/1 planes, the GTP engine feeds them, a config for a game without liberties or ladders is refused."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import NUM_PLANES, GoGame, GoRules, RolloutEvaluator, from_gtp, num_planes
from mcts import SearchParams
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.worker import SelfPlayWorker

RULES_5X5 = GoRules(size=5, komi=2.5, max_moves=40)


INPUTS = [  # (komi plane, liberty planes, ladder planes)
    (False, True, False),
    (True, True, False),
    (False, False, True),
    (True, True, True),
]


@pytest.mark.parametrize("komi_plane,liberty_planes,ladder_planes", INPUTS)
def test_self_play_records_carry_the_optional_planes_of_every_position(komi_plane, liberty_planes, ladder_planes):
    adapter = make_adapter(
        "go", RULES_5X5, komi_plane=komi_plane, liberty_planes=liberty_planes, ladder_planes=ladder_planes
    )
    binary = num_planes(False, liberty_planes, ladder_planes)
    assert adapter.plane_shape == (binary + komi_plane, 5, 5)
    worker = SelfPlayWorker(
        adapter,
        SearchParams(simulations=8, leaves_per_step=4),
        SelfPlayParams(games_in_parallel=2, playout_cap_randomization=False),
        RolloutEvaluator(5, 2.5, seed=0),
        seed=5,
    )
    records = worker.play(2)
    checked = 0
    for record in records:
        assert record.planes.shape[1] == binary  # 0/1 planes; the komi is a constant
        game = GoGame(RULES_5X5)
        for i, move in enumerate(record.moves):
            expected = game.planes(liberty_planes=liberty_planes, ladder_planes=ladder_planes)
            assert np.array_equal(record.planes[i], expected), i
            checked += int(expected[NUM_PLANES:].any())
            if move < 0:  # the last position of a resigned game: no move played from it
                break
            game.play(int(move))
    assert checked > 3  # positions where some optional plane is not all zero


class _SpyNetwork:
    """A network evaluator with liberty and ladder input that records every plane batch it is given."""

    def __init__(self, inner):
        self.inner, self.shape, self.has_ownership = inner, inner.shape, inner.has_ownership
        self.komi_input, self.liberty_input, self.ladder_input = False, True, True
        self.seen: list[np.ndarray] = []

    def evaluate(self, planes, legal=None):
        self.seen.append(np.array(planes))
        return self.inner.evaluate(planes, legal)


def test_the_gtp_engine_feeds_a_network_the_liberty_and_ladder_planes():
    from zero.gtp.engine import EngineParams, GoGtpEngine
    from zero.nn.inference import NetworkEvaluator
    from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

    config = NetworkConfig(blocks=1, channels=8, global_pooling_every=0, liberty_input=True, ladder_input=True)
    shape = GameShape(num_planes(False, True, True), 5, 26)
    network = _SpyNetwork(NetworkEvaluator(PolicyValueNet(config, shape), device="cpu"))
    engine = GoGtpEngine(
        params=EngineParams(visits=8, resign_winrate=0.0, ponder=False),
        network=network,
        search_params=SearchParams(simulations=8, leaves_per_step=2),
    )
    for command in ("boardsize 5", "clear_board", "play b c3", "play w c2", "play b b2", "genmove w"):
        assert engine.handle_line(command).startswith("="), command
    game = GoGame(GoRules(size=5))
    game.play(from_gtp("c3", 5))
    game.play(from_gtp("c2", 5))
    game.play(from_gtp("b2", 5))
    root = game.planes(liberty_planes=True, ladder_planes=True)
    assert root[NUM_PLANES:].any()  # c2 has two liberties; b2 and c3 hold it in a ladder
    assert np.array_equal(network.seen[0][0], root)  # the root, as the game has it


@pytest.mark.parametrize("field", ["liberty_input", "ladder_input"])
def test_go_inputs_are_refused_for_tictactoe(field):
    from selfplay.config import load_config
    from zero.common.configlib import ConfigError

    with pytest.raises(ConfigError, match=field):
        load_config("configs/tictactoe.toml", [f"network.{field}=true"])
