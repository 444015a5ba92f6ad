"""Property tests over random legal games (hypothesis): incremental state equals a rebuild, undo is exact,
symmetric games have symmetric planes, and the search batch replays paths exactly like the game."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from games.go import GoSearchBatch, new_game
from games.symmetry import transform_action, transform_planes, transform_policy

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def random_game(data, size: int, moves: int, superko: str = "positional", pass_weight: int = 30, komi: float = 7.5):
    """Play up to ``moves`` legal moves chosen by hypothesis (pass roughly 1 in ``pass_weight``)."""
    game = new_game(size, komi=komi, superko=superko)
    for _ in range(moves):
        if game.is_over:
            break
        legal = game.legal_moves()
        points = legal[:-1]
        if points and data.draw(st.integers(0, pass_weight)) > 0:
            game.play(points[data.draw(st.integers(0, len(points) - 1))])
        else:
            game.play_pass()
    return game


@SETTINGS
@given(data=st.data(), size=st.sampled_from([2, 3, 4, 5, 7, 9]))
def test_incremental_state_equals_rebuild_and_undo_is_exact(data, size):
    game = new_game(size, superko=data.draw(st.sampled_from(["positional", "simple"])))
    snapshots = []
    for _ in range(data.draw(st.integers(1, 3 * size * size))):
        if game.is_over:
            break
        snapshots.append(
            (
                game.color.copy(),
                game.chain.copy(),
                game.empties.copy(),
                game.meta.copy(),
                game.to_move,
                game.passes,
                game.legal_mask(),
            )
        )
        legal = game.legal_moves()
        game.play(legal[data.draw(st.integers(0, len(legal) - 1))] if data.draw(st.integers(0, 20)) else legal[-1])
        assert game.consistency_errors() == []  # chains, pseudo-liberties, hash, empties, stones + captures
    while snapshots:
        color, chain, empties, meta, to_move, passes, mask = snapshots.pop()
        game.undo()
        assert np.array_equal(game.color, color) and np.array_equal(game.chain, chain)
        assert np.array_equal(game.empties, empties) and np.array_equal(game.meta, meta)
        assert (game.to_move, game.passes) == (to_move, passes)
        assert np.array_equal(game.legal_mask(), mask)
    assert game.move_number == 0 and not game.stones().any()


@SETTINGS
@given(data=st.data(), size=st.sampled_from([3, 5, 9]), k=st.integers(0, 7))
def test_planes_and_legal_mask_of_a_transformed_game_are_transformed(data, size, k):
    game = random_game(data, size, data.draw(st.integers(0, 2 * size * size)))
    mirrored = new_game(size, komi=game.komi)
    for colour, action in game.moves:
        mirrored.play(transform_action(action, size, k), colour)
    assert np.array_equal(mirrored.planes(), transform_planes(game.planes(), k))
    assert np.array_equal(mirrored.legal_mask(), transform_policy(game.legal_mask(), size, k))
    assert mirrored.area_score() == game.area_score()


def test_planes_follow_the_convention():
    game = new_game(5)
    game.play("C3")  # Black
    game.play("D4")  # White
    planes = game.planes()  # Black to move
    assert planes.shape == (17, 5, 5) and planes.dtype == np.float32
    assert planes[0, 2, 2] == 1 and planes[0].sum() == 1  # own (black) stones now
    assert planes[8, 1, 3] == 1 and planes[8].sum() == 1  # opponent stones now
    assert planes[1, 2, 2] == 1 and planes[9].sum() == 0  # one move ago White had no stone
    assert planes[2].sum() == 0 and planes[3:8].sum() == 0  # empty board, then missing history
    assert planes[16].min() == 1
    game.play("pass")
    white = game.planes()
    assert white[16].max() == 0 and white[0, 1, 3] == 1 and white[8, 2, 2] == 1


@SETTINGS
@given(data=st.data(), size=st.sampled_from([2, 3, 5, 9]), superko=st.sampled_from(["positional", "simple"]))
def test_leaf_replay_matches_the_game(data, size, superko):
    komi = data.draw(st.sampled_from([7.5, 0.0, 2.0]))
    roots = [random_game(data, size, data.draw(st.integers(0, 2 * size * size)), superko, 8, komi) for _ in range(3)]
    batch = GoSearchBatch(roots)
    assert batch.num_actions == size * size + 1 and batch.plane_shape == (17, size, size)
    leaves, expected = [], []
    for _ in range(5):
        b = data.draw(st.integers(0, 2))
        game = roots[b].copy()
        path = []
        for _ in range(data.draw(st.integers(0, 6))):
            if game.is_over:
                break
            legal = game.legal_moves()
            a = legal[data.draw(st.integers(0, len(legal) - 1))]
            game.play(a)
            path.append(a)
        leaves.append((b, path))
        expected.append(game)
    D = max(1, max(len(p) for _, p in leaves))
    paths = np.zeros((len(leaves), D), np.int32)
    for i, (_, p) in enumerate(leaves):
        paths[i, : len(p)] = p
    planes, legal, terminal, value = batch.leaf_inputs(
        np.array([b for b, _ in leaves], np.int32), paths, np.array([len(p) for _, p in leaves], np.int32)
    )
    for i, game in enumerate(expected):
        assert np.array_equal(planes[i], game.planes())
        assert terminal[i] == game.is_over
        if game.is_over:
            winner = game.winner()
            assert value[i] == (0 if winner is None else (1 if winner == game.to_move else -1))
        else:
            assert np.array_equal(legal[i], game.legal_mask())
    root_planes, root_legal, root_terminal, _ = batch.root_inputs()
    for b, game in enumerate(roots):
        assert np.array_equal(root_planes[b], game.planes())
        assert root_terminal[b] == game.is_over
