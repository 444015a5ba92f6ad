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
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16", "float16"), default="auto",
                        help="network precision: auto = bf16 on CUDA and on CPUs with native bf16 (checked against float32), else float32")
    parser.add_argument("--seed", type=int, help="random seed (overrides gtp.seed)")
    parser.add_argument("--verbose", "-v", action="store_true", help="log every command's details to stderr")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="overrides such as gtp.resign_winrate=0.1 or search.c_init=1.5")


# Keys that mean something else (or nothing) to `zero gtp`: refused with the setting to use instead.
RETIRED_KEYS = (
    ("search", "simulations", "zero gtp searches gtp.visits per move (or --visits); set that instead"),
    ("gtp", "resign_threshold", "renamed gtp.resign_winrate (a win rate in [0, 1); selfplay.resign_threshold is a value in [-1, 1])"),
)


def _config_class():
    from zero.gtp.player import GtpConfig

    return GtpConfig


def load_gtp_config(args: argparse.Namespace):
    """The GtpConfig of --config plus overrides and flags; a problem exits with a one-line error."""
    from zero.common.configlib import ConfigError, apply_overrides, fail, from_mapping, load_toml

    try:
        data = load_toml(args.config) if args.config else {}
        data = apply_overrides(data, list(args.overrides or []))
        for section, key, message in RETIRED_KEYS:
            if isinstance(data.get(section), dict) and key in data[section]:
                fail(f"{section}.{key}: {message}")
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

    config = load_gtp_config(args)
    network = None
    if args.model:
        from zero.nn.checkpoint import CheckpointError
        from zero.nn.inference import NetworkEvaluator

        try:
            network = NetworkEvaluator.from_checkpoint(args.model, device=args.device, precision=args.precision)
        except (CheckpointError, OSError, ValueError) as exc:
            fail(f"--model {args.model}: {exc}")
        print(f"zero gtp: network on {network.describe()}", file=sys.stderr, flush=True)
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
