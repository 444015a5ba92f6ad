"""GoGui's analyze commands (its manual's "Analyze Commands"): the list GoGui reads and the gfx / dboard replies that draw the network's policy, its ownership and a search on the board (the settings dialog, zero-param, is the engine's)."""

from __future__ import annotations

import numpy as np

from games.go.coords import to_gtp

# type/label/command, GoGui's gogui-analyze_commands format; %m: the colour to move
ANALYZE_COMMANDS = (
    "gfx/Policy/zero-policy %m",
    "dboard/Ownership/zero-ownership",
    "gfx/Search/zero-search %m",
    "dboard/Search ownership/zero-search-ownership %m",
    "param/Settings/zero-param",
)
POLICY_SHOWN = 0.001  # policy below this share gets no label (most of an opening board)


def _shade(share: float) -> str:
    """A colour from pale yellow (little) to red (all), GoGui's #rrggbb."""
    level = min(max(share, 0.0), 1.0) ** 0.5  # square root: a 2% move still shows
    return f"#ff{int(round(230 * (1.0 - level))):02x}00"


def policy_gfx(policy: np.ndarray, size: int) -> str:
    """``policy`` (float[N*N+1], pass last) as gfx: each move of at least 0.1% coloured and labelled with its percent, the
    pass's share in the status line."""
    points = [a for a in np.argsort(-policy[:-1], kind="stable").tolist() if policy[a] >= POLICY_SHOWN]
    lines = [f"COLOR {_shade(float(policy[a]))} {to_gtp(a, size)}" for a in points]
    if points:
        lines.append("LABEL " + " ".join(f"{to_gtp(a, size)} {_percent(float(policy[a]))}" for a in points))
    best = to_gtp(points[0], size) if points else "pass"
    lines.append(f"TEXT policy: best {best}, pass {100 * float(policy[-1]):.1f}%")
    return "\n".join(lines)


def _percent(share: float) -> str:
    return f"{100 * share:.0f}" if share >= 0.095 else f"{100 * share:.1f}"


def ownership_dboard(ownership: np.ndarray, size: int) -> str:
    """``ownership`` (float[N*N], +1 Black, row 0 the top) as GoGui's dboard: N rows of N numbers in [-1, 1], the top
    row first; GoGui draws positive as black squares."""
    rows = np.clip(ownership, -1.0, 1.0).reshape(size, size)
    return "\n".join(" ".join(f"{v:.3f}" for v in row) for row in rows)


def search_gfx(moves: list[tuple[str, int, float]], line: list[str], mover: str, visits: int, winrate: float) -> str:
    """A search as gfx: each searched move (vertex, visits, the mover's win rate) labelled with its win rate in percent
    and shaded by its share of the visits, the best move's line as a variation from ``mover`` ('b' or 'w'), and the
    root's win rate and visits in the status line."""
    lines = [f"COLOR {_shade(n / max(visits, 1))} {vertex}" for vertex, n, _ in moves if vertex != "pass"]
    labels = [f"{vertex} {100 * rate:.0f}" for vertex, _, rate in moves if vertex != "pass"]
    if labels:
        lines.append("LABEL " + " ".join(labels))
    if line:
        colours = [mover, "w" if mover == "b" else "b"]
        lines.append("VAR " + " ".join(f"{colours[i % 2]} {vertex}" for i, vertex in enumerate(line)))
    best = line[0] if line else "pass"
    side = "Black" if mover == "b" else "White"
    lines.append(f"TEXT {side} wins {100 * winrate:.1f}% with {best}, {visits} visits")
    return "\n".join(lines)
