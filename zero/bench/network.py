"""`zero bench network`: network evaluations per second by batch size and precision against the machine's measured peak (a roofline), and training samples per second with and without the replay input pipeline (torch imported inside run; never ray or sgfmill).

JSON keys: ``precision`` and ``memory_format`` (what ``--precision`` resolves to on this machine, used for
``evals_per_s`` and the training figures), ``evals_per_s`` ({batch size: evaluations/s}),
``variants`` ({"float32", "float32+cl", "bfloat16", "bfloat16+cl", ...: {batch size: evaluations/s}}, measured
in interleaved rounds so a shared machine's load hits all alike; ``+cl`` = channels-last, ``+compile`` =
torch.compile), ``flops_per_eval`` (multiply-adds x 2 of one forward pass, counted by torch's FlopCounterMode),
``peak_gflops`` ({"float32": ..., "bfloat16": ...}: a large square matmul in the same run, same threads),
``roofline`` ({variant: {batch size: achieved GFLOP/s / peak GFLOP/s of its dtype}}), ``cpu_bf16`` (the CPU
flag that makes bf16 native, or null), ``train_samples_per_s`` (steps fed by
real replay sampling: positions picked and their bytes copied on the prefetch thread,
bits unpacked and symmetries applied on the training device), ``train_samples_per_s_premade`` (the same steps on a batch already on the device),
``train_pipeline_ratio`` (the first over the second; the issue asks for >= 0.9),
``sample_ms`` (median time of one replay.sample call on the CPU), plus the device, card and network.
Timings are medians of several timed calls after a warm-up, with the device synchronised
before each clock read.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--size",
        type=int,
        default=9,
        help="board size N (N*N+1 actions; 17 planes, more with --config's optional inputs); default 9",
    )
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda[:i]")
    parser.add_argument(
        "--batch-sizes",
        default="1,64,128,256",
        help="inference batch sizes, comma-separated (go9_cpu's self-play: 128 = 32 games x 4 leaves)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="take the network from this run config's [network] table (e.g. configs/go9_cpu.toml)",
    )
    parser.add_argument(
        "--precision",
        choices=("auto", "float32", "bfloat16", "float16"),
        default="auto",
        help="precision of the headline figures and training: auto = bf16 on CUDA and on CPUs with native bf16 where it is faster (timed), else float32",
    )
    parser.add_argument(
        "--variants",
        default="float32,float32+cl,bfloat16,bfloat16+cl",
        help="inference variants compared side by side: precision[+cl][+compile], comma-separated; '' = none",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds over the variants (the best round is kept)"
    )
    parser.add_argument(
        "--matmul-size",
        type=int,
        default=None,
        help="side of the square matmul that measures the peak (the 1x1 conv has half as many channels); default 1024 "
        "on a CPU, 8192 on CUDA (an H200 runs a 1024 product in microseconds, far from its peak)",
    )
    parser.add_argument("--blocks", type=int, default=None, help="residual blocks (default: NetworkConfig's)")
    parser.add_argument(
        "--channels",
        type=int,
        default=None,
        help="channels per block (default: NetworkConfig's); the pooled branch keeps its width where it fits, as network.channels= on a run",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="minimum timed seconds per inference batch size (default 0.5 CPU, 2 CUDA)",
    )
    parser.add_argument(
        "--min-calls", type=int, default=3, help="minimum timed calls per measurement (the median is reported)"
    )
    parser.add_argument("--train-batch", type=int, default=256, help="training batch size")
    parser.add_argument(
        "--train-steps", type=int, default=None, help="steps per timed training round (default 2 CPU, 50 CUDA)"
    )
    parser.add_argument(
        "--train-rounds", type=int, default=6, help="rounds of premade and replay training, alternating order (median)"
    )
    parser.add_argument(
        "--replay-positions", type=int, default=16384, help="random positions in the benchmark's replay window"
    )
    parser.add_argument("--no-train", action="store_true", help="skip the training measurements")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: torch's choice); 1 is steadier on a shared machine",
    )
    parser.add_argument("--compile", action="store_true", help="use torch.compile for inference and training")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall time, or this process's CPU time (steadier on a shared machine; CPU device only): rates are then per CPU-second",
    )
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from games.go import num_planes
    from zero.common.configlib import ConfigError, fail
    from zero.common.malloc import tune_malloc
    from zero.common.onednn import size_primitive_cache
    from zero.nn.inference import (
        NetworkEvaluator,
        cpu_native_bf16,
        device_description,
        resolve_device,
        resolve_precision,
    )
    from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet, count_parameters

    try:
        device = resolve_device(args.device)
        batch_sizes = [int(b) for b in args.batch_sizes.split(",") if b.strip()]
        if not batch_sizes or min(batch_sizes) < 1:
            raise ValueError(f"--batch-sizes must be positive integers, got {args.batch_sizes!r}")
        if args.size < 2:
            raise ValueError(f"--size must be at least 2, got {args.size}")
        variants = [_parse_variant(v.strip()) for v in args.variants.split(",") if v.strip()]
        if args.matmul_size is None:
            args.matmul_size = 8192 if device.type == "cuda" else 1024
        if args.rounds < 1 or args.matmul_size < 1:
            raise ValueError(f"--rounds and --matmul-size must be at least 1, got {args.rounds} and {args.matmul_size}")
        base = NetworkConfig()
        if args.config:
            from selfplay.config import load_config

            base = load_config(args.config, []).network
        overrides = {k: v for k, v in (("blocks", args.blocks), ("channels", args.channels)) if v is not None}
        # --channels acts as `network.channels=` does on a run (the pooled branch keeps its width), so the bench
        # times the network that run trains; only a branch as wide as the new tower shrinks to a third of it
        if args.channels is not None and base.global_pooling_channels >= args.channels:
            overrides["global_pooling_channels"] = max(1, args.channels // 3)
        config = dataclasses.replace(base, **overrides)
        config.validate()
    except (ValueError, ConfigError) as exc:
        fail(str(exc))
    if args.threads is not None:
        if args.threads < 1:
            fail(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    cuda = device.type == "cuda"
    if cuda and args.clock == "cpu":
        fail("--clock cpu measures CPU time: use it with --device cpu")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    seconds = args.seconds if args.seconds is not None else (2.0 if cuda else 0.5)
    # the planes the configured network reads (go9_cpu's liberty planes make 20, not 17)
    planes_per_position = num_planes(config.komi_input, config.liberty_input, config.ladder_input)
    shape = GameShape(planes_per_position, args.size, args.size * args.size + 1)
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
        start = clock()
        while len(times) < min_calls or clock() - start < min_seconds:
            t0 = clock()
            fn()
            sync()
            times.append(clock() - t0)
        return statistics.median(times)

    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    model = PolicyValueNet(config, shape)
    choice = resolve_precision(device, args.precision, model=model)  # auto times the layouts here, with --threads
    # The requested precision is passed explicitly: auto's per-version fidelity check would judge these random weights.
    evaluator = NetworkEvaluator(
        model,
        device=str(device),
        precision=choice.precision,
        channels_last=choice.channels_last,  # auto may time float32 faster in channels-last
        compile=args.compile,
    )
    result: dict = {
        "benchmark": "network",
        "size": args.size,
        "device": device_description(device),
        "torch": torch.__version__,
        "clock": args.clock,
        "cpu_bf16": cpu_native_bf16() if device.type == "cpu" else None,
        "precision": evaluator.precision,  # what the timed evaluator runs, not only what was chosen
        "memory_format": evaluator.memory_format,
        "malloc": tune_malloc().describe(),
        "onednn_primitive_cache": size_primitive_cache().capacity,
        "autocast": str(evaluator.autocast_dtype or "off"),
        "network": config.to_dict(),
        "parameters": count_parameters(model),
        "flops_per_eval": _flops_per_eval(model, shape, device),
        "evals_per_s": {},
    }
    log(
        f"network {config.blocks}x{config.channels} ({result['parameters']:,} params, {result['flops_per_eval'] / 1e6:.1f} MFLOP/eval) "
        f"on {result['device']}, {args.size}x{args.size}; {choice.describe()}"
    )
    plane_shape = (shape.in_channels, args.size, args.size)
    all_planes = {b: (rng.random((b, *plane_shape)) < 0.3).astype(np.float32) for b in batch_sizes}
    for b in batch_sizes:
        planes = all_planes[b]
        per_call = timed(
            lambda planes=planes: evaluator.evaluate(planes), seconds, args.min_calls
        )  # evaluate() returns numpy: synchronous
        result["evals_per_s"][str(b)] = b / per_call
        log(f"  inference batch {b:5d}: {b / per_call:12.1f} evals/s ({per_call * 1e3:.2f} ms/call)")
    if variants:
        result.update(
            _bench_variants(
                args, variants, config, shape, device, all_planes, seconds, timed, result["flops_per_eval"], log
            )
        )

    if not args.no_train:
        result.update(_bench_training(args, config, shape, device, cuda, sync, timed, log, clock))
    if args.json:
        print(json.dumps(result))
    return 0


def _parse_variant(text: str) -> tuple[str, str, bool, bool]:
    """'bfloat16+cl+compile' -> (name, precision, channels_last, compile); ValueError naming the flag otherwise."""
    precision, *flags = text.split("+")
    if precision not in ("float32", "bfloat16", "float16") or any(f not in ("cl", "compile") for f in flags):
        raise ValueError(f"--variants: {text!r} is not float32|bfloat16|float16 with optional +cl and +compile")
    return text, precision, "cl" in flags, "compile" in flags


def _flops_per_eval(model, shape, device) -> int:
    """FLOPs (2 x multiply-adds) of one position's forward pass, counted by torch's FlopCounterMode on a batch of 8."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.zeros(8, shape.in_channels, shape.board_size, shape.board_size, device=device)
    with torch.inference_mode(), FlopCounterMode(display=False) as counter:
        model.to(device).eval()(x)
    return counter.get_total_flops() // 8


