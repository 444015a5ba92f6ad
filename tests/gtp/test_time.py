"""Time management: budgets never overrun main time, Japanese byo-yomi periods or Canadian periods."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zero.gtp.clock import Clock, TimeParams, move_budget

PARAMS = TimeParams(margin=0.2, minimum=0.05)
OVERHEAD = 0.1  # what a move costs beyond the budget (latency); must stay below the margin


def test_time_settings_meaning():
    assert Clock.from_gtp(0, 1, 0).kind == "none"  # byo-yomi time without stones: no limit (GTP 2)
    assert Clock.from_gtp(0, 0, 0).kind == "none"
    assert Clock.from_gtp(300, 0, 0).kind == "absolute"
    assert Clock.from_gtp(300, 30, 5).kind == "canadian"
    assert move_budget(Clock(), 0, 81, PARAMS) is None


def play_canadian(main: float, period: float, stones: int, moves: int) -> None:
    """Play ``moves`` own moves spending budget + overhead; the real clock must never flag."""
    clock = Clock.from_gtp(main, period, stones).start()
    real_main, real_left, real_stones = main, 0.0, 0
    for move in range(moves):
        budget = move_budget(clock, 2 * move, 81, PARAMS)
        spent = budget + OVERHEAD
        if real_stones == 0:
            if spent <= real_main:
                real_main -= spent
                spent = 0.0
            else:
                spent -= real_main
                real_main = 0.0
                real_left, real_stones = period, stones
        if real_stones > 0 and spent > 0 or real_stones > 0:
            real_left -= spent
            assert real_left >= 0, f"flagged at move {move}: budget {budget:.3f}"
            real_stones -= 1
            if real_stones == 0:
                real_left, real_stones = period, stones
        clock.update(real_main if real_stones == 0 and real_main > 0 else real_left, 0 if real_main > 0 else real_stones)


@given(
    main=st.floats(0, 60),
    period=st.floats(2, 60),
    stones=st.integers(1, 25),
    moves=st.integers(1, 150),
)
@settings(max_examples=200, deadline=None)
def test_canadian_never_loses_on_time(main, period, stones, moves):
    if period / stones <= PARAMS.margin + OVERHEAD:  # no engine can move in less than its latency
        return
    play_canadian(main, period, stones, moves)


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
