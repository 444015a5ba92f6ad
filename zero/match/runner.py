"""Matches between two GTP engine commands, refereed by our Go rules: GTP client, game loop, SGF records, statistics (no torch/ray; imports games.go lazily).

Engines are started once per parallel slot and kept across games (an engine that died, hung or
sent garbage is restarted); each gets its share of the cores (``--threads`` for our own engine,
OMP_NUM_THREADS and friends for any). Each game: both engines get ``boardsize``/``clear_board``/``komi``; the side to move gets
``genmove``, our rules engine checks the move (an illegal move loses and is reported),
the other engine gets ``play``. A game ends on two passes, a resignation or the move cap.
The result is our Tromp-Taylor area score after removing the stones both engines'
``final_status_list dead`` agree are dead; each engine's own ``final_score`` is recorded,
and disagreements with ours are counted.
"""

from __future__ import annotations

import collections
import logging
import os
import queue
import shlex
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zero.common.atomic_files import atomic_write_bytes
from zero.common.stats import format_elo, summarize
from zero.gtp.protocol import parse_reply

log = logging.getLogger("zero.match.runner")

# --- GTP client --------------------------------------------------------------------------


class GtpClientError(RuntimeError):
    """The engine process died, timed out, or sent something that is not a GTP reply."""


class GtpClient:
    """One GTP engine subprocess; ``send`` returns (success, body) of one command."""

    def __init__(
        self,
        command: str | list[str],
        *,
        name: str = "",
        stderr_path: str | None = None,
        timeout: float = 600.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        self.name = name or os.path.basename(self.argv[0])
        self.timeout = timeout
        # Without a log file the engine's stderr is kept to its last lines: why it died goes into the error.
        self._stderr = open(stderr_path, "ab") if stderr_path else subprocess.PIPE
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1, env=env
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=5)
        threading.Thread(target=self._read, daemon=True, name=f"gtp-client-{self.name}").start()
        self._stderr_reader = None
        if self.proc.stderr is not None:
            self._stderr_reader = threading.Thread(
                target=self._read_stderr, daemon=True, name=f"gtp-stderr-{self.name}"
            )
            self._stderr_reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.strip():
                self._stderr_tail.append(line.strip())

    def _last_words(self) -> str:
        """': <the engine's last stderr line>' once it has exited, or '' (nothing kept)."""
        if self._stderr_reader is not None:
            self._stderr_reader.join(timeout=2.0)
        return f": {self._stderr_tail[-1][:300]}" if self._stderr_tail else ""

    def send(self, command: str, timeout: float | None = None) -> tuple[bool, str]:
        """Send one command and wait for its reply; GtpClientError on EOF, timeout or garbage."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise GtpClientError(f"{self.name}: cannot write {command!r}: {exc}") from None
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        lines: list[str] = []
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise GtpClientError(f"{self.name}: no reply to {command!r} in time") from None
            if line is None:
                raise GtpClientError(f"{self.name}: exited while answering {command!r}{self._last_words()}")
            line = line.rstrip("\r\n")
            if not lines and not line.strip():
                continue  # stray blank lines between replies
            if line.strip() == "" and lines:
                break
            lines.append(line)
        try:
            ok, _, body = parse_reply("\n".join(lines) + "\n\n")  # the one GTP reply parser (zero.gtp.protocol)
        except ValueError:
            raise GtpClientError(f"{self.name}: not a GTP reply to {command!r}: {lines[0]!r}") from None
        return ok, body.strip()

    def ask(self, command: str, timeout: float | None = None) -> str:
        """Send a command that must succeed; GtpClientError with the engine's message otherwise."""
        ok, body = self.send(command, timeout)
        if not ok:
            raise GtpClientError(f"{self.name}: {command!r} failed: {body}")
        return body

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """Ask the engine to quit, then make sure the process is gone."""
        if self.proc.poll() is None:
            try:
                self.send("quit", timeout=5.0)
            except GtpClientError:
                pass
            try:
                self.proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._stderr is not subprocess.PIPE:
            self._stderr.close()

    def __enter__(self) -> GtpClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- games -------------------------------------------------------------------------------


