"""The engine's brain behind GTP: search a GoGame (network or random rollouts), choose/resign/pass, estimate dead stones and score (numpy + games.go + mcts; torch only through the evaluator given).

Dead stones: a chain is dead when the estimated final ownership of its points belongs to the
opponent by more than ``dead_threshold`` on average. Ownership comes from the network's
ownership head when it has one, else from light random playouts of the position.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from games import opponent
from games.go import BLACK, WHITE, GoGame, GoRules, RolloutEvaluator
from games.go.playouts import playout_ownership
from games.go.seki import seki_stones
from mcts import BatchedSearch, SearchParams, SearchResult, choose_moves
from mcts.search import MoveFilter
from zero.analysis.engine import search_batch
from zero.gtp.clock import TimeParams

log = logging.getLogger("zero.gtp.protocol")


@dataclass(frozen=True)
class EngineParams:
    """How the GTP engine plays (search limits, resignation, scoring)."""

    visits: int = field(
        default=400,
        metadata={
            "doc": "search visits per genmove without a time control (400: about 0.1 s on 2 cores with go9_cpu's 3x32 network, BENCHMARKS.md)"
        },
    )
    move_time: float = field(
        default=0.0,
        metadata={"doc": "seconds per move when the client sets no time control (0 = gtp.visits decides)"},
    )
    timed_visits: int = field(
        default=0,
        metadata={
            "doc": "most visits per genmove under a time control (time_settings, kgs-time_settings or move_time), where the clock decides; 0 = as many as the tree holds"
        },
    )
    analysis_visits: int = field(default=20000, metadata={"doc": "most visits one lz-/kata-analyze run accumulates"})
    rollouts: int = field(default=1, metadata={"doc": "light playouts per leaf without a network"})
    resign_winrate: float = field(
        default=0.05, metadata={"doc": "resign when the best move's win rate is below this (0 = never)"}
    )
    resign_min_move: int = field(default=20, metadata={"doc": "never resign before this move number"})
    resign_consecutive: int = field(
        default=3,
        metadata={
            "doc": "resign only when this many of our consecutive moves in the game's line (this one included) had a win rate below resign_winrate (KataGo's resignConsecTurns); 1 = at the first"
        },
    )
    ownership_playouts: int = field(
        default=200, metadata={"doc": "playouts for dead-stone estimation without an ownership head"}
    )
    dead_threshold: float = field(
        default=0.4, metadata={"doc": "a chain is dead when the opponent owns its points by more than this on average"}
    )
    seed: int = field(
        default=0,
        metadata={"doc": "random seed of search noise, playouts and random_moves (-1 = a fresh one each start)"},
    )
    random_moves: int = field(
        default=0,
        metadata={
            "doc": "the first this many moves of a game are drawn in proportion to visits, never filling an own eye (Leela Zero's --randomcnt: repeated games differ); 0 = always the most visited"
        },
    )
    lcb_visit_fraction: float = field(
        default=0.15,
        metadata={
            "doc": "play the move with the best lower confidence bound on its value among moves with at least this fraction of the most visited move's visits (KataGo's minVisitPropForLCB, Leela Zero's LCB choice); 0 = always the most visited"
        },
    )
    random_symmetry: bool = field(
        default=True,
        metadata={
            "doc": "the network sees each position in a random one of the 8 board symmetries, mapped back (Leela Zero, KataGo): its errors in one orientation do not repeat across the tree; seeded by gtp.seed"
        },
    )
    threads: int = field(
        default=0,
        metadata={
            "doc": "CPU threads of the network (torch) and Numba; 0 = the cores this process may use (its affinity)"
        },
    )
    ponder: bool = field(
        default=True,
        metadata={
            "doc": "after genmove, search on while the opponent thinks, until the next command (needs search.reuse_tree)"
        },
    )
    cross_size: bool = field(
        default=True,
        metadata={
            "doc": "a network plays board sizes it was not trained on (--model's network, or the shipped network of the nearest size where none ships for the size): its tower is convolutional and its heads pool over the board, so it reads any size, if weaker than on its own (the 9x9 go9 on 13x13 beat random-rollout MCTS 4 of 4 and won 2 of 6 against GNU Go level 1, BENCHMARKS.md); false = random-rollout MCTS on sizes no shipped network was trained on, and --model's network plays only its own size"
        },
    )
    random_play: bool = field(
        default=False,
        metadata={
            "doc": "play uniformly among legal moves that do not fill an own eye, passing when none is left (the ladder's bottom rung; ignores the search)"
        },
    )

    def validate(self) -> None:
        if self.visits < 1:
            raise ValueError("visits: must be >= 1")
        if self.move_time < 0:
            raise ValueError("move_time: must be >= 0")
        if self.timed_visits < 0:
            raise ValueError("timed_visits: must be >= 0 (0 = as many as the tree holds)")
        if self.analysis_visits < 1:
            raise ValueError("analysis_visits: must be >= 1")
        if self.rollouts < 1:
            raise ValueError("rollouts: must be >= 1")
        if not 0.0 <= self.resign_winrate < 1.0:
            raise ValueError("resign_winrate: must be in [0, 1)")
        if self.resign_consecutive < 1:
            raise ValueError("resign_consecutive: must be >= 1")
        if self.ownership_playouts < 1:
            raise ValueError("ownership_playouts: must be >= 1")
        if not 0.0 < self.dead_threshold < 1.0:
            raise ValueError("dead_threshold: must be in (0, 1)")
        if self.seed < -1:
            raise ValueError("seed: must be >= 0, or -1 for a fresh one each start")
        if self.random_moves < 0:
            raise ValueError("random_moves: must be >= 0")
        if not 0.0 <= self.lcb_visit_fraction <= 1.0:
            raise ValueError("lcb_visit_fraction: must be in [0, 1] (0 = always the most visited)")
        if self.threads < 0:
            raise ValueError("threads: must be >= 0 (0 = the cores this process may use)")


@dataclass(frozen=True)
class GtpConfig:
    """Settings of `zero gtp` (and of our side in `zero match`): the [gtp], [search] and [time] tables."""

    gtp: EngineParams = field(default_factory=EngineParams, metadata={"doc": "play: visits, resignation, scoring"})
    search: SearchParams = field(
        default_factory=lambda: SearchParams(simulations=400, reuse_tree=True),
        metadata={"doc": "PUCT search constants (reuse_tree: keep the subtree of the moves played between searches)"},
    )
    time: TimeParams = field(default_factory=TimeParams, metadata={"doc": "time management under time_settings"})


RESIGN = -2  # pseudo-action returned by choose_move


class GoPlayer:
    """Searches positions of one board size/komi at a time; rebuilt (cheaply) when the rules change."""

    def __init__(self, params: EngineParams, search_params: SearchParams, network: Any | None = None) -> None:
        params.validate()
        self.params = params
        self.search_params = search_params
        self.reused_visits = 0  # root visits the last search started with (tree reuse, pondering)
        self.seed = params.seed if params.seed >= 0 else int(np.random.SeedSequence().entropy % 2**31)
        self._rng = np.random.default_rng(self.seed)
        # (setup key, moves) of each position we chose a move in -> (player to move, hopeless): the streak of
        # resign_consecutive follows the game's own line, whatever undo, loadsgf or another game did meanwhile
        self._hopeless: dict[tuple, tuple[int, bool]] = {}
        self.may_resign = True  # False: never resign (the engine's network plays a size it was not trained on)
        self.use_network(network)

    # -- set-up --

    def use_network(self, network: Any | None) -> None:
        """Search with ``network`` from now on (None: random rollouts); the tree starts afresh."""
        self.network = network  # a zero.nn.inference.NetworkEvaluator, or None for random rollouts
        if network is not None and hasattr(network, "set_random_symmetry"):  # test doubles may lack it
            network.set_random_symmetry(self.params.random_symmetry, self.seed)
        self._rules: GoRules | None = None
        self._search: BatchedSearch | None = None
        self._analysis: BatchedSearch | None = None
        self._evaluator: Any = None
        self._root: tuple | None = None  # (setup key, moves, player to move) of the position at the tree's root
        self._last_search: BatchedSearch | None = None  # the tree the last result came from (variations)

    def _prepare(self, rules: GoRules) -> None:
        if rules == self._rules:
            return
        N = rules.size
        if self.network is not None and self.network.shape.board_size != N:
            raise ValueError(f"the network plays {self.network.shape.board_size}x{self.network.shape.board_size} only")
        self._rules = rules
        self._evaluator = self.network or RolloutEvaluator(N, rules.komi, self.params.rollouts, seed=self.seed)
        sims = max(self.params.visits, self.params.timed_visits, 2)
        if (
            self.search_params.reuse_tree
        ):  # one tree for play, pondering and analysis: it may grow past one move's visits
            sims = max(sims, self._tree_cap(N))
        self._search = BatchedSearch(
            replace_sims(self.search_params, sims),
            batch_size=1,
            num_actions=N * N + 1,
            seed=self.seed,
            ownership_points=self._ownership_points(N),
        )
        self._analysis = None
        self._root = None

    def _ownership_points(self, N: int) -> int:
        """Points whose ownership the tree keeps: every point where the network has an ownership head (analysis
        reports the search's average, as KataGo's), none for rollouts."""
        return N * N if self.network is not None and getattr(self.network, "has_ownership", False) else 0

    def _tree_cap(self, N: int) -> int:
        # cap the tree at ~256 MB: a node costs about 21 bytes per action and 4 per point whose ownership it keeps
        node_bytes = 21 * (N * N + 1) + 4 * self._ownership_points(N)
        return max(2, min(self.params.analysis_visits, 256_000_000 // node_bytes))

    def _analysis_search(self, N: int) -> BatchedSearch:
        if self.search_params.reuse_tree:
            assert self._search is not None
            return self._search
        if self._analysis is None:
            self._analysis = BatchedSearch(
                replace_sims(self.search_params, self._tree_cap(N)),
                batch_size=1,
                num_actions=N * N + 1,
                seed=self.seed,
                ownership_points=self._ownership_points(N),
            )
        return self._analysis

    # -- tree reuse and pondering --

    @staticmethod
    def _setup_key(game: GoGame) -> tuple:
        return (game.rules, tuple(game.setup_stones[BLACK]), tuple(game.setup_stones[WHITE]), game.resigned)

    def start_from(self, game: GoGame, *, reuse: bool = True) -> int:
        """Root the tree at ``game``: keep the subtree of the moves played since its root (search.reuse_tree), else start afresh.

        Returns the root visits kept (also in ``reused_visits``). ``reuse=False`` (a filtered analysis) starts
        afresh and marks the tree as not reusable afterwards.
        """
        self._prepare(game.rules)
        search = self._search
        assert search is not None
        if not (reuse and self.search_params.reuse_tree and self._descend(game)):
            search.reset()
        self._root = (self._setup_key(game), list(game.moves), game.to_move) if reuse else None
        self._last_search = search
        self.reused_visits = int(search.tree.root_visits()[0])
        return self.reused_visits

    def _descend(self, game: GoGame) -> bool:
        """Follow the moves played since the tree's root down the tree (keep_subtree); False if the tree does not lead there."""
        if self._root is None:
            return False
        key, moves, color = self._root
        if key != self._setup_key(game) or game.moves[: len(moves)] != moves:
            return False
        tree = self._search.tree
        for c, a in game.moves[len(moves) :]:  # once per move played, not per node
            if c != color or not tree.keep_subtree(0, a):
                return False
            color = opponent(c)
        return color == game.to_move and tree.node_count[0] > 0

    def variations(self, actions: list[int]) -> list[tuple[list[int], list[int]]]:
        """(moves, visits) of the line from each root move in ``actions`` by most visits, in the tree of the last search."""
        if self._last_search is None or not actions:
            return [([a], [0]) for a in actions]
        moves, visits, length = self._last_search.variations(
            np.zeros(len(actions), np.int32), np.array(actions, np.int32)
        )
        return [
            (moves[k, : length[k]].tolist() or [a], visits[k, : length[k]].tolist() or [0])
            for k, a in enumerate(actions)
        ]

    def tree_visits(self) -> int:
        """Visits below the current root of the play tree (tests, logs)."""
        return 0 if self._search is None else int(self._search.tree.root_visits()[0])

    def ponder(self, game: GoGame, interrupted: Callable[[], bool], chunk: float = 0.05) -> None:
        """Search ``game`` (the opponent to move) until ``interrupted()`` or the tree is full; the next search reuses it."""
        if not (self.params.ponder and self.search_params.reuse_tree) or game.is_over:
            return
        self.start_from(game)
        search = self._search
        assert search is not None
        batch = search_batch(self._evaluator, [game])
        cap = search.params.simulations
        while not interrupted():
            result = search.run(batch, self._evaluator, add_noise=False, simulations=cap, max_seconds=chunk)
            if result.simulations[0] >= cap or result.terminal[0] or search.tree.node_count[0] >= search.tree.capacity:
                return

    # -- search --

    def search(self, game: GoGame, *, seconds: float | None = None, visits: int | None = None) -> SearchResult:
        """One fresh search of ``game`` (no noise) up to ``visits`` or ``seconds``."""
        self.start_from(game)
        assert self._search is not None
        target = min(visits or self.params.visits, self._search.params.simulations)
        return self._search.run(
            search_batch(self._evaluator, [game]),
            self._evaluator,
            add_noise=False,
            simulations=target,
            max_seconds=seconds,
        )

    def analyze(
        self, game: GoGame, interval: float, stop: Callable[[float], bool], move_filter: MoveFilter | None = None
    ):
        """Yield a SearchResult every ``interval`` seconds until ``stop(wait)`` is true or the tree is full.

        Starts from the reused tree (search.reuse_tree) unless ``move_filter`` (allow/avoid) is given.
        """
        self._prepare(game.rules)
        search = self._analysis_search(game.size)
        if search is self._search:
            self.start_from(game, reuse=move_filter is None)
        else:
            search.reset()
        self._last_search = search
        batch = search_batch(self._evaluator, [game])
        cap = search.params.simulations
        done = 0
        while True:
            start = time.perf_counter()
            target = cap
            result = search.run(
                batch,
                self._evaluator,
                add_noise=False,
                simulations=target,
                max_seconds=max(interval, 0.01),
                move_filter=move_filter,
            )
            done = int(result.simulations[0])
            yield result
            if done >= cap or bool(result.terminal[0]):
                stop(3600.0 * 24)  # nothing more to search: wait for the next command
                return
            if stop(max(0.0, interval - (time.perf_counter() - start))):
                return

    def choose_move(self, game: GoGame, result: SearchResult, *, cleanup: bool = False) -> int:
        """The move to play from a finished search: the best LCB among the well visited (see _best_by_lcb),
        never filling an own eye; RESIGN if hopeless."""
        N = game.size
        pass_a = N * N
        visits = result.visits[0].astype(np.int64)
        legal = game.legal_mask()
        own_eyes = game.own_eye_mask()
        if self.params.random_play and not cleanup:
            moves = np.flatnonzero(legal & ~own_eyes.astype(bool))
            moves = moves[moves != pass_a]
            return int(self._rng.choice(moves)) if moves.size else pass_a
        order = [a for a in np.argsort(-visits, kind="stable") if visits[a] > 0 and legal[a]]
        if result.chosen_action is not None and result.chosen_action[0] in order:
            # Gumbel root: sequential halving's choice first (the top actions can tie on visits)
            order.remove(result.chosen_action[0])
            order.insert(0, int(result.chosen_action[0]))
        stones = game.stones().reshape(-1)
        me = game.to_move
        candidates = [a for a in order if not own_eyes[a]]
        dead_opponent: list[int] = []
        if cleanup:
            dead_opponent = [a for a in self.dead_stones(game) if stones[a] == opponent(me)]
            if dead_opponent:
                candidates = [a for a in candidates if a != pass_a]
                if not candidates:
                    return self._cleanup_move(game, dead_opponent, legal)
        if not candidates:
            return pass_a
        if game.move_number < self.params.random_moves and not cleanup:
            moves = [a for a in candidates if a != pass_a] or candidates
            allowed = np.zeros_like(visits)
            allowed[moves] = visits[moves]
            return int(choose_moves(allowed[None], 1.0, self._rng)[0])  # in proportion to visits
        best = int(candidates[0])
        if result.chosen_action is None:  # PUCT root (sequential halving has already weighed the values)
            best = self._best_by_lcb(candidates, visits, result.q_lcb)
        q = result.q[0][best]
        winrate = (float(q) + 1.0) / 2.0 if np.isfinite(q) else 0.5
        if (
            self.params.resign_winrate > 0
            and self.may_resign
            and game.move_number >= self.params.resign_min_move
            and not cleanup
            and self._hopeless_streak(game, winrate < self.params.resign_winrate) >= self.params.resign_consecutive
        ):
            return RESIGN
        return best

    def _hopeless_streak(self, game: GoGame, hopeless: bool) -> int:
        """Record whether this position looks lost for the player to move; return how many of that player's
        consecutive decisions in the game's line, ending with this one, did (0 if this one does not)."""
        if len(self._hopeless) > 4096:  # positions of long-gone games; the current line loses its streak at worst
            self._hopeless.clear()
        key = self._setup_key(game)
        moves = tuple(game.moves)
        me = game.to_move
        self._hopeless[(key, moves)] = (me, hopeless)
        streak = 0
        for back in range(0, len(moves) + 1, 2):  # our previous decisions: two moves earlier each
            if self._hopeless.get((key, moves[: len(moves) - back])) != (me, True):
                break
            streak += 1
        return streak

    def _best_by_lcb(self, candidates: list[int], visits: np.ndarray, q_lcb: np.ndarray | None) -> int:
        """The candidate with the highest value LCB among those visited at least lcb_visit_fraction as often
        as the first (the most visited); the first when none beats it. A move with fewer visits but a value
        clearly higher wins, which the visit count alone shows only after many more visits (KataGo, Leela Zero)."""
        best = candidates[0]
        if self.params.lcb_visit_fraction <= 0 or q_lcb is None:
            return best
        threshold = self.params.lcb_visit_fraction * visits[best]
        lcb = q_lcb[0]
        for a in candidates[1:]:
            if visits[a] >= threshold and lcb[a] > lcb[best]:  # NaN (unvisited) never wins
                best = a
        return int(best)

    def _cleanup_move(self, game: GoGame, dead: list[int], legal: np.ndarray) -> int:
        """A legal move next to a dead opponent stone (filling its liberties captures it)."""
        N = game.size
        stones = game.stones().reshape(-1)
        own_eyes = game.own_eye_mask()
        for a in dead:
            for b in neighbours(a, N):
                if stones[b] == 0 and legal[b] and not own_eyes[b]:
                    return b
        return N * N

    def should_pass_to_end(self, game: GoGame) -> bool:
        """The opponent just passed and we win the area count with dead stones removed: pass too."""
        if not game.moves or game.moves[-1][1] != game.size * game.size:
            return False
        score = self.final_score(game)  # black - white - komi
        return score > 0 if game.to_move == BLACK else score < 0

    # -- ownership, dead stones and score --

    def network_for(self, game: GoGame) -> Any | None:
        """The network if it plays ``game``'s board size, else None (rollouts play it)."""
        network = self.network
        return network if network is not None and network.shape.board_size == game.size else None

    def _network_planes(self, game: GoGame) -> np.ndarray | None:
        """float32[1,C,N,N]: the planes the network reads for ``game``; None without a network of this board size."""
        network = self.network_for(game)
        if network is None:
            return None
        return game.planes(network.komi_input, network.liberty_input, network.ladder_input)[None]

    def policy(self, game: GoGame) -> np.ndarray:
        """float64[N*N+1] the network's move probabilities over the legal moves, pass last (uniform without a network
        of this size); one evaluation, the search tree untouched."""
        legal = game.legal_mask()
        planes = self._network_planes(game)
        if planes is not None:
            prior = np.asarray(self.network.evaluate(planes, legal[None])[0][0], np.float64) * legal
        else:
            prior = legal.astype(np.float64)
        return prior / (prior.sum() or 1.0)

    def raw_outputs(self, game: GoGame, symmetries: list[int]) -> list[dict[str, Any]] | None:
        """The network's raw evaluation of ``game`` seen in each board symmetry of ``symmetries`` (kata-raw-nn), in one
        call, from White's side as KataGo reports it: ``white_win``, ``policy`` float64[N*N+1] (NaN where illegal,
        pass last), ``white_ownership`` float64[N*N] and ``white_margin`` (None without those heads); None without a
        network of this size."""
        planes = self._network_planes(game)
        if planes is None:
            return None
        legal = game.legal_mask()
        priors, value, ownership, score = self.network.evaluate_in_symmetries(planes, legal[None], symmetries)
        white = -1.0 if game.to_move == BLACK else 1.0  # the network speaks for the player to move
        return [
            {
                "white_win": (1.0 + white * float(value[row])) / 2.0,
                "policy": np.where(legal, priors[row].astype(np.float64), np.nan),
                "white_ownership": None if ownership is None else white * ownership[row].reshape(-1).astype(np.float64),
                "white_margin": None if score is None else white * float(score[row]),
            }
            for row in range(len(symmetries))
        ]

    def ownership(self, game: GoGame) -> np.ndarray:
        """float32[N*N] expected final owner of every point, +1 Black / -1 White (a network's: averaged over the 8
        board symmetries; playouts seeded by the position), so dead stones and final scores are the same at every call."""
        planes = self._network_planes(game)
        if planes is not None and self.network.has_ownership:
            own = self.network.mean_ownership(planes)
            sign = 1.0 if game.to_move == BLACK else -1.0
            return (own[0].reshape(-1) * sign).astype(np.float32)
        # playouts seeded by the position (and side to move): the same answer at every call, as with a network
        seed = (self.seed * 1_000_003 + game.hash * 2 + int(game.to_move == BLACK)) % 2**31
        return playout_ownership(game, self.params.ownership_playouts, seed)

    def dead_stones(self, game: GoGame) -> list[int]:
        """Flat indices of the stones estimated dead (never stones in seki: playouts and nets misjudge those)."""
        stones = game.stones().reshape(-1)
        own = self.ownership(game)
        in_seki = set(seki_stones(game))
        dead: list[int] = []
        for chain in game.chains():
            color = stones[chain[0]]
            sign = 1.0 if color == BLACK else -1.0
            if chain[0] not in in_seki and float(np.mean(own[chain])) * sign < -self.params.dead_threshold:
                dead.extend(chain)
        return sorted(dead)

    def seki_stones(self, game: GoGame, dead: list[int] | None = None) -> list[int]:
        """Flat indices of the stones alive in seki once the dead stones are off (games.go.seki)."""
        return seki_stones(game, self.dead_stones(game) if dead is None else dead)

    def final_score(self, game: GoGame, dead: list[int] | None = None) -> float:
        """Tromp-Taylor area (black - white - komi) after removing the dead stones."""
        return game.area_score(dead=self.dead_stones(game) if dead is None else dead)


def replace_sims(params: SearchParams, sims: int) -> SearchParams:
    from dataclasses import replace

    return replace(params, simulations=sims)


def neighbours(a: int, N: int) -> list[int]:
    """The on-board neighbours of flat point ``a`` on an N x N board."""
    x, y = a % N, a // N
    out = []
    if x > 0:
        out.append(a - 1)
    if x < N - 1:
        out.append(a + 1)
    if y > 0:
        out.append(a - N)
    if y < N - 1:
        out.append(a + N)
    return out
