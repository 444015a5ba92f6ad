"""`zero analysis`: KataGo's JSON analysis engine on stdin/stdout (network from --model, else random-rollout MCTS); no torch/numba import at module top."""

from __future__ import annotations

import argparse
import logging
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="CKPT",
        help="network: a shipped name (go9, go13), a checkpoint file, checkpoint or run directory; without it: random rollouts",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML with optional [analysis] and [search] tables")
    parser.add_argument("--device", default="auto", help="network device: auto, cpu or cuda")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr")
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="overrides such as analysis.max_visits=200 or analysis.batch_size=32",
    )


def load_config(args: argparse.Namespace):
    """The AnalysisConfig of --config plus overrides; a problem exits with a one-line error naming the field."""
    from zero.analysis.engine import AnalysisConfig
    from zero.common.configlib import (
        ConfigError,
        apply_overrides,
        fail,
        from_mapping,
        load_toml,
    )

    try:
        data = load_toml(args.config) if args.config else {}
        data = apply_overrides(data, list(args.overrides or []))
        return from_mapping(AnalysisConfig, data)
    except ConfigError as exc:
        fail(str(exc))


def build_engine(args: argparse.Namespace):
    """An AnalysisEngine from parsed arguments (loads the network when --model is given)."""
    from zero.analysis.engine import AnalysisEngine
    from zero.common.configlib import fail

    config = load_config(args)
    network = resize = None
    if args.model:
        from zero.nn.checkpoint import CheckpointError
        from zero.nn.inference import NetworkEvaluator
        from zero.nn.shipped import ModelSpecError, load_model

        try:
            checkpoint = load_model(args.model)
            network = NetworkEvaluator.from_loaded(checkpoint, device=args.device)
        except (CheckpointError, ModelSpecError, OSError, ValueError) as exc:
            fail(f"--model {args.model}: {exc}")

        def resize(size: int):
            return NetworkEvaluator.from_loaded(checkpoint.for_board_size(size), device=args.device)

    return AnalysisEngine(config, network, resize)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    return build_engine(args).serve(sys.stdin, sys.stdout)
