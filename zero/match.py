"""Matches between two GTP engine commands, refereed by our Go rules: GTP client, game loop, SGF records, statistics (no torch/ray; imports games.go lazily).

Each game: both engines get ``boardsize``/``clear_board``/``komi``; the side to move gets
``genmove``, our rules engine checks the move (an illegal move loses and is reported),
the other engine gets ``play``. A game ends on two passes, a resignation or the move cap.
The result is our Tromp-Taylor area score after removing the stones both engines'
``final_status_list dead`` agree are dead; each engine's own ``final_score`` is recorded,
and disagreements with ours are counted.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import shlex
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("zero.match")

Z95 = 1.959963984540054  # two-sided 95% normal quantile


# --- statistics --------------------------------------------------------------------------


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


# --- GTP client --------------------------------------------------------------------------


class GtpClientError(RuntimeError):
    """The engine process died, timed out, or sent something that is not a GTP reply."""


class GtpClient:
    """One GTP engine subprocess; ``send`` returns (success, body) of one command."""

    def __init__(self, command: str | list[str], *, name: str = "", stderr_path: str | None = None, timeout: float = 600.0) -> None:
        self.argv = shlex.split(command) if isinstance(command, str) else list(command)
        self.name = name or os.path.basename(self.argv[0])
        self.timeout = timeout
        self._stderr = open(stderr_path, "ab") if stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True, name=f"gtp-client-{self.name}").start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

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
                raise GtpClientError(f"{self.name}: exited while answering {command!r}")
            line = line.rstrip("\r\n")
            if not lines and not line.strip():
                continue  # stray blank lines between replies
            if line.strip() == "" and lines:
                break
            lines.append(line)
        head = lines[0]
        if head[:1] not in ("=", "?"):
            raise GtpClientError(f"{self.name}: not a GTP reply to {command!r}: {head!r}")
        first = head[1:].lstrip("0123456789").strip()
        body = "\n".join([first] + lines[1:]).strip()
        return head[0] == "=", body

    def ask(self, command: str, timeout: float | None = None) -> str:
        """Send a command that must succeed; GtpClientError with the engine's message otherwise."""
        ok, body = self.send(command, timeout)
        if not ok:
            raise GtpClientError(f"{self.name}: {command!r} failed: {body}")
        return body

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
        if self._stderr is not subprocess.DEVNULL:
            self._stderr.close()

    def __enter__(self) -> GtpClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
