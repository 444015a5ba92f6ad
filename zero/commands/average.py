"""`zero average OUT CHECKPOINT...`: one checkpoint whose weights are the mean of several of one network's (stochastic weight averaging); no torch at module top."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "out",
        metavar="OUT",
        help="a new checkpoint directory for the averaged weights (refused where it already holds a checkpoint)",
    )
    parser.add_argument(
        "checkpoints",
        metavar="CHECKPOINT",
        nargs="+",
        help="two or more checkpoints of one architecture: weights files, checkpoint or run directories, shipped "
        "names (go13), snapshots (runs/R/snapshots/40min); the last one's step, version, config and origin are kept; "
        "where only some have the opponent policy head (training only), the mean has none",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from zero.common.configlib import fail
    from zero.nn.checkpoint import (
        LATEST,
        CheckpointError,
        average_weights,
        list_checkpoints,
        save_checkpoint,
    )
    from zero.nn.shipped import ModelSpecError, file_sha256, load_model

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or (out / LATEST).exists() or list_checkpoints(out)):
        fail(f"{out}: already holds a checkpoint (or is a file); give a new directory")
    try:
        checkpoints = [load_model(spec) for spec in args.checkpoints]
        dropped_head = len({c.network_config.opponent_policy_head for c in checkpoints}) > 1
        if dropped_head:  # a continuation with the training-only head averages with its parent, which has none
            checkpoints = [c.without_opponent_policy_head() for c in checkpoints]
        averaged = average_weights(checkpoints)
    except (CheckpointError, ModelSpecError, OSError) as exc:
        fail(str(exc))
    last = checkpoints[-1]
    model = last.build_model()
    model.load_state_dict(averaged)
    sources = [
        {
            "name": spec,
            "path": str(c.path),
            "step": c.step,
            "model_version": c.model_version,
            "sha256": file_sha256(c.path),
        }
        for spec, c in zip(args.checkpoints, checkpoints, strict=True)
    ]
    try:
        weights = save_checkpoint(
            out,
            model,
            step=last.step,
            model_version=last.model_version,
            run_config=last.run_config,
            keep_last=1,
            origin=last.origin,
            averaged_from=sources,
        )
    except (CheckpointError, OSError) as exc:
        fail(str(exc))
    steps = ", ".join(f"{s['name']} (step {s['step']:,})" for s in sources)
    print(f"{weights}: the mean of {len(sources)} checkpoints' weights: {steps}")
    if dropped_head:
        print("(without the opponent policy head: not every checkpoint has one, and play never reads it)")
    return 0
