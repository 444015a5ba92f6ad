"""Numba kernels of the Go board: stones, chains, captures, simple ko, legality, Zobrist hash, area score, light playouts, planes; imports only games.players (the colour numbers).

Glossary and layout (one board; a batch adds a leading ``[B, ...]`` axis):
  N         board size (2..19); points have flat index ``a = y*N + x`` (y from the top).
  W = N+1   stride of the padded board: ``p = (y+1)*W + x + 1``; one shared wall column and
            a wall row above and below, so the 4 neighbours ``p-W, p-1, p+1, p+W`` and the 4
            diagonals never need bounds checks. ``P = (N+2)*(N+1) + 1`` padded points.
  color     int8[P]      EMPTY=0 BLACK=1 WHITE=2 WALL=3 (BLACK / WHITE are games.players' first / second player;
                         the opponent of ``c`` is ``3 - c``)
  chain     int32[4, P]  rows HEAD (chain head of a stone), NEXT (circular next-in-chain),
                         LIBS and SIZE (valid on the head only). LIBS is the *pseudo*-liberty
                         count: the number of (stone, adjacent empty point) pairs of the chain.
                         It is 0 exactly when the chain has no liberty, and a chain's only
                         liberty is ``p`` exactly when LIBS equals the number of its stones
                         adjacent to ``p`` -- that is all legality needs, and it updates in O(1).
  empties   int32[2, P]  row LIST[0:NUM_EMPTY] lists the empty points (any order), row WHERE
                         gives each empty point's position in that list (for O(1) removal).
  meta      int64[8]     KO (point the side to move may not retake, or NO_POINT),
                         [BLACK] / [WHITE] = stones of that colour captured so far (index = colour),
                         HASH (Zobrist hash of the stones only), NUM_EMPTY.
  zobrist   int64[P, 3]  random keys by point and colour (column 0 unused).
Kernels assume legal input unless their name says they check; the checked layer is games.go.game.
The search's batched leaf replay is in games.go._replay_kernels.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from games.players import FIRST_PLAYER, NO_PLAYER, SECOND_PLAYER

EMPTY, BLACK, WHITE, WALL = NO_PLAYER, FIRST_PLAYER, SECOND_PLAYER, 3
HEAD, NEXT, LIBS, SIZE = 0, 1, 2, 3
LIST, WHERE = 0, 1
KO, HASH, NUM_EMPTY = 0, 3, 4  # meta[1] and meta[2] hold captured black / white stones
META_SIZE = 8
NO_POINT = -1
# Legality verdicts (index into REASONS in games.go.game).
LEGAL, OCCUPIED, SUICIDE, KO_BANNED, SUPERKO_BANNED = 0, 1, 2, 3, 4
NUM_PLANES = 17  # 8 own + 8 opponent stone planes (this and 7 earlier positions) + the side to move
HISTORY = 8
KOMI_SCALE = 20.0  # KataGo's scale of its komi input
# Optional planes after the 17, in this order: the 3 liberty planes (network.liberty_input: stones whose chain has
# exactly 1, 2, 3 liberties, KataGo's liberty features; exact counts, not the board's pseudo-liberties), the 2 ladder
# planes (network.ladder_input; games.go._ladder_kernels), then the komi plane, always last (the replay stores
# constant planes as the last ones). A position's optional planes are a bit set of these features (plane_layout).
LIBERTY_PLANES = 3
COUNTED_LIBERTIES = LIBERTY_PLANES + 1  # chain_liberties counts this far: 'four or more' is all any reader needs
LADDER_PLANES = 2  # stones a ladder captures (either colour); moves that start one against the opponent
KOMI_FEATURE, LIBERTY_FEATURE, LADDER_FEATURE = 1, 2, 4


def plane_features(komi_plane: bool = False, liberty_planes: bool = False, ladder_planes: bool = False) -> int:
    """The bit set of optional planes that plane_layout reads."""
    return (
        KOMI_FEATURE * bool(komi_plane) | LIBERTY_FEATURE * bool(liberty_planes) | LADDER_FEATURE * bool(ladder_planes)
    )


def num_planes(komi_plane: bool = False, liberty_planes: bool = False, ladder_planes: bool = False) -> int:
    """How many planes a position has with the optional komi, liberty and ladder planes."""
    return plane_layout(plane_features(komi_plane, liberty_planes, ladder_planes))[3]


@njit(cache=True)
def padded_point(N, a):
    """Padded index of flat point ``a = y*N + x``."""
    return (a // N + 1) * (N + 1) + a % N + 1


@njit(cache=True)
def init_board(N, color, chain, empties, meta):
    """Reset one board to empty. color int8[P], chain int32[4,P], empties int32[2,P], meta int64[8]."""
    W = N + 1
    color[:] = WALL
    chain[:, :] = 0
    empties[:, :] = 0
    n = 0
    for y in range(N):
        for x in range(N):
            p = (y + 1) * W + x + 1
            color[p] = EMPTY
            empties[LIST, n] = p
            empties[WHERE, p] = n
            n += 1
    meta[:] = 0
    meta[KO] = NO_POINT
    meta[NUM_EMPTY] = n


@njit(cache=True, inline="always")
def _empty_remove(p, empties, meta):
    i = empties[WHERE, p]
    last = meta[NUM_EMPTY] - 1
    q = empties[LIST, last]
    empties[LIST, i] = q
    empties[WHERE, q] = i
    meta[NUM_EMPTY] = last


@njit(cache=True, inline="always")
def _empty_add(p, empties, meta):
    i = meta[NUM_EMPTY]
    empties[LIST, i] = p
    empties[WHERE, p] = i
    meta[NUM_EMPTY] = i + 1


@njit(cache=True)
def _merge(a, b, chain):
    """Merge chains with heads a != b; the larger keeps its head. Pseudo-liberties simply add."""
    if chain[SIZE, a] < chain[SIZE, b]:
        a, b = b, a
    s = b
    while True:
        chain[HEAD, s] = a
        s = chain[NEXT, s]
        if s == b:
            break
    na = chain[NEXT, a]
    chain[NEXT, a] = chain[NEXT, b]
    chain[NEXT, b] = na
    chain[SIZE, a] += chain[SIZE, b]
    chain[LIBS, a] += chain[LIBS, b]


@njit(cache=True)
def _remove_chain(N, h, color, chain, empties, meta, zobrist):
    """Capture the chain with head h; returns its size. Neighbouring chains regain pseudo-liberties."""
    W = N + 1
    c = color[h]
    n = 0
    s = h
    while True:
        color[s] = EMPTY
        meta[HASH] ^= zobrist[s, c]
        _empty_add(s, empties, meta)
        n += 1
        s = chain[NEXT, s]
        if s == h:
            break
    s = h
    while True:
        for q in (s - W, s - 1, s + 1, s + W):
            cq = color[q]
            if cq == BLACK or cq == WHITE:
                chain[LIBS, chain[HEAD, q]] += 1
        nxt = chain[NEXT, s]
        chain[HEAD, s] = 0
        chain[NEXT, s] = 0
        chain[LIBS, s] = 0
        chain[SIZE, s] = 0
        s = nxt
        if s == h:
            break
    meta[c] += n
    return n


@njit(cache=True)
def play_stone(N, p, c, color, chain, empties, meta, zobrist):
    """Place colour c at padded point p (assumed legal), capture, set the ko point; returns stones captured."""
    W = N + 1
    o = 3 - c
    _empty_remove(p, empties, meta)
    color[p] = c
    meta[HASH] ^= zobrist[p, c]
    chain[HEAD, p] = p
    chain[NEXT, p] = p
    chain[SIZE, p] = 1
    libs = 0
    for q in (p - W, p - 1, p + 1, p + W):
        cq = color[q]
        if cq == EMPTY:
            libs += 1
        elif cq != WALL:
            chain[LIBS, chain[HEAD, q]] -= 1
    chain[LIBS, p] = libs
    for q in (p - W, p - 1, p + 1, p + W):
        if color[q] == c:
            hq = chain[HEAD, q]
            hp = chain[HEAD, p]
            if hq != hp:
                _merge(hp, hq, chain)
    captured = 0
    last = NO_POINT
    for q in (p - W, p - 1, p + 1, p + W):
        if color[q] == o:
            hq = chain[HEAD, q]
            if chain[LIBS, hq] == 0:
                captured += _remove_chain(N, hq, color, chain, empties, meta, zobrist)
                last = q
    hp = chain[HEAD, p]
    if captured == 1 and chain[SIZE, hp] == 1 and chain[LIBS, hp] == 1:
        meta[KO] = last
    else:
        meta[KO] = NO_POINT
    return captured


@njit(cache=True, inline="always")
def _adjacent_stones(N, p, h, chain, color):
    """How many of p's neighbours are stones of the chain with head h."""
    W = N + 1
    n = 0
    for q in (p - W, p - 1, p + 1, p + W):
        if (color[q] == BLACK or color[q] == WHITE) and chain[HEAD, q] == h:
            n += 1
    return n


