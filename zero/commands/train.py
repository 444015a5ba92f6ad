"""`zero train`: a self-play training run (Ray in-process, or --address for a cluster), resumed when the run directory exists, or started from another network (--init-from, and another run's replay: --replay-from); no torch or ray at module top."""

from __future__ import annotations

import argparse
import json

from zero.args import add_config_arguments, load_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)
    parser.add_argument(
        "--run-dir", metavar="DIR", help="run directory (default runs/<run.name>); an existing one is resumed"
    )
    parser.add_argument(
        "--address",
        metavar="ADDR",
        help="join an existing Ray cluster (e.g. auto or HEAD_IP:6379) instead of starting one",
    )
    parser.add_argument(
        "--init-from",
        metavar="MODEL",
        help="start a new run from this network's weights (a shipped name such as go9, a checkpoint or a run "
        "directory): fresh optimizer, step 0, a run directory that holds no run yet; the config's network must match",
    )
    parser.add_argument(
        "--replay-from",
        metavar="RUN_DIR",
        help="with --init-from: start the new run's replay window with the newest positions of this run's (e.g. the "
        "run --init-from continues), so its first versions do not train on its first few games alone",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary at the end")


def run(args: argparse.Namespace, *, selfplay_only: bool = False) -> int:
    config = load_from_args(args)  # any config error stops here, before anything starts
    run_dir = args.run_dir or f"runs/{config.run.name}"
    from selfplay.orchestrator import WorkerFailure
    from selfplay.orchestrator import run as run_training
    from selfplay.rundir import RunDirError
    from zero.common.configlib import fail
    from zero.learn.train import TrainingDiverged
    from zero.nn.checkpoint import CheckpointError

    try:
        summary = run_training(
            config,
            run_dir,
            address=args.address,
            selfplay_only=selfplay_only,
            source=args.config,
            init_from=args.init_from,
            replay_from=args.replay_from,
        )
    except (CheckpointError, WorkerFailure, RunDirError, TrainingDiverged) as exc:
        fail(str(exc))
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        what = "games" if selfplay_only else "train steps"
        done = summary["games"] if selfplay_only else summary["step"]
        print(
            f"zero: run {summary['run_dir']}: {done} {what}, model version {summary['version']}, {summary['games']} games"
        )
    return 0
