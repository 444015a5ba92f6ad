"""train.policy_surprise_weight (KataGo's policy surprise weighting): self-play records how far each search moved the
network's policy, and the learner writes surprising positions into the replay more often, a game's weight unchanged."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from selfplay_fakes import steps_with_their_search

from games.go import GoRules, RolloutEvaluator
from mcts import SearchParams
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.records import mean_policy_surprise, policy_surprise, surprise_weights, to_samples
from selfplay.worker import SelfPlayWorker
from zero.learn.train import TrainConfig

RULES_5X5 = GoRules(size=5, komi=2.5, max_moves=40)


def _worker(root: str = "puct", seed: int = 3) -> SelfPlayWorker:
    adapter = make_adapter("go", RULES_5X5)
    search = SearchParams(simulations=8, leaves_per_step=2, root=root, gumbel_considered=4)
    params = SelfPlayParams(games_in_parallel=4, resign_threshold=-1.0)
    return SelfPlayWorker(adapter, search, params, RolloutEvaluator(5, 2.5, rollouts=1, seed=1), seed=seed)


@pytest.fixture(scope="module")
def record():
    return _worker().play(1)[0]


def test_the_surprise_is_the_kl_divergence_of_the_target_from_the_prior():
    rng = np.random.default_rng(0)
    target = rng.dirichlet(np.ones(6), size=5)
    target[0, :3] = 0  # zero entries of the target add nothing
    target[0] /= target[0].sum()
    prior = rng.dirichlet(np.ones(6), size=5)
    expected = [sum(t * np.log(t / p) for t, p in zip(tr, pr) if t > 0) for tr, pr in zip(target, prior)]
    np.testing.assert_allclose(policy_surprise(target, prior), expected, rtol=1e-5)
    assert policy_surprise(prior, prior) == pytest.approx(np.zeros(5), abs=1e-6)
    unseen = policy_surprise(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))  # the prior gave the move nothing
    assert np.isfinite(unseen).all() and unseen[0] > 60


def test_a_games_weights_average_one_and_follow_the_surprise():
    np.testing.assert_allclose(surprise_weights(np.array([0.0, 0.0, 3.0, 1.0]), 0.5), [0.5, 0.5, 2.0, 1.0])
    np.testing.assert_allclose(surprise_weights(np.array([0.0, 0.0, 3.0, 1.0]), 1.0), [0.0, 0.0, 3.0, 1.0])
    np.testing.assert_array_equal(surprise_weights(np.array([0.0, 2.0]), 0.0), [1.0, 1.0])
    np.testing.assert_array_equal(surprise_weights(np.zeros(3), 0.5), [1.0, 1.0, 1.0])  # nothing surprised


@pytest.mark.parametrize("root", ["puct", "gumbel"])
def test_the_worker_records_how_far_each_search_moved_the_prior(root):
    worker = _worker(root)
    checked = 0
    for outcome in steps_with_their_search(worker, 10):
        for i, slot in enumerate(worker.slots):
            expected = policy_surprise(slot.policy[-1][None], outcome.prior[i][None])[0]
            assert slot.surprise[-1] == pytest.approx(float(expected), rel=1e-6)
            checked += 1
    assert checked >= 20 and any(s.surprise[-1] > 0.05 for s in worker.slots)
    record = worker.play(1)[0]
    assert record.policy_surprise.shape == (record.num_positions,) and (record.policy_surprise >= 0).all()


def test_integer_weights_repeat_exactly_the_weighted_positions(record):
    """Weights 0, 2, 1, 1, ... (f = 1): the first position leaves, the second comes twice; a fast search's surprise
    weighs nothing (it is no sample)."""
    count = record.num_positions
    surprise = np.ones(count, np.float32)
    surprise[0], surprise[1], surprise[-1] = 0.0, 2.0, 1000.0
    full = np.ones(count, bool)
    full[-1] = False
    weighted = dataclasses.replace(record, policy_surprise=surprise, is_full_search=full)
    plain = to_samples([weighted], with_ownership=True)
    samples = to_samples([weighted], with_ownership=True, surprise_weight=1.0, rng=np.random.default_rng(0))
    rows = [1, 1, *range(2, count - 1)]
    assert len(samples) == len(rows) == len(plain) == count - 1
    for name in ("planes", "policy", "value", "ownership", "score", "constant", "target_weight", "opponent_move"):
        np.testing.assert_array_equal(getattr(samples, name), getattr(plain, name)[rows], err_msg=name)


def test_fractional_weights_hold_in_expectation(record):
    count = record.num_positions
    surprise = np.where(np.arange(count) % 4 == 0, 3.0, 0.5).astype(np.float32)
    weighted = dataclasses.replace(record, policy_surprise=surprise)
    weights = surprise_weights(surprise, 0.5)
    rng = np.random.default_rng(1)
    totals = np.zeros(count)
    draws = 400
    for _ in range(draws):
        samples = to_samples([weighted], with_ownership=False, surprise_weight=0.5, rng=rng)
        # each position's value is its own sign times the result: count rows by matching the opponent's reply index
        totals += np.bincount(_row_indices(weighted, samples), minlength=count)
    np.testing.assert_allclose(totals / draws, weights, atol=0.12)
    assert weights.max() > 1.5 and weights.min() < 1


def _row_indices(record, samples) -> np.ndarray:
    """Which position of ``record`` each sample is (its planes identify it)."""
    keys = {record.planes[t].tobytes(): t for t in range(record.num_positions)}
    assert len(keys) == record.num_positions  # every position of the game differs
    return np.array([keys[p.tobytes()] for p in samples.planes])


def test_records_without_a_surprise_weigh_one_and_the_weight_is_validated(record):
    unknown = dataclasses.replace(record, policy_surprise=None)
    samples = to_samples([unknown], with_ownership=True, surprise_weight=0.5, rng=np.random.default_rng(0))
    assert len(samples) == record.num_samples
    with pytest.raises(ValueError, match="^policy_surprise_weight"):
        TrainConfig(policy_surprise_weight=1.5).validate()


def _learner(run_dir, surprise_weight: float):
    """A tiny run's learner in ``run_dir`` (a fresh run, or the resume of the one there) weighting by surprise."""
    from selfplay.config import load_config
    from selfplay.learner import Learner
    from selfplay.resume import plan_resume
    from selfplay.rundir import RunDir

    config = load_config(
        "configs/tiny.toml",
        ["run.progress=false", "train.device=cpu", f"train.policy_surprise_weight={surprise_weight}"],
    )
    rd = RunDir(run_dir).create()  # the folders exist already for a resume
    return Learner(config, rd, resume=plan_resume(config, rd))