@dataclass
class MatchGame:
    """One refereed game: who played which colour, how it ended, the scores everyone reported."""

    index: int
    black: str  # engine label ("A" or "B")
    white: str
    winner: str | None = None  # "A", "B" or None (draw / unfinished)
    result: str = ""  # SGF RE: B+R, W+3.5, 0, B+F (forfeit after an illegal move) ...
    reason: str = ""  # two passes | resignation | move cap | illegal move | engine error
    moves: int = 0
    our_score: float | None = None  # black - white - komi after dead stones removed
    engine_scores: dict[str, str] = field(default_factory=dict)  # label -> its final_score reply
    disagreements: list[str] = field(default_factory=list)  # labels whose final_score disagrees with ours
    dead_disagreement: bool = False  # the engines' final_status_list dead differed
    illegal: str = ""  # "A played D4 (occupied)" etc.
    sgf_path: str = ""


@dataclass(frozen=True)
class MatchSettings:
    """One match: engines, board, how many games and where the records go."""

    engine_a: str
    engine_b: str
    games: int = 2
    size: int = 9
    komi: float = 7.5
    parallel: int = 1
    max_moves: int = 0  # the referee's move cap; 0 = none, every legal move is accepted (self-play's cap is not a rule)
    sgf_dir: str = ""
    name_a: str = "A"
    name_b: str = "B"
    timeout: float = 600.0  # seconds any single GTP command may take
    superko: str = "positional"  # the referee's ko rule; "simple" for engines such as GNU Go that play only simple ko
    threads: int = 0  # CPU threads of each engine; 0 = this process's cores split over the games played at once
    engine_log_dir: str = (
        ""  # each engine's stderr appended to <dir>/<A|B>-slot<k>.log; "" = only its last lines kept for errors
    )


def engine_threads(settings: MatchSettings) -> int:
    """Threads each engine gets: ``settings.threads``, or the cores shared by the games played at once
    (in a game only the side to move thinks, so ``parallel`` engines compete for the cores)."""
    from zero.common.cpu_threads import share_of_cores

    return settings.threads or share_of_cores(min(settings.parallel, settings.games))


def engine_argv(command: str, threads: int) -> list[str]:
    """The engine's argv; our own ``zero gtp`` gets ``--threads`` appended unless its command line sets threads."""
    argv = shlex.split(command)
    is_zero_gtp = (os.path.basename(argv[0]) == "zero" and argv[1:2] == ["gtp"]) or any(
        argv[i] == "zero.cli" and argv[i + 1 : i + 2] == ["gtp"] for i in range(len(argv))
    )
    sets_threads = any(tok == "--threads" or tok.startswith(("--threads=", "gtp.threads=")) for tok in argv)
    return argv + ["--threads", str(threads)] if is_zero_gtp and not sets_threads else argv


def start_engine(command: str, name: str, settings: MatchSettings, log_name: str = "") -> GtpClient:
    """One engine process of the match, its threads limited to its share (OMP_NUM_THREADS etc. for any engine,
    ``--threads`` for ours; a variable already in our environment, or threads on the command line, win)."""
    from zero.common.cpu_threads import thread_environment

    threads = engine_threads(settings)
    stderr_path = None
    if settings.engine_log_dir and log_name:
        Path(settings.engine_log_dir).mkdir(parents=True, exist_ok=True)
        stderr_path = str(Path(settings.engine_log_dir) / f"{log_name}.log")
    return GtpClient(
        engine_argv(command, threads),
        name=name,
        timeout=settings.timeout,
        env=thread_environment(threads),
        stderr_path=stderr_path,
    )


def _parse_score(text: str) -> float | None:
    """GTP final_score ('B+3.5', 'W+2', '0') -> black - white; None if unreadable."""
    t = text.strip().upper()
    if t in ("0", "DRAW", "JIGO"):
        return 0.0
    try:
        if t.startswith("B+"):
            return float(t[2:])
        if t.startswith("W+"):
            return -float(t[2:])
    except ValueError:
        return None
    return None


