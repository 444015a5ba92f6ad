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


def load_from_args(args: argparse.Namespace):
    """The RunConfig for ``args``; a config problem prints one line naming the field and exits with status 2."""
    from zero.common.configlib import ConfigError, fail

    try:
        from selfplay.config import load_config

        return load_config(args.config, args.overrides)
    except ConfigError as exc:
        fail(str(exc))
