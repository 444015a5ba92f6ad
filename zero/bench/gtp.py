"""`zero bench gtp`: move time of the GTP engine (ms per genmove, visits/s) on an opening and a middle-game position, the network's raw throughput at the batch sizes the search used (same run, interleaved), start-up time, and the reply time of a launched `zero gtp` through a whole game; imports torch and numba only inside run().

efficiency = visits_per_s (genmove through the GTP engine: search, choice, time checks) /
raw_evals_per_s (the same network called back to back on batches of exactly the sizes that
genmove's search produced, in the same order, right after it): the play-side twin of
`zero bench selfplay`'s efficiency. Several ``--leaves`` values are measured in one run, the
settings interleaved move by move, so their ratios hold on a shared machine.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import subprocess
import sys
import time

from zero.bench import report

MIDDLE_GAME_MOVES = 30  # the middle-game position: this many moves of the network's own policy from the empty board


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="CKPT",
        help="a shipped network (go9), checkpoint or run directory (default: an untrained network of --blocks/--channels)",
    )
    parser.add_argument(
        "--blocks", type=int, help="residual blocks of the untrained network (default: NetworkConfig's)"
    )
    parser.add_argument("--channels", type=int, help="channels of the untrained network (default: NetworkConfig's)")
    parser.add_argument(
        "--size", type=int, default=9, help="board size of the untrained network (a checkpoint fixes it)"
    )
    parser.add_argument("--visits", default="200,800", help="comma-separated visits per genmove, default 200,800")
    parser.add_argument(
        "--leaves",
        default="8",
        help="comma-separated search.leaves_per_step values to compare (1 = one leaf per network call), default 8",
    )
    parser.add_argument(
        "--moves", type=int, default=3, help="genmoves timed per position and setting (after one warm-up), default 3"
    )
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: the cores this process may use)")
    parser.add_argument("--device", default="auto", help="network device: auto, cpu or cuda")
    parser.add_argument(
        "--precision",
        choices=("auto", "float32", "bfloat16", "float16"),
        default="auto",
        help="network precision, in-process and for the launched `zero gtp` (auto: as zero gtp chooses)",
    )
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=3,
        help="`zero gtp` launches timed for start-up (after one untimed), 0 = skip",
    )
    parser.add_argument(
        "--game-moves",
        type=int,
        default=0,
        help="play one game of at most this many moves: a launched `zero gtp` at its defaults (--model if given, "
        "else the shipped network; --threads) as Black against the ladder's random player; time its genmove "
        "replies (game_* keys); 0 = skip",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _int_list(text: str, flag: str) -> list[int]:
    from zero.common.configlib import fail

    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{flag} must be comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        fail(f"{flag} must be positive integers, got {text!r}")
    return values


class _RecordingEvaluator:
    """The network, remembering the batch size of every call (the raw timing replays the same sizes)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.sizes: list[int] = []

    def __getattr__(self, name: str):
        # everything else the engine reads (shape, the input planes it needs, set_random_symmetry) is the network's
        return getattr(self.inner, name)

    def evaluate(self, planes, legal=None):
        self.sizes.append(int(planes.shape[0]))
        return self.inner.evaluate(planes, legal)

    def evaluate_with_margin(self, planes, legal=None, score_centre=None):  # the search's call where it has margins
        self.sizes.append(int(planes.shape[0]))
        return self.inner.evaluate_with_margin(planes, legal, score_centre)

    def evaluate_heads(self, planes, legal=None):  # the search's call where it keeps ownership (a head for it)
        self.sizes.append(int(planes.shape[0]))
        return self.inner.evaluate_heads(planes, legal)