def test_the_learner_writes_the_weighted_rows_into_the_replay(record, tmp_path):
    count = record.num_positions
    surprise = np.ones(count, np.float32)
    surprise[0], surprise[1] = 0.0, 2.0
    learner = _learner(tmp_path / "run", 1.0)
    added = learner.add_records([dataclasses.replace(record, policy_surprise=surprise)])
    stored = learner.replay.window_contents()
    plain = to_samples([record], with_ownership=learner.with_ownership)
    assert added == count == len(stored["value"])
    np.testing.assert_array_equal(stored["value"], plain.value[[1, 1, *range(2, count)]])
    learner.close()


def test_a_resumed_learner_draws_what_the_uninterrupted_one_would(record, tmp_path):
    surprise = np.linspace(0.0, 2.0, record.num_positions, dtype=np.float32)  # fractional weights: each add draws
    weighted = dataclasses.replace(record, policy_surprise=surprise)
    learner = _learner(tmp_path / "run", 0.5)
    learner.add_records([weighted])
    learner.save_checkpoint(run_state={}, run_config={})
    written = learner.add_records([weighted] * 4)
    uninterrupted = learner.replay.window_contents()["planes"][-written:]
    learner.close()
    resumed = _learner(tmp_path / "run", 0.5)
    assert resumed.add_records([weighted] * 4) == written
    np.testing.assert_array_equal(resumed.replay.window_contents()["planes"][-written:], uninterrupted)
    resumed.close()


def test_the_mean_surprise_counts_the_full_searches_only(record):
    surprise = np.arange(record.num_positions, dtype=np.float32)
    full = np.arange(record.num_positions) % 2 == 0
    weighted = dataclasses.replace(record, policy_surprise=surprise, is_full_search=full)
    unknown = dataclasses.replace(record, policy_surprise=None)
    assert mean_policy_surprise([weighted, unknown]) == pytest.approx(surprise[full].mean())
    assert mean_policy_surprise([unknown]) is None
