"""`zero bench board`: light random playouts per second on one core (games.go kernels); imports numba only inside run()."""

from __future__ import annotations

import argparse
import math
import platform
import time

from zero.bench import report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size N (2..19), default 9")
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time after warm-up, default 5")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the playouts")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def run(args: argparse.Namespace) -> int:
    from games.go.playouts import bench_playouts
    from games.go.rules import MAX_SIZE, MIN_SIZE
    from zero.common.configlib import fail

    N = args.size
    if not MIN_SIZE <= N <= MAX_SIZE:
        fail(f"--size must be in {MIN_SIZE}..{MAX_SIZE}, got {N}")
    if not args.seconds > 0 or not math.isfinite(args.seconds):  # NaN would measure forever
        fail(f"--seconds must be > 0, got {args.seconds}")
    bench_playouts(N, 4, args.seed)  # compile or load the cached kernels
    chunk = max(1, 20000 // (N * N))  # ~0.1 s per kernel call on 9x9
    playouts = moves = black_wins = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    seed = args.seed
    while True:
        m, bw = bench_playouts(N, chunk, seed)
        seed += 1
        playouts += chunk
        moves += m
        black_wins += bw
        elapsed = time.perf_counter() - start
        if elapsed >= args.seconds:
            break
    cpu = max(time.process_time() - cpu_start, 1e-9)
    result = {
        "size": N,
        "playouts": playouts,
        "seconds": round(elapsed, 3),
        "playouts_per_s": round(playouts / elapsed, 1),
        "moves_per_s": round(moves / elapsed, 1),
        "moves_per_playout": round(moves / playouts, 2),
        "playouts_per_cpu_s": round(playouts / cpu, 1),  # less sensitive to other processes on a shared machine
        "black_win_rate_no_komi": round(black_wins / playouts, 4),
        "threads": 1,
        "machine": platform.machine(),
    }
    report(result, args.json)
    return 0
