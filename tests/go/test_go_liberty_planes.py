"""The optional liberty planes (KataGo's features): stones whose chain has exactly 1, 2, 3 liberties, checked
against diagrams and against a flood fill written here; the same planes from the search's leaf replay."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.go import GoGame, GoRules
from games.go._kernels import (
    COUNTED_LIBERTIES,
    KOMI_FEATURE,
    LIBERTY_FEATURE,
    LIBERTY_PLANES,
    NUM_PLANES,
    chain_liberties,
    plane_layout,
)
from games.go.search import GoSearchBatch

POSITION = """
X X . O O
X O O X .
. X O X X
O O . X .
X . . . .
"""
# Where the planes are 1, by hand: atari (the X stones at b3 and a1), two liberties (the X corner, the O
# pair on top, the O wedge in the middle), three (the O pair on row 2); the big X chain has four (no plane).
ONE_LIBERTY = """
. . . . .
. . . . .
. 1 . . .
. . . . .
1 . . . .
"""
TWO_LIBERTIES = """
1 1 . 1 1
1 1 1 . .
. . 1 . .
. . . . .
. . . . .
"""
THREE_LIBERTIES = """
. . . . .
. . . . .
. . . . .
1 1 . . .
. . . . .
"""


def grid(text: str) -> np.ndarray:
    return np.array([[c == "1" for c in row.split()] for row in text.strip().splitlines()], np.float32)


def flood_fill_liberties(stones: np.ndarray) -> np.ndarray:
    """int[N, N]: the liberties of each stone's chain (0 on empty points), by a plain flood fill."""
    n = stones.shape[0]
    out = np.zeros((n, n), int)
    for y in range(n):
        for x in range(n):
            if stones[y, x] == 0 or out[y, x]:
                continue
            chain, libs, todo = {(y, x)}, set(), [(y, x)]
            while todo:
                cy, cx = todo.pop()
                for ny, nx in ((cy - 1, cx), (cy + 1, cx), (cy, cx - 1), (cy, cx + 1)):
                    if 0 <= ny < n and 0 <= nx < n:
                        if stones[ny, nx] == 0:
                            libs.add((ny, nx))
                        elif stones[ny, nx] == stones[y, x] and (ny, nx) not in chain:
                            chain.add((ny, nx))
                            todo.append((ny, nx))
            for cy, cx in chain:
                out[cy, cx] = len(libs)
    return out


def random_game(size: int, seed: int, moves: int) -> tuple[GoGame, np.random.Generator]:
    """A game of up to ``moves`` random moves (passing only when nothing else is legal), and its generator."""
    rng = np.random.default_rng(seed)
    game = GoGame(GoRules(size=size))
    for _ in range(moves):
        legal = [a for a in game.legal_moves() if a != size * size] or [size * size]
        game.play(int(rng.choice(legal)))
        if game.is_over:
            break
    return game, rng


def expected_planes(game: GoGame) -> np.ndarray:
    libs = flood_fill_liberties(game.stones())
    return np.stack([(libs == k).astype(np.float32) for k in range(1, LIBERTY_PLANES + 1)])


def test_the_diagram_position_by_hand():
    game = GoGame.from_diagram(POSITION, to_move="B")
    planes = game.planes(liberty_planes=True)
    assert planes.shape == (NUM_PLANES + LIBERTY_PLANES, 5, 5)
    assert np.array_equal(planes[:NUM_PLANES], game.planes())  # the AlphaGo Zero planes are unchanged
    for plane, diagram in zip(planes[NUM_PLANES:], (ONE_LIBERTY, TWO_LIBERTIES, THREE_LIBERTIES)):
        assert np.array_equal(plane, grid(diagram))
    assert np.array_equal(planes[NUM_PLANES:], expected_planes(game))  # and the flood fill agrees


def test_komi_stays_last_after_the_liberty_planes():
    game = GoGame.from_diagram(POSITION, to_move="W")
    both = game.planes(komi_plane=True, liberty_planes=True)
    assert both.shape[0] == NUM_PLANES + LIBERTY_PLANES + 1
    assert np.array_equal(both[-1], game.planes(komi_plane=True)[-1])  # the komi plane, last
    assert np.array_equal(both[:-1], game.planes(liberty_planes=True))
    assert plane_layout(LIBERTY_FEATURE) == (NUM_PLANES, -1, -1, NUM_PLANES + LIBERTY_PLANES)
    assert plane_layout(LIBERTY_FEATURE | KOMI_FEATURE)[2] == NUM_PLANES + LIBERTY_PLANES


@settings(max_examples=40, deadline=None)
@given(size=st.integers(2, 9), seed=st.integers(0, 2**31 - 1), moves=st.integers(0, 120))
def test_random_games_match_a_flood_fill_at_the_game_and_at_search_leaves(size, seed, moves):
    game, rng = random_game(size, seed, moves)
    planes = game.planes(komi_plane=True, liberty_planes=True)
    assert np.array_equal(planes[NUM_PLANES : NUM_PLANES + LIBERTY_PLANES], expected_planes(game))
    if game.is_over:
        return
    # the search's leaves replay moves on copies of the root board: their planes equal the game's after the moves
    batch = GoSearchBatch([game], komi_plane=True, liberty_planes=True)
    assert np.array_equal(batch.root_inputs()[0][0], planes)
    legal = game.legal_moves()[:3]
    path = np.full((len(legal), 1), 0, np.int32)
    path[:, 0] = legal
    leaves = batch.leaf_inputs(np.zeros(len(legal), np.int32), path, np.ones(len(legal), np.int32))[0]
    for i, a in enumerate(legal):
        after = game.copy()
        after.play(int(a))
        assert np.array_equal(leaves[i], after.planes(komi_plane=True, liberty_planes=True)), (i, a)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(2, 13), seed=st.integers(0, 2**31 - 1), moves=st.integers(0, 200))
def test_chain_liberties_counts_every_chain_up_to_four(size, seed, moves):
    """The kernel behind the planes and the leaves' legal masks: each stone gets its chain's liberties, exact up
    to COUNTED_LIBERTIES ("that many or more"), whatever the scratch arrays held; empty points get 0."""
    game, rng = random_game(size, seed, moves)
    expected = np.minimum(flood_fill_liberties(game.stones()), COUNTED_LIBERTIES)
    stamp = rng.integers(-5, 500, game.color.shape[0]).astype(np.int32)
    libs = rng.integers(-5, 500, game.color.shape[0]).astype(np.int32)
    for _ in range(2):  # the second time the scratch holds the first call's marks: the same heads, stale
        chain_liberties(size, game.color, game.chain, stamp, libs)
        rows = libs[: (size + 2) * (size + 1)].reshape(size + 2, size + 1)  # the padded board, stride N+1
        assert np.array_equal(rows[1 : size + 1, 1:], expected)  # walls dropped


@pytest.mark.parametrize("liberties", [False, True])
def test_plane_count_of_a_search_batch(liberties):
    batch = GoSearchBatch([GoGame(GoRules(size=9))], komi_plane=False, liberty_planes=liberties)
    assert batch.plane_shape[0] == NUM_PLANES + LIBERTY_PLANES * liberties
