"""`zero bench learner`: how many new self-play samples per second one trainer can take in and train on at the configured ratio, and how long a weights broadcast takes (ray.put, then ray.get and a load on a worker actor).

The learner side of a run (selfplay.learner.Learner, a temporary run directory) on the
config's network, batch size and device:

- ``ingest_samples_per_s``: finished games (synthetic records of the config's shape and
  game length) turned into samples, added to the replay window and written as a shard, as
  the orchestrator does for every collected task;
- ``train_samples_per_s``: optimizer steps fed by real replay sampling;
- ``new_samples_per_s`` = 1 / (1 / ingest + ratio / train), with ratio =
  run.train_samples_per_new_sample: the self-play output one trainer keeps up with;
- ``broadcast_put_ms`` and ``broadcast_get_load_ms``: one model version, ``ray.put`` on the
  driver, then ``ray.get`` and a load into a NetworkEvaluator inside an actor (one machine:
  shared memory; across machines add ``weights_mb`` over the network, once per node);
- ``broadcast_share``: broadcast time over the training time of one version (steps_per_version steps);
- with ``--worker-samples-per-s S`` (one worker's new training samples per second, from
  ``zero bench selfplay``), or ``--worker-evals-per-s E`` (S = E / ``evals_per_sample``, the
  evaluations one sample costs at the config's simulations and playout caps):
  ``workers_fed`` = new_samples_per_s / S.
The replay window is capped at ``--window`` positions (the cost per sample does not depend
on it; a go19-sized window would need gigabytes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from zero.args import add_config_arguments
from zero.bench import report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument(
        "--device", default=None, help="trainer device: auto, cpu, cuda (default: the config's train.device)"
    )
    parser.add_argument(
        "--batch", type=int, default=None, help="train batch size (default: the config's train.batch_size)"
    )
    parser.add_argument("--steps", type=int, default=5, help="timed train steps (after one warm-up step); default 5")
    parser.add_argument(
        "--games", type=int, default=8, help="synthetic finished games per ingest round (one task's worth); default 8"
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed ingest rounds and broadcasts (median); default 3")
    parser.add_argument("--window", type=int, default=20000, help="replay window cap in positions; default 20000")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch's default)")
    parser.add_argument(
        "--worker-samples-per-s",
        type=float,
        default=None,
        help="one self-play worker's new training samples per second; adds workers_fed",
    )
    parser.add_argument(
        "--worker-evals-per-s",
        type=float,
        default=None,
        help="one worker's network evaluations per second (zero bench network/selfplay); "
        "its samples per second follow from the config's simulations and playout caps",
    )
    parser.add_argument("--no-broadcast", action="store_true", help="skip the Ray broadcast measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import dataclasses

    import torch

    from zero.args import load_from_args
    from zero.common.configlib import fail

    config = load_from_args(args)
    if args.steps < 1 or args.games < 1 or args.rounds < 1 or args.window < 1:
        fail("--steps, --games, --rounds and --window must be >= 1")
    train = dataclasses.replace(
        config.train, log_every=10**9, **{k: v for k, v in (("device", args.device), ("batch_size", args.batch)) if v}
    )
    replay = dataclasses.replace(config.replay, window=max(args.window, train.batch_size), growth=False)
    run_params = dataclasses.replace(config.run, min_replay_positions=train.batch_size)
    config = dataclasses.replace(config, train=train, replay=replay, run=run_params)
    if args.threads:
        torch.set_num_threads(args.threads)
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    with tempfile.TemporaryDirectory(prefix="zero-bench-learner-") as tmp:
        result = _measure(config, Path(tmp), args, log)
    report(result, args.json)
    return 0


def _measure(config, tmp: Path, args, log) -> dict:
    import numpy as np

    from selfplay.learner import Learner
    from selfplay.rundir import RunDir
    from zero.nn.inference import device_description
    from zero.nn.network import count_parameters, unwrap

    learner = Learner(config, RunDir(tmp / "run").create())
    device = learner.trainer.device
    rng = np.random.default_rng(0)
    records = [_synthetic_game(learner, config, rng) for _ in range(args.games)]
    samples_per_round = sum(int(r.is_full_search.sum()) for r in records)
    log(
        f"learner: {config.network.blocks}x{config.network.channels} network on {device_description(device)}, batch "
        f"{learner.batch_size}, {args.games} games of {records[0].num_positions} positions per ingest round"
    )

    learner.add_records(records)  # warm-up, and enough samples for a first batch
    while learner.replay_size < learner.batch_size:
        learner.add_records(records)
    learner.flush()
    ingest_times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        learner.add_records(records)
        learner.flush()  # one atomic shard per collected task, as in the run
        ingest_times.append(time.perf_counter() - t0)
    ingest = samples_per_round / statistics.median(ingest_times)

    learner.train(1)  # warm-up (allocator, cuDNN autotune)
    _sync(device)
    t0 = time.perf_counter()
    learner.train(args.steps)
    _sync(device)
    train = args.steps * learner.batch_size / (time.perf_counter() - t0)
    ratio = config.run.train_samples_per_new_sample
    new_samples = 1.0 / (1.0 / ingest + ratio / train)
    log(
        f"  ingest {ingest:.1f} samples/s, train {train:.1f} samples/s, ratio {ratio:g}: {new_samples:.1f} new samples/s"
    )

    weights = learner.numpy_weights()
    result = {
        "benchmark": "learner",
        "config": args.config,
        "device": device_description(device),
        "network": f"{config.network.blocks}x{config.network.channels}",
        "parameters": count_parameters(unwrap(learner.trainer.model)),
        "batch": learner.batch_size,
        "ingest_samples_per_s": ingest,
        "train_samples_per_s": train,
        "train_samples_per_new_sample": ratio,
        "new_samples_per_s": new_samples,
        "weights_mb": sum(w.nbytes for w in weights.values()) / 2**20,
    }
    learner.close()
    if not args.no_broadcast:
        from selfplay.cluster import time_broadcast

        put_s, get_load_s = time_broadcast(config, weights, args.rounds)
        version_s = config.run.steps_per_version * learner.batch_size / train
        result.update(
            broadcast_put_ms=put_s * 1e3,
            broadcast_get_load_ms=get_load_s * 1e3,
            seconds_per_version=version_s,
            broadcast_share=(put_s + get_load_s) / version_s,
        )
        log(
            f"  broadcast of {result['weights_mb']:.1f} MB: put {put_s * 1e3:.1f} ms, get + load on a worker "
            f"{get_load_s * 1e3:.1f} ms; one version every {version_s:.1f} s of training"
        )
    worker = args.worker_samples_per_s
    if args.worker_evals_per_s:
        result["worker_evals_per_s"] = args.worker_evals_per_s
        result["evals_per_sample"] = evals_per_sample(config)
        worker = args.worker_evals_per_s / result["evals_per_sample"]
    if worker:
        result["worker_samples_per_s"] = worker
        result["workers_fed"] = new_samples / worker
    return result


def evals_per_sample(config) -> float:
    """Network evaluations a worker spends per new training sample: every move searches, only full searches become samples.

    With playout caps (KataGo) a move is a full search (search.simulations) with probability p,
    else a fast one (selfplay.fast_simulations): (p * full + (1 - p) * fast) / p evaluations per sample."""
    full = config.search.simulations
    sp = config.selfplay
    if not sp.playout_cap_randomization:
        return float(full)
    p = sp.full_search_probability
    return (p * full + (1 - p) * sp.fast_simulations) / p


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _synthetic_game(learner, config, rng):
    """A finished game of the config's shape: half the move cap long, random 0/1 planes, Dirichlet visit shares."""
    import numpy as np

    from games import FIRST_PLAYER
    from selfplay.records import GameRecord

    c, h, w = learner.adapter.plane_shape
    k = learner.adapter.constant_planes
    a = learner.adapter.num_actions
    t = max(1, getattr(config.go, "max_moves", 2 * h * w) // 2)
    full = config.selfplay.full_search_probability if config.selfplay.playout_cap_randomization else 1.0
    keep = rng.random(t) < full
    keep[0] = True
    return GameRecord(
        planes=(rng.random((t, c - k, h, w)) < 0.3).astype(np.uint8),
        constant=rng.uniform(-0.5, 0.5, (t, k)).astype(np.float32),
        policy=rng.dirichlet(np.full(a, 0.3), size=t).astype(np.float32),
        root_value=rng.uniform(-1, 1, t).astype(np.float32),
        to_move=(np.arange(t) % 2 + FIRST_PLAYER).astype(np.int8),  # FIRST_PLAYER, SECOND_PLAYER, ...
        moves=rng.integers(0, a, t).astype(np.int32),
        is_full_search=keep,
        result=1.0,
        final_ownership=rng.integers(-1, 2, (h, w)).astype(np.int8) if learner.adapter.has_ownership else None,
    )