def _network(args: argparse.Namespace):
    import torch

    from zero.common.configlib import fail
    from zero.nn.inference import NetworkEvaluator
    from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

    if args.model:
        from zero.nn.checkpoint import CheckpointError
        from zero.nn.shipped import resolve_model

        try:
            path = resolve_model(args.model)
            if path is None:
                raise ValueError("none: this benchmark times a network (--blocks/--channels for an untrained one)")
            return NetworkEvaluator.from_checkpoint(str(path), device=args.device, precision=args.precision), args.model
        except (CheckpointError, OSError, ValueError) as exc:
            fail(f"--model {exc}" if str(exc).startswith(args.model) else f"--model {args.model}: {exc}")
    overrides = {k: v for k, v in (("blocks", args.blocks), ("channels", args.channels)) if v is not None}
    if args.channels is not None:  # keep the pooled branch a third of the tower, as in the default
        overrides["global_pooling_channels"] = min(NetworkConfig().global_pooling_channels, max(1, args.channels // 3))
    try:
        config = NetworkConfig(**overrides)
        config.validate()
        evaluator = NetworkEvaluator(
            PolicyValueNet(config, GameShape(17, args.size, args.size * args.size + 1)),
            device=args.device,
            precision=args.precision,
        )
    except ValueError as exc:
        fail(str(exc))
    torch.manual_seed(0)
    return evaluator, f"untrained {config.blocks}x{config.channels}"


def _middle_game_moves(network, size: int) -> list[int]:
    """MIDDLE_GAME_MOVES moves of the network's most likely legal move that does not fill an own eye."""
    import numpy as np

    from games.go import GoGame, GoRules

    game = GoGame(GoRules(size=size, komi=7.5))
    for _ in range(MIDDLE_GAME_MOVES):
        priors, _ = network.evaluate(game.planes(network.komi_input, network.liberty_input, network.ladder_input)[None])
        allowed = game.legal_mask() & ~game.own_eye_mask()
        allowed[size * size] = False
        if not allowed.any():
            break
        game.play(int(np.argmax(np.where(allowed, priors[0], -1.0))))
    return [a for _, a in game.moves]


def _startup(args: argparse.Namespace, threads: int) -> dict[str, float]:
    """Median seconds from launching `zero gtp` to its reply to `name` (first command) and to `clear_board` (engine built)."""
    command = [sys.executable, "-m", "zero.cli", "gtp", "--threads", str(threads), "--device", args.device]
    command += ["--precision", args.precision]
    if args.model:
        command += ["--model", args.model]
    first, ready = [], []
    for run in range(args.startup_runs + 1):
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1
        )
        assert proc.stdin is not None and proc.stdout is not None
        times = []
        for line in ("name", "clear_board"):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            reply = proc.stdout.readline()
            proc.stdout.readline()  # the empty line that ends the reply
            if not reply.startswith("="):
                raise RuntimeError(f"zero gtp answered {line!r} with {reply!r}")
            times.append(time.perf_counter() - start)
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait(timeout=60)
        if run:  # the first launch only warms the disk and Numba caches
            first.append(times[0])
            ready.append(times[1])
    return {
        "startup_first_reply_s": round(statistics.median(first), 3),
        "startup_ready_s": round(statistics.median(ready), 3),
    }


def _quantiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_s": round(statistics.median(ordered), 3),
        "p90_s": round(ordered[math.ceil(0.9 * len(ordered)) - 1], 3),  # nearest rank: never below the median
        "max_s": round(ordered[-1], 3),
    }


def _game(args: argparse.Namespace, threads: int, size: int) -> dict[str, object]:
    """One game of a launched `zero gtp` at its default settings (Black) against the ladder's random player
    (White): the seconds from each ``genmove b`` to its reply, after ``boardsize``/``clear_board`` (engine built)."""
    from zero.match.client import GtpClient

    ours = [sys.executable, "-m", "zero.cli", "gtp", "--threads", str(threads), "--device", args.device]
    ours += ["--precision", args.precision]
    if args.model:
        ours += ["--model", args.model]
    theirs = [sys.executable, "-m", "zero.cli", "gtp", "--model", "none", "--visits", "1", "--threads", "1"]
    theirs += ["gtp.random_play=true", "gtp.resign_winrate=0", "--seed", "1"]
    black, white = GtpClient(ours, name="zero gtp"), GtpClient(theirs, name="random")
    seconds: list[float] = []
    try:
        for client in (black, white):
            client.ask(f"boardsize {size}")
            client.ask("clear_board")
        model = black.ask("zero-model")
        moves, passes, ended = 0, 0, "move cap"
        while moves < args.game_moves:
            start = time.perf_counter()
            move = black.ask("genmove b").strip().lower()
            seconds.append(time.perf_counter() - start)
            moves += 1
            if move == "resign":
                ended = "resignation"
                break
            passes = passes + 1 if move == "pass" else 0
            white.ask(f"play b {move}")
            if passes >= 2 or moves >= args.game_moves:
                ended = "two passes" if passes >= 2 else ended
                break
            reply = white.ask("genmove w").strip().lower()
            moves += 1
            passes = passes + 1 if reply == "pass" else 0
            black.ask(f"play w {reply}")
            if passes >= 2:
                ended = "two passes"
                break
    finally:
        black.close()
        white.close()
    return {
        "game_model": model,
        "game_moves": moves,
        "game_ended_by": ended,
        "game_genmoves": len(seconds),
        **{f"game_genmove_{k}": v for k, v in _quantiles(seconds).items()},
        "game_genmoves_over_1s": sum(s > 1.0 for s in seconds),
    }


