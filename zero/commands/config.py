"""`zero config`: print the effective run config (file + overrides) as commented TOML; imports no torch or ray at module top."""

from __future__ import annotations

import argparse

from zero.args import add_config_arguments, load_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from selfplay.config import config_to_toml

    config = load_from_args(args)
    print(config_to_toml(config, args.config), end="")
    return 0
