"""Command-line pieces shared by `zero` commands and benchmarks: --config FILE plus key=value overrides -> the RunConfig; no torch or ray at module top."""

from __future__ import annotations

import argparse


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """The --config FILE and key=value override arguments shared by train, selfplay, config and bench selfplay."""
    parser.add_argument(
        "--config", metavar="FILE", help="TOML run config (e.g. configs/go9_cpu.toml); defaults when omitted"
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="KEY=VALUE", help="overrides such as search.simulations=64 or run.num_workers=4"
    )


def move_cap(text: str) -> int:
    """argparse type of --max-moves (zero match, zero ladder): 0 = no cap, -1 = the command's default."""
    try:
        cap = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
    if cap < -1:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0 = no cap; -1 = the default), got {cap}")
    return cap


def load_from_args(args: argparse.Namespace):
    """The RunConfig for ``args``; a config problem prints one line naming the field and exits with status 2."""
    from zero.common.configlib import ConfigError, fail

    try:
        from selfplay.config import load_config

        return load_config(args.config, args.overrides)
    except ConfigError as exc:
        fail(str(exc))
