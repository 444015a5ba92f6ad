"""The GTP client: one engine subprocess spoken to in GTP (GtpClient, GtpClientError), and how a match starts one (argv, threads, environment).

Replies are read by zero.gtp.protocol.parse_reply, the one GTP reply parser. Each engine gets its
share of the cores: ``--threads`` for our own engine, OMP_NUM_THREADS and friends for any.
"""

from __future__ import annotations

import collections
import os
import queue
import shlex
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from zero.gtp.protocol import parse_reply
from zero.match.settings import MatchSettings


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
                # the end of its output stays in the queue: a command sent to this client later (its process may
                # linger a moment and take it) is refused at once instead of waiting out the timeout
                self._lines.put(None)
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
