"""The replay window: symmetry augmentation against real Go games, compact storage, shards that survive restarts and corruption."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from netfixtures import GO5, GO9, random_samples

from games.go import BLACK, from_gtp, new_game
from games.symmetry import inverse_planes, inverse_policy, transform_action
from zero.learn.replay import ReplayBuffer, ReplayConfig

# A 9x9 opening with a capture (White's E4 stone is taken by D4... F4 ... E3, E5 surround) so history planes differ.
MOVES = ["E5", "E4", "D4", "C3", "F4", "G7", "E3", "pass", "C7"]


def _buffer(shape=GO9, tmp=None, **config) -> ReplayBuffer:
    config = {"window": 1000, "growth": False, "shard_size": 64, **config}
    return ReplayBuffer(
        ReplayConfig(**config),
        in_channels=shape.in_channels,
        board_size=shape.board_size,
        num_actions=shape.num_actions,
        directory=tmp,
        seed=0,
    )


def _game_sample(moves: list[int], next_move: int):
    """(planes, one-hot policy on next_move, ownership for the player to move) after playing ``moves`` on 9x9."""
    game = new_game(9)
    for a in moves:
        game.play(a)
    policy = np.zeros(82, np.float32)
    policy[next_move] = 1
    owner = game.ownership()  # +1 black, -1 white
    if game.to_move != BLACK:
        owner = -owner
    return game.planes().astype(np.uint8), policy, owner.astype(np.int8)


def test_the_sample_game_really_captures():
    game = new_game(9)
    captured = {move: game.play(move) for move in MOVES}
    assert captured["E3"] == 1 and game.stones()[9 - 4, 4] == 0  # E4 (y = 9-4, x = 4) was taken


@pytest.mark.parametrize("k", range(8))
def test_augmented_sample_equals_the_game_played_with_transformed_moves(k):
    actions = [from_gtp(m, 9) for m in MOVES]
    next_move = from_gtp("D6", 9)
    planes, policy, ownership = _game_sample(actions, next_move)
    buffer = _buffer()
    buffer.add(planes[None], policy[None], np.array([1.0]), ownership[None])
    batch = buffer.gather(np.array([0]), np.array([k]))

    t_planes, t_policy, t_owner = _game_sample(
        [transform_action(a, 9, k) for a in actions], transform_action(next_move, 9, k)
    )
    np.testing.assert_array_equal(batch.planes[0].numpy(), t_planes)
    np.testing.assert_array_equal(batch.policy[0].numpy(), t_policy)
    np.testing.assert_array_equal(batch.ownership[0].numpy(), t_owner)


@pytest.mark.parametrize("k", range(8))
def test_inverse_symmetry_recovers_the_stored_sample_and_pass_stays_pass(k):
    planes, policy, value, ownership = random_samples(1, GO9, seed=k)
    policy[0, 81] = 0.25  # a visible pass share
    policy[0] /= policy[0].sum()
    buffer = _buffer()
    buffer.add(planes, policy, value, ownership)
    batch = buffer.gather(np.array([0]), np.array([k]))
    stored_policy = policy.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(inverse_planes(batch.planes.numpy(), k), planes)
    np.testing.assert_array_equal(inverse_policy(batch.policy.numpy(), 9, k), stored_policy)
    np.testing.assert_array_equal(inverse_planes(batch.ownership.numpy(), k), ownership)
    assert batch.policy[0, 81] == stored_policy[0, 81]


def test_random_augmentation_keeps_planes_policy_and_ownership_aligned():
    """Ownership = the player-to-move stone plane, policy = mass on those stones: any symmetry must keep that true."""
    planes, _, value, _ = random_samples(64, GO5, seed=3)
    own_stones = planes[:, 0].reshape(64, -1).astype(np.float32)
    policy = np.concatenate([own_stones + 1e-3, np.full((64, 1), 1e-3, np.float32)], axis=1)
    policy /= policy.sum(axis=1, keepdims=True)
    ownership = 2 * planes[:, 0].astype(np.int8) - 1
    buffer = _buffer(GO5)
    buffer.add(planes, policy, value, ownership)
    batch = buffer.sample(512)
    stones = batch.planes[:, 0].float()
    assert torch.equal(batch.ownership, 2 * stones - 1)
    on_stones = batch.policy[:, :25] > 0.5 * batch.policy[:, :25].amax(dim=1, keepdim=True)
    assert torch.equal(on_stones, stones.reshape(-1, 25) > 0)
    assert batch.planes.dtype == torch.uint8 and batch.policy.dtype == torch.float32


def test_planes_are_stored_bit_packed_and_ownership_may_be_absent():
    planes, policy, value, _ = random_samples(10, GO9)
    buffer = _buffer()
    buffer.add(planes, policy, value)  # no ownership
    contents = buffer.window_contents()
    assert contents["planes"].shape == (10, (17 * 81 + 7) // 8) and contents["planes"].dtype == np.uint8
    assert contents["policy"].dtype == np.float16
    batch = buffer.sample(8)
    assert not batch.has_ownership.any()


def test_sampling_draws_only_from_the_newest_window():
    buffer = _buffer(GO5, window=100)
    planes, policy, _, ownership = random_samples(250, GO5)
    tags = np.linspace(-1, 1, 250).astype(np.float32)  # the value tags each position by its age
    buffer.add(planes, policy, tags, ownership)
    drawn = buffer.sample(4000).value.numpy()
    assert set(np.round(drawn, 6)) <= set(np.round(tags[-100:], 6))
    assert len(set(np.round(drawn, 6))) > 90  # and uniformly enough to reach nearly all of them


def test_window_grows_with_positions_seen_like_katago():
    config = ReplayConfig(window=1_000_000, growth=True, growth_min=1000, growth_alpha=0.75, growth_beta=0.4)
    sizes = [config.window_size(n) for n in (10, 1000, 2000, 10_000, 100_000, 10**9)]
    assert sizes[:2] == [10, 1000]  # everything while few positions were seen
    assert sizes[2] < 2000 and sizes == sorted(sizes)  # then slower than the total, never shrinking
    assert sizes[-1] == 1_000_000  # and capped
    assert ReplayConfig(window=500, growth=False).window_size(10_000) == 500


def test_bad_input_is_refused_and_changes_nothing():
    buffer = _buffer()
    planes, policy, value, ownership = random_samples(4, GO9)
    with pytest.raises(ValueError, match="0/1"):
        buffer.add(planes * 2, policy, value, ownership)
    with pytest.raises(ValueError, match="policy must have shape"):
        buffer.add(planes, policy[:, :81], value, ownership)
    with pytest.raises(ValueError, match="ownership must have shape"):
        buffer.add(planes, policy, value, ownership[:, :5])
    assert buffer.total_added == 0
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(1)


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="^window"):
        ReplayConfig(window=0).validate()
    with pytest.raises(ValueError, match="^growth_alpha"):
        ReplayConfig(growth_alpha=0).validate()


# ---- shards on disk -------------------------------------------------------------


def test_window_survives_save_and_reload_with_identical_contents(tmp_path):
    buffer = _buffer(GO5, tmp_path, window=300, shard_size=64)
    for seed in range(5):
        buffer.add(*random_samples(90, GO5, seed=seed))
    buffer.flush()
    reloaded = _buffer(GO5, tmp_path, window=300, shard_size=64)
    assert reloaded.total_added == buffer.total_added == 450
    assert len(reloaded) == 300
    for key, value in buffer.window_contents().items():
        np.testing.assert_array_equal(reloaded.window_contents()[key], value, err_msg=key)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_shards_older_than_the_window_are_deleted(tmp_path):
    buffer = _buffer(GO5, tmp_path, window=128, shard_size=32)
    for seed in range(10):
        buffer.add(*random_samples(32, GO5, seed=seed))
    shards = sorted(p for p in os.listdir(tmp_path) if p.startswith("shard-"))
    assert len(shards) <= 128 // 32 + 1
    assert shards[-1] == f"shard-{9 * 32:012d}.npz"


def test_a_corrupt_shard_is_reported_and_skipped(tmp_path):
    buffer = _buffer(GO5, tmp_path, window=1000, shard_size=50)
    for seed in range(4):
        buffer.add(*random_samples(50, GO5, seed=seed))
    shards = sorted(tmp_path.glob("shard-*.npz"))
    assert len(shards) == 4
    data = shards[1].read_bytes()
    shards[1].write_bytes(data[: len(data) // 2])  # truncated
    shards[2].write_bytes(b"\x00garbage" * 100)  # not a zip at all
    with pytest.warns(RuntimeWarning, match="skipping unreadable shard") as caught:
        reloaded = _buffer(GO5, tmp_path, window=1000, shard_size=50)
    ours = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(ours) == 1 and "(and 1 more)" in str(ours[0].message)  # one line, not one per shard
    assert sorted(p.name for p, _ in reloaded.corrupt_shards) == [shards[1].name, shards[2].name]
    assert reloaded.total_added == 200  # the counter still knows how many positions were ever seen
    values = reloaded.window_contents()["value"]
    original = buffer.window_contents()["value"]
    np.testing.assert_array_equal(values[-50:], original[-50:])  # the last shard came back intact
    assert reloaded.sample(16).planes.shape == (16, 17, 5, 5)  # and training can go on


def test_a_shard_for_another_board_size_is_skipped(tmp_path):
    other = _buffer(GO9, tmp_path, shard_size=8)
    other.add(*random_samples(8, GO9))
    with pytest.warns(RuntimeWarning, match="expected"):
        mine = _buffer(GO5, tmp_path, shard_size=8)
    assert len(mine.corrupt_shards) == 1 and len(mine) == 0
