"""Komi as a network input (KataGo): randomised per self-play game, carried by the records and the replay as a constant plane, read by the network at play time."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import KOMI_SCALE, WHITE, GoGame, GoRules, RolloutEvaluator
from mcts import SearchParams
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.records import to_samples
from selfplay.worker import SelfPlayWorker
from zero.learn.replay import ReplayBuffer, ReplayConfig

RULES_5X5 = GoRules(size=5, komi=2.5, max_moves=40)


def _komi_records(komi_stdev: float, games: int = 8):
    adapter = make_adapter("go", RULES_5X5, komi_plane=True, komi_stdev=komi_stdev)
    worker = SelfPlayWorker(
        adapter,
        SearchParams(simulations=8, leaves_per_step=4),
        SelfPlayParams(games_in_parallel=4, playout_cap_randomization=False),
        RolloutEvaluator(5, 2.5, seed=0),
        seed=3,
    )
    return adapter, worker.play(games)


def test_self_play_games_draw_their_komi_and_record_it_for_the_side_to_move():
    adapter, records = _komi_records(komi_stdev=3.0)
    assert adapter.plane_shape == (18, 5, 5) and adapter.constant_planes == 1
    komis = set()
    for record in records:
        assert record.planes.shape[1] == 17 and set(np.unique(record.planes)) <= {0, 1}
        sign = np.where(record.to_move == WHITE, 1.0, -1.0)
        komi = record.constant[:, 0] * KOMI_SCALE * sign  # the game's komi, from every position
        assert np.allclose(komi, komi[0])
        assert komi[0] * 2 == round(komi[0] * 2)  # half points
        komis.add(float(komi[0]))
        if record.final_margin is not None:  # the score target uses the game's own komi
            game = GoGame(GoRules(size=5, komi=float(komi[0]), max_moves=40))
            for move in record.moves:
                game.play(int(move))
            assert record.final_margin == pytest.approx(game.area_score())
    assert len(komis) >= 3  # drawn per game


def test_without_a_draw_every_game_has_the_configured_komi():
    _, records = _komi_records(komi_stdev=0.0, games=4)
    for record in records:
        sign = np.where(record.to_move == WHITE, 1.0, -1.0)
        assert np.allclose(record.constant[:, 0] * KOMI_SCALE * sign, 2.5)


def test_the_replay_stores_the_komi_plane_as_a_number_and_gives_it_back_as_a_plane(tmp_path):
    _, records = _komi_records(komi_stdev=3.0, games=4)
    samples = to_samples(records, with_ownership=False)
    config = ReplayConfig(window=1000, growth=False, shard_size=64)

    def buffer():
        return ReplayBuffer(
            config, in_channels=18, board_size=5, num_actions=26, directory=tmp_path, seed=0, constant_planes=1
        )

    replay = buffer()
    replay.add(samples.planes, samples.policy, samples.value, constant=samples.constant)
    replay.flush()
    reloaded = buffer()  # from the shards on disk
    assert reloaded.total_added == len(samples)
    order = np.arange(len(samples))
    for sym in (0, 5):
        batch = reloaded.gather(order, np.full(len(samples), sym))
        planes = batch.planes.numpy()
        assert planes.shape == (len(samples), 18, 5, 5)
        assert np.allclose(planes[:, 17], samples.constant[:, 0, None, None])  # constant under every symmetry
        if sym == 0:
            assert np.array_equal(planes[:, :17], samples.planes)
    with pytest.raises(ValueError, match="constant"):
        replay.add(samples.planes, samples.policy, samples.value)  # the komi is required
    with pytest.raises(ValueError, match="constant"):
        ReplayBuffer(config, in_channels=18, board_size=5, num_actions=26, constant_planes=18)


def test_a_seventeen_plane_shard_is_not_read_into_a_komi_replay(tmp_path):
    _, records = _komi_records(komi_stdev=0.0, games=4)
    samples = to_samples(records, with_ownership=False)
    config = ReplayConfig(window=1000, growth=False, shard_size=64)
    plain = ReplayBuffer(config, in_channels=17, board_size=5, num_actions=26, directory=tmp_path, seed=0)
    plain.add(samples.planes, samples.policy, samples.value)
    plain.flush()
    with pytest.warns(RuntimeWarning, match="unreadable shard"):
        komi = ReplayBuffer(
            config, in_channels=18, board_size=5, num_actions=26, directory=tmp_path, seed=0, constant_planes=1
        )
    assert komi.total_added == 0 and komi.corrupt_shards


class _SpyNetwork:
    """A network evaluator with komi input that records every plane batch it is given."""

    def __init__(self, inner):
        self.inner, self.shape, self.has_ownership = inner, inner.shape, inner.has_ownership
        self.komi_input = True
        self.seen: list[np.ndarray] = []

    def evaluate(self, planes, legal=None):
        self.seen.append(np.array(planes))
        return self.inner.evaluate(planes, legal)

    def evaluate_heads(self, planes, legal=None):  # the search's call where it keeps ownership
        self.seen.append(np.array(planes))
        return self.inner.evaluate_heads(planes, legal)

    def __getattr__(self, name):  # the rest (ownership for dead stones after a pass, ...) as the network has it
        return getattr(self.inner, name)


def test_the_gtp_engine_shows_a_komi_network_the_komi_the_controller_set():
    from zero.gtp.engine import EngineParams, GoGtpEngine
    from zero.nn.inference import NetworkEvaluator
    from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

    config = NetworkConfig(blocks=1, channels=8, global_pooling_every=0, komi_input=True)
    network = _SpyNetwork(NetworkEvaluator(PolicyValueNet(config, GameShape(18, 5, 26)), device="cpu"))
    engine = GoGtpEngine(
        params=EngineParams(visits=8, resign_winrate=0.0, ponder=False),
        network=network,
        search_params=SearchParams(simulations=8, leaves_per_step=2),
    )
    for command in ("boardsize 5", "clear_board", "komi 0.5", "genmove b"):
        assert engine.handle_line(command).startswith("="), command
    roots = network.seen[0]
    assert roots.shape[1:] == (18, 5, 5)
    assert np.allclose(roots[0, 17], -0.5 / KOMI_SCALE)  # Black to move gives 0.5
    # a stone for Black, so White searches (after a Black pass, White at komi 6 would pass at once without one)
    for command in ("komi 6", "clear_board", "play b C3"):
        assert engine.handle_line(command).startswith("="), command
    network.seen.clear()
    assert engine.handle_line("genmove w").startswith("=")
    assert np.allclose(network.seen[0][0, 17], 6.0 / KOMI_SCALE)  # White to move receives 6


def test_records_copy_the_komi_they_keep_instead_of_holding_the_steps_float32_planes():
    adapter = make_adapter("go", RULES_5X5, komi_plane=True, komi_stdev=3.0)
    worker = SelfPlayWorker(
        adapter,
        SearchParams(simulations=8, leaves_per_step=4),
        SelfPlayParams(games_in_parallel=4),
        RolloutEvaluator(5, 2.5, seed=0),
    )
    outcomes = []
    inner = worker.searcher.search_games
    worker.searcher.search_games = lambda *a, **k: outcomes.append(inner(*a, **k)) or outcomes[-1]
    worker.step()
    for i, slot in enumerate(worker.slots):
        np.testing.assert_array_equal(slot.constant[-1], outcomes[-1].planes[i, 17:, 0, 0])
        # a view would keep the whole batch's float32 planes of every step alive until the game ends
        assert not np.shares_memory(slot.constant[-1], outcomes[-1].planes)
        assert not np.shares_memory(slot.planes[-1], outcomes[-1].planes)