@njit(cache=True)
def legal_simple(N, p, c, color, chain, meta):
    """Verdict for colour c at padded point p under simple ko: LEGAL, OCCUPIED, KO_BANNED or SUICIDE."""
    W = N + 1
    if color[p] != EMPTY:
        return OCCUPIED
    if p == meta[KO]:
        return KO_BANNED
    for q in (p - W, p - 1, p + 1, p + W):
        if color[q] == EMPTY:
            return LEGAL
    for q in (p - W, p - 1, p + 1, p + W):
        cq = color[q]
        if cq == BLACK or cq == WHITE:
            h = chain[HEAD, q]
            adj = _adjacent_stones(N, p, h, chain, color)
            if cq == c:
                if chain[LIBS, h] > adj:  # the friendly chain keeps a liberty elsewhere
                    return LEGAL
            elif chain[LIBS, h] == adj:  # p is the enemy chain's last liberty: a capture
                return LEGAL
    return SUICIDE


@njit(cache=True)
def hash_after(N, p, c, color, chain, meta, zobrist):
    """Zobrist hash of the stones after colour c plays at p (assumed legal under simple ko), without playing."""
    W = N + 1
    o = 3 - c
    h = meta[HASH] ^ zobrist[p, c]
    seen0 = -1
    seen1 = -1
    seen2 = -1
    for q in (p - W, p - 1, p + 1, p + W):
        if color[q] == o:
            hq = chain[HEAD, q]
            if hq == seen0 or hq == seen1 or hq == seen2:
                continue
            if seen0 == -1:
                seen0 = hq
            elif seen1 == -1:
                seen1 = hq
            else:
                seen2 = hq
            if chain[LIBS, hq] == _adjacent_stones(N, p, hq, chain, color):
                s = hq
                while True:
                    h ^= zobrist[s, o]
                    s = chain[NEXT, s]
                    if s == hq:
                        break
    return h


