"""`zero plot`: a run's Elo and training losses against active minutes, CPU-hours and self-play games, as one PNG (matplotlib, an optional extra; no torch/ray).

Read from ``metrics.jsonl``. Time counts while the run runs: each ``start`` record (written at
every start and resume) begins a new stretch, so the hours a killed run sat dead before its resume
are not counted (a run from before ``start`` records counts them). CPU-hours are those minutes times
the CPUs the run had (the ``start`` record's ``cpus``, else ``default_cpus``). Games: the ``games``
total of ``selfplay`` records (a train record gets the count of the last self-play record before it).
Several run directories are one chained training (each started with ``--init-from`` the one before,
or resumed): minutes, CPU-hours and games add up across them.

Elo: the arena's rating against the random-rollout MCTS baseline (fixed at 0) per evaluated version,
and, where a record of kind ``ladder`` (the run's GNU Go rung, ``arena.gnugo_level``) carries
``anchored_elo``, the rating anchored at GNU Go level 10 = 1800, else the Elo difference against that
GNU Go level.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any, NamedTuple

LOSSES = ("loss", "policy_loss", "value_loss", "ownership_loss", "score_loss", "opponent_policy_loss")


class PlotError(ValueError):
    """Nothing to plot (no metrics file, no records); one line for the CLI."""


class Clock(NamedTuple):
    """Where a run stands: active minutes, self-play games and CPU-hours (also the offsets of a chained run)."""

    minutes: float = 0.0
    games: int = 0
    cpu_hours: float = 0.0


START = Clock()  # the beginning of a chain


def curves(records: list[dict[str, Any]], default_cpus: float = 1.0, offset: Clock = START) -> dict[str, Any]:
    """The series of a run: {"elo": [(minutes, games, cpu_hours, elo)], "anchored": [...], losses: [...], "end": Clock}.

    ``offset`` is where the runs before this one in a chain ended."""
    timed = sorted((r for r in records if isinstance(r.get("time"), (int, float))), key=lambda r: r["time"])
    if not timed:
        raise PlotError("no timed records in metrics.jsonl")
    game_times, game_totals, total = [], [], 0
    for r in timed:
        if r.get("kind") == "selfplay":
            total = max(total, int(r.get("games", 0)))  # the run's running total of finished games
            game_times.append(r["time"])
            game_totals.append(total)

    def games_at(t: float) -> int:
        i = bisect.bisect_right(game_times, t)
        return game_totals[i - 1] if i else 0

    out: dict[str, Any] = _empty_series()
    seconds = cpu_seconds = 0.0
    cpus = default_cpus
    previous = timed[0]["time"]
    for r in timed:
        kind = r.get("kind", "train")
        if kind == "start":  # a (re)start: the time since the last record was downtime
            cpus = float(r.get("cpus") or default_cpus)
        else:
            seconds += r["time"] - previous
            cpu_seconds += (r["time"] - previous) * cpus
        previous = r["time"]
        point = (
            offset.minutes + seconds / 60.0,
            offset.games + games_at(r["time"]),
            offset.cpu_hours + cpu_seconds / 3600.0,
        )
        if kind == "ladder" and r.get("games"):  # every rung, won or not (an Elo needs a win and a loss)
            out["rungs"].append(
                (*point, str(r.get("rung", "")), int(r.get("version", -1)), int(r["wins"]), int(r["games"]))
            )
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
    out["end"] = Clock(offset.minutes + seconds / 60.0, offset.games + total, offset.cpu_hours + cpu_seconds / 3600.0)
    return out


def _empty_series() -> dict[str, Any]:
    """Elo points (arena; rungs with an anchored rating; rungs' Elo difference), every rung as
    (..., rung, version, wins, games), and the losses: each point starts with (minutes, games, cpu_hours)."""
    return {"elo": [], "anchored": [], "ladder": [], "ladder_rung": "", "rungs": [], **{k: [] for k in LOSSES}}


def chain_curves(run_dirs: list[Path], default_cpus: float) -> dict[str, Any]:
    """The series of several run directories, one after the other (a chained training), on common axes."""
    from zero.common.metrics import read_metrics

    joined: dict[str, Any] = _empty_series()
    clock, boundaries = START, []
    for run_dir in run_dirs:
        metrics = run_dir / "metrics.jsonl"
        if not metrics.is_file():
            raise PlotError(f"{metrics}: no such file (is {run_dir} a run directory?)")
        series = curves(read_metrics(metrics), default_cpus, clock)
        for key, value in series.items():
            if isinstance(value, list):
                joined[key].extend(value)
        joined["ladder_rung"] = series["ladder_rung"] or joined["ladder_rung"]
        boundaries.append(clock)
        clock = series["end"]
    joined["end"] = clock
    joined["boundaries"] = boundaries[1:]  # where each run after the first begins
    return joined


def plot_run(
    run_dir: str | Path | list[str | Path], output: str | Path | None = None, default_cpus: float | None = None
) -> Path:
    """Write the PNG (default LAST_RUN_DIR/progress.png) and return its path; PlotError when there is nothing to plot.

    ``run_dir``: one run directory, or several in training order (a chain). ``default_cpus``: the CPUs of a
    run without a ``start`` record (default: this machine's)."""
    import os

    run_dirs = [Path(d) for d in (run_dir if isinstance(run_dir, list) else [run_dir])]
    series = chain_curves(run_dirs, float(default_cpus or os.cpu_count() or 1))
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = ("active minutes", "self-play games", "CPU-hours")
    fig, axes = plt.subplots(2, 3, figsize=(15, 7), constrained_layout=True)
    for index, label in enumerate(labels):
        ax = axes[0, index]
        for key, name, style in (
            ("elo", "Elo vs random-rollout MCTS (= 0)", "o-"),
            ("anchored", "Elo anchored (GNU Go 10 = 1800)", "s-"),
            ("ladder", f"Elo difference vs {series['ladder_rung']}", "^-"),
        ):
            if series[key]:
                ax.plot([p[index] for p in series[key]], [p[3] for p in series[key]], style, label=name)
        ax.set_xlabel(label)
        ax.set_ylabel("Elo")
        ax.grid(alpha=0.3)
        if series["rungs"]:  # win rates against the GNU Go rung, 0-100%, on their own axis
            rates = ax.twinx()
            for rung in dict.fromkeys(p[3] for p in series["rungs"]):
                points = [p for p in series["rungs"] if p[3] == rung]
                rates.plot([p[index] for p in points], [100.0 * p[5] / p[6] for p in points], "d--", color="tab:red")
                rates.set_ylabel(f"% won vs {rung} (red)")
            rates.set_ylim(0, 100)
        if series["elo"] or series["anchored"] or series["ladder"]:
            ax.legend(fontsize=8, loc="upper left")
        else:
            ax.text(0.5, 0.5, "no arena or ladder Elo yet", ha="center", va="center", transform=ax.transAxes)
        ax = axes[1, index]
        for key in LOSSES:
            if series[key]:
                ax.plot([p[index] for p in series[key]], [p[3] for p in series[key]], label=key)
        ax.set_xlabel(label)
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3)
        if any(series[k] for k in LOSSES):
            ax.legend(fontsize=8)
        for boundary in series["boundaries"]:
            for row in (0, 1):
                axes[row, index].axvline(boundary[index], color="grey", linestyle=":", linewidth=1)
    names = " -> ".join(d.name for d in run_dirs)
    fig.suptitle(
        f"{names}: strength and losses ({series['end'].cpu_hours:.1f} CPU-hours, {series['end'].games:,} games)"
    )
    path = Path(output) if output else run_dirs[-1] / "progress.png"
    tmp = path.with_name(path.name + ".tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)  # written under a temporary name, then renamed
    return path
