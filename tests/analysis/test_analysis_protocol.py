"""`zero analysis` speaks KataGo's JSON analysis protocol: the documentation's examples replayed, answer fields and ranges, errors and warnings with KataGo's keys, allow/avoid, actions, batching, terminate, priorities."""

from __future__ import annotations

import io
import json
import os
import threading
import time

import pytest

from mcts import SearchParams
from zero.analysis.engine import AnalysisConfig, AnalysisEngine, AnalysisParams
from zero.analysis.query import parse_line

# The example query of KataGo's docs/Analysis_Engine.md (19x19, a 2-stone handicap, three turns), with few visits.
DOC_EXAMPLE = {
    "id": "foo",
    "initialStones": [["B", "Q4"], ["B", "C4"]],
    "moves": [["W", "P5"], ["B", "P6"]],
    "rules": "tromp-taylor",
    "komi": 7.5,
    "boardXSize": 19,
    "boardYSize": 19,
    "analyzeTurns": [0, 1, 2],
}
NINE = {"rules": "chinese", "komi": 7.5, "boardXSize": 9, "boardYSize": 9}


def make_engine(**params) -> AnalysisEngine:
    settings = {"max_visits": 16, "ownership_playouts": 8, "batch_size": 8, **params}
    return AnalysisEngine(AnalysisConfig(AnalysisParams(**settings), SearchParams(leaves_per_step=4)))


