"""A full 9x9 game of our engine against GNU Go level 1 through `zero match` (needs gnugo; CI requires it)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sgfmill import sgf

from games.go import EMPTY, from_gtp, game_from_sgf
from games.go.seki import _neighbours
from zero.match.client import GtpClient
from zero.match.referee import _parse_score

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
    # GNU Go's own final_score of the finished position agrees with our area count, except for the empty points
    # inside a seki that only one colour surrounds: Tromp-Taylor counts them for that colour, GNU Go's Chinese
    # score counts them for nobody (a game of this test once ended B+9.5 by our count, B+8.5 by GNU Go's, one seki eye)
    gnugo_score = game["engine_scores"]["B"]
    if "B" in game["disagreements"]:
        eyes = seki_eyes(gnugo, game["sgf_path"], replayed)
        difference = abs(_parse_score(gnugo_score) - game["our_score"])
        assert eyes and difference <= len(eyes), (gnugo_score, game["our_score"], eyes)


def seki_eyes(gnugo: str, sgf_path: str, game) -> list[int]:
    """The empty points of ``game``'s final position whose neighbours are all stones of one colour that GNU Go
    calls seki (`final_status_list seki` on the SGF)."""
    with GtpClient([gnugo, "--mode", "gtp", "--chinese-rules"]) as client:
        client.ask(f"loadsgf {sgf_path}")
        seki = {from_gtp(v, game.size) for v in client.ask("final_status_list seki").split()}
    stones = game.stones().reshape(-1)
    eyes = []
    for point in np.flatnonzero(stones == EMPTY).tolist():
        neighbours = _neighbours(point, game.size)
        if seki.issuperset(neighbours) and len({int(stones[n]) for n in neighbours}) == 1:
            eyes.append(point)
    return eyes