def _dead_list(client: GtpClient, size: int) -> set[int] | None:
    from games.go import from_gtp

    ok, body = client.send("final_status_list dead")
    if not ok:
        return None
    try:
        return {from_gtp(tok, size) for tok in body.split()}
    except ValueError:
        return None


def referee_rules(settings: MatchSettings):
    """The referee's rules: the match's board, komi and ko rule; a move cap only where --max-moves sets one."""
    from games.go import NO_MOVE_LIMIT, GoRules

    return GoRules(
        size=settings.size, komi=settings.komi, max_moves=settings.max_moves or NO_MOVE_LIMIT, superko=settings.superko
    )


def new_game(client: GtpClient, settings: MatchSettings) -> None:
    """Reset an engine for the next game: board size, empty board, komi."""
    client.ask(f"boardsize {settings.size}")
    client.ask("clear_board")
    client.ask(f"komi {settings.komi:g}")


def play_game(
    index: int, black: tuple[str, GtpClient], white: tuple[str, GtpClient], settings: MatchSettings
) -> MatchGame:
    """Play one refereed game between two engines set up by ``new_game`` (labels "A"/"B") and write its SGF."""
    from games.go import BLACK, WHITE, GoGame
    from mcts import SearchParams
    from zero.gtp.player import EngineParams, GoPlayer

    rec = MatchGame(index, black[0], white[0])
    game = GoGame(referee_rules(settings))
    game.player_names = {BLACK: _label_name(black[0], settings), WHITE: _label_name(white[0], settings)}
    clients = {BLACK: black, WHITE: white}
    winner_color = _play_until_end(index, game, clients, rec, settings, "genmove")
    rec.moves = game.move_number
    if not rec.reason:
        rec.reason = "two passes" if game.passes >= 2 else "move cap"
        reason = rec.reason
        dead_a = _dead_list(black[1], settings.size)
        dead_b = _dead_list(white[1], settings.size)
        if dead_a is not None and dead_a == dead_b:
            dead = sorted(dead_a)
        else:
            rec.dead_disagreement = True
            dead = None
            if game.passes >= 2 and all(
                c.send("known_command kgs-genmove_cleanup")[1] == "true" for _, c in (black, white)
            ):
                # play it out: both engines capture what they call dead, then nothing is dead (Tromp-Taylor)
                game.passes = 0
                winner_color = _play_until_end(index, game, clients, rec, settings, "kgs-genmove_cleanup")
                rec.moves = game.move_number
                if rec.reason == reason:
                    dead = []
            if dead is None:
                estimator = GoPlayer(EngineParams(), SearchParams(simulations=2))
                dead = estimator.dead_stones(game)
        if rec.reason != reason:  # the cleanup phase ended by resignation, illegal move or an engine error
            return _finish(rec, game, black, white, settings, winner_color)
        score = game.area_score(dead=dead)
        rec.our_score = score
        for lab, c in (black, white):
            ok, body = c.send("final_score")
            rec.engine_scores[lab] = body if ok else f"? {body}"
            theirs = _parse_score(body) if ok else None
            if theirs is None or abs(theirs - score) > 1e-6:
                rec.disagreements.append(lab)
        rec.result = "0" if score == 0 else f"{'B' if score > 0 else 'W'}+{abs(score):g}"
        winner_color = BLACK if score > 0 else (WHITE if score < 0 else None)
    return _finish(rec, game, black, white, settings, winner_color)


def _finish(
    rec: MatchGame,
    game: Any,
    black: tuple[str, GtpClient],
    white: tuple[str, GtpClient],
    settings: MatchSettings,
    winner_color: int | None,
) -> MatchGame:
    from games.go import BLACK

    if not rec.result:
        tag = {"resignation": "R", "illegal move": "F", "refused move": "F", "engine error": "F"}[rec.reason]
        rec.result = f"{'B' if winner_color == BLACK else 'W'}+{tag}"
    if winner_color is not None:
        rec.winner = black[0] if winner_color == BLACK else white[0]
    if settings.sgf_dir:
        rec.sgf_path = _write_sgf(game, rec, settings)
    return rec


