"""A full 9x9 game of our engine against GNU Go level 1 through `zero match` (needs gnugo; CI requires it)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sgfmill import sgf

from games.go import game_from_sgf

from .conftest import gnugo_path

pytestmark = [pytest.mark.gnugo, pytest.mark.slow]


def test_full_game_against_gnugo(tmp_path):
    gnugo = gnugo_path()
    ours = f"{sys.executable} -m zero.cli gtp --visits 64 --seed 3 gtp.resign_winrate=0"
    theirs = f"{gnugo} --mode gtp --level 1 --chinese-rules"
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "match", ours, theirs, "--games", "1", "--sgf-dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    game = report["games_detail"][0]
    assert report["illegal_moves"] == [] and game["illegal"] == ""
    assert game["reason"] == "two passes", game  # no resignation: the game is scored
    # the SGF parses and replays legally under our rules
    text = open(game["sgf_path"], "rb").read()
    record = sgf.Sgf_game.from_bytes(text)
    assert record.get_size() == 9 and len(record.get_main_sequence()) == game["moves"] + 1
    replayed = game_from_sgf(text)
    assert replayed.move_number == game["moves"]
    # GNU Go's own final_score of the finished position agrees with our area count, except by the empty points
    # inside a seki that only one colour surrounds, which the referee classifies (Tromp-Taylor counts them for that
    # colour, GNU Go's Chinese score for nobody: a game of this test once ended B+9.5 by our count, B+8.5 by GNU Go's)
    assert "B" not in game["disagreements"], (game["engine_scores"], game["our_score"])
