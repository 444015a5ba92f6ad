"""`zero plot RUN_DIR`: a PNG of the run's Elo and losses against wall-clock minutes and self-play games (needs the 'plot' extra: matplotlib)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run directory (with metrics.jsonl)")
    parser.add_argument("--output", "-o", default="", help="PNG path (default RUN_DIR/progress.png)")


def run(args: argparse.Namespace) -> int:
    from selfplay.plot import PlotError, plot_run
    from zero.common.configlib import fail

    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError:
        fail("zero plot needs matplotlib: pip install 'zero[plot]' (or pip install matplotlib)")
    try:
        path = plot_run(args.run_dir, args.output or None)
    except (PlotError, OSError) as exc:
        fail(str(exc))
    print(path)
    return 0