@njit(cache=True)
def _seen(h, sorted_hashes, n_sorted, extra, n_extra):
    """Whether hash h is in sorted_hashes[:n_sorted] (binary search) or in extra[:n_extra]."""
    lo = 0
    hi = n_sorted
    while lo < hi:
        mid = (lo + hi) >> 1
        if sorted_hashes[mid] < h:
            lo = mid + 1
        else:
            hi = mid
    if lo < n_sorted and sorted_hashes[lo] == h:
        return True
    for i in range(n_extra):
        if extra[i] == h:
            return True
    return False


@njit(cache=True)
def move_verdict(N, a, c, color, chain, meta, zobrist, superko, sorted_hashes, n_sorted, extra, n_extra):
    """Verdict for colour c at flat point a: simple-ko verdict, then SUPERKO_BANNED if ``superko`` and the
    resulting position's hash is among the previous positions (sorted int64 array plus an unsorted extra)."""
    p = padded_point(N, a)
    r = legal_simple(N, p, c, color, chain, meta)
    if r == LEGAL and superko:
        if _seen(hash_after(N, p, c, color, chain, meta, zobrist), sorted_hashes, n_sorted, extra, n_extra):
            return SUPERKO_BANNED
    return r


@njit(cache=True)
def play_checked(N, a, c, color, chain, empties, meta, zobrist, superko, sorted_hashes, n_sorted, stones):
    """move_verdict of colour c at flat point a (no extra hashes); where LEGAL, the move is played and the stones
    after it written to stones int8[N*N]. Returns (verdict, stones captured); nothing changes unless LEGAL. One
    call instead of three: from Python each kernel call costs more than the move itself."""
    verdict = move_verdict(N, a, c, color, chain, meta, zobrist, superko, sorted_hashes, n_sorted, sorted_hashes, 0)
    if verdict != LEGAL:
        return verdict, 0
    captured = play_stone(N, padded_point(N, a), c, color, chain, empties, meta, zobrist)
    _stones_of(N, color, stones)
    return verdict, captured


