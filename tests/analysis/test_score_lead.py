"""scoreLead/scoreMean appear exactly where the evaluator has a score head (zero analysis and kata-analyze), with the right sign and view."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from games.go import GoGame, GoRules, GoSearchBatch, RolloutEvaluator
from mcts import SearchParams
from tests.gtp.analysis_grammar import parse_analysis_line
from zero.analysis.engine import AnalysisConfig, AnalysisEngine, AnalysisParams, komi_shift
from zero.gtp.engine import GoGtpEngine
from zero.gtp.player import EngineParams

from .test_analysis_protocol import NINE, serve


class StoneCountScorer(RolloutEvaluator):
    """Rollout values plus a known 'score head': own stones minus opponent stones, for the player to move."""

    predicts_margin = True

    def evaluate_with_margin(self, planes, legal=None, score_centre=None):
        priors, values = self.evaluate(planes)
        score = planes[:, 0].sum(axis=(1, 2)) - planes[:, 8].sum(axis=(1, 2))
        return priors, values, score.astype(np.float32)


def test_analysis_reports_the_searchs_average_score_only_with_a_score_head():
    engine = AnalysisEngine(AnalysisConfig(AnalysisParams(max_visits=300), SearchParams(leaves_per_step=4)))
    scorer = StoneCountScorer(9, 7.5, seed=1)
    scorer.shape = type("Shape", (), {"board_size": 9})()  # what the engine reads of a network
    scorer.has_ownership = False
    engine.network = scorer
    # White to move after B E5, reported from Black's view: Black's stones minus White's are 1 at the root, 0 after a
    # White stone, 1 again after a Black reply: the search's averages lie between the plies' margins
    answer = serve([{**NINE, "id": "s", "moves": [["B", "E5"]], "maxVisits": 300}], engine)[0]
    assert 0.0 < answer["rootInfo"]["scoreLead"] < 1.0  # the root's own margin (1) averaged with its subtree's
    searched = 0
    for m in answer["moveInfos"]:
        first_ply = 1.0 if m["move"] == "pass" else 0.0
        assert m["scoreMean"] == m["scoreLead"]
        if m["visits"] == 1:
            assert m["scoreLead"] == pytest.approx(first_ply)
        elif m["move"] != "pass" and m["visits"] >= 3:  # Black's replies below it (1) move it off White's stone (0)
            assert 0.0 < m["scoreLead"] < 1.0
            searched += 1
    assert searched > 0


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


def test_kata_analyze_root_info_reports_the_roots_visits_winrate_and_average_score():
    engine = GoGtpEngine(
        params=EngineParams(visits=30, analysis_visits=200, seed=1),
        search_params=SearchParams(simulations=30, leaves_per_step=4),
    )
    root: dict = {}
    cands, _ = parse_analysis_line(
        engine.handle_line("kata-analyze b 10 rootInfo true")[2:], kata=True, size=9, root=root
    )
    assert root["visits"] >= sum(c["visits"] for c in cands) > 0 and "scoreLead" not in root  # rollouts: no score
    assert root["utility"] == pytest.approx(2 * root["winrate"] - 1, abs=1e-5)
    assert "rootInfo" not in engine.handle_line("kata-analyze b 10")  # only when asked
    engine.player._evaluator = StoneCountScorer(9, 7.5, seed=1)
    root.clear()
    parse_analysis_line(engine.handle_line("kata-analyze b 10 rootInfo true")[2:], kata=True, size=9, root=root)
    # Black to move on the empty board: level at the root, one stone up after Black's move, level again after White's
    assert 0.0 < root["scoreLead"] < 1.0 and root["scoreMean"] == root["scoreLead"]


@pytest.mark.parametrize("moves", [[], [["B", "E5"]]])
def test_a_network_without_the_komi_plane_has_its_score_moved_by_the_komi_difference(moves):
    """It predicts the margin at the komi it trained at: asked at one point less komi, Black leads by one point more,
    whoever is to move; where the training komi is unknown, nothing moves."""

    def leads(komi: float, trained_komi: float | None, komi_input: bool = False) -> list[float]:
        engine = AnalysisEngine(AnalysisConfig(AnalysisParams(max_visits=8), SearchParams(leaves_per_step=4)))
        scorer = StoneCountScorer(9, 7.5, seed=1)
        scorer.shape = type("Shape", (), {"board_size": 9})()
        scorer.has_ownership = False
        scorer.trained_komi, scorer.komi_input = trained_komi, komi_input
        engine.network = scorer
        answer = serve([{**NINE, "id": "k", "moves": moves, "komi": komi, "maxVisits": 8}], engine)[0]
        return [answer["rootInfo"]["scoreLead"], *(m["scoreLead"] for m in answer["moveInfos"])]

    at_training_komi = leads(7.5, 7.5)
    assert leads(6.5, 7.5) == pytest.approx([lead + 1.0 for lead in at_training_komi])  # Black's view
    assert leads(0.0, 24.5) == pytest.approx([lead + 24.5 for lead in leads(24.5, 24.5)])
    assert leads(6.5, None) == pytest.approx(at_training_komi)


def test_the_komi_shift_is_for_the_player_to_move_and_none_with_the_komi_plane():
    white_to_move = GoGame(GoRules(size=9, komi=6.5))
    white_to_move.play(40)
    batch = GoSearchBatch([GoGame(GoRules(size=9, komi=6.5)), white_to_move])
    network = SimpleNamespace(trained_komi=7.5, komi_input=False)
    assert komi_shift(network, batch, np.array([0, 1, 1])).tolist() == [1.0, -1.0, -1.0]  # for the player to move
    network.komi_input = True
    assert komi_shift(network, batch, np.array([0, 1])).tolist() == [0.0, 0.0]


def test_kata_analyze_moves_the_score_of_a_network_without_the_komi_plane_by_the_komi_difference():
    engine = GoGtpEngine(
        params=EngineParams(visits=30, analysis_visits=200, seed=1),
        search_params=SearchParams(simulations=30, leaves_per_step=4),
    )

    def analyze_at(komi: float) -> str:
        assert engine.handle_line(f"komi {komi}").startswith("=")
        engine.handle_line("kata-analyze b 10")  # builds the player's evaluator for this komi
        scorer = StoneCountScorer(9, 7.5, seed=1)
        scorer.trained_komi, scorer.komi_input = 7.5, False
        engine.player._evaluator = scorer
        return engine.handle_line("kata-analyze b 10")

    assert " scoreLead 3.000" in analyze_at(5.5)  # Black to move: one stone ahead, two points less komi
    assert " scoreLead -1.000" in analyze_at(9.5)
