"""`zero bench learner --json` on the tiny config: one JSON object whose figures are consistent with each other (ratio formula, broadcast share, workers fed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zero.cli import main

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.toml"


def test_new_samples_per_s_follows_the_train_ratio(capsys):
    argv = [
        "bench",
        "learner",
        "--config",
        str(TINY),
        "--device",
        "cpu",
        "--threads",
        "1",
        "--steps",
        "2",
        "--games",
        "2",
        "--rounds",
        "1",
        "--no-broadcast",
        "--worker-samples-per-s",
        "50",
        "--json",
        "run.train_samples_per_new_sample=4",
    ]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout
    ingest, train = result["ingest_samples_per_s"], result["train_samples_per_s"]
    assert ingest > 0 and train > 0 and result["train_samples_per_new_sample"] == 4
    assert result["new_samples_per_s"] == pytest.approx(1 / (1 / ingest + 4 / train))
    assert result["new_samples_per_s"] < train / 4  # training 4 samples per new one is the ceiling
    assert result["workers_fed"] == pytest.approx(result["new_samples_per_s"] / 50)
    assert result["network"] == "1x16" and result["batch"] == 64 and "broadcast_put_ms" not in result


def test_worker_evaluations_become_samples_through_the_configs_simulations_and_playout_caps():
    from selfplay.config import load_config
    from zero.bench.learner import evals_per_sample

    assert evals_per_sample(load_config(TINY)) == 16  # no playout caps: every move is a sample of 16 simulations
    go9 = load_config(TINY.parent / "go9.toml")  # 400 full (p = 0.25), 64 fast
    assert evals_per_sample(go9) == pytest.approx((0.25 * 400 + 0.75 * 64) / 0.25)


@pytest.mark.ray
def test_broadcast_is_timed_through_ray_put_and_a_worker_actor(capsys):
    argv = [
        "bench",
        "learner",
        "--config",
        str(TINY),
        "--device",
        "cpu",
        "--threads",
        "1",
        "--steps",
        "1",
        "--games",
        "2",
        "--rounds",
        "1",
        "--json",
    ]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["broadcast_put_ms"] > 0 and result["broadcast_get_load_ms"] > 0 and result["weights_mb"] > 0
    version_s = 10 * 64 / result["train_samples_per_s"]  # tiny: 10 steps per version, batch 64
    assert result["seconds_per_version"] == pytest.approx(version_s)
    assert result["broadcast_share"] == pytest.approx(
        (result["broadcast_put_ms"] + result["broadcast_get_load_ms"]) / 1e3 / version_s
    )