def serve(lines: list, engine: AnalysisEngine | None = None) -> list[dict]:
    """Run an engine over the given queries (dicts are JSON-encoded) to end of input; every output line parsed."""
    engine = engine or make_engine()
    text = "".join((json.dumps(q) if isinstance(q, dict) else q) + "\n" for q in lines)
    out = io.StringIO()
    assert engine.serve(io.StringIO(text), out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def check_answer(answer: dict, size: int, *, ownership=False, policy=False, pv_visits=False) -> None:
    """The fields of an analysis answer, with KataGo's types and ranges."""
    assert isinstance(answer["id"], str) and isinstance(answer["turnNumber"], int)
    assert answer["isDuringSearch"] is False
    root = answer["rootInfo"]
    assert isinstance(root["visits"], int) and root["visits"] >= 1
    assert 0.0 <= root["winrate"] <= 1.0 and -1.0 <= root["utility"] <= 1.0
    assert isinstance(root["lcb"], float)
    assert root["currentPlayer"] in ("B", "W")
    assert len(root["thisHash"]) == 32 and len(root["symHash"]) == 32
    infos = answer["moveInfos"]
    assert infos and [m["order"] for m in infos] == list(range(len(infos)))
    assert sum(m["visits"] for m in infos) == root["visits"]
    visits = [m["visits"] for m in infos]
    assert visits == sorted(visits, reverse=True)
    for m in infos:
        assert isinstance(m["move"], str) and isinstance(m["visits"], int) and m["visits"] >= 1
        assert 0.0 <= m["winrate"] <= 1.0 and 0.0 <= m["prior"] <= 1.0
        assert isinstance(m["lcb"], float) and isinstance(m["utilityLcb"], float)
        assert m["pv"][0] == m["move"] and all(isinstance(v, str) for v in m["pv"])
        assert m["edgeVisits"] == m["visits"] == m["weight"] == m["edgeWeight"]  # no transpositions, unit weights
        if pv_visits:
            assert len(m["pvVisits"]) == len(m["pv"]) and m["pvVisits"][0] == m["visits"]
            assert all(a >= b for a, b in zip(m["pvVisits"], m["pvVisits"][1:]))
            assert m["pvEdgeVisits"] == m["pvVisits"]
        else:
            assert "pvVisits" not in m and "pvEdgeVisits" not in m
        assert "scoreLead" not in m  # no score head here: no made-up score
    if ownership:
        assert len(answer["ownership"]) == size * size and all(-1.0 <= v <= 1.0 for v in answer["ownership"])
    else:
        assert "ownership" not in answer
    if policy:
        pol = answer["policy"]
        assert len(pol) == size * size + 1
        assert sum(v for v in pol if v >= 0) == pytest.approx(1.0, abs=1e-4)
        assert all(v == -1.0 or v >= 0 for v in pol)
    else:
        assert "policy" not in answer


def test_doc_example_query_gives_one_answer_per_turn():
    answers = serve([{**DOC_EXAMPLE, "maxVisits": 8}])
    assert sorted(a["turnNumber"] for a in answers) == [0, 1, 2]
    for a in answers:
        check_answer(a, 19)
    by_turn = {a["turnNumber"]: a for a in answers}
    # turn 0: initialStones only, White to move (the first move is White's); turn 2: White again after B P6
    assert [by_turn[t]["rootInfo"]["currentPlayer"] for t in (0, 1, 2)] == ["W", "B", "W"]
    assert not {"Q4", "C4"} & {m["move"] for m in by_turn[0]["moveInfos"]}  # occupied points are never candidates


def test_optional_outputs_ownership_policy_and_pv_visits():
    answers = serve(
        [
            {
                **NINE,
                "id": "x",
                "moves": [["B", "E5"], ["W", "C3"]],
                "maxVisits": 24,
                "includeOwnership": True,
                "includePolicy": True,
                "includePVVisits": True,
            }
        ]
    )
    assert len(answers) == 1
    check_answer(answers[0], 9, ownership=True, policy=True, pv_visits=True)
    policy = answers[0]["policy"]
    assert policy[40] == -1.0 and policy[56] == -1.0  # E5 and C3 are occupied (row-major from A9)


def test_moves_ownership_gives_each_candidate_the_owners_after_it_in_the_reported_view():
    query = {**NINE, "moves": [["B", "E5"], ["W", "C3"]], "maxVisits": 24, "includeMovesOwnership": True}
    engine = make_engine(ownership_playouts=64)
    black, white = (
        serve([{**query, "id": view, "overrideSettings": {"reportAnalysisWinratesAs": view}}], engine)
        for view in ("BLACK", "WHITE")
    )
    assert [set(a) >= {"moveInfos"} and "warning" not in a for a in black + white] == [True, True]
    for answer, sign in ((black[0], 1.0), (white[0], -1.0)):
        check_answer(answer, 9)
        for info in answer["moveInfos"]:
            own = info["ownership"]
            assert len(own) == 81 and all(-1.0 <= v <= 1.0 for v in own)
            assert own[40] * sign > 0 and own[56] * sign < 0  # Black's E5 and White's C3 (row-major from A9)
    plain = serve([{**query, "id": "p", "includeMovesOwnership": False}])
    assert all("ownership" not in info for info in plain[0]["moveInfos"])


def test_with_an_ownership_head_the_ownership_fields_are_the_searchs_averages_in_the_reported_view():
    from pathlib import Path

    import numpy as np

    from games.go import GoGame, GoRules, from_gtp
    from zero.nn.inference import NetworkEvaluator

    fixture = Path(__file__).parents[1] / "network" / "fixtures" / "fidelity_go9" / "model-00000892.safetensors"
    network = NetworkEvaluator.from_checkpoint(str(fixture), device="cpu", precision="float32")
    settings = AnalysisParams(max_visits=40, batch_size=8, random_symmetry=False)  # the root seen as it stands
    engine = AnalysisEngine(AnalysisConfig(settings, SearchParams(leaves_per_step=4)), network)
    moves = [["B", "E5"], ["W", "C3"], ["B", "G7"]]  # White to move
    flags = ("includeOwnership", "includeOwnershipStdev", "includeMovesOwnership", "includeMovesOwnershipStdev")
    query = {**NINE, "moves": moves, "maxVisits": 40, **dict.fromkeys(flags, True)}
    answers = {
        view: serve([{**query, "id": view, "overrideSettings": {"reportAnalysisWinratesAs": view}}], engine)[0]
        for view in ("BLACK", "WHITE", "SIDETOMOVE")
    }
    position = GoGame(GoRules(size=9, komi=7.5))
    for _, move in moves:
        position.play(from_gtp(move, 9))
    planes = position.planes(liberty_planes=network.liberty_input)[None]
    root = -network.evaluate_heads(planes)[3].reshape(-1)  # White to move: Black's view is minus the network's
    black = answers["BLACK"]
    check_answer(black, 9, ownership=True)
    mean, spread = np.array(black["ownership"]), np.array(black["ownershipStdev"])
    infos = black["moveInfos"]
    visits = black["rootInfo"]["visits"]
    assert sum(m["visits"] for m in infos) == visits == 40 and spread.max() > 0.01
    # every node counts once: the root's own evaluation and each candidate's subtree, weighted by its visits
    np.testing.assert_allclose(
        mean * (visits + 1), root + sum(m["visits"] * np.array(m["ownership"]) for m in infos), atol=1e-3
    )
    second = root**2 + sum(
        m["visits"] * (np.array(m["ownershipStdev"]) ** 2 + np.array(m["ownership"]) ** 2) for m in infos
    )
    np.testing.assert_allclose((spread**2 + mean**2) * (visits + 1), second, atol=1e-3)
    for view in ("WHITE", "SIDETOMOVE"):  # White's view either way: the ownership negated, the spreads not
        other = answers[view]
        assert other["moveInfos"][0]["move"] == infos[0]["move"]
        np.testing.assert_allclose(other["ownership"], -mean, atol=1e-6)
        np.testing.assert_allclose(other["ownershipStdev"], spread, atol=1e-6)
        np.testing.assert_allclose(other["moveInfos"][0]["ownership"], -np.array(infos[0]["ownership"]), atol=1e-6)


def test_black_view_by_default_and_side_to_move_on_request():
    query = {**NINE, "moves": [["B", "E5"]], "maxVisits": 32}  # White to move
    black = serve([{**query, "id": "b"}])[0]
    mover = serve([{**query, "id": "m", "overrideSettings": {"reportAnalysisWinratesAs": "SIDETOMOVE"}}])[0]
    assert black["rootInfo"]["winrate"] == pytest.approx(1.0 - mover["rootInfo"]["winrate"], abs=1e-6)
    assert black["moveInfos"][0]["utility"] == pytest.approx(-mover["moveInfos"][0]["utility"], abs=1e-6)


def test_allow_moves_confines_the_search_and_avoid_moves_excludes():
    allow = {"player": "B", "moves": ["C3", "G7", "pass"], "untilDepth": 1}
    answer = serve([{**NINE, "id": "a", "moves": [], "maxVisits": 40, "allowMoves": [allow]}])[0]
    check_answer(answer, 9)
    assert {m["move"] for m in answer["moveInfos"]} <= {"C3", "G7", "pass"}
    assert answer["rootInfo"]["visits"] == 40
    avoid = {"player": "B", "moves": ["E5", "D4", "F6"], "untilDepth": 3}
    answer = serve([{**NINE, "id": "v", "moves": [], "maxVisits": 60, "avoidMoves": [avoid]}])[0]
    assert not {"E5", "D4", "F6"} & {m["move"] for m in answer["moveInfos"]}
    for m in answer["moveInfos"]:  # Black's second move (ply 2) avoids them too
        assert len(m["pv"]) < 3 or m["pv"][2] not in ("E5", "D4", "F6")
    # A rule for the other player does not bind the player to move at the root.
    other = {"player": "W", "moves": ["C3"], "untilDepth": 1}
    answer = serve([{**NINE, "id": "o", "moves": [], "maxVisits": 30, "allowMoves": [other]}])[0]
    assert len(answer["moveInfos"]) > 1


@pytest.mark.parametrize(
    "line, field",
    [
        ({**NINE, "id": "e", "moves": [], "rules": "ing"}, "rules"),
        ({**NINE, "id": "e", "moves": [], "rules": 7}, "rules"),
        ({**NINE, "id": "e", "moves": [], "rules": {"kRule": "SIMPLE"}}, "rules"),
        ({**NINE, "id": "e", "moves": [], "rules": {"koRule": "SUPER"}}, "rules"),
        ({**NINE, "id": "e", "moves": [], "rules": {"hasButton": "no"}}, "rules"),
        ({**NINE, "id": "e", "moves": [["B", "E5"], ["W", "E5"]]}, "moves"),
        ({**NINE, "id": "e", "moves": [["X", "E5"]]}, "moves"),
        ({**NINE, "id": "e", "moves": [["B", "Z99"]]}, "moves"),
        ({**NINE, "id": "e"}, "moves"),
        ({"id": "e", "moves": [], "rules": "chinese", "boardXSize": 9}, "boardYSize"),
        ({**NINE, "id": "e", "moves": [], "boardXSize": 9, "boardYSize": 7}, "boardYSize"),
        ({**NINE, "id": "e", "moves": [], "boardXSize": 25, "boardYSize": 25}, "boardXSize"),
        ({**NINE, "id": "e", "moves": [], "komi": 7.3}, "komi"),
        ({**NINE, "id": "e", "moves": [], "komi": "7.5"}, "komi"),
        ({**NINE, "id": "e", "moves": [["B", "E5"]], "analyzeTurns": [2]}, "analyzeTurns"),
        ({**NINE, "id": "e", "moves": [], "maxVisits": 0}, "maxVisits"),
        ({**NINE, "id": "e", "moves": [], "rootPolicyTemperature": -1}, "rootPolicyTemperature"),
        ({**NINE, "id": "e", "moves": [], "includeOwnership": "yes"}, "includeOwnership"),
        ({**NINE, "id": "e", "moves": [], "initialStones": [["B", "E5"], ["W", "E5"]]}, "initialStones"),
        ({**NINE, "id": "e", "moves": [], "allowMoves": [{"player": "B", "moves": ["E5"]}]}, "allowMoves"),
        (
            {**NINE, "id": "e", "moves": [], "avoidMoves": [{"player": "B", "moves": ["E5"], "untilDepth": 0}]},
            "avoidMoves",
        ),
        ({**NINE, "id": "e", "moves": [], "priority": 1.5}, "priority"),
        ({"id": "e", "action": "dance"}, "action"),
        ({"id": "e", "action": "terminate"}, "terminateId"),
    ],
)
def test_a_bad_field_is_an_error_naming_it_and_the_engine_keeps_serving(line, field):
    answers = serve([line, {**NINE, "id": "next", "moves": [], "maxVisits": 4}])
    assert answers[0] == {"id": "e", "field": field, "error": answers[0]["error"]}
    assert isinstance(answers[0]["error"], str) and answers[0]["error"]
    assert answers[1]["id"] == "next" and "moveInfos" in answers[1]  # the engine still serves
    assert len(answers) == 2  # the bad query was dropped


@pytest.mark.parametrize("line", ["not json", "[1, 2]", '{"moves": []}', '{"id": 5}', '{"id": "x"'])
def test_a_line_without_a_usable_id_gets_a_general_error(line):
    answers = serve([line, {**NINE, "id": "next", "moves": [], "maxVisits": 4}])
    assert set(answers[0]) == {"error"}
    assert answers[1]["id"] == "next"


@pytest.mark.parametrize(
    "rules, stones, superko, warned, komi",  # komi: searched before and after Black's E5
    [
        ("japanese", [], "simple", "scoring, tax", (7.5, 7.5)),  # KaTrain's default
        ("Korean", [], "simple", "scoring, tax", (7.5, 7.5)),
        ("new zealand", [], "positional", "", (7.5, 7.5)),  # area scoring; its suicide stays illegal, unwarned
        ("stone_scoring", [], "simple", "tax", (7.5, 7.5)),
        ("chinese", [], "simple", "", (7.5, 7.5)),
        ("chinese", [["B", "C3"], ["B", "G7"]], "simple", "", (9.5, 10.5)),  # a point per handicap stone; E5 is one
        ("aga", [["B", "C3"], ["B", "G7"], ["B", "C7"]], "positional", "", (9.5, 10.5)),  # one fewer
        ("chinese", [["B", "C3"], ["W", "G7"]], "simple", "", (7.5, 7.5)),  # a set-up position, not handicap
        ("TrompTaylor", [["B", "C3"], ["B", "G7"]], "positional", "", (7.5, 7.5)),
        (
            {"koRule": "POSITIONAL", "scoringRule": "AREA", "multiStoneSuicideLegal": False},
            [],
            "positional",
            "",
            (7.5, 7.5),
        ),
        (
            {"ko": "SIMPLE", "scoring": "TERRITORY", "tax": "SEKI", "friendlyPassOk": True},
            [],
            "simple",
            "scoring, tax",
            (7.5, 7.5),
        ),
        (
            {"hasButton": True, "whiteHandicapBonus": "N"},
            [["B", "C3"], ["B", "G7"]],
            "positional",
            "hasButton",
            (9.5, 10.5),
        ),
    ],
)
def test_every_katago_rule_set_is_searched_with_its_ko_rule_and_compensation_and_a_warning_names_what_is_not_played(
    rules, stones, superko, warned, komi
):
    query = {**NINE, "id": "r", "moves": [["B", "E5"]], "initialStones": stones, "rules": rules, "maxVisits": 8}
    query["analyzeTurns"] = [0, 1]
    parsed = parse_line(json.dumps(query), default_visits=8, max_visits=8, network_size=None)
    assert [turn.game.rules.superko for turn in parsed.turns] == [superko, superko]
    assert tuple(turn.game.komi for turn in parsed.turns) == komi
    warnings = [reply for reply in parsed.replies if "warning" in reply]
    assert [reply["field"] for reply in warnings] == (["rules"] if warned else [])
    if warned:
        assert warnings[0]["warning"].startswith(f"{warned} of these rules not played")
    answers = serve([query])  # and the engine answers it
    assert answers[-1]["id"] == "r" and answers[-1]["rootInfo"]["visits"] == 8


def test_black_moves_before_whites_first_count_as_handicap_stones():
    moves = [["B", "C3"], ["B", "G7"], ["W", "E5"], ["B", "C7"]]
    query = {**NINE, "id": "h", "moves": moves, "rules": "chinese", "analyzeTurns": [0, 1, 2, 3, 4], "maxVisits": 4}
    parsed = parse_line(json.dumps(query), default_visits=4, max_visits=4, network_size=None)
    assert [turn.game.komi for turn in parsed.turns] == [7.5, 7.5, 9.5, 9.5, 9.5]
    # White twice: a set-up position, from the turn that shows it
    setup = {**query, "moves": [["B", "C3"], ["B", "G7"], ["W", "E5"], ["W", "C7"]]}
    parsed = parse_line(json.dumps(setup), default_visits=4, max_visits=4, network_size=None)
    assert [turn.game.komi for turn in parsed.turns] == [7.5, 7.5, 9.5, 9.5, 7.5]


def test_unknown_fields_and_clipped_visits_are_warnings_and_the_query_runs():
    engine = make_engine(max_visits_limit=20)
    answers = serve(
        [
            {
                **NINE,
                "id": "w",
                "moves": [],
                "maxVisits": 50,
                "colour": "blue",
                "overrideSettings": {"wideRootNoise": 0.0},
            }
        ],
        engine,
    )
    warnings = [a for a in answers if "warning" in a]
    assert {a["field"] for a in warnings} == {"colour", "maxVisits", "overrideSettings"}
    assert all(set(a) == {"id", "field", "warning"} for a in warnings)
    final = [a for a in answers if "moveInfos" in a]
    assert len(final) == 1 and final[0]["rootInfo"]["visits"] == 20


def test_actions_query_version_clear_cache_and_terminate_of_queued_queries():
    version = {"id": "v", "action": "query_version"}
    clear = {"id": "c", "action": "clear_cache"}
    engine = make_engine(batch_size=1)
    answers = serve(
        [
            {**NINE, "id": "big", "moves": [], "maxVisits": 30, "analyzeTurns": [0]},
            {**NINE, "id": "q", "moves": [["B", "E5"]], "maxVisits": 30, "analyzeTurns": [0, 1]},
            version,
            clear,
            {"id": "t", "action": "terminate", "terminateId": "q", "turnNumbers": [1]},
        ],
        engine,
    )
    by_id = {}
    for a in answers:
        by_id.setdefault(a["id"], []).append(a)
    assert by_id["v"] == [{**version, "version": by_id["v"][0]["version"], "git_hash": by_id["v"][0]["git_hash"]}]
    assert by_id["c"] == [clear]
    assert by_id["t"] == [{"id": "t", "action": "terminate", "terminateId": "q", "turnNumbers": [1]}]
    # q's turn 1 was still queued: it ends with noResults; its turn 0 and the other query run normally.
    assert {"id": "q", "isDuringSearch": False, "noResults": True, "turnNumber": 1} in by_id["q"]
    assert [a["turnNumber"] for a in by_id["q"] if "moveInfos" in a] == [0]
    assert len(by_id["big"]) == 1 and by_id["big"][0]["rootInfo"]["visits"] == 30


class SlowInput(io.TextIOBase):
    """A stdin whose lines arrive when the test releases them (as from a client process)."""

    def __init__(self):
        self._r, self._w = os.pipe()
        self._reader = os.fdopen(self._r, "r")

    def send(self, obj) -> None:
        os.write(self._w, (json.dumps(obj) + "\n").encode())

    def close_input(self) -> None:
        os.close(self._w)

    def __iter__(self):
        return iter(self._reader)


class Collector(io.StringIO):
    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.getvalue().splitlines()]