def run(args: argparse.Namespace) -> int:
    from zero.common.configlib import fail
    from zero.common.cpu_threads import available_cores, passive_openmp_waits, set_threads

    visits_list = _int_list(args.visits, "--visits")
    leaves_list = _int_list(args.leaves, "--leaves")
    if args.moves < 1:
        fail(f"--moves must be >= 1, got {args.moves}")
    if args.threads < 0 or args.startup_runs < 0 or args.game_moves < 0:
        fail("--threads, --startup-runs and --game-moves must be >= 0")
    passive_openmp_waits()  # as `zero gtp` runs: before torch loads
    threads = set_threads(args.threads or available_cores(), torch_too=True)

    import numpy as np

    from mcts import SearchParams
    from zero.gtp.engine import GoGtpEngine
    from zero.gtp.player import EngineParams
    from zero.nn.inference import device_description

    network, network_name = _network(args)
    size = network.shape.board_size
    recorder = _RecordingEvaluator(network)
    positions = {"opening": [], "middle": _middle_game_moves(network, size)}
    max_leaves = max(leaves_list)
    plane_shape = (network.shape.in_channels, size, size)
    planes = (np.random.default_rng(0).random((max_leaves, *plane_shape)) < 0.3).astype(np.float32)
    for n in sorted({1, max_leaves}):
        network.evaluate(planes[:n])

    engines = {}
    for visits in visits_list:
        for leaves in leaves_list:
            engine = GoGtpEngine(
                params=EngineParams(visits=visits, resign_winrate=0.0, seed=1),
                search_params=SearchParams(simulations=visits, leaves_per_step=leaves),
                network=recorder,
                size=size,
            )
            engines[visits, leaves] = engine
    stats = {
        (p, v, lv): {"seconds": [], "visits": 0, "evals": 0, "calls": 0, "raw_seconds": 0.0}
        for p in positions
        for v in visits_list
        for lv in leaves_list
    }
    for position, moves in positions.items():
        for engine in engines.values():
            engine.handle_line("clear_board")
            for a in moves:
                engine.handle_line(f"play {'b' if len(engine.game.moves) % 2 == 0 else 'w'} {_vertex(a, size)}")
        color = "b" if len(moves) % 2 == 0 else "w"
        for repeat in range(args.moves + 1):  # settings interleaved move by move; repeat 0 warms up
            for (visits, leaves), engine in engines.items():
                recorder.sizes.clear()
                t0 = time.perf_counter()
                reply = engine.handle_line(f"genmove {color}")
                seconds = time.perf_counter() - t0
                if not reply or not reply.startswith("="):
                    raise RuntimeError(f"genmove failed: {reply!r}")
                searched = int(engine.player._search.result().simulations[0])  # the search genmove just ran
                engine.handle_line("undo")
                sizes = list(recorder.sizes)
                t1 = time.perf_counter()
                for n in sizes:
                    network.evaluate(planes[:n])
                raw_seconds = time.perf_counter() - t1
                if repeat:
                    s = stats[position, visits, leaves]
                    s["seconds"].append(seconds)
                    s["visits"] += searched
                    s["evals"] += sum(sizes)
                    s["calls"] += len(sizes)
                    s["raw_seconds"] += raw_seconds

    rows = []
    for (position, visits, leaves), s in stats.items():
        total = sum(s["seconds"])
        visits_per_s = s["visits"] / total
        raw_evals_per_s = s["evals"] / s["raw_seconds"] if s["raw_seconds"] > 0 else float("nan")
        rows.append(
            {
                "position": position,
                "visits": visits,
                "leaves_per_step": leaves,
                "ms_per_genmove": round(1000 * statistics.median(s["seconds"]), 1),
                "visits_per_s": round(visits_per_s, 1),
                "mean_eval_batch": round(s["evals"] / max(s["calls"], 1), 2),
                "raw_evals_per_s": round(raw_evals_per_s, 1),
                "efficiency": round(visits_per_s / raw_evals_per_s, 3),
            }
        )
    result = {
        "network": network_name,
        "size": size,
        "device": device_description(network.device),
        "precision": str(network.autocast_dtype or "torch.float32").removeprefix("torch."),
        "threads": threads.describe(),
        "moves_timed": args.moves,
        "middle_game_moves": MIDDLE_GAME_MOVES,
        "machine": platform.processor() or platform.machine(),
    }
    if args.startup_runs:
        result.update(_startup(args, threads.torch_threads))
    if args.game_moves:
        result.update(_game(args, threads.torch_threads, size))
    if args.json:
        result["results"] = rows
        report(result, True)
        return 0
    report(result, False)
    keys = list(rows[0])
    print(" ".join(f"{k:>15s}" for k in keys))
    for row in rows:
        print(" ".join(f"{row[k]:>15}" for k in keys))
    return 0


def _vertex(a: int, size: int) -> str:
    from games.go import to_gtp

    return to_gtp(a, size)
