"""Numba kernels of the search's leaf replay: paths from root boards, AlphaGo Zero planes, superko-aware legal masks, terminal values; imports only games.go's kernels.

Layouts are those of games.go._kernels (padded board of stride W = N+1, chains with pseudo-liberties,
meta). Two additions:
  hash filter  int64[FILTER_WORDS]  a one-hash Bloom filter of position hashes: bit ``h & FILTER_MASK``
               is set for every hash h in the set. A clear bit proves a hash was never seen, so the
               exact search (binary search over the sorted root hashes plus the path's hashes) runs
               only for the few moves whose bit is set.
  ring         int8[HISTORY, N*N]   stones after path move j live in row ``j % HISTORY``; only the
               last HISTORY positions of a path are ever extracted from the padded board.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from games.go._kernels import (
    BLACK,
    EMPTY,
    HASH,
    HEAD,
    HISTORY,
    KO,
    META_SIZE,
    NEXT,
    NO_POINT,
    WHITE,
    _own_eye,
    _seen,
    area_owner,
    chain_liberties,
    komi_feature,
    plane_layout,
    play_stone,
    write_liberty_planes,
)
from games.go._ladder_kernels import write_ladder_planes

# The B root positions a search replays paths from (games.go.search.GoSearchBatch builds them; see replay_leaves).
RootBoards = namedtuple(
    "RootBoards",
    (
        "color",
        "chain",
        "empties",
        "meta",
        "to_move",
        "passes",
        "moves",
        "history",
        "num_history",
        "hashes",
        "num_hashes",
        "hash_filter",
        "komi",
    ),
)
# What replay_leaves writes for each leaf.
LeafInputs = namedtuple("LeafInputs", ("planes", "legal", "terminal", "value", "margin"))

FILTER_BITS = 8192
FILTER_WORDS = FILTER_BITS // 64
FILTER_MASK = FILTER_BITS - 1


@njit(cache=True, inline="always")
def _filter_add(h, bits):
    i = h & FILTER_MASK
    bits[i >> 6] |= np.int64(1) << (i & 63)


@njit(cache=True, inline="always")
def _filter_may_hold(h, bits):
    i = h & FILTER_MASK
    return (bits[i >> 6] >> (i & 63)) & 1 != 0


@njit(cache=True)
def hash_filters(hashes, num_hashes, out):
    """out int64[B, FILTER_WORDS]: the hash filter of ``hashes[b, :num_hashes[b]]`` for every root b."""
    out[:, :] = 0
    for b in range(hashes.shape[0]):
        for i in range(num_hashes[b]):
            _filter_add(hashes[b, i], out[b])


@njit(cache=True)
def _captured_hash(N, p, o, color, chain, libs, zobrist):
    """XOR of the Zobrist keys of the enemy (colour o) chains that a move at p captures (each chain once); ``libs``
    the per-point liberty counts of chain_liberties."""
    W = N + 1
    x = np.int64(0)
    seen0 = -1
    seen1 = -1
    seen2 = -1
    for d in range(4):
        q = p - W if d == 0 else (p - 1 if d == 1 else (p + 1 if d == 2 else p + W))
        if color[q] != o:
            continue
        h = chain[HEAD, q]
        if h == seen0 or h == seen1 or h == seen2:
            continue
        if d == 0:
            seen0 = h
        elif d == 1:
            seen1 = h
        else:
            seen2 = h
        if libs[h] == 1:  # p is one of its liberties: the only one
            s = h
            while True:
                x ^= zobrist[s, o]
                s = chain[NEXT, s]
                if s == h:
                    break
    return x


@njit(cache=True)
def leaf_legal_mask(
    N, c, color, chain, libs, meta, zobrist, superko, bits, sorted_hashes, n_sorted, extra, n_extra, captures, out
):
    """Fill out bool[N*N+1] with the legal moves of colour c, exactly as games.go._kernels.legal_mask, where
    ``libs`` holds each stone's chain's liberty count (chain_liberties: exact up to four) and bits is the hash
    filter of sorted_hashes[:n_sorted] and extra[:n_extra] (used only if ``superko``); ``captures`` bool[N*N] is
    scratch (which moves capture, for the hash checks).

    An empty point next to a chain is one of its liberties, so with these counts a point's legality (before ko
    and superko) is a branch-free function of its four neighbours: it has an empty neighbour, or an own chain
    with another liberty, or an enemy chain in atari (a capture). Branches remain only for the ko point and
    the hash checks of moves that may repeat a position."""
    W = N + 1
    o = 3 - c
    for y in range(N):
        row = (y + 1) * W + 1
        base = y * N
        for x in range(N):
            p = row + x
            room = False  # an empty neighbour, or an own chain with another liberty
            capture = False  # an enemy chain in atari
            for q in (p - W, p - 1, p + 1, p + W):
                cq = color[q]
                n = libs[q]
                room |= (cq == EMPTY) | ((cq == c) & (n != 1))
                capture |= (cq == o) & (n == 1)
            out[base + x] = (color[p] == EMPTY) & (room | capture)
            captures[base + x] = capture
    ko = meta[KO]
    if ko != NO_POINT:
        out[(ko // W - 1) * N + ko % W - 1] = False
    out[N * N] = True
    if not superko:
        return
    base_hash = meta[HASH]
    # With no capture in the whole game every move so far added a stone, so a non-capturing move makes a
    # position with more stones than any earlier one: only capturing moves can repeat a position then.
    check_quiet = meta[BLACK] + meta[WHITE] > 0
    for y in range(N):
        row = (y + 1) * W + 1
        for x in range(N):
            a = y * N + x
            if not out[a]:
                continue
            p = row + x
            capture = captures[a]
            if capture or check_quiet:
                h = base_hash ^ zobrist[p, c]
                if capture:
                    h ^= _captured_hash(N, p, o, color, chain, libs, zobrist)
                if _filter_may_hold(h, bits) and _seen(h, sorted_hashes, n_sorted, extra, n_extra):
                    out[a] = False


@njit(cache=True, inline="always")
def _copy1(src, dst):
    """dst[:] = src for 1-D arrays (an explicit loop: Numba's slice assignment is several times slower)."""
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@njit(cache=True, inline="always")
def _copy2(src, dst):
    """dst[:, :] = src for 2-D arrays (explicit loops, see _copy1)."""
    for r in range(dst.shape[0]):
        for i in range(dst.shape[1]):
            dst[r, i] = src[r, i]


@njit(cache=True, inline="always")
def _extract_stones(N, color, out):
    """Stones of a padded board into out int8[N*N] (0/1/2), row by row."""
    W = N + 1
    for y in range(N):
        src = (y + 1) * W + 1
        dst = y * N
        for x in range(N):
            out[dst + x] = color[src + x]


@njit(cache=True)
def _write_planes(N, k, ring, root_hist, n_root_hist, to_move, komi, komi_plane, out, l):
    """AlphaGo Zero planes (and the komi plane) into out[l] (float32[L, C, N*N]) of the position after path move k,
    with the path's positions j = 1..k in ring[j % HISTORY] (the last HISTORY of them) and the root's in
    root_hist[HISTORY-1+j] for j <= 0 (valid for j > -n_root_hist); plane ``komi_plane`` (-1 = none) the komi
    (liberty and ladder planes: the caller). Every plane is written once; no zeroing pass. Indexed in place, no
    row views: each view costs two atomic reference-count updates (Numba), more than its 81 writes."""
    NN = N * N
    c = np.int8(to_move)
    o = np.int8(3 - to_move)
    for i in range(HISTORY):
        j = k - i
        if j >= 1:
            r = j % HISTORY
            for a in range(NN):
                s = ring[r, a]
                out[l, i, a] = np.float32(1.0) if s == c else np.float32(0.0)
                out[l, HISTORY + i, a] = np.float32(1.0) if s == o else np.float32(0.0)
        elif j > -n_root_hist:
            r = HISTORY - 1 + j
            for a in range(NN):
                s = root_hist[r, a]
                out[l, i, a] = np.float32(1.0) if s == c else np.float32(0.0)
                out[l, HISTORY + i, a] = np.float32(1.0) if s == o else np.float32(0.0)
        else:
            for a in range(NN):
                out[l, i, a] = np.float32(0.0)
                out[l, HISTORY + i, a] = np.float32(0.0)
    side = np.float32(1.0) if to_move == BLACK else np.float32(0.0)
    for a in range(NN):
        out[l, 2 * HISTORY, a] = side
    if komi_plane >= 0:
        value = np.float32(komi_feature(komi, to_move))
        for a in range(NN):
            out[l, komi_plane, a] = value


@njit(cache=True)
def replay_leaves(
    N, root_index, paths, path_length, roots, superko, max_moves, no_pass_before, features, zobrist, ladder, out
):
    """Replay ``paths[l, :path_length[l]]`` from root ``root_index[l]`` for every leaf l in one call.

    Roots: ``roots`` (RootBoards, B of them): color int8[B,P], chain int32[B,4,P], empties int32[B,2,P],
    meta int64[B,8], to_move int8[B], passes int32[B] (consecutive passes), moves int32[B] (moves played),
    history int8[B,8,N*N] (history[b,7] = current stones, history[b,6] the position before, ...; the last
    num_history[b] entries are valid), hashes int64[B,H] (sorted hashes of every earlier position, incl. the
    current one; num_hashes[b] valid), hash_filter int64[B,FILTER_WORDS] (hash_filters of hashes), komi float64[B].
    ``features``: the optional planes (games.go._kernels.plane_features); ``ladder``: a LadderScratch (ladder planes).
    Outputs: ``out`` (LeafInputs): planes float32[L,C,N*N] (C = 17 + the optional planes: games.go._kernels.plane_layout), legal bool[L,N*N+1], terminal bool[L], value float32[L]
    (result for the side to move; meaningful where terminal), margin float32[L] (the area margin with komi for the
    side to move where terminal, else 0).
    Terminal = two consecutive passes or ``max_moves`` moves played.
    Pass is masked out while fewer than ``no_pass_before`` moves were played and a legal move that
    does not fill the mover's own eye exists (self-play plays games out; 0 = pass always legal).
    """
    root_color = roots.color
    root_hash_filter = roots.hash_filter
    root_to_move = roots.to_move
    root_passes = roots.passes
    root_moves = roots.moves
    root_chain = roots.chain
    root_meta = roots.meta
    root_empties = roots.empties
    root_history = roots.history
    root_num_history = roots.num_history
    root_hashes = roots.hashes
    root_num_hashes = roots.num_hashes
    out_planes = out.planes
    out_legal = out.legal
    out_terminal = out.terminal
    out_value = out.value
    out_margin = out.margin
    root_komi = roots.komi
    L = root_index.shape[0]
    P = root_color.shape[1]
    D = paths.shape[1]
    color = np.empty(P, np.int8)
    chain = np.empty((4, P), np.int32)
    empties = np.empty((2, P), np.int32)
    meta = np.empty(META_SIZE, np.int64)
    ring = np.empty((HISTORY, N * N), np.int8)
    path_hashes = np.empty(D + 1, np.int64)
    bits = np.empty(root_hash_filter.shape[1], np.int64)
    owner = np.empty(N * N, np.int8)
    stamp = np.empty(P, np.int32)
    libs = np.empty(P, np.int32)
    captures = np.empty(N * N, np.bool_)
    liberty_first, ladder_first, komi_plane, _ = plane_layout(features)
    pass_move = N * N
    for l in range(L):
        b = root_index[l]
        c = root_to_move[b]
        passes = root_passes[b]
        moves = root_moves[b]
        k = path_length[l]
        if k == 0:  # the root itself: read its arrays in place
            lcolor = root_color[b]
            lchain = root_chain[b]
            lempties = root_empties[b]
            lmeta = root_meta[b]
        else:
            _copy1(root_color[b], color)
            _copy2(root_chain[b], chain)
            _copy2(root_empties[b], empties)
            _copy1(root_meta[b], meta)
            lcolor = color
            lchain = chain
            lempties = empties
            lmeta = meta
            for i in range(k):
                a = paths[l, i]
                if a == pass_move:
                    passes += 1
                    meta[KO] = NO_POINT
                else:
                    play_stone(N, (a // N + 1) * (N + 1) + a % N + 1, c, color, chain, empties, meta, zobrist)
                    passes = 0
                c = 3 - c
                moves += 1
                if i + 1 > k - HISTORY:
                    _extract_stones(N, color, ring[(i + 1) % HISTORY])
                path_hashes[i] = meta[HASH]
        _write_planes(N, k, ring, root_history[b], root_num_history[b], c, root_komi[b], komi_plane, out_planes, l)
        chain_liberties(N, lcolor, lchain, stamp, libs)  # the legal mask's captures and suicides, the liberty planes
        if liberty_first >= 0:
            write_liberty_planes(N, libs, out_planes[l], liberty_first)
        if ladder_first >= 0:
            write_ladder_planes(N, c, lcolor, lchain, lempties, lmeta, zobrist, ladder, out_planes[l], ladder_first)
        if superko:
            _copy1(root_hash_filter[b], bits)
            for i in range(k):
                _filter_add(path_hashes[i], bits)
        leaf_legal_mask(
            N,
            c,
            lcolor,
            lchain,
            libs,
            lmeta,
            zobrist,
            superko,
            bits,
            root_hashes[b],
            root_num_hashes[b],
            path_hashes,
            k,
            captures,
            out_legal[l],
        )
        if moves < no_pass_before and out_legal[l, pass_move]:
            for a in range(pass_move):
                if out_legal[l, a] and not _own_eye(N, (a // N + 1) * (N + 1) + a % N + 1, c, lcolor):
                    out_legal[l, pass_move] = False
                    break
        terminal = passes >= 2 or moves >= max_moves
        out_terminal[l] = terminal
        value = 0.0
        margin = 0.0
        if terminal:
            d = area_owner(N, lcolor, owner) - root_komi[b]
            value = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
            margin = d
            if c == WHITE:
                value = -value
                margin = -d
        out_value[l] = value
        out_margin[l] = margin