def run_live(engine: AnalysisEngine):
    stdin, out = SlowInput(), Collector()
    thread = threading.Thread(target=engine.serve, args=(stdin, out), daemon=True)
    thread.start()
    return stdin, out, thread


def wait_for(predicate, seconds=60.0) -> None:
    end = time.time() + seconds
    while not predicate():
        assert time.time() < end, "timed out"
        time.sleep(0.02)


def test_terminate_stops_a_running_search_with_its_partial_result_and_partial_reports_come_first():
    engine = make_engine(max_visits_limit=1_000_000, chunk_seconds=0.05)
    stdin, out, thread = run_live(engine)
    stdin.send({**NINE, "id": "long", "moves": [], "maxVisits": 1_000_000, "reportDuringSearchEvery": 0.1})
    wait_for(lambda: any(a.get("isDuringSearch") for a in out.lines()))
    stdin.send({"id": "stop", "action": "terminate", "terminateId": "long"})
    wait_for(lambda: any(a["id"] == "long" and a["isDuringSearch"] is False for a in out.lines()))
    stdin.close_input()
    thread.join(30)
    answers = [a for a in out.lines() if a["id"] == "long"]
    assert all(a["isDuringSearch"] for a in answers[:-1]) and answers[-1]["isDuringSearch"] is False
    partial = [a["rootInfo"]["visits"] for a in answers[:-1]]
    assert partial == sorted(partial) and answers[-1]["rootInfo"]["visits"] >= partial[-1]
    assert answers[-1]["rootInfo"]["visits"] < 1_000_000
    check_answer(answers[-1], 9)


