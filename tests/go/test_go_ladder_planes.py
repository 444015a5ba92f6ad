"""The optional ladder planes (KataGo's ladder features): ladders read out on diagrams, against GNU Go's own ladder
reader (`ladder_attack`), under the board's symmetries, and the same planes from the search's leaf replay."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from games.go import BLACK, GoGame, GoRules, to_gtp
from games.go._kernels import (
    KOMI_FEATURE,
    LADDER_FEATURE,
    LADDER_PLANES,
    LIBERTY_FEATURE,
    LIBERTY_PLANES,
    NUM_PLANES,
    plane_layout,
)
from games.go.coords import render_diagram
from games.go.search import GoSearchBatch
from tests.go.gnugo_gtp import GnuGo

# Black to play: the white stone at e5 has two liberties, e4 and f5. Black e4 starts a ladder that runs to the
# lower right edge; black f5 lets White extend to three liberties.
LADDER = """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . X X . . .
. . . X O . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
"""
BREAKER = "h2"  # a white stone on the ladder's path
MAKER = "b8"  # a black stone (four liberties) far from the ladder changes nothing


def ladder_planes(game: GoGame) -> tuple[np.ndarray, np.ndarray]:
    """(stones a ladder captures, moves that start one for the side to move) as bool[N, N]."""
    planes = game.planes(ladder_planes=True)
    return planes[NUM_PLANES] > 0.5, planes[NUM_PLANES + 1] > 0.5


def points(mask: np.ndarray) -> set[str]:
    return {to_gtp(int(a), mask.shape[0]) for a in np.flatnonzero(mask.reshape(-1))}


def test_a_ladder_is_read_out_and_only_its_working_move_starts_it():
    game = GoGame.from_diagram(LADDER, to_move="B")
    stones, starts = ladder_planes(game)
    assert points(stones) == {"E5"}
    assert points(starts) == {"E4"}
    game.play("E4")  # now White, in atari, moves first and still cannot escape
    stones, starts = ladder_planes(game)
    assert points(stones) == {"E5"}
    assert points(starts) == set()  # the ladder stones are White's own: no start move for White


def test_a_ladder_breaker_lets_the_stone_escape_and_a_far_stone_changes_nothing():
    broken = GoGame.from_diagram(LADDER, to_move="B")
    broken.play(BREAKER, color="white")
    broken.play_pass(color="white")  # Black to move again
    stones, starts = ladder_planes(broken)
    assert points(stones) == set() and points(starts) == set()
    far = GoGame.from_diagram(LADDER, to_move="B")
    far.play(MAKER, color="black")
    far.play_pass(color="white")
    stones, starts = ladder_planes(far)
    assert points(stones) == {"E5"} and points(starts) == {"E4"}


def test_the_defender_may_capture_an_attacker_in_atari_to_escape():
    # White at e5 in atari (liberty e4) is next to the black stone d4, which has only the liberty c4 left: White
    # captures it and gets out, so no ladder, although extending alone would fail.
    game = GoGame.from_diagram(
        """
