"""The model card of a network trained by one run or a chain of runs (`zero export`): how it was trained (steps, games, CPU-hours, precision, source commit, where each run started), its ladder tables and config, as Markdown; no torch/ray."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selfplay.plot import curves
from selfplay.resume import describe_origin
from zero.common.metrics import read_metrics


@dataclass(frozen=True)
class RunSummary:
    """What one run directory's metrics say about its training."""

    name: str
    steps: int  # train steps of this run (a run started with --init-from counts from 0)
    version: int
    games: int
    positions: int
    minutes: float  # active minutes (downtime before a resume not counted, see selfplay.plot)
    cpu_hours: float
    cpus: tuple[float, ...]  # the CPUs of each start (empty: the run has no start records)
    trainer: str  # device and precision of the trainer, as the run printed them ("" = not recorded)
    source_commits: tuple[str, ...]  # the source checkouts' commits of its starts (empty: not recorded)
    started_from: str  # the --init-from network, or "" (from scratch)


class ModelCardError(ValueError):
    """A run directory that cannot be summarised (one line for the CLI)."""


def summarize_run(run_dir: Path, default_cpus: float) -> RunSummary:
    """The training figures of ``run_dir`` from its metrics.jsonl."""
    metrics_path = run_dir / "metrics.jsonl"
    if not metrics_path.is_file():
        raise ModelCardError(f"{metrics_path}: no such file (is {run_dir} a run directory?)")
    metrics = read_metrics(metrics_path)
    end = curves(metrics, default_cpus)["end"]
    checkpoints = [m for m in metrics if m.get("kind") == "checkpoint"]
    if not checkpoints:
        raise ModelCardError(f"{run_dir}: the run wrote no checkpoint")
    selfplay = [m for m in metrics if m.get("kind") == "selfplay"]
    starts = [m for m in metrics if m.get("kind") == "start"]
    origins = [m for m in metrics if m.get("kind") == "init_from"]
    return RunSummary(
        name=run_dir.name,
        steps=max(int(m["step"]) for m in checkpoints),
        version=max(int(m.get("version", 0)) for m in checkpoints),
        games=end.games,
        positions=max((int(m.get("positions", 0)) for m in selfplay), default=0),
        minutes=end.minutes,
        cpu_hours=end.cpu_hours,
        cpus=tuple(float(m.get("cpus", 0.0)) for m in starts),
        trainer=str(starts[-1].get("trainer", "")) if starts else "",
        source_commits=tuple(dict.fromkeys(str(m["source_commit"]) for m in starts if m.get("source_commit"))),
        started_from=describe_origin(origins[0]) if origins else "",
    )


def _thousands(number: Any) -> str:
    return f"{number:,}" if isinstance(number, int) else "?"


def _averaged_row(sources: list[dict[str, Any]]) -> list[str]:
    if not sources:
        return []
    named = ", ".join(f"{s.get('name', '?')} (step {_thousands(s.get('step'))})" for s in sources)
    return [f"| averaged | the mean of {len(sources)} checkpoints' weights (`zero average`): {named} |"]


