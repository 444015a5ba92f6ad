"""Rules parameters of a Go game (GoRules: size, komi, superko, move limit); imports nothing of ours."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

MIN_SIZE = 2
MAX_SIZE = 19
# max_moves of games that are not self-play (a GTP engine, a match referee, an SGF record): every legal move is
# accepted. The default cap (2*N*N) is self-play's, where a game must end; elsewhere the players end it.
NO_MOVE_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class GoRules:
    """Area scoring (Tromp-Taylor), suicide illegal, a repetition rule and a move limit."""

    size: int = field(default=9, metadata={"doc": "board size N (N x N points), 2..19"})
    komi: float = field(default=7.5, metadata={"doc": "points added to White's area; an integer komi allows draws"})
    superko: Literal["positional", "simple"] = field(
        default="positional",
        metadata={"doc": "repetition rule: 'positional' (no earlier board position may recur) or 'simple' (ko only)"},
    )
    max_moves: int = field(
        default=0,
        metadata={"doc": "self-play games end (scored by area) after this many moves incl. passes; 0 = 2*size*size"},
    )

    def validate(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be an integer in {MIN_SIZE}..{MAX_SIZE}, got {self.size!r}")
        if isinstance(self.komi, bool) or not isinstance(self.komi, (int, float)) or not math.isfinite(self.komi):
            raise ValueError(f"komi must be a finite number, got {self.komi!r}")
        if self.superko not in ("positional", "simple"):
            raise ValueError(f"superko must be 'positional' or 'simple', got {self.superko!r}")
        if isinstance(self.max_moves, bool) or not isinstance(self.max_moves, int) or self.max_moves < 0:
            raise ValueError(f"max_moves must be an integer >= 0 (0 = 2*size*size), got {self.max_moves!r}")

    @property
    def move_limit(self) -> int:
        """The effective maximum game length in moves (passes included)."""
        return self.max_moves or 2 * self.size * self.size
