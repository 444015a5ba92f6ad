"""Score head and score utility (KataGo, Wu 2019 section 4): the score target is each finished game's Tromp-Taylor margin from the
player to move's side, masked for resigned games through replay and shards; the loss trains the head; the utility is bounded and
monotone; checkpoints from before the head still load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from netfixtures import GO5, TINY, random_samples, tiny_model
from safetensors.torch import load_file, save_file

from games.go import BLACK, GoGame, GoRules
from mcts import SearchParams, UniformEvaluator
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.records import to_samples
from selfplay.worker import SelfPlayWorker
from zero.learn.replay import ReplayBuffer, ReplayConfig
from zero.learn.train import compute_losses
from zero.nn.checkpoint import load_checkpoint, save_checkpoint
from zero.nn.inference import NetworkEvaluator, score_utility
from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

RULES_9X9 = GoRules(size=9, komi=7.5, max_moves=120)
SCORED = NetworkConfig(
    blocks=1,
    channels=16,
    global_pooling_every=0,
    policy_channels=4,
    value_channels=4,
    value_hidden=16,
    ownership_head=True,
    score_head=True,
)
GO9 = GameShape(17, 9, 82)


def tromp_taylor_margin(stones: np.ndarray, komi: float) -> float:
    """Black area minus White area minus komi, by flood fill written here from the rules (independent of the Numba kernel).

    stones int[N, N]: 0 empty, 1 black, 2 white. An empty region counts for a colour when it reaches only that colour."""
    n = stones.shape[0]
    area = {1: int((stones == 1).sum()), 2: int((stones == 2).sum())}
    seen = np.zeros_like(stones, bool)
    for y in range(n):
        for x in range(n):
            if stones[y, x] != 0 or seen[y, x]:
                continue
            region, borders, stack = 0, set(), [(y, x)]
            seen[y, x] = True
            while stack:
                cy, cx = stack.pop()
                region += 1
                for ny, nx in ((cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)):
                    if 0 <= ny < n and 0 <= nx < n:
                        if stones[ny, nx] == 0 and not seen[ny, nx]:
                            seen[ny, nx] = True
                            stack.append((ny, nx))
                        elif stones[ny, nx] != 0:
                            borders.add(int(stones[ny, nx]))
            if len(borders) == 1:
                area[borders.pop()] += region
    return area[1] - area[2] - komi


@pytest.fixture(scope="module")
def finished_9x9_games():
    """A fixed set of finished 9x9 self-play games (fixed seeds, played out: no resignation)."""
    adapter = make_adapter("go", RULES_9X9)
    worker = SelfPlayWorker(
        adapter,
        SearchParams(simulations=4, leaves_per_step=2),
        SelfPlayParams(games_in_parallel=3, resign_threshold=-1.0),
        UniformEvaluator(82),
        seed=7,
    )
    return worker.play(3)[:3]


def test_score_target_is_the_tromp_taylor_margin_from_the_player_to_move(finished_9x9_games):
    for record in finished_9x9_games:
        game = GoGame(RULES_9X9)
        for move in record.moves:
            game.play(int(move))
        assert game.is_over
        margin = tromp_taylor_margin(np.asarray(game.stones()).reshape(9, 9), 7.5)
        assert record.final_margin == pytest.approx(margin)
        samples = to_samples([record], with_ownership=True)
        keep = record.is_full_search
        sign = np.where(record.to_move[keep] == BLACK, 1.0, -1.0)
        np.testing.assert_allclose(samples.score, sign * margin)
        assert np.all(np.sign(samples.score) == samples.value)  # the margin's sign is the result (komi 7.5: no draw)


def test_replay_keeps_scores_masks_resigned_games_and_reads_old_shards(finished_9x9_games, tmp_path):
    played = finished_9x9_games[0]
    resigned = type(played)(**{**played.__dict__, "final_ownership": None, "final_margin": None, "resigned": True})
    replay = ReplayBuffer(
        ReplayConfig(window=1000, growth=False, shard_size=10_000),
        in_channels=17,
        board_size=9,
        num_actions=82,
        directory=tmp_path,
    )
    for record in (played, resigned):
        s = to_samples([record], with_ownership=record.final_ownership is not None)
        replay.add(s.planes, s.policy, s.value, s.ownership, score=s.score)
    n = played.num_samples
    contents = replay.window_contents()
    assert contents["has_score"][:n].all() and not contents["has_score"][n:].any()
    np.testing.assert_allclose(contents["score"][:n], to_samples([played], with_ownership=True).score)
    batch = replay.gather(np.arange(2 * n), np.zeros(2 * n, np.int64))
    assert batch.has_score.tolist() == [True] * n + [False] * n
    replay.flush()
    again = ReplayBuffer(
        ReplayConfig(window=1000, growth=False, shard_size=10_000),
        in_channels=17,
        board_size=9,
        num_actions=82,
        directory=tmp_path,
    )
    np.testing.assert_array_equal(again.window_contents()["score"], contents["score"])
    # a shard written before the score head: its positions load without a score target
    shard = next(tmp_path.glob("shard-*.npz"))
    with np.load(shard) as data:
        old = {k: data[k] for k in data.files if k not in ("score", "has_score")}
    np.savez(shard, **old)
    older = ReplayBuffer(
        ReplayConfig(window=1000, growth=False, shard_size=10_000),
        in_channels=17,
        board_size=9,
        num_actions=82,
        directory=tmp_path,
    )
    assert older.total_added == 2 * n and not older.window_contents()["has_score"].any() and not older.corrupt_shards


def test_score_loss_trains_the_head_and_ignores_masked_samples():
    torch.manual_seed(0)
    model = PolicyValueNet(SCORED, GO9)
    replay = ReplayBuffer(ReplayConfig(window=100, growth=False), in_channels=17, board_size=9, num_actions=82, seed=0)
    planes, policy, value, ownership = random_samples(16, GO9, seed=1)
    replay.add(planes, policy, value, ownership, score=np.where(value > 0, 30.0, -30.0))
    batch = replay.gather(np.arange(16), np.zeros(16, np.int64))
    assert compute_losses(model(batch.planes.float()), batch)["score_loss"] > 0
    masked = type(batch)(
        *[getattr(batch, f) for f in ("planes", "policy", "value", "ownership", "has_ownership", "score")],
        torch.zeros(16, dtype=torch.bool),
    )
    assert compute_losses(model(batch.planes.float()), masked)["score_loss"] == 0
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    first = None
    for _ in range(200):
        loss = compute_losses(model(batch.planes.float()), batch)["score_loss"]
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.3 * first
    predicted = model(batch.planes.float()).score.detach()
    assert (torch.sign(predicted) == torch.sign(batch.score)).float().mean() > 0.9


def test_score_utility_is_bounded_and_monotone_and_added_to_the_value():
    scores = np.linspace(-400, 400, 4001)
    u = score_utility(scores, 5.0)
    assert np.all(np.abs(u) < 1) and np.all(np.diff(u) > 0)
    assert score_utility(np.array([5.0]), 5.0)[0] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        score_utility(scores, 0.0)
    torch.manual_seed(0)
    evaluator = NetworkEvaluator(PolicyValueNet(SCORED, GO9), device="cpu")
    planes = random_samples(8, GO9, seed=2)[0].astype(np.float32)
    _, raw_value, score = evaluator.evaluate_with_score(planes)
    assert evaluator.evaluate(planes)[1] == pytest.approx(raw_value)  # weight 0: the value alone
    evaluator.score_utility_weight = 0.2
    _, utility = evaluator.evaluate(planes)
    np.testing.assert_allclose(utility, 0.8 * raw_value + 0.2 * score_utility(score, 5.0), rtol=1e-5, atol=1e-6)
    assert np.all(np.abs(utility) <= 1.0)  # never beyond a terminal win or loss
    # monotone in the predicted score at a fixed value
    assert np.all(np.diff(0.8 * 0.3 + 0.2 * score_utility(np.linspace(-80, 80, 50), 5.0)) > 0)


def test_checkpoints_from_before_the_score_head_still_load(tmp_path):
    path = save_checkpoint(tmp_path, tiny_model(), step=1, model_version=1)
    header = json.loads(path.with_suffix(".json").read_text())
    header["network"].pop("score_head")  # what a checkpoint written before the head holds
    save_file(load_file(str(path)), str(path), metadata={"zero": json.dumps(header)})
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.network_config.score_head is False and ckpt.network_config == TINY
    evaluator = NetworkEvaluator.from_checkpoint(str(tmp_path), device="cpu")
    assert not evaluator.has_score and evaluator.evaluate(random_samples(2, GO5)[0].astype(np.float32))[0].shape == (
        2,
        26,
    )
    # a network with the head keeps it through a checkpoint
    torch.manual_seed(0)
    save_checkpoint(tmp_path / "scored", PolicyValueNet(SCORED, GO9), step=1, model_version=1)
    assert load_checkpoint(tmp_path / "scored").network_config.score_head is True


def test_score_komi_offset_adds_the_komi_the_side_to_move_receives():
    import dataclasses

    from games.go._kernels import KOMI_SCALE
    from zero.nn.network import KOMI_PLANE_SCALE

    assert KOMI_PLANE_SCALE == KOMI_SCALE  # the network reads back what the game wrote
    with pytest.raises(ValueError, match="score_komi_offset"):
        dataclasses.replace(SCORED, score_komi_offset=True).validate()  # no komi plane to read
    with pytest.raises(ValueError, match="score_komi_offset"):
        dataclasses.replace(SCORED, score_head=False, komi_input=True, score_komi_offset=True).validate()
    plain = dataclasses.replace(SCORED, komi_input=True)
    shape = GameShape(18, 9, 82)
    torch.manual_seed(0)
    without = PolicyValueNet(plain, shape).eval()
    with_offset = PolicyValueNet(dataclasses.replace(plain, score_komi_offset=True), shape).eval()
    with_offset.load_state_dict(without.state_dict())  # the offset adds no weights
    game = GoGame(GoRules(size=9, komi=6.5))
    black_to_move = game.planes(komi_plane=True)
    game.play("E5")
    white_to_move = game.planes(komi_plane=True)
    planes = torch.from_numpy(np.stack([black_to_move, white_to_move]).astype(np.float32))
    with torch.no_grad():
        shift = with_offset(planes).score - without(planes).score
    # Black gives the komi, White receives it: the head's board margin moves by exactly that
    np.testing.assert_allclose(shift.numpy(), [-6.5, 6.5], atol=1e-4)


@pytest.mark.parametrize("utility_weight", [0.0, 0.3])
def test_a_score_head_gives_the_search_its_margins_without_changing_the_search(utility_weight):
    """evaluate_with_margin: evaluate's priors and values (the utility included) and the score head's margins; a
    search that averages them builds the same tree as one that does not, and its root margin is their mean."""
    from mcts import BatchedSearch
    from zero.analysis.engine import search_batch

    torch.manual_seed(0)
    # float32: auto would switch to bf16 after its first calls' fidelity check, between the two searches
    evaluator = NetworkEvaluator(PolicyValueNet(SCORED, GO9), device="cpu", precision="float32")
    evaluator.score_utility_weight = utility_weight
    planes = random_samples(8, GO9, seed=3)[0].astype(np.float32)
    priors, values, margins = evaluator.evaluate_with_margin(planes)
    expected_priors, expected_values = evaluator.evaluate(planes)
    np.testing.assert_array_equal(priors, expected_priors)
    np.testing.assert_array_equal(values, expected_values)
    np.testing.assert_array_equal(margins, evaluator.evaluate_with_score(planes)[2])
    assert evaluator.predicts_margin and not NetworkEvaluator(tiny_model(), device="cpu").predicts_margin

    games = [GoGame(RULES_9X9), GoGame(RULES_9X9)]
    games[1].play("E5")
    trees = {}
    for track in (True, False):
        search = BatchedSearch(SearchParams(simulations=48, leaves_per_step=4), batch_size=2, num_actions=82)
        search.track_scores = track
        result = search.run(search_batch(evaluator, games), evaluator, add_noise=False)
        trees[track] = (search, result)
    (tracked, with_margins), (_, without) = trees[True], trees[False]
    np.testing.assert_array_equal(with_margins.visits, without.visits)
    np.testing.assert_array_equal(with_margins.q, without.q)
    assert without.root_score is None
    tree = tracked.tree
    for b in range(2):
        count = tree.node_count[b]
        assert not tree.terminal[b, :count].any()
        depth = np.zeros(count, np.int64)
        for n in range(1, count):
            depth[n] = depth[tree.parent[b, n]] + 1
        # every node's margin is for its own player: flipped to the root's player, their mean is the root's margin
        root_view = np.where(depth % 2 == 0, 1.0, -1.0) * tree.raw_score[b, :count]
        assert with_margins.root_score[b] == pytest.approx(root_view.mean(), rel=1e-5, abs=1e-5)
