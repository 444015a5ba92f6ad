"""Leaf replay of the search (games.go._replay_kernels) against the checked game: long paths (more than the
8 positions of plane history) on capture-heavy boards, and positional superko bans found through the hash
filter, for capturing and non-capturing moves, whether the repeated position is in the root's history or on the path."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from games.go import GoSearchBatch, new_game
from games.go import _replay_kernels as R


def _random_game(rng, size, moves, superko, komi):
    game = new_game(size, komi=komi, superko=superko)
    for _ in range(moves):
        if game.is_over:
            break
        legal = game.legal_moves()
        game.play(legal[-1] if len(legal) == 1 or rng.random() < 0.05 else int(rng.choice(legal[:-1])))
    return game


@pytest.mark.parametrize("superko", ["positional", "simple"])
def test_long_paths_on_capture_heavy_boards_match_the_game(superko):
    rng = np.random.default_rng(7)
    longest = 0
    for size in (2, 3, 4, 5, 9):
        komi = 0.0 if size < 5 else 7.5
        roots = [_random_game(rng, size, int(rng.integers(0, 3 * size * size)), superko, komi) for _ in range(4)]
        batch = GoSearchBatch(roots)
        L, D = 40, 20
        root_index = rng.integers(0, len(roots), L).astype(np.int32)
        paths = np.zeros((L, D + 5), np.int32)  # wider than any path, like the search's own buffer
        lengths = np.zeros(L, np.int32)
        expected = []
        for leaf in range(L):
            game = roots[root_index[leaf]].copy()
            for i in range(int(rng.integers(0, D + 1))):
                if game.is_over:
                    break
                legal = game.legal_moves()
                a = legal[-1] if len(legal) == 1 or rng.random() < 0.1 else int(rng.choice(legal[:-1]))
                game.play(a)
                paths[leaf, i] = a
                lengths[leaf] = i + 1
            expected.append(game)
        planes, legal, terminal, value = batch.leaf_inputs(root_index, paths, lengths)
        for leaf, game in enumerate(expected):
            assert np.array_equal(planes[leaf], game.planes())
            assert terminal[leaf] == game.is_over
            if game.is_over:
                winner = game.winner()
                assert value[leaf] == (0 if winner is None else (1 if winner == game.to_move else -1))
            else:
                assert np.array_equal(legal[leaf], game.legal_mask())
        longest = max(longest, int(lengths.max()))
    assert longest > 8  # paths longer than the plane history were replayed


@pytest.mark.parametrize(
    "moves, banned, captures",
    [
        ([5, 4, 1, 7, 8, 2], 5, True),  # the capturing move at 5 would repeat the position after move 4
        ([5, 3, 6, 8, 4, 7, 6], 8, False),  # a non-capturing move repeating an earlier position
    ],
)
def test_superko_bans_at_leaves_whether_the_position_is_in_the_root_history_or_on_the_path(moves, banned, captures):
    game = new_game(3, komi=0.0)
    for a in moves:
        game.play(a)
    simple = game.copy()
    simple.rules = dataclasses.replace(game.rules, superko="simple")
    assert simple.is_legal(banned) and game.verdict(banned) == "superko"
    assert (simple.copy().play(banned) > 0) == captures
    for split in range(len(moves) + 1):  # root after moves[:split], path = the rest
        root = new_game(3, komi=0.0)
        for a in moves[:split]:
            root.play(a)
        path = np.array([moves[split:] + [0]], np.int32)
        planes, legal, terminal, _ = GoSearchBatch([root]).leaf_inputs(
            np.zeros(1, np.int32), path, np.array([len(moves) - split], np.int32)
        )
        assert not terminal[0] and not legal[0, banned]
        assert np.array_equal(legal[0], game.legal_mask()) and np.array_equal(planes[0], game.planes())


def test_hash_filter_holds_every_hash():
    rng = np.random.default_rng(0)
    hashes = np.sort(rng.integers(-(2**63), 2**63 - 1, (3, 50), dtype=np.int64), axis=1)
    counts = np.array([0, 1, 50], np.int32)
    bits = np.empty((3, R.FILTER_WORDS), np.int64)
    R.hash_filters(hashes, counts, bits)
    assert not bits[0].any()
    for b in (1, 2):
        for h in hashes[b, : counts[b]]:
            i = int(h) & R.FILTER_MASK
            assert (int(bits[b, i >> 6]) >> (i & 63)) & 1
    assert sum(bin(int(w) & (2**64 - 1)).count("1") for w in bits[2]) <= 50
