"""`zero loss REPLAY MODEL...`: each network's training losses on a replay window's newest positions (held out when no network trained on that run: a comparison in seconds where a match takes many minutes); no torch at module top."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "replay",
        metavar="REPLAY",
        help="a run directory (its replay/) or a folder of replay shards; read only, nothing in it is changed",
    )
    parser.add_argument(
        "models",
        metavar="MODEL",
        nargs="+",
        help="networks to score: weights files, checkpoint or run directories, shipped names (go13), snapshots",
    )
    parser.add_argument(
        "--positions",
        type=int,
        default=10_240,
        help="score the newest N positions of the replay (default 10240; fewer if it holds fewer)",
    )
    parser.add_argument("--batch-size", type=int, default=256, help="positions per network call (default 256)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def run(args: argparse.Namespace) -> int:
    import json
    import warnings
    from pathlib import Path

    import numpy as np

    from zero.common.configlib import fail
    from zero.learn.replay import ReplayBuffer, ReplayConfig, shard_files
    from zero.nn.checkpoint import CheckpointError
    from zero.nn.inference import resolve_device
    from zero.nn.shipped import ModelSpecError, load_model

    if args.positions < 1 or args.batch_size < 1:
        fail("--positions and --batch-size must be at least 1")
    root = Path(args.replay)
    directory = root / "replay" if (root / "replay").is_dir() else root
    shards = shard_files(directory)
    if not shards:
        fail(f"{args.replay}: no replay shards (shard-*.npz) there or in its replay/")
    try:
        with np.load(shards[-1][1], allow_pickle=False) as newest:
            in_channels, board_size, num_actions = (int(x) for x in newest["shape"])
    except Exception as exc:  # a corrupt newest shard: say which, change nothing
        fail(f"{shards[-1][1]}: not a readable replay shard ({type(exc).__name__}: {exc})")
    # the window holds at most the positions there are: a huge --positions allocates no more than that
    window_size = min(args.positions, max(sum(_shard_length(path) for _, path in shards), 1))
    try:
        device = resolve_device(args.device)
    except (ValueError, RuntimeError) as exc:
        fail(str(exc))

    windows: dict[int, ReplayBuffer] = {}  # by the count of constant planes (a komi plane), which decides decoding
    results = []
    for spec in args.models:
        try:
            checkpoint = load_model(spec)
        except (CheckpointError, ModelSpecError, OSError) as exc:
            fail(str(exc))
        if checkpoint.shape.board_size != board_size:
            checkpoint = checkpoint.for_board_size(board_size)  # the weights read any board size
        if (checkpoint.shape.in_channels, checkpoint.shape.num_actions) != (in_channels, num_actions):
            fail(
                f"{spec}: the network reads {checkpoint.shape.in_channels} planes and {checkpoint.shape.num_actions} "
                f"actions, the replay holds {in_channels} and {num_actions}"
            )
        constant = int(checkpoint.network_config.komi_input)
        if constant not in windows:
            with warnings.catch_warnings(record=True):  # unreadable shards are listed in corrupt_shards
                windows[constant] = ReplayBuffer(
                    ReplayConfig(window=window_size, growth=False, shard_size=1 << 40),
                    in_channels=in_channels,
                    board_size=board_size,
                    num_actions=num_actions,
                    directory=directory,
                    constant_planes=constant,
                )
        window = windows[constant]
        model = checkpoint.build_model().to(device).eval()
        results.append({"model": spec, **_losses(model, window, args.batch_size, device)})
        if window.corrupt_shards:
            results[-1]["skipped_shards"] = len(window.corrupt_shards)

    if args.json:
        print(json.dumps({"replay": str(directory), "board_size": board_size, "results": results}))
        return 0
    print(f"{directory}: the newest {results[0]['positions']:,} positions ({board_size}x{board_size}), as stored")
    columns = [
        ("policy_loss", "policy CE"),
        ("policy_top1", "top-1"),
        ("value_loss", "value MSE"),
        ("ownership_loss", "ownership"),
        ("score_loss", "score"),
    ]
    shown = [(key, title) for key, title in columns if any(key in r for r in results)]
    width = max(len(r["model"]) for r in results)
    print(f"{'model':<{width}}  " + "  ".join(f"{title:>10}" for _, title in shown))
    for r in results:
        cells = "  ".join(f"{r[key]:>10.4f}" if key in r else f"{'-':>10}" for key, _ in shown)
        print(f"{r['model']:<{width}}  {cells}")
    skipped = max((r.get("skipped_shards", 0) for r in results), default=0)
    if skipped:
        print(f"({skipped} unreadable shard(s) skipped)")
    return 0


def _shard_length(path) -> int:
    """The positions a shard holds (0 if it cannot be read: the replay skips it too)."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            return len(data["value"])
    except Exception:  # any unreadable shard: zipfile.BadZipFile, EOFError, KeyError, OSError...
        return 0


def _losses(model, window, batch_size: int, device) -> dict:
    """The network's mean losses over the window's newest positions (each in the orientation it was stored in):
    policy cross-entropy, top-1 agreement with the target's most likely move, value MSE, and where the network
    and the positions have them the ownership and score losses, weighted as in training."""
    import numpy as np
    import torch

    from zero.common.configlib import fail
    from zero.learn.train import compute_losses, target_weights

    count = window.loaded_positions
    if count == 0:
        fail(f"{window.directory}: no readable positions")
    slots = (window.total_added - count + np.arange(count)) % window.capacity
    sums: dict[str, float] = {}
    weights: dict[str, float] = {}
    with torch.no_grad():
        for begin in range(0, count, batch_size):
            chosen = slots[begin : begin + batch_size]
            batch = window.gather(chosen, np.zeros(len(chosen), np.int64), device)
            out = model(batch.planes)
            losses = compute_losses(out, batch)
            agree = out.policy_logits.argmax(1) == batch.policy.argmax(1)
            terms = {
                "policy_loss": (losses["policy_loss"], len(chosen)),
                "value_loss": (losses["value_loss"], len(chosen)),
                "policy_top1": (agree.float().mean(), len(chosen)),
            }
            if "ownership_loss" in losses:
                terms["ownership_loss"] = (losses["ownership_loss"], target_weights(batch, batch.has_ownership).sum())
            if "score_loss" in losses:
                terms["score_loss"] = (losses["score_loss"], target_weights(batch, batch.has_score).sum())
            for key, (mean, weight) in terms.items():
                weight = float(weight)
                sums[key] = sums.get(key, 0.0) + float(mean) * weight
                weights[key] = weights.get(key, 0.0) + weight
    result: dict = {"positions": int(count)}
    result.update({key: sums[key] / weights[key] for key in sums if weights[key] > 0})
    return result
