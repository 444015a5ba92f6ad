"""A network on board sizes it was not trained on: `zero analysis` answers them with the same weights, or refuses them when analysis.cross_size is off."""

from __future__ import annotations

import io
import json

from netfixtures import TINY

from zero.analysis.engine import AnalysisConfig, AnalysisEngine, AnalysisParams
from zero.nn.checkpoint import load_checkpoint, save_checkpoint
from zero.nn.inference import NetworkEvaluator
from zero.nn.network import GameShape, PolicyValueNet

GO9 = GameShape(in_channels=17, board_size=9, num_actions=82)


def analysis_engine(tmp_path, **params) -> AnalysisEngine:
    """A tiny 9x9 network's engine, which makes other sizes' networks from its checkpoint as `zero analysis` does."""
    checkpoint = load_checkpoint(save_checkpoint(tmp_path, PolicyValueNet(TINY, GO9), step=1, model_version=1))
    network = NetworkEvaluator.from_loaded(checkpoint, device="cpu")

    def resize(size: int) -> NetworkEvaluator:
        return NetworkEvaluator.from_loaded(checkpoint.for_board_size(size), device="cpu")

    settings = {"max_visits": 8, "batch_size": 4, **params}
    return AnalysisEngine(AnalysisConfig(AnalysisParams(**settings)), network, resize)


def serve(engine: AnalysisEngine, queries: list[dict]) -> list[dict]:
    out = io.StringIO()
    assert engine.serve(io.StringIO("".join(json.dumps(q) + "\n" for q in queries)), out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def query(qid: str, size: int) -> dict:
    return {"id": qid, "moves": [["B", "C3"]], "rules": "chinese", "komi": 7.5, "boardXSize": size,
            "boardYSize": size, "includeOwnership": True, "includePolicy": True}  # fmt: skip


def test_the_analysis_engine_answers_other_board_sizes_with_the_same_weights(tmp_path):
    engine = analysis_engine(tmp_path)
    answers = {a["id"]: a for a in serve(engine, [query("nine", 9), query("thirteen", 13), query("five", 5)])}
    for qid, size in (("nine", 9), ("thirteen", 13), ("five", 5)):
        answer = answers[qid]
        assert "error" not in answer and answer["moveInfos"], answer
        assert len(answer["ownership"]) == size * size and len(answer["policy"]) == size * size + 1
    assert engine.network_for(9) is engine.network  # the trained size keeps the network as loaded
    assert engine.network_for(13).shape.board_size == 13 and engine.network_for(13) is engine.network_for(13)


def test_with_cross_size_off_other_board_sizes_are_refused_naming_the_field(tmp_path):
    answers = serve(analysis_engine(tmp_path, cross_size=False), [query("thirteen", 13), query("nine", 9)])
    refused, answered = answers
    assert refused["id"] == "thirteen" and refused["field"] == "boardXSize"
    assert "the network plays 9x9 only" in refused["error"]
    assert answered["id"] == "nine" and answered["moveInfos"]
