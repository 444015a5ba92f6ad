"""The engine resigns only after gtp.resign_consecutive hopeless decisions in a row along the game's own line."""

from __future__ import annotations

from games.go import GoGame, GoRules
from mcts import SearchParams
from zero.gtp.player import RESIGN, EngineParams, GoPlayer

from .root_results import root_result

HOPELESS = root_result({20: (100, -0.95, -0.97), 21: (10, -0.99, -1.0)})  # win rate 2.5% < 5%
HOPEFUL = root_result({20: (100, 0.1, 0.0), 21: (10, -0.99, -1.0)})


def _player(consecutive: int, min_move: int = 0) -> GoPlayer:
    params = EngineParams(resign_consecutive=consecutive, resign_min_move=min_move, lcb_visit_fraction=0.0)
    return GoPlayer(params, SearchParams(simulations=8))


def _decide(player: GoPlayer, game: GoGame, result, then_play: tuple[int, int] | None = (0, 0)):
    """Black decides, then (unless None) the two given moves are played: Black's, then White's."""
    choice = player.choose_move(game, result)
    if then_play is not None:
        game.play(then_play[0])
        game.play(then_play[1])
    return choice


def test_three_hopeless_decisions_in_a_row_resign_and_one_hopeful_resets_the_count():
    player, game = _player(3), GoGame(GoRules(size=5, komi=7.5))
    assert _decide(player, game, HOPELESS, (0, 1)) == 20
    assert _decide(player, game, HOPELESS, (2, 3)) == 20
    assert _decide(player, game, HOPELESS, None) == RESIGN
    assert _decide(player, game, HOPELESS, None) == RESIGN  # asked again in the same position: still

    player, game = _player(3), GoGame(GoRules(size=5, komi=7.5))
    for result, moves in ((HOPELESS, (0, 1)), (HOPELESS, (2, 3)), (HOPEFUL, (4, 5)), (HOPELESS, (6, 7))):
        assert _decide(player, game, result, moves) == 20
    assert _decide(player, game, HOPELESS, (8, 9)) == 20  # two in a row since the hopeful one
    assert _decide(player, game, HOPELESS, None) == RESIGN


def test_one_consecutive_resigns_at_the_first_hopeless_decision_and_never_before_the_minimum_move():
    assert _decide(_player(1), GoGame(GoRules(size=5, komi=7.5)), HOPELESS, None) == RESIGN
    player, game = _player(1, min_move=4), GoGame(GoRules(size=5, komi=7.5))
    assert [_decide(player, game, HOPELESS, (2 * k, 2 * k + 1)) for k in range(2)] == [20, 20]
    assert _decide(player, game, HOPELESS, None) == RESIGN  # move 4


def test_the_streak_follows_the_line_played_not_the_move_number():
    player, game = _player(2), GoGame(GoRules(size=5, komi=7.5))
    game.play(0)
    game.play(1)
    assert _decide(player, game, HOPELESS, (2, 3)) == 20  # line A: hopeless at move 2 ...
    for _ in range(4):
        game.undo()
    for move in (10, 11, 12, 13):  # line B: the client played moves 0-3, we decided nothing on it
        game.play(move)
    assert _decide(player, game, HOPELESS, (14, 15)) == 20  # one on line B, not line A's move 2 plus this
    assert _decide(player, game, HOPELESS, None) == RESIGN  # two on line B
    game.undo()
    game.undo()
    assert _decide(player, game, HOPELESS, None) == 20  # back at line B's first decision: one again


def test_whites_decisions_do_not_count_for_black():
    player, game = _player(2), GoGame(GoRules(size=5, komi=7.5))
    game.play(0)
    assert player.choose_move(game, HOPELESS) == 20  # White, hopeless once
    game.play(1)
    assert player.choose_move(game, HOPELESS) == 20  # Black once: White's decision does not make it two
    game.play(2)
    assert player.choose_move(game, HOPELESS) == RESIGN  # White twice
