"""Clock bookkeeping and per-move time budgets for GTP time_settings / time_left / kgs-time_settings / kata-time_settings (pure Python, imports nothing of ours).

Budget rules (seconds of thinking for one move, before the safety margin):
* no time control: None (the visit limit alone decides);
* main time left: main / moves_left, where moves_left estimates the moves we still
  play (at least ``min_moves_left``), plus a share of one byo-yomi period if there is one;
* Canadian byo-yomi (``stones`` stones in ``period`` seconds): time_left / stones_left;
* Japanese byo-yomi (KGS ``byoyomi``): one period (never eats into the next one);
* absolute time: main / moves_left only, so the game can always be finished;
* Fischer time (KataGo's ``fischer``): main / moves_left plus most of the increment, which comes back after
  the move, never more than the time left (the increment is added after the move, not before it); with
  ``fischer-capped`` never more than the per-move cap either.
Every move keeps back a reserve, ``margin`` (client latency) plus the engine's own overhead
as measured on its recent moves (OverheadMeter: search overrun, move choice, replies). In
Canadian overtime each stone still to play in the period keeps its own reserve: the budget is
at most time_left / stones_left - reserve, so the time per remaining stone never shrinks and
the period is never overrun. The budget is clamped to at least ``minimum`` (only a period
shorter than stones x (reserve + minimum) can then be overrun: no engine moves faster).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class TimeParams:
    """How the engine spends its clock."""

    margin: float = field(default=0.5, metadata={"doc": "seconds kept back per move for latency and overhead"})
    minimum: float = field(default=0.05, metadata={"doc": "shortest thinking time per move in seconds"})
    min_moves_left: int = field(
        default=20, metadata={"doc": "never plan for fewer remaining own moves than this in main time"}
    )
    byo_share: float = field(
        default=0.8, metadata={"doc": "fraction of a byo-yomi period (or Canadian share) spent per move"}
    )

    def validate(self) -> None:
        if self.margin < 0:
            raise ValueError("margin: must be >= 0")
        if self.minimum <= 0:
            raise ValueError("minimum: must be > 0")
        if self.min_moves_left < 1:
            raise ValueError("min_moves_left: must be >= 1")
        if not 0 < self.byo_share <= 1:
            raise ValueError("byo_share: must be in (0, 1]")


@dataclass
class Clock:
    """One player's clock as the controller describes it (GTP 2 section 6.3.4 and the KGS extension)."""

    kind: str = "none"  # none | absolute | canadian | byoyomi | fischer
    main_time: float = 0.0  # seconds of main time in the settings
    period_time: float = 0.0  # byo-yomi period in seconds
    period_stones: int = 0  # canadian: stones per period; byoyomi: number of periods
    time_left: float = 0.0  # seconds left now (main, or in the current period)
    stones_left: int = 0  # 0 = still in main time; canadian: stones left; byoyomi: periods left
    increment: float = 0.0  # fischer: seconds added to the clock after each own move
    main_time_limit: float = math.inf  # fischer-capped: the clock never holds more than this after an increment
    max_move_time: float = math.inf  # fischer-capped: most seconds any one move may take

    @classmethod
    def from_gtp(cls, main_time: float, byo_yomi_time: float, byo_yomi_stones: int) -> Clock:
        """``time_settings``: byo_yomi_time > 0 with 0 stones means no time limit (GTP 2)."""
        if byo_yomi_time > 0 and byo_yomi_stones == 0:
            return cls()
        if byo_yomi_stones > 0:
            return cls("canadian", main_time, byo_yomi_time, byo_yomi_stones, main_time, 0)
        if main_time <= 0:
            return cls()
        return cls("absolute", main_time, 0.0, 0, main_time, 0)

    @classmethod
    def fischer(
        cls, main_time: float, increment: float, main_time_limit: float = math.inf, max_move_time: float = math.inf
    ) -> Clock:
        """KataGo's ``fischer`` (and ``fischer-capped``, with its two caps) time control."""
        return cls("fischer", main_time, 0.0, 0, main_time, 0, increment, main_time_limit, max_move_time)

    @property
    def has_overtime(self) -> bool:
        """Whether the controller may report stones (or periods) left: only byo-yomi clocks have them."""
        return self.kind in ("canadian", "byoyomi")

    def start(self) -> Clock:
        """The clock at the start of a game (main time, or straight into byo-yomi)."""
        fresh = replace(self, time_left=self.main_time, stones_left=0)
        if fresh.has_overtime and fresh.main_time <= 0:
            fresh.time_left = fresh.period_time
            fresh.stones_left = fresh.period_stones
        return fresh

    def update(self, time_left: float, stones: int) -> None:
        """``time_left color time stones`` from the controller."""
        self.time_left = max(0.0, time_left)
        self.stones_left = max(0, stones)

    def spend(self, seconds: float) -> None:
        """Our own bookkeeping after a move, for controllers that never send time_left."""
        if self.kind == "none":
            return
        self.time_left -= seconds
        if self.kind == "fischer" and self.time_left >= 0:
            self.time_left = min(self.time_left + self.increment, self.main_time_limit)
        elif self.stones_left == 0 and self.time_left <= 0 and self.has_overtime:
            self.time_left += self.period_time  # main time ran out: byo-yomi starts
            self.stones_left = self.period_stones
        elif self.kind == "canadian" and self.stones_left > 0:
            self.stones_left -= 1
            if self.stones_left == 0:  # period completed: a fresh one
                self.time_left = self.period_time
                self.stones_left = self.period_stones
        elif self.kind == "byoyomi" and self.stones_left > 0:
            self.time_left = self.period_time  # a period is restored after each move within it
        self.time_left = max(0.0, self.time_left)