def _peak_gflops(device, size: int, seconds: float, timed) -> dict[str, float]:
    """GFLOP/s of the best large matrix product per dtype (float32, bfloat16; float16 on CUDA): the machine's practical peak.

    Two products each: ``torch.mm`` of two size x size matrices, and the same-sized product as a 1x1 convolution
    in channels-last (oneDNN on a CPU). On AMD CPUs the first goes through MKL, which runs far below the
    hardware there (measured 80 against 180 GFLOP/s float32 on one EPYC core), so the faster of the two counts.
    """
    import torch

    dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16}
    if device.type == "cuda":
        dtypes["float16"] = torch.float16
    peak = {}
    channels, rows = max(1, size // 2), 16 * 16 * 16
    for name, dtype in dtypes.items():
        a = torch.randn(size, size, device=device).to(dtype)
        per_mm = timed(lambda a=a: torch.mm(a, a), seconds, 3)
        x = torch.randn(16, channels, 16, 16, device=device).to(dtype).contiguous(memory_format=torch.channels_last)
        w = torch.randn(channels, channels, 1, 1, device=device).to(dtype).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            per_conv = timed(lambda x=x, w=w: torch.conv2d(x, w), seconds, 3)
        peak[name] = max(2 * size**3 / per_mm, 2 * rows * channels**2 / per_conv) / 1e9
    return peak


def _bench_variants(args, variants, config, shape, device, all_planes, seconds, timed, flops, log) -> dict:
    """Each variant's evals/s at every batch size, in interleaved rounds (best round kept), and its roofline fraction."""
    import torch

    from zero.nn.inference import NetworkEvaluator
    from zero.nn.network import PolicyValueNet

    torch.manual_seed(0)
    weights = PolicyValueNet(config, shape).state_dict()
    evaluators = {}
    for name, precision, channels_last, compile in variants:
        model = PolicyValueNet(config, shape)
        model.load_state_dict(weights)
        evaluators[name] = NetworkEvaluator(
            model, device=str(device), precision=precision, channels_last=channels_last, compile=compile
        )
    best: dict[str, dict[str, float]] = {name: {} for name in evaluators}
    peaks: list[dict[str, float]] = []
    for _ in range(args.rounds):
        peaks.append(_peak_gflops(device, args.matmul_size, min(seconds, 0.5), timed))
        for b, planes in all_planes.items():
            for name, evaluator in evaluators.items():
                rate = b / timed(lambda e=evaluator, p=planes: e.evaluate(p), seconds, args.min_calls)
                best[name][str(b)] = max(best[name].get(str(b), 0.0), rate)
    peak = {k: max(p[k] for p in peaks) for k in peaks[0]}
    roofline = {
        name: {b: rate * flops / 1e9 / peak[name.split("+")[0]] for b, rate in rates.items()}
        for name, rates in best.items()
    }
    log("  peak (matmul " + str(args.matmul_size) + "): " + ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peak.items()))
    log(f"  {'batch':>6s} " + " ".join(f"{name:>22s}" for name in best))
    for b in all_planes:
        cells = [f"{best[n][str(b)]:9.0f}/s {roofline[n][str(b)]:6.1%} pk" for n in best]
        log(f"  {b:6d} " + " ".join(f"{c:>22s}" for c in cells))
    return {"variants": best, "peak_gflops": peak, "roofline": roofline}


