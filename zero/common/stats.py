"""Match statistics, the project's one Elo module: Wilson score intervals, Elo from a score, match summaries, the maximum-likelihood rating over rated opponents, the SPRT; stdlib only."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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
    return MatchSummary(
        n, wins, losses, draws, score, low, high, elo_from_score(score), elo_from_score(low), elo_from_score(high)
    )


def format_elo(value: float | None, unbounded_sign: int) -> str:
    """Elo for a table: '+123', or '+inf'/'-inf' where the value is unbounded."""
    if value is None:
        return "+inf" if unbounded_sign > 0 else "-inf"
    return f"{value:+.0f}"


# --- a rating from several rated opponents (the strength ladder) ------------------------

LOG_LIKELIHOOD_DROP_95 = 1.920729410347062  # chi2(1) 95% quantile / 2
_ELO_SEARCH_RANGE = 4000.0  # the rating is searched within the opponents' mean rating +- this


def expected_score(difference: float) -> float:
    """Logistic Elo expectation of a player rated ``difference`` points above its opponent (400 per factor 10)."""
    return 1.0 / (1.0 + 10.0 ** (-difference / 400.0))


def _log_likelihood(rating: float, results: list[tuple[float, float, float]]) -> float:
    """Log-likelihood of ``rating`` given (score, games, opponent rating) triples; draws count as half a win."""
    total = 0.0
    for score, games, opponent in results:
        p = min(max(expected_score(rating - opponent), 1e-300), 1.0 - 1e-16)
        total += games * (score * math.log(p) + (1.0 - score) * math.log1p(-p))
    return total


def anchored_rating(results: list[tuple[float, int, float]]) -> dict[str, Any]:
    """Maximum-likelihood rating from (score, games, opponent rating) per rung with a 95% likelihood-ratio interval.

    Returns {"elo", "elo_low", "elo_high", "games"}; "elo" is None without games against a rated rung, a
    bound is None where the data do not limit it (every game won: no upper bound; every game lost: no lower).
    """
    rated = [(s, float(n), r) for s, n, r in results if n > 0]
    games = int(sum(n for _, n, _ in rated))
    if not rated:
        return {"elo": None, "elo_low": None, "elo_high": None, "games": 0}
    centre = sum(r for _, _, r in rated) / len(rated)
    lo_edge, hi_edge = centre - _ELO_SEARCH_RANGE, centre + _ELO_SEARCH_RANGE
    # the log-likelihood is concave in the rating: ternary search for its maximum, then bisect each side
    a, b = lo_edge, hi_edge
    for _ in range(200):
        m1, m2 = a + (b - a) / 3, b - (b - a) / 3
        if _log_likelihood(m1, rated) < _log_likelihood(m2, rated):
            a = m1
        else:
            b = m2
    best = (a + b) / 2
    floor = _log_likelihood(best, rated) - LOG_LIKELIHOOD_DROP_95

    def crossing(inside: float, outside: float) -> float | None:
        if _log_likelihood(outside, rated) >= floor:
            return None  # the likelihood never drops enough on this side: unbounded
        for _ in range(100):
            mid = (inside + outside) / 2
            if _log_likelihood(mid, rated) >= floor:
                inside = mid
            else:
                outside = mid
        return (inside + outside) / 2

    low, high = crossing(best, lo_edge), crossing(best, hi_edge)
    score_all = sum(s * n for s, n, _ in rated) / games
    elo = None if score_all in (0.0, 1.0) else best  # all won / all lost: the estimate runs off to the edge
    return {"elo": elo, "elo_low": low, "elo_high": high, "games": games}


# --- the sequential probability ratio test (zero match --sprt) ------------------------


def sprt_bounds(alpha: float, beta: float) -> tuple[float, float]:
    """Wald's (lower, upper) log-likelihood-ratio bounds: below lower accept H0, above upper accept H1; ``alpha`` is
    the chance of accepting H1 when H0 holds, ``beta`` of accepting H0 when H1 holds."""
    return math.log(beta / (1.0 - alpha)), math.log((1.0 - beta) / alpha)


def sprt_llr(wins: int, losses: int, draws: int, elo0: float, elo1: float) -> float:
    """Log-likelihood ratio of H1 (A is ``elo1`` stronger than B) over H0 (``elo0`` stronger) after these games,
    each an independent trial at the logistic expected score; a draw counts half a win and half a loss."""
    p0, p1 = expected_score(elo0), expected_score(elo1)
    win, loss = math.log(p1 / p0), math.log((1.0 - p1) / (1.0 - p0))
    return (wins + 0.5 * draws) * win + (losses + 0.5 * draws) * loss


def sprt_verdict(llr: float, alpha: float, beta: float) -> str | None:
    """The test's verdict on ``llr``: "H1" at or above the upper bound, "H0" at or below the lower, else None."""
    lower, upper = sprt_bounds(alpha, beta)
    if llr >= upper:
        return "H1"
    return "H0" if llr <= lower else None
