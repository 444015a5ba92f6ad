"""Time management: budgets never overrun main time, Japanese byo-yomi periods or Canadian periods."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from zero.gtp.clock import Clock, OverheadMeter, TimeParams, move_budget

PARAMS = TimeParams(margin=0.2, minimum=0.05)
OVERHEAD = 0.1  # what a move costs beyond the budget (latency); must stay below the margin


def test_time_settings_meaning():
    assert Clock.from_gtp(0, 1, 0).kind == "none"  # byo-yomi time without stones: no limit (GTP 2)
    assert Clock.from_gtp(0, 0, 0).kind == "none"
    assert Clock.from_gtp(300, 0, 0).kind == "absolute"
    assert Clock.from_gtp(300, 30, 5).kind == "canadian"
    assert move_budget(Clock(), 0, 81, PARAMS) is None


def play_canadian(
    main: float,
    period: float,
    stones: int,
    moves: int,
    params: TimeParams = PARAMS,
    overhead: float = OVERHEAD,
    meter: OverheadMeter | None = None,
) -> None:
    """Play ``moves`` own moves, each costing its budget plus ``overhead`` seconds that the engine does not control
    (search overrun, move choice, replies); the engine measures that overhead as a real one does (OverheadMeter).
    The controller's clock, kept here independently, must never flag."""
    clock = Clock.from_gtp(main, period, stones).start()
    meter = meter or OverheadMeter()
    main_left, period_left, stones_left = main, 0.0, 0  # the controller's clock; stones_left 0 = main time
    for move in range(moves):
        budget = move_budget(clock, 2 * move, 81, params, overhead=meter.estimate)
        spent = budget + overhead
        meter.record(budget, spent)
        if stones_left == 0:  # main time
            if spent <= main_left:
                main_left -= spent
                clock.update(main_left, 0)
                continue
            spent -= main_left  # main time ran out during this move: byo-yomi starts, this move is its first stone
            main_left, period_left, stones_left = 0.0, period, stones
        period_left -= spent
        assert period_left >= -1e-9, f"flagged at move {move}: budget {budget:.3f}, overhead {overhead:.3f}"
        stones_left -= 1
        if stones_left == 0:  # period completed: a fresh one
            period_left, stones_left = period, stones
        clock.update(period_left, stones_left)


@example(
    main=0.0, period=5.0, stones=16, moves=16
)  # the example: flagged at move 15 before the margin per stone
@given(
    main=st.floats(0, 60),
    period=st.floats(2, 60),
    stones=st.integers(1, 25),
    moves=st.integers(1, 150),
)
@settings(max_examples=200, deadline=None)
def test_canadian_never_loses_on_time(main, period, stones, moves):
    assume(period / stones > PARAMS.margin + PARAMS.minimum)  # no engine can move in less than its latency
    play_canadian(main, period, stones, moves)


@example(main=0.0, period=5.0, stones=16, moves=16, margin=0.2, overhead=0.1)
@example(main=0.0, period=10.0, stones=10, moves=30, margin=0.0, overhead=0.3)  # overhead the margin does not cover
@example(
    main=0.0, period=2.0, stones=1, moves=1, margin=0.0, overhead=0.5
)  # found by Hypothesis before the warm-up move
@given(
    main=st.floats(0, 60),
    period=st.floats(1, 60),
    stones=st.integers(1, 25),
    moves=st.integers(1, 100),
    margin=st.floats(0, 1),
    overhead=st.floats(0, 1),
)
@settings(max_examples=200, deadline=None)
def test_canadian_never_loses_on_time_with_measured_overhead(main, period, stones, moves, margin, overhead):
    params = TimeParams(margin=margin, minimum=0.05)
    # No engine can move in less than its overhead plus its shortest thinking time.
    assume(period / stones > margin + overhead + params.minimum)
    # The meter has seen one move (the engine keeps it across games): the very first move an engine ever plays
    # cannot know its overhead, and only the margin covers it (test_canadian_never_loses_on_time).
    meter = OverheadMeter()
    meter.record(1.0, 1.0 + overhead)
    play_canadian(main, period, stones, moves, params, overhead, meter)


def test_overhead_meter_keeps_the_worst_recent_overrun():
    meter = OverheadMeter()
    assert meter.estimate == 0.0
    meter.record(1.0, 1.25)
    meter.record(1.0, 1.05)  # a quicker move does not lower the estimate at once
    assert meter.estimate == pytest.approx(0.25)
    meter.record(1.0, 0.5)  # finished early: no overrun
    assert meter.estimate == pytest.approx(0.25)
    for _ in range(OverheadMeter.WINDOW):
        meter.record(1.0, 1.01)
    assert meter.estimate == pytest.approx(0.01)  # an old slow move is forgotten


def test_measured_overhead_shrinks_the_budget_of_every_stone():
    clock = Clock.from_gtp(0, 10, 10).start()
    assert move_budget(clock, 0, 81, PARAMS, overhead=0.3) == pytest.approx(1.0 - PARAMS.margin - 0.3)


@given(main=st.floats(0, 60), period=st.floats(1, 30), periods=st.integers(1, 5), moves=st.integers(1, 150))
@settings(max_examples=200, deadline=None)
def test_japanese_byoyomi_never_exceeds_a_period(main, period, periods, moves):
    clock = Clock("byoyomi", main, period, periods).start()
    real_main = main
    for move in range(moves):
        budget = move_budget(clock, 2 * move, 81, PARAMS)
        spent = budget + OVERHEAD
        if real_main > 0:
            used = min(spent, real_main)
            real_main -= used
            spent -= used
        # each move in byo-yomi must fit in one period, or a period is lost
        assert spent <= period, f"period overrun at move {move}: {spent:.3f} > {period}"
        clock.update(real_main if real_main > 0 else period, 0 if real_main > 0 else periods)


