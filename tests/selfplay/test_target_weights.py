"""Ownership and score targets weighted against the resignation bias: a game played out past the resign threshold
stands for the resigned games like it (weight 1 / P(played out)), through records, the replay's shards and the losses."""

from __future__ import annotations

import numpy as np
import torch
from selfplay_fakes import BlackDespairs

from games.go import BLACK, GoRules
from mcts import SearchParams
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.records import to_samples
from selfplay.worker import SelfPlayWorker
from zero.learn.replay import ReplayBatch, ReplayBuffer, ReplayConfig
from zero.learn.train import compute_losses
from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

RULES_5X5 = GoRules(size=5, komi=2.5, max_moves=40)


def _samples(n: int, seed: int):
    """(planes uint8 [n,17,5,5], policy float32 [n,26], value float32 [n], ownership int8 [n,5,5]), random."""
    rng = np.random.default_rng(seed)
    planes = (rng.random((n, 17, 5, 5)) < 0.3).astype(np.uint8)
    policy = rng.dirichlet(np.full(26, 0.5), size=n).astype(np.float32)
    value = rng.choice([-1.0, 1.0], n).astype(np.float32)
    ownership = rng.choice([-1, 1], (n, 5, 5)).astype(np.int8)
    return planes, policy, value, ownership


def _despairing_games(playout_fraction: float, games: int = 8):
    adapter = make_adapter("go", RULES_5X5)
    params = SelfPlayParams(
        games_in_parallel=games,
        resign_threshold=-0.9,
        resign_min_moves=0,
        resign_playout_fraction=playout_fraction,
        temperature_moves=0,
    )
    worker = SelfPlayWorker(adapter, SearchParams(simulations=8, leaves_per_step=4), params, BlackDespairs(26), seed=3)
    records = []
    for _ in range(100):  # resigned games end at once; play on until played-out ones have ended too
        records += worker.play(games)
        if sum(not r.resigned for r in records) >= 2:
            break
    return records


def test_a_played_out_would_be_resignation_weighs_for_the_resigned_games_like_it():
    records = _despairing_games(0.25, games=16)
    played_out = [r for r in records if not r.resigned]
    resigned = [r for r in records if r.resigned]
    assert played_out and resigned  # a quarter of Black's despairing games are played out
    for r in played_out:
        assert r.would_have_resigned == BLACK and r.target_weight == 4.0 and r.final_ownership is not None
    samples = to_samples(played_out, with_ownership=True)
    assert (samples.target_weight == 4.0).all() and len(samples.target_weight) == len(samples)
    # every game played out (calibrating, or a fraction of 1): each stands only for itself
    assert all(r.target_weight == 1.0 for r in _despairing_games(1.0))


def _buffer(tmp_path) -> ReplayBuffer:
    config = ReplayConfig(window=1000, growth=False, shard_size=10_000)
    return ReplayBuffer(config, in_channels=17, board_size=5, num_actions=26, directory=tmp_path)


def test_target_weights_survive_the_shards_and_older_shards_weigh_one(tmp_path):
    replay = _buffer(tmp_path)
    planes, policy, value, ownership = _samples(20, seed=1)
    weights = np.r_[np.full(10, 4.0), np.ones(10)].astype(np.float32)
    replay.add(planes, policy, value, ownership, target_weight=weights)
    batch = replay.gather(np.arange(20), np.zeros(20, np.int64))
    assert batch.target_weight.tolist() == weights.tolist()
    replay.flush()
    np.testing.assert_array_equal(_buffer(tmp_path).window_contents()["target_weight"], weights)
    shard = next(tmp_path.glob("shard-*.npz"))
    with np.load(shard) as data:
        old = {k: data[k] for k in data.files if k != "target_weight"}
    np.savez(shard, **old)  # a shard written before target weights
    older = _buffer(tmp_path)
    assert not older.corrupt_shards and (older.window_contents()["target_weight"] == 1).all()
    for bad in (np.full(20, -1.0), np.full(20, np.nan), np.ones(19)):
        try:
            replay.add(planes, policy, value, ownership, target_weight=bad)
        except ValueError as exc:
            assert "target_weight" in str(exc)
        else:
            raise AssertionError(f"target_weight {bad[:2]}... was accepted")
    assert replay.total_added == 20  # refused batches changed nothing


def test_a_weight_of_k_counts_a_sample_k_times_in_the_ownership_and_score_losses():
    torch.manual_seed(0)
    config = NetworkConfig(blocks=1, channels=8, global_pooling_every=0, ownership_head=True, score_head=True)
    model = PolicyValueNet(config, GameShape(17, 5, 26)).eval()
    planes, policy, value, ownership = _samples(6, seed=2)
    score = np.linspace(-12, 12, 6).astype(np.float32)

    def batch(rows, weights=None):
        return ReplayBatch(
            torch.from_numpy(planes[rows]).float(),
            torch.from_numpy(policy[rows]),
            torch.from_numpy(value[rows]),
            torch.from_numpy(ownership[rows]).float(),
            torch.ones(len(rows), dtype=torch.bool),
            torch.from_numpy(score[rows]),
            torch.ones(len(rows), dtype=torch.bool),
            None if weights is None else torch.tensor(weights, dtype=torch.float32),
        )

    def losses(b):
        with torch.no_grad():
            out = model(b.planes)
        found = compute_losses(out, b)
        return float(found["ownership_loss"]), float(found["score_loss"])

    weighted = losses(batch(np.arange(6), [3.0, 1, 1, 0.0, 1, 1]))
    repeated = losses(batch(np.array([0, 0, 0, 1, 2, 4, 5])))  # row 0 three times, row 3 not at all
    np.testing.assert_allclose(weighted, repeated, rtol=1e-5)
    assert not np.allclose(weighted, losses(batch(np.arange(6))), rtol=1e-3)  # the weights change the losses
