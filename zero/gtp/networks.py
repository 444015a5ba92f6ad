"""Which network plays each board size in `zero gtp`: the one given (--model: its size only), the shipped one of the size (random-rollout MCTS where none is shipped, said once on stderr), or none; no torch import here (networks come from a loader the command passes in)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

ROLLOUTS = "none (rollouts)"  # what `zero-model` answers when no network plays


@dataclass(frozen=True)
class LoadedNetwork:
    """A network and where it came from: its name (a shipped name or the path given), its step and version."""

    evaluator: Any  # a zero.nn.inference.NetworkEvaluator (or anything with .shape.board_size)
    name: str
    step: int = 0
    version: int = 0
    shipped: bool = False

    @property
    def board_size(self) -> int:
        return int(self.evaluator.shape.board_size)

    def describe(self) -> str:
        """One line: name, step, version, size of the tower, board, and whether it is the shipped one."""
        config = getattr(self.evaluator, "config", None)
        tower = f", {config.blocks}x{config.channels}" if config is not None else ""
        N = self.board_size
        origin = "shipped" if self.shipped else "given"
        return f"{self.name} step {self.step} version {self.version}{tower}, {N}x{N}, {origin}"


class BoardNetworks:
    """The network of each board size: ``fixed`` plays its own size and no other; else ``loader(size)`` gives the
    shipped one of a size (cached; None: there is none, and random-rollout MCTS plays it, said once per size on
    ``note_to``); with neither, random-rollout MCTS everywhere."""

    def __init__(
        self,
        *,
        fixed: LoadedNetwork | None = None,
        loader: Callable[[int], LoadedNetwork | None] | None = None,
        note_to: TextIO | None = None,
    ) -> None:
        if fixed is not None and loader is not None:
            raise ValueError("a fixed network or a loader of shipped ones, not both")
        self.fixed = fixed
        self._loader = loader
        self._loaded: dict[int, LoadedNetwork | None] = {}
        self._noted: set[int] = set()
        self._note_to = note_to

    @classmethod
    def given(cls, evaluator: Any | None, name: str = "given") -> BoardNetworks:
        """One network for its size only (None: rollouts on every size), as ``GoGtpEngine(network=...)`` takes it."""
        if evaluator is None:
            return cls()
        version = int(getattr(evaluator, "model_version", 0))
        return cls(fixed=LoadedNetwork(evaluator, name, 0, version))

    def accepts(self, size: int) -> bool:
        """Whether the engine may play ``size`` (a given network fixes the board size)."""
        return self.fixed is None or size == self.fixed.board_size

    def initial_size(self, size: int) -> int:
        """The board size to start on: the given network's, else ``size``."""
        return self.fixed.board_size if self.fixed is not None else size

    def load(self, size: int) -> LoadedNetwork | None:
        """The network that plays ``size``, loaded the first time (None: random-rollout MCTS); says nothing."""
        if self.fixed is not None:
            return self.fixed if size == self.fixed.board_size else None
        if self._loader is None:
            return None
        if size not in self._loaded:
            self._loaded[size] = self._loader(size)
        return self._loaded[size]

    def for_size(self, size: int) -> LoadedNetwork | None:
        """``load(size)``, and the one-line note on stderr the first time a size falls back to rollouts."""
        network = self.load(size)
        if network is None and self.falls_back(size) and size not in self._noted:
            self._noted.add(size)
            print(f"zero gtp: {self.fallback_note(size)}", file=self._note_to or sys.stderr, flush=True)
        return network

    def falls_back(self, size: int) -> bool:
        """Whether ``size`` plays rollouts only because no network is shipped for it."""
        return self._loader is not None and self.load(size) is None

    def fallback_note(self, size: int) -> str:
        return f"no shipped network for {size}x{size}: random-rollout MCTS on this size (--model CKPT to play one)"

    def mark_noted(self, size: int) -> None:
        """The note for ``size`` was said another way (the start-up line): never print it."""
        self._noted.add(size)

    def describe(self, size: int) -> str:
        """The `zero-model` reply for ``size``: the network that plays it, or ``none (rollouts)``."""
        network = self.fixed if self.fixed is not None else self._loaded.get(size)
        if network is None or network.board_size != size:
            return ROLLOUTS
        return network.describe()
