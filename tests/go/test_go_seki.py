"""Seki at the end of a game, on board diagrams: the classic two-group seki, the one-eye-each seki, and positions that only look alike (a capturing race, plain dame)."""

from games.go import GoGame, from_gtp
from games.go.seki import seki_points, seki_stones

# Bottom-left: White's four stones (A1 B1 A2 B2) and Black's six (A3-D3, D2, D1) share C1 and C2 and
# have no eye: whoever plays there is captured, so neither does. Outside, a White wall (rows 4-5, E1-E3)
# with territory on the right, and a Black wall on row 6 with the top as its area.
TWO_GROUP_SEKI = """
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    X X X X X X X X X
    O O O O O O O O O
    O O O O O . . . .
    X X X X O . . . .
    O O . X O . . . .
    O O . X O . . . ."""


def points(*vertices: str) -> list[int]:
    return sorted(from_gtp(v, 9) for v in vertices)


def test_classic_two_group_seki_is_found():
    game = GoGame.from_diagram(TWO_GROUP_SEKI)
    assert sorted(seki_points(game)) == points("C1", "C2")
    assert seki_stones(game) == points("A1", "B1", "A2", "B2", "A3", "B3", "C3", "D3", "D2", "D1")


def test_one_eye_each_with_one_shared_liberty_is_seki():
    # Black has the eye A1, White the eye E1; C1 is shared: filling it leaves the filler one liberty.
    game = GoGame.from_diagram("""
        X X X O O O
        X X X O O O
        X X X O O O
        X X X O O O
        X X X O O O
        . X . O . O""")
    assert seki_points(game) == [game.action("C1")]  # the eyes touch one colour each
    assert len(seki_stones(game)) == 33  # every stone on this board lives in seki
    assert game.area_score() == 17 - 18 - game.komi  # 16 stones + eye A1, 17 stones + eye E1; C1 is nobody's


def test_a_capturing_race_that_one_side_wins_is_not_seki():
    # Same shape, but White's group has an extra liberty at A1: Black cannot approach, White can (C2 leaves it two).
    game = GoGame.from_diagram(
        TWO_GROUP_SEKI.replace(
            "    O O . X O . . . .\n    O O . X O . . . .", "    O O . X O . . . .\n    . O . X O . . . ."
        )
    )
    assert seki_points(game) == []


def test_dame_between_living_groups_is_not_seki():
    game = GoGame.from_diagram("""
        X X X . O O O
        X . X . O . O
        X X X . O O O
        . . . . . . .
        . . . . . . .
        . . . . . . .
        . . . . . . .""")
    assert seki_points(game) == [] and seki_stones(game) == []


def test_dead_stones_are_taken_off_first():
    # A dead black stone inside White's area changes nothing; taken off, the seki remains.
    game = GoGame.from_diagram(TWO_GROUP_SEKI.replace("O O O O O . . . .", "O O O O O . . X ."))
    assert seki_stones(game, dead=points("H4")) == points("A1", "B1", "A2", "B2", "A3", "B3", "C3", "D3", "D2", "D1")
