"""Which network plays each board size in `zero gtp`: the one given (--model), the shipped one of the size, or a network trained on another size (gtp.cross_size), else random-rollout MCTS (said once on stderr); and none; no torch import here (networks come from loaders the command passes in)."""

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
    trained_size: int = 0  # the board size it was trained on, where that is not the one it plays (0: the same)

    @property
    def board_size(self) -> int:
        """The board size it plays."""
        return int(self.evaluator.shape.board_size)

    @property
    def other_size(self) -> bool:
        """Whether it plays a board size it was not trained on."""
        return self.trained_size not in (0, self.board_size)

    def describe(self) -> str:
        """One line: name, step, version, size of the tower, board, and whether it is the shipped one."""
        config = getattr(self.evaluator, "config", None)
        tower = f", {config.blocks}x{config.channels}" if config is not None else ""
        N, T = self.board_size, self.trained_size
        board = f"trained on {T}x{T}, playing {N}x{N}" if self.other_size else f"{N}x{N}"
        origin = "shipped" if self.shipped else "given"
        return f"{self.name} step {self.step} version {self.version}{tower}, {board}, {origin}"


class BoardNetworks:
    """The network of each board size: ``fixed`` plays its own size; else ``loader(size)`` gives the shipped one of a
    size (None: there is none). ``other_size(size)``, where given (gtp.cross_size), gives a network trained on another
    board size to play ``size`` where neither has one (the given network, or the shipped one of the nearest size):
    the tower is convolutional and the heads pool over the board, so it reads any size, if weaker than on its own.
    Without one, random-rollout MCTS plays ``size`` (said once per size on ``note_to``), or with a fixed network and
    no ``other_size`` the size is refused. Networks are loaded once per size and kept."""

    def __init__(
        self,
        *,
        fixed: LoadedNetwork | None = None,
        loader: Callable[[int], LoadedNetwork | None] | None = None,
        other_size: Callable[[int], LoadedNetwork | None] | None = None,
        note_to: TextIO | None = None,
    ) -> None:
        if fixed is not None and loader is not None:
            raise ValueError("a fixed network or a loader of shipped ones, not both")
        self.fixed = fixed
        self._loader = loader
        self._other_size = other_size
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
        """Whether the engine may play ``size`` (a given network fixes the board size unless it plays other sizes)."""
        return self.fixed is None or size == self.fixed.board_size or self._other_size is not None

    def initial_size(self, size: int | None) -> int:
        """The board size to start on: ``size`` where given, else the given network's, else 9."""
        if size is not None:
            return size
        return self.fixed.board_size if self.fixed is not None else 9

    def load(self, size: int) -> LoadedNetwork | None:
        """The network that plays ``size``, loaded the first time (None: random-rollout MCTS); says nothing."""
        if self.fixed is not None and size == self.fixed.board_size:
            return self.fixed
        if self.fixed is None and self._loader is None:
            return None
        if size not in self._loaded:
            network = self._loader(size) if self._loader is not None else None
            if network is None and self._other_size is not None:
                network = self._other_size(size)
            self._loaded[size] = network
        return self._loaded[size]

    def for_size(self, size: int) -> LoadedNetwork | None:
        """``load(size)``, and a one-line note on stderr the first time a size falls back to rollouts or plays a
        network trained on another size."""
        network = self.load(size)
        note = self.note(size)
        if note and size not in self._noted:
            self._noted.add(size)
            print(f"zero gtp: {note}", file=self._note_to or sys.stderr, flush=True)
        return network

    def falls_back(self, size: int) -> bool:
        """Whether ``size`` plays rollouts only because no network is shipped for it (nor plays it from another size)."""
        return self._loader is not None and self.load(size) is None

    def note(self, size: int) -> str | None:
        """What to say about ``size`` once: rollouts where no network plays it, or which network plays it from
        another board size (None: its own network, or rollouts as asked)."""
        if self.falls_back(size):
            return f"no shipped network for {size}x{size}: random-rollout MCTS on this size (--model CKPT to play one)"
        network = self.load(size)
        if network is not None and network.other_size:
            T = network.trained_size
            return (
                f"{network.name}, trained on {T}x{T}, plays {size}x{size}: no network was trained on this size; it "
                f"plays weaker than on its own and never resigns there, its win rates being uncalibrated "
                f"(gtp.cross_size=false: "
                f"{'refuse other sizes' if self.fixed is not None else 'random-rollout MCTS'})"
            )
        return None

    def mark_noted(self, size: int) -> None:
        """The note for ``size`` was said another way (the start-up line): never print it."""
        self._noted.add(size)

    def describe(self, size: int) -> str:
        """The `zero-model` reply for ``size``: the network that plays it, or ``none (rollouts)``."""
        network = self.fixed if self.fixed is not None and size == self.fixed.board_size else self._loaded.get(size)
        if network is None or network.board_size != size:
            return ROLLOUTS
        return network.describe()
