"""The run's progress bar: its lines go to stderr with the bar, so `zero train --json` keeps stdout one JSON object."""

from __future__ import annotations

from selfplay.progress import RunProgress


def test_lines_above_the_bar_go_to_stderr_not_stdout(capsys):
    progress = RunProgress(enabled=True, total=10)
    progress.update(1)
    progress.write("arena: version 10: +512 Elo vs random-rollout MCTS (score 0.95)")
    progress.close()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "arena: version 10: +512 Elo" in captured.err


def test_a_disabled_bar_writes_nothing(capsys):
    progress = RunProgress(enabled=False, total=10)
    progress.write("arena: version 10: no result")
    progress.close()
    assert capsys.readouterr() == ("", "")