@njit(cache=True)
def legal_mask(N, c, color, chain, meta, zobrist, superko, sorted_hashes, n_sorted, extra, n_extra, out):
    """Fill out bool[N*N+1] with the legal moves of colour c (pass, the last entry, is always legal)."""
    for a in range(N * N):
        out[a] = (
            move_verdict(N, a, c, color, chain, meta, zobrist, superko, sorted_hashes, n_sorted, extra, n_extra)
            == LEGAL
        )
    out[N * N] = True


@njit(cache=True)
def area_owner(N, color, owner):
    """Tromp-Taylor area: owner int8[N*N] gets +1 black / -1 white / 0 neutral; returns black area - white area."""
    W = N + 1
    seen = np.zeros(color.shape[0], np.bool_)
    stack = np.empty(N * N, np.int32)
    region = np.empty(N * N, np.int32)
    diff = 0
    for a in range(N * N):
        p = (a // N + 1) * W + a % N + 1
        c = color[p]
        if c == BLACK:
            owner[a] = 1
            diff += 1
        elif c == WHITE:
            owner[a] = -1
            diff -= 1
        elif not seen[p]:
            seen[p] = True
            stack[0] = p
            top = 1
            size = 0
            reach = 0
            while top > 0:
                top -= 1
                s = stack[top]
                region[size] = s
                size += 1
                for q in (s - W, s - 1, s + 1, s + W):
                    cq = color[q]
                    if cq == EMPTY:
                        if not seen[q]:
                            seen[q] = True
                            stack[top] = q
                            top += 1
                    elif cq == BLACK:
                        reach |= 1
                    elif cq == WHITE:
                        reach |= 2
            val = 1 if reach == 1 else (-1 if reach == 2 else 0)
            diff += val * size
            for i in range(size):
                s = region[i]
                owner[(s // W - 1) * N + s % W - 1] = val
    return diff


@njit(cache=True)
def stones_area_owner(N, own, other, out):
    """Tromp-Taylor owners of L positions given as stone planes: own / other float32[L, N*N] (1 where the player to
    move's / the other player's stones are) -> out float32[L, N*N], +1 = the player to move, -1 the other, 0 nobody."""
    W = N + 1
    color = np.empty((N + 2) * W + 1, np.int8)
    owner = np.empty(N * N, np.int8)
    for i in range(own.shape[0]):
        color[:] = WALL
        for a in range(N * N):
            p = (a // N + 1) * W + a % N + 1
            color[p] = BLACK if own[i, a] > 0.5 else (WHITE if other[i, a] > 0.5 else EMPTY)
        area_owner(N, color, owner)
        for a in range(N * N):
            out[i, a] = owner[a]


@njit(cache=True)
def area_diff(N, color):
    """Black area minus white area (Tromp-Taylor), no komi."""
    owner = np.empty(N * N, np.int8)
    return area_owner(N, color, owner)


@njit(cache=True)
def set_position(N, stones, ko, captured_black, captured_white, color, chain, empties, meta, zobrist):
    """Rebuild a board from scratch: stones int8[N*N] (0/1/2) -> chains, pseudo-liberties, empties, hash.
    This is also the reference that incremental updates are checked against."""
    W = N + 1
    init_board(N, color, chain, empties, meta)
    for a in range(N * N):
        s = stones[a]
        if s == BLACK or s == WHITE:
            p = (a // N + 1) * W + a % N + 1
            color[p] = s
            meta[HASH] ^= zobrist[p, s]
            _empty_remove(p, empties, meta)
    members = np.empty(N * N, np.int32)
    for a in range(N * N):
        p = (a // N + 1) * W + a % N + 1
        c = color[p]
        if (c != BLACK and c != WHITE) or chain[HEAD, p] != 0:
            continue
        chain[HEAD, p] = p
        members[0] = p
        k = 1
        i = 0
        libs = 0
        while i < k:
            s = members[i]
            i += 1
            for q in (s - W, s - 1, s + 1, s + W):
                if color[q] == EMPTY:
                    libs += 1
                elif color[q] == c and chain[HEAD, q] == 0:
                    chain[HEAD, q] = p
                    members[k] = q
                    k += 1
        for j in range(k):
            chain[NEXT, members[j]] = members[(j + 1) % k]
        chain[LIBS, p] = libs
        chain[SIZE, p] = k
    meta[KO] = ko
    meta[BLACK] = captured_black
    meta[WHITE] = captured_white


@njit(cache=True, inline="always")
def _own_eye(N, p, c, color):
    """Whether p is a single-point eye of colour c: all 4 neighbours c or wall, and fewer than 2 enemy
    diagonals (fewer than 1 on the edge, where a wall diagonal counts as one)."""
    W = N + 1
    for q in (p - W, p - 1, p + 1, p + W):
        cq = color[q]
        if cq != c and cq != WALL:
            return False
    bad = 0
    edge = 0
    o = 3 - c
    for q in (p - W - 1, p - W + 1, p + W - 1, p + W + 1):
        cq = color[q]
        if cq == WALL:
            edge = 1
        elif cq == o:
            bad += 1
    return bad + edge < 2


@njit(cache=True)
def own_eye_mask(N, c, color, out):
    """out bool[N*N]: the empty points that are single-point eyes of colour c (the playouts' _own_eye test)."""
    W = N + 1
    for y in range(N):
        for x in range(N):
            p = (y + 1) * W + x + 1
            out[y * N + x] = color[p] == EMPTY and _own_eye(N, p, c, color)


@njit(cache=True, inline="always")
def _next_random(rng, n):
    """Uniform integer in [0, n) from the xorshift64* state rng uint64[1] (cheaper than np.random per draw)."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    r = (x * np.uint64(0x2545F4914F6CDD1D)) >> np.uint64(32)
    return np.int64((r * np.uint64(n)) >> np.uint64(32))


@njit(cache=True)
def make_rng(seed):
    """A playout random state uint64[1] from an integer seed (never zero)."""
    rng = np.empty(1, np.uint64)
    rng[0] = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x632BE59BD9B4E019)
    if rng[0] == np.uint64(0):
        rng[0] = np.uint64(1)
    return rng


@njit(cache=True)
def playout(N, c, passes, max_moves, color, chain, empties, meta, zobrist, rng):
    """Light playout from the given board with colour c to move and ``passes`` consecutive passes so far:
    uniform among simple-ko-legal moves that do not fill the mover's own single-point eye; pass only
    when none remains. Stops after two consecutive passes or ``max_moves`` moves; returns moves played.
    rng: uint64[1] xorshift state (see make_rng), advanced in place.

    The same moves, captures and final arrays as the composition of ``_next_random``, ``_own_eye``,
    ``legal_simple`` and ``play_stone`` (tests/go/test_go_playouts.py keeps that composition as the
    reference and compares state for state), written as one function for speed (#12):
      * no calls in the loop: a Numba call passes each array as several machine words on the stack;
      * indices are uint64, so Numba emits no negative-index wraparound code at each array access;
      * ko point, empty count, hash and random state live in locals, written back at the end;
      * a new stone's neighbours are read once into bit masks (friends, enemies, captures): one
        predictable branch where there were four unpredictable ones; a lone stone joins a chain (or a
        lone neighbour joins it) without the relabelling loop."""
    U = np.uint64
    W = U(N + 1)
    ONE = U(1)
    head = chain[HEAD]
    nxt = chain[NEXT]
    libs = chain[LIBS]
    size = chain[SIZE]
    elist = empties[LIST]
    where = empties[WHERE]
    ko = U(0) if meta[KO] < 0 else U(meta[KO])  # 0 (a wall point) stands for NO_POINT
    ne = U(meta[NUM_EMPTY])
    h = meta[HASH]
    x = rng[0]
    offs = (U(0) - W, U(0) - ONE, ONE, W)  # the 4 neighbours, added modulo 2**64
    moves = 0
    while passes < 2 and moves < max_moves:
        o = 3 - c
        n = ne  # candidates are elist[:n]; a rejected one is swapped behind them (not drawn again this move)
        played = False
        i = U(0)
        p = U(0)
        while n > U(0):
            # _next_random(rng, n)
            x ^= x >> U(12)
            x ^= x << U(25)
            x ^= x >> U(27)
            i = (((x * U(0x2545F4914F6CDD1D)) >> U(32)) * n) >> U(32)
            p = U(elist[i])
            cn = color[p - W]
            cw = color[p - ONE]
            ce = color[p + ONE]
            cs = color[p + W]
            # A point with an empty neighbour is legal, not an eye and not the ko point (a ko point is walled in
            # by the capturer): most candidates stop here.
            ok = (cn == EMPTY) | (cw == EMPTY) | (ce == EMPTY) | (cs == EMPTY)
            if not ok and p != ko:
                # _own_eye: all 4 neighbours c or wall, and fewer than 2 enemy diagonals (a wall diagonal counts 1)
                eye = (
                    ((cn == c) | (cn == WALL))
                    & ((cw == c) | (cw == WALL))
                    & ((ce == c) | (ce == WALL))
                    & ((cs == c) | (cs == WALL))
                )
                if eye:
                    d0 = color[p - W - ONE]
                    d1 = color[p - W + ONE]
                    d2 = color[p + W - ONE]
                    d3 = color[p + W + ONE]
                    bad = (d0 == o) + (d1 == o) + (d2 == o) + (d3 == o)
                    edge = (d0 == WALL) | (d1 == WALL) | (d2 == WALL) | (d3 == WALL)
                    eye = bad + edge < 2
                if not eye:
                    # legal_simple without an empty neighbour: legal iff a friendly chain keeps a liberty elsewhere
                    # or p is an enemy chain's last liberty (its pseudo-liberties = its stones adjacent to p)
                    h0 = U(head[p - W])
                    h1 = U(head[p - ONE])
                    h2 = U(head[p + ONE])
                    h3 = U(head[p + W])
                    for d in range(4):
                        q = p + offs[d]
                        cq = color[q]
                        if cq == WALL:
                            continue
                        hq = U(head[q])
                        adj = (h0 == hq) + (h1 == hq) + (h2 == hq) + (h3 == hq)
                        if cq == c:
                            if libs[hq] > adj:
                                ok = True
                                break
                        elif libs[hq] == adj:
                            ok = True
                            break
            if ok:
                played = True
                break
            n -= ONE
            q = U(elist[n])
            elist[i] = q
            where[q] = i
            elist[n] = p
            where[p] = n
        if played:
            # play_stone; p is elist[i]: take it out of the empty list
            passes = 0
            ne -= ONE
            q = U(elist[ne])
            elist[i] = q
            where[q] = i
            color[p] = c
            h ^= zobrist[p, U(c)]
            head[p] = p
            nxt[p] = p
            size[p] = 1
            lp = 0
            friends = 0
            enemies = 0
            for d in range(4):
                q = p + offs[d]
                cq = color[q]
                lp += cq == EMPTY
                friends |= (cq == c) << d
                enemies |= (cq == o) << d
                # a neighbouring stone's chain loses a pseudo-liberty (empty and wall points have head 0: -0 there)
                libs[U(head[q])] -= (cq ^ (cq >> 1)) & 1
            libs[p] = lp
            hp = p
            if friends:
                for d in range(4):
                    if friends & (1 << d):
                        # _merge: the larger chain keeps its head; pseudo-liberties add
                        a = hp
                        b = U(head[p + offs[d]])
                        if a != b:
                            if size[a] < size[b]:
                                a, b = b, a
                            if size[b] == 1:
                                head[b] = a
                            else:
                                s = b
                                while True:
                                    head[s] = a
                                    s = U(nxt[s])
                                    if s == b:
                                        break
                            na = nxt[a]
                            nxt[a] = nxt[b]
                            nxt[b] = na
                            size[a] += size[b]
                            libs[a] += libs[b]
                            hp = a
            caps = 0
            for d in range(4):
                caps |= ((enemies >> d) & 1 & (libs[U(head[p + offs[d]])] == 0)) << d
            captured = 0
            last = U(0)
            if caps:
                for d in range(4):
                    q = p + offs[d]
                    if caps & (1 << d) and color[q] == o:  # not already taken from another side
                        # _remove_chain
                        hq = U(head[q])
                        k = 0
                        s = hq
                        while True:
                            color[s] = EMPTY
                            h ^= zobrist[s, U(o)]
                            elist[ne] = s
                            where[s] = ne
                            ne += ONE
                            k += 1
                            s = U(nxt[s])
                            if s == hq:
                                break
                        s = hq
                        while True:
                            for e in range(4):
                                t = s + offs[e]
                                ct = color[t]
                                libs[U(head[t])] += (ct ^ (ct >> 1)) & 1
                            sn = U(nxt[s])
                            head[s] = 0
                            nxt[s] = 0
                            libs[s] = 0
                            size[s] = 0
                            s = sn
                            if s == hq:
                                break
                        meta[o] += k
                        captured += k
                        last = q
            if captured == 1 and size[hp] == 1 and libs[hp] == 1:
                ko = last
            else:
                ko = U(0)
        else:
            passes += 1
            ko = U(0)
        c = 3 - c
        moves += 1
    meta[KO] = NO_POINT if ko == U(0) else np.int64(ko)
    meta[NUM_EMPTY] = np.int64(ne)
    meta[HASH] = h
    rng[0] = x
    return moves


@njit(cache=True)
def playout_area_diff(N, color):
    """area_diff (black area minus white area, no komi), fast at the end of a light playout, where every empty
    point lies between stones and belongs to the colour of its stone neighbours (neutral if both). Falls back
    to area_diff's flood fill as soon as an empty point has an empty neighbour."""
    W = N + 1
    diff = 0
    for y in range(N):
        for x in range(N):
            p = (y + 1) * W + x + 1
            cp = color[p]
            if cp == BLACK:
                diff += 1
            elif cp == WHITE:
                diff -= 1
            else:
                seen = 0  # bit k set: a neighbour of colour k
                for q in (p - W, p - 1, p + 1, p + W):
                    seen |= 1 << color[q]
                if seen & (1 << EMPTY):
                    return area_diff(N, color)
                seen &= (1 << BLACK) | (1 << WHITE)
                diff += (seen == 1 << BLACK) - (seen == 1 << WHITE)
    return diff


@njit(cache=True)
def bench_playouts(N, count, max_moves, zobrist, seed):
    """Play ``count`` light playouts from the empty board (Black first); returns (total moves, black wins)."""
    P = (N + 2) * (N + 1) + 1
    color0 = np.empty(P, np.int8)
    chain0 = np.empty((4, P), np.int32)
    empties0 = np.empty((2, P), np.int32)
    meta0 = np.empty(META_SIZE, np.int64)
    init_board(N, color0, chain0, empties0, meta0)
    color = color0.copy()
    chain = chain0.copy()
    empties = empties0.copy()
    meta = meta0.copy()
    rng = make_rng(seed)
    total = 0
    black_wins = 0
    for _ in range(count):
        color[:] = color0
        chain[:, :] = chain0
        empties[:, :] = empties0
        meta[:] = meta0
        total += playout(N, BLACK, 0, max_moves, color, chain, empties, meta, zobrist, rng)
        if playout_area_diff(N, color) > 0:
            black_wins += 1
    return total, black_wins


@njit(cache=True)
def rollout_values(N, stones, to_move, komi, rollouts, max_moves, zobrist, seed):
    """Mean light-playout result for the side to move of each position: stones int8[L, N*N] (0/1/2),
    to_move int8[L]; area score with komi; +1 win / -1 loss / 0 draw. Returns float32[L]."""
    L = stones.shape[0]
    P = (N + 2) * (N + 1) + 1
    color0 = np.empty(P, np.int8)
    chain0 = np.empty((4, P), np.int32)
    empties0 = np.empty((2, P), np.int32)
    meta0 = np.empty(META_SIZE, np.int64)
    color = np.empty(P, np.int8)
    chain = np.empty((4, P), np.int32)
    empties = np.empty((2, P), np.int32)
    meta = np.empty(META_SIZE, np.int64)
    out = np.zeros(L, np.float32)
    rng = make_rng(seed)
    for l in range(L):
        set_position(N, stones[l], NO_POINT, 0, 0, color0, chain0, empties0, meta0, zobrist)
        total = 0.0
        for _ in range(rollouts):
            color[:] = color0
            chain[:, :] = chain0
            empties[:, :] = empties0
            meta[:] = meta0
            playout(N, to_move[l], 0, max_moves, color, chain, empties, meta, zobrist, rng)
            d = playout_area_diff(N, color) - komi
            v = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
            total += v if to_move[l] == BLACK else -v
        out[l] = total / rollouts
    return out


@njit(cache=True)
def plane_layout(features):
    """(first liberty plane, first ladder plane, komi plane, planes in all) of a position whose optional planes
    are the bit set ``features`` (plane_features); -1 for a plane group it does not have."""
    n = NUM_PLANES
    liberty = ladder = komi = -1
    if features & LIBERTY_FEATURE:
        liberty = n
        n += LIBERTY_PLANES
    if features & LADDER_FEATURE:
        ladder = n
        n += LADDER_PLANES
    if features & KOMI_FEATURE:
        komi = n
        n += 1
    return liberty, ladder, komi, n


@njit(cache=True)
def chain_liberties(N, color, chain, stamp, libs):
    """libs int32[P]: at every on-board stone its chain's liberties counted up to COUNTED_LIBERTIES (that value
    means "that many or more"), 0 at empty points (walls: any value). The legal mask (atari: one liberty) and the
    liberty planes (1, 2, 3) need no more. One sweep: the first stone met of each chain counts it at its head (a
    single stone's pseudo-liberties are exact; a larger chain is walked around its NEXT ring, each empty neighbour
    counted once by marking it in ``stamp`` int32[P], scratch of any contents, until the cap is reached), and
    every stone copies its head's count."""
    W = N + 1
    for i in range(libs.shape[0]):
        libs[i] = -1  # not counted yet
        stamp[i] = -1
    for y in range(N):
        row = (y + 1) * W + 1
        for x in range(N):
            p = row + x
            c = color[p]
            if c != BLACK and c != WHITE:
                libs[p] = 0
                continue
            h = chain[HEAD, p]
            n = libs[h]
            if n < 0:
                if chain[SIZE, h] == 1:
                    n = chain[LIBS, h]
                else:
                    n = 0
                    q = h
                    while n < COUNTED_LIBERTIES:
                        for r in (q - W, q - 1, q + 1, q + W):
                            if color[r] == EMPTY and stamp[r] != h:
                                stamp[r] = h
                                n += 1
                        q = chain[NEXT, q]
                        if q == h:
                            break
                    n = min(n, COUNTED_LIBERTIES)
                libs[h] = n
            libs[p] = n


@njit(cache=True)
def write_liberty_planes(N, libs, out, first):
    """out[first + k - 1] (flat float32[N*N] planes) = 1 at every stone whose chain has exactly k = 1..3
    liberties, 0 elsewhere, from the per-point counts of chain_liberties. Indexed in place: a row view per plane
    would cost two atomic reference-count updates (Numba), more than the writes."""
    W = N + 1
    for y in range(N):
        row = (y + 1) * W + 1
        base = y * N
        for x in range(N):
            n = libs[row + x]
            for k in range(LIBERTY_PLANES):
                out[first + k, base + x] = np.float32(1.0) if n == k + 1 else np.float32(0.0)


@njit(cache=True)
def mark_chain(N, p, chain, plane):
    """plane[a] = 1 (flat float32[N*N]) at every stone of the chain through padded point p."""
    W = N + 1
    q = p
    while True:
        plane[(q // W - 1) * N + q % W - 1] = np.float32(1.0)
        q = chain[NEXT, q]
        if q == p:
            break


@njit(cache=True)
def write_planes(N, hist, newest, n_valid, to_move, komi, komi_plane, out):
    """AlphaGo Zero planes into out float32[C, N, N] from hist int8[H, N*N] (0/1/2 stones), where
    hist[newest] is the current position, hist[newest-1] the one before, ... (n_valid of them). Plane
    ``komi_plane`` (-1 = none; plane_layout) holds the komi the side to move receives (negative for Black) /
    KOMI_SCALE; liberty and ladder planes are the caller's (they need the board's chains)."""
    o = 3 - to_move
    out[:, :, :] = 0.0
    for i in range(min(HISTORY, n_valid)):
        pos = hist[newest - i]
        for a in range(N * N):
            s = pos[a]
            if s == to_move:
                out[i, a // N, a % N] = 1.0
            elif s == o:
                out[HISTORY + i, a // N, a % N] = 1.0
    if to_move == BLACK:
        out[2 * HISTORY, :, :] = 1.0
    if komi_plane >= 0:
        out[komi_plane, :, :] = komi_feature(komi, to_move)


@njit(cache=True)
def komi_feature(komi, to_move):
    """The komi plane's value: komi from the side to move's view (White receives it), scaled by KOMI_SCALE."""
    return (komi if to_move == WHITE else -komi) / KOMI_SCALE


@njit(cache=True)
def _stones_of(N, color, out):
    """Copy the stones of a padded board into out int8[N*N] (0/1/2)."""
    W = N + 1
    for a in range(N * N):
        out[a] = color[(a // N + 1) * W + a % N + 1]
