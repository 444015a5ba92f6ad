"""The match runner: ``settings.games`` refereed games between two GTP engine commands, colours alternating, and the report (no torch/ray).

Engines are started once per parallel slot and kept across games (an engine that died, hung or
sent garbage is restarted); each gets its share of the cores (zero.match.client). Every game is
played and scored by zero.match.referee; ``match_report`` and ``format_report`` sum them up.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from zero.common.stats import format_elo, sprt_bounds, sprt_llr, sprt_verdict, summarize
from zero.match.client import GtpClient, GtpClientError, start_engine
from zero.match.referee import new_game, play_game
from zero.match.settings import MatchGame, MatchSettings, Sprt

log = logging.getLogger(__name__)


def a_is_black(settings: MatchSettings, game: int) -> bool:
    """Whether engine A plays Black in game number ``game``."""
    if settings.a_color == "alternate":
        return game % 2 == 0
    return settings.a_color == "black"


def run_match(settings: MatchSettings, progress: Any = None) -> list[MatchGame]:
    """Play ``settings.games`` games, ``parallel`` at a time; colours alternate (A is Black in even games) unless
    ``settings.a_color`` fixes A's colour (a position that is a win for one side: 5x5 at komi 24.5). With
    ``settings.sprt`` no game starts once the test has decided (the games in play then are finished)."""
    lock = threading.Lock()
    next_game = iter(range(settings.games))
    records: list[MatchGame] = []
    decided = False

    def ready(client: GtpClient | None, command: str, name: str, log_name: str) -> GtpClient:
        """``client`` set up for a new game; started, or restarted once, when it is not running or fails the set-up."""
        for attempt in range(2):
            if client is not None and client.alive:
                try:
                    new_game(client, settings)
                    return client
                except GtpClientError as exc:
                    if attempt:
                        raise
                    log.warning("%s; restarting it", exc)
            elif client is not None:
                log.warning("%s is not running; restarting it", name)
            if client is not None:
                client.close()
            client = start_engine(command, name, settings, log_name)
        raise AssertionError("unreachable")

    def worker(slot: int) -> None:
        nonlocal decided
        # Each slot starts its two engines once and keeps them across games (boardsize, clear_board and komi
        # reset them); an engine is restarted only when it has died, hung or answered garbage.
        a: GtpClient | None = None
        b: GtpClient | None = None
        try:
            while True:
                with lock:
                    i = None if decided else next(next_game, None)
                if i is None:
                    return
                labels = ("A", "B") if a_is_black(settings, i) else ("B", "A")  # (Black, White)
                try:
                    a = ready(a, settings.engine_a, settings.name_a, f"A-slot{slot}")
                    b = ready(b, settings.engine_b, settings.name_b, f"B-slot{slot}")
                    black, white = (
                        (labels[0], a if labels[0] == "A" else b),
                        (labels[1], b if labels[0] == "A" else a),
                    )
                    rec = play_game(i, black, white, settings)
                except GtpClientError as exc:  # an engine failed its set-up twice, or died or hung during scoring
                    log.warning("game %d: %s", i, exc)
                    rec = MatchGame(i, labels[0], labels[1], reason="engine error", result="void")
                if rec.reason == "engine error":  # died, hung or garbled: its next reply cannot be trusted
                    for client in (a, b):  # restarted before the next game, if there is one
                        if client is not None:
                            client.close()
                with lock:
                    rec.finished = len(records)
                    records.append(rec)
                    if settings.sprt is not None and not decided:
                        decided = sprt_report(records, settings.sprt)["verdict"] is not None
                    if progress is not None:
                        progress(rec)
        finally:
            for client in (a, b):
                if client is not None:
                    client.close()

    with ThreadPoolExecutor(max_workers=max(1, settings.parallel)) as pool:
        for f in [pool.submit(worker, s) for s in range(max(1, min(settings.parallel, settings.games)))]:
            f.result()
    return sorted(records, key=lambda r: r.index)


def _outcome(record: MatchGame) -> str | None:
    """A's result in one game: "win", "loss", "draw", or None for a void or unfinished game."""
    if record.winner is not None:
        return "win" if record.winner == "A" else "loss"
    return "draw" if record.result == "0" else None


def _counts(records: list[MatchGame]) -> tuple[int, int, int]:
    """A's wins, losses and draws."""
    outcomes = [_outcome(r) for r in records]
    return outcomes.count("win"), outcomes.count("loss"), outcomes.count("draw")


