"""Every coordinate system of the board in one place, plus `X O .` diagrams; imports only games.players (the colour numbers).

| system        | example (9x9)        | notes                                                  |
|---------------|----------------------|--------------------------------------------------------|
| flat index    | ``a = y*N + x``      | x = column from the left, y = row from the TOP; pass = N*N |
| (x, y)        | ``(3, 5)``           | the same point as a pair                               |
| GTP vertex    | ``D4``, ``pass``     | letters A..T without I, row 1 at the BOTTOM; case-insensitive |
| SGF point     | ``dd``, ``""``       | 'a' = 0, column letter first, row from the top; "" (or "tt" <= 19x19) = pass |
| sgfmill move  | ``(row, col)``       | row from the BOTTOM; None = pass                       |
"""

from __future__ import annotations

from games.players import FIRST_PLAYER, NO_PLAYER, SECOND_PLAYER

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRST"  # no I
EMPTY, BLACK, WHITE = NO_PLAYER, FIRST_PLAYER, SECOND_PLAYER
DIAGRAM_CHARS = {".": EMPTY, "+": EMPTY, "X": BLACK, "x": BLACK, "#": BLACK, "O": WHITE, "o": WHITE}


class CoordinateError(ValueError):
    """A malformed or off-board coordinate (the message says which and why)."""


class OffBoardError(CoordinateError):
    """A well-formed coordinate outside this board (e.g. 'T19' on 9x9)."""


def pass_move(size: int) -> int:
    """The action index of pass."""
    return size * size


def to_xy(a: int, size: int) -> tuple[int, int]:
    """Flat index -> (x, y)."""
    return a % size, a // size


def from_xy(x: int, y: int, size: int) -> int:
    """(x, y) -> flat index; raises CoordinateError off the board."""
    if not (0 <= x < size and 0 <= y < size):
        raise OffBoardError(f"point ({x}, {y}) is off the {size}x{size} board")
    return y * size + x


def to_gtp(a: int, size: int) -> str:
    """Flat index (or pass) -> GTP vertex such as 'D4' or 'pass'."""
    if a == size * size:
        return "pass"
    if not 0 <= a < size * size:
        raise OffBoardError(f"index {a} is off the {size}x{size} board")
    x, y = to_xy(a, size)
    return f"{GTP_COLUMNS[x]}{size - y}"


def from_gtp(vertex: str, size: int) -> int:
    """GTP vertex ('D4', 'd4', 'pass') -> flat index; raises CoordinateError if malformed or off board."""
    if not isinstance(vertex, str):
        raise CoordinateError(f"vertex must be a string, got {vertex!r}")
    text = vertex.strip().upper()
    if text == "PASS":
        return size * size
    if (
        len(text) < 2
        or not ("A" <= text[0] <= "Z")
        or text[0] == "I"
        or not (text[1:].isascii() and text[1:].isdigit())
    ):
        raise CoordinateError(f"malformed vertex {vertex!r}: expected a letter A-T (no I) and a row number, or 'pass'")
    x = "ABCDEFGHJKLMNOPQRSTUVWXYZ".index(text[0])
    row = int(text[1:])
    if x >= size or not 1 <= row <= size:
        raise OffBoardError(f"vertex {vertex!r} is off the {size}x{size} board")
    return (size - row) * size + x


def to_sgf(a: int, size: int) -> str:
    """Flat index -> SGF point ('dd'); pass -> ''."""
    if a == size * size:
        return ""
    x, y = to_xy(a, size)
    return "abcdefghijklmnopqrs"[x] + "abcdefghijklmnopqrs"[y]


def from_sgf(point: str, size: int) -> int:
    """SGF point ('dd', '' or 'tt' for pass on boards up to 19x19) -> flat index."""
    if point == "" or (point == "tt" and size <= 19):
        return size * size
    if len(point) != 2 or not point.isalpha() or not point.islower():
        raise CoordinateError(f"malformed SGF point {point!r}")
    x, y = ord(point[0]) - ord("a"), ord(point[1]) - ord("a")
    return from_xy(x, y, size)


def to_sgfmill(a: int, size: int) -> tuple[int, int] | None:
    """Flat index -> sgfmill (row from the bottom, col); pass -> None."""
    if a == size * size:
        return None
    x, y = to_xy(a, size)
    return size - 1 - y, x


def from_sgfmill(move: tuple[int, int] | None, size: int) -> int:
    """sgfmill (row from the bottom, col) or None -> flat index."""
    if move is None:
        return size * size
    row, col = move
    return from_xy(col, size - 1 - row, size)


def parse_diagram(text: str) -> list[list[int]]:
    """A board diagram (rows of 'X', 'O', '.', separated by spaces or not; optional GTP row numbers and
    column letters are ignored) -> rows of 0/1/2 from the top. Raises CoordinateError if not square."""
    rows: list[list[int]] = []
    for line in text.strip("\n").splitlines():
        cells = [ch for ch in line if not ch.isspace()]
        while cells and cells[0].isdigit():
            cells.pop(0)
        while cells and cells[-1].isdigit():
            cells.pop()
        if not cells:
            continue
        if "".join(cells) == GTP_COLUMNS[: len(cells)] and len(cells) > 1:
            continue  # a column-letter header
        if any(ch not in DIAGRAM_CHARS for ch in cells):
            bad = next(ch for ch in cells if ch not in DIAGRAM_CHARS)
            raise CoordinateError(f"diagram: unexpected character {bad!r} in line {line!r}")
        rows.append([DIAGRAM_CHARS[ch] for ch in cells])
    size = len(rows)
    if size == 0 or any(len(r) != size for r in rows):
        raise CoordinateError(f"diagram must be square, got {size} rows of lengths {[len(r) for r in rows]}")
    return rows


def render_diagram(stones, size: int, coordinates: bool = False) -> str:
    """Rows of 'X O .' from a flat or [N, N] sequence of 0/1/2; with GTP coordinates if asked."""
    flat = [int(v) for v in (stones.reshape(-1) if hasattr(stones, "reshape") else stones)]
    chars = ".XO"
    lines = []
    for y in range(size):
        row = " ".join(chars[flat[y * size + x]] for x in range(size))
        lines.append(f"{size - y:2d} {row}" if coordinates else row)
    if coordinates:
        lines.append("   " + " ".join(GTP_COLUMNS[:size]))
    return "\n".join(lines)
