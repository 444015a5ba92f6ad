"""Analysis output for GUIs: option parsing of lz-/kata-analyze and the ``info move ...`` lines Sabaki, Lizzie and KaTrain parse (pure Python).

Grammar (Leela Zero's lz-analyze, KataGo's docs/GTP_Extensions.md): one output line per
interval holds every candidate, each starting with ``info``::

    info move D4 visits 120 winrate 5321 prior 1234 lcb 5100 order 0 pv D4 Q16 info move ...

lz-analyze gives winrate/prior/lcb as integers in 1/10000; kata-analyze gives floats in
[0, 1], adds ``scoreMean``/``scoreLead`` where known, with ``rootInfo true`` appends the root's
``rootInfo visits V utility U winrate W [scoreMean S scoreLead S]``, with ``ownership true``
``ownership`` followed by N*N floats in [-1, 1] (row-major from the top-left, A19 first) and with
``ownershipStdev true`` ``ownershipStdev`` and N*N more (their spread over the search), all from
the point of view of the player to move; ``movesOwnership true`` / ``movesOwnershipStdev true``
put the same after each candidate's pv, for the positions after it.
"""

from __future__ import annotations

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
    lcb: float = 0.0  # lower confidence bound on the winrate (KataGo's, from visits and value variance: mcts.search.value_lcb); may leave [0, 1]
    pv_visits: tuple[int, ...] = ()  # visits of each move of ``pv``
    ownership: tuple[float, ...] | None = None  # kata-analyze movesOwnership: the expected owners after the move
    ownership_stdev: tuple[float, ...] | None = None  # movesOwnershipStdev: their spread over the move's search


@dataclass(frozen=True)
class RootInfo:
    """The search's root, from the point of view of the player to move (kata-analyze ``rootInfo true``)."""

    visits: int
    winrate: float  # in [0, 1]: the mean backed-up value
    score_lead: float | None = None  # the search's mean margin, if known


@dataclass
class AnalyzeOptions:
    """Arguments of lz-analyze / kata-analyze / *-genmove_analyze."""

    color: int | None = None  # games.go BLACK / WHITE, or None for the side to move
    interval: float = 1.0  # seconds between output lines (given in centiseconds)
    min_moves: int = 0
    max_moves: int = 0  # 0 = no limit
    ownership: bool = False
    ownership_stdev: bool = False  # kata-analyze ownershipStdev true: the spread of the ownership over the search
    allow: list[tuple[int, str, int]] = field(
        default_factory=list
    )  # (color BLACK/WHITE, comma-separated vertices, until depth)
    avoid: list[tuple[int, str, int]] = field(default_factory=list)
    pv_visits: bool = False  # kata-analyze pvVisits true: each pv is followed by pvVisits
    pv_edge_visits: bool = False  # pvEdgeVisits true: then pvEdgeVisits (a tree's edge visits are its nodes')
    root_info: bool = False  # kata-analyze rootInfo true: the root's statistics after the candidates
    moves_ownership: bool = False  # kata-analyze movesOwnership true: each candidate's ownership after it
    moves_ownership_stdev: bool = False  # movesOwnershipStdev true: and its spread over the candidate's search


_FLAG_OPTIONS = {
    "pvVisits": "pv_visits",
    "pvEdgeVisits": "pv_edge_visits",
    "rootInfo": "root_info",
    "movesOwnership": "moves_ownership",
    "ownershipStdev": "ownership_stdev",
    "movesOwnershipStdev": "moves_ownership_stdev",
}


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
        if key in (
            "allow",
            "avoid",
        ):  # allow|avoid COLOR VERTICES UNTILDEPTH (KataGo's GTP extensions); vertices checked by the engine
            if i + 3 >= len(tokens):
                raise syntax_error(f"{key} needs color, vertices and depth")
            color = parse_color(tokens[i + 1])
            if not _is_uint(tokens[i + 3]) or int(tokens[i + 3]) < 1:
                raise syntax_error(f"{key} depth {tokens[i + 3]!r}")
            getattr(opts, key).append((color, tokens[i + 2], int(tokens[i + 3])))
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
        elif key in _FLAG_OPTIONS:
            if value.lower() not in ("true", "false"):
                raise syntax_error(f"{key} {value!r}")
            setattr(opts, _FLAG_OPTIONS[key], value.lower() == "true")
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


def kata_line(
    infos: list[MoveInfo],
    ownership: list[float] | None = None,
    pv_visits: bool = False,
    root: RootInfo | None = None,
    pv_edge_visits: bool = False,
    ownership_stdev: list[float] | None = None,
) -> str:
    """One kata-analyze output line (floats in [0, 1]; the ``root``'s statistics, ``ownership`` and
    ``ownership_stdev``, N*N values each from the top-left, when given)."""
    parts = []
    for order, m in enumerate(infos):
        score = ""
        if m.score_lead is not None:
            score = f" scoreMean {m.score_lead:.3f} scoreLead {m.score_lead:.3f}"
        utility = 2.0 * m.winrate - 1.0
        parts.append(
            f"info move {m.move} visits {m.visits} utility {utility:.6f} winrate {m.winrate:.6f}{score} "
            f"prior {m.prior:.6f} lcb {min(max(m.lcb, 0.0), 1.0):.6f} order {order} pv {' '.join(m.pv) if m.pv else m.move}"
            + (f" pvVisits {' '.join(map(str, m.pv_visits))}" if pv_visits and m.pv_visits else "")
            # a tree without transpositions enters each node by one edge: its edge visits are the node visits
            + (f" pvEdgeVisits {' '.join(map(str, m.pv_visits))}" if pv_edge_visits and m.pv_visits else "")
            + (" movesOwnership " + " ".join(f"{v:.4f}" for v in m.ownership) if m.ownership is not None else "")
            + (
                " movesOwnershipStdev " + " ".join(f"{v:.4f}" for v in m.ownership_stdev)
                if m.ownership_stdev is not None
                else ""
            )
        )
    if root is not None:
        score = "" if root.score_lead is None else f" scoreMean {root.score_lead:.3f} scoreLead {root.score_lead:.3f}"
        parts.append(
            f"rootInfo visits {root.visits} utility {2.0 * root.winrate - 1.0:.6f} winrate {root.winrate:.6f}{score}"
        )
    if ownership is not None:
        parts.append("ownership " + " ".join(f"{v:.4f}" for v in ownership))
    if ownership_stdev is not None:
        parts.append("ownershipStdev " + " ".join(f"{v:.4f}" for v in ownership_stdev))
    return " ".join(parts)


def _permyriad(x: float) -> int:
    return int(round(min(max(x, 0.0), 1.0) * 10000))
