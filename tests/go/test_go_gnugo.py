"""Cross-check of games.go against GNU Go over GTP: legality of every point and the stones after every move, and the area score of finished light playouts."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import BLACK, WHITE, new_game, to_gtp
from tests.go.gnugo_gtp import GnuGo

pytestmark = pytest.mark.gnugo

KOMIS = (7.5, 7.0, 0.5, 6.0, 0.0)


def own_eye_mask(stones: np.ndarray, c: int) -> np.ndarray:
    """bool[N, N]: empty points that are c's single-point eyes (the light-playout rule, vectorised)."""
    N = stones.shape[0]
    pad = np.full((N + 2, N + 2), 3, np.int8)
    pad[1:-1, 1:-1] = stones
    orth = [pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]]
    diag = [pad[:-2, :-2], pad[:-2, 2:], pad[2:, :-2], pad[2:, 2:]]
    surrounded = np.logical_and.reduce([(d == c) | (d == 3) for d in orth])
    enemies = sum((d == 3 - c).astype(int) for d in diag)
    edge = np.logical_or.reduce([d == 3 for d in diag]).astype(int)
    return (stones == 0) & surrounded & (enemies + edge < 2)


def light_playout_game(size: int, seed: int):
    """A light playout played move by move through the checked API (simple ko, as GNU Go uses);
    returns the game and, after every move, (colour, action, legal vertices for the side to move, black, white)."""
    rng = np.random.default_rng(seed)
    game = new_game(size, komi=KOMIS[seed % len(KOMIS)], superko="simple", max_moves=4 * size * size)
    steps = []
    while not game.is_over:
        mask = game.legal_mask()[:-1].reshape(size, size) & ~own_eye_mask(game.stones(), game.to_move)
        candidates = np.flatnonzero(mask)
        action = int(rng.choice(candidates)) if len(candidates) else game.pass_action
        colour = game.to_move
        game.play(action)
        legal = {to_gtp(a, size) for a in game.legal_moves()[:-1]}
        stones = game.stones().reshape(-1)
        black = {to_gtp(a, size) for a in np.flatnonzero(stones == BLACK)}
        white = {to_gtp(a, size) for a in np.flatnonzero(stones == WHITE)}
        steps.append((colour, action, legal, black, white))
    return game, steps


@pytest.fixture(scope="module")
def gnugo(gnugo_path):
    engine = GnuGo(gnugo_path)
    yield engine
    engine.close()


def parse_score(text: str) -> float:
    """GNU Go's 'B+3.0' / 'W+2.5' / '0' -> black minus white."""
    if text == "0":
        return 0.0
    sign = 1.0 if text[0] == "B" else -1.0
    return sign * float(text[2:])


@pytest.mark.parametrize("size,games", [(9, 300), (7, 30), (13, 30), (19, 30)])
def test_light_playouts_agree_with_gnugo(gnugo, size, games):
    scored = 0
    for seed in range(games):
        game, steps = light_playout_game(size, seed=size * 10_000 + seed)
        commands = ["clear_board", f"boardsize {size}", "clear_board", f"komi {game.komi}"]
        for colour, action, _, _, _ in steps:
            name = "black" if colour == BLACK else "white"
            commands += [
                f"play {name} {to_gtp(action, size)}",
                f"all_legal {'white' if colour == BLACK else 'black'}",
                "list_stones black",
                "list_stones white",
            ]
        finished = game.passes >= 2
        if finished:
            commands.append("final_score")
        replies = gnugo.batch(commands)
        for i, (colour, action, legal, black, white) in enumerate(steps):
            _, gnu_legal, gnu_black, gnu_white = replies[4 + 4 * i : 8 + 4 * i]
            where = (
                f"{size}x{size} game {seed}, move {i + 1} ({'B' if colour == BLACK else 'W'} {to_gtp(action, size)})"
            )
            assert set(gnu_black.split()) == black, f"{where}: black stones differ\n{game.diagram(True)}"
            assert set(gnu_white.split()) == white, f"{where}: white stones differ"
            assert set(gnu_legal.split()) == legal, (
                f"{where}: legal moves differ: only ours {sorted(legal - set(gnu_legal.split()))}, "
                f"only GNU Go's {sorted(set(gnu_legal.split()) - legal)}"
            )
        if finished:
            scored += 1
            assert game.area_score() == parse_score(replies[-1]), (
                f"{size}x{size} game {seed}: area score {game.area_score()} vs GNU Go {replies[-1]}\n{game.diagram(True)}"
            )
    assert scored >= games * 0.9, f"only {scored} of {games} playouts finished by two passes"
