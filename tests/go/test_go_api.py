"""The public game API around the rules: coordinates, diagrams, SGF round trips and errors, the rollout evaluator, `zero bench board`."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from games.go import BLACK, WHITE, GoGame, GoSearchBatch, IllegalMoveError, RolloutEvaluator, SgfError, new_game
from games.go import coords


def test_coordinate_systems_agree():
    N = 19
    assert coords.from_gtp("A19", N) == 0 and coords.from_gtp("T1", N) == N * N - 1
    assert coords.from_gtp("J10", N) == 9 * N + 8  # J is the 9th column: no I
    assert coords.from_gtp("d4", 9) == coords.from_gtp("D4", 9) == 5 * 9 + 3
    assert coords.to_sgf(coords.from_gtp("D16", N), N) == "dd"
    assert coords.from_sgf("aa", N) == 0 and coords.from_sgf("", N) == N * N and coords.from_sgf("tt", N) == N * N
    for a in range(9 * 9 + 1):
        assert coords.from_gtp(coords.to_gtp(a, 9), 9) == a
        assert coords.from_sgf(coords.to_sgf(a, 9), 9) == a
        assert coords.from_sgfmill(coords.to_sgfmill(a, 9), 9) == a
    with pytest.raises(coords.CoordinateError):
        coords.from_sgf("a", 9)


def test_diagram_round_trip_with_coordinates():
    game = new_game(5)
    game.play("A1")
    game.play("E5")
    text = game.diagram(coordinates=True)
    assert text.splitlines()[0] == " 5 . . . . O" and text.splitlines()[-1] == "   A B C D E"
    again = GoGame.from_diagram(text)
    assert np.array_equal(again.stones(), game.stones())
    with pytest.raises(ValueError):
        GoGame.from_diagram("X O\n. . .")
    with pytest.raises(ValueError, match="without liberties"):
        GoGame.from_diagram("X O\nO .")


def test_sgf_round_trip_keeps_setup_players_moves_and_result():
    game = GoGame.from_diagram("""
        . . . . .
        . X . . .
        . . . O .
        . . . . .
        . . . . .""", komi=6)
    game.player_names = {BLACK: "alice", WHITE: "bob"}
    for vertex in ("C3", "D2", "pass", "B2", "pass", "pass"):
        game.play(vertex)
    text = game.to_sgf()
    assert "AB[bb]" in text and "AW[dc]" in text and "PB[alice]" in text and "KM[6]" in text
    again = GoGame.from_sgf(text)
    assert again.moves == game.moves and again.komi == 6 and again.player_names == game.player_names
    assert np.array_equal(again.stones(), game.stones()) and again.result() == game.result()
    resigned = new_game(9)
    resigned.play("E5")
    resigned.resign()
    assert "RE[B+R]" in resigned.to_sgf() and GoGame.from_sgf(resigned.to_sgf()).result() == "B+R"


def test_sgf_rules_and_bad_records():
    assert GoGame.from_sgf("(;GM[1]FF[4]SZ[13]KM[0.5]RU[Chinese (simple ko)];B[dd])").rules.superko == "simple"
    assert GoGame.from_sgf("(;SZ[13]KM[7];B[dd])").rules.komi == 7
    for bad in ("not sgf", "(;SZ[9]KM[abc])", "(;SZ[25])", "(;SZ[9];B[ee];W[ee])"):
        with pytest.raises(SgfError):
            GoGame.from_sgf(bad)


def test_illegal_moves_change_nothing():
    game = new_game(9)
    game.play("E5")
    before = (game.stones(), game.hash, game.to_move, list(game.moves), game.legal_mask())
    for move in ("E5", 81 + 5, "Z3", "I3"):
        with pytest.raises(ValueError):
            game.play(move)
    after = (game.stones(), game.hash, game.to_move, list(game.moves), game.legal_mask())
    assert np.array_equal(before[0], after[0]) and before[1:4] == after[1:4] and np.array_equal(before[4], after[4])
    assert issubclass(IllegalMoveError, ValueError)


def test_rollout_evaluator_values_a_won_position():
    won = GoGame.from_diagram("""
        . X . X .
        X X X X X
        . X . X .
        X X X X X
        . X . X .""", komi=7.5)  # Black owns the board
    evaluator = RolloutEvaluator(5, 7.5, rollouts=8, seed=3)
    planes, *_ = GoSearchBatch([won]).root_inputs()
    priors, values = evaluator.evaluate(planes)
    assert priors.shape == (1, 26) and priors.dtype == np.float32 and np.allclose(priors, 1 / 26)
    assert values.dtype == np.float32 and values[0] == 1.0  # Black to move has won
    won.play_pass()
    planes, *_ = GoSearchBatch([won]).root_inputs()
    assert evaluator.evaluate(planes)[1][0] == -1.0  # White to move has lost
    empty = RolloutEvaluator(9, 7.5, rollouts=4).evaluate(new_game(9).planes()[None].repeat(6, 0))[1]
    assert empty.shape == (6,) and np.all(np.abs(empty) <= 1)


def test_bench_board_json():
    out = subprocess.run([sys.executable, "-m", "zero.cli", "bench", "board", "--size", "5", "--seconds", "0.2", "--json"],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert result["size"] == 5 and result["playouts_per_s"] > 0 and result["moves_per_s"] > result["playouts_per_s"]


def test_playout_kernel_benchmark(benchmark):
    from games.go import _kernels as K
    from games.go.game import zobrist_table

    moves, black_wins = benchmark(K.bench_playouts, 9, 200, 243, zobrist_table(9), 7)
    assert 50 * 200 < moves < 243 * 200 and 0 < black_wins < 200