def sprt_report(records: list[MatchGame], test: Sprt) -> dict[str, Any]:
    """The SPRT over the games in the order they ended: its verdict ("H1", "H0" or None) where the log-likelihood
    ratio first left the bounds, the games and ratio then (or after the last game, undecided); a game still in play
    at the verdict counts in the match's summary, not here."""
    lower, upper = sprt_bounds(test.alpha, test.beta)
    counts = {"win": 0, "loss": 0, "draw": 0}
    llr, verdict = 0.0, None
    for record in sorted(records, key=lambda r: r.finished):
        outcome = _outcome(record)
        if outcome is None:
            continue  # a void game: no trial
        counts[outcome] += 1
        llr = sprt_llr(counts["win"], counts["loss"], counts["draw"], test.elo0, test.elo1)
        verdict = sprt_verdict(llr, test.alpha, test.beta)
        if verdict is not None:
            break
    games = sum(counts.values())
    return {**asdict(test), "lower": lower, "upper": upper, "verdict": verdict, "games": games, "llr": llr}


def match_report(records: list[MatchGame], settings: MatchSettings) -> dict[str, Any]:
    """Wins by colour, A's win rate with a 95% interval, Elo difference and scoring disagreements; the SPRT's
    verdict where the match ran one."""
    summary = summarize(*_counts(records))
    by_colour = {
        "A_black_wins": sum(r.winner == "A" and r.black == "A" for r in records),
        "A_white_wins": sum(r.winner == "A" and r.white == "A" for r in records),
        "B_black_wins": sum(r.winner == "B" and r.black == "B" for r in records),
        "B_white_wins": sum(r.winner == "B" and r.white == "B" for r in records),
    }
    return {
        "engine_a": settings.engine_a,
        "engine_b": settings.engine_b,
        "name_a": settings.name_a,
        "name_b": settings.name_b,
        "size": settings.size,
        "komi": settings.komi,
        "games": len(records),
        **by_colour,
        "summary": asdict(summary),
        "illegal_moves": [r.illegal for r in records if r.illegal],
        "score_disagreements": sum(bool(r.disagreements) for r in records),
        # games where an engine's final_score differs from ours only by one-colour seki eyes (not disagreements)
        "seki_eye_differences": sum(bool(r.seki_eye_differences) and not r.disagreements for r in records),
        "sprt": None if settings.sprt is None else sprt_report(records, settings.sprt),
        "games_detail": [asdict(r) for r in records],
    }


def format_report(report: dict[str, Any]) -> str:
    """The human-readable table printed by `zero match`."""
    s = report["summary"]
    a, b = report["name_a"], report["name_b"]
    lines = [
        f"{report['games']} games on {report['size']}x{report['size']}, komi {report['komi']:g}",
        f"{'wins':24s}{'as Black':>10s}{'as White':>10s}{'total':>8s}",
        f"{a[:24]:24s}{report['A_black_wins']:>10d}{report['A_white_wins']:>10d}{s['wins']:>8d}",
        f"{b[:24]:24s}{report['B_black_wins']:>10d}{report['B_white_wins']:>10d}{s['losses']:>8d}",
        f"draws {s['draws']}",
    ]
    if s["games"]:
        lines.append(
            f"{a} win rate {100 * s['win_rate']:.1f}% (95% CI {100 * s['win_rate_low']:.1f}-{100 * s['win_rate_high']:.1f}%)"
        )
        lines.append(
            f"Elo {a} - {b}: {format_elo(s['elo'], 1 if s['win_rate'] >= 0.5 else -1)} "
            f"(95% CI {format_elo(s['elo_low'], -1)} to {format_elo(s['elo_high'], 1)})"
        )
    lines.append(
        f"illegal moves: {len(report['illegal_moves'])}; final_score disagreements: {report['score_disagreements']}"
        + (
            f" ({report['seki_eye_differences']} more games differ only by seki eyes: ours counts them, Chinese does not)"
            if report.get("seki_eye_differences")
            else ""
        )
    )
    for text in report["illegal_moves"]:
        lines.append(f"  {text}")
    if report.get("sprt"):
        t = report["sprt"]
        test = f"SPRT {a} - {b} Elo {t['elo0']:g} (H0) against {t['elo1']:g} (H1), alpha {t['alpha']:g}, beta {t['beta']:g}: "
        bounds = f"LLR {t['llr']:.2f}, bounds {t['lower']:.2f} and {t['upper']:.2f}"
        if t["verdict"]:
            lines.append(f"{test}{t['verdict']} accepted after {t['games']} games ({bounds})")
        else:
            lines.append(f"{test}undecided after {t['games']} games ({bounds})")
    return "\n".join(lines)
