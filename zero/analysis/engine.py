"""KataGo's JSON analysis engine on stdin/stdout (`zero analysis`): positions of many queries searched together in one batched search (games.go + mcts; torch only through the evaluator given).

Scheduling: queries are read by a thread and queued as one Turn per position. A *wave* takes up
to ``analysis.batch_size`` queued turns (highest priority first, then arrival) that share board
size and komi, and searches them as the B trees of one BatchedSearch: every search step sends the
new leaves of all B trees to the network in one call. Each turn gets its answer as soon as its
own tree reaches its maxVisits; lines that arrive meanwhile are read between search chunks
(a terminate stops the trees it names at once), and new queries wait for the next wave.
At end of input every queued query is still answered, as KataGo does by default.

Numbers are reported as KataGo does (docs/Analysis_Engine.md): winrate and lcb in [0, 1] (lcb may
leave it), utility in [-1, 1] (our utility is the value: no score term), from the side named by
``analysis.report_winrates_as`` (KataGo's reportAnalysisWinratesAs; black by default).
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TextIO

import numpy as np

from games.go import BLACK, WHITE, GoSearchBatch, RolloutEvaluator, to_gtp
from games.go.playouts import (
    playout_ownership,  # includeOwnership without an ownership head
)
from games.symmetry import NUM_SYMMETRIES, point_permutation
from mcts import BatchedSearch, SearchParams
from mcts.interface import predicts_margins, predicts_ownership
from mcts.search import MoveFilter, SearchResult, value_lcb
from zero.analysis.query import Parsed, Turn, parse_line

log = logging.getLogger("zero.analysis")

ENGINE_VERSION = "0.1.0"  # answered to query_version (git_hash: "<omitted>")


@dataclass(frozen=True)
class AnalysisParams:
    """Settings of `zero analysis` (the [analysis] table)."""

    max_visits: int = field(
        default=500, metadata={"doc": "visits of a query without maxVisits (KataGo's example config: 500)"}
    )
    max_visits_limit: int = field(
        default=100_000,
        metadata={"doc": "most visits a query may ask for (larger maxVisits are clipped with a warning)"},
    )
    batch_size: int = field(
        default=16,
        metadata={"doc": "positions searched together (one network call serves the new leaves of all of them)"},
    )
    report_winrates_as: Literal["black", "white", "side_to_move"] = field(
        default="black",
        metadata={
            "doc": "whose point of view winrates, utilities, scores and ownership take (KataGo's reportAnalysisWinratesAs)"
        },
    )
    max_tree_mb: int = field(
        default=2048,
        metadata={
            "doc": "memory the trees of one wave may take (a wave holds fewer positions when their maxVisits are large)"
        },
    )
    chunk_seconds: float = field(
        default=0.2, metadata={"doc": "longest search stretch between two reads of the input (terminate latency)"}
    )
    rollouts: int = field(default=1, metadata={"doc": "light playouts per leaf without a network"})
    ownership_playouts: int = field(
        default=100, metadata={"doc": "playouts behind includeOwnership without an ownership head"}
    )
    seed: int = field(
        default=0,
        metadata={"doc": "seed of the playouts (rollout evaluator, ownership without a head) and of random_symmetry"},
    )
    random_symmetry: bool = field(
        default=True,
        metadata={
            "doc": "the network sees each position in a random one of the 8 board symmetries, mapped back (KataGo's nnRandomize, as gtp.random_symmetry)"
        },
    )
    cross_size: bool = field(
        default=True,
        metadata={
            "doc": "the network also analyses board sizes it was not trained on, weaker than on its own (as gtp.cross_size); false = queries of other sizes are refused"
        },
    )

    def validate(self) -> None:
        if self.max_visits < 1:
            raise ValueError("max_visits: must be >= 1")
        if self.max_visits_limit < self.max_visits:
            raise ValueError("max_visits_limit: must be >= max_visits")
        if self.batch_size < 1:
            raise ValueError("batch_size: must be >= 1")
        if self.report_winrates_as not in ("black", "white", "side_to_move"):
            raise ValueError("report_winrates_as: must be black, white or side_to_move")
        if self.max_tree_mb < 1:
            raise ValueError("max_tree_mb: must be >= 1")
        if not self.chunk_seconds > 0:
            raise ValueError("chunk_seconds: must be > 0")
        if self.rollouts < 1:
            raise ValueError("rollouts: must be >= 1")
        if self.ownership_playouts < 1:
            raise ValueError("ownership_playouts: must be >= 1")


@dataclass(frozen=True)
class AnalysisConfig:
    """The [analysis] and [search] tables of `zero analysis` (search.simulations is unused: each wave's trees are sized by its maxVisits)."""

    analysis: AnalysisParams = field(
        default_factory=AnalysisParams, metadata={"doc": "protocol defaults, batching, reporting"}
    )
    search: SearchParams = field(default_factory=SearchParams, metadata={"doc": "PUCT search constants"})


@dataclass
class _Running:
    """A turn being searched as tree ``b`` of the current wave."""

    turn: Turn
    b: int
    next_report: float  # perf_counter time of the next partial answer (inf = none)
    terminated: bool = False
    done: bool = False


class AnalysisEngine:
    """Reads query lines, searches their positions in batched waves, writes one JSON answer per line."""

    def __init__(
        self,
        config: AnalysisConfig | None = None,
        network: Any | None = None,
        resize: Callable[[int], Any] | None = None,
    ) -> None:
        """``network``: a zero.nn.inference.NetworkEvaluator, or None for random rollouts; ``resize(size)``: the same
        network for another board size (Checkpoint.for_board_size), used under analysis.cross_size."""
        self.config = config or AnalysisConfig()
        self.config.analysis.validate()
        self.params = self.config.analysis
        self.network = self._randomized(network) if network is not None else None  # the network as trained
        self._resize = resize if self.params.cross_size else None
        self._other_sizes: dict[int, Any] = {}  # board size -> the network resized for it
        self._pending: list[Turn] = []
        self._running: list[_Running] = []
        self._seq = 0
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._eof = False
        self._out: TextIO | None = None
        self._rollout_evaluators: dict[tuple[int, float], RolloutEvaluator] = {}
        self._batch: GoSearchBatch | None = None  # the positions of the wave in progress
        self._scored = False  # whether its evaluator has a score head
        self.waves = 0  # waves searched so far (tests read it)
        self.wave_sizes: list[int] = []  # positions in each wave

    # ---- the loop --------------------------------------------------------------------------

    def serve(self, stdin: TextIO, stdout: TextIO) -> int:
        """Answer queries until end of input, then finish the queued ones."""
        self._out = stdout

        def reader() -> None:
            try:
                for raw in stdin:
                    self._lines.put(raw)
            except (OSError, ValueError) as exc:
                log.warning("input ended: %s", exc)
            self._lines.put(None)

        threading.Thread(target=reader, name="analysis-stdin", daemon=True).start()
        while True:
            self._poll(block=not self._pending and not self._eof)
            if not self._pending:
                if self._eof:
                    return 0
                continue
            wave = self._take_wave()
            try:
                self._run_wave(wave)
            except Exception as exc:  # a bug must not end the session: the wave's queries get an error, the rest go on
                log.exception("analysis of %d positions failed", len(wave))
                self._running = []
                for turn in wave:
                    self._write(
                        {"id": turn.query_id, "turnNumber": turn.turn_number, "error": f"internal error: {exc}"}
                    )

    def _poll(self, block: bool) -> None:
        """Handle the lines that have arrived (waiting for one first when ``block``)."""
        while True:
            try:
                raw = self._lines.get(block=block)
            except queue.Empty:
                return
            block = False
            if raw is None:
                self._eof = True
                return
            if raw.strip():
                self.handle_line(raw)

    def _randomized(self, network: Any) -> Any:
        if hasattr(network, "set_random_symmetry"):  # test doubles may lack it
            network.set_random_symmetry(self.params.random_symmetry, self.params.seed)
        return network

    def network_for(self, size: int) -> Any | None:
        """The network that analyses ``size`` (None: random rollouts), made the first time a size needs it."""
        if self.network is None or size == self.network.shape.board_size:
            return self.network
        if size not in self._other_sizes:
            self._other_sizes[size] = self._randomized(self._resize(size))
        return self._other_sizes[size]

    def _write(self, obj: dict[str, Any]) -> None:
        if self._out is None:
            return
        self._out.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._out.flush()

    # ---- queries -----------------------------------------------------------------------------

    def handle_line(self, line: str) -> Parsed:
        """Check one query line: reply to errors, warnings and actions now, queue its turns."""
        # the one size queries may ask for, where the network plays no other
        network_size = self.network.shape.board_size if self.network is not None and self._resize is None else None
        parsed = parse_line(
            line,
            default_visits=self.params.max_visits,
            max_visits=self.params.max_visits_limit,
            network_size=network_size,
        )
        for reply in parsed.replies:
            self._write(reply)
        if parsed.action is not None:
            self._act(parsed.action)
        for turn in parsed.turns:
            turn.seq = self._seq
            self._seq += 1
            self._pending.append(turn)
        return parsed

    def _act(self, query: dict[str, Any]) -> None:
        action = query["action"]
        if action == "query_version":
            self._write({**query, "version": ENGINE_VERSION, "git_hash": "<omitted>"})
        elif action == "clear_cache":
            self._write(dict(query))  # nothing is cached between queries: each wave builds fresh trees
        elif action == "terminate":
            self._write(dict(query))
            target, turns = query["terminateId"], query.get("turnNumbers")

            def named(turn: Turn) -> bool:
                return turn.query_id == target and (turns is None or turn.turn_number in turns)

            for turn in [t for t in self._pending if named(t)]:
                self._pending.remove(turn)
                self._write(
                    {"id": turn.query_id, "isDuringSearch": False, "noResults": True, "turnNumber": turn.turn_number}
                )
            for run in self._running:
                if named(run.turn):
                    run.terminated = True

    def _take_wave(self) -> list[Turn]:
        """Up to batch_size queued turns with the first one's rules (board size, komi, ko rule), by priority then
        arrival, as many as fit in max_tree_mb (at least one)."""
        ranked = sorted(self._pending, key=lambda t: (-t.priority, t.seq))
        rules = ranked[0].game.rules
        points = rules.size * rules.size
        # mcts.tree: 21 bytes per edge, 25 per node, and 4 per point where the search keeps ownership (counted always)
        bytes_per_node = 21 * (points + 1) + 25 + 4 * points
        wave: list[Turn] = []
        for turn in (t for t in ranked if t.game.rules == rules):
            capacity = max([t.max_visits for t in wave] + [turn.max_visits]) + 1
            if wave and (len(wave) + 1) * capacity * bytes_per_node > self.params.max_tree_mb * 2**20:
                break
            wave.append(turn)
            if len(wave) == self.params.batch_size:
                break
        for turn in wave:
            self._pending.remove(turn)
        return wave

    # ---- one wave ------------------------------------------------------------------------------

    def _evaluator(self, size: int, komi: float) -> Any:
        if self.network is not None:
            return self.network_for(size)
        key = (size, komi)
        if key not in self._rollout_evaluators:
            self._rollout_evaluators[key] = RolloutEvaluator(size, komi, self.params.rollouts, seed=self.params.seed)
        return self._rollout_evaluators[key]

    def _run_wave(self, wave: list[Turn]) -> None:
        B = len(wave)
        N = wave[0].game.size
        A = N * N + 1
        capacity = max(t.max_visits for t in wave)
        evaluator = self._evaluator(N, wave[0].game.komi)
        # ownership averaged over each search (KataGo's) where a query asks for it and the network has the head
        owned = any(t.wants_ownership for t in wave) and predicts_ownership(evaluator)
        search = BatchedSearch(
            replace(self.config.search, simulations=capacity),
            batch_size=B,
            num_actions=A,
            seed=self.params.seed,
            ownership_points=N * N if owned else 0,
        )
        search.moves_ownership = any(t.include_moves_ownership or t.include_moves_ownership_stdev for t in wave)
        batch = search_batch(evaluator, [t.game for t in wave])
        move_filter = _move_filter(wave, A)
        search.expand_roots(batch, evaluator, move_filter=move_filter)
        search.temper_root_priors(np.array([t.root_temperature for t in wave]))
        extras = self._root_extras(wave, batch, searched_ownership=owned)
        self._batch, self._scored = batch, predicts_margins(evaluator)
        now = time.perf_counter()
        self._running = [
            _Running(t, b, now + t.report_every if t.report_every > 0 else float("inf")) for b, t in enumerate(wave)
        ]
        self.waves += 1
        self.wave_sizes.append(B)
        targets = np.array([t.max_visits for t in wave], np.int32)
        deadlines = [now + t.max_time if t.max_time > 0 else float("inf") for t in wave]
        while True:
            for run in self._running:
                if run.terminated:
                    targets[run.b] = 0
            soonest = min(min(r.next_report, deadlines[r.b]) for r in self._running if not r.done)
            chunk = max(0.01, min(self.params.chunk_seconds, soonest - time.perf_counter()))
            result = search.run(
                batch, evaluator, add_noise=False, simulations=targets, max_seconds=chunk, move_filter=move_filter
            )
            now = time.perf_counter()
            for run in self._running:
                if run.done:
                    continue
                b = run.b
                finished = (
                    result.simulations[b] >= targets[b]
                    or bool(result.terminal[b])
                    or now >= deadlines[b]
                    or search.tree.node_count[b] >= search.tree.capacity
                )
                if finished:
                    run.done = True
                    targets[b] = 0  # its tree stops
                    self._write(self._answer(run.turn, search, result, b, extras[b], during=False))
                elif now >= run.next_report:
                    run.next_report = now + run.turn.report_every
                    self._write(self._answer(run.turn, search, result, b, extras[b], during=True))
            if all(r.done for r in self._running):
                break
            self._poll(block=False)
        self._running = []

    def _root_extras(self, wave: list[Turn], batch: GoSearchBatch, *, searched_ownership: bool) -> list[dict[str, Any]]:
        """The raw policy of the roots that asked for it (one network call for the wave); their ownership, black's
        view, where the search does not average it (no network or no ownership head: light playouts)."""
        extras: list[dict[str, Any]] = [{} for _ in wave]
        playouts = [b for b, t in enumerate(wave) if t.wants_ownership and not searched_ownership]
        for b in playouts:
            extras[b]["ownership"] = playout_ownership(
                wave[b].game, self.params.ownership_playouts, self.params.seed + b
            )
        want = [b for b, t in enumerate(wave) if t.include_policy]
        if not want:
            return extras
        planes, legal, _, _ = batch.root_inputs()
        rows = np.array(want)
        network = self.network_for(wave[0].game.size)
        if network is not None:
            policy = network.evaluate(planes[rows], legal[rows])[0]
        else:
            policy = legal[rows] / np.maximum(legal[rows].sum(axis=1, keepdims=True), 1)
        for k, b in enumerate(want):
            extras[b]["policy"] = np.where(legal[b], policy[k], -1.0)
        return extras

    # ---- answers ---------------------------------------------------------------------------------

    def _answer(
        self, turn: Turn, search: BatchedSearch, result: SearchResult, b: int, extras: dict[str, Any], *, during: bool
    ) -> dict[str, Any]:
        game = turn.game
        N = game.size
        sims = int(result.simulations[b])
        head = {"id": turn.query_id, "isDuringSearch": during, "turnNumber": turn.turn_number}
        if sims == 0 and not result.terminal[b] and not during:
            return {**head, "noResults": True}
        me = game.to_move
        view = turn.report_as or self.params.report_winrates_as
        flip = (view == "black" and me == WHITE) or (view == "white" and me == BLACK)

        def rate(x: float) -> float:  # a winrate-like number of the player to move -> the reported view
            return 1.0 - x if flip else x

        def signed(x: float) -> float:
            return -x if flip else x

        visits = result.visits[b]
        moves = np.flatnonzero(visits)
        if moves.size == 0 and not result.terminal[b]:  # no search yet (maxVisits 1): the best prior, unvisited
            moves = np.array([int(np.argmax(np.where(search.tree.legal[b, 0], result.prior[b], -1.0)))])
        q = np.nan_to_num(result.q[b], nan=float(result.root_value[b]))
        moves = sorted(moves.tolist(), key=lambda a: (-int(visits[a]), -float(q[a])))
        lines, line_visits, length = search.variations(np.full(len(moves), b, np.int32), np.array(moves, np.int32))
        network = self.network_for(turn.game.size)
        leads = search_score_leads(network, self._batch, result, b, moves) if self._scored and moves else None
        infos = []
        for order, a in enumerate(moves):
            q_lcb = float(result.q_lcb[b, a]) if visits[a] > 0 else float(q[a]) - 2.0
            info = {
                "move": to_gtp(a, N),
                "visits": int(visits[a]),
                # a tree without transpositions enters each child by one edge, and every playout weighs 1: KataGo's
                # edge visits and weights are the visits
                "edgeVisits": int(visits[a]),
                "weight": float(visits[a]),
                "edgeWeight": float(visits[a]),
                "winrate": rate((float(q[a]) + 1) / 2),
                "utility": signed(float(q[a])),
                "lcb": rate((q_lcb + 1) / 2),
                "utilityLcb": signed(q_lcb),
                "prior": float(result.prior[b, a]),
                "order": order,
                "pv": [to_gtp(int(m), N) for m in lines[order, : length[order]]] or [to_gtp(a, N)],
            }
            if leads is not None:  # the search's average margin after the move (KataGo's scoreLead)
                info["scoreLead"] = info["scoreMean"] = signed(float(leads[order]))
            if turn.include_pv_visits:
                info["pvVisits"] = [int(v) for v in line_visits[order, : length[order]]] or [int(visits[a])]
                info["pvEdgeVisits"] = info["pvVisits"]
            infos.append(info)
        root_value = float(result.root_value[b])
        raw_value = float(search.tree.raw_value[b, 0])
        tree = search.tree
        root_lcb = float(value_lcb(tree.node_visits[b, 0], tree.node_value_sum[b, 0], tree.node_value_sq_sum[b, 0]))
        root = {
            "visits": sims,
            "winrate": rate((root_value + 1) / 2),
            "utility": signed(root_value),
            "lcb": rate((root_lcb + 1) / 2),
            "rawWinrate": rate((raw_value + 1) / 2),
            "currentPlayer": "B" if me == BLACK else "W",
            "thisHash": _position_hash(game, 0),
            "symHash": min(_position_hash(game, k) for k in range(NUM_SYMMETRIES)),
        }
        if self._scored and result.root_score is not None:  # the search's average margin at the root
            root["scoreLead"] = root["scoreMean"] = signed(float(result.root_score[b]))
        answer = {**head, "moveInfos": infos, "rootInfo": root}
        if "policy" in extras:
            answer["policy"] = [round(float(v), 6) for v in extras["policy"]]
        if turn.wants_ownership:
            self._add_ownership(answer, turn, result, b, moves, extras)
        return answer

    def _add_ownership(
        self, answer: dict[str, Any], turn: Turn, result: SearchResult, b: int, moves: list[int], extras: dict
    ) -> None:
        """The ownership fields a query asked for: averaged over the search where it tracked ownership (the root's and
        each move's subtree, with their spreads over it, as KataGo's), else the root's and each move's child's
        light playouts (a spread of 0); a move without visits gets the network's ownership after it."""
        game = turn.game
        me = game.to_move
        view = turn.report_as or self.params.report_winrates_as
        black = 1.0 if me == BLACK else -1.0  # the search speaks for the player to move
        towards = -1.0 if view == "white" or (view == "side_to_move" and me == WHITE) else 1.0  # Black's -> reported

        def values(array) -> list[float]:
            return [round(float(v), 6) for v in array]

        if result.ownership is not None:
            mean, stdev = result.ownership[b] * black, result.ownership_stdev[b]
        else:
            mean, stdev = np.asarray(extras["ownership"], np.float64), np.zeros(game.size * game.size)
        if turn.include_ownership:
            answer["ownership"] = values(mean * towards)
        if turn.include_ownership_stdev:
            answer["ownershipStdev"] = values(stdev)
        if not (turn.include_moves_ownership or turn.include_moves_ownership_stdev) or not moves:
            return
        network = self.network_for(game.size)
        moves_mean, moves_stdev = moves_ownership(
            result, b, game, moves, network, self.params.ownership_playouts, self.params.seed
        )
        for k, info in enumerate(answer["moveInfos"]):
            if turn.include_moves_ownership:
                info["ownership"] = values(moves_mean[k] * black * towards)
            if turn.include_moves_ownership_stdev:
                info["ownershipStdev"] = values(moves_stdev[k])


def moves_ownership(
    result: SearchResult, root: int, game: Any, moves: list[int], network: Any, playouts: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, spread) float64[len(moves), N*N] for the player to move at root ``root`` (``game``'s position): each
    move's ownership averaged over its subtree and its standard deviation there, where the search kept ownership
    and visited the move (KataGo's movesOwnership and movesOwnershipStdev); else the ownership after the move, one
    ply deep (ownership_after_moves), with a spread of 0."""
    mean = np.full((len(moves), game.size * game.size), np.nan)
    spread = np.zeros_like(mean)
    if result.moves_ownership is not None:
        mean[:] = result.moves_ownership[root, moves]
        spread[:] = np.nan_to_num(result.moves_ownership_stdev[root, moves])
    unsearched = np.flatnonzero(np.isnan(mean).any(axis=1))
    if unsearched.size:
        mover = 1.0 if game.to_move == BLACK else -1.0
        after = ownership_after_moves(network, game, [moves[k] for k in unsearched], playouts, seed)
        mean[unsearched] = after * mover  # Black's view -> the mover's
    return mean, spread


def ownership_after_moves(network: Any, game: Any, actions: list[int], playouts: int, seed: int) -> np.ndarray:
    """float64[len(actions), N*N], Black's view: the expected final owner of every point after each move (KataGo's
    movesOwnership, here one ply deep: the network's ownership of the position after the move, the mean of its 8
    orientations as at the root, in one call; light playouts where there is no ownership head)."""
    children = []
    for a in actions:
        child = game.copy()
        child.play(int(a))
        children.append(child)
    if network is not None and network.has_ownership:
        planes = np.stack([c.planes(network.komi_input, network.liberty_input, network.ladder_input) for c in children])
        movers = np.array([1.0 if c.to_move == BLACK else -1.0 for c in children])  # the network's view: the mover's
        return network.mean_ownership(planes).reshape(len(children), -1).astype(np.float64) * movers[:, None]
    return np.stack([playout_ownership(c, playouts, seed + k) for k, c in enumerate(children)]).astype(np.float64)


def search_batch(evaluator: Any, games: list) -> GoSearchBatch:
    """The games as one GoSearchBatch with the planes ``evaluator`` reads (komi, liberty and ladder planes for a network with those inputs)."""
    batch = GoSearchBatch(
        games,
        komi_plane=bool(getattr(evaluator, "komi_input", False)),
        liberty_planes=bool(getattr(evaluator, "liberty_input", False)),
        ladder_planes=bool(getattr(evaluator, "ladder_input", False)),
    )
    if predicts_margins(evaluator):  # the search's margins at these games' komi
        batch.score_offset[:] = komi_shift(evaluator, batch, np.arange(len(batch)))
    return batch


def child_score_leads(evaluator: Any, batch: GoSearchBatch, roots: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """float32[K]: the network's score lead, for the player to move at root ``roots[k]``, after its move ``actions[k]`` (one call)."""
    paths = np.asarray(actions, np.int32).reshape(-1, 1)
    planes, _, _, _ = batch.leaf_inputs(np.asarray(roots, np.int32), paths, np.ones(len(paths), np.int32))
    _, _, margin = evaluator.evaluate_with_margin(planes)
    # the child's margin is for the opponent
    return -np.asarray(margin, np.float32) + komi_shift(evaluator, batch, np.asarray(roots, np.intp))


def search_score_leads(
    evaluator: Any, batch: GoSearchBatch, result: SearchResult, root: int, moves: list[int]
) -> np.ndarray:
    """float32[K]: the score lead after each of root ``root``'s ``moves``, for its player to move: the search's
    average margin where the move has visits (result.score), the network's after the move where it has none."""
    leads = (
        np.asarray(result.score[root, moves], np.float32) if result.score is not None else np.full(len(moves), np.nan)
    )
    unvisited = np.flatnonzero(~np.isfinite(leads))
    if unvisited.size:
        actions = np.asarray(moves)[unvisited]
        leads[unvisited] = child_score_leads(evaluator, batch, np.full(unvisited.size, root), actions)
    return leads


def komi_shift(evaluator: Any, batch: GoSearchBatch, roots: np.ndarray) -> np.ndarray:
    """float32[K]: points to add to the network's score lead for the player to move at root ``roots[k]``.

    A network that reads no komi plane predicts the margin at the komi it trained at (``trained_komi``): at another
    komi White receives (trained - komi) points fewer, so Black's lead is that much larger and White's that much
    smaller. Zero for a network with the komi plane (it reads the komi) or whose training komi is unknown.
    """
    trained = getattr(evaluator, "trained_komi", None)
    if trained is None or getattr(evaluator, "komi_input", False):
        return np.zeros(len(roots), np.float32)
    black = batch.to_move[roots] == BLACK
    return ((trained - batch.komi[roots]) * np.where(black, 1.0, -1.0)).astype(np.float32)


def _move_filter(wave: list[Turn], num_actions: int) -> MoveFilter | None:
    rows = [t.move_filter_rows(num_actions) for t in wave]
    if all(r is None for r in rows):
        return None
    allowed = np.ones((len(wave), 2, num_actions), bool)
    until = np.zeros((len(wave), 2), np.int32)
    for b, r in enumerate(rows):
        if r is not None:
            allowed[b], until[b] = r
    return MoveFilter(allowed, until)


def _position_hash(game: Any, symmetry: int) -> str:
    """32 hex digits naming (stones, player to move, simple-ko point) under board symmetry ``symmetry`` (KataGo's thisHash/symHash)."""
    N = game.size
    perm = point_permutation(N, symmetry)
    stones = game.stones().reshape(-1)[perm]
    ko = game.ko_point
    ko_index = -1 if ko is None else int(np.flatnonzero(perm == ko)[0])
    digest = hashlib.blake2b(
        stones.tobytes() + bytes([game.to_move]) + ko_index.to_bytes(4, "little", signed=True), digest_size=16
    )
    return digest.hexdigest().upper()
