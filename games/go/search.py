"""Go for the batched search: GoSearchBatch (SearchGame protocol) and RolloutEvaluator (Evaluator protocol); imports only games.go.

Both satisfy mcts.interface structurally and do not import it. Every call is one Numba kernel
over the whole batch (no Python per leaf). Values are for the player to move, in [-1, 1].
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from games.go import _kernels as K
from games.go import _replay_kernels as R
from games.go._ladder_kernels import ladder_scratch
from games.go.game import BLACK, WHITE, GoGame, zobrist_table


class GoSearchBatch:
    """B root positions (copied from GoGame objects; the games are not modified) that the search replays paths from.

    All games must share size and rules; komi may differ per game (self-play randomises it). Building costs a
    few array copies per game, so the search can rebuild it every move. ``no_pass_before`` (self-play): at roots
    and leaves with fewer moves played, pass is illegal while a legal move that does not fill the mover's own eye
    exists. ``komi_plane``: the planes get the komi for the side to move; ``liberty_planes``: the 3 planes of
    stones whose chain has 1, 2, 3 liberties; ``ladder_planes``: the 2 ladder planes (games.go._ladder_kernels);
    a network trained with them needs them (layout: games.go._kernels.plane_layout).
    """

    def __init__(
        self,
        games: list[GoGame],
        no_pass_before: int = 0,
        komi_plane: bool = False,
        liberty_planes: bool = False,
        ladder_planes: bool = False,
    ):
        if not games:
            raise ValueError("games: need at least one game")
        rules = games[0].rules
        if any(
            g.rules != rules and replace(g.rules, komi=rules.komi) != rules for g in games
        ):  # per move: cheap test first
            raise ValueError("games: all games of a batch must share the same rules (size, superko, max_moves)")
        self.rules = rules
        self.no_pass_before = int(no_pass_before)  # pass illegal before this move while a non-own-eye move exists
        self.size = N = rules.size
        self.num_actions = N * N + 1
        self.features = K.plane_features(komi_plane, liberty_planes, ladder_planes)
        self.plane_shape = (K.plane_layout(self.features)[3], N, N)
        self.ladder_scratch = ladder_scratch(N if ladder_planes else 1)  # the kernel takes one even when unused
        self.zobrist = zobrist_table(N)
        B = len(games)
        self.color = np.stack([g.color for g in games])  # int8[B, P]
        self.chain = np.stack([g.chain for g in games])  # int32[B, 4, P]
        self.empties = np.stack([g.empties for g in games])  # int32[B, 2, P]
        self.meta = np.stack([g.meta for g in games])  # int64[B, 8]
        self.to_move = np.array([g.to_move for g in games], np.int8)  # [B]
        self.passes = np.array([min(g.passes, 2) for g in games], np.int32)  # [B]
        self.moves = np.array([g.move_number for g in games], np.int32)  # [B]
        self.history = np.zeros((B, K.HISTORY, N * N), np.int8)  # [B, 8, N*N], [:, 7] = current
        self.num_history = np.empty(B, np.int32)  # [B] valid entries at the end of history
        H = max(len(g.hashes) for g in games)
        self.hashes = np.zeros((B, H), np.int64)  # [B, H] sorted hashes of all positions so far
        self.num_hashes = np.empty(B, np.int32)  # [B]
        self.komi = np.array([g.rules.komi for g in games], np.float64)  # [B]
        self.resigned = np.array([g.resigned or 0 for g in games], np.int8)  # [B] colour that resigned, 0 = none
        for b, g in enumerate(games):
            recent = g.positions[-K.HISTORY :]
            self.history[b, K.HISTORY - len(recent) :] = recent
            self.num_history[b] = len(recent)
            self.hashes[b, : len(g._sorted_hashes)] = g._sorted_hashes
            self.num_hashes[b] = len(g._sorted_hashes)
        self.hash_filter = np.empty((B, R.FILTER_WORDS), np.int64)  # [B, W] Bloom filter of hashes (superko)
        R.hash_filters(self.hashes, self.num_hashes, self.hash_filter)
        self.roots = R.RootBoards(*(getattr(self, name) for name in R.RootBoards._fields))  # the kernel's view
        # points a search adds to the evaluator's margins for each root's player (mcts.interface.SearchGame): set by
        # zero.analysis.engine.search_batch for a network trained at another komi
        self.score_offset = np.zeros(B, np.float32)

    def __len__(self) -> int:
        return len(self.to_move)

    def root_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(planes float32[B,C,N,N], legal bool[B,A], terminal bool[B], terminal_value float32[B]) of the roots."""
        B = len(self)
        out = self.leaf_inputs(np.arange(B, dtype=np.int32), np.zeros((B, 1), np.int32), np.zeros(B, np.int32))
        planes, legal, terminal, value = out
        for b in np.flatnonzero(self.resigned):
            terminal[b] = True
            legal[b] = False
            value[b] = -1.0 if self.resigned[b] == self.to_move[b] else 1.0
        return planes, legal, terminal, value

    def leaf_inputs(self, root_index: np.ndarray, paths: np.ndarray, path_length: np.ndarray):
        """Replay ``paths[l, :path_length[l]]`` from root ``root_index[l]``; see mcts.interface.SearchGame."""
        return self._replay(root_index, paths, path_length)[:4]

    def terminal_margins(self, root_index: np.ndarray, paths: np.ndarray, path_length: np.ndarray) -> np.ndarray:
        """float32[L]: the area margin with komi, for the player to move, where the leaf is a finished game, else 0
        (mcts.interface.SearchGame's optional method: the search's score of a terminal leaf)."""
        return self._replay(root_index, paths, path_length)[4]

    def terminal_ownership(self, root_index: np.ndarray, paths: np.ndarray, path_length: np.ndarray) -> np.ndarray:
        """float32[L, N*N]: the Tromp-Taylor owner of every point (+1 = the player to move) where the leaf is a finished
        game, else 0 (mcts.interface.SearchGame's optional method: a terminal leaf's ownership)."""
        planes, _, terminal = self._replay(root_index, paths, path_length)[:3]
        N = self.size
        stones = planes.reshape(len(planes), planes.shape[1], N * N)
        out = np.zeros((len(planes), N * N), np.float32)
        rows = np.flatnonzero(terminal)
        owners = np.empty((rows.size, N * N), np.float32)
        K.stones_area_owner(N, stones[rows, 0], stones[rows, K.HISTORY], owners)
        out[rows] = owners
        return out

    def _replay(self, root_index: np.ndarray, paths: np.ndarray, path_length: np.ndarray):
        root_index = np.ascontiguousarray(root_index, np.int32)
        paths = np.ascontiguousarray(paths, np.int32)
        if paths.ndim != 2 or paths.shape[1] == 0:
            paths = np.zeros((len(root_index), 1), np.int32)
        path_length = np.ascontiguousarray(path_length, np.int32)
        L = len(root_index)
        N = self.size
        planes = np.empty((L, *self.plane_shape), np.float32)
        legal = np.empty((L, N * N + 1), np.bool_)
        terminal = np.empty(L, np.bool_)
        value = np.empty(L, np.float32)
        margin = np.empty(L, np.float32)
        R.replay_leaves(
            N,
            root_index,
            paths,
            path_length,
            self.roots,
            self.rules.superko == "positional",
            self.rules.move_limit,
            self.no_pass_before,
            self.features,
            self.zobrist,
            self.ladder_scratch,
            R.LeafInputs(planes.reshape(L, self.plane_shape[0], N * N), legal, terminal, value, margin),
        )
        return planes, legal, terminal, value, margin


