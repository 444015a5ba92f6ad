"""`zero plot RUN_DIR`: the series read from metrics.jsonl (minutes, games, Elo, losses) and the PNG written atomically."""

from __future__ import annotations

import json

import pytest

from selfplay.plot import PlotError, curves, plot_run


def _metrics(path, start=1000.0):
    rows = [
        {"time": start, "kind": "selfplay", "worker": 0, "games": 16},
        {"time": start + 30, "step": 25, "loss": 5.0, "policy_loss": 4.0, "value_loss": 0.9, "ownership_loss": 0.6},
        {"time": start + 60, "kind": "selfplay", "worker": 1, "games": 40},
        {"time": start + 120, "kind": "arena", "version": 5, "vs_baseline": {"elo": 120.0, "score": 0.66}},
        {"time": start + 150, "kind": "selfplay", "worker": 0, "games": 30},  # an older total arriving late
        {"time": start + 180, "step": 50, "loss": 4.5, "policy_loss": 3.7, "value_loss": 0.8, "ownership_loss": 0.5},
        {"time": start + 240, "kind": "ladder", "rung": "gnugo:10", "elo": -900.0, "anchored_elo": 900.0},
        {"time": start + 300, "kind": "ladder", "rung": "gnugo:1", "elo": -150.0, "anchored_elo": None},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{truncated")
    return rows


def test_curves_put_elo_and_losses_on_minutes_and_games(tmp_path):
    from zero.common.metrics import read_metrics

    _metrics(tmp_path / "metrics.jsonl")
    series = curves(read_metrics(tmp_path / "metrics.jsonl"))
    assert series["elo"] == [(2.0, 40, 120.0)]
    assert series["anchored"] == [(4.0, 40, 900.0)]
    assert series["ladder"] == [(5.0, 40, -150.0)] and series["ladder_rung"] == "gnugo:1"
    assert series["loss"] == [(0.5, 16, 5.0), (3.0, 40, 4.5)]  # the games total never goes back
    assert [p[2] for p in series["value_loss"]] == [0.9, 0.8]


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
    with pytest.raises(SystemExit) as exit_info:
        main(["plot", str(tmp_path / "missing")])
    assert exit_info.value.code == 2 and "no such file" in capsys.readouterr().err
