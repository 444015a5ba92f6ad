"""`zero match`: play games between two GTP engine commands, refereed by our rules; table or --json (no torch import at module top)."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys

from zero.args import move_cap


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engine_a", metavar="ENGINE_A", help="GTP command of engine A, e.g. 'zero gtp --visits 200'")
    parser.add_argument(
        "engine_b", metavar="ENGINE_B", help="GTP command of engine B, e.g. 'gnugo --mode gtp --level 1'"
    )
    parser.add_argument(
        "--games",
        "-n",
        type=int,
        default=2,
        help="number of games (colours alternate, A is Black first, unless --a-color)",
    )
    parser.add_argument("--size", type=int, default=9, help="board size")
    parser.add_argument("--komi", type=float, default=7.5, help="komi")
    parser.add_argument("--parallel", "-p", type=int, default=1, help="games played at the same time")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="CPU threads of each engine (default: the cores split over the games played at once; "
        "an engine command that sets its own threads keeps them)",
    )
    parser.add_argument(
        "--max-moves",
        type=move_cap,
        default=-1,
        help="the referee's move cap, scored by area when reached (default: 4 x size^2 under --superko simple, "
        "whose cycles could go on for ever, none under positional superko; 0 = none)",
    )
    parser.add_argument("--sgf-dir", default="", help="directory for one SGF per game")
    parser.add_argument(
        "--engine-logs",
        default="",
        metavar="DIR",
        help="append each engine's stderr to DIR/A-slot0.log, DIR/B-slot0.log, ... (default: keep only its last lines, for errors)",
    )
    parser.add_argument("--name-a", default="", help="display name of A")
    parser.add_argument("--name-b", default="", help="display name of B")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds any single GTP command may take")
    parser.add_argument(
        "--a-color",
        choices=("alternate", "black", "white"),
        default="alternate",
        help="engine A's colour: alternating (Black first), or Black / White in every game",
    )
    parser.add_argument(
        "--superko",
        choices=("positional", "simple"),
        default="positional",
        help="the referee's ko rule (GNU Go plays simple ko: with positional superko it can lose by an illegal move)",
    )
    parser.add_argument(
        "--sprt",
        default="",
        metavar="ELO0,ELO1",
        help="stop once a sequential probability ratio test tells H0 (A is ELO0 Elo stronger than B) from H1 (ELO1 "
        "stronger), e.g. 0,35 as Leela Zero gated its networks; --games is then the most games played",
    )
    parser.add_argument(
        "--sprt-alpha", type=float, default=0.05, help="the SPRT's chance of accepting H1 when H0 holds"
    )
    parser.add_argument("--sprt-beta", type=float, default=0.05, help="the SPRT's chance of accepting H0 when H1 holds")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--verbose", "-v", action="store_true", help="log each finished game to stderr")


def run(args: argparse.Namespace) -> int:
    from zero.common.configlib import fail
    from zero.match.runner import format_report, match_report, run_match
    from zero.match.settings import MatchSettings

    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    if args.games < 1:
        fail(f"--games must be >= 1, got {args.games}")
    if not 2 <= args.size <= 19:
        fail(f"--size must be in 2..19, got {args.size}")
    if args.threads < 0:
        fail(f"--threads must be >= 1 (0 = a share of the cores), got {args.threads}")
    for cmd in (args.engine_a, args.engine_b):
        if not shlex.split(cmd):
            fail("engine commands must not be empty")
    sprt = _sprt(args) if args.sprt else None
    settings = MatchSettings(
        engine_a=args.engine_a,
        engine_b=args.engine_b,
        games=args.games,
        size=args.size,
        komi=args.komi,
        parallel=args.parallel,
        max_moves=args.max_moves,
        sgf_dir=args.sgf_dir,
        name_a=args.name_a or shlex.split(args.engine_a)[0],
        name_b=args.name_b or shlex.split(args.engine_b)[0],
        timeout=args.timeout,
        superko=args.superko,
        a_color=args.a_color,
        threads=args.threads,
        engine_log_dir=args.engine_logs,
        sprt=sprt,
    )

    def progress(rec) -> None:
        if args.verbose:
            print(f"game {rec.index}: {rec.result} ({rec.reason}, {rec.moves} moves)", file=sys.stderr, flush=True)

    try:
        records = run_match(settings, progress)
    except OSError as exc:
        fail(f"cannot start an engine: {exc}")
    report = match_report(records, settings)
    if not report["summary"]["games"] and all(r.result == "void" for r in records):
        fail("no game could be played: every game ended in an engine error (logged above)")
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report))
    return 0


def _sprt(args: argparse.Namespace):
    """The test --sprt asks for; a one-line error for a malformed one."""
    from zero.common.configlib import fail
    from zero.match.settings import Sprt

    try:
        elo0, elo1 = (float(part) for part in args.sprt.split(","))
    except ValueError:
        fail(f"--sprt must be two Elo differences ELO0,ELO1 (e.g. 0,35), got {args.sprt!r}")
    try:
        return Sprt(elo0, elo1, args.sprt_alpha, args.sprt_beta)
    except ValueError as exc:
        fail(str(exc))
