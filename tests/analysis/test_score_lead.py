"""scoreLead/scoreMean appear exactly where the evaluator has a score head (zero analysis and kata-analyze), with the right sign and view."""

from __future__ import annotations

import numpy as np
import pytest

from games.go import RolloutEvaluator
from mcts import SearchParams
from zero.analysis.engine import AnalysisConfig, AnalysisEngine, AnalysisParams
from zero.gtp.engine import GoGtpEngine
from zero.gtp.player import EngineParams

from .test_analysis_protocol import NINE, serve


class StoneCountScorer(RolloutEvaluator):
    """Rollout values plus a known 'score head': own stones minus opponent stones, for the player to move."""

    has_score = True

    def evaluate_with_score(self, planes, legal=None):
        priors, values = self.evaluate(planes)
        score = planes[:, 0].sum(axis=(1, 2)) - planes[:, 8].sum(axis=(1, 2))
        return priors, values, score.astype(np.float32)


def test_analysis_reports_the_score_after_each_move_only_with_a_score_head():
    engine = AnalysisEngine(AnalysisConfig(AnalysisParams(max_visits=30), SearchParams(leaves_per_step=4)))
    scorer = StoneCountScorer(9, 7.5, seed=1)
    scorer.shape = type("Shape", (), {"board_size": 9})()  # what the engine reads of a network
    scorer.has_ownership = False
    engine.network = scorer
    # White to move after B E5, reported from Black's view: a White stone makes it 1 - 1 = 0 for Black, a pass 1.
    answer = serve([{**NINE, "id": "s", "moves": [["B", "E5"]], "maxVisits": 30}], engine)[0]
    assert answer["rootInfo"]["scoreLead"] == pytest.approx(1.0)  # Black leads by one stone; White to move: -1, flipped
    for m in answer["moveInfos"]:
        expected = 1.0 if m["move"] == "pass" else 0.0
        assert m["scoreLead"] == pytest.approx(expected) and m["scoreMean"] == m["scoreLead"]


def test_kata_analyze_adds_score_lead_with_a_score_head():
    engine = GoGtpEngine(
        params=EngineParams(visits=30, analysis_visits=200, seed=1),
        search_params=SearchParams(simulations=30, leaves_per_step=4),
    )
    engine.handle_line("kata-analyze b 10")  # builds the player's evaluator
    line = engine.handle_line("kata-analyze b 10")
    assert "scoreLead" not in line
    engine.player._evaluator = StoneCountScorer(9, 7.5, seed=1)
    line = engine.handle_line("kata-analyze b 10")
    assert " scoreLead 1.000" in line  # Black to move on the empty board: one stone ahead after any move
