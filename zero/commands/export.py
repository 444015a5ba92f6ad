"""`zero export RUN_DIR...`: a run's network into the shipped models folder (weights, metadata, model card, training curve) so `zero gtp` plays it by default; no torch at module top."""

from __future__ import annotations

import argparse
import sys

MAX_SHIPPED_MB = 10.0  # a shipped network stays small enough for the wheel


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir",
        metavar="RUN_DIR",
        nargs="+",
        help="the run that trained the network; several, in training order, when each started with "
        "--init-from the one before (the card sums their steps, games and CPU-hours)",
    )
    parser.add_argument("--name", required=True, help="the shipped name (go9 for the 9x9 default of zero gtp)")
    parser.add_argument(
        "--checkpoint", default="", help="the weights to ship (default: the last run's latest checkpoint)"
    )
    parser.add_argument(
        "--ladder",
        action="append",
        default=[],
        metavar="FILE",
        help="a `zero ladder --json` result to put in the card (repeat for each visits setting)",
    )
    parser.add_argument("--notes", default="", metavar="FILE", help="a Markdown file of notes for the card")
    parser.add_argument(
        "--output-dir", default="", help="where the files go (default: the package's zero/nn/models folder)"
    )
    parser.add_argument(
        "--cpus",
        type=float,
        default=0.0,
        help="CPUs of a run whose metrics have no start record (default: this machine's)",
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import hashlib
    import json
    import os
    import shutil
    from pathlib import Path

    from selfplay.model_card import ModelCardError, model_card, summarize_run
    from selfplay.plot import PlotError, chain_curves, plot_run
    from zero.common.atomic_files import atomic_write_bytes, atomic_write_text, atomic_write_via
    from zero.common.configlib import fail
    from zero.match.ladder import format_ladder
    from zero.nn.checkpoint import CheckpointError, load_checkpoint, resolve_checkpoint_path

    if not args.name.replace("_", "").replace("-", "").isalnum():
        fail(f"--name {args.name!r}: letters, digits, '-' and '_' only (it becomes a file name)")
    run_dirs = [Path(d) for d in args.run_dir]
    cpus = args.cpus or float(os.cpu_count() or 1)
    try:
        runs = [summarize_run(d, cpus) for d in run_dirs]
        weights_path = resolve_checkpoint_path(args.checkpoint or run_dirs[-1] / "checkpoints")
        checkpoint = load_checkpoint(weights_path)  # refuses a corrupt or non-finite file
    except (ModelCardError, CheckpointError, OSError) as exc:
        fail(str(exc))
    size_mb = weights_path.stat().st_size / 1e6
    if size_mb > MAX_SHIPPED_MB:
        fail(f"{weights_path}: {size_mb:.1f} MB, over the {MAX_SHIPPED_MB:g} MB a shipped network may weigh")
    ladders = []
    for path in args.ladder:
        try:
            result = json.loads(Path(path).read_text(encoding="utf-8"))
            ladders.append((result["engine"], format_ladder(result)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            fail(f"--ladder {path}: not a `zero ladder --json` result ({exc})")
    notes = ""
    if args.notes:
        try:
            notes = Path(args.notes).read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"--notes {args.notes}: {exc}")
    out = Path(args.output_dir) if args.output_dir else _package_models_dir()
    name = args.name
    data = weights_path.read_bytes()
    atomic_write_bytes(out / f"{name}.safetensors", data)  # the bytes hashed below
    atomic_write_via(out / f"{name}.json", lambda tmp: shutil.copyfile(weights_path.with_suffix(".json"), tmp))
    picture = ""
    try:
        import matplotlib  # noqa: F401

        plot_run(run_dirs, out / f"{name}-training.png", cpus)
        picture = f"{name}-training.png"
    except ModuleNotFoundError:
        print("zero export: no matplotlib, so no training curve (pip install 'zero[plot]')", file=sys.stderr)
    except PlotError as exc:
        print(f"zero export: no training curve: {exc}", file=sys.stderr)
    config_path = run_dirs[-1] / "config.toml"
    config_toml = config_path.read_text(encoding="utf-8") if config_path.is_file() else "# not found"
    weights = {
        "file": f"{name}.safetensors",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "parameters": sum(int(t.numel()) for t in checkpoint.state_dict.values()),
        "step": checkpoint.step,
        "version": checkpoint.model_version,
        "averaged_from": checkpoint.averaged_from,
    }
    network = dataclasses.asdict(checkpoint.network_config)
    rungs = chain_curves(run_dirs, cpus)["rungs"]
    card = model_card(name, runs, network, weights, ladders, config_toml, picture, notes, rungs)
    atomic_write_text(out / f"{name}.md", card)
    for suffix in (".safetensors", ".json", ".md", "-training.png"):  # package data: readable by everyone
        if (out / f"{name}{suffix}").exists():
            os.chmod(out / f"{name}{suffix}", 0o644)
    print(f"{out / name}.safetensors (+ .json, .md{', -training.png' if picture else ''}) from {weights_path}")
    return 0


def _package_models_dir():
    from importlib import resources
    from pathlib import Path

    root = resources.files("zero.nn.models")
    if not isinstance(root, Path):
        from zero.common.configlib import fail

        fail("the installed package's models folder is not a folder on disk; give --output-dir")
    return root
