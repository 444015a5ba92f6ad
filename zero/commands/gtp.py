"""`zero gtp`: run the GTP engine on stdin/stdout (network from --model, else random-rollout MCTS); no torch/numba import at module top."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from dataclasses import replace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="CKPT", help="network checkpoint (file or run directory); without it: random-rollout MCTS")
    parser.add_argument("--config", metavar="FILE", help="TOML with optional [gtp], [search] and [time] tables")
    parser.add_argument("--visits", type=int, help="search visits per move (overrides gtp.visits)")
    parser.add_argument("--time", type=float, metavar="SECONDS", help="seconds per move when the client sets no time control")
    parser.add_argument("--size", type=int, default=9, help="initial board size (a network fixes it)")
    parser.add_argument("--komi", type=float, default=7.5, help="initial komi")
    parser.add_argument("--superko", choices=("positional", "simple"), default="positional",
                        help="ko rule the engine plays and accepts (simple: as GNU Go)")
    parser.add_argument("--device", default="auto", help="network device: auto, cpu or cuda")
    parser.add_argument("--seed", type=int, help="random seed (overrides gtp.seed)")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every command's details to stderr")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="overrides such as gtp.resign_threshold=0.1 or search.c_init=1.5")


def _config_class():
    from zero.gtp.player import GtpConfig

    return GtpConfig


def load_config(args: argparse.Namespace):
    """The GtpConfig of --config plus overrides and flags; a problem exits with a one-line error."""
    from zero.common.configlib import ConfigError, apply_overrides, fail, from_mapping, load_toml

    try:
        data = load_toml(args.config) if args.config else {}
        data = apply_overrides(data, list(args.overrides or []))
        config = from_mapping(_config_class(), data)
    except ConfigError as exc:
        fail(str(exc))
    gtp = config.gtp
    if args.visits is not None:
        gtp = replace(gtp, visits=args.visits)
    if args.time is not None:
        gtp = replace(gtp, move_time=args.time)
    if args.seed is not None:
        gtp = replace(gtp, seed=args.seed)
    try:
        gtp.validate()
    except ValueError as exc:
        fail(f"gtp.{exc}")
    return replace(config, gtp=gtp)


def build_engine(args: argparse.Namespace):
    """A GoGtpEngine from parsed arguments (loads the network when --model is given)."""
    from zero.common.configlib import fail
    from zero.gtp.engine import GoGtpEngine

    config = load_config(args)
    network = None
    if args.model:
        from zero.nn.checkpoint import CheckpointError
        from zero.nn.inference import NetworkEvaluator

        try:
            network = NetworkEvaluator.from_checkpoint(args.model, device=args.device)
        except (CheckpointError, OSError, ValueError) as exc:
            fail(f"--model {args.model}: {exc}")
    if not 2 <= args.size <= 19:
        fail(f"--size must be in 2..19, got {args.size}")
    if not math.isfinite(args.komi) or abs(args.komi) > 1000:  # the range the GTP komi command accepts
        fail(f"--komi must be a number in -1000..1000, got {args.komi}")
    return GoGtpEngine(params=config.gtp, search_params=config.search, time_params=config.time, network=network,
                       size=args.size, komi=args.komi, superko=args.superko)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(name)s: %(message)s")
    engine = build_engine(args)
    return engine.serve(sys.stdin, sys.stdout)