def _bench_training(args, config, shape, device, cuda, sync, timed, log, clock) -> dict:
    import numpy as np

    from zero.learn.replay import ReplayBuffer, ReplayConfig
    from zero.learn.train import TrainConfig, Trainer, premade_batch
    from zero.nn.network import PolicyValueNet

    n, a, positions = shape.board_size, shape.num_actions, args.replay_positions
    rng = np.random.default_rng(1)
    replay = ReplayBuffer(
        ReplayConfig(window=positions, growth=False), in_channels=shape.in_channels, board_size=n, num_actions=a, seed=0
    )
    chunk = 4096
    for start in range(0, positions, chunk):
        m = min(chunk, positions - start)
        policy = rng.dirichlet(np.full(a, 0.3), size=m).astype(np.float32)
        replay.add(
            rng.random((m, shape.in_channels, n, n)) < 0.3,
            policy,
            rng.choice([-1.0, 1.0], m),
            rng.integers(-1, 2, (m, n, n)).astype(np.int8),
        )
    steps = args.train_steps if args.train_steps is not None else (50 if cuda else 2)
    amp = {"float32": "off"}.get(args.precision, args.precision)
    train_config = TrainConfig(
        batch_size=args.train_batch, device=str(device), compile=args.compile, amp=amp, log_every=10**9
    )
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
            t0 = clock()
            fn()
            sync()
            times.append(clock() - t0)
    samples = steps * args.train_batch
    premade_sps = samples / statistics.median(premade_times)
    replay_sps = samples / statistics.median(replay_times)
    sample_s = timed(lambda: replay.sample(args.train_batch), 0.2, 5)
    log(
        f"  training batch {args.train_batch}: {replay_sps:.1f} samples/s with replay sampling, {premade_sps:.1f} on a premade batch "
        f"(ratio {replay_sps / premade_sps:.3f}); one replay.sample = {sample_s * 1e3:.2f} ms"
    )
    return {
        "train_batch": args.train_batch,
        "train_steps_per_round": steps,
        "train_autocast": str(trainer.autocast_dtype or "off"),
        "train_samples_per_s": replay_sps,
        "train_samples_per_s_premade": premade_sps,
        "train_pipeline_ratio": replay_sps / premade_sps,
        "sample_ms": sample_s * 1e3,
    }
