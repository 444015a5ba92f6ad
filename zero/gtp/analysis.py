"""Analysis output for GUIs: option parsing of lz-/kata-analyze and the ``info move ...`` lines Sabaki, Lizzie and KaTrain parse (pure Python).

Grammar (Leela Zero's lz-analyze, KataGo's docs/GTP_Extensions.md): one output line per
interval holds every candidate, each starting with ``info``::

    info move D4 visits 120 winrate 5321 prior 1234 lcb 5100 order 0 pv D4 Q16 info move ...

lz-analyze gives winrate/prior/lcb as integers in 1/10000; kata-analyze gives floats in
[0, 1], adds ``scoreMean``/``scoreLead`` where known, and with ``ownership true`` appends
``ownership`` followed by N*N floats in [-1, 1] (row-major from the top-left, A19 first),
all from the point of view of the player to move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from zero.gtp.protocol import parse_color, syntax_error


@dataclass(frozen=True)
class MoveInfo:
    """Search statistics of one root candidate, from the point of view of the player to move."""

    move: str  # GTP vertex or "pass"
    visits: int
    winrate: float  # in [0, 1]
    prior: float  # in [0, 1]
    pv: tuple[str, ...]  # principal variation starting with ``move``
    score_lead: float | None = None  # points ahead for the player to move, if known

    @property
    def lcb(self) -> float:
        """A lower confidence bound on the winrate: normal approximation, 1.96 binomial standard errors."""
        if self.visits <= 0:
            return 0.0
        p = min(max(self.winrate, 0.0), 1.0)
        return max(0.0, p - 1.96 * math.sqrt(max(p * (1.0 - p), 0.0025) / self.visits))


@dataclass
class AnalyzeOptions:
    """Arguments of lz-analyze / kata-analyze / *-genmove_analyze."""

    color: int | None = None  # games.go BLACK / WHITE, or None for the side to move
    interval: float = 1.0  # seconds between output lines (given in centiseconds)
    min_moves: int = 0
    max_moves: int = 0  # 0 = no limit
    ownership: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # recognised keys we accept but ignore (allow/avoid ...)


def parse_analyze_args(tokens: list[str]) -> AnalyzeOptions:
    """``[color] [interval] key value ...`` as in KataGo's GTP extensions; GtpError(syntax error) if malformed."""
    opts = AnalyzeOptions()
    i = 0
    if i < len(tokens) and tokens[i].lower() in ("b", "w", "black", "white"):
        opts.color = parse_color(tokens[i])
        i += 1
    if i < len(tokens) and _is_uint(tokens[i]):
        opts.interval = int(tokens[i]) / 100.0
        i += 1
    while i < len(tokens):
        key = tokens[i]
        if key in ("allow", "avoid"):  # allow|avoid COLOR VERTICES UNTILDEPTH: accepted, not applied
            if i + 3 >= len(tokens):
                raise syntax_error(f"{key} needs color, vertices and depth")
            parse_color(tokens[i + 1])
            if not _is_uint(tokens[i + 3]):
                raise syntax_error(f"{key} depth {tokens[i + 3]!r}")
            opts.extra[key] = " ".join(tokens[i + 1 : i + 4])
            i += 4
            continue
        if i + 1 >= len(tokens):
            raise syntax_error(f"analyze option {key!r} without a value")
        value = tokens[i + 1]
        if key == "interval":
            opts.interval = _uint(value) / 100.0
        elif key == "minmoves":
            opts.min_moves = _uint(value)
        elif key == "maxmoves":
            opts.max_moves = _uint(value)
        elif key == "ownership":
            if value.lower() not in ("true", "false"):
                raise syntax_error(f"ownership {value!r}")
            opts.ownership = value.lower() == "true"
        elif key in ("ownershipStdev", "movesOwnership", "rootInfo", "pvVisits", "pvEdgeVisits"):
            if value.lower() not in ("true", "false"):
                raise syntax_error(f"{key} {value!r}")
            opts.extra[key] = value
        else:
            raise syntax_error(f"unknown analyze option {key!r}")
        i += 2
    return opts


def _is_uint(token: str) -> bool:
    return token.isascii() and token.isdigit() and len(token) <= 9


def _uint(token: str) -> int:
    if not _is_uint(token):
        raise syntax_error(f"{token!r} is not an unsigned integer")
    return int(token)


def select_moves(infos: list[MoveInfo], opts: AnalyzeOptions) -> list[MoveInfo]:
    """Candidates to report, best first: visited moves, then by prior up to ``min_moves``, capped at ``max_moves``."""
    ranked = sorted(infos, key=lambda m: (-m.visits, -m.winrate, -m.prior))
    shown = [m for m in ranked if m.visits > 0]
    if len(shown) < opts.min_moves:
        rest = sorted((m for m in ranked if m.visits == 0), key=lambda m: -m.prior)
        shown += rest[: opts.min_moves - len(shown)]
    if opts.max_moves > 0:
        shown = shown[: opts.max_moves]
    return shown


def lz_line(infos: list[MoveInfo]) -> str:
    """One lz-analyze output line (integers in 1/10000)."""
    parts = []
    for order, m in enumerate(infos):
        parts.append(
            f"info move {m.move} visits {m.visits} winrate {_permyriad(m.winrate)} prior {_permyriad(m.prior)} "
            f"lcb {_permyriad(m.lcb)} order {order} pv {' '.join(m.pv) if m.pv else m.move}"
        )
    return " ".join(parts)


def kata_line(infos: list[MoveInfo], ownership: list[float] | None = None) -> str:
    """One kata-analyze output line (floats in [0, 1]; ``ownership`` N*N values from the top-left when given)."""
    parts = []
    for order, m in enumerate(infos):
        score = ""
        if m.score_lead is not None:
            score = f" scoreMean {m.score_lead:.3f} scoreLead {m.score_lead:.3f}"
        utility = 2.0 * m.winrate - 1.0
        parts.append(
            f"info move {m.move} visits {m.visits} utility {utility:.6f} winrate {m.winrate:.6f}{score} "
            f"prior {m.prior:.6f} lcb {m.lcb:.6f} order {order} pv {' '.join(m.pv) if m.pv else m.move}"
        )
    if ownership is not None:
        parts.append("ownership " + " ".join(f"{v:.4f}" for v in ownership))
    return " ".join(parts)


def _permyriad(x: float) -> int:
    return int(round(min(max(x, 0.0), 1.0) * 10000))