. . . . . . . . .
. . . . . . . . .
. . . . . . . . .
. . . . X X . . .
. . . X O X . . .
. . O X . . . . .
. . . O . . . . .
. . . . . . . . .
. . . . . . . . .
""",
        to_move="W",
    )
    assert np.count_nonzero(ladder_planes(game)[0]) == 0


def test_layout_of_the_optional_planes():
    assert plane_layout(0) == (-1, -1, -1, NUM_PLANES)
    assert plane_layout(KOMI_FEATURE) == (-1, -1, NUM_PLANES, NUM_PLANES + 1)
    assert plane_layout(LIBERTY_FEATURE | LADDER_FEATURE | KOMI_FEATURE) == (
        NUM_PLANES,
        NUM_PLANES + LIBERTY_PLANES,
        NUM_PLANES + LIBERTY_PLANES + LADDER_PLANES,
        NUM_PLANES + LIBERTY_PLANES + LADDER_PLANES + 1,
    )
    game = GoGame.from_diagram(LADDER, to_move="W")
    every = game.planes(komi_plane=True, liberty_planes=True, ladder_planes=True)
    assert np.array_equal(every[:NUM_PLANES], game.planes())
    assert np.array_equal(
        every[NUM_PLANES : NUM_PLANES + LIBERTY_PLANES], game.planes(liberty_planes=True)[NUM_PLANES:]
    )
    assert np.array_equal(every[NUM_PLANES + LIBERTY_PLANES : -1], game.planes(ladder_planes=True)[NUM_PLANES:])
    assert np.array_equal(every[-1], game.planes(komi_plane=True)[-1])  # the komi plane stays last


def random_position(size: int, seed: int, moves: int) -> GoGame:
    """A game of ``moves`` uniformly random legal moves (passes only when nothing else is legal), simple ko."""
    rng = np.random.default_rng(seed)
    game = GoGame(GoRules(size=size, superko="simple"))
    for _ in range(moves):
        legal = [a for a in game.legal_moves() if a != size * size]
        if not legal:
            break
        game.play(int(rng.choice(legal)))
    return game


def setup_of(stones: np.ndarray, to_move: int) -> GoGame:
    return GoGame.from_diagram(render_diagram(stones, stones.shape[0]), to_move=to_move)


def transform(board: np.ndarray, k: int) -> np.ndarray:
    """The k-th of the 8 symmetries of the square (k = 0..7)."""
    out = np.rot90(board, k % 4)
    return out.T if k >= 4 else out


@settings(max_examples=60, deadline=None)
@given(size=st.integers(5, 13), seed=st.integers(0, 2**31 - 1), moves=st.integers(10, 120), k=st.integers(1, 7))
@example(size=9, seed=0, moves=60, k=5)
def test_ladder_planes_follow_the_symmetries_of_the_board_and_swap_with_the_colours(size, seed, moves, k):
    game = random_position(size, seed, moves)
    base = setup_of(game.stones(), game.to_move)  # the same stones without a ko point, as the moved copies have
    stones, starts = ladder_planes(base)
    moved_stones, moved_starts = ladder_planes(setup_of(transform(game.stones(), k), game.to_move))
    assert np.array_equal(moved_stones, transform(stones, k))
    assert np.array_equal(moved_starts, transform(starts, k))
    swapped = np.where(game.stones() > 0, 3 - game.stones(), 0).astype(np.int8)
    swapped_stones, swapped_starts = ladder_planes(setup_of(swapped, 3 - game.to_move))
    assert np.array_equal(swapped_stones, stones) and np.array_equal(swapped_starts, starts)


@settings(max_examples=30, deadline=None)
@given(size=st.integers(3, 9), seed=st.integers(0, 2**31 - 1), moves=st.integers(0, 100))
def test_the_search_leaves_get_the_ladder_planes_the_game_has_after_the_moves(size, seed, moves):
    game = random_position(size, seed, moves)
    flags = dict(komi_plane=True, liberty_planes=True, ladder_planes=True)
    planes = game.planes(**flags)
    batch = GoSearchBatch([game], **flags)
    assert np.array_equal(batch.root_inputs()[0][0], planes)
    legal = [a for a in game.legal_moves() if a != size * size][:4]
    if not legal:
        return
    path = np.array(legal, np.int32)[:, None]
    leaves = batch.leaf_inputs(np.zeros(len(legal), np.int32), path, np.ones(len(legal), np.int32))[0]
    for i, a in enumerate(legal):
        after = game.copy()
        after.play(int(a))
        assert np.array_equal(leaves[i], after.planes(**flags)), (i, a)


def liberties(game: GoGame, chain: list[int]) -> set[int]:
    N = game.size
    stones = game.stones().reshape(-1)
    out = set()
    for a in chain:
        y, x = divmod(a, N)
        for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
            if 0 <= ny < N and 0 <= nx < N and stones[ny * N + nx] == 0:
                out.add(ny * N + nx)
    return out


GNU_GO_WIN, GNU_GO_LOSE = "1", "0"  # ladder_attack's result codes over GTP; 2 and 3 are wins by ko


@pytest.mark.gnugo
def test_two_liberty_ladders_agree_with_gnu_go(gnugo_path):
    """Every chain of exactly two liberties in 80 random 9x9 positions: our ladder plane (a chain of two liberties
    is marked when an attacker's first move captures it in a ladder) against GNU Go's `ladder_attack`, which
    reads the same ladder with the attacker first. GNU Go also reads captures that need a ko to be won later;
    ours treats a move the ko forbids now as not there, so those chains are left out (and counted)."""
    engine = GnuGo(gnugo_path)
    try:
        checked = captured = by_ko = 0
        for seed in range(80):
            game = random_position(9, seed, 30 + seed % 50)
            chains = [c for c in game.chains() if len(liberties(game, c)) == 2]
            if not chains:
                continue
            commands = ["boardsize 9", "clear_board"]
            for colour, action in game.moves:
                commands.append(f"play {'black' if colour == BLACK else 'white'} {to_gtp(action, 9)}")
            commands += [f"ladder_attack {to_gtp(c[0], 9)}" for c in chains]
            replies = engine.batch(commands)[-len(chains) :]
            stones = ladder_planes(game)[0].reshape(-1)
            for chain, reply in zip(chains, replies):
                code = reply.split()[0]
                if code not in (GNU_GO_WIN, GNU_GO_LOSE):
                    by_ko += 1
                    continue
                ours = bool(stones[chain[0]])
                where = f"seed {seed}, chain at {to_gtp(chain[0], 9)}: ours {ours}, GNU Go {reply!r}"
                assert ours == (code == GNU_GO_WIN), f"{where}\n{game.diagram(True)}"
                checked += 1
                captured += ours
        assert checked > 100 and captured > 5  # the positions hold ladders that work and ladders that fail
        assert by_ko < checked / 20
    finally:
        engine.close()