class RolloutEvaluator:
    """Evaluator by light random playouts: uniform priors, value = mean playout result (area + komi) for the side to move.

    The board is rebuilt from planes 0 and 8 (own and opponent stones) and plane 16 (side to move);
    ko and pass history are not in the planes, so playouts start with no ko and no passes.
    """

    def __init__(self, size: int, komi: float, rollouts: int = 1, seed: int = 0, max_moves: int = 0):
        if rollouts < 1:
            raise ValueError(f"rollouts must be >= 1, got {rollouts}")
        self.size = size
        self.komi = float(komi)
        self.rollouts = rollouts
        self.max_moves = max_moves or 3 * size * size  # stops rare simple-ko cycles (triple ko) in playouts
        self.zobrist = zobrist_table(size)
        self._seed = seed
        self._calls = 0

    def evaluate(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """planes float32[L,17,N,N] -> (priors float32[L,N*N+1] uniform, values float32[L])."""
        N = self.size
        L = planes.shape[0]
        black_to_move = planes[:, 16, 0, 0] > 0.5
        to_move = np.where(black_to_move, BLACK, WHITE).astype(np.int8)
        other = np.where(black_to_move, WHITE, BLACK).astype(np.int8)
        own = planes[:, 0].reshape(L, N * N) > 0.5
        opp = planes[:, 8].reshape(L, N * N) > 0.5
        stones = np.zeros((L, N * N), np.int8)
        stones[own] = np.repeat(to_move[:, None], N * N, axis=1)[own]
        stones[opp] = np.repeat(other[:, None], N * N, axis=1)[opp]
        seed = (self._seed * 1_000_003 + self._calls) % (2**31)
        self._calls += 1
        values = K.rollout_values(N, stones, to_move, self.komi, self.rollouts, self.max_moves, self.zobrist, seed)
        priors = np.full((L, N * N + 1), 1.0 / (N * N + 1), np.float32)
        return priors, values.astype(np.float32)
