"""The batched search driver: runs B PUCT searches in lockstep, four calls per step whatever B is, and reports visits, policies, values and principal variations (no games, torch or ray)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from mcts import _gumbel_kernels, _kernels
from mcts._arrays import LeafBatch, LeafEvaluations, RootRules
from mcts.interface import Evaluator, SearchGame, predicts_margins, predicts_ownership
from mcts.params import SearchParams
from mcts.tree import NO_ACTION, ROOT, UNVISITED, Tree

# KataGo's lower confidence bound on a move's value (search.cpp getSelfUtilityLCBAndRadius): the mean
# minus LCB_STDEVS standard errors, the normal quantile widened to Student's t for few visits; below
# MIN_VISITS_FOR_LCB visits the radius is the whole value range (2), as in KataGo.
LCB_STDEVS = 5.0  # KataGo's lcbStdevs default
MIN_VISITS_FOR_LCB = 3  # KataGo's MIN_VISITS_FOR_LCB


@dataclass(frozen=True)
class SearchResult:
    """What a search found for each of the B roots (values for the player to move at the root)."""

    visits: np.ndarray  # int32[B, A]     N(root, a)
    q: np.ndarray  # float32[B, A]        Q(root, a) = W / N, NaN where N == 0
    prior: np.ndarray  # float32[B, A]    root priors the search used (with noise if any)
    root_value: np.ndarray  # float32[B]  mean backed-up value of the root (0 for an empty tree)
    principal_variation: np.ndarray  # int32[B, D]  most-visited line, padded with NO_ACTION
    pv_length: np.ndarray  # int32[B]
    terminal: np.ndarray  # bool[B]       root is a finished game (no visits, no move)
    simulations: np.ndarray  # int32[B]   visits below each root (including reused ones)
    q_lcb: np.ndarray | None = None  # float32[B, A]  lower confidence bound on Q (see value_lcb), NaN where N == 0
    # Gumbel root only (None with PUCT): softmax(logits + sigma(completed Q)), the policy target, and the
    # action sequential halving ends on, the move to play (NO_ACTION for an empty or terminal root).
    improved_policy: np.ndarray | None = None  # float32[B, A]
    chosen_action: np.ndarray | None = None  # int32[B]
    # Forced playouts on (search.forced_playouts_k > 0, PUCT root): the visits with the forced ones pruned again
    # (KataGo's policy target, see BatchedSearch.pruned_visits); equal to ``visits`` at roots without noise.
    target_visits: np.ndarray | None = None  # float32[B, A]
    # Where the evaluator predicts final margins (and the search tracks them): the search's average margin, in points
    # for the player to move at the root, after each move (NaN where N == 0) and at the root (KataGo's scoreMean).
    score: np.ndarray | None = None  # float32[B, A]
    root_score: np.ndarray | None = None  # float32[B]
    # Where the search tracks ownership (ownership_points, an OwnershipEvaluator): who owns each of the P points at
    # the end, for the player to move at the root (+1 = that player), averaged over the whole tree, and its standard
    # deviation over the tree (KataGo's ownership and ownershipStdev); the same over each root move's subtree (NaN
    # for a move without visits: KataGo's movesOwnership; None where BatchedSearch.moves_ownership is off).
    ownership: np.ndarray | None = None  # float32[B, P]
    ownership_stdev: np.ndarray | None = None  # float32[B, P]
    moves_ownership: np.ndarray | None = None  # float32[B, A, P]
    moves_ownership_stdev: np.ndarray | None = None  # float32[B, A, P]

    def policy(self, temperature: float) -> np.ndarray:
        """float32[B, A]: the visit policy N^(1/T) normalised; T = 0 puts all mass on the most visited action."""
        return visit_policy(self.visits, temperature)

    def best_actions(self) -> np.ndarray:
        """int32[B]: the most visited action of each root (first on ties), NO_ACTION where nothing was visited."""
        best = np.argmax(self.visits, axis=1).astype(np.int32)
        return np.where(self.visits.max(axis=1) > 0, best, NO_ACTION).astype(np.int32)

    def pv(self, tree: int) -> list[int]:
        """The principal variation of one root as a list of actions."""
        return [int(a) for a in self.principal_variation[tree, : self.pv_length[tree]]]


@dataclass(frozen=True)
class MoveFilter:
    """Moves each side may play in the first plies of the search (KataGo's allowMoves/avoidMoves, GTP ``allow``/``avoid``).

    Applied to the legal moves of every node the search creates while the filter is given; a node where
    the filter would leave no legal move keeps its legal moves. Trees built before keep theirs (reset them).
    """

    allowed: np.ndarray  # bool[B, 2, A]   [:, 0]: the player to move at the root, [:, 1]: the opponent
    until_depth: np.ndarray  # int32[B, 2]  the mask binds moves at plies < until_depth (ply 0 = the root's move)

    def apply(self, legal: np.ndarray, roots: np.ndarray, depth: np.ndarray) -> np.ndarray:
        """bool[L, A]: ``legal`` rows of nodes at ``depth`` plies (int[L]) below roots ``roots`` (int[L]), filtered."""
        side = depth % 2
        binds = depth < self.until_depth[roots, side]
        masked = legal & self.allowed[roots, side]
        keep = binds & masked.any(axis=1)
        return np.where(keep[:, None], masked, legal)


def norm_to_t(z: float, n: np.ndarray) -> np.ndarray:
    """The Student-t quantile with ``n`` (> 1) degrees of freedom as extreme as normal quantile ``z`` (KataGo's FancyMath::normToTApprox)."""
    n = np.asarray(n, np.float64)
    return np.sqrt(n * np.expm1(z * z * (n - 1.5) / ((n - 1) * (n - 1))))


def value_lcb(
    visits: np.ndarray, value_sum: np.ndarray, value_sq_sum: np.ndarray, stdevs: float = LCB_STDEVS
) -> np.ndarray:
    """float64 lower confidence bound on the mean value W / N from N, W and the sum of squared values (any shape).

    LCB = mean - t(stdevs, N) * sqrt(variance / N) with variance = sum of squares / N - mean^2 (at least 1e-8);
    N < MIN_VISITS_FOR_LCB gives mean - 2 (nothing known: the whole value range); N == 0 gives NaN.
    """
    n = np.asarray(visits, np.float64)
    enough = n >= MIN_VISITS_FOR_LCB
    safe_n = np.where(enough, n, MIN_VISITS_FOR_LCB)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.asarray(value_sum, np.float64) / n
        variance = np.maximum(np.asarray(value_sq_sum, np.float64) / n - mean * mean, 1e-8)
        lcb = np.where(enough, mean - norm_to_t(stdevs, safe_n) * np.sqrt(variance / safe_n), mean - 2.0)
    return np.where(n > 0, lcb, np.nan)


def visit_policy(visits: np.ndarray, temperature: float) -> np.ndarray:
    """float32[B, A] from visit counts int[B, A]: N^(1/T) / sum; T == 0 -> one-hot on the first most-visited; rows without visits stay 0."""
    return _visit_distribution(visits, temperature).astype(np.float32)


def _visit_distribution(visits: np.ndarray, temperature: float) -> np.ndarray:
    """float64 visit_policy (the sampler draws from it without a float32 round trip)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    visits = np.asarray(visits)
    out = np.zeros(visits.shape, np.float64)
    has = visits.max(axis=-1) > 0
    if temperature == 0:
        best = np.argmax(visits, axis=-1)
        rows = np.flatnonzero(has)
        out[rows, best[rows]] = 1.0
        return out
    # log space so that a small T does not overflow N^(1/T)
    logits = np.log(np.maximum(visits, 1).astype(np.float64)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.where(visits > 0, np.exp(logits), 0.0)
    total = weights.sum(axis=-1, keepdims=True)
    np.divide(weights, total, out=out, where=total > 0)
    return out


def choose_moves(visits: np.ndarray, temperature: np.ndarray | float, rng: np.random.Generator) -> np.ndarray:
    """int32[B]: per root, a move drawn from N^(1/T) (visit_policy) where temperature[b] > 0, else the most visited
    (ties broken at random); NO_ACTION where nothing was visited. The project's one temperature sampler (self-play,
    arena, the GTP engine's random_moves)."""
    visits = np.asarray(visits)
    b, a = visits.shape
    temperature = np.broadcast_to(np.asarray(temperature, np.float64), (b,))
    actions = np.full(b, NO_ACTION, np.int32)
    for i in np.flatnonzero(visits.max(axis=1) > 0):  # once per game per move
        if temperature[i] > 0:
            p = _visit_distribution(visits[i : i + 1], float(temperature[i]))[0]
            actions[i] = rng.choice(a, p=p / p.sum())
        else:
            best = np.flatnonzero(visits[i] == visits[i].max())
            actions[i] = best[0] if best.size == 1 else rng.choice(best)
    return actions


class BatchedSearch:
    """B trees searched together; keeps the trees between moves when ``params.reuse_tree``.

    One step = select_leaves (Numba, all trees) -> game.leaf_inputs (one call)
    -> evaluator.evaluate (one call for every non-terminal new leaf) -> expand_and_backup (Numba).
    Each tree draws its Dirichlet noise from its own generator seeded ``seed + b``, and nothing
    in a tree depends on the other trees, so B searches together equal B searches alone.
    """

    def __init__(
        self,
        params: SearchParams,
        *,
        batch_size: int,
        num_actions: int,
        seed: int = 0,
        max_leaves_per_step: int | None = None,
        track_scores: bool = True,
        ownership_points: int = 0,
    ) -> None:
        params.validate()
        self.params = params
        self.batch_size = batch_size
        self.num_actions = num_actions
        # ownership_points P > 0: with an evaluator that predicts ownership (mcts.interface.OwnershipEvaluator),
        # each node keeps its ownership of the P points, and results carry its average over the tree (analysis)
        self.tree = Tree.allocate(batch_size, params.simulations + 1, num_actions, ownership_points)
        self._owning = False  # of the run in progress: ownership_points and the evaluator predicts ownership
        # results carry each root move's ownership too ([B, A, P] floats each time): off where only the root's is read
        self.moves_ownership = True
        self._rngs = [np.random.default_rng(seed + b) for b in range(batch_size)]
        self._noised = np.zeros(batch_size, np.bool_)
        self._constants = np.zeros(_kernels.NUM_CONSTANTS, np.float64)
        self._constants[_kernels.C_INIT] = params.c_init
        self._constants[_kernels.C_BASE] = params.c_base
        self._constants[_kernels.FPU_REDUCTION] = params.fpu_reduction
        self._constants[_kernels.FPU_ROOT_REDUCTION] = params.fpu_root_reduction
        self._constants[_kernels.VIRTUAL_LOSS] = params.virtual_loss
        self._constants[_kernels.GUMBEL_C_VISIT] = params.gumbel_c_visit
        self._constants[_kernels.GUMBEL_C_SCALE] = params.gumbel_c_scale
        self._gumbel = params.root == "gumbel"
        # Gumbel root: g + logits of the sampled actions, the visit schedule and the visits each search started from
        self._constants[_kernels.FORCED_PLAYOUTS_K] = params.forced_playouts_k
        self._root_rules = RootRules(
            gumbel=self._gumbel,
            root_scores=np.full((batch_size, num_actions if self._gumbel else 1), _gumbel_kernels.NOT_CONSIDERED),
            considered_visits=np.zeros((batch_size, params.simulations if self._gumbel else 1), np.int32),
            start_visits=np.zeros(batch_size, np.int32),
            forced=np.zeros(batch_size, np.bool_),
        )
        leaves = batch_size * (max_leaves_per_step or params.leaves_per_step)
        depth = self.tree.capacity  # a path is never longer than the number of nodes
        self._leaves = LeafBatch(
            tree=np.zeros(leaves, np.int32),
            node=np.zeros(leaves, np.int32),
            action=np.zeros(leaves, np.int32),
            slot=np.zeros(leaves, np.int32),
            eval_root=np.zeros(leaves, np.int32),
            eval_paths=np.zeros((leaves, depth), np.int32),
            eval_length=np.zeros(leaves, np.int32),
        )
        self._move_filter: MoveFilter | None = None  # of the run in progress
        # Dynamic score utility (an evaluator whose ``wants_score_centre``): each root's predicted margin for its
        # player to move, read when the search starts; a leaf d moves below gets it with the sign of its player.
        self._score_centre = np.zeros(batch_size, np.float32)
        self._use_score_centre = False
        # With an evaluator that predicts final margins (predicts_margins), back them up beside the values so that
        # results carry the search's average margin (analysis); self-play, which reads none, turns it off.
        self.track_scores = track_scores
        self._scoring = False  # of the run in progress: track_scores and the evaluator predicts margins
        self._score_offset = np.zeros(batch_size, np.float32)  # of the run in progress: the game's score_offset
        self.steps = 0  # search steps run so far (for profiling)
        # Root evaluations carried across a move (keep_root_evaluations; trees not reused): the played move's child
        # was evaluated by this search, and its position is the next search's root, so the next root expansion
        # takes its priors, legal moves and value instead of calling the evaluator again. Only for one evaluator
        # whose weights do not change unseen: the caller forgets them when they do (forget_root_evaluations).
        self.keep_root_evaluations = False
        self._kept = np.zeros(batch_size, np.bool_)
        self._kept_prior = np.zeros((batch_size, num_actions), np.float32)
        self._kept_legal = np.zeros((batch_size, num_actions), np.bool_)
        self._kept_value = np.zeros(batch_size, np.float32)
        self._kept_score = np.zeros(batch_size, np.float32)
        self.roots_reused = 0  # root evaluations taken from the previous search instead of the evaluator
        # Seconds spent in each of the four calls of a step and in whole steps (for profiling; reset freely).
        self.timing = dict.fromkeys(("select", "leaf_inputs", "evaluate", "expand", "step"), 0.0)

    # ---- between moves -------------------------------------------------------------------

    def reset(self, trees: np.ndarray | list[int] | None = None) -> None:
        """Forget the given trees (all if None): their next search starts from a fresh root."""
        idx = np.arange(self.batch_size) if trees is None else np.asarray(trees, dtype=np.int64)
        self.tree.reset(idx)
        self._noised[idx] = False
        self._kept[idx] = False

    def forget_root_evaluations(self) -> None:
        """The evaluator changed (new weights): the next roots are evaluated afresh."""
        self._kept[:] = False

    def advance(self, actions: np.ndarray) -> None:
        """The move ``actions[b]`` was played in game b: keep its subtree (reuse_tree) or reset. NO_ACTION resets."""
        actions = np.asarray(actions)
        if actions.shape != (self.batch_size,):
            raise ValueError(f"actions must have shape ({self.batch_size},), got {actions.shape}")
        self._noised[:] = False
        if not self.params.reuse_tree:
            self._keep_child_evaluations(actions)
            self.tree.reset()
            return
        for b in range(self.batch_size):  # once per move, not per step
            self.tree.keep_subtree(b, int(actions[b]))

    def _keep_child_evaluations(self, actions: np.ndarray) -> None:
        """Before the trees are reset: remember the evaluation of each played move's child, where the search made one."""
        self._kept[:] = False
        if not self.keep_root_evaluations or self.tree.ownership_points:  # (ownership is not kept)
            return
        tree = self.tree
        b = np.flatnonzero((actions != NO_ACTION) & (tree.node_count > 0))
        child = tree.children_index[b, ROOT, actions[b]]
        b, child = b[child != UNVISITED], child[child != UNVISITED]
        evaluated = ~tree.terminal[b, child]  # a terminal child was valued by the game, not the evaluator
        b, child = b[evaluated], child[evaluated]
        self._kept_prior[b] = tree.children_prior[b, child]
        self._kept_legal[b] = tree.legal[b, child]
        self._kept_value[b] = tree.raw_value[b, child]
        self._kept_score[b] = tree.raw_score[b, child]
        self._kept[b] = True

    # ---- the search ----------------------------------------------------------------------

    def run(
        self,
        game: SearchGame,
        evaluator: Evaluator,
        *,
        add_noise: bool | np.ndarray,
        simulations: int | np.ndarray | None = None,
        max_seconds: float | None = None,
        leaves_per_step: int | None = None,
        move_filter: MoveFilter | None = None,
        lines: bool = True,
    ) -> SearchResult:
        """Search the B roots of ``game`` until each has ``simulations`` visits (default params.simulations; one per tree
        when an int[B] array; 0 = leave that tree alone) or time runs out; ``move_filter`` restricts the moves of new nodes.
        ``lines``: as in ``result``.

        ``simulations`` and ``add_noise`` may be given per root (int[B], bool[B]: KataGo's playout cap drawn per
        game). Noise: Dirichlet in the priors (PUCT root) or Gumbel noise in the root's sample (Gumbel root; without
        noise the sample is the top-m priors).
        """
        target = self.params.simulations if simulations is None else simulations
        targets = np.broadcast_to(np.asarray(target, np.int32), (self.batch_size,)).copy()
        if targets.min() < 0 or targets.max() > self.params.simulations or (np.ndim(target) == 0 and targets[0] < 1):
            raise ValueError(f"simulations must be in 1..{self.params.simulations} (the tree capacity), got {target}")
        noise = np.broadcast_to(np.asarray(add_noise, np.bool_), (self.batch_size,))
        leaves = self.params.leaves_per_step if leaves_per_step is None else leaves_per_step
        if not 1 <= leaves <= self._leaves.tree.shape[0] // self.batch_size:
            raise ValueError(
                f"leaves_per_step must be in 1..{self._leaves.tree.shape[0] // self.batch_size}, got {leaves}"
            )
        if game.num_actions != self.num_actions:
            raise ValueError(f"game has {game.num_actions} actions, the search was built for {self.num_actions}")
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        self._move_filter = move_filter
        self._expand_roots(game, evaluator, every_root=True)
        if self._gumbel:
            self._sample_gumbel_roots(noise, targets)
        elif noise.any():
            self._add_root_noise(noise)
        self._root_rules.forced[:] = noise & (self.params.forced_playouts_k > 0) & (not self._gumbel)  # self-play roots
        targets = targets.astype(np.int32)
        tree = self.tree
        timing = self.timing
        clock = time.perf_counter
        while True:
            t0 = clock()
            num_leaves, num_new = self._select_leaves(targets, leaves)
            t1 = clock()
            timing["select"] += t1 - t0
            if num_leaves == 0:
                break
            evaluations = self._evaluate_new_leaves(game, evaluator, num_new)
            t2 = clock()
            _kernels.expand_and_backup(num_leaves, self._leaves, evaluations, tree.arrays)
            t3 = clock()
            timing["expand"] += t3 - t2
            timing["step"] += t3 - t0
            self.steps += 1
            if deadline is not None and t3 >= deadline:
                break
        return self.result(lines=lines)

    def expand_roots(self, game: SearchGame, evaluator: Evaluator, *, move_filter: MoveFilter | None = None) -> None:
        """Evaluate and create the roots of the empty trees now (run does it too), e.g. to change their priors first."""
        self._move_filter = move_filter
        self._expand_roots(game, evaluator)

    def temper_root_priors(self, temperature: np.ndarray) -> None:
        """P(root, a) <- P^(1/T) renormalised over the legal moves, T = temperature[b] > 0 per tree (KataGo's rootPolicyTemperature; T > 1 widens)."""
        tree = self.tree
        for b in np.flatnonzero(
            (np.asarray(temperature) != 1.0) & (tree.node_count > 0)
        ):  # once per root, not per step
            legal = tree.legal[b, ROOT]
            logits = np.log(np.maximum(tree.children_prior[b, ROOT, legal].astype(np.float64), 1e-30)) / float(
                temperature[b]
            )
            weights = np.exp(logits - logits.max())
            tree.children_prior[b, ROOT, legal] = (weights / weights.sum()).astype(np.float32)

    def _select_leaves(self, targets: np.ndarray, leaves: int) -> tuple[int, int]:
        return _kernels.select_leaves(
            targets, leaves, self._constants, self.tree.arrays, self._leaves, self._root_rules
        )

    def _sample_gumbel_roots(self, noise: np.ndarray, targets: np.ndarray) -> None:
        """Gumbel-top-m of each root (Danihelka et al. 2022): scores g + logits for the m sampled actions, and its visit schedule.

        g ~ Gumbel(0, 1) from the tree's own generator where ``noise[b]``, else 0 (the top-m priors); m =
        min(gumbel_considered, legal actions); the schedule covers this search's ``targets[b]`` simulations.
        """
        tree = self.tree
        self._root_rules.start_visits[:] = tree.root_visits()
        legal = np.ascontiguousarray(tree.legal[:, ROOT])
        live = (tree.node_count > 0) & ~tree.terminal[:, ROOT]
        gumbel = np.zeros(legal.shape, np.float64)  # the noise of root b's k-th legal action, from its own generator
        counts = legal.sum(axis=1)
        for b in np.flatnonzero(noise & live & (targets > 0)):  # once per noisy root per move
            gumbel[b, : counts[b]] = self._rngs[b].gumbel(size=counts[b])
        _gumbel_kernels.sample_root_scores(
            np.ascontiguousarray(tree.children_prior[:, ROOT]),
            legal,
            live,
            gumbel,
            np.ascontiguousarray(noise, np.bool_),
            self.params.gumbel_considered,
            np.ascontiguousarray(targets, np.int32),
            self._root_rules.root_scores,
            self._root_rules.considered_visits,
        )

    def _evaluate_new_leaves(self, game: SearchGame, evaluator: Evaluator, num_new: int) -> LeafEvaluations:
        num_actions = self.num_actions
        empty = np.zeros(0, np.float32)  # also the scores when the search does not track them
        points = self.tree.ownership_points if self._owning else 0
        if num_new == 0:
            return LeafEvaluations(
                np.zeros((0, num_actions), np.float32),
                empty,
                np.zeros((0, num_actions), np.bool_),
                np.zeros(0, np.bool_),
                empty,
                empty,
                np.zeros((0, points), np.float32),
            )
        t0 = time.perf_counter()
        roots = self._leaves.eval_root[:num_new]
        paths = self._leaves.eval_paths[:num_new]
        lengths = self._leaves.eval_length[:num_new]
        planes, legal, terminal, terminal_value = game.leaf_inputs(roots, paths, lengths)
        t1 = time.perf_counter()
        self.timing["leaf_inputs"] += t1 - t0
        if self._move_filter is not None:
            legal = self._move_filter.apply(np.asarray(legal, np.bool_), roots, lengths)
        terminal = np.asarray(terminal, np.bool_)
        side = np.where(lengths % 2 == 0, 1.0, -1.0)  # -1 where the leaf's player is the root's opponent
        centre = self._score_centre[roots] * side if self._use_score_centre else None  # the root's, for the leaf
        scores = np.zeros(num_new, np.float32) if self._scoring else None
        ownership = np.zeros((num_new, points), np.float32)
        if terminal.any():  # terminal leaves are valued by the game: do not spend network capacity on them
            priors = np.zeros((num_new, num_actions), np.float32)
            values = np.zeros(num_new, np.float32)
            order = _live_rows_to_front(planes, terminal)
            if order.size:
                p, v, score, owned = _evaluate(
                    evaluator, planes[: order.size], None if centre is None else centre[order], self._scoring, points
                )
                priors[order] = p
                values[order] = v
                if scores is not None:
                    scores[order] = score
                if points:
                    ownership[order] = owned
            if points:
                ownership[terminal] = _terminal_ownership(game, roots[terminal], paths[terminal], lengths[terminal])
        else:
            priors, values, score, owned = _evaluate(evaluator, planes, centre, self._scoring, points)
            if scores is not None:
                scores[:] = score
            if points:
                ownership[:] = owned
        if scores is not None:  # the network's margins moved by the game's offset; a finished game counts its own
            scores += self._score_offset[roots] * side
            if terminal.any():
                scores[terminal] = _terminal_margins(game, roots[terminal], paths[terminal], lengths[terminal])
        self.timing["evaluate"] += time.perf_counter() - t1
        return LeafEvaluations(
            np.ascontiguousarray(priors, np.float32),
            np.ascontiguousarray(values, np.float32),
            np.ascontiguousarray(legal, np.bool_),
            terminal,
            np.ascontiguousarray(terminal_value, np.float32),
            empty if scores is None else scores,
            ownership,
        )

    def _expand_roots(self, game: SearchGame, evaluator: Evaluator, *, every_root: bool = False) -> None:
        """Evaluate and create the empty trees' roots. With a dynamic score utility and ``every_root`` (a search
        starts), every live root's predicted margin becomes its score centre, in the same one network call."""
        self._use_score_centre = bool(getattr(evaluator, "wants_score_centre", False))
        self._scoring = self.track_scores and predicts_margins(evaluator)
        self._owning = self.tree.ownership_points > 0 and predicts_ownership(evaluator)
        points = self.tree.ownership_points if self._owning else 0
        offset = getattr(game, "score_offset", None) if self._scoring else None
        self._score_offset[:] = 0.0 if offset is None else offset
        centring = self._use_score_centre and every_root
        empty = np.flatnonzero(self.tree.node_count == 0).astype(np.int32)
        if empty.size == 0 and not centring:
            return
        planes, legal, terminal, terminal_value = game.root_inputs()
        B = self.batch_size
        if self._move_filter is not None:
            b = np.arange(B)
            legal = self._move_filter.apply(np.asarray(legal, np.bool_), b, np.zeros_like(b))
        terminal = np.ascontiguousarray(terminal, np.bool_)
        if centring:
            live_roots = np.flatnonzero(~terminal)
            self._score_centre[:] = 0.0
            root_priors = np.zeros((B, self.num_actions), np.float32)
            root_values = np.zeros(B, np.float32)
            root_ownership = np.zeros((B, points), np.float32)
            if live_roots.size:
                if points:
                    p, v, score, owned = evaluator.evaluate_heads(planes[live_roots])
                    root_ownership[live_roots] = np.reshape(owned, (live_roots.size, points))
                else:
                    p, v, score = evaluator.evaluate_with_score(planes[live_roots])
                self._score_centre[live_roots] = score
                root_priors[live_roots] = p
                root_values[live_roots] = evaluator.utility(v, score, score)  # at its own centre
            if empty.size == 0:
                return
        live = empty[~terminal[empty]]
        priors = np.zeros((empty.size, self.num_actions), np.float32)
        values = np.zeros(empty.size, np.float32)
        scores = np.zeros(empty.size, np.float32)  # final margins (tracked scores only)
        ownership = np.zeros((empty.size, points), np.float32)
        if live.size:
            rows = np.flatnonzero(~terminal[empty])
            if centring:
                priors[rows], values[rows] = root_priors[live], root_values[live]
                ownership[rows] = root_ownership[live]
                if self._scoring:
                    scores[rows] = self._score_centre[live] + self._score_offset[live]  # its own predicted margin
            else:
                # kept from the previous search where the position's legal moves are the ones it had as a child
                kept = self._kept[live] & (self._kept_legal[live] == legal[live]).all(axis=1)
                priors[rows[kept]] = self._kept_prior[live[kept]]
                values[rows[kept]] = self._kept_value[live[kept]]
                scores[rows[kept]] = self._kept_score[live[kept]]
                self.roots_reused += int(kept.sum())
                if not kept.all():
                    p, v, score, owned = _evaluate(evaluator, planes[live[~kept]], None, self._scoring, points)
                    priors[rows[~kept]] = p
                    values[rows[~kept]] = v
                    if score is not None:
                        scores[rows[~kept]] = score + self._score_offset[live[~kept]]
                    if points:
                        ownership[rows[~kept]] = owned
        dead = empty[terminal[empty]]
        no_path, no_length = np.zeros((dead.size, 1), np.int32), np.zeros(dead.size, np.int32)
        if self._scoring and dead.size:
            scores[np.flatnonzero(terminal[empty])] = _terminal_margins(game, dead, no_path, no_length)
        if points and dead.size:
            ownership[np.flatnonzero(terminal[empty])] = _terminal_ownership(game, dead, no_path, no_length)
        self._kept[empty] = False
        _kernels.expand_roots(
            empty,
            priors,
            values,
            scores,
            ownership,
            np.ascontiguousarray(legal, np.bool_),
            terminal,
            np.ascontiguousarray(terminal_value, np.float32),
            self.tree.arrays,
        )

    def _add_root_noise(self, noisy: np.ndarray) -> None:
        """P(root, a) <- (1 - eps) P + eps * Dir(alpha) over the legal moves, once per root where ``noisy[b]`` (AlphaGo Zero)."""
        eps = self.params.dirichlet_epsilon
        if eps == 0:
            return
        tree = self.tree
        for b in range(self.batch_size):  # once per move, not per step
            if not noisy[b] or self._noised[b] or tree.node_count[b] == 0 or tree.terminal[b, ROOT]:
                continue
            legal = np.flatnonzero(tree.legal[b, ROOT])
            if legal.size == 0:
                continue
            alpha = self.params.dirichlet_alpha or self.params.dirichlet_alpha_scale / legal.size
            noise = self._rngs[b].gamma(alpha, size=legal.size)
            total = noise.sum()
            noise = noise / total if total > 0 else np.full(legal.size, 1.0 / legal.size)
            prior = tree.children_prior[b, ROOT, legal]
            tree.children_prior[b, ROOT, legal] = ((1 - eps) * prior + eps * noise).astype(np.float32)
            self._noised[b] = True

    # ---- results ---------------------------------------------------------------------------

    def result(self, *, lines: bool = True) -> SearchResult:
        """The statistics of the current roots (see SearchResult). ``lines=False`` (self-play, which reads neither):
        no principal variations (length 0) and no q_lcb, 0.5% of a go9_cpu self-play step."""
        tree = self.tree
        has_root = tree.node_count > 0
        visits = np.where(has_root[:, None], tree.children_visits[:, ROOT, :], 0).astype(np.int32)
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(visits > 0, tree.children_value_sum[:, ROOT, :] / visits, np.nan).astype(np.float32)
            root_value = np.where(
                has_root, tree.node_value_sum[:, ROOT] / np.maximum(tree.node_visits[:, ROOT], 1), 0.0
            )
        prior = np.where(has_root[:, None], tree.children_prior[:, ROOT, :], 0.0).astype(np.float32)
        q_lcb = None
        pv = np.empty((self.batch_size, min(tree.capacity, 64) if lines else 0), np.int32)
        pv_length = np.zeros(self.batch_size, np.int32)
        if lines:
            child = tree.children_index[:, ROOT, :]
            child_sq = np.take_along_axis(tree.node_value_sq_sum, np.maximum(child, 0), axis=1)
            q_lcb = value_lcb(visits, tree.children_value_sum[:, ROOT, :], np.where(child != UNVISITED, child_sq, 0.0))
            q_lcb = np.where(has_root[:, None], q_lcb, np.nan).astype(np.float32)
            _kernels.principal_variations(tree.arrays, pv, pv_length)
        score = root_score = None
        if self._scoring:
            child = tree.children_index[:, ROOT, :]
            child_sum = np.take_along_axis(tree.node_score_sum, np.maximum(child, 0), axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):  # a child's margins are for its player: minus
                score = np.where(visits > 0, -child_sum / visits, np.nan).astype(np.float32)
                root_score = np.where(
                    has_root, tree.node_score_sum[:, ROOT] / np.maximum(tree.node_visits[:, ROOT], 1), np.nan
                ).astype(np.float32)
        ownership = self._ownership() if self._owning else {}
        improved = chosen = None
        if self._gumbel:
            improved = np.zeros((self.batch_size, self.num_actions), np.float32)
            chosen = np.zeros(self.batch_size, np.int32)
            _gumbel_kernels.root_outputs(
                tree.arrays,
                self._root_rules.root_scores,
                self.params.gumbel_c_visit,
                self.params.gumbel_c_scale,
                improved,
                chosen,
            )
        return SearchResult(
            visits=visits,
            q=q,
            prior=prior,
            root_value=root_value.astype(np.float32),
            principal_variation=pv,
            pv_length=pv_length,
            terminal=has_root & tree.terminal[:, ROOT],
            simulations=tree.root_visits(),
            q_lcb=q_lcb,
            improved_policy=improved,
            chosen_action=chosen,
            target_visits=self.pruned_visits(visits)
            if self.params.forced_playouts_k > 0 and not self._gumbel
            else None,
            score=score,
            root_score=root_score,
            **ownership,
        )

    def _ownership(self) -> dict[str, np.ndarray]:
        """SearchResult's ownership fields: the trees' ownership averaged over their nodes (mcts._kernels.tree_ownership)."""
        B, P = self.batch_size, self.tree.ownership_points
        A = self.num_actions if self.moves_ownership else 0
        mean, second = np.empty((B, P), np.float32), np.empty((B, P), np.float32)
        move_mean, move_second = np.empty((B, A, P), np.float32), np.empty((B, A, P), np.float32)
        move_weight = np.empty((B, A), np.float32)
        _kernels.tree_ownership(self.tree.arrays, mean, second, move_mean, move_second, move_weight)
        if not self.moves_ownership:
            return {"ownership": mean, "ownership_stdev": _stdev(mean, second)}
        searched = (move_weight > 0)[:, :, None]
        return {
            "ownership": mean,
            "ownership_stdev": _stdev(mean, second),
            "moves_ownership": np.where(searched, move_mean, np.nan).astype(np.float32),
            "moves_ownership_stdev": np.where(searched, _stdev(move_mean, move_second), np.nan).astype(np.float32),
        }

    def pruned_visits(self, visits: np.ndarray) -> np.ndarray:
        """float32[B, A]: root visits with forced playouts taken off again where they were forced (KataGo's policy target pruning, Wu 2019 section 3.1).

        At a forced root, c* is the most visited child. Every other child c loses up to its forced count
        sqrt(k * P(c) * total visits), but only as long as its PUCT score with the fewer visits stays below
        c*'s (so the visits PUCT would have given it anyway stay); a child reduced to one visit or less is
        dropped. Other roots keep their visits.
        """
        tree, params = self.tree, self.params
        out = visits.astype(np.float32)
        for b in np.flatnonzero(self._root_rules.forced & (tree.node_count > 0)):  # once per root per move
            n = visits[b].astype(np.float64)
            total = n.sum()
            if total == 0:
                continue
            best = int(np.argmax(n))
            parent_n = float(tree.node_visits[b, ROOT])
            explore = (np.log((1.0 + parent_n + params.c_base) / params.c_base) + params.c_init) * np.sqrt(parent_n)
            prior = tree.children_prior[b, ROOT].astype(np.float64)
            q = np.divide(tree.children_value_sum[b, ROOT], n, out=np.zeros(n.shape), where=n > 0)
            best_score = q[best] + explore * prior[best] / (1.0 + n[best])
            gap = best_score - q
            # PUCT(c) with N' visits stays below c*'s while 1 + N' > explore * P / gap
            floor = np.divide(explore * prior, gap, out=np.full(n.shape, np.inf), where=gap > 0) - 1.0
            kept = np.minimum(n, np.maximum(n - np.sqrt(params.forced_playouts_k * prior * total), floor))
            kept = np.where((kept < n) & (kept <= 1.0), 0.0, kept)
            kept[best] = n[best]
            out[b] = kept
        return out

    def variations(
        self, trees: np.ndarray, actions: np.ndarray, max_length: int = 64
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each (tree, root move) pair: the line that starts with the move and follows the most visits.

        Returns (moves int32[K, D], visits int32[K, D] of each edge taken, length int32[K]) with D = max_length;
        a move without visits gets length 0.
        """
        trees = np.ascontiguousarray(trees, np.int32)
        actions = np.ascontiguousarray(actions, np.int32)
        moves = np.empty((trees.size, max_length), np.int32)
        visits = np.empty((trees.size, max_length), np.int32)
        length = np.empty(trees.size, np.int32)
        _kernels.move_variations(self.tree.arrays, trees, actions, moves, visits, length)
        return moves, visits, length


def _live_rows_to_front(planes: np.ndarray, terminal: np.ndarray) -> np.ndarray:
    """Move the non-terminal rows of ``planes`` to its first n rows, in place, and return int[n]: which leaf each of
    them is. Only the terminal rows among the first n are overwritten (by the live rows after them), so the network
    reads a view of a few rows' copies instead of a gathered copy of every live row (about 1 MB a call)."""
    live = np.flatnonzero(~terminal)
    n = live.size
    holes = np.flatnonzero(terminal[:n])
    fillers = live[n - holes.size :]  # the live rows at n or after: as many as the holes
    planes[holes] = planes[fillers]
    order = np.arange(n)
    order[holes] = fillers
    return order


def _evaluate(
    evaluator: Evaluator, planes: np.ndarray, score_centre: np.ndarray | None, scoring: bool = False, points: int = 0
):
    """(priors, values, margins or None, ownership float32[L, points] or None): evaluator.evaluate, with the
    positions' score centres where the evaluator asked for them; ``scoring``: evaluate_with_margin (the same priors
    and values, and the margins); ``points`` > 0: evaluate_heads (the same, and the ownership)."""
    centre = None if score_centre is None else score_centre.astype(np.float32)
    if points:
        priors, raw_values, margins, ownership = evaluator.evaluate_heads(planes)
        values = evaluator.utility(raw_values, margins, centre)
        margins = np.asarray(margins, np.float32) if scoring else None
        return priors, values, margins, np.reshape(ownership, (len(planes), points))
    if scoring:
        priors, values, margins = evaluator.evaluate_with_margin(planes, score_centre=centre)
        return priors, values, np.asarray(margins, np.float32), None
    if centre is None:
        return (*evaluator.evaluate(planes), None, None)
    return (*evaluator.evaluate(planes, score_centre=centre), None, None)


def _stdev(mean: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The standard deviation from the mean and the mean square (rounding can make their difference negative)."""
    return np.sqrt(np.maximum(second - mean * mean, 0.0)).astype(np.float32)


def _terminal_margins(game: SearchGame, roots: np.ndarray, paths: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """float32[L]: the game's final margins of terminal leaves (0 for a game without ``terminal_margins``)."""
    margins = getattr(game, "terminal_margins", None)
    if margins is None or roots.size == 0:
        return np.zeros(roots.size, np.float32)
    return np.asarray(margins(roots, paths, lengths), np.float32)


def _terminal_ownership(game: SearchGame, roots: np.ndarray, paths: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """float32[L, P]: the game's final owners at terminal leaves (0 for a game without ``terminal_ownership``)."""
    ownership = getattr(game, "terminal_ownership", None)
    if ownership is None or roots.size == 0:
        return 0.0
    return np.asarray(ownership(roots, paths, lengths), np.float32)
