"""Numba kernels of the batched PUCT search: PUCT scores, leaf selection with virtual loss, expansion + backup, subtree reuse, principal variation (arrays and scalars only; imports nothing of ours).

Every kernel works on the tree arrays described in ``mcts.tree`` (b = tree in the batch,
n = node, a = action), passed as one ``tree`` argument (mcts._arrays.TreeArrays), and the
leaves of a step as one ``leaves`` argument (LeafBatch); shapes and dtypes are in mcts._arrays.
Value perspective: a node's ``node_value_sum`` is from the player to move AT that node;
an edge's ``children_value_sum[b, n, a]`` is from the player to move at the PARENT n,
so Q(n, a) = W / N needs no sign flip at selection time and backup flips once per ply.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mcts._gumbel_kernels import select_root_action, sigma_completed_q

# Sentinels (mirrored by name in mcts.tree).
UNVISITED = -1  # children_index of an edge whose child node does not exist yet
NO_PARENT = -1  # parent of a root
NO_ACTION = -1  # action into a root; padding of principal variations
ROOT = 0  # node index of every root (node i = the i-th node created in that tree)

# Slots of the float64 ``constants`` array passed to the selection kernels.
C_INIT = 0
C_BASE = 1
FPU_REDUCTION = 2
FPU_ROOT_REDUCTION = 3
VIRTUAL_LOSS = 4
GUMBEL_C_VISIT = 5  # sigma's c_visit (Gumbel root only)
GUMBEL_C_SCALE = 6  # sigma's c_scale (Gumbel root only)
FORCED_PLAYOUTS_K = 7  # KataGo's k of forced playouts at the root (0 = off)
NUM_CONSTANTS = 8


@njit(cache=True, inline="always")
def _exploration(b, node, constants, node_visits, node_virtual):
    """c(s) * sqrt(N(s)) with c(s) = log((1 + N(s) + c_base) / c_base) + c_init, virtual visits counted in N(s)."""
    parent_n = node_visits[b, node] + constants[VIRTUAL_LOSS] * node_virtual[b, node]
    c_base = constants[C_BASE]
    return (np.log((1.0 + parent_n + c_base) / c_base) + constants[C_INIT]) * np.sqrt(parent_n)


@njit(cache=True)
def puct_scores(
    b,
    node,
    constants,
    legal,
    children_prior,
    children_visits,
    children_value_sum,
    children_virtual,
    node_visits,
    node_value_sum,
    node_virtual,
    out,
):
    """PUCT score of every action at node ``node`` of tree ``b`` into ``out`` (float64[A]); illegal -> -inf.

    score(a) = Q(a) + c(s) * P(a) * sqrt(N(s)) / (1 + N(a))      (AlphaZero, Silver et al. 2018)
    c(s) = log((1 + N(s) + c_base) / c_base) + c_init
    N counts virtual visits: each in-flight selection through an edge adds ``virtual_loss``
    visits of value -1 (for the player choosing the edge). An unvisited edge takes the
    first-play-urgency value  Q(s) - reduction * sqrt(sum of P over visited edges)
    (Leela Zero), where Q(s) is the node's own mean value and the reduction is
    ``fpu_root_reduction`` at the root, ``fpu_reduction`` elsewhere.
    legal: bool[B,M,A]; children_prior/children_value_sum: float32[B,M,A];
    children_visits/children_virtual: int32[B,M,A]; node_visits/node_virtual: int32[B,M];
    node_value_sum: float32[B,M]; constants: float64[NUM_CONSTANTS].
    """
    num_actions = legal.shape[2]
    virtual_loss = constants[VIRTUAL_LOSS]
    explore = _exploration(b, node, constants, node_visits, node_virtual)
    visited_mass = 0.0
    for a in range(num_actions):
        if legal[b, node, a] and children_visits[b, node, a] + children_virtual[b, node, a] > 0:
            visited_mass += children_prior[b, node, a]
    reduction = constants[FPU_ROOT_REDUCTION] if node == ROOT else constants[FPU_REDUCTION]
    parent_q = node_value_sum[b, node] / max(node_visits[b, node], 1)
    fpu = parent_q - reduction * np.sqrt(visited_mass)
    for a in range(num_actions):
        if not legal[b, node, a]:
            out[a] = -np.inf
            continue
        virtual = virtual_loss * children_virtual[b, node, a]
        n_eff = children_visits[b, node, a] + virtual
        if n_eff > 0.0:
            q = (children_value_sum[b, node, a] - virtual) / n_eff
        else:
            q = fpu
        out[a] = q + explore * children_prior[b, node, a] / (1.0 + n_eff)


@njit(cache=True)
def select_child(
    b,
    node,
    constants,
    legal,
    children_prior,
    children_visits,
    children_value_sum,
    children_virtual,
    node_visits,
    node_value_sum,
    node_virtual,
):
    """argmax over a of ``puct_scores`` (first on ties) in one pass; NO_ACTION if no legal action.

    Every unvisited edge gets the same FPU value, so among them the highest prior wins and the
    visited prior mass (needed for FPU) can be summed in the same pass. Same arrays as puct_scores.
    """
    num_actions = legal.shape[2]
    virtual_loss = constants[VIRTUAL_LOSS]
    explore = _exploration(b, node, constants, node_visits, node_virtual)
    visited_mass = 0.0
    best_visited = NO_ACTION
    best_visited_score = -np.inf
    best_unvisited = NO_ACTION
    best_unvisited_prior = -np.inf
    for a in range(num_actions):
        if not legal[b, node, a]:
            continue
        prior = children_prior[b, node, a]
        visits = children_visits[b, node, a]
        in_flight = children_virtual[b, node, a]
        if visits + in_flight > 0:
            visited_mass += prior
        virtual = virtual_loss * in_flight
        n_eff = visits + virtual
        if n_eff > 0.0:
            score = (children_value_sum[b, node, a] - virtual) / n_eff + explore * prior / (1.0 + n_eff)
            if score > best_visited_score:
                best_visited_score = score
                best_visited = a
        elif prior > best_unvisited_prior:
            best_unvisited_prior = prior
            best_unvisited = a
    if best_unvisited == NO_ACTION:
        return best_visited
    reduction = constants[FPU_ROOT_REDUCTION] if node == ROOT else constants[FPU_REDUCTION]
    parent_q = node_value_sum[b, node] / max(node_visits[b, node], 1)
    fpu = parent_q - reduction * np.sqrt(visited_mass)
    unvisited_score = fpu + explore * best_unvisited_prior / (1.0 + 0.0)
    if unvisited_score > best_visited_score or (
        unvisited_score == best_visited_score and best_unvisited < best_visited
    ):
        return best_unvisited
    return best_visited


@njit(cache=True)
def _revert_virtual(b, paths, row, depth, tree):
    """Undo the virtual visits that a descent along ``paths[row, :depth]`` from the root added."""
    children_virtual = tree.children_virtual
    node_virtual = tree.node_virtual
    children_index = tree.children_index
    node = ROOT
    for d in range(depth):
        a = paths[row, d]
        children_virtual[b, node, a] -= 1
        node_virtual[b, node] -= 1
        node = children_index[b, node, a]


@njit(cache=True)
def _forced_child(b, k, tree):
    """The first legal root child with fewer visits (in flight included) than it is owed, floor(sqrt(k * P * root
    visits)) whole playouts, NO_ACTION if none. Owed playouts are whole: with a real-valued bound every unvisited child
    was owed one, so at 32 simulations the forcing visited the first legal moves in board order instead of searching."""
    legal = tree.legal
    children_prior = tree.children_prior
    children_visits = tree.children_visits
    children_virtual = tree.children_virtual
    children_index = tree.children_index
    total = tree.node_visits[b, ROOT] - 1
    if total <= 0:
        return NO_ACTION
    for a in range(legal.shape[2]):
        if not legal[b, ROOT, a]:
            continue
        in_flight = children_virtual[b, ROOT, a]
        if children_index[b, ROOT, a] == UNVISITED and in_flight > 0:
            continue  # its first visit is on its way: forcing it again would collide
        if children_visits[b, ROOT, a] + in_flight < np.floor(np.sqrt(k * children_prior[b, ROOT, a] * total)):
            return a
    return NO_ACTION


@njit(cache=True)
def select_leaves(target_visits, leaves_per_tree, constants, tree, leaves, root_rules):
    """Select up to ``leaves_per_tree`` leaves in each of the B trees, adding virtual loss on their paths.

    A tree takes part when its root exists, is not terminal and has fewer root visits than
    ``target_visits[b]`` (int32[B]; root visits = node_visits[b, ROOT] - 1). Descent follows
    the highest PUCT score and ends at
      - an edge with no child yet: a NEW leaf, to be evaluated; its path of actions from the root
        is written to ``leaves.eval_paths[slot, :depth]`` and ``leaves.eval_root[slot] = b``;
      - an existing terminal node (or one without legal moves): a REVISIT, backed up with its stored value.
    A descent that reaches an edge already chosen by an earlier NEW leaf of this step
    (a collision) is undone and dropped, so the step may return fewer leaves than asked;
    the first descent of a tree in a step never collides. NEW leaves stop when the tree is full.
    Outputs in ``leaves`` (mcts._arrays.LeafBatch, K = B * leaves_per_tree rows): node = parent of a NEW
    leaf or the revisited node; action = edge of a NEW leaf; slot = row in the eval arrays, -1 for a
    revisit. Returns (num_leaves, num_new).
    Roots (``root_rules``, mcts._arrays.RootRules). Gumbel root (``root_rules.gumbel``): the root's action is not PUCT's but sequential halving's
    (mcts._gumbel_kernels.select_root_action): simulation k of tree b (k = root visits + in-flight
    - start_visits[b]) takes among the considered actions (root_scores float64[B,A] = g + logits,
    -inf outside the sample) one whose visits equal considered_visits[b, k] (int32[B,S]). Below the root: PUCT.
    Forced playouts (KataGo, Wu 2019 section 3.1; ``root_rules.forced[b]`` and constants[FORCED_PLAYOUTS_K] = k > 0):
    at the root, the first legal child with fewer visits (in flight included) than floor(sqrt(k * P * root visits)) is
    taken before PUCT is asked; a child whose first visit is in flight is not forced again in the same step.
    """
    node_count = tree.node_count
    legal = tree.legal
    node_visits = tree.node_visits
    terminal = tree.terminal
    node_virtual = tree.node_virtual
    raw_value = tree.raw_value
    children_prior = tree.children_prior
    children_visits = tree.children_visits
    children_virtual = tree.children_virtual
    children_value_sum = tree.children_value_sum
    children_index = tree.children_index
    node_value_sum = tree.node_value_sum
    leaf_eval_paths = leaves.eval_paths
    leaf_tree = leaves.tree
    leaf_node = leaves.node
    leaf_action = leaves.action
    leaf_slot = leaves.slot
    leaf_eval_root = leaves.eval_root
    leaf_eval_length = leaves.eval_length
    gumbel_considered_visits = root_rules.considered_visits
    gumbel = root_rules.gumbel
    gumbel_start_visits = root_rules.start_visits
    gumbel_root_scores = root_rules.root_scores
    forced_roots = root_rules.forced
    forced_k = constants[FORCED_PLAYOUTS_K]
    num_trees = node_count.shape[0]
    num_actions = legal.shape[2]
    sigma = np.empty(num_actions, np.float64)
    last_k = gumbel_considered_visits.shape[1] - 1
    capacity = node_visits.shape[1]
    max_depth = leaf_eval_paths.shape[1]
    num_leaves = 0
    num_new = 0
    for b in range(num_trees):
        if node_count[b] == 0 or terminal[b, ROOT]:
            continue
        budget = min(leaves_per_tree, target_visits[b] - (node_visits[b, ROOT] - 1))
        new_here = 0
        sigma_ready = False
        for _ in range(budget):
            node = ROOT
            depth = 0
            is_new = False
            collided = False
            while True:
                if terminal[b, node]:
                    break
                a = _forced_child(b, forced_k, tree) if node == ROOT and forced_roots[b] else NO_ACTION
                if a == NO_ACTION and gumbel and node == ROOT:
                    k = min(
                        max(node_visits[b, ROOT] - 1 + node_virtual[b, ROOT] - gumbel_start_visits[b], 0),
                        last_k,
                    )
                    if not sigma_ready:  # no value is backed up during the call: one sigma serves its descents
                        sigma_completed_q(
                            raw_value[b, ROOT],
                            legal[b, ROOT],
                            children_prior[b, ROOT],
                            children_visits[b, ROOT],
                            children_value_sum[b, ROOT],
                            constants[GUMBEL_C_VISIT],
                            constants[GUMBEL_C_SCALE],
                            sigma,
                        )
                        sigma_ready = True
                    a = select_root_action(
                        b, gumbel_considered_visits[b, k], gumbel_root_scores, children_visits, children_virtual, sigma
                    )
                elif a == NO_ACTION:
                    a = select_child(
                        b,
                        node,
                        constants,
                        legal,
                        children_prior,
                        children_visits,
                        children_value_sum,
                        children_virtual,
                        node_visits,
                        node_value_sum,
                        node_virtual,
                    )
                if a == NO_ACTION:
                    break  # no legal move: valued like a terminal node, with its stored value
                child = children_index[b, node, a]
                if child == UNVISITED and children_virtual[b, node, a] > 0:
                    collided = True
                    break
                if depth >= max_depth:
                    collided = True  # cannot record a longer path; treat as a dropped descent
                    break
                children_virtual[b, node, a] += 1
                node_virtual[b, node] += 1
                leaf_eval_paths[num_new, depth] = a  # in place: a row view would cost atomic refcounts
                depth += 1
                if child == UNVISITED:
                    is_new = True
                    break
                node = child
            if is_new and node_count[b] + new_here >= capacity:
                collided = True
            if collided:
                _revert_virtual(b, leaf_eval_paths, num_new, depth, tree)
                if is_new:
                    break  # tree full
                continue
            leaf_tree[num_leaves] = b
            leaf_node[num_leaves] = node
            if is_new:
                leaf_action[num_leaves] = leaf_eval_paths[num_new, depth - 1]
                leaf_slot[num_leaves] = num_new
                leaf_eval_root[num_new] = b
                leaf_eval_length[num_new] = depth
                num_new += 1
                new_here += 1
            else:
                leaf_action[num_leaves] = NO_ACTION
                leaf_slot[num_leaves] = -1
            num_leaves += 1
    return num_leaves, num_new


@njit(cache=True, inline="always")
def _init_node(b, node, parent_node, action, value, score, is_terminal, legal_row, prior_row, tree):
    """Write node ``node`` of tree ``b``: its scalars and its child rows (priors masked and normalised over legal moves)."""
    legal = tree.legal
    parent = tree.parent
    action_from_parent = tree.action_from_parent
    terminal = tree.terminal
    raw_value = tree.raw_value
    node_visits = tree.node_visits
    node_value_sum = tree.node_value_sum
    node_value_sq_sum = tree.node_value_sq_sum
    node_virtual = tree.node_virtual
    children_index = tree.children_index
    children_visits = tree.children_visits
    children_value_sum = tree.children_value_sum
    children_virtual = tree.children_virtual
    children_prior = tree.children_prior
    num_actions = legal.shape[2]
    parent[b, node] = parent_node
    action_from_parent[b, node] = action
    terminal[b, node] = is_terminal
    raw_value[b, node] = value
    node_visits[b, node] = 0
    node_value_sum[b, node] = 0.0
    node_value_sq_sum[b, node] = 0.0
    tree.raw_score[b, node] = score
    tree.node_score_sum[b, node] = 0.0
    node_virtual[b, node] = 0
    total = 0.0
    count = 0
    for a in range(num_actions):
        ok = (not is_terminal) and legal_row[a]
        legal[b, node, a] = ok
        children_index[b, node, a] = UNVISITED
        children_visits[b, node, a] = 0
        children_value_sum[b, node, a] = 0.0
        children_virtual[b, node, a] = 0
        p = 0.0
        if ok:
            count += 1
            p = max(prior_row[a], 0.0)
            if not np.isfinite(p):
                p = 0.0
        children_prior[b, node, a] = p
        total += p
    for a in range(num_actions):
        if legal[b, node, a]:
            # A network may put all its mass on illegal moves: fall back to uniform over legal ones.
            children_prior[b, node, a] = children_prior[b, node, a] / total if total > 0.0 else 1.0 / count


@njit(cache=True, inline="always")
def _backup(b, node, value, score, tree):
    """Add one visit of ``value`` (for the player to move at ``node``) to the node and every edge above it, flipping sign per ply and removing the virtual visits.

    ``node_value_sq_sum`` gains value**2 on every node of the path (the square needs no sign flip):
    with the visits and the value sum it gives each node's value variance, for the LCB.
    ``node_score_sum`` gains ``score`` (a final margin, same perspective and sign flips as the value).
    """
    node_score_sum = tree.node_score_sum
    node_visits = tree.node_visits
    node_value_sum = tree.node_value_sum
    node_value_sq_sum = tree.node_value_sq_sum
    parent = tree.parent
    action_from_parent = tree.action_from_parent
    children_visits = tree.children_visits
    children_value_sum = tree.children_value_sum
    children_virtual = tree.children_virtual
    node_virtual = tree.node_virtual
    square = value * value
    node_visits[b, node] += 1
    node_value_sum[b, node] += value
    node_value_sq_sum[b, node] += square
    node_score_sum[b, node] += score
    child = node
    v = value
    s = score
    while parent[b, child] != NO_PARENT:
        p = parent[b, child]
        a = action_from_parent[b, child]
        v = -v  # now for the player to move at p
        s = -s
        node_score_sum[b, p] += s
        children_visits[b, p, a] += 1
        children_value_sum[b, p, a] += v
        children_virtual[b, p, a] -= 1
        node_visits[b, p] += 1
        node_value_sum[b, p] += v
        node_value_sq_sum[b, p] += square
        node_virtual[b, p] -= 1
        child = p


@njit(cache=True)
def expand_and_backup(num_leaves, leaves, evals, tree):
    """Create the node of every NEW leaf (in leaf order) and back up every leaf's value to its root.

    A terminal NEW leaf is valued by ``evals.terminal_value`` (the game result), never by the
    evaluator. Leaves are processed one by one in the order selected, so the tree after this
    call equals the tree that sequential search would build from the same leaves.
    ``evals`` (mcts._arrays.LeafEvaluations) is indexed by ``leaves.slot``.
    """
    node_count = tree.node_count
    children_index = tree.children_index
    raw_value = tree.raw_value
    leaf_tree = leaves.tree
    leaf_slot = leaves.slot
    leaf_node = leaves.node
    leaf_action = leaves.action
    eval_terminal = evals.terminal
    eval_terminal_value = evals.terminal_value
    eval_values = evals.values
    eval_legal = evals.legal
    eval_priors = evals.priors
    eval_scores = evals.scores
    scored = eval_scores.shape[0] > 0
    raw_ownership = tree.raw_ownership
    eval_ownership = evals.ownership
    owned = min(raw_ownership.shape[2], eval_ownership.shape[1])  # 0 where ownership is not tracked
    for k in range(num_leaves):
        b = leaf_tree[k]
        slot = leaf_slot[k]
        if slot >= 0:
            p = leaf_node[k]
            a = leaf_action[k]
            node = node_count[b]
            node_count[b] += 1
            is_terminal = eval_terminal[slot]
            value = eval_terminal_value[slot] if is_terminal else eval_values[slot]
            score = eval_scores[slot] if scored else 0.0
            _init_node(b, node, p, a, value, score, is_terminal, eval_legal[slot], eval_priors[slot], tree)
            for point in range(owned):
                raw_ownership[b, node, point] = eval_ownership[slot, point]
            children_index[b, p, a] = node
        else:
            node = leaf_node[k]
            value = raw_value[b, node]
            score = tree.raw_score[b, node]
        _backup(b, node, value, score, tree)


@njit(cache=True)
def expand_roots(trees, priors, values, scores, ownership, root_legal, root_terminal, root_terminal_value, tree):
    """Create the root (node 0, one visit) of each tree in ``trees`` (int32[R]).

    priors float32[R,A], values float32[R], scores float32[R] (final margins, the game's at terminal roots; 0
    where scores are not tracked) and ownership float32[R,P] (P = 0 where it is not tracked) belong to ``trees``
    in order (the priors and values of terminal roots are ignored); root_legal bool[B,A], root_terminal bool[B],
    root_terminal_value float32[B] cover all B trees.
    """
    node_count = tree.node_count
    node_visits = tree.node_visits
    node_value_sum = tree.node_value_sum
    node_value_sq_sum = tree.node_value_sq_sum
    owned = min(tree.raw_ownership.shape[2], ownership.shape[1])
    for r in range(trees.shape[0]):
        b = trees[r]
        is_terminal = root_terminal[b]
        value = root_terminal_value[b] if is_terminal else values[r]
        _init_node(b, ROOT, NO_PARENT, NO_ACTION, value, scores[r], is_terminal, root_legal[b], priors[r], tree)
        for point in range(owned):
            tree.raw_ownership[b, ROOT, point] = ownership[r, point]
        node_count[b] = 1
        node_visits[b, ROOT] = 1
        node_value_sum[b, ROOT] = value
        node_value_sq_sum[b, ROOT] = value * value
        tree.node_score_sum[b, ROOT] = scores[r]


@njit(cache=True)
def keep_subtree(b, new_root, new_index, tree):
    """Make node ``new_root`` of tree ``b`` the root, keeping its subtree renumbered 0..K-1 in creation order.

    Works in place: a parent is always created before its children, so kept nodes only move to
    lower indices and one forward pass both marks and copies. new_index: int32[M] scratch.
    Returns the number of kept nodes K (also stored in node_count[b]).
    """
    node_count = tree.node_count
    parent = tree.parent
    action_from_parent = tree.action_from_parent
    terminal = tree.terminal
    raw_value = tree.raw_value
    node_visits = tree.node_visits
    node_value_sum = tree.node_value_sum
    node_value_sq_sum = tree.node_value_sq_sum
    node_virtual = tree.node_virtual
    legal = tree.legal
    children_index = tree.children_index
    children_prior = tree.children_prior
    children_visits = tree.children_visits
    children_value_sum = tree.children_value_sum
    children_virtual = tree.children_virtual
    count = node_count[b]
    for n in range(count):
        new_index[n] = -1
    kept = 0
    for n in range(new_root, count):
        if n == new_root or (parent[b, n] != NO_PARENT and new_index[parent[b, n]] >= 0):
            new_index[n] = kept
            kept += 1
    for n in range(new_root, count):
        m = new_index[n]
        if m < 0:
            continue
        if n == new_root:
            parent[b, m] = NO_PARENT
            action_from_parent[b, m] = NO_ACTION
        else:
            parent[b, m] = new_index[parent[b, n]]
            action_from_parent[b, m] = action_from_parent[b, n]
        terminal[b, m] = terminal[b, n]
        raw_value[b, m] = raw_value[b, n]
        node_visits[b, m] = node_visits[b, n]
        node_value_sum[b, m] = node_value_sum[b, n]
        node_value_sq_sum[b, m] = node_value_sq_sum[b, n]
        tree.raw_score[b, m] = tree.raw_score[b, n]
        tree.node_score_sum[b, m] = tree.node_score_sum[b, n]
        for point in range(tree.raw_ownership.shape[2]):
            tree.raw_ownership[b, m, point] = tree.raw_ownership[b, n, point]
        node_virtual[b, m] = 0
        for a in range(legal.shape[2]):
            c = children_index[b, n, a]
            children_index[b, m, a] = new_index[c] if c != UNVISITED else UNVISITED
            legal[b, m, a] = legal[b, n, a]
            children_prior[b, m, a] = children_prior[b, n, a]
            children_visits[b, m, a] = children_visits[b, n, a]
            children_value_sum[b, m, a] = children_value_sum[b, n, a]
            children_virtual[b, m, a] = 0
    node_count[b] = kept
    return kept


@njit(cache=True)
def principal_variations(tree, out, out_length):
    """Most-visited line from each root (first action on ties) into out int32[B, D] (padded NO_ACTION), lengths into out_length int32[B]."""
    node_count = tree.node_count
    children_visits = tree.children_visits
    children_index = tree.children_index
    for b in range(node_count.shape[0]):
        length = 0
        node = ROOT
        while node_count[b] > 0 and length < out.shape[1]:
            best = NO_ACTION
            best_visits = 0
            for a in range(children_visits.shape[2]):
                if children_visits[b, node, a] > best_visits:
                    best_visits = children_visits[b, node, a]
                    best = a
            if best == NO_ACTION:
                break
            out[b, length] = best
            length += 1
            node = children_index[b, node, best]
            if node == UNVISITED:
                break
        for d in range(length, out.shape[1]):
            out[b, d] = NO_ACTION
        out_length[b] = length


@njit(cache=True)
def move_variations(tree, request_tree, actions, out, out_visits, out_length):
    """The line that starts with root move ``actions[k]`` of tree ``request_tree[k]`` and then follows the most visits (first on ties).

    One row per request k: out int32[K, D] (padded NO_ACTION), out_visits int32[K, D] (N of each edge taken),
    out_length int32[K] (0 when the move has no visits). request_tree/actions int32[K].
    """
    node_count = tree.node_count
    children_visits = tree.children_visits
    children_index = tree.children_index
    for k in range(request_tree.shape[0]):
        b = request_tree[k]
        a = actions[k]
        length = 0
        node = ROOT
        while node_count[b] > 0 and length < out.shape[1] and a != NO_ACTION and children_visits[b, node, a] > 0:
            out[k, length] = a
            out_visits[k, length] = children_visits[b, node, a]
            length += 1
            node = children_index[b, node, a]
            if node == UNVISITED:
                break
            a = NO_ACTION
            best_visits = 0
            for c in range(children_visits.shape[2]):
                if children_visits[b, node, c] > best_visits:
                    best_visits = children_visits[b, node, c]
                    a = c
        for d in range(length, out.shape[1]):
            out[k, d] = NO_ACTION
            out_visits[k, d] = 0
        out_length[k] = length


@njit(cache=True)
def tree_ownership(tree, mean, second, move_mean, move_second, move_weight):
    """Each tree's ownership averaged over its search (KataGo's ownership, ownershipStdev and movesOwnership), all
    for the player to move at the root (+1 = that player owns the point).

    Every node counts with the weight of its own evaluations: 1, or its visits at a terminal node (each visit
    there is the game's final area again). A node's ownership is for its own player to move, so it changes sign
    at each ply. Writes, for tree b and point p: mean[b, p] and second[b, p], the weighted mean of the ownership
    and of its square over the whole tree (root included); move_mean[b, a, p] and move_second[b, a, p] the same
    over the subtree of root move a, move_weight[b, a] its total weight (0: not searched, the means are 0); with
    move arrays of no moves (shape [B, 0, P], [B, 0]) the tree's only.
    """
    node_count = tree.node_count
    parent = tree.parent
    action_from_parent = tree.action_from_parent
    terminal = tree.terminal
    node_visits = tree.node_visits
    raw_ownership = tree.raw_ownership
    points = raw_ownership.shape[2]
    per_move = move_weight.shape[1] > 0
    mean[:] = 0.0
    second[:] = 0.0
    move_mean[:] = 0.0
    move_second[:] = 0.0
    move_weight[:] = 0.0
    sign = np.empty(raw_ownership.shape[1], np.float32)
    top = np.empty(raw_ownership.shape[1], np.int32)  # the root move each node lies under (NO_ACTION: the root)
    for b in range(node_count.shape[0]):
        count = node_count[b]
        total = 0.0
        for n in range(count):  # a parent is always created before its children
            if n == ROOT:
                sign[n] = 1.0
                top[n] = NO_ACTION
            else:
                up = parent[b, n]
                sign[n] = -sign[up]
                top[n] = action_from_parent[b, n] if up == ROOT else top[up]
            weight = float(max(node_visits[b, n], 1)) if terminal[b, n] else 1.0
            total += weight
            a = top[n] if per_move else NO_ACTION
            if a != NO_ACTION:
                move_weight[b, a] += weight
            for p in range(points):
                v = sign[n] * raw_ownership[b, n, p]
                mean[b, p] += weight * v
                second[b, p] += weight * v * v
                if a != NO_ACTION:
                    move_mean[b, a, p] += weight * v
                    move_second[b, a, p] += weight * v * v
        if total > 0:
            for p in range(points):
                mean[b, p] /= total
                second[b, p] /= total
        for a in range(move_weight.shape[1]):
            w = move_weight[b, a]
            if w > 0:
                for p in range(points):
                    move_mean[b, a, p] /= w
                    move_second[b, a, p] /= w
