"""`zero bench network`: network evaluations per second by batch size, and training samples per second with and without the replay input pipeline (torch imported inside run; never ray or sgfmill).

JSON keys: ``evals_per_s`` ({batch size: evaluations/s}), ``train_samples_per_s`` (steps fed by
real replay sampling: positions picked and their bytes copied on the prefetch thread,
bits unpacked and symmetries applied on the training device), ``train_samples_per_s_premade`` (the same steps on a batch already on the device),
``train_pipeline_ratio`` (the first over the second; the issue asks for >= 0.9),
``sample_ms`` (median time of one replay.sample call on the CPU), plus the device, card and network.
Timings are medians of several timed calls after a warm-up, with the device synchronised
before each clock read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size N (Go planes: 17 x N x N, N*N+1 actions); default 9")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")
    parser.add_argument("--batch-sizes", default="1,64,256,1024", help="inference batch sizes, comma-separated")
    parser.add_argument("--blocks", type=int, default=None, help="residual blocks (default: NetworkConfig's)")
    parser.add_argument("--channels", type=int, default=None, help="channels per block (default: NetworkConfig's)")
    parser.add_argument("--seconds", type=float, default=None, help="minimum timed seconds per inference batch size (default 0.5 CPU, 2 CUDA)")
    parser.add_argument("--min-calls", type=int, default=3, help="minimum timed calls per measurement (the median is reported)")
    parser.add_argument("--train-batch", type=int, default=256, help="training batch size")
    parser.add_argument("--train-steps", type=int, default=None, help="steps per timed training round (default 2 CPU, 50 CUDA)")
    parser.add_argument("--train-rounds", type=int, default=6, help="rounds of premade and replay training, alternating order (median)")
    parser.add_argument("--replay-positions", type=int, default=16384, help="random positions in the benchmark's replay window")
    parser.add_argument("--no-train", action="store_true", help="skip the training measurements")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice); 1 is steadier on a shared machine")
    parser.add_argument("--compile", action="store_true", help="use torch.compile for inference and training")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from zero.common.configlib import fail
    from zero.nn.inference import NetworkEvaluator, device_description, resolve_device
    from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet, count_parameters

    try:
        device = resolve_device(args.device)
        batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
        if not batch_sizes or min(batch_sizes) < 1:
            raise ValueError(f"--batch-sizes must be positive integers, got {args.batch_sizes!r}")
        if args.size < 2:
            raise ValueError(f"--size must be at least 2, got {args.size}")
        overrides = {k: v for k, v in (("blocks", args.blocks), ("channels", args.channels)) if v is not None}
        if args.channels is not None:  # keep the pooled branch a third of the tower, as in the default
            overrides["global_pooling_channels"] = min(NetworkConfig().global_pooling_channels, max(1, args.channels // 3))
        config = NetworkConfig(**overrides)
        config.validate()
    except ValueError as exc:
        fail(str(exc))
    if args.threads is not None:
        if args.threads < 1:
            fail(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    cuda = device.type == "cuda"
    seconds = args.seconds if args.seconds is not None else (2.0 if cuda else 0.5)
    shape = GameShape(17, args.size, args.size * args.size + 1)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize(device)

    def timed(fn, min_seconds: float, min_calls: int) -> float:
        """Median seconds of one fn() call, after one warm-up call."""
        fn()
        sync()
        times: list[float] = []
        start = time.perf_counter()
        while len(times) < min_calls or time.perf_counter() - start < min_seconds:
            t0 = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    model = PolicyValueNet(config, shape)
    evaluator = NetworkEvaluator(model, device=str(device), compile=args.compile)
    result: dict = {
        "benchmark": "network",
        "size": args.size,
        "device": device_description(device),
        "torch": torch.__version__,
        "autocast": str(evaluator.autocast_dtype or "off"),
        "network": config.to_dict(),
        "parameters": count_parameters(model),
        "evals_per_s": {},
    }
    log(f"network {config.blocks}x{config.channels} ({result['parameters']:,} params) on {result['device']}, {args.size}x{args.size}")
    for b in batch_sizes:
        planes = (rng.random((b, 17, args.size, args.size)) < 0.3).astype(np.float32)
        per_call = timed(lambda planes=planes: evaluator.evaluate(planes), seconds, args.min_calls)  # evaluate() returns numpy: synchronous
        result["evals_per_s"][str(b)] = b / per_call
        log(f"  inference batch {b:5d}: {b / per_call:12.1f} evals/s ({per_call * 1e3:.2f} ms/call)")

    if not args.no_train:
        result.update(_bench_training(args, config, shape, device, cuda, sync, timed, log))
    if args.json:
        print(json.dumps(result))
    return 0


def _bench_training(args, config, shape, device, cuda, sync, timed, log) -> dict:
    import numpy as np

    from zero.learn.replay import ReplayBuffer, ReplayConfig
    from zero.learn.train import TrainConfig, Trainer, premade_batch
    from zero.nn.network import PolicyValueNet

    n, a, positions = shape.board_size, shape.num_actions, args.replay_positions
    rng = np.random.default_rng(1)
    replay = ReplayBuffer(ReplayConfig(window=positions, growth=False), in_channels=17, board_size=n, num_actions=a, seed=0)
    chunk = 4096
    for start in range(0, positions, chunk):
        m = min(chunk, positions - start)
        policy = rng.dirichlet(np.full(a, 0.3), size=m).astype(np.float32)
        replay.add(
            rng.random((m, 17, n, n)) < 0.3, policy, rng.choice([-1.0, 1.0], m), rng.integers(-1, 2, (m, n, n)).astype(np.int8)
        )
    steps = args.train_steps if args.train_steps is not None else (50 if cuda else 2)
    train_config = TrainConfig(batch_size=args.train_batch, device=str(device), compile=args.compile, log_every=10**9)
    trainer = Trainer(PolicyValueNet(config, shape), train_config, replay, seed=0)
    fixed = premade_batch(replay, args.train_batch, device)

    def premade_round() -> None:
        for _ in range(steps):
            trainer.train_on_batch(fixed)

    def replay_round() -> None:
        trainer.train_steps(steps)

    premade_round()  # warm-up (cudnn autotune, compile, allocator)
    replay_round()
    sync()
    premade_times, replay_times = [], []
    for i in range(args.train_rounds):  # interleaved A B B A ... so drifting clocks and neighbours hit both alike
        order = ((premade_round, premade_times), (replay_round, replay_times))
        for fn, times in order if i % 2 == 0 else reversed(order):
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - t0)
    samples = steps * args.train_batch
    premade_sps = samples / statistics.median(premade_times)
    replay_sps = samples / statistics.median(replay_times)
    sample_s = timed(lambda: replay.sample(args.train_batch), 0.2, 5)
    log(f"  training batch {args.train_batch}: {replay_sps:.1f} samples/s with replay sampling, {premade_sps:.1f} on a premade batch "
        f"(ratio {replay_sps / premade_sps:.3f}); one replay.sample = {sample_s * 1e3:.2f} ms")
    return {
        "train_batch": args.train_batch,
        "train_steps_per_round": steps,
        "train_autocast": str(trainer.autocast_dtype or "off"),
        "train_samples_per_s": replay_sps,
        "train_samples_per_s_premade": premade_sps,
        "train_pipeline_ratio": replay_sps / premade_sps,
        "sample_ms": sample_s * 1e3,
    }