@given(main=st.floats(1, 600), moves=st.integers(1, 400))
@settings(max_examples=100, deadline=None)
def test_absolute_time_spends_at_most_what_is_left(main, moves):
    clock = Clock.from_gtp(main, 0, 0).start()
    left = main
    for move in range(moves):
        budget = move_budget(clock, 2 * move, 81, PARAMS)
        if left > PARAMS.margin + PARAMS.minimum:
            assert budget <= left - PARAMS.margin + 1e-9
        left -= min(budget, left)
        clock.update(left, 0)


@given(
    main=st.floats(1, 600),
    increment=st.floats(1, 30),
    main_limit=st.one_of(st.just(math.inf), st.floats(600, 1200)),
    move_limit=st.one_of(st.just(math.inf), st.floats(1, 60)),
    moves=st.integers(1, 300),
)
@settings(max_examples=100, deadline=None)
def test_fischer_never_loses_on_time_and_keeps_its_caps(main, increment, main_limit, move_limit, moves):
    clock = Clock.fischer(main, increment, main_limit, move_limit).start()
    left = main  # the controller's clock: each move costs its budget plus the overhead, then the increment comes
    for move in range(moves):
        budget = move_budget(clock, 2 * move, 81, PARAMS)
        assert budget <= max(min(left, move_limit) - PARAMS.margin, PARAMS.minimum) + 1e-9
        left -= budget + OVERHEAD
        assert left >= 0, f"flagged at move {move}"
        left = min(left + increment, main_limit)
        clock.update(left, 0)


def test_fischer_spends_most_of_the_increment_once_the_main_time_is_gone():
    clock = Clock.fischer(60, 10).start()
    for move in range(150):  # our own bookkeeping (no time_left): each move spends its budget
        clock.spend(move_budget(clock, 2 * move, 81, PARAMS))
    # the main time has gone into the moves; what comes back each move is spent again, most of it
    assert clock.time_left < 60 and move_budget(clock, 300, 81, PARAMS) >= PARAMS.byo_share * 10
    capped = Clock.fischer(10, 5, main_time_limit=12).start()
    capped.spend(1.0)
    assert capped.time_left == 12  # 10 - 1 + 5, down to the cap
    assert move_budget(Clock.fischer(600, 0, max_move_time=3).start(), 0, 81, PARAMS) == 3 - PARAMS.margin


def test_more_time_left_means_more_thinking():
    short = move_budget(Clock("absolute", 60, 0, 0, 60, 0), 10, 81, PARAMS)
    long = move_budget(Clock("absolute", 600, 0, 0, 600, 0), 10, 81, PARAMS)
    assert long > 5 * short


def test_spend_tracks_our_own_clock_without_time_left():
    clock = Clock.from_gtp(1.0, 10.0, 2).start()
    clock.spend(1.5)  # main time exhausted: a Canadian period of 2 stones starts
    assert clock.stones_left == 2 and clock.time_left == pytest.approx(9.5)
    clock.spend(1.0)
    assert clock.stones_left == 1
    clock.spend(1.0)  # period completed: fresh period
    assert clock.stones_left == 2 and clock.time_left == pytest.approx(10.0)


# --- the play budget: visits without a clock, the clock with one -------------------------------------------


def _timed_engine(**params):
    from mcts import SearchParams
    from zero.gtp.engine import GoGtpEngine
    from zero.gtp.player import EngineParams

    settings = {"visits": 8, "analysis_visits": 4000, "ownership_playouts": 16, "seed": 1, "ponder": False, **params}
    return GoGtpEngine(
        params=EngineParams(**settings),
        search_params=SearchParams(simulations=8, leaves_per_step=4, reuse_tree=True),
    )


@pytest.mark.parametrize(
    "clock",
    [
        "time_settings 30 0 0",
        "kgs-time_settings absolute 30",
        "kgs-time_settings byoyomi 0 1 3",
        "kata-time_settings fischer 10 1",
    ],
)
def test_a_time_control_lets_the_clock_decide_past_the_visits_of_untimed_play(clock):
    untimed = _timed_engine()
    assert untimed.handle_line("genmove b").startswith("= ")
    assert untimed.player.tree_visits() <= 8 + 4  # gtp.visits, give or take one step of leaves
    timed = _timed_engine()
    assert timed.handle_line(clock) == "=\n\n"
    assert timed.handle_line("genmove b").startswith("= ")
    assert timed._budget is not None and timed._budget >= 0.05
    assert timed.player.tree_visits() > 8 + 4  # the clock's budget (>= 0.05 s of rollouts), not gtp.visits
    capped = _timed_engine(timed_visits=16)
    capped.handle_line(clock)
    capped.handle_line("genmove b")
    assert capped.player.tree_visits() <= 16 + 4  # gtp.timed_visits caps a timed search


def test_move_time_is_a_time_control_too():
    engine = _timed_engine(move_time=0.2)
    assert engine.handle_line("genmove b").startswith("= ")
    assert engine._budget == 0.2 and engine.player.tree_visits() > 8 + 4
