"""`zero selfplay`: generate self-play games only (latest checkpoint of the run, or a fresh network), into the run's replay/ and sgf/; no torch or ray at module top."""

from __future__ import annotations

import argparse

from zero.commands import train


def add_arguments(parser: argparse.ArgumentParser) -> None:
    train.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    return train.run(args, selfplay_only=True)
