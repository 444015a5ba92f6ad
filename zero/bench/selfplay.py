"""`zero bench selfplay`: self-play games/positions/evaluations per second of ONE worker (no Ray), and the network's raw throughput at the same batch sizes in the same run; never imports ray or sgfmill.

efficiency = evals_per_s (inside self-play, search included) / raw_evals_per_s (the same
network called back to back on batches of the sizes self-play produced, in the same
order). 1.0 means the search costs nothing next to the network.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from zero.args import add_config_arguments
from zero.bench import report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="timed self-play duration after warm-up (default 20)"
    )
    parser.add_argument("--warmup-steps", type=int, default=3, help="move steps before timing (JIT, cuDNN autotune)")
    parser.add_argument("--device", default="auto", help="device of the network: auto (CUDA when present), cpu, cuda")
    parser.add_argument(
        "--precision",
        choices=("auto", "float32", "bfloat16", "float16"),
        default="auto",
        help="network precision: auto = bf16 on CUDA and on CPUs with native bf16 where it is faster (timed) once a model version passes the fidelity check, else float32",
    )
    parser.add_argument(
        "--compile", action="store_true", help="torch.compile the network (as selfplay.compile = true does in a run)"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = leave torch's default)")
    parser.add_argument(
        "--model",
        metavar="CKPT",
        help="use this network's weights: a shipped name or a checkpoint (default: a fresh network)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


class _RecordingEvaluator:
    """Remembers the batch size of every call so the raw timing can replay the same sizes."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.sizes: list[int] = []
        self.recording = False

    def evaluate(self, planes):
        if self.recording:
            self.sizes.append(int(planes.shape[0]))
        return self.inner.evaluate(planes)


def run(args: argparse.Namespace) -> int:
    from zero.args import load_from_args

    config = load_from_args(args)
    config = _sgf_off(config)
    import numpy as np
    import torch

    from selfplay.builders import build_adapter, build_model, load_numpy_weights, numpy_weights
    from selfplay.worker import SelfPlayWorker
    from zero.common.malloc import tune_malloc
    from zero.common.onednn import size_primitive_cache
    from zero.nn.inference import NetworkEvaluator, device_description

    if args.threads:
        torch.set_num_threads(args.threads)
    checkpoint = None
    if args.model:
        from zero.common.configlib import fail
        from zero.nn.checkpoint import CheckpointError
        from zero.nn.shipped import ModelSpecError, load_model

        try:
            checkpoint = load_model(args.model)
        except (CheckpointError, ModelSpecError, OSError, ValueError) as exc:
            fail(f"--model {args.model}: {exc}")
        config = dataclasses.replace(config, network=checkpoint.network_config)  # time the checkpoint's network
    adapter = build_adapter(config)
    network = NetworkEvaluator(
        build_model(config, adapter, seed=0),
        device=args.device,
        precision=args.precision,
        compile=args.compile or config.selfplay.compile,
    )
    if checkpoint is not None:
        if checkpoint.shape != network.shape:
            fail(f"--model {args.model}: a network for {checkpoint.shape}, the config plays {network.shape}")
        load_numpy_weights(network, numpy_weights(checkpoint.state_dict), checkpoint.model_version)
    recorder = _RecordingEvaluator(network)
    worker = SelfPlayWorker(adapter, config.search, config.selfplay, recorder, seed=0)
    started = time.perf_counter()
    for _ in range(args.warmup_steps):
        worker.step()
    steps0, positions0, games0, evals0 = (
        worker.stats.move_steps,
        worker.stats.positions,
        worker.stats.games,
        worker.evaluator.evals,
    )
    # the network's share is of the timed steps only: warm-up holds the first calls and auto's fidelity check
    network_seconds0, worker_seconds0 = worker.evaluator.seconds, worker.stats.seconds
    # Raw network throughput at the same batch sizes: after every self-play move step, the network is
    # called back to back on 0/1 planes of exactly the sizes that step produced. Interleaving keeps both
    # measurements under the same load on a shared machine.
    rng = np.random.default_rng(0)
    max_batch = config.selfplay.games_in_parallel * config.search.leaves_per_step
    planes = (rng.random((max_batch, *adapter.plane_shape)) < 0.3).astype(np.float32)
    for size in sorted({1, max_batch, config.selfplay.games_in_parallel}):
        network.evaluate(planes[:size])
    warmup_seconds = round(time.perf_counter() - started, 3)
    faults0 = _minor_page_faults()
    recorder.recording = True
    elapsed = raw_elapsed = 0.0
    raw_evals = 0
    while elapsed < args.seconds:
        first = len(recorder.sizes)
        t0 = time.perf_counter()
        worker.step()
        t1 = time.perf_counter()
        for size in recorder.sizes[first:]:
            network.evaluate(planes[:size])
            raw_evals += size
        raw_elapsed += time.perf_counter() - t1
        elapsed += t1 - t0
    recorder.recording = False
    faults = _minor_page_faults()
    sizes = recorder.sizes
    evals = worker.evaluator.evals - evals0
    games = worker.stats.games - games0
    positions = worker.stats.positions - positions0
    steps = worker.stats.move_steps - steps0
    raw_evals_per_s = raw_evals / raw_elapsed if raw_elapsed > 0 else float("nan")
    evals_per_s = evals / elapsed
    result = {
        "config": args.config,
        "device": device_description(network.device),
        "network": f"{config.network.blocks}x{config.network.channels}",  # the checkpoint's with --model
        "precision": network.precision,  # after the run: auto's choice once the fidelity check has spoken
        "memory_format": network.memory_format,
        "compile": network.compiled,
        "malloc": tune_malloc().describe(),  # `zero` set it up at start; ZERO_MALLOC=default leaves glibc's own
        "onednn_primitive_cache": size_primitive_cache().capacity,  # also set at start; the environment's wins
        "warmup_seconds": warmup_seconds,  # with --compile: mostly compiling
        "fidelity": None if network.fidelity is None else dataclasses.asdict(network.fidelity),
        "games_in_parallel": config.selfplay.games_in_parallel,
        "simulations": config.search.simulations,
        "seconds": round(elapsed, 3),
        "move_steps": steps,
        "games": games,
        "games_per_s": games / elapsed,
        "positions_per_s": positions / elapsed,
        "evals_per_s": evals_per_s,
        "raw_evals_per_s": raw_evals_per_s,
        "efficiency": evals_per_s / raw_evals_per_s if raw_evals_per_s else float("nan"),
        "mean_eval_batch": sum(sizes) / max(len(sizes), 1),
        "network_share_of_selfplay_time": (worker.evaluator.seconds - network_seconds0)
        / max(worker.stats.seconds - worker_seconds0, 1e-9),
        # pages the kernel had to hand the process (fresh or trimmed memory), self-play and raw replay together
        "minor_page_faults_per_move_step": None if faults is None else (faults - faults0) / max(steps, 1),
    }
    print(f"bench selfplay: network on {network.describe()}", file=sys.stderr, flush=True)
    report(result, args.json)
    return 0


def _minor_page_faults() -> int | None:
    """The process's minor page faults so far (None where the platform has no getrusage)."""
    try:
        import resource
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _sgf_off(config):
    return dataclasses.replace(config, selfplay=dataclasses.replace(config.selfplay, sgf_fraction=0.0))
