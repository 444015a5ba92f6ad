"""The opponent policy head (KataGo's auxiliary target, Wu 2019): each sample's target is the opponent's reply, kept
through records, the replay's symmetries and its shards; the loss trains the head and skips samples without a reply;
play never reads the head, and ``--init-from`` adds a fresh one to a network without it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from netfixtures import GO5, TINY, random_samples
from torch.nn import functional as F

from games.go import GoRules
from mcts import NO_ACTION, SearchParams, UniformEvaluator
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.records import GameRecord, to_samples
from selfplay.worker import SelfPlayWorker
from zero.learn.replay import ReplayBuffer, ReplayConfig
from zero.learn.train import TrainConfig, Trainer, compute_losses
from zero.nn.network import PolicyValueNet, with_opponent_policy_head

WITH_HEAD = dataclasses.replace(TINY, opponent_policy_head=True)
POINTS = GO5.board_size**2


def replay_buffer(directory=None) -> ReplayBuffer:
    return ReplayBuffer(
        ReplayConfig(window=1000, growth=False, shard_size=10_000),
        in_channels=17,
        board_size=5,
        num_actions=26,
        directory=directory,
        seed=0,
    )


@pytest.fixture(scope="module")
def finished_5x5_games() -> list[GameRecord]:
    """Real self-play games on 5x5 (a uniform network, playout cap randomization on: some positions are fast)."""
    worker = SelfPlayWorker(
        make_adapter("go", GoRules(size=5, komi=0.5, max_moves=40)),
        SearchParams(simulations=8, leaves_per_step=2),
        SelfPlayParams(games_in_parallel=3, resign_threshold=-1.0, playout_cap_randomization=True, fast_simulations=2),
        UniformEvaluator(26),
        seed=3,
    )
    return worker.play(3)[:3]


def test_each_samples_reply_is_the_stone_the_opponent_put_down_next(finished_5x5_games):
    """Read from the planes, not from the moves array: the reply's point is empty at the next position and holds a stone
    the one after (a pass puts none down)."""
    checked = 0
    for record in finished_5x5_games:
        samples = to_samples([record], with_ownership=True)
        kept = np.flatnonzero(record.is_full_search)
        assert not record.is_full_search.all()  # fast positions are skipped, and the replies stay aligned
        assert samples.opponent_move.shape == (len(kept),)
        for t, reply in zip(kept, samples.opponent_move):
            if t + 1 == record.num_positions:
                assert reply == -1  # the game ended with this position's move: no reply
                continue
            if reply == POINTS:  # a pass
                continue
            if t + 2 < record.num_positions:
                stones = record.planes[:, 0] + record.planes[:, 8]  # [T, N, N]: either side's stones
                y, x = divmod(int(reply), GO5.board_size)
                assert stones[t + 1, y, x] == 0 and stones[t + 2, y, x] == 1
                checked += 1
    assert checked > 20


def test_a_resignation_is_no_reply():
    moves = np.array([3, 7, 9, NO_ACTION], np.int32)  # the fourth position's player resigned
    record = GameRecord(
        planes=np.zeros((4, 17, 5, 5), np.uint8),
        policy=np.full((4, 26), 1 / 26, np.float32),
        root_value=np.zeros(4, np.float32),
        to_move=np.array([1, 2, 1, 2], np.int8),
        moves=moves,
        is_full_search=np.array([True, False, True, True]),
        result=1.0,
        final_ownership=None,
        resigned=True,
    )
    assert to_samples([record], with_ownership=False).opponent_move.tolist() == [7, -1, -1]


def test_the_replay_turns_each_reply_with_its_positions_symmetry():
    """A reply stored beside a one-hot policy on the same action comes back as that policy does, under all 8
    symmetries; pass stays pass; -1 is no target."""
    rng = np.random.default_rng(0)
    actions = np.array([0, 4, 7, 12, 18, 24, POINTS, 3])  # corners, edges, the centre, pass
    planes, _, value, ownership = random_samples(len(actions), GO5)
    replay = replay_buffer()
    replay.add(planes, np.eye(26, dtype=np.float32)[actions], value, ownership, opponent_move=actions)
    replay.add(planes[:2], np.eye(26, dtype=np.float32)[actions[:2]], value[:2], ownership[:2])  # no replies
    for sym in range(8):
        slots = np.arange(len(actions))
        batch = replay.gather(slots, np.full(len(slots), sym))
        torch.testing.assert_close(F.one_hot(batch.opponent_move, 26).float(), batch.policy)
        assert (batch.opponent_move >= 0).all()
    batch = replay.gather(np.arange(len(actions), len(actions) + 2), rng.integers(0, 8, 2))
    assert (batch.opponent_move == -1).all()


def test_replies_survive_shards_and_older_shards_load_without_them(tmp_path):
    planes, policy, value, ownership = random_samples(6, GO5)
    replies = np.array([5, -1, POINTS, 0, 24, 11])
    replay = replay_buffer(tmp_path)
    replay.add(planes, policy, value, ownership, opponent_move=replies)
    replay.flush()
    assert replay_buffer(tmp_path).window_contents()["opponent_move"].tolist() == replies.tolist()
    shard = next(tmp_path.glob("shard-*.npz"))
    with np.load(shard) as data:
        arrays = {k: data[k] for k in data.files}
    np.savez(shard, **{k: v for k, v in arrays.items() if k != "opponent_move"})  # as written before the head
    older = replay_buffer(tmp_path)
    assert older.total_added == 6 and not older.corrupt_shards
    assert older.window_contents()["opponent_move"].tolist() == [-1] * 6
    np.savez(shard, **{**arrays, "opponent_move": np.array([5, -1, 26, 0, 24, 11])})  # 26 is no 5x5 action
    with pytest.warns(RuntimeWarning, match="opponent_move holds values outside -1..25"):
        refused = replay_buffer(tmp_path)
    assert refused.total_added == 0 and "opponent_move holds values outside -1..25" in refused.corrupt_shards[0][1]


@pytest.mark.parametrize("bad", [[0, 1, 2, 3, 4, 26], [0, 1, -2, 3, 4, 5], [0.5, 1, 2, 3, 4, 5], [1, 2, 3]])
def test_a_reply_that_is_no_action_is_refused_and_nothing_is_added(bad):
    planes, policy, value, ownership = random_samples(6, GO5)
    replay = replay_buffer()
    with pytest.raises(ValueError, match="opponent_move must be 6 integers in -1..25"):
        replay.add(planes, policy, value, ownership, opponent_move=np.array(bad))
    assert replay.total_added == 0


def test_the_loss_trains_the_head_and_skips_samples_without_a_reply():
    torch.manual_seed(0)
    model = PolicyValueNet(WITH_HEAD, GO5)
    planes, policy, value, ownership = random_samples(16, GO5, seed=1)
    replies = np.random.default_rng(2).integers(0, 26, 16)
    replay = replay_buffer()
    replay.add(planes, policy, value, ownership, opponent_move=replies)
    batch = replay.gather(np.arange(16), np.zeros(16, np.int64))
    loss = compute_losses(model(batch.planes), batch)["opponent_policy_loss"]
    assert float(loss.detach()) > 0
    # without a reply a sample weighs nothing: the loss over rows 0-7 with 8-15 masked is the loss over 0-7 alone
    masked = dataclasses.replace(batch, opponent_move=torch.where(torch.arange(16) < 8, batch.opponent_move, -1))
    first_half = replay.gather(np.arange(8), np.zeros(8, np.int64))
    model.eval()
    assert "opponent_policy_loss" not in compute_losses(model(batch.planes), batch)  # eval mode: no head output
    model.train()
    for module in model.modules():  # the head in training mode, batch norm not: its statistics from the batch
        if isinstance(module, torch.nn.BatchNorm2d):  # would make the two losses differ for another reason
            module.eval()
    torch.testing.assert_close(
        compute_losses(model(batch.planes), masked)["opponent_policy_loss"],
        compute_losses(model(first_half.planes), first_half)["opponent_policy_loss"],
    )
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    first = float(loss.detach())
    for _ in range(150):
        loss = compute_losses(model(batch.planes), batch)["opponent_policy_loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.3 * first
    predicted = model(batch.planes).opponent_policy_logits.argmax(1).numpy()
    assert (predicted == replies).mean() > 0.9


def test_the_trainer_adds_the_weighted_term_and_logs_it():
    planes, policy, value, ownership = random_samples(32, GO5, seed=4)
    replay = replay_buffer()
    replay.add(planes, policy, value, ownership, opponent_move=np.arange(32) % 26)
    losses = {}
    for weight in (0.0, 2.0):
        torch.manual_seed(0)
        trainer = Trainer(
            PolicyValueNet(WITH_HEAD, GO5),
            TrainConfig(batch_size=32, lr=0.0, log_every=1, device="cpu", opponent_policy_loss_weight=weight),
            replay,
        )
        batch = replay.gather(np.arange(32), np.zeros(32, np.int64))
        losses[weight] = trainer.train_on_batch(batch)
    assert losses[2.0]["opponent_policy_loss"] == pytest.approx(losses[0.0]["opponent_policy_loss"], rel=1e-5)
    term = losses[2.0]["opponent_policy_loss"]
    assert losses[2.0]["loss"] == pytest.approx(losses[0.0]["loss"] + 2.0 * term, rel=1e-4)
    with pytest.raises(ValueError, match="opponent_policy_loss_weight must be >= 0"):
        TrainConfig(opponent_policy_loss_weight=-1).validate()


def test_a_fresh_head_leaves_the_networks_play_as_it_was():
    torch.manual_seed(5)
    without = PolicyValueNet(TINY, GO5).eval()
    state, config = with_opponent_policy_head(without.state_dict(), TINY, GO5)
    assert config == WITH_HEAD
    again, _ = with_opponent_policy_head(without.state_dict(), TINY, GO5)
    assert all(torch.equal(state[k], again[k]) for k in state)  # seeded: the same head every time
    with_head = PolicyValueNet(WITH_HEAD, GO5)
    with_head.load_state_dict(state)  # strict: every weight of the head is there
    with_head.eval()
    planes = torch.from_numpy(random_samples(4, GO5, seed=6)[0]).float()
    with torch.no_grad():
        old, new = without(planes), with_head(planes)
    assert new.opponent_policy_logits is None  # play never computes it
    for a, b in zip(old, new):
        if a is not None:
            torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match="already has an opponent policy head"):
        with_opponent_policy_head(state, WITH_HEAD, GO5)
