"""Tic-tac-toe rules, replay kernel and exact solver, against hand-known positions."""

import numpy as np
import pytest

from games.tictactoe import (
    IllegalMoveError,
    RolloutEvaluator,
    TicTacToe,
    TicTacToeBatch,
    action_values,
    best_actions,
    cell,
    cell_name,
    solve,
)
from games.tictactoe._kernels import O, X


def test_cell_names_round_trip_and_corners():
    assert cell("a1") == 0 and cell("c1") == 2 and cell("b2") == 4 and cell("c3") == 8
    assert [cell_name(a) for a in range(9)] == ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"]
    with pytest.raises(ValueError, match="cell name"):
        cell("d1")


def test_diagram_round_trip_and_side_to_move():
    pos = TicTacToe.from_diagram("""
        X O .
        . X .
        . . .""")
    assert pos.to_move == O
    assert TicTacToe.from_diagram(pos.diagram()).key() == pos.key()


def test_lines_win_and_full_board_draws():
    row = TicTacToe.from_diagram("X X X\nO O .\n. . .")
    assert row.winner() == X and row.is_over() and row.to_move == O and row.result() == -1
    diagonal = TicTacToe.from_diagram("O X X\n. O X\n. . O", to_move=X)
    assert diagonal.winner() == O and diagonal.result() == -1
    full = TicTacToe.from_diagram("X O X\nX O O\nO X X")
    assert full.winner() == 0 and full.is_over() and full.result() == 0 and full.legal_actions() == []


def test_illegal_moves_raise_and_change_nothing():
    pos = TicTacToe.from_diagram("X . .\n. . .\n. . .")
    before = pos.key()
    for bad in (cell("a1"), 9, -1):
        with pytest.raises(IllegalMoveError):
            pos.play(bad)
    assert pos.key() == before
    over = TicTacToe.from_diagram("X X X\nO O .\n. . .")
    with pytest.raises(IllegalMoveError, match="over"):
        over.play(cell("c2"))


def test_solver_knows_the_classic_results():
    assert solve(TicTacToe()) == 0  # perfect play draws
    # X to move with two in a row: win now.
    assert best_actions(TicTacToe.from_diagram("X X .\nO O .\n. . .")) == [cell("c1")]
    # O to move must block the a1-b2 diagonal at c3; every other move loses.
    must_block = TicTacToe.from_diagram("X . .\n. X .\nO . .")
    assert must_block.to_move == O
    assert best_actions(must_block) == [cell("c3")]
    assert all(v == -1 for a, v in action_values(must_block).items() if a != cell("c3"))
    # The corner opening answered on an edge loses for O; the centre answer draws.
    corner = TicTacToe.from_diagram("X . .\n. . .\n. . .")
    values = action_values(corner)
    assert values[cell("b2")] == 0 and values[cell("b1")] == -1


def test_replay_kernel_matches_the_python_rules():
    rng = np.random.default_rng(3)
    roots = [TicTacToe(), TicTacToe.from_diagram("X . .\n. O .\n. . X")]
    batch = TicTacToeBatch(roots)
    paths = np.full((40, 9), -1, np.int32)
    lengths = np.zeros(40, np.int32)
    index = np.zeros(40, np.int32)
    expected = []
    for leaf in range(40):
        r = int(rng.integers(2))
        pos = roots[r].copy()
        moves = []
        for _ in range(int(rng.integers(0, 7))):
            legal = pos.legal_actions()
            if not legal:
                break
            a = int(rng.choice(legal))
            pos.play(a)
            moves.append(a)
        index[leaf], lengths[leaf] = r, len(moves)
        paths[leaf, : len(moves)] = moves
        expected.append(pos)
    planes, legal, terminal, value = batch.leaf_inputs(index, paths, lengths)
    for leaf, pos in enumerate(expected):
        own = planes[leaf, 0].reshape(9) == 1
        opp = planes[leaf, 1].reshape(9) == 1
        assert np.array_equal(own, pos.board == pos.to_move)
        assert np.array_equal(opp, pos.board == 3 - pos.to_move)
        assert (planes[leaf, 2] == (1.0 if pos.to_move == X else 0.0)).all()
        assert terminal[leaf] == pos.is_over()
        assert sorted(np.flatnonzero(legal[leaf]).tolist()) == pos.legal_actions()
        if pos.is_over():
            assert value[leaf] == pos.result()


def test_rollout_values_depend_only_on_the_position():
    pos = TicTacToeBatch([TicTacToe.from_diagram("X . .\n. O .\n. . .")])
    planes, *_ = pos.root_inputs()
    evaluator = RolloutEvaluator(rollouts=16, seed=5)
    _, alone = evaluator.evaluate(planes)
    other, *_ = TicTacToeBatch([TicTacToe()]).root_inputs()
    _, mixed = evaluator.evaluate(np.concatenate([other, planes, other]))
    assert alone[0] == mixed[1]
    # A won position scores -1 for the side to move whatever the rollouts.
    lost, *_ = TicTacToeBatch([TicTacToe.from_diagram("X X X\nO O .\n. . .")]).root_inputs()
    assert evaluator.evaluate(lost)[1][0] == -1.0
