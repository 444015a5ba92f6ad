"""Go rules on board diagrams with GTP coordinates: captures, suicide, ko, snapback, superko, seki, scoring, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import BLACK, WHITE, CoordinateError, GoGame, IllegalMoveError, new_game
from games.go.coords import parse_diagram


def board(game: GoGame) -> str:
    return game.diagram()


def same_board(game: GoGame, expected: str) -> bool:
    rows = parse_diagram(expected)
    return np.array_equal(game.stones(), np.array(rows, np.int8))


def test_corner_capture_of_a_single_stone():
    game = GoGame.from_diagram(
        """
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        O . . . .""",
        to_move="B",
    )
    assert game.play("B1") == 1
    assert same_board(
        game,
        """
        . . . . .
        . . . . .
        . . . . .
        X . . . .
        . X . . .""",
    )
    assert game.captures == {BLACK: 0, WHITE: 1}


def test_one_move_captures_two_groups_on_the_edge():
    game = GoGame.from_diagram(
        """
        . . . . .
        . . . . .
        X X . X X
        O O . O O
        X X . X X""",
        to_move="B",
    )
    assert game.play("C2") == 4
    assert same_board(
        game,
        """
        . . . . .
        . . . . .
        X X . X X
        . . X . .
        X X . X X""",
    )
    assert game.consistency_errors() == []


def test_single_and_multi_stone_suicide_are_illegal():
    game = GoGame.from_diagram(
        """
        O . X . .
        X X . . .
        . . . . .
        . . . . .
        . . . . O""",
        to_move="W",
    )
    before = game.stones()
    with pytest.raises(IllegalMoveError) as info:
        game.play("B5")  # joins A5: the two stones would have no liberty
    assert info.value.reason == "suicide"
    assert np.array_equal(game.stones(), before) and game.move_number == 0 and game.to_move == WHITE
    corner = GoGame.from_diagram(
        """
        . X . . .
        X . . . .
        . . . . .
        . . . . .
        . . . . .""",
        to_move="W",
    )
    assert corner.verdict("A5") == "suicide"
    assert not corner.legal_mask()[corner.action("A5")]


def test_capture_that_looks_like_suicide_is_legal():
    game = GoGame.from_diagram(
        """
        . X O . .
        X O . . .
        O . . . .
        . . . . .
        . . . . .""",
        to_move="W",
    )
    assert game.is_legal("A5")
    assert game.play("A5") == 2
    assert same_board(
        game,
        """
        O . O . .
        . O . . .
        O . . . .
        . . . . .
        . . . . .""",
    )


KO = """
    . . . . . . .
    . X O . . . .
    X O . O . . .
    . X O . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . ."""


def test_ko_cannot_be_retaken_at_once_but_can_after_a_threat():
    game = GoGame.from_diagram(KO, to_move="B")
    assert game.play("C5") == 1  # takes the ko
    assert game.verdict("B5") == "ko"
    with pytest.raises(IllegalMoveError, match="ko"):
        game.play("B5")
    game.play("G1")  # White's threat
    game.play("G2")  # Black answers
    assert game.play("B5") == 1  # White retakes
    assert game.verdict("C5") == "ko"  # and now Black must wait


@pytest.mark.parametrize("superko", ["positional", "simple"])
def test_passes_clear_the_ko_ban_but_not_superko(superko):
    game = GoGame.from_diagram(KO, to_move="B", superko=superko)
    game.play("C5")
    game.play_pass()
    game.play_pass()  # both passed: over, but a move resumes the game (GTP clients do that)
    assert game.is_over
    # Retaking now would recreate the start position: only positional superko forbids it.
    assert game.verdict("B5") == (None if superko == "simple" else "superko")


def test_snapback():
    game = GoGame.from_diagram(
        """
        . . . . .
        . . . . .
        O O O O .
        X X X O .
        . . X O .""",
        to_move="W",
    )
    assert game.play("B1") == 0  # throw-in
    assert game.play("A1") == 1  # Black captures one stone...
    assert game.ko_point is None  # ...into a chain of five, so it is no ko
    assert game.play("B1") == 5  # ...and White captures five
    assert same_board(
        game,
        """
        . . . . .
        . . . . .
        O O O O .
        . . . O .
        . O . O .""",
    )


TRIPLE_KO = """
    . X O . . . X O .
    X O . O . X . X O
    . X O . . . X O .
    . . . . . . . . .
    . X O . . . . . .
    X O . O . . . . .
    . X O . . . . . .
    . . . . . . . . .
    . . . . . . . . ."""
TRIPLE_KO_CYCLE = ["C8", "G8", "C4", "B8", "H8"]  # the sixth move, W B4, recreates the start position


@pytest.mark.parametrize("superko", ["positional", "simple"])
def test_triple_ko_cycle(superko):
    game = GoGame.from_diagram(TRIPLE_KO, to_move="B", superko=superko)
    start = game.stones()
    for vertex in TRIPLE_KO_CYCLE:
        assert game.play(vertex) == 1
    if superko == "positional":
        assert game.verdict("B4") == "superko"
        assert not game.legal_mask()[game.action("B4")]
        with pytest.raises(IllegalMoveError) as info:
            game.play("B4")
        assert info.value.reason == "superko"
        assert game.move_number == 5
    else:
        assert game.play("B4") == 1
        assert np.array_equal(game.stones(), start)


SEKI = """
    X X . O O
    X X . O O
    X X X O O
    X X X O O
    X X X O O"""


def test_seki_liberties_are_neutral_and_integer_komi_draws():
    game = GoGame.from_diagram(SEKI, to_move="B", komi=3)
    assert game.is_legal("C5")  # self-atari is legal, just bad
    game.play_pass()
    game.play_pass()
    assert game.is_over
    assert game.ownership()[0, 2] == 0 and game.ownership()[1, 2] == 0
    assert game.area_score() == 13 - 10 - 3 == 0
    assert game.result() == "0" and game.winner() is None
    white = GoGame.from_diagram(SEKI, to_move="B", komi=7.5)
    assert white.result() == "W+4.5"


def test_empty_region_touching_one_colour_is_territory():
    game = GoGame.from_diagram(
        """
        . . X . .
        . . X . .
        X X X . .
        . . . . .
        . . . . .""",
        komi=0,
    )
    # Black: 5 stones + 4 enclosed points; the outer region touches only black too.
    assert game.area_score() == 25
    game.play("D3", color="white")
    assert game.area_score() == 9 - 1


def test_occupied_and_off_board_and_malformed_vertices():
    game = new_game(9)
    game.play("E5")
    with pytest.raises(IllegalMoveError) as info:
        game.play("e5")
    assert info.value.reason == "occupied"
    for vertex in ("T19", "A10", "K1"):  # K1 is off a 9x9 board, which ends at J
        with pytest.raises(IllegalMoveError) as info:
            game.play(vertex)
        assert info.value.reason == "off board"
    with pytest.raises(IllegalMoveError):
        game.play(82)
    for vertex in ("I5", "E", "55", "", "E5x", "pas"):
        with pytest.raises(CoordinateError):
            game.play(vertex)
    assert game.move_number == 1 and game.to_move == WHITE


def test_two_passes_end_and_resign_refuses_moves():
    game = new_game(5, komi=0.5)
    game.play("C3")
    game.play("pass")
    assert not game.is_over
    game.play("PASS")
    assert game.is_over and game.result() == "B+24.5"
    game.undo()
    assert not game.is_over
    game.resign()  # Black to move resigns
    assert game.result() == "W+R" and game.winner() == WHITE
    assert game.verdict("A1") == "game over"
    game.undo()
    assert game.resigned is None and game.is_legal("A1")


def test_move_limit_ends_the_game():
    game = new_game(3, max_moves=4)
    for vertex in ("A1", "C3", "A3", "C1"):
        game.play(vertex)
    assert game.is_over
    assert not game.legal_mask().any()
    with pytest.raises(IllegalMoveError, match="game over"):
        game.play("B2")


def test_rules_validation_names_the_field():
    from games.go import GoRules

    for kwargs, field in (
        ({"size": 1}, "size"),
        ({"size": 20}, "size"),
        ({"superko": "situational"}, "superko"),
        ({"max_moves": -1}, "max_moves"),
        ({"komi": float("nan")}, "komi"),
    ):
        with pytest.raises(ValueError, match=f"^{field}"):
            GoRules(**kwargs).validate()
    assert GoRules(size=19).move_limit == 722


def test_a_game_without_undo_snapshots_plays_the_same_and_refuses_undo():
    rng = np.random.default_rng(4)
    with_undo, without = GoGame(new_game(7).rules), GoGame(new_game(7).rules, undo=False)
    while not with_undo.is_over:
        legal = with_undo.legal_moves()
        move = legal[rng.integers(len(legal))] if rng.random() < 0.97 else legal[-1]
        assert with_undo.play(move) == without.play(move)
        assert np.array_equal(with_undo.chain, without.chain) and np.array_equal(with_undo.meta, without.meta)
        assert np.array_equal(with_undo.legal_mask(), without.legal_mask())
    stones = without.stones().copy()
    with pytest.raises(ValueError, match="undo is off"):
        without.undo()
    assert np.array_equal(without.stones(), stones) and without.move_number == with_undo.move_number
    with_undo.undo()
    assert with_undo.move_number == without.move_number - 1


@pytest.mark.parametrize("undo", [True, False])
def test_every_refused_move_leaves_the_game_exactly_as_it_was(undo):
    rng = np.random.default_rng(11)
    game = GoGame(new_game(5).rules, undo=undo)
    refused = set()
    while not game.is_over:
        before = (game.color.copy(), game.chain.copy(), game.empties.copy(), game.meta.copy(), len(game.positions))
        for a in np.flatnonzero(~game.legal_mask()[:-1]):
            with pytest.raises(IllegalMoveError) as error:
                game.play(int(a))
            refused.add(error.value.reason)
            assert np.array_equal(game.color, before[0]) and np.array_equal(game.chain, before[1])
            assert np.array_equal(game.empties, before[2]) and np.array_equal(game.meta, before[3])
            assert len(game.positions) == before[4] and game.consistency_errors() == []
        legal = game.legal_moves()
        game.play(legal[rng.integers(len(legal) - 1)] if len(legal) > 1 and rng.random() < 0.95 else legal[-1])
    assert {"occupied", "suicide"} <= refused
    with pytest.raises(IllegalMoveError, match="game over"):
        game.play_pass()
