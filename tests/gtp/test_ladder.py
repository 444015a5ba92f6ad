"""`zero ladder`: rungs, the anchored maximum-likelihood rating and its interval, the random rung, and a short ladder end to end."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from games.go import GoGame, GoRules, from_gtp
from mcts import SearchParams
from zero.common.stats import anchored_rating, elo_from_score, expected_score
from zero.gtp.player import EngineParams, GoPlayer
from zero.match.ladder import GNUGO_ANCHOR_ELO, LadderError, format_ladder, parse_rungs, rated_results

from .conftest import gnugo_path


def test_one_rung_rating_is_the_anchor_plus_the_match_elo():
    # a single rated opponent: the maximum-likelihood rating is the logit of the observed score
    out = anchored_rating([(0.76, 100, GNUGO_ANCHOR_ELO)])
    assert out["elo"] == pytest.approx(GNUGO_ANCHOR_ELO + elo_from_score(0.76), abs=0.5)
    assert out["elo_low"] < out["elo"] < out["elo_high"]
    # more games, narrower interval
    wide = anchored_rating([(0.76, 25, GNUGO_ANCHOR_ELO)])
    assert wide["elo_high"] - wide["elo_low"] > out["elo_high"] - out["elo_low"]


def test_several_rungs_rating_solves_the_score_equation():
    rungs = [(0.9, 40, 1400.0), (0.3, 40, 1800.0), (0.55, 20, 1600.0)]
    out = anchored_rating(rungs)
    # at the maximum: observed score = expected score, summed over games
    residual = sum(n * (s - expected_score(out["elo"] - r)) for s, n, r in rungs)
    assert abs(residual) < 1e-3
    assert 1600 < out["elo"] < 1800

    # the likelihood at each interval bound is 1.92 below the maximum
    def ll(x):
        return sum(
            n * (s * math.log(expected_score(x - r)) + (1 - s) * math.log(1 - expected_score(x - r)))
            for s, n, r in rungs
        )

    assert ll(out["elo"]) - ll(out["elo_low"]) == pytest.approx(1.9207, abs=1e-3)
    assert ll(out["elo"]) - ll(out["elo_high"]) == pytest.approx(1.9207, abs=1e-3)


def test_all_won_or_all_lost_leaves_one_side_unbounded():
    won = anchored_rating([(1.0, 20, GNUGO_ANCHOR_ELO)])
    assert won["elo"] is None and won["elo_high"] is None and won["elo_low"] > GNUGO_ANCHOR_ELO
    lost = anchored_rating([(0.0, 20, GNUGO_ANCHOR_ELO)])
    assert lost["elo"] is None and lost["elo_low"] is None and lost["elo_high"] < GNUGO_ANCHOR_ELO
    assert anchored_rating([])["games"] == 0


def test_rungs_parse_and_bad_rungs_are_one_line_errors():
    rungs = parse_rungs("random, mcts,gnugo:1,gnugo:10", visits=50, gnugo="/usr/games/gnugo")
    assert [r.name for r in rungs] == ["random", "mcts", "gnugo:1", "gnugo:10"]
    assert [r.rating for r in rungs] == [None, None, None, GNUGO_ANCHOR_ELO]
    assert "--level 1 " in rungs[2].command and "--visits 50" in rungs[1].command
    assert "gtp.ponder=false" in rungs[1].command  # equal CPU: our searching rung does not think in GNU Go's time
    assert all("--model none" in r.command for r in rungs[:2])  # never the shipped network: random and rollout MCTS
    with pytest.raises(LadderError, match="unknown rung 'leela'"):
        parse_rungs("random,leela", visits=50, gnugo=None)
    with pytest.raises(LadderError, match="GNU Go is not installed"):
        parse_rungs("random,gnugo:1", visits=50, gnugo=None)
    with pytest.raises(LadderError, match="level must be 0..10"):
        parse_rungs("gnugo:11", visits=50, gnugo="/usr/games/gnugo")


def test_random_rung_plays_uniformly_without_filling_its_own_eye():
    player = GoPlayer(EngineParams(visits=1, random_play=True, seed=3), SearchParams(simulations=2))
    game = GoGame(GoRules(size=5, komi=0.5))
    # Black stones around A1: B1 and A2 make A1 a single-point eye of Black
    for move, color in (("B1", "b"), ("E5", "w"), ("A2", "b"), ("E4", "w")):
        game.play(from_gtp(move, 5), color)
    seen = []
    for _ in range(400):
        a = player.choose_move(game, player.search(game))
        assert a != from_gtp("A1", 5), "filled its own eye"
        seen.append(a)
    counts = np.bincount(seen, minlength=26)
    legal = game.legal_mask() & ~game.own_eye_mask()
    legal[-1] = False
    assert set(np.flatnonzero(counts)) == set(np.flatnonzero(legal))  # every candidate drawn, nothing else
    assert counts[legal].min() > 400 / legal.sum() / 3  # roughly uniform


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from zero.nn.checkpoint import save_checkpoint
    from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

    torch.manual_seed(0)
    net = PolicyValueNet(
        NetworkConfig(blocks=1, channels=8, global_pooling_channels=4, ownership_head=True), GameShape(17, 5, 26)
    )
    directory = tmp_path_factory.mktemp("ckpt")
    save_checkpoint(directory, net, step=1, model_version=1)
    return directory


def ladder(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "zero.cli", "ladder", *args], check=False, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_ladder_random_and_mcts_rungs_end_to_end(checkpoint, tmp_path):
    out = ladder(
        [
            "--model",
            str(checkpoint),
            "--visits",
            "4",
            "--games",
            "2",
            "--opponents",
            "random,mcts",
            "--json",
            "--sgf-dir",
            str(tmp_path),
        ]
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["size"] == 5  # the network's board
    assert [r["rung"] for r in result["rungs"]] == ["random", "mcts"]
    for r in result["rungs"]:
        assert r["games"] == 2 and r["wins"] + r["losses"] + r["draws"] == 2 and r["illegal_moves"] == []
        assert sum(r["endings"].values()) == 2 and len(r["games_detail"]) == 2
        assert r["wins_as_black"] + r["wins_as_white"] == r["wins"]
        assert sum(n for key, n in r["endings"].items() if key.startswith("won ")) == r["wins"]
    assert result["anchored"]["games"] == 0  # no rated rung played
    assert len(list((tmp_path / "random").glob("*.sgf"))) == 2
    assert "anchored rating: none" in format_ladder(result)
    # each rung reports on stderr as it finishes, with the figures the final JSON holds
    for r in result["rungs"]:
        assert f"{r['rung']}: {r['wins']}/2 wins" in out.stderr


@pytest.mark.slow
def test_ladder_on_another_board_size_plays_the_network_there(checkpoint, tmp_path):
    args = ["--model", str(checkpoint), "--size", "7", "--visits", "4", "--games", "2", "--opponents", "random"]
    out = ladder([*args, "--sgf-dir", str(tmp_path)])
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ladder on 7x7, komi 7.5, 2 games per rung")
    games = sorted((tmp_path / "random").glob("*.sgf"))
    assert len(games) == 2 and all("SZ[7]" in game.read_text() for game in games)  # the 5x5 network played 7x7
    assert "anchored rating: none (the anchor gnugo:10 = 1800 is a 9x9 rating; this ladder is on 7x7)" in out.stdout
    bad = ladder(["--model", str(checkpoint), "--size", "20", "--opponents", "random"])
    assert bad.returncode != 0 and bad.stderr.strip().splitlines()[-1].endswith("--size must be in 2..19, got 20")


def test_the_anchored_rating_counts_rated_rungs_on_the_anchors_board_only():
    rows = [
        {"rung": "gnugo:10", "win_rate": 0.5, "games": 20, "rating": 1800.0},
        {"rung": "gnugo:1", "win_rate": 0.9, "games": 20, "rating": None},
        {"rung": "gnugo:10", "win_rate": 0.0, "games": 0, "rating": 1800.0},
    ]
    assert rated_results(rows, 9) == [(0.5, 20, 1800.0)]
    assert rated_results(rows, 13) == []


def test_endings_count_each_game_by_outcome_and_reason():
    from zero.match.ladder import game_endings

    games = [
        {"winner": "A", "result": "B+R", "reason": "resignation"},
        {"winner": "A", "result": "W+R", "reason": "resignation"},
        {"winner": "B", "result": "B+3.5", "reason": "two passes"},
        {"winner": None, "result": "0", "reason": "move cap"},
        {"winner": None, "result": "void", "reason": "engine error"},
    ]
    assert game_endings(games) == {
        "drawn by move cap": 1,
        "lost by two passes": 1,
        "void by engine error": 1,
        "won by resignation": 2,
    }


def test_ladder_without_gnugo_says_so(checkpoint, monkeypatch, capsys):
    import zero.match.ladder
    from zero.cli import main

    monkeypatch.setattr(zero.match.ladder, "find_gnugo", lambda: None)
    with pytest.raises(SystemExit) as exit_info:
        main(["ladder", "--model", str(checkpoint), "--opponents", "random,gnugo:1"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.strip().count("\n") == 0 and "GNU Go is not installed" in err


@pytest.mark.gnugo
@pytest.mark.slow
def test_ladder_against_the_gnugo_anchor(checkpoint):
    gnugo_path()
    # the anchor rates 9x9 play: the 5x5 test network plays 9x9 for it
    out = ladder(
        ["--model", str(checkpoint), "--size", "9", "--visits", "4", "--games", "2", "--opponents", "gnugo:10"]
    )
    assert out.returncode == 0, out.stderr
    assert (
        "gnugo:10" in out.stdout
        and "anchored rating (gnugo:10 = 1800)" in out.stdout
        and "2 games on rated rungs" in out.stdout
    )


def test_every_rung_has_a_move_cap_unless_asked_for_none(monkeypatch):
    # simple ko (GNU Go's rule, which the ladder plays) allows cycles: an uncapped rung once hung on one game
    import zero.match.ladder as ladder
    from games.go import NO_MOVE_LIMIT
    from zero.match.referee import referee_rules

    def cap_of(match):
        rules_cap = referee_rules(match).max_moves
        return 0 if rules_cap == NO_MOVE_LIMIT else rules_cap

    caps = []
    monkeypatch.setattr(ladder, "run_match", lambda match, progress=None: caps.append(cap_of(match)) or [])
    monkeypatch.setattr(ladder, "match_report", lambda records, match: {"summary": {"games": 0}})
    monkeypatch.setattr(ladder, "rung_row", lambda rung, report: {"rung": rung.name, "rating": None, "games": 0})
    rungs = tuple(parse_rungs("random", visits=4, gnugo=None))
    for max_moves, expected in ((-1, 4 * 81), (0, 0), (50, 50)):
        ladder.run_ladder(ladder.LadderSettings(engine="zero gtp", rungs=rungs, size=9, max_moves=max_moves))
        assert caps.pop() == expected


def test_set_passes_engine_settings_and_a_bad_one_is_a_one_line_error(checkpoint, monkeypatch, capsys):
    import zero.match.ladder
    from zero.cli import main

    engines = []
    monkeypatch.setattr(zero.match.ladder, "run_ladder", lambda settings, *_: engines.append(settings.engine) or {})
    monkeypatch.setattr(zero.match.ladder, "format_ladder", lambda result: "")
    args = ["ladder", "--model", str(checkpoint), "--opponents", "random", "--no-progress"]
    main([*args, "--set", "gtp.lcb_visit_fraction=0", "--set", "search.c_init=2"])
    assert engines and engines[0].endswith("gtp.lcb_visit_fraction=0 search.c_init=2")
    for bad, named in (("gtp.lcb_visit_fraction=2", "lcb_visit_fraction"), ("gtp.no_such_key=1", "no_such_key")):
        with pytest.raises(SystemExit) as exit_info:
            main([*args, "--set", bad])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and err.strip().count("\n") == 0 and named in err
    assert len(engines) == 1  # the bad settings started nothing


@pytest.mark.parametrize("command", [["ladder", "--model", "go9"], ["match", "gnugo", "gnugo"]])
@pytest.mark.parametrize("cap", ["-2", "ten"])
def test_a_bad_move_cap_is_refused_naming_the_flag_before_anything_starts(command, cap, capsys):
    from zero.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--max-moves", cap])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert exit_info.value.code == 2 and "--max-moves" in err and cap in err
