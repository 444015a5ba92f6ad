"""Self-play rules that make 9x9 learn: no early pass while a non-own-eye move exists (search batch and worker), and
AlphaGo Zero's resignation threshold calibrated on played-out games (calibrator, worker, orchestrator summary)."""

from __future__ import annotations

import numpy as np
import pytest
from selfplay_fakes import BlackDespairs

from games import FIRST_PLAYER, SECOND_PLAYER, opponent
from games.go import BLACK, GoGame, GoRules, GoSearchBatch
from mcts import SearchParams
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.records import GameRecord
from selfplay.resign import ResignCalibrator
from selfplay.worker import SelfPlayWorker

RULES_5X5 = GoRules(size=5, komi=2.5, max_moves=60)
PASS_5X5 = 25


def _pass_legal(game: GoGame, no_pass_before: int) -> bool:
    _, legal, _, _ = GoSearchBatch([game], no_pass_before=no_pass_before).root_inputs()
    return bool(legal[0, PASS_5X5])


def test_pass_is_masked_while_a_move_that_fills_no_own_eye_exists():
    game = GoGame(RULES_5X5)
    assert _pass_legal(game, 0)  # the option off: pass is always legal
    assert not _pass_legal(game, 10)  # empty board, move 0 < 10: pass is not
    for a in (0, 24, 6, 18):
        game.play(a)
    assert not _pass_legal(game, 10)
    assert _pass_legal(game, 4)  # 4 moves played: the rule no longer applies


def test_pass_stays_legal_when_only_own_eyes_are_left():
    # Black to move; the only empty points are Black's own single-point eyes (a and e on the first row).
    game = GoGame.from_diagram(
        """
        . X O O .
        X X O O O
        X X O . O
        X X X O O
        . X X O .
        """,
        to_move=BLACK,
        rules=RULES_5X5,
    )
    _, legal, _, _ = GoSearchBatch([game], no_pass_before=50).root_inputs()
    assert legal[0, :PASS_5X5].any()  # Black could fill its own eyes (or play into White's) ...
    assert legal[0, PASS_5X5]  # ... yet none of those is a move that does not fill its own eye: pass is allowed
    game.to_move = opponent(
        BLACK
    )  # White: its eyes are its own, Black's eyes are not White's: nothing legal but own eyes
    _, legal_w, _, _ = GoSearchBatch([game], no_pass_before=50).root_inputs()
    assert legal_w[0, PASS_5X5]


def test_pass_is_masked_inside_the_tree_too():
    # Paths from the root: after one move (move 1 < 10) pass is masked at the leaf; with the option off it is not.
    game = GoGame(RULES_5X5)
    paths = np.array([[12], [12]], np.int32)
    for option, expected in ((10, False), (0, True)):
        batch = GoSearchBatch([game], no_pass_before=option)
        _, legal, _, _ = batch.leaf_inputs(np.zeros(2, np.int32), paths, np.array([1, 1], np.int32))
        assert bool(legal[0, PASS_5X5]) is expected


class PassLover:
    """Priors almost all on pass; value 0: without the rule, games end by two passes at once."""

    def __init__(self, num_actions: int) -> None:
        self.num_actions = num_actions

    def evaluate(self, planes: np.ndarray):
        priors = np.full((len(planes), self.num_actions), 1e-3, np.float32)
        priors[:, -1] = 1.0
        return priors, np.zeros(len(planes), np.float32)


def _worker(evaluator, *, games: int = 4, simulations: int = 8, seed: int = 0, **params) -> SelfPlayWorker:
    adapter = make_adapter("go", RULES_5X5)
    search = SearchParams(simulations=simulations, leaves_per_step=4)
    return SelfPlayWorker(adapter, search, SelfPlayParams(games_in_parallel=games, **params), evaluator, seed=seed)


def test_worker_plays_games_out_with_pass_min_moves():
    short = _worker(PassLover(26), resign_threshold=-1.0, temperature_moves=0).play(4)
    assert max(r.num_positions for r in short) <= 3  # the pass-lover ends games at once without the rule
    long = _worker(PassLover(26), resign_threshold=-1.0, temperature_moves=0, pass_min_moves=25).play(4)
    for record in long:
        moves = record.moves.tolist()
        first_pass = moves.index(PASS_5X5) if PASS_5X5 in moves else len(moves)
        assert first_pass >= 10, moves  # a 5x5 board takes at least ~10 moves to leave only own eyes
        # replay: wherever a pass was played before move 25, no move that fills no own eye was left
        game = GoGame(RULES_5X5)
        for i, a in enumerate(moves):
            if a == PASS_5X5 and i < 25:
                assert _pass_legal(game, 25), (i, moves)
            game.play(int(a))


def _record(
    winner_min: float,
    *,
    winner: int = FIRST_PLAYER,
    disabled: bool = True,
    resigned: bool = False,
    length: int = 30,
    version: int = 1,
) -> GameRecord:
    to_move = np.where(np.arange(length) % 2 == 0, FIRST_PLAYER, SECOND_PLAYER)
    root_value = np.where(to_move == winner, 0.5, -0.5).astype(np.float32)
    root_value[length - 2 if to_move[length - 2] == winner else length - 1] = winner_min  # the winner's low point, late
    return GameRecord(
        planes=np.zeros((length, 17, 5, 5), np.uint8),
        policy=np.zeros((length, 26), np.float32),
        root_value=root_value,
        to_move=to_move.astype(np.int8),
        moves=np.zeros(length, np.int32),
        is_full_search=np.ones(length, bool),
        result=1.0 if winner == FIRST_PLAYER else -1.0,
        final_ownership=None,
        resigned=resigned,
        resign_disabled=disabled,
        model_version=version,
    )