def test_queries_of_several_games_share_one_batched_search_and_priority_goes_first():
    engine = make_engine(batch_size=8)
    games = [
        {**NINE, "id": f"g{i}", "moves": [["B", m]], "maxVisits": 12 + i}
        for i, m in enumerate(["E5", "C3", "G7", "D4"])
    ]
    answers = serve(games, engine)
    assert engine.wave_sizes == [4]  # one wave: the four positions searched together
    assert sorted(a["id"] for a in answers) == ["g0", "g1", "g2", "g3"]
    for a in answers:
        assert a["rootInfo"]["visits"] == 12 + int(a["id"][1])
    # One position per wave: the higher priority is answered first, whatever the arrival order.
    engine = make_engine(batch_size=1)
    answers = serve(
        [
            {**NINE, "id": "low", "moves": [], "maxVisits": 4},
            {**NINE, "id": "high", "moves": [], "maxVisits": 4, "priority": 5},
        ],
        engine,
    )
    assert [a["id"] for a in answers] == ["high", "low"]


@pytest.mark.parametrize(
    "first, second",
    [({"komi": 7.5}, {"komi": 0.5}), ({"rules": "chinese"}, {"rules": "tromp-taylor"})],  # simple ko, superko
)
def test_different_komi_or_ko_rules_go_to_different_waves(first, second):
    engine = make_engine()
    answers = serve(
        [
            {**NINE, "id": "a", "moves": [], "maxVisits": 4, **first},
            {**NINE, "id": "b", "moves": [], "maxVisits": 4, **second},
        ],
        engine,
    )
    assert sorted(engine.wave_sizes) == [1, 1]
    assert sorted(a["id"] for a in answers if "moveInfos" in a) == ["a", "b"]


def test_a_wave_holds_only_as_many_trees_as_fit_in_its_memory_budget():
    engine = make_engine(max_tree_mb=1, max_visits_limit=10_000)  # 1 MB: one 9x9 tree of 400 nodes is ~0.7 MB
    answers = serve([{**NINE, "id": f"m{i}", "moves": [], "maxVisits": 400} for i in range(3)], engine)
    assert engine.wave_sizes == [1, 1, 1] and len(answers) == 3


def test_a_failing_wave_answers_its_queries_with_an_error_and_the_engine_goes_on(monkeypatch):
    engine = make_engine()
    real = engine._run_wave
    calls = []

    def flaky(wave):
        calls.append(len(wave))
        if len(calls) == 1:
            raise RuntimeError("boom")
        return real(wave)

    monkeypatch.setattr(engine, "_run_wave", flaky)
    answers = serve([{**NINE, "id": "bad", "moves": [], "maxVisits": 4}], engine)
    assert answers == [{"id": "bad", "turnNumber": 0, "error": "internal error: boom"}]
    answers = serve([{**NINE, "id": "good", "moves": [], "maxVisits": 4}], engine)
    assert answers[0]["id"] == "good" and "moveInfos" in answers[0]