class OverheadMeter:
    """The engine's own overhead per move: how far the time from genmove to reply overran the budget, worst of recent moves."""

    WINDOW = 16  # moves remembered: a slow start-up move is forgotten, a steady overhead is not

    def __init__(self) -> None:
        self._overruns: list[float] = []

    def record(self, budget: float, elapsed: float) -> None:
        """One move: ``budget`` seconds planned, ``elapsed`` seconds from the command to the reply."""
        self._overruns = [*self._overruns[-(self.WINDOW - 1) :], max(0.0, elapsed - budget)]

    def __len__(self) -> int:
        return len(self._overruns)

    @property
    def estimate(self) -> float:
        """Seconds to keep back per move for the overhead (0 until a move has been measured)."""
        return max(self._overruns, default=0.0)


def move_budget(
    clock: Clock, moves_played: int, board_points: int, params: TimeParams, overhead: float = 0.0
) -> float | None:
    """Seconds to think for the next move, or None when there is no time limit.

    ``overhead``: the engine's measured overhead per move (OverheadMeter.estimate), kept back with the margin."""
    if clock.kind == "none":
        return None
    reserve = params.margin + overhead
    if clock.stones_left > 0:  # in overtime
        if clock.kind == "canadian":
            share = clock.time_left / clock.stones_left  # every stone left in the period keeps its reserve
            return _clamp(share * params.byo_share, share, reserve, params)
        # japanese: the period must never be exceeded
        available = min(clock.time_left, clock.period_time)
        return _clamp(available * params.byo_share, available, reserve, params)
    # in main time: a typical game lasts about board_points moves in total (both players)
    moves_left = max(params.min_moves_left, (board_points - moves_played) // 2)
    raw = clock.time_left / moves_left
    if clock.kind == "fischer":  # the increment comes back after the move: spend most of it
        return _clamp(
            raw + params.byo_share * clock.increment, min(clock.time_left, clock.max_move_time), reserve, params
        )
    if clock.kind == "canadian" and clock.period_stones > 0:
        raw += params.byo_share * clock.period_time / clock.period_stones * 0.5
    elif clock.kind == "byoyomi":
        raw += params.byo_share * clock.period_time * 0.5
    limit = clock.time_left + (clock.period_time if clock.kind in ("canadian", "byoyomi") else 0.0)
    if clock.kind == "canadian" and clock.period_stones > 0:
        limit = clock.time_left + clock.period_time / clock.period_stones  # an overrun is the first stone of the period
    return _clamp(raw, limit, reserve, params)


def _clamp(raw: float, available: float, reserve: float, params: TimeParams) -> float:
    ceiling = max(params.minimum, available - reserve)
    return max(params.minimum, min(raw, ceiling))