def test_calibrator_is_off_without_evidence_then_keeps_false_positives_under_target():
    cal = ResignCalibrator(cap=-0.5, target=0.05, min_evidence=100, min_moves=0)
    minima = np.linspace(-1.0, 1.0, 200)
    for i, m in enumerate(minima[:99]):
        cal.add(_record(float(m), winner=(FIRST_PLAYER, SECOND_PLAYER)[i % 2]))
    assert cal.threshold == -1.0  # 99 played-out games: not enough evidence, resignation off
    for i, m in enumerate(minima[99:]):
        cal.add(_record(float(m), winner=(FIRST_PLAYER, SECOND_PLAYER)[i % 2]))
    cal.add(_record(-0.99, disabled=False))  # a game that could resign is no evidence
    cal.add(_record(-0.99, resigned=True))
    cal.add(_record(-0.99, version=0))  # nor is a game of the untrained network
    assert cal.evidence == 200
    t = cal.threshold
    assert -1.0 < t <= -0.5
    assert cal.false_positive_share(t) <= 0.05
    assert cal.false_positive_share(t + 0.02) > 0.05  # the highest such threshold (grid step ~0.01)
    assert t == pytest.approx(minima[10], abs=1e-6)  # 10 of 200 minima lie below it: 5%


def test_calibrator_respects_the_cap_and_resign_min_moves():
    cal = ResignCalibrator(cap=-0.9, target=0.05, min_evidence=10, min_moves=0)
    for _ in range(20):
        cal.add(_record(0.3))  # winners never looked lost: calibration alone would resign at 0.3
    assert cal.threshold == -0.9
    late = ResignCalibrator(cap=0.0, target=0.0, min_evidence=1, min_moves=29)
    late.add(_record(-0.8, length=30))  # the low point is at move 28: before min_moves, it does not count
    assert late.threshold == 0.0  # capped; the winner's value from move 29 on was 0.5


def test_worker_with_calibration_plays_out_until_the_run_sets_a_threshold():
    worker = _worker(
        BlackDespairs(26),
        resign_threshold=-0.9,
        resign_min_moves=0,
        resign_playout_fraction=0.0,
        temperature_moves=0,
        resign_calibrate=True,
    )
    records = worker.play(4)
    assert all(not r.resigned and r.resign_disabled for r in records)  # off: every game is played out, as evidence
    worker.set_resign_threshold(-0.9)
    later = worker.play(8)
    assert any(r.resigned for r in later)  # games begun after the threshold arrived resign at once
    assert all(r.num_positions == 1 for r in later if r.resigned)


def test_a_threshold_set_before_the_first_move_applies_to_the_first_games():
    worker = _worker(
        BlackDespairs(26),
        resign_threshold=-0.9,
        resign_min_moves=0,
        resign_playout_fraction=0.0,
        temperature_moves=0,
        resign_calibrate=True,
    )
    assert all(slot.resign_disabled for slot in worker.slots)  # built with resignation off
    worker.set_resign_threshold(-0.9)  # a resumed run sends its threshold with the first task
    first = worker.play(4)
    assert all(r.resigned and not r.resign_disabled for r in first)  # not played out as if it were still off


def test_how_games_end_is_classified():
    from selfplay.progress import how_ended

    r = _record(0.0)
    assert how_ended(r) == "cap"
    r.moves[-2:] = 25
    assert how_ended(r) == "passes"
    assert how_ended(_record(0.0, resigned=True)) == "resign"


def test_calibrated_run_reports_false_positives_on_the_calibrator_window():
    from types import SimpleNamespace

    from selfplay.orchestrator import _Loop
    from selfplay.progress import RunCounters

    loop = SimpleNamespace(
        resign=ResignCalibrator(cap=-0.5, target=0.05, min_evidence=20, min_moves=0),
        counters=RunCounters(resign_disabled=1000, resign_false_positives=1),
    )
    assert _Loop._false_positive_rate(loop) is None  # resignation still off: nothing measured
    for m in np.linspace(-1.0, 1.0, 40):
        loop.resign.add(_record(float(m)))
    rate = _Loop._false_positive_rate(loop)
    assert rate == loop.resign.false_positive_share(loop.resign.threshold) and 0.0 < rate <= 0.05
    loop.resign = None
    assert _Loop._false_positive_rate(loop) == 0.001  # uncalibrated runs: the counters, as before


def test_resignation_evidence_survives_a_checkpoint_and_a_resume(tmp_path):
    from types import SimpleNamespace

    import torch

    from selfplay.orchestrator import _Loop, resign_calibrator
    from selfplay.progress import RunCounters
    from zero.nn.checkpoint import load_training_state

    sp = SelfPlayParams(resign_calibrate=True, resign_threshold=-0.5, resign_min_evidence=20, resign_min_moves=0)
    loop = SimpleNamespace(resign=resign_calibrator(sp, {}), counters=RunCounters(games=7))
    assert loop.resign.evidence == 0 and loop.resign.threshold == -1.0  # a new run: no evidence, resignation off
    for m in np.linspace(-1.0, 1.0, 40):
        loop.resign.add(_record(float(m)))
    torch.save({"run_state": _Loop._run_state(loop)}, tmp_path / "train.pt")
    resumed = load_training_state(tmp_path / "train.pt")["run_state"]  # weights_only, as a resume loads it
    assert RunCounters.from_dict(resumed).games == 7
    restored = resign_calibrator(sp, resumed)
    assert restored.evidence == 40
    assert restored.threshold == loop.resign.threshold > -1.0  # resigns at once after the resume
    assert resign_calibrator(SelfPlayParams(resign_calibrate=False), resumed) is None
    with pytest.raises(ValueError, match="winner_minima"):
        restored.load_state_dict({"winner_minima": "not a list"})
    assert restored.evidence == 40  # refused: the evidence is unchanged
