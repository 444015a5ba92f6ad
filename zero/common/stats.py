"""Match statistics, the project's one Elo module: Wilson score intervals, Elo from a score, match summaries; stdlib only."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class MatchSummary:
    """Score of player A over n games (draws count half) with 95% intervals."""

    games: int
    wins: int
    losses: int
    draws: int
    win_rate: float  # (wins + draws/2) / games; nan when no game was played
    win_rate_low: float  # Wilson score interval, 95%
    win_rate_high: float
    elo: float | None  # Elo difference A - B; None when unbounded (score 0 or 1)
    elo_low: float | None  # Elo of win_rate_low; None = -inf
    elo_high: float | None  # Elo of win_rate_high; None = +inf


def wilson_interval(score: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``score`` observed over ``n`` trials."""
    if n <= 0:
        return 0.0, 1.0
    denom = 1.0 + z * z / n
    centre = (score + z * z / (2 * n)) / denom
    half = z * math.sqrt(score * (1.0 - score) / n + z * z / (4 * n * n)) / denom
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # at 0% or 100% the matching bound is exactly 0 or 1 (rounding must not make it finite)
    return (0.0 if score <= 0.0 else low), (1.0 if score >= 1.0 else high)


def elo_from_score(score: float) -> float | None:
    """Elo difference whose expected score is ``score`` (logistic, 400 points per factor 10); None at 0 or 1."""
    if score <= 0.0 or score >= 1.0:
        return None
    return -400.0 * math.log10(1.0 / score - 1.0)


def elo_clipped(score: float, games: int) -> float:
    """Elo of a score over ``games`` games with 0% and 100% pulled in by half a game, so that it stays finite (an Elo table needs a number)."""
    eps = 1.0 / (2 * max(games, 1))
    return elo_from_score(min(max(score, eps), 1 - eps))


def summarize(wins: int, losses: int, draws: int = 0) -> MatchSummary:
    """Summary of a match from player A's wins, losses and draws."""
    n = wins + losses + draws
    if n == 0:
        return MatchSummary(0, 0, 0, 0, float("nan"), 0.0, 1.0, None, None, None)
    score = (wins + 0.5 * draws) / n
    low, high = wilson_interval(score, n)
    return MatchSummary(n, wins, losses, draws, score, low, high, elo_from_score(score), elo_from_score(low), elo_from_score(high))


def format_elo(value: float | None, unbounded_sign: int) -> str:
    """Elo for a table: '+123', or '+inf'/'-inf' where the value is unbounded."""
    if value is None:
        return "+inf" if unbounded_sign > 0 else "-inf"
    return f"{value:+.0f}"
