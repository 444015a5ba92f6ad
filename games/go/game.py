"""The checked Go game: turn, passes, superko, komi, move limit, resignation, undo, scoring, planes; imports only games.go and games.players.

The raw board (stones, chains, simple ko) lives in flat arrays updated by games.go._kernels;
this layer adds everything that needs the game's history. Every public method that takes a
move validates it and raises (IllegalMoveError / CoordinateError) without changing the game.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import NoReturn

import numpy as np

from games.go import _kernels as K
from games.go._ladder_kernels import ladder_scratch, write_ladder_planes
from games.go.coords import CoordinateError, OffBoardError, from_gtp, parse_diagram, render_diagram, to_gtp
from games.go.rules import GoRules
from games.players import opponent

EMPTY, BLACK, WHITE = K.EMPTY, K.BLACK, K.WHITE
COLOR_NAMES = {BLACK: "B", WHITE: "W"}
REASONS = {K.OCCUPIED: "occupied", K.SUICIDE: "suicide", K.KO_BANNED: "ko", K.SUPERKO_BANNED: "superko"}


class IllegalMoveError(ValueError):
    """An illegal move; ``reason`` is one of: occupied, suicide, ko, superko, off board, game over."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):
        # pickle (Ray sends a worker's exception to the driver) rebuilds from args, which hold only the message
        return type(self), (self.reason, str(self))


def parse_color(color: int | str) -> int:
    """BLACK/WHITE or 'b', 'black', 'w', 'white' (any case) -> BLACK/WHITE."""
    if color in (BLACK, WHITE):
        return int(color)
    if isinstance(color, str):
        text = color.strip().lower()
        if text in ("b", "black"):
            return BLACK
        if text in ("w", "white"):
            return WHITE
    raise ValueError(f"color must be 'black' or 'white', got {color!r}")


@functools.cache
def zobrist_table(size: int) -> np.ndarray:
    """Zobrist keys int64[P, 3] for a size x size padded board (fixed seed: hashes are reproducible)."""
    P = (size + 2) * (size + 1) + 1
    keys = np.random.default_rng(20261128 + size).integers(-(2**63), 2**63 - 1, size=(P, 3), dtype=np.int64)
    keys[:, 0] = 0
    keys.setflags(write=False)
    return keys


