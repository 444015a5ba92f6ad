"""The engine plays the best value LCB among well-visited moves (gtp.lcb_visit_fraction), not always the most visited."""

from __future__ import annotations

import pytest

from games.go import GoGame
from mcts import SearchParams
from mcts.search import SearchResult
from zero.gtp.player import EngineParams, GoPlayer

from .root_results import root_result

EYE_POSITION = """
. X . . .
X X . . .
. . . . .
. . . . .
. . . . .
"""
EYE, PASS = 0, 25


def _choice(result: SearchResult, fraction: float) -> int:
    player = GoPlayer(EngineParams(lcb_visit_fraction=fraction), SearchParams(simulations=8))
    return player.choose_move(GoGame.from_diagram(EYE_POSITION), result)


def test_a_well_visited_move_with_a_better_lcb_beats_the_most_visited():
    result = root_result({12: (100, 0.2, 0.10), 13: (40, 0.5, 0.30), 7: (10, 0.9, 0.60)})
    assert _choice(result, 0.15) == 13  # 40 >= 15; 7's higher LCB has too few visits (10 < 15)
    assert _choice(result, 0.05) == 7  # now 7 qualifies (10 >= 5) and its LCB is the best
    assert _choice(result, 0.5) == 12  # 40 < 50: only the most visited qualifies
    assert _choice(result, 0.0) == 12  # off: the most visited


def test_the_most_visited_stays_when_no_qualified_move_has_a_higher_lcb():
    result = root_result({12: (100, 0.2, 0.10), 13: (40, 0.5, 0.05), 14: (30, 0.1, 0.10), 15: (0, 0.0, 0.5)})
    assert _choice(result, 0.15) == 12  # 13 is lower, 14 only ties, 15 was never visited


def test_an_own_eye_never_wins_by_its_lcb_and_a_gumbel_root_keeps_its_choice():
    eye_best = root_result({EYE: (60, 0.9, 0.8), 12: (100, 0.2, 0.10), 13: (40, 0.3, 0.2)})
    assert _choice(eye_best, 0.15) == 13  # the eye is never a candidate; 13 beats 12
    gumbel = root_result({12: (100, 0.2, 0.10), 13: (40, 0.5, 0.30)}, chosen=12)
    assert _choice(gumbel, 0.15) == 12  # sequential halving's choice already weighed Q


def test_pass_competes_like_any_move():
    result = root_result({12: (100, 0.2, 0.10), PASS: (50, 0.6, 0.40)})
    assert _choice(result, 0.15) == PASS


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan")])
def test_a_bad_fraction_is_refused(fraction):
    with pytest.raises(ValueError, match="lcb_visit_fraction"):
        EngineParams(lcb_visit_fraction=fraction).validate()
