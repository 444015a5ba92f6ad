"""`zero plot RUN_DIR...`: the series read from metrics.jsonl (active minutes, games, CPU-hours, Elo, losses), chained runs, and the PNG written atomically."""

from __future__ import annotations

import json

import pytest

from selfplay.plot import LOSSES, Clock, PlotError, chain_curves, curves, plot_run


def _metrics(path, start=1000.0):
    rows = [
        {"time": start, "kind": "selfplay", "worker": 0, "games": 16},
        {"time": start + 30, "step": 25, "loss": 5.0, "policy_loss": 4.0, "value_loss": 0.9, "ownership_loss": 0.6},
        {"time": start + 60, "kind": "selfplay", "worker": 1, "games": 40},
        {"time": start + 120, "kind": "arena", "version": 5, "vs_baseline": {"elo": 120.0, "score": 0.66}},
        {"time": start + 150, "kind": "selfplay", "worker": 0, "games": 30},  # an older total arriving late
        {"time": start + 180, "step": 50, "loss": 4.5, "policy_loss": 3.7, "value_loss": 0.8, "ownership_loss": 0.5},
        {"time": start + 240, "kind": "ladder", "rung": "gnugo:10", "elo": -900.0, "anchored_elo": 900.0},
        {"time": start + 300, "kind": "ladder", "rung": "gnugo:1", "version": 9, "wins": 0, "games": 20, "elo": None},
        {"time": start + 330, "kind": "ladder", "rung": "gnugo:3", "version": 9, "wins": 6, "games": 20, "elo": -147.0},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{truncated")
    return rows


def test_curves_put_elo_and_losses_on_minutes_games_and_cpu_hours(tmp_path):
    from zero.common.metrics import read_metrics

    _metrics(tmp_path / "metrics.jsonl")
    series = curves(read_metrics(tmp_path / "metrics.jsonl"), default_cpus=2.0)
    assert series["elo"] == [(2.0, 40, 2 * 120 / 3600, 120.0)]  # 2 minutes on 2 CPUs
    assert series["anchored"] == [(4.0, 40, 2 * 240 / 3600, 900.0)]
    assert series["ladder"] == [(5.5, 40, 2 * 330 / 3600, -147.0)] and series["ladder_rung"] == "gnugo:3"
    # 0 of 20 has no finite Elo difference, but every rung is kept with its games
    assert series["rungs"] == [
        (5.0, 40, 2 * 300 / 3600, "gnugo:1", 9, 0, 20),
        (5.5, 40, 2 * 330 / 3600, "gnugo:3", 9, 6, 20),
    ]
    assert [p[:2] for p in series["loss"]] == [(0.5, 16), (3.0, 40)]  # the games total never goes back
    assert [p[3] for p in series["value_loss"]] == [0.9, 0.8]
    assert series["end"] == Clock(5.5, 40, 2 * 330 / 3600)


def test_a_start_record_sets_the_cpus_and_the_downtime_before_a_resume_is_not_counted(tmp_path):
    rows = [
        {"time": 0.0, "kind": "start", "cpus": 4.0},
        {"time": 600.0, "kind": "selfplay", "games": 10},
        {"time": 7800.0, "kind": "start", "cpus": 8.0},  # resumed two hours after the run was killed
        {"time": 8400.0, "kind": "selfplay", "games": 25},
        {"time": 8400.0, "step": 9, "loss": 3.0},
    ]
    series = curves(rows, default_cpus=1.0)
    assert series["loss"] == [(20.0, 25, 4 * 600 / 3600 + 8 * 600 / 3600, 3.0)]
    # without the start records the same gap counts (a run from before them), at the default CPUs
    old = curves([r for r in rows if r.get("kind") != "start"], default_cpus=1.0)
    assert old["end"].minutes == 130.0 and old["end"].cpu_hours == 7800 / 3600  # from its first record


def test_chained_runs_add_up_minutes_games_and_cpu_hours(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for d in (first, second):
        d.mkdir()
        _metrics(d / "metrics.jsonl", start=5000.0 if d is second else 1000.0)
    series = chain_curves([first, second], default_cpus=2.0)
    one = curves(_metrics(tmp_path / "c.jsonl"), default_cpus=2.0)
    assert series["end"] == Clock(2 * one["end"].minutes, 2 * one["end"].games, 2 * one["end"].cpu_hours)
    assert series["boundaries"] == [one["end"]]
    assert series["elo"][1] == (
        one["end"].minutes + 2.0,
        one["end"].games + 40,
        one["end"].cpu_hours + 2 * 120 / 3600,
        120.0,
    )
    with pytest.raises(PlotError, match="no such file"):
        chain_curves([first, tmp_path / "missing"], default_cpus=2.0)


def test_plot_writes_a_png_and_refuses_a_directory_without_metrics(tmp_path):
    pytest.importorskip("matplotlib")
    _metrics(tmp_path / "metrics.jsonl")
    path = plot_run(tmp_path)
    assert path == tmp_path / "progress.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    assert not list(tmp_path.glob("*.tmp.png"))
    with pytest.raises(PlotError, match="no such file"):
        plot_run(tmp_path / "elsewhere")


def test_zero_plot_command(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from zero.cli import main

    _metrics(tmp_path / "metrics.jsonl")
    assert main(["plot", str(tmp_path), "-o", str(tmp_path / "p.png")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "p.png") and (tmp_path / "p.png").stat().st_size > 10_000
    (tmp_path / "next").mkdir()
    _metrics(tmp_path / "next" / "metrics.jsonl")
    assert main(["plot", str(tmp_path), str(tmp_path / "next"), "--cpus", "2"]) == 0  # a chain: the last one's folder
    assert capsys.readouterr().out.strip() == str(tmp_path / "next" / "progress.png")
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", str(tmp_path / "missing")])
    assert exit_info.value.code == 2 and "no such file" in capsys.readouterr().err


def test_every_term_of_the_training_loss_gets_a_curve():
    from zero.learn.train import LOSS_TERMS

    assert set(LOSS_TERMS) <= set(LOSSES)
