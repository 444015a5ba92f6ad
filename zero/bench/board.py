"""`zero bench board`: light random playouts per second on one core (games.go kernels), optionally beside Pachi's plain Monte-Carlo engine in the same run; imports numba only inside run().

With ``--pachi BINARY`` the run interleaves rounds of Pachi (``pachi -e montecarlo --nopatterns --nojoseki
--nodcnn -t =N playout=light``, one ``genmove`` on the empty board, timed at N and at 2N playouts: its rate is
N over the time difference, which cancels its start-up) with equal rounds of our playouts. Times are both wall
and CPU (a child's CPU time from getrusage; ours from process_time): on a shared machine the CPU figures are
the steadier ones. JSON keys added: ``pachi_playouts_per_s``, ``pachi_playouts_per_cpu_s``, ``ratio_wall``,
``ratio_cpu`` (ours over Pachi's; medians over the rounds), ``pachi_gamelen``. Pachi caps a playout at 400 moves
by default; ours play on to two passes (at most 3*N*N moves, 455 on average on 19x19), so on 19x19 Pachi's
playouts are the shorter ones unless ``--pachi-gamelen`` raises its cap.
"""

from __future__ import annotations

import argparse
import math
import platform
import resource
import statistics
import subprocess
import time

from zero.bench import report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size N (2..19), default 9")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="measuring time after warm-up (in all, over the rounds), default 5"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the playouts")
    parser.add_argument(
        "--pachi",
        metavar="BINARY",
        help="also time this Pachi binary's light playouts, interleaved, and report the ratio",
    )
    parser.add_argument(
        "--pachi-playouts",
        type=int,
        default=0,
        help="N of Pachi's N and 2N runs (default: 1.6 million board points' worth, 20000 on 9x9, 4432 on 19x19)",
    )
    parser.add_argument(
        "--pachi-gamelen",
        type=int,
        default=0,
        help="cap on the moves of Pachi's playouts (its montecarlo engine's gamelen option); default 0: Pachi's own "
        "cap, 400 moves (b69e3539), which cuts short almost every 19x19 light playout while ours run to the end "
        "(at most 3*N*N moves); 3*N*N gives both the same cap",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds with --pachi (medians reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _zero_playouts(N: int, seconds: float, seed: int) -> tuple[int, int, int, float, float]:
    """(playouts, moves, black wins, wall seconds, CPU seconds) of our light playouts for ``seconds``."""
    from games.go.playouts import bench_playouts

    chunk = max(1, 20000 // (N * N))  # ~0.1 s per kernel call on 9x9
    playouts = moves = black_wins = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while True:
        m, bw = bench_playouts(N, chunk, seed)
        seed += 1
        playouts += chunk
        moves += int(m)
        black_wins += int(bw)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    return playouts, moves, black_wins, elapsed, max(time.process_time() - cpu_start, 1e-9)


def _pachi_seconds(binary: str, N: int, playouts: int, gamelen: int = 0) -> tuple[float, float]:
    """(wall, CPU) seconds of one Pachi process that plays ``playouts`` light playouts for one move on the empty N x N board
    (each playout capped at ``gamelen`` moves when given, else at Pachi's default)."""
    commands = f"boardsize {N}\nclear_board\nkomi 7.5\ngenmove b\nquit\n"
    engine = "playout=light" + (f",gamelen={gamelen}" if gamelen else "")
    argv = [binary, "-e", "montecarlo", "--nopatterns", "--nojoseki", "--nodcnn", "-t", f"={playouts}", engine]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, input=commands, capture_output=True, text=True, timeout=600, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or "= " not in done.stdout:
        raise RuntimeError(
            f"{' '.join(argv)} failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:] or done.stdout!r}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(args: argparse.Namespace) -> int:
    from games.go.playouts import bench_playouts
    from games.go.rules import MAX_SIZE, MIN_SIZE
    from zero.common.configlib import fail

    N = args.size
    if not MIN_SIZE <= N <= MAX_SIZE:
        fail(f"--size must be in {MIN_SIZE}..{MAX_SIZE}, got {N}")
    if not args.seconds > 0 or not math.isfinite(args.seconds):  # NaN would measure forever
        fail(f"--seconds must be > 0, got {args.seconds}")
    if args.rounds < 1 or args.pachi_playouts < 0 or args.pachi_gamelen < 0:
        fail(
            "--rounds must be at least 1, --pachi-playouts and --pachi-gamelen at least 0, got "
            f"{args.rounds}, {args.pachi_playouts} and {args.pachi_gamelen}"
        )
    bench_playouts(N, 4, args.seed)  # compile or load the cached kernels
    rounds = args.rounds if args.pachi else 1
    pachi_n = args.pachi_playouts or max(100, round(1_620_000 / (N * N)))
    ours: list[tuple[int, int, int, float, float]] = []
    pachi_wall: list[float] = []
    pachi_cpu: list[float] = []
    seed = args.seed
    for _ in range(rounds):
        if args.pachi:
            try:
                w1, c1 = _pachi_seconds(args.pachi, N, pachi_n, args.pachi_gamelen)
                ours.append(_zero_playouts(N, args.seconds / (2 * rounds), seed))
                w2, c2 = _pachi_seconds(args.pachi, N, 2 * pachi_n, args.pachi_gamelen)
                ours.append(_zero_playouts(N, args.seconds / (2 * rounds), seed + 10_000))
            except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
                fail(f"--pachi {args.pachi}: {exc}")
            pachi_wall.append(pachi_n / max(w2 - w1, 1e-9))
            pachi_cpu.append(pachi_n / max(c2 - c1, 1e-9))
        else:
            ours.append(_zero_playouts(N, args.seconds, seed))
        seed += 20_000
    playouts = sum(o[0] for o in ours)
    moves = sum(o[1] for o in ours)
    elapsed = sum(o[3] for o in ours)
    cpu = sum(o[4] for o in ours)
    result = {
        "size": N,
        "playouts": playouts,
        "seconds": round(elapsed, 3),
        "playouts_per_s": round(playouts / elapsed, 1),
        "moves_per_s": round(moves / elapsed, 1),
        "moves_per_playout": round(moves / playouts, 2),
        "playouts_per_cpu_s": round(playouts / cpu, 1),  # less sensitive to other processes on a shared machine
        "black_win_rate_no_komi": round(sum(o[2] for o in ours) / playouts, 4),
        "threads": 1,
        "machine": platform.machine(),
    }
    if args.pachi:
        ours_wall = [(a[0] + b[0]) / (a[3] + b[3]) for a, b in zip(ours[::2], ours[1::2])]
        ours_cpu = [(a[0] + b[0]) / (a[4] + b[4]) for a, b in zip(ours[::2], ours[1::2])]
        result.update(
            {
                "pachi_playouts": pachi_n,
                "pachi_gamelen": args.pachi_gamelen or None,  # None: Pachi's default cap (400 moves)
                "pachi_playouts_per_s": round(statistics.median(pachi_wall), 1),
                "pachi_playouts_per_cpu_s": round(statistics.median(pachi_cpu), 1),
                "ratio_wall": round(statistics.median(z / p for z, p in zip(ours_wall, pachi_wall)), 3),
                "ratio_cpu": round(statistics.median(z / p for z, p in zip(ours_cpu, pachi_cpu)), 3),
            }
        )
    report(result, args.json)
    return 0
