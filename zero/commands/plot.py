"""`zero plot RUN_DIR...`: a PNG of a run's (or a chain of runs') Elo and losses against active minutes, CPU-hours and self-play games (needs the 'plot' extra: matplotlib)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        nargs="+",
        help="a run directory (with metrics.jsonl); several, in training order, plot one chained training "
        "(each started with --init-from the one before): minutes, CPU-hours and games add up",
    )
    parser.add_argument("--output", "-o", default="", help="PNG path (default LAST_RUN_DIR/progress.png)")
    parser.add_argument(
        "--cpus",
        type=float,
        default=0.0,
        help="CPUs of a run whose metrics have no start record (runs from before it); default this machine's",
    )


def run(args: argparse.Namespace) -> int:
    from selfplay.plot import PlotError, plot_run
    from zero.common.configlib import fail

    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        fail("zero plot needs matplotlib: pip install 'zero[plot]' (or pip install matplotlib)")
    try:
        if args.cpus < 0:
            raise PlotError(f"--cpus must be positive, got {args.cpus:g}")
        path = plot_run(args.run_dir, args.output or None, args.cpus or None)
    except (PlotError, OSError) as exc:
        fail(str(exc))
    print(path)
    return 0
