"""Numba kernels of ladder reading for the network's ladder planes (KataGo's ladder features): which chains of one or two liberties a ladder captures, and the moves that start one.

A ladder is read as an AND-OR search over copies of the board (games.go._kernels layout), one level per
move: the defender, whose chain has one liberty, extends at it or captures an adjacent attacker chain in
atari; the attacker, facing a chain of two liberties, plays at one of them. The chain escapes with three
liberties or more and is captured when the defender's moves run out with it still in atari. A search that
exceeds its node budget or depth counts as an escape: the planes only claim ladders they have read out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from games.go._kernels import BLACK, EMPTY, HEAD, LEGAL, META_SIZE, NEXT, WHITE, legal_simple, mark_chain, play_stone

MAX_LADDER_NODES = 400  # moves tried per chain and per start (a straight ladder across 19x19 is about 40)
MAX_DEFENDER_MOVES = 8  # extend + captures of adjacent attacker chains in atari (more is not possible in practice)
DEFENDER, ATTACKER = 0, 1


class LadderScratch(NamedTuple):
    """Per-level board copies and move lists of one ladder search (levels = depth; ladder_scratch makes one)."""

    color: np.ndarray  # int8[D, P]
    chain: np.ndarray  # int32[D, 4, P]
    empties: np.ndarray  # int32[D, 2, P]
    meta: np.ndarray  # int64[D, 8]
    kind: np.ndarray  # int8[D]: DEFENDER or ATTACKER to move
    moves: np.ndarray  # int32[D, MAX_DEFENDER_MOVES]: padded points to try
    num_moves: np.ndarray  # int32[D]
    next_move: np.ndarray  # int32[D]: the next index of moves to try
    libs: np.ndarray  # int32[4]: liberties found by _liberties
    heads: np.ndarray  # int32[MAX_DEFENDER_MOVES]: attacker chains already looked at


def ladder_scratch(N: int) -> LadderScratch:
    """Scratch arrays for ladders on an N x N board: 4N + 8 levels (a ladder runs at most across the board twice)."""
    P = (N + 2) * (N + 1) + 1
    D = 4 * N + 8
    return LadderScratch(
        np.empty((D, P), np.int8),
        np.empty((D, 4, P), np.int32),
        np.empty((D, 2, P), np.int32),
        np.empty((D, META_SIZE), np.int64),
        np.empty(D, np.int8),
        np.empty((D, MAX_DEFENDER_MOVES), np.int32),
        np.empty(D, np.int32),
        np.empty(D, np.int32),
        np.empty(4, np.int32),
        np.empty(MAX_DEFENDER_MOVES, np.int32),
    )


@njit(cache=True)
def _liberties(N, p, color, chain, out, cap):
    """Distinct liberties of the chain through stone p into out[:k]; returns k, stopping at ``cap``."""
    W = N + 1
    k = 0
    q = p
    while True:
        for r in (q - W, q - 1, q + 1, q + W):
            if color[r] == EMPTY:
                seen = False
                for i in range(k):
                    if out[i] == r:
                        seen = True
                        break
                if not seen:
                    out[k] = r
                    k += 1
                    if k == cap:
                        return k
        q = chain[NEXT, q]
        if q == p:
            return k


@njit(cache=True)
def _defender_moves(N, p, d, s):
    """Level d's moves for the defender of the chain through p (one liberty): extend, or capture an adjacent
    attacker chain in atari (its last liberty)."""
    W = N + 1
    color = s.color[d]
    chain = s.chain[d]
    moves = s.moves[d]
    libs = s.libs
    _liberties(N, p, color, chain, libs, 1)
    moves[0] = libs[0]
    n = 1
    attacker = 3 - color[p]
    n_heads = 0
    q = p
    while True:
        for r in (q - W, q - 1, q + 1, q + W):
            if color[r] == attacker and n < MAX_DEFENDER_MOVES:
                h = chain[HEAD, r]
                seen = False
                for i in range(n_heads):
                    if s.heads[i] == h:
                        seen = True
                        break
                if seen or n_heads == MAX_DEFENDER_MOVES:
                    continue
                s.heads[n_heads] = h
                n_heads += 1
                if _liberties(N, r, color, chain, libs, 2) == 1:
                    duplicate = False
                    for i in range(n):
                        if moves[i] == libs[0]:
                            duplicate = True
                            break
                    if not duplicate:
                        moves[n] = libs[0]
                        n += 1
        q = chain[NEXT, q]
        if q == p:
            break
    s.kind[d] = DEFENDER
    s.num_moves[d] = n
    s.next_move[d] = 0


@njit(cache=True)
def _copy_level(s, d):
    s.color[d + 1] = s.color[d]
    s.chain[d + 1] = s.chain[d]
    s.empties[d + 1] = s.empties[d]
    s.meta[d + 1] = s.meta[d]


@njit(cache=True, inline="always")
def _open_neighbours(N, q, color):
    W = N + 1
    n = 0
    for r in (q - W, q - 1, q + 1, q + W):
        if color[r] == EMPTY:
            n += 1
    return n


@njit(cache=True)
def ladder_captured(N, p, attacker_first, first_move, zobrist, s):
    """Whether a ladder captures the chain through stone p of the board in level 0 of ``s`` (a LadderScratch;
    level 0 is only read). ``attacker_first`` False: the chain has one liberty and its owner moves first;
    True: it has two and the attacker starts at ``first_move`` (padded)."""
    D = s.kind.shape[0]
    defender = s.color[0, p]
    attacker = 3 - defender
    if attacker_first:
        s.kind[0] = ATTACKER
        s.moves[0, 0] = first_move
        s.num_moves[0] = 1
        s.next_move[0] = 0
    else:
        _defender_moves(N, p, 0, s)
    d = 0
    nodes = 0
    while True:
        # result of node d, once known: the defender's moves exhausted = captured, the attacker's = escaped
        if s.next_move[d] == s.num_moves[d]:
            result = s.kind[d] == DEFENDER
        else:
            i = s.next_move[d]
            m = s.moves[d, i]
            s.next_move[d] += 1
            if s.kind[d] == DEFENDER and i == 0 and _open_neighbours(N, m, s.color[d]) >= 3:
                result = False  # extending gives three liberties at least: escaped, no need to play it
            else:
                mover = defender if s.kind[d] == DEFENDER else attacker
                if legal_simple(N, m, mover, s.color[d], s.chain[d], s.meta[d]) != LEGAL:
                    continue
                nodes += 1
                if nodes > MAX_LADDER_NODES or d + 1 == D:
                    return False  # not read out: no claim
                _copy_level(s, d)
                play_stone(N, m, mover, s.color[d + 1], s.chain[d + 1], s.empties[d + 1], s.meta[d + 1], zobrist)
                libs = _liberties(N, p, s.color[d + 1], s.chain[d + 1], s.libs, 3)
                if s.kind[d] == DEFENDER:
                    if libs == 2:
                        s.kind[d + 1] = ATTACKER
                        s.moves[d + 1, 0] = s.libs[0]
                        s.moves[d + 1, 1] = s.libs[1]
                        s.num_moves[d + 1] = 2
                        s.next_move[d + 1] = 0
                        d += 1
                        continue
                    if libs == 1:
                        continue  # still in atari after this move: the attacker takes it; try the next
                    result = False  # three liberties: escaped, whatever else the defender could do
                else:
                    if libs == 1:
                        _defender_moves(N, p, d + 1, s)
                        d += 1
                    continue  # (a move at a liberty that left two: cannot happen; try the next)
        # node d's result is known: hand it up while it decides its parent
        while True:
            if d == 0:
                return result
            d -= 1
            if s.kind[d] == DEFENDER and not result:
                continue  # the defender escapes by this move
            if s.kind[d] == ATTACKER and result:
                continue  # the attacker captures by this move
            break


@njit(cache=True)
def write_ladder_planes(N, to_move, color, chain, empties, meta, zobrist, s, out, first):
    """out[first] (flat float32[N*N] planes) = 1 at every stone of a chain a ladder captures: one liberty and
    no escape with its owner to move, or two liberties and an attacker's first move that works;
    out[first + 1] = 1 at the moves that start such a ladder against a chain of the opponent of ``to_move``.
    The board is copied into ``s`` (a LadderScratch), not changed."""
    W = N + 1
    NN = N * N
    stones = out[first]
    starts = out[first + 1]
    for a in range(NN):
        stones[a] = np.float32(0.0)
        starts[a] = np.float32(0.0)
    libs = np.empty(3, np.int32)
    copied = False
    for a in range(NN):
        p = (a // N + 1) * W + a % N + 1
        if color[p] != BLACK and color[p] != WHITE or chain[HEAD, p] != p:
            continue  # one search per chain, from its head
        k = _liberties(N, p, color, chain, libs, 3)
        if k == 3:
            continue
        # cheap refutations first: the defender's extension alone gives three liberties
        if k == 1 and _open_neighbours(N, libs[0], color) >= 3:
            continue
        if k == 2:
            touching = abs(libs[0] - libs[1]) == 1 or abs(libs[0] - libs[1]) == W  # a start takes one from the other
            if (
                _open_neighbours(N, libs[0], color) - touching >= 3
                and _open_neighbours(N, libs[1], color) - touching >= 3
            ):
                continue  # either start lets the defender extend at the other liberty to three
        if not copied:
            s.color[0] = color
            s.chain[0] = chain
            s.empties[0] = empties
            s.meta[0] = meta
            copied = True
        captured = False
        if k == 1:
            captured = ladder_captured(N, p, False, 0, zobrist, s)
        else:
            for i in range(2):
                if ladder_captured(N, p, True, libs[i], zobrist, s):
                    captured = True
                    if color[p] != to_move:
                        starts[(libs[i] // W - 1) * N + libs[i] % W - 1] = np.float32(1.0)
        if captured:
            mark_chain(N, p, chain, stones)
