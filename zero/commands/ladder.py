"""`zero ladder`: a model against uniform random, random-rollout MCTS and GNU Go levels, one anchored rating; table or --json (no torch import at module top)."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from zero.args import move_cap


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from zero.match.ladder import DEFAULT_OPPONENTS

    parser.add_argument(
        "--model",
        required=True,
        metavar="CKPT",
        help="a shipped network (go9), a checkpoint file, checkpoints/ directory or run directory",
    )
    parser.add_argument(
        "--visits", type=int, default=200, help="search visits per move of the model (and of the mcts rung)"
    )
    parser.add_argument("--games", "-n", type=int, default=20, help="games per rung (colours alternate)")
    parser.add_argument(
        "--opponents", default=DEFAULT_OPPONENTS, help=f"comma-separated rungs (default {DEFAULT_OPPONENTS})"
    )
    parser.add_argument(
        "--size",
        type=int,
        default=0,
        help="board size (default: the network's); another size plays the network on a board it was not trained on, "
        "as zero gtp does (gtp.cross_size)",
    )
    parser.add_argument("--komi", type=float, default=7.5, help="komi")
    parser.add_argument("--parallel", "-p", type=int, default=1, help="games played at the same time")
    parser.add_argument(
        "--random-moves",
        type=int,
        default=8,
        help="opening moves our engines draw in proportion to visits, so games differ",
    )
    parser.add_argument(
        "--max-moves",
        type=move_cap,
        default=-1,
        help="the referee's move cap, scored by area when reached (default 4 x size^2: the ladder plays simple ko, "
        "which allows cycles; 0 = none)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting of the model's engine as `zero gtp` takes it (repeat; e.g. gtp.lcb_visit_fraction=0, "
        "search.c_init=1.5): an A/B of play settings is one flag apart",
    )
    parser.add_argument("--sgf-dir", default="", help="directory for the games' SGF, one folder per rung")
    parser.add_argument("--device", default="cpu", help="network device of the model: auto, cpu or cuda")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--verbose", "-v", action="store_true", help="log each finished game to stderr")
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar and no line per finished rung on stderr (the table or JSON still goes to stdout)",
    )


def run(args: argparse.Namespace) -> int:
    from zero.common.configlib import fail
    from zero.match.ladder import (
        LadderError,
        LadderSettings,
        find_gnugo,
        format_ladder,
        format_rung_line,
        parse_rungs,
        run_ladder,
        zero_gtp_command,
    )
    from zero.nn.checkpoint import CheckpointError, load_checkpoint
    from zero.nn.shipped import ModelSpecError, resolve_model

    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    if args.games < 1:
        fail(f"--games must be >= 1, got {args.games}")
    if args.visits < 1:
        fail(f"--visits must be >= 1, got {args.visits}")
    if args.random_moves < 0:
        fail(f"--random-moves must be >= 0, got {args.random_moves}")
    if args.size and not 2 <= args.size <= 19:
        fail(f"--size must be in 2..19, got {args.size}")
    if args.set:  # a bad setting is named here, not as an engine that fails to start mid-ladder
        from zero.commands.gtp import gtp_config

        gtp_config(None, args.set)
    try:
        rungs = parse_rungs(args.opponents, visits=args.visits, gnugo=find_gnugo(), random_moves=args.random_moves)
    except LadderError as exc:
        fail(str(exc))
    try:
        path = resolve_model(args.model)
        if path is None:
            raise ModelSpecError("none: the ladder rates a network; the mcts rung is random-rollout MCTS")
        size = args.size or load_checkpoint(path).shape.board_size  # the network's board unless another is asked
    except ModelSpecError as exc:
        fail(f"--model {exc}")
    except (CheckpointError, OSError) as exc:
        fail(f"--model {args.model}: {exc}")
    engine = zero_gtp_command(
        "--model",
        args.model,
        "--visits",
        str(args.visits),
        "--device",
        args.device,
        f"gtp.random_moves={args.random_moves}",
        "gtp.ponder=false",  # a rung is N visits a move on equal CPU: no search in the opponent's time
        *args.set,
    )
    settings = LadderSettings(
        engine=engine,
        rungs=tuple(rungs),
        games=args.games,
        size=size,
        komi=args.komi,
        parallel=args.parallel,
        sgf_dir=args.sgf_dir,
        max_moves=args.max_moves,
    )

    bars = LadderProgress(settings.games, enabled=not args.no_progress)

    def progress(rung, rec) -> None:
        bars.game_done(rung, rec)
        if args.verbose:
            print(
                f"{rung.name} game {rec.index}: {rec.result} ({rec.reason}, {rec.moves} moves)",
                file=sys.stderr,
                flush=True,
            )

    def rung_done(row) -> None:
        bars.close()
        if not args.no_progress:
            print(format_rung_line(row), file=sys.stderr, flush=True)

    try:
        result = run_ladder(settings, progress, rung_done)
    except OSError as exc:
        fail(f"cannot start an engine: {exc}")
    finally:
        bars.close()
    print(json.dumps(result) if args.json else format_ladder(result))
    return 0


class LadderProgress:
    """A tqdm bar per rung on stderr (games played, wins so far); games end on the match's threads, hence the lock."""

    def __init__(self, games_per_rung: int, *, enabled: bool) -> None:
        import threading

        self.games_per_rung = games_per_rung
        self.enabled = enabled
        self.lock = threading.Lock()
        self.bar = None
        self.wins = 0

    def game_done(self, rung, rec) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        with self.lock:
            if self.bar is None:
                self.bar = tqdm(total=self.games_per_rung, desc=rung.name, unit="game", file=sys.stderr, leave=False)
                self.wins = 0
            self.wins += rec.winner == "A"  # the model is engine A in every ladder match
            self.bar.update(1)
            self.bar.set_postfix(wins=self.wins, refresh=False)

    def close(self) -> None:
        with self.lock:
            if self.bar is not None:
                self.bar.close()
                self.bar = None
