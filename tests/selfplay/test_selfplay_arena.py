"""Arena matches and the Elo table, on tic-tac-toe with a perfect (minimax) evaluator; no Ray."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from games.tictactoe import TicTacToe, best_actions, solve
from mcts import SearchParams
from selfplay.adapters import make_adapter
from selfplay.arena import EloTable, RandomMoveEvaluator, play_match
from zero.common.stats import elo_clipped

ROOT = Path(__file__).resolve().parents[2]


class PerfectEvaluator:
    """Minimax as an evaluator: priors on the optimal moves, the solved value for the player to move."""

    def evaluate(self, planes: np.ndarray):
        priors = np.full((len(planes), 9), 1e-3, np.float32)
        values = np.zeros(len(planes), np.float32)
        for i, p in enumerate(planes):
            to_move = 1 if p[2, 0, 0] > 0.5 else 2  # plane 2: ones when X is to move
            board = (p[0] * to_move + p[1] * (3 - to_move)).reshape(9).astype(np.int8)
            position = TicTacToe(board, to_move)
            values[i] = solve(position)
            if not position.is_over():
                priors[i, best_actions(position)] = 1.0
        return priors, values


SEARCH = SearchParams(simulations=16, leaves_per_step=2)


def test_perfect_player_never_loses_to_random_moves_and_draws_itself():
    adapter = make_adapter("tictactoe")
    vs_random = play_match(
        adapter,
        SEARCH,
        PerfectEvaluator(),
        RandomMoveEvaluator(9, has_pass=False, seed=1),
        games=20,
        simulations=16,
        simulations_b=1,
        seed=0,
    )
    assert vs_random.games == 20 and vs_random.losses == 0 and vs_random.wins >= 10
    mirror = play_match(
        adapter, SEARCH, PerfectEvaluator(), PerfectEvaluator(), games=6, simulations=16, temperature_moves=0, seed=0
    )
    assert mirror.draws == 6  # tic-tac-toe is a draw with perfect play, whoever starts


def test_random_player_loses_as_either_colour():
    adapter = make_adapter("tictactoe")
    # B (random) plays first in half of the games: a loss-free perfect A means it lost or drew every time
    result = play_match(
        adapter,
        SEARCH,
        RandomMoveEvaluator(9, False, 2),
        PerfectEvaluator(),
        games=10,
        simulations=1,
        simulations_b=16,
        seed=3,
    )
    assert result.wins == 0 and result.losses >= 5


def test_elo_difference_is_antisymmetric_and_finite_at_the_extremes():
    assert elo_clipped(0.5, 10) == 0.0
    assert elo_clipped(0.75, 20) == pytest.approx(-elo_clipped(0.25, 20))
    assert elo_clipped(0.75, 20) == pytest.approx(400 * np.log10(3))
    assert np.isfinite(elo_clipped(1.0, 20)) and elo_clipped(1.0, 20) > elo_clipped(0.95, 20)


def test_elo_table_chains_through_previous_versions_and_survives_a_round_trip():
    table = EloTable()

    def match(score):
        return {"score": score, "elo": elo_clipped(score, 20)}

    table.add({"version": 5, "vs_baseline": match(0.75), "previous": 0, "vs_previous": match(0.9)})
    table.add({"version": 10, "vs_baseline": match(0.9), "previous": 5, "vs_previous": match(0.75)})
    rows = EloTable.from_dict(table.as_dict()).rows
    assert rows[5]["chained"] == pytest.approx(elo_clipped(0.75, 20))  # version 0 was never rated
    assert rows[10]["chained"] == pytest.approx(rows[5]["chained"] + elo_clipped(0.75, 20))
    assert table.latest() == pytest.approx(elo_clipped(0.9, 20))
    assert table.latest_chained() == pytest.approx(rows[10]["chained"])
    assert EloTable().latest() is None and EloTable().latest_chained() is None


def test_strength_command_reports_both_opponents_and_refuses_bad_input(tmp_path, capsys):
    import json

    from selfplay.arena import main
    from selfplay.builders import build_adapter, build_model
    from selfplay.config import load_config
    from zero.nn.checkpoint import save_checkpoint

    tiny = str(ROOT / "configs" / "tiny.toml")
    config = load_config(tiny)
    save_checkpoint(tmp_path / "ckpt", build_model(config, build_adapter(config), seed=0), step=10, model_version=3)
    args = ["--config", tiny, "--model", str(tmp_path / "ckpt"), "--games", "4", "--simulations", "4"]
    assert main(args + ["arena.baseline_rollouts=2"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model_version"] == 3 and report["baseline_rollouts"] == 2
    for opponent in ("vs_random", "vs_mcts_baseline"):
        r = report[opponent]
        assert r["wins"] + r["losses"] + r["draws"] == 4
    assert main(args + ["arena.no_such_key=1"]) == 2  # a bad override names the field, one line, nothing played
    assert "no_such_key" in capsys.readouterr().err
    assert main(["--config", str(ROOT / "configs" / "tictactoe.toml"), *args[2:]]) == 2  # a 5x5 Go net for tic-tac-toe
    err = capsys.readouterr().err
    assert "checkpoint is for" in err and len(err.strip().splitlines()) == 1
    assert main(args[:2] + ["--model", str(tmp_path / "missing"), *args[4:]]) == 2
    assert "no such checkpoint" in capsys.readouterr().err


def test_searching_players_never_fill_their_own_eye_and_pass_when_only_eyes_were_visited():
    from games.go import GoGame, GoRules
    from selfplay.adapters import GoAdapter
    from selfplay.arena import _without_own_eye_moves

    adapter = GoAdapter(GoRules(size=5, komi=0.5))
    game = GoGame.from_diagram(
        """
        . X . . .
        X X . . .
        . . . . .
        . . . . O
        . . . O .
        """
    )  # Black to move: A5 (0) is Black's eye
    visits = np.zeros((2, 26), np.int32)
    visits[0, [0, 12]] = [9, 3]  # the eye is the most visited move
    visits[1, 0] = 5  # only the eye was visited
    out = _without_own_eye_moves(adapter, [game, game.copy()], visits)
    assert out[0].tolist() == [0] + visits[0, 1:].tolist()  # the eye dropped, the next best kept
    assert out[1, 0] == 0 and out[1, 25] == 1 and out[1].sum() == 1  # nothing else visited: pass
    assert visits[0, 0] == 9  # the caller's visits are left alone
    white_to_move = GoGame.from_diagram("\n".join([". X . . ."] + [". . . . ."] * 4), to_move="W")
    unchanged = _without_own_eye_moves(adapter, [white_to_move, white_to_move], visits)
    assert (unchanged == visits).all()  # no eye of the side to move: nothing changes


def test_match_applies_the_eye_rule_only_to_the_players_asked():
    from games.go import GoRules
    from selfplay.adapters import GoAdapter

    class CountingGo(GoAdapter):
        def __init__(self, rules):
            super().__init__(rules)
            self.asked_for = []

        def own_eye_moves(self, game):
            self.asked_for.append(game.to_move)
            return super().own_eye_moves(game)

    params = SearchParams(simulations=4, leaves_per_step=2)
    for rule, asked in (((True, False), {1}), ((False, True), {2}), ((False, False), set()), ((True, True), {1, 2})):
        adapter = CountingGo(GoRules(size=5, komi=0.5, max_moves=12))
        random_a, random_b = RandomMoveEvaluator(26, True, 1), RandomMoveEvaluator(26, True, 2)
        play_match(adapter, params, random_a, random_b, games=1, simulations=4, keeps_own_eyes=rule)
        assert set(adapter.asked_for) == asked  # A is Black in the single game


@pytest.mark.gnugo
@pytest.mark.slow
def test_gnugo_rung_plays_a_version_against_gnugo_and_anchors_level_10():
    import os
    import shutil

    if not (shutil.which("gnugo") or os.path.exists("/usr/games/gnugo")):
        if os.environ.get("ZERO_REQUIRE_GNUGO") == "1":
            pytest.fail("gnugo is required (ZERO_REQUIRE_GNUGO=1) but not installed")
        pytest.skip("gnugo is not installed")
    from selfplay.arena import gnugo_rung
    from selfplay.builders import build_model, numpy_weights
    from selfplay.config import load_config

    # on 9x9: GNU Go level 10 = 1800 is a 9x9 rating, and a rung on another board has no anchored rating
    rung = ["arena.gnugo_level=10", "arena.gnugo_games=2", "arena.gnugo_visits=4"]
    small = load_config("configs/tiny.toml", rung)
    assert (
        small.go.size != 9
        and gnugo_rung(small, 7, numpy_weights(build_model(small, seed=0).state_dict()))["anchored_high"] is None
    )
    config = load_config("configs/tiny.toml", [*rung, "go.size=9"])
    result = gnugo_rung(config, 7, numpy_weights(build_model(config, seed=0).state_dict()))
    assert result["version"] == 7 and result["rung"] == "gnugo:10" and result["games"] == 2
    assert result["wins"] + result["losses"] + result["draws"] == 2 and result["illegal_moves"] == 0
    assert result["anchored_low"] is not None or result["anchored_high"] is not None  # rated on 9x9
    if result["wins"] == 0:  # an untrained net: no lower bound; the upper one where 2 log(1 - E) drops by 1.92
        import math

        p = 1 - math.exp(-1.920729410347062 / 2)
        assert result["anchored_elo"] is None and result["anchored_low"] is None
        assert result["anchored_high"] == pytest.approx(1800 + 400 * math.log10(p / (1 - p)), abs=0.5)


def test_gnugo_rung_settings_are_validated():
    from selfplay.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="gnugo_level"):
        load_config("configs/tiny.toml", ["arena.gnugo_level=11"])