def model_card(
    name: str,
    runs: list[RunSummary],
    network: dict[str, Any],
    weights: dict[str, Any],
    ladders: list[tuple[str, str]],
    config_toml: str,
    picture: str = "",
    notes: str = "",
    rungs: list[tuple] = (),
) -> str:
    """The Markdown card. ``network``: the checkpoint's network config; ``weights``: file, bytes, parameters,
    step, version, sha256; ``ladders``: (engine command, `zero ladder` table) pairs; ``picture``: the curve's file name;
    ``rungs``: the in-run GNU Go rungs of the chain (selfplay.plot.chain_curves' ``rungs``); ``weights["averaged_from"]``
    (optional): the checkpoints the weights average (`zero average`)."""
    steps = sum(r.steps for r in runs)
    games = sum(r.games for r in runs)
    positions = sum(r.positions for r in runs)
    cpu_hours = sum(r.cpu_hours for r in runs)
    hours = sum(r.minutes for r in runs) / 60.0
    heads = [h for h, on in (("ownership", network.get("ownership_head")), ("score", network.get("score_head"))) if on]
    chain = (
        "one run" if len(runs) == 1 else f"{len(runs)} runs, each started with `zero train --init-from` the one before"
    )
    commits = sorted({c for r in runs for c in r.source_commits})
    trainers = sorted({r.trainer for r in runs if r.trainer})
    lines = [
        f"# {name}: a network trained by zero from self-play alone",
        "",
        "No human games and no other engine's moves: every training position comes from `zero train`'s own",
        "self-play. Exported by `zero export` (selfplay/model_card.py) from the runs named below.",
        "",
        "| | |",
        "|---|---|",
        f"| network | {network.get('blocks')} residual blocks x {network.get('channels')} channels, "
        f"{weights['parameters']:,} parameters; heads: policy, value"
        + "".join(f", {h}" for h in heads)
        + (", liberty input planes" if network.get("liberty_input") else "")
        + (", ladder input planes" if network.get("ladder_input") else "")
        + (", komi input plane" if network.get("komi_input") else "")
        + " |",
        f"| weights | `{weights['file']}`, {weights['bytes'] / 1e6:.2f} MB, float32, safetensors "
        f"(sha256 {weights['sha256'][:16]}...) |",
        f"| checkpoint | step {weights['step']:,}, model version {weights['version']} of the last run |",
        *_averaged_row(weights.get("averaged_from") or []),
        f"| training | {chain} |",
        f"| train steps | {steps:,} |",
        f"| self-play games | {games:,} ({positions:,} training positions) |",
        f"| CPU-hours | {cpu_hours:.2f} ({hours:.2f} hours of active wall clock) |",
        f"| trainer | {'; '.join(trainers) if trainers else 'not recorded (a run from before start records)'} |",
        '| play precision | `precision = "auto"`: bf16 autocast + channels_last on a CPU with native bf16 '
        "where it measures faster than float32 (batches of 4+, after a fidelity check), float32 elsewhere; "
        "the weights are float32 |",
        f"| source commit | {', '.join(commits) if commits else 'not recorded (a run from before start records)'} |",
        "",
        "## Runs",
        "",
        "| run | started from | active minutes | CPUs | CPU-hours | train steps | versions | games |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        cpus = "/".join(f"{c:g}" for c in dict.fromkeys(r.cpus)) or "not recorded"
        lines.append(
            f"| {r.name} | {r.started_from or 'scratch'} | {r.minutes:.1f} | {cpus} | {r.cpu_hours:.2f} | "
            f"{r.steps:,} | {r.version} | {r.games:,} |"
        )
    lines += ["", "## Ladder", ""]
    if not ladders:
        lines += [
            f"Not measured yet: `zero ladder --model {name} --games 200 --opponents gnugo:1,gnugo:5,gnugo:10`.",
            "",
        ]
    for engine, table in ladders:
        lines += [f"`{engine}`", "", "```", table, "```", ""]
    if rungs:
        lines += [
            "## GNU Go rungs during training (`arena.gnugo_level`; a few games each, so wide intervals)",
            "",
            "| active minutes | CPU-hours | self-play games | version | rung | won |",
            "|---|---|---|---|---|---|",
        ]
        for minutes, games_so_far, hours_so_far, rung, version, wins, played in rungs:
            lines.append(
                f"| {minutes:.0f} | {hours_so_far:.2f} | {games_so_far:,} | {version} | {rung} | {wins}/{played} |"
            )
        lines.append("")
    if picture:
        lines += ["## Training curve", "", f"![Elo and losses against CPU-hours]({picture})", ""]
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    lines += ["## Config of the last run", "", "```toml", config_toml.strip(), "```", ""]
    return "\n".join(lines)
