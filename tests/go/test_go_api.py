"""The public game API around the rules: coordinates, diagrams, SGF round trips and errors, the rollout evaluator, `zero bench board`."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from games.go import (
    BLACK,
    WHITE,
    GoGame,
    GoSearchBatch,
    IllegalMoveError,
    RolloutEvaluator,
    SgfError,
    coords,
    game_from_sgf,
    game_to_sgf,
    new_game,
)


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
    game = GoGame.from_diagram(
        """
        . . . . .
        . X . . .
        . . . O .
        . . . . .
        . . . . .""",
        komi=6,
    )
    game.player_names = {BLACK: "alice", WHITE: "bob"}
    for vertex in ("C3", "D2", "pass", "B2", "pass", "pass"):
        game.play(vertex)
    text = game_to_sgf(game)
    assert "AB[bb]" in text and "AW[dc]" in text and "PB[alice]" in text and "KM[6]" in text
    again = game_from_sgf(text)
    assert again.moves == game.moves and again.komi == 6 and again.player_names == game.player_names
    assert np.array_equal(again.stones(), game.stones()) and again.result() == game.result()
    resigned = new_game(9)
    resigned.play("E5")
    resigned.resign()
    assert "RE[B+R]" in game_to_sgf(resigned) and game_from_sgf(game_to_sgf(resigned)).result() == "B+R"


def test_sgf_rules_and_bad_records():
    assert game_from_sgf("(;GM[1]FF[4]SZ[13]KM[0.5]RU[Chinese (simple ko)];B[dd])").rules.superko == "simple"
    assert game_from_sgf("(;SZ[13]KM[7];B[dd])").rules.komi == 7
    for bad in ("not sgf", "(;SZ[9]KM[abc])", "(;SZ[25])", "(;SZ[9];B[ee];W[ee])"):
        with pytest.raises(SgfError):
            game_from_sgf(bad)
    # another game's record (GM[2] is Othello) is refused, not replayed as Go; no GM means Go (FF[4])
    for other_game in ("(;GM[2]SZ[8];B[dd])", "(;GM[xx]SZ[9];B[dd])"):
        with pytest.raises(SgfError, match=r"not a Go record: GM\[.*\] \(Go is GM\[1\]\)"):
            game_from_sgf(other_game)
    assert game_from_sgf("(;GM[1]SZ[9];B[dd])").moves == game_from_sgf("(;SZ[9];B[dd])").moves


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
    won = GoGame.from_diagram(
        """
        . X . X .
        X X X X X
        . X . X .
        X X X X X
        . X . X .""",
        komi=7.5,
    )  # Black owns the board
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
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "bench", "board", "--size", "5", "--seconds", "0.2", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out)
    assert result["size"] == 5 and result["playouts_per_s"] > 0 and result["moves_per_s"] > result["playouts_per_s"]


def test_bench_board_runs_pachi_with_the_given_playout_cap(tmp_path):
    calls = tmp_path / "calls.txt"
    fake = tmp_path / "pachi"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdin.read()\n"
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\nprint('= D4')\n"
    )
    fake.chmod(0o755)
    argv = [sys.executable, "-m", "zero.cli", "bench", "board", "--size", "5", "--seconds", "0.2", "--rounds", "1"]
    argv += ["--pachi", str(fake), "--pachi-playouts", "100", "--json"]
    default = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    capped = json.loads(
        subprocess.run([*argv, "--pachi-gamelen", "75"], capture_output=True, text=True, check=True).stdout
    )
    assert default["pachi_gamelen"] is None and capped["pachi_gamelen"] == 75 and "ratio_cpu" in capped
    assert calls.read_text().splitlines() == [
        "-e montecarlo --nopatterns --nojoseki --nodcnn -t =100 playout=light",
        "-e montecarlo --nopatterns --nojoseki --nodcnn -t =200 playout=light",
        "-e montecarlo --nopatterns --nojoseki --nodcnn -t =100 playout=light,gamelen=75",
        "-e montecarlo --nopatterns --nojoseki --nodcnn -t =200 playout=light,gamelen=75",
    ]


def test_playout_kernel_benchmark(benchmark):
    from games.go import _kernels as K
    from games.go.game import zobrist_table

    moves, black_wins = benchmark(K.bench_playouts, 9, 200, 243, zobrist_table(9), 7)
    assert 50 * 200 < moves < 243 * 200 and 0 < black_wins < 200


def test_vertices_take_ascii_digits_only():
    game = new_game(9)
    game.play("E5")
    before = (game.stones(), list(game.moves), game.to_move)
    for vertex in ("E５", "E４", "E²", "E０"):  # full-width and superscript digits: int() accepts some of them
        with pytest.raises(coords.CoordinateError, match="malformed vertex"):
            game.play(vertex)
        assert not isinstance(
            pytest.raises(coords.CoordinateError, coords.from_gtp, vertex, 9).value, coords.OffBoardError
        )
    after = (game.stones(), list(game.moves), game.to_move)
    assert np.array_equal(before[0], after[0]) and before[1:] == after[1:]


def test_setup_refuses_occupied_points_and_non_indices():
    game = new_game(9)
    game.setup([0], [])
    for black, white in (([1], [1]), ([1, 1], []), ([0], []), ([], [0]), ([0.5], []), ([None], []), ([True], [])):
        with pytest.raises(ValueError):
            game.setup(black, white)
        assert (
            game.setup_stones == {BLACK: [0], WHITE: []} and game.stones().sum() == 1 and not game.consistency_errors()
        )


def test_sgf_setup_and_off_board_errors_are_clear():
    with pytest.raises(SgfError, match="both in AB and AW"):
        game_from_sgf("(;SZ[9]AB[aa]AW[aa])")
    for text, where in (("(;SZ[9];B[ee];W[jj])", "node 2"), ("(;SZ[9]AB[jj])", r"setup stones \(AB/AW\)")):
        with pytest.raises(SgfError, match=rf"SGF {where}: .*off the 9x9 board"):
            game_from_sgf(text)


def test_sgf_handicap_game_starts_with_white_to_move():
    game = game_from_sgf("(;FF[4]SZ[13]HA[2]KM[0.5]AB[dd][jj]PL[W];W[cc](;B[dc];W[cd])(;B[aa]))")
    assert game.to_move == BLACK and game.moves[0] == (WHITE, coords.from_gtp("C11", 13))
    while game.moves:
        game.undo()
    assert game.to_move == WHITE  # the position before move 1: White (PL[W]) to play
    text = game_to_sgf(game)
    assert "PL[W]" in text and game_from_sgf(text).to_move == WHITE
    assert game_to_sgf(game_from_sgf("(;SZ[9]AB[cc][gg];W[ee])")).count("PL[W]") == 1  # no PL: the first mover
    assert game_to_sgf(game_from_sgf("(;SZ[9];B[ee])")).count("PL[") == 0


def test_rules_refuse_infinite_komi():
    from games.go import GoRules

    for komi in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(ValueError, match="komi"):
            GoRules(komi=komi).validate()


def test_bench_board_refuses_nan_seconds():
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "bench", "board", "--seconds", "nan"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and out.stderr.startswith("zero: error: --seconds") and out.stdout == ""


def test_chains_come_from_the_board_and_dead_stones_leave_the_count():
    game = GoGame.from_diagram(
        """
        X X . O .
        . X . O .
        . . . . .
        O . . X X
        . . . . .""",
        komi=0.5,
    )
    assert sorted(game.chains()) == [[0, 1, 6], [3, 8], [15], [18, 19]]
    without = GoGame.from_diagram(
        """
        X X . O .
        . X . O .
        . . . . .
        . . . X X
        . . . . .""",
        komi=0.5,
    )
    assert game.area_score(dead=[15]) == without.area_score() != game.area_score()
    assert game.stones()[3, 0] == WHITE  # the game itself keeps the stone


def test_playout_ownership_sees_a_lone_stone_die_in_a_living_group():
    from games.go import playout_ownership

    game = GoGame.from_diagram(
        """
        . X . X .
        X X X X X
        X . O . X
        X X X X X
        . X . X .""",
        to_move="W",
        komi=0.5,
    )
    own = playout_ownership(game, 64, seed=3)
    assert own.shape == (25,) and np.all(np.abs(own) <= 1)
    assert np.array_equal(own, playout_ownership(game, 64, seed=3))  # a seed fixes the playouts
    assert own[12] > 0.9 and own[6] > 0.9  # the white stone dies, black owns its point and keeps its own