def _play_until_end(
    index: int, game: Any, clients: dict, rec: MatchGame, settings: MatchSettings, command: str
) -> int | None:
    """Ask for moves with ``command`` until two passes or the move cap; sets rec.reason and returns the winner on a forfeit."""
    from games import opponent
    from games.go import BLACK, IllegalMoveError, from_gtp, to_gtp

    while not game.is_over:
        color = game.to_move
        label, client = clients[color]
        other_label, other = clients[opponent(color)]
        name = "b" if color == BLACK else "w"
        try:
            reply = client.ask(f"{command} {name}", settings.timeout).strip()
        except GtpClientError as exc:
            log.warning("game %d: %s", index, exc)
            rec.reason = "engine error"
            return opponent(color)
        if reply.lower() == "resign":
            rec.reason = "resignation"
            game.resign(color)
            return opponent(color)
        try:
            game.play(from_gtp(reply, settings.size), color)
        except (IllegalMoveError, ValueError) as exc:
            rec.illegal = f"{label} played {reply!r}: {exc}"
            rec.reason = "illegal move"
            log.warning("game %d: %s", index, rec.illegal)
            return opponent(color)
        ok, body = other.send(f"play {name} {to_gtp(game.moves[-1][1], settings.size)}")
        if not ok:
            # The opponent refuses a move the referee accepted: its rules differ from the match's (e.g. positional
            # superko against --superko simple), and its board no longer matches ours. Going on would have it play
            # on a board it does not see; it forfeits, as an engine that plays an illegal move does.
            rec.illegal = f"{other_label} refused {reply!r}: {body}"
            rec.reason = "refused move"
            log.warning("game %d: %s", index, rec.illegal)
            return color
    return None


def _label_name(label: str, settings: MatchSettings) -> str:
    return settings.name_a if label == "A" else settings.name_b


def _write_sgf(game: Any, rec: MatchGame, settings: MatchSettings) -> str:
    """SGF of the game with our result and notes; written atomically."""
    from sgfmill import sgf

    from games.go import game_to_sgf

    text = game_to_sgf(game)
    record = sgf.Sgf_game.from_string(text)
    root = record.get_root()
    root.set("RE", rec.result)
    root.set("PB", _label_name(rec.black, settings))
    root.set("PW", _label_name(rec.white, settings))
    notes = [f"end: {rec.reason}"]
    if rec.illegal:
        notes.append(rec.illegal)
    for lab, s in rec.engine_scores.items():
        notes.append(f"{_label_name(lab, settings)} final_score {s}")
    root.set("GC", "; ".join(notes))
    path = Path(settings.sgf_dir) / f"game_{rec.index:04d}.sgf"
    atomic_write_bytes(path, record.serialise())
    return str(path)


def run_match(settings: MatchSettings, progress: Any = None) -> list[MatchGame]:
    """Play ``settings.games`` games, alternating colours (A is Black in even games), ``parallel`` at a time."""
    lock = threading.Lock()
    next_game = iter(range(settings.games))
    records: list[MatchGame] = []

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
        # Each slot starts its two engines once and keeps them across games (boardsize, clear_board and komi
        # reset them); an engine is restarted only when it has died, hung or answered garbage.
        a: GtpClient | None = None
        b: GtpClient | None = None
        try:
            while True:
                with lock:
                    i = next(next_game, None)
                if i is None:
                    return
                labels = ("A", "B") if i % 2 == 0 else ("B", "A")  # (Black, White)
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
                    records.append(rec)
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


def match_report(records: list[MatchGame], settings: MatchSettings) -> dict[str, Any]:
    """Wins by colour, A's win rate with a 95% interval, Elo difference and scoring disagreements."""
    wins = sum(r.winner == "A" for r in records)
    losses = sum(r.winner == "B" for r in records)
    draws = sum(r.winner is None and r.result == "0" for r in records)
    summary = summarize(wins, losses, draws)
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
    )
    for text in report["illegal_moves"]:
        lines.append(f"  {text}")
    return "\n".join(lines)
