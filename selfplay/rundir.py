"""The run directory layout (runs/<name>/: config.toml, checkpoints/, replay/, sgf/, tensorboard/, metrics.jsonl) and the run lock; the metrics log is zero.common.metrics; no torch, no ray."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_SNAPSHOT = "config.toml"
LOCK_FILE = ".lock"  # held (flock) by the process running in the directory; the kernel drops it when that process dies


@dataclass(frozen=True)
class RunDir:
    """Paths of one run; ``create()`` makes the folders, nothing else writes outside them."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / CONFIG_SNAPSHOT

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def snapshots(self) -> Path:
        """Weights kept every ``run.snapshot_every_minutes`` (one folder per snapshot, made when it is written)."""
        return self.root / "snapshots"

    @property
    def replay(self) -> Path:
        return self.root / "replay"

    @property
    def sgf(self) -> Path:
        return self.root / "sgf"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.jsonl"

    def create(self) -> RunDir:
        """Make the folders; RunDirError (one line) where that is impossible (a file in the way, no permission)."""
        try:
            for path in (self.root, self.checkpoints, self.replay, self.sgf, self.tensorboard):
                path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(f"{self.root}: cannot be used as a run directory: {exc.strerror or exc}") from None
        return self

    def exists(self) -> bool:
        return self.config.exists()

    def lock(self) -> RunLock:
        """Claim the directory for this process; raises RunDirBusy if another process holds it."""
        return RunLock(self.root / LOCK_FILE)


class RunDirError(RuntimeError):
    """The run directory cannot be used (the message is one line for the CLI)."""


class RunDirBusy(RunDirError):
    """Another process is running in the run directory (two runs would interleave checkpoints and shards)."""


class RunLock:
    """An exclusive ``flock`` on the run directory's lock file; released by ``release()`` or when the process dies (kill -9 too)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunDirError(f"{path.parent}: cannot be used as a run directory: {exc.strerror or exc}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(self._fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(self._fd)
            raise RunDirBusy(
                f"{path.parent}: another zero process (pid {holder}) is running in this run directory"
            ) from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, str(os.getpid()).encode())

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1
