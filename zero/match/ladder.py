"""The strength ladder: a model plays a list of rungs (uniform random, random-rollout MCTS, GNU Go levels) through the `zero match` referee, and one rating anchored at GNU Go level 10 = 1800 (no torch/ray).

Every rung is a `zero.match` match with colours alternating, refereed by our rules with
simple ko (GNU Go plays simple ko; both of our sides are told ``--superko simple`` too).
Per rung the table shows wins, the win rate with its 95% Wilson interval and the Elo
difference (``zero.match.summarize``, the project's one implementation). The anchored
rating is the maximum-likelihood rating of the model over every rung whose own rating is
known (``KNOWN_RATINGS``: GNU Go level 10 = 1800, the CGOS convention for 9x9), with the
likelihood-ratio 95% interval (the rating range within 1.92 log-likelihood of the best,
chi-squared with one degree of freedom); a bound is None when the results do not limit it
(all games won or all lost).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from typing import Any

from zero.common.stats import anchored_rating, format_elo
from zero.match.runner import match_report, run_match
from zero.match.settings import MatchSettings

GNUGO_ANCHOR_LEVEL = 10
GNUGO_ANCHOR_ELO = 1800.0  # CGOS: GNU Go 3.7/3.8 level 10 on 9x9 is the 1800 anchor
ANCHOR_BOARD_SIZE = 9  # the anchor rates 9x9 play: a ladder on another board has no anchored rating
# Ratings of rungs on the anchored scale. Only the anchor is known without measuring: the other
# GNU Go levels get a rating once `zero ladder` has measured them against level 10 on this scale.
KNOWN_RATINGS: dict[str, float] = {f"gnugo:{GNUGO_ANCHOR_LEVEL}": GNUGO_ANCHOR_ELO}
DEFAULT_OPPONENTS = "random,mcts,gnugo:1,gnugo:3,gnugo:5,gnugo:10"


class LadderError(ValueError):
    """A ladder that cannot be played as asked (unknown rung, GNU Go missing); the message is one line."""


@dataclass(frozen=True)
class Rung:
    """One opponent of the ladder: its name, the GTP command that runs it, and its anchored rating if known."""

    name: str  # random | mcts | gnugo:L
    command: str
    rating: float | None = None


def find_gnugo() -> str | None:
    """Path of the gnugo binary (PATH, then Debian's /usr/games), or None."""
    path = shutil.which("gnugo")
    if path is None and os.access("/usr/games/gnugo", os.X_OK):
        path = "/usr/games/gnugo"
    return path


def zero_gtp_command(*args: str) -> str:
    """The command line of our own GTP engine with ``args`` (same interpreter, simple ko, fresh seed per start)."""
    return shlex.join([sys.executable, "-m", "zero.cli", "gtp", "--superko", "simple", "--seed", "-1", *args])


def parse_rungs(text: str, *, visits: int, gnugo: str | None, random_moves: int = 8) -> list[Rung]:
    """Rungs from a comma-separated list such as 'random,mcts,gnugo:1,gnugo:10'; LadderError names a bad entry."""
    rungs: list[Rung] = []
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise LadderError("--opponents: give at least one of random, mcts, gnugo:LEVEL")
    for name in names:
        if name == "random":
            # uniform among legal moves that do not fill its own eye; never resigns
            command = zero_gtp_command(
                "--model", "none", "--visits", "1", "gtp.random_play=true", "gtp.resign_winrate=0"
            )
        elif name == "mcts":
            # random-rollout MCTS (no network) at the model's visits: the project's baseline
            command = zero_gtp_command(
                "--model", "none", "--visits", str(visits), f"gtp.random_moves={random_moves}", "gtp.ponder=false"
            )
        elif name.startswith("gnugo:"):
            level = name.split(":", 1)[1]
            if not level.isdigit() or not 0 <= int(level) <= 10:
                raise LadderError(f"--opponents: {name!r}: the GNU Go level must be 0..10")
            if gnugo is None:
                raise LadderError(
                    "GNU Go is not installed (not on PATH, not /usr/games/gnugo): apt-get install gnugo, "
                    "or leave the gnugo rungs out of --opponents"
                )
            name = f"gnugo:{int(level)}"
            command = shlex.join([gnugo, "--mode", "gtp", "--level", str(int(level)), "--chinese-rules"])
        else:
            raise LadderError(f"--opponents: unknown rung {name!r} (use random, mcts or gnugo:LEVEL)")
        rungs.append(Rung(name, command, KNOWN_RATINGS.get(name)))
    return rungs


@dataclass(frozen=True)
class LadderSettings:
    """One ladder: our engine's command, the rungs, and the match settings shared by every rung."""

    engine: str  # GTP command of the model under test
    rungs: tuple[Rung, ...]
    games: int = 20
    size: int = 9
    komi: float = 7.5
    parallel: int = 1
    max_moves: int = -1  # the referee's cap, scored by area when reached; -1 = 4 x size^2 (simple ko), 0 = none
    sgf_dir: str = ""
    timeout: float = 600.0
    name: str = "model"


def run_ladder(settings: LadderSettings, progress: Any = None, rung_done: Any = None) -> dict[str, Any]:
    """Play every rung in order; returns {"rungs": [per-rung report], "anchored": anchored_rating(...)}.

    ``progress(rung, game_record)`` is called as each game ends (from the match's threads) and
    ``rung_done(row)`` with each rung's finished row, so a long ladder can report as it goes.
    """
    rows = []
    for rung in settings.rungs:
        match = MatchSettings(
            engine_a=settings.engine,
            engine_b=rung.command,
            games=settings.games,
            size=settings.size,
            komi=settings.komi,
            parallel=settings.parallel,
            max_moves=settings.max_moves,
            sgf_dir=os.path.join(settings.sgf_dir, rung.name.replace(":", "_")) if settings.sgf_dir else "",
            name_a=settings.name,
            name_b=rung.name,
            timeout=settings.timeout,
            superko="simple",
        )
        records = run_match(match, (lambda rec, r=rung: progress(r, rec)) if progress else None)
        report = match_report(records, match)
        rows.append(rung_row(rung, report))
        if rung_done:
            rung_done(rows[-1])
    return {
        "engine": settings.engine,
        "size": settings.size,
        "komi": settings.komi,
        "games_per_rung": settings.games,
        "anchor": {"rung": f"gnugo:{GNUGO_ANCHOR_LEVEL}", "elo": GNUGO_ANCHOR_ELO, "size": ANCHOR_BOARD_SIZE},
        "rungs": rows,
        "anchored": anchored_rating(rated_results(rows, settings.size)),
    }


def rated_results(rows: list[dict[str, Any]], size: int) -> list[tuple[float, int, float]]:
    """(win rate, games, rung rating) of the played rungs whose rating is known on the anchored scale: none on a
    board other than the anchor's (GNU Go level 10 = 1800 is a 9x9 rating)."""
    if size != ANCHOR_BOARD_SIZE:
        return []
    return [(r["win_rate"], r["games"], r["rating"]) for r in rows if r["rating"] is not None and r["games"] > 0]


def rung_row(rung: Rung, report: dict[str, Any]) -> dict[str, Any]:
    """One line of the ladder: the rung, its rating, and the model's results against it."""
    s = report["summary"]
    return {
        "rung": rung.name,
        "command": rung.command,
        "rating": rung.rating,
        **s,
        "illegal_moves": report["illegal_moves"],
        "score_disagreements": report["score_disagreements"],
        "seki_eye_differences": report["seki_eye_differences"],
        "void_games": sum(g["result"] == "void" for g in report["games_detail"]),
        "wins_as_black": report["A_black_wins"],
        "wins_as_white": report["A_white_wins"],
        "endings": game_endings(report["games_detail"]),
        "games_detail": report["games_detail"],  # each game: colours, result, reason, moves, both engines' scores
    }


def game_endings(games: list[dict[str, Any]]) -> dict[str, int]:
    """How the model's games ended, e.g. {"won by resignation": 150, "lost by two passes": 12}: which losses
    were resigned and which were counted is the first question a weak rung asks."""
    counts: dict[str, int] = {}
    for g in games:
        outcome = {"A": "won", "B": "lost"}.get(g["winner"], "drawn" if g["result"] == "0" else "void")
        key = f"{outcome} by {g['reason'] or 'unknown'}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def format_rung_line(row: dict[str, Any]) -> str:
    """One finished rung in a line (what `zero ladder` reports on stderr as it goes)."""
    if not row["games"]:
        return f"{row['rung']}: no games"
    return (
        f"{row['rung']}: {row['wins']}/{row['games']} wins ({100 * row['win_rate']:.1f}%, "
        f"95% CI {100 * row['win_rate_low']:.0f}-{100 * row['win_rate_high']:.0f}%)"
    )


def format_ladder(result: dict[str, Any]) -> str:
    """The table printed by `zero ladder`."""
    lines = [
        f"ladder on {result['size']}x{result['size']}, komi {result['komi']:g}, {result['games_per_rung']} games per rung",
        f"{'rung':12s}{'wins':>6s}{'games':>7s}{'win rate':>10s}{'95% CI':>15s}{'Elo diff':>10s}{'95% CI':>17s}",
    ]
    for r in result["rungs"]:
        if r["games"]:
            rate = f"{100 * r['win_rate']:.1f}%"
            ci = f"{100 * r['win_rate_low']:.0f}-{100 * r['win_rate_high']:.0f}%"
            elo = format_elo(r["elo"], 1 if r["win_rate"] >= 0.5 else -1)
            elo_ci = f"{format_elo(r['elo_low'], -1)} to {format_elo(r['elo_high'], 1)}"
        else:
            rate = ci = elo = elo_ci = "-"
        lines.append(f"{r['rung']:12s}{r['wins']:>6d}{r['games']:>7d}{rate:>10s}{ci:>15s}{elo:>10s}{elo_ci:>17s}")
        for text in r["illegal_moves"]:
            lines.append(f"  illegal: {text}")
        if r.get("endings"):
            lines.append("  " + ", ".join(f"{key} {n}" for key, n in r["endings"].items()))
    a = result["anchored"]
    anchor = f"{result['anchor']['rung']} = {result['anchor']['elo']:.0f}"
    if result["size"] != result["anchor"].get("size", ANCHOR_BOARD_SIZE):
        board = f"{result['size']}x{result['size']}"
        lines.append(f"anchored rating: none (the anchor {anchor} is a 9x9 rating; this ladder is on {board})")
    elif a["games"] == 0:
        lines.append(f"anchored rating: none (no rung with a known rating was played; anchor {anchor})")
    else:
        low = "-inf" if a["elo_low"] is None else f"{a['elo_low']:.0f}"
        high = "+inf" if a["elo_high"] is None else f"{a['elo_high']:.0f}"
        centre = "unbounded" if a["elo"] is None else f"{a['elo']:.0f}"
        lines.append(
            f"anchored rating ({anchor}): {centre} (95% CI {low} to {high}, {a['games']} games on rated rungs)"
        )
    return "\n".join(lines)
