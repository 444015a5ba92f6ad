"""`zero plot`: a run's Elo and training losses against wall-clock minutes and self-play games, as one PNG (matplotlib, an optional extra; no torch/ray).

Read from ``metrics.jsonl``: the x axes are minutes since the run's first record and the
self-play games finished by then (the ``games`` total of ``selfplay`` records; a train record gets
the run's game count of the last self-play record before it). Elo: the arena's rating against the
random-rollout MCTS baseline (fixed at 0) per evaluated version, and, where a record of
kind ``ladder`` (the run's GNU Go rung, ``arena.gnugo_level``) carries ``anchored_elo``, the rating
anchored at GNU Go level 10 = 1800, else the Elo difference against that GNU Go level.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

LOSSES = ("loss", "policy_loss", "value_loss", "ownership_loss", "score_loss")


class PlotError(ValueError):
    """Nothing to plot (no metrics file, no records); one line for the CLI."""


def curves(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The series of a run: {"elo": [(minutes, games, elo)], "anchored": [...], losses: [(minutes, games, value)]}."""
    timed = [r for r in records if isinstance(r.get("time"), (int, float))]
    if not timed:
        raise PlotError("no timed records in metrics.jsonl")
    start = min(r["time"] for r in timed)
    game_times, game_totals, total = [], [], 0
    for r in sorted((r for r in timed if r.get("kind") == "selfplay"), key=lambda r: r["time"]):
        total = max(total, int(r.get("games", 0)))  # the run's running total of finished games
        game_times.append(r["time"])
        game_totals.append(total)

    def games_at(t: float) -> int:
        i = bisect.bisect_right(game_times, t)
        return game_totals[i - 1] if i else 0

    out: dict[str, Any] = {"elo": [], "anchored": [], "ladder": [], "ladder_rung": "", **{k: [] for k in LOSSES}}
    for r in sorted(timed, key=lambda r: r["time"]):
        point = ((r["time"] - start) / 60.0, games_at(r["time"]))
        kind = r.get("kind", "train")
        if kind == "arena" and isinstance(r.get("vs_baseline"), dict) and r["vs_baseline"].get("elo") is not None:
            out["elo"].append((*point, float(r["vs_baseline"]["elo"])))
        elif kind == "ladder" and r.get("anchored_elo") is not None:
            out["anchored"].append((*point, float(r["anchored_elo"])))
        elif kind == "ladder" and r.get("elo") is not None:
            out["ladder"].append((*point, float(r["elo"])))
            out["ladder_rung"] = r.get("rung", "GNU Go")
        elif kind == "train":
            for key in LOSSES:
                if isinstance(r.get(key), (int, float)):
                    out[key].append((*point, float(r[key])))
    return out


def plot_run(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Write the PNG (default RUN_DIR/progress.png) and return its path; PlotError when there is nothing to plot."""
    from zero.common.metrics import read_metrics

    run_dir = Path(run_dir)
    metrics = run_dir / "metrics.jsonl"
    if not metrics.is_file():
        raise PlotError(f"{metrics}: no such file (is {run_dir} a run directory?)")
    series = curves(read_metrics(metrics))
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
    for col, (index, label) in enumerate(((0, "wall-clock minutes"), (1, "self-play games"))):
        ax = axes[0, col]
        for key, name, style in (
            ("elo", "Elo vs random-rollout MCTS (= 0)", "o-"),
            ("anchored", "Elo anchored (GNU Go 10 = 1800)", "s-"),
            ("ladder", f"Elo difference vs {series['ladder_rung']}", "^-"),
        ):
            if series[key]:
                ax.plot([p[index] for p in series[key]], [p[2] for p in series[key]], style, label=name)
        ax.set_xlabel(label)
        ax.set_ylabel("Elo")
        ax.grid(alpha=0.3)
        if series["elo"] or series["anchored"] or series["ladder"]:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no arena or ladder result yet", ha="center", va="center", transform=ax.transAxes)
        ax = axes[1, col]
        for key in LOSSES:
            if series[key]:
                ax.plot([p[index] for p in series[key]], [p[2] for p in series[key]], label=key)
        ax.set_xlabel(label)
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3)
        if any(series[k] for k in LOSSES):
            ax.legend(fontsize=8)
    fig.suptitle(f"{run_dir.name}: strength and losses over time")
    path = Path(output) if output else run_dir / "progress.png"
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)  # written under a temporary name, then renamed
    return path