class GoGame:
    """One game of Go under ``GoRules``. Colours are BLACK=1 / WHITE=2 (games.players' first / second player); moves are flat indices (pass = N*N)
    or GTP vertices."""

    def __init__(self, rules: GoRules | None = None, *, undo: bool = True):
        """``undo=False``: keep no snapshots for undo() (self-play and arena games, which never take a move back,
        save four array copies per move)."""
        rules = rules or GoRules()
        rules.validate()
        self.rules = rules
        self.size = N = rules.size
        self.zobrist = zobrist_table(N)
        P = (N + 2) * (N + 1) + 1
        self.color = np.empty(P, np.int8)  # raw board arrays: see games.go._kernels
        self.chain = np.empty((4, P), np.int32)
        self.empties = np.empty((2, P), np.int32)
        self.meta = np.empty(K.META_SIZE, np.int64)
        K.init_board(N, self.color, self.chain, self.empties, self.meta)
        self.to_move = BLACK
        self.passes = 0  # consecutive passes just played
        self.resigned: int | None = None  # colour that resigned
        self.moves: list[tuple[int, int]] = []  # (colour, action) played, in order
        self.positions: list[np.ndarray] = [np.zeros(N * N, np.int8)]  # stones int8[N*N] after each move
        self.hashes: list[int] = [0]  # Zobrist hash of each entry of positions
        self._sorted_hashes = np.zeros(1, np.int64)
        self._undo: list[tuple] | None = [] if undo else None  # None: undo is off for this game
        self.player_names = {BLACK: "", WHITE: ""}
        self.setup_stones = {BLACK: [], WHITE: []}  # AB/AW stones placed before the first move

    # ---- construction helpers -------------------------------------------------------------
    @classmethod
    def from_diagram(
        cls, diagram: str, to_move: int | str = BLACK, rules: GoRules | None = None, **rule_fields
    ) -> GoGame:
        """A game whose start position is an `X O .` diagram (setup stones), with ``to_move`` to play."""
        rows = parse_diagram(diagram)
        size = len(rows)
        base = rules or GoRules(size=size, **rule_fields)
        if base.size != size:
            raise ValueError(f"size: diagram is {size}x{size} but rules say {base.size}")
        game = cls(base)
        flat = [v for row in rows for v in row]
        game.setup([a for a, v in enumerate(flat) if v == BLACK], [a for a, v in enumerate(flat) if v == WHITE])
        game.to_move = parse_color(to_move)
        return game

    def setup(self, black: list[int], white: list[int]) -> None:
        """Place setup stones (SGF AB/AW) before any move on empty points (each point once); raises ValueError
        (CoordinateError for a point that is not a board index) if not, or if a chain would have no liberty."""
        if self.moves:
            raise ValueError("setup stones can only be placed before the first move")
        N = self.size
        stones = self.positions[-1].copy()
        for colour, points in ((BLACK, black), (WHITE, white)):
            for a in points:
                if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
                    raise CoordinateError(f"setup point must be an index, got {a!r}")
                if not 0 <= a < N * N:
                    raise OffBoardError(f"setup point {a} is off the {N}x{N} board")
                if stones[a] != EMPTY:
                    raise ValueError(f"setup point {to_gtp(int(a), N)} is already occupied")
                stones[a] = colour
        color, chain, empties, meta = self._fresh_arrays()
        K.set_position(N, stones, K.NO_POINT, 0, 0, color, chain, empties, meta, self.zobrist)
        heads = chain[K.HEAD][color == BLACK].tolist() + chain[K.HEAD][color == WHITE].tolist()
        if any(chain[K.LIBS, h] == 0 for h in heads):
            raise ValueError("setup position has a chain without liberties")
        self.color, self.chain, self.empties, self.meta = color, chain, empties, meta
        self.setup_stones = {
            BLACK: self.setup_stones[BLACK] + list(black),
            WHITE: self.setup_stones[WHITE] + list(white),
        }
        self.positions = [stones]
        self.hashes = [int(meta[K.HASH])]
        self._sorted_hashes = np.array(self.hashes, np.int64)

    def _fresh_arrays(self):
        P = self.color.shape[0]
        return (
            np.empty(P, np.int8),
            np.empty((4, P), np.int32),
            np.empty((2, P), np.int32),
            np.empty(K.META_SIZE, np.int64),
        )

    def copy(self) -> GoGame:
        """An independent deep copy (history and undo stack included)."""
        other = GoGame.__new__(GoGame)
        other.__dict__.update(self.__dict__)
        for name in ("color", "chain", "empties", "meta", "_sorted_hashes"):
            setattr(other, name, getattr(self, name).copy())
        other.moves = list(self.moves)
        other.positions = list(self.positions)  # entries are never mutated
        other.hashes = list(self.hashes)
        other._undo = None if self._undo is None else list(self._undo)  # snapshots are never mutated
        other.player_names = dict(self.player_names)
        other.setup_stones = {c: list(v) for c, v in self.setup_stones.items()}
        return other

    # ---- moves -----------------------------------------------------------------------------
    @property
    def komi(self) -> float:
        return self.rules.komi

    @property
    def pass_action(self) -> int:
        return self.size * self.size

    @property
    def num_actions(self) -> int:
        return self.size * self.size + 1

    def action(self, move: int | str) -> int:
        """A GTP vertex or flat index -> flat index; IllegalMoveError('off board') outside, CoordinateError if malformed."""
        N = self.size
        if isinstance(move, str):
            try:
                return from_gtp(move, N)
            except OffBoardError as exc:
                raise IllegalMoveError("off board", str(exc)) from None
        if isinstance(move, (bool, np.bool_)) or not isinstance(move, (int, np.integer)):
            raise CoordinateError(f"move must be a GTP vertex or an index, got {move!r}")
        if not 0 <= move <= N * N:
            raise IllegalMoveError("off board", f"index {move} is off the {N}x{N} board (pass is {N * N})")
        return int(move)

    def verdict(self, move: int | str, color: int | str | None = None) -> str | None:
        """None if the move is legal, else the reason (occupied, suicide, ko, superko, off board, game over)."""
        try:
            a = self.action(move)
        except IllegalMoveError as exc:
            return exc.reason
        return self._verdict(a, self.to_move if color is None else parse_color(color))

    def _verdict(self, a: int, c: int) -> str | None:
        """verdict() of flat index ``a`` for colour ``c``, both already checked."""
        if self._closed:
            return "game over"
        if a == self.pass_action:
            return None
        code = K.move_verdict(
            self.size,
            a,
            c,
            self.color,
            self.chain,
            self.meta,
            self.zobrist,
            self.rules.superko == "positional",
            self._sorted_hashes,
            len(self._sorted_hashes),
            self._sorted_hashes,
            0,
        )
        return REASONS.get(int(code))

    @property
    def _closed(self) -> bool:
        """No move may be played: resigned or the move limit reached (after two passes a move resumes the game)."""
        return self.resigned is not None or len(self.moves) >= self.rules.move_limit

    def is_legal(self, move: int | str, color: int | str | None = None) -> bool:
        """Whether ``color`` (default: the side to move) may play ``move`` now."""
        return self.verdict(move, color) is None

    def play(self, move: int | str, color: int | str | None = None) -> int:
        """Play a move (GTP vertex, index or 'pass') for ``color`` (default: side to move); returns stones captured.
        Raises IllegalMoveError naming the reason and leaves the game unchanged. A move after two passes
        resumes the game (as GTP clients expect); after resignation or the move limit, moves are refused."""
        a = self.action(move)
        c = self.to_move if color is None else parse_color(color)
        if self._closed:
            self._refuse(a, c, "game over")
        snapshot = None
        if self._undo is not None:
            snapshot = (
                self.color.copy(),
                self.chain.copy(),
                self.empties.copy(),
                self.meta.copy(),
                self.to_move,
                self.passes,
            )
        captured = 0
        if a == self.pass_action:
            self.passes += 1
            self.meta[K.KO] = K.NO_POINT
            stones = self.positions[-1].copy()
        else:
            stones = np.empty(self.size * self.size, np.int8)
            code, captured = K.play_checked(
                self.size,
                a,
                c,
                self.color,
                self.chain,
                self.empties,
                self.meta,
                self.zobrist,
                self.rules.superko == "positional",
                self._sorted_hashes,
                len(self._sorted_hashes),
                stones,
            )
            if code != K.LEGAL:
                self._refuse(a, c, REASONS[int(code)])
            captured = int(captured)
            self.passes = 0
        if snapshot is not None:
            self._undo.append(snapshot)
        self.moves.append((c, a))
        self.to_move = opponent(c)
        self.positions.append(stones)
        h = int(self.meta[K.HASH])
        self.hashes.append(h)
        old, at = self._sorted_hashes, int(np.searchsorted(self._sorted_hashes, h))
        self._sorted_hashes = np.empty(len(old) + 1, old.dtype)  # np.insert's generality costs ~10x this per move
        self._sorted_hashes[:at], self._sorted_hashes[at], self._sorted_hashes[at + 1 :] = old[:at], h, old[at:]
        return captured

    def _refuse(self, a: int, c: int, reason: str) -> NoReturn:
        """Raise the IllegalMoveError of colour c's move at a for ``reason``."""
        raise IllegalMoveError(reason, f"illegal move {to_gtp(a, self.size)} for {COLOR_NAMES[c]}: {reason}")

    def play_pass(self, color: int | str | None = None) -> None:
        """Pass (always legal while the game is not over)."""
        self.play(self.pass_action, color)

    def resign(self, color: int | str | None = None) -> None:
        """``color`` (default: side to move) resigns; the game is over."""
        self.resigned = self.to_move if color is None else parse_color(color)

    def undo(self) -> None:
        """Take back a resignation, else the last move, restoring the exact previous state; ValueError if none."""
        if self.resigned is not None:
            self.resigned = None
            return
        if not self.moves:
            raise ValueError("nothing to undo")
        if self._undo is None:
            raise ValueError("undo is off for this game")
        self.color, self.chain, self.empties, self.meta, self.to_move, self.passes = self._undo.pop()
        self.moves.pop()
        self.positions.pop()
        h = self.hashes.pop()
        self._sorted_hashes = np.delete(self._sorted_hashes, np.searchsorted(self._sorted_hashes, h))

    def legal_mask(self, color: int | str | None = None) -> np.ndarray:
        """bool[N*N+1]: the legal moves of ``color`` (default: side to move), superko-aware; pass always legal
        (all False once the game is over by resignation or move limit)."""
        N = self.size
        out = np.zeros(N * N + 1, np.bool_)
        if self._closed:
            return out
        c = self.to_move if color is None else parse_color(color)
        K.legal_mask(
            N,
            c,
            self.color,
            self.chain,
            self.meta,
            self.zobrist,
            self.rules.superko == "positional",
            self._sorted_hashes,
            len(self._sorted_hashes),
            self._sorted_hashes,
            0,
            out,
        )
        return out

    def legal_moves(self, color: int | str | None = None) -> list[int]:
        """Flat indices of the legal moves (pass included, last)."""
        return np.flatnonzero(self.legal_mask(color)).tolist()

    # ---- state -----------------------------------------------------------------------------
    @property
    def is_over(self) -> bool:
        """Resigned, two consecutive passes, or the move limit reached."""
        return self._closed or self.passes >= 2

    @property
    def move_number(self) -> int:
        return len(self.moves)

    @property
    def ko_point(self) -> int | None:
        """Flat index the side to move may not retake under simple ko, or None."""
        p = int(self.meta[K.KO])
        if p == K.NO_POINT:
            return None
        W = self.size + 1
        return (p // W - 1) * self.size + p % W - 1

    @property
    def hash(self) -> int:
        """Zobrist hash of the stones (not of the side to move)."""
        return int(self.meta[K.HASH])

    @property
    def captures(self) -> dict[int, int]:
        """Stones of each colour captured so far: {BLACK: n, WHITE: m}."""
        return {BLACK: int(self.meta[BLACK]), WHITE: int(self.meta[WHITE])}

    def stones(self) -> np.ndarray:
        """int8[N, N] copy of the board: 0 empty, 1 black, 2 white; [y, x] with y from the top."""
        return self.positions[-1].reshape(self.size, self.size).copy()

    def own_eye_mask(self, color: int | str | None = None) -> np.ndarray:
        """bool[N*N+1]: the moves that would fill a single-point eye of ``color`` (default: the side to move), by the
        playouts' test: every neighbour ``color`` or the edge, fewer than two opponent diagonals (an off-board
        diagonal counts as one). Strong engines never play there. Pass is False."""
        c = self.to_move if color is None else parse_color(color)
        out = np.zeros(self.size * self.size + 1, bool)
        K.own_eye_mask(self.size, c, self.color, out[:-1])
        return out

    def ownership(self) -> np.ndarray:
        """int8[N, N] Tromp-Taylor owner of every point: +1 black, -1 white, 0 neutral."""
        owner = np.empty(self.size * self.size, np.int8)
        K.area_owner(self.size, self.color, owner)
        return owner.reshape(self.size, self.size)

    def area_score(self, dead: Iterable[int] = ()) -> float:
        """Tromp-Taylor area: black stones and empty regions reaching only black, minus white's, minus komi.

        ``dead``: flat points whose stones are taken off the board before counting (the dead
        stones agreed or estimated at the end of a game); the game itself is not changed.
        """
        color = self.color
        points = np.asarray(list(dead), np.int64)
        if points.size:
            color = color.copy()
            color[_padded(points, self.size)] = EMPTY
        return float(K.area_diff(self.size, color)) - self.komi

    def chains(self) -> list[list[int]]:
        """Every chain (stones of one colour connected by lines) as a list of flat points, ascending, in the order of
        each chain's first point; read from the board's own chain links."""
        N = self.size
        points = np.arange(N * N)
        padded = _padded(points, N)
        occupied = self.color[padded] != EMPTY
        groups: dict[int, list[int]] = {}
        for point, head in zip(points[occupied].tolist(), self.chain[K.HEAD, padded[occupied]].tolist()):
            groups.setdefault(head, []).append(point)
        return list(groups.values())

    def winner(self) -> int | None:
        """BLACK, WHITE or None (a draw, or a game not over), by resignation or area score."""
        if self.resigned is not None:
            return opponent(self.resigned)
        if not self.is_over:
            return None
        score = self.area_score()
        return BLACK if score > 0 else (WHITE if score < 0 else None)

    def result(self) -> str:
        """SGF-style result: 'B+R', 'W+3.5', '0' (draw); scored by area now even if the game is not over."""
        if self.resigned is not None:
            return f"{COLOR_NAMES[opponent(self.resigned)]}+R"
        score = self.area_score()
        if score == 0:
            return "0"
        return f"{'B' if score > 0 else 'W'}+{abs(score):g}"

    def planes(self, komi_plane: bool = False, liberty_planes: bool = False, ladder_planes: bool = False) -> np.ndarray:
        """float32[17, N, N] AlphaGo Zero input planes of the current position (see the project conventions);
        ``liberty_planes`` adds 3: stones whose chain has exactly 1, 2, 3 liberties; ``ladder_planes`` 2: stones
        a ladder captures and the moves that start one (games.go._ladder_kernels); ``komi_plane`` the komi the
        side to move receives / KOMI_SCALE, last (games.go._kernels.plane_layout, write_planes)."""
        N = self.size
        hist = np.stack(self.positions[-K.HISTORY :])
        liberty_first, ladder_first, komi_first, count = K.plane_layout(
            K.plane_features(komi_plane, liberty_planes, ladder_planes)
        )
        out = np.empty((count, N, N), np.float32)
        K.write_planes(N, hist, len(hist) - 1, len(hist), self.to_move, float(self.komi), komi_first, out)
        flat = out.reshape(count, N * N)
        if liberty_first >= 0:
            libs = np.empty(self.color.shape[0], np.int32)
            K.chain_liberties(N, self.color, self.chain, np.empty_like(libs), libs)
            K.write_liberty_planes(N, libs, flat, liberty_first)
        if ladder_first >= 0:
            write_ladder_planes(
                N,
                self.to_move,
                self.color,
                self.chain,
                self.empties,
                self.meta,
                self.zobrist,
                ladder_scratch(N),
                flat,
                ladder_first,
            )
        return out

    def diagram(self, coordinates: bool = False) -> str:
        """The board as rows of `X O .` (with GTP coordinates if asked)."""
        return render_diagram(self.positions[-1], self.size, coordinates)

    def consistency_errors(self) -> list[str]:
        """Compare the incremental raw board with a from-scratch rebuild of the same stones (chains, pseudo-
        liberties, sizes, empty list, hash, captures vs. moves); returns what differs (empty when consistent)."""
        N = self.size
        color, chain, empties, meta = self._fresh_arrays()
        stones = np.empty(N * N, np.int8)
        K._stones_of(N, self.color, stones)
        K.set_position(
            N, stones, self.meta[K.KO], self.meta[BLACK], self.meta[WHITE], color, chain, empties, meta, self.zobrist
        )
        errors = []
        if not np.array_equal(color, self.color):
            errors.append("colours differ from the position list")
        if not np.array_equal(stones, self.positions[-1]):
            errors.append("stones differ from the recorded position")
        if meta[K.HASH] != self.meta[K.HASH]:
            errors.append("Zobrist hash differs from a rebuild")
        n = int(self.meta[K.NUM_EMPTY])
        listed = self.empties[K.LIST, :n]
        if n != meta[K.NUM_EMPTY] or sorted(listed.tolist()) != sorted(np.flatnonzero(self.color == EMPTY).tolist()):
            errors.append("empty-point list differs from the empty points")
        elif not np.array_equal(self.empties[K.WHERE, listed], np.arange(n)):
            errors.append("empty-point positions are out of sync with the list")
        for p in np.flatnonzero((self.color == BLACK) | (self.color == WHITE)):
            h, ref = self.chain[K.HEAD, p], chain[K.HEAD, p]
            members, s = [], p
            for _ in range(N * N + 1):
                members.append(int(s))
                s = self.chain[K.NEXT, s]
                if s == p:
                    break
            ref_members = np.flatnonzero((chain[K.HEAD] == ref) & (color == color[p]))
            if sorted(members) != ref_members.tolist() or any(self.chain[K.HEAD, m] != h for m in members):
                errors.append(f"chain of point {p} differs from a rebuild")
            elif self.chain[K.LIBS, h] != chain[K.LIBS, ref] or self.chain[K.SIZE, h] != chain[K.SIZE, ref]:
                errors.append(f"liberties/size of the chain of point {p} differ from a rebuild")
            elif chain[K.LIBS, ref] == 0:
                errors.append(f"chain of point {p} has no liberty")
        setup = {c: len(v) for c, v in self.setup_stones.items()}
        for c in (BLACK, WHITE):
            played = sum(1 for colour, a in self.moves if colour == c and a != self.pass_action)
            if int(np.sum(stones == c)) + int(self.meta[c]) != played + setup[c]:
                errors.append(f"stones + captures of colour {c} != stones played")
        return errors

    def __repr__(self) -> str:
        return (
            f"GoGame(size={self.size}, komi={self.komi}, move={self.move_number}, to_move={COLOR_NAMES[self.to_move]})"
        )


def _padded(points: np.ndarray, size: int) -> np.ndarray:
    """Padded indices (games.go._kernels layout) of flat points ``a = y*N + x``."""
    return (points // size + 1) * (size + 1) + points % size + 1
