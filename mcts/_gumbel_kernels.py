"""Numba kernels of the Gumbel root (Danihelka et al., ICLR 2022, "Policy improvement by planning with Gumbel"): the sequential-halving visit schedule, sigma(completed Q), the root's action choice and the improved policy (arrays only; imports nothing of ours).

Names from the paper (and mctx's ``gumbel_muzero_policy``, whose defaults we keep):
g(a) Gumbel noise, logits(a) = log P(a), m actions considered, n simulations;
completed Q(a) = Q(a) where N(a) > 0, else v_mix, the value mixed from the root's own
value and the prior-weighted Q of the visited actions (paper, appendix D);
sigma(q) = (c_visit + max_b N(b)) * c_scale * q, applied to completed Q rescaled to [0, 1]
over the legal actions. Root action of simulation k: among the considered actions whose
visits equal the schedule's ``considered_visit[k]``, the argmax of g + logits + sigma.
Improved policy (the training target): softmax(logits + sigma(completed Q)).
Row arrays of one root: legal bool[A], prior float32[A], visits int32[A], value_sum float32[A]
(value for the player to move at the root).
"""

from __future__ import annotations

import numpy as np
from numba import njit

NOT_CONSIDERED = -np.inf  # root score of an action outside the Gumbel-top-m sample (or illegal)


@njit(cache=True)
def considered_visit_sequence(num_considered, num_simulations, out):
    """out int32[>= n]: the visit count the root action picked at simulation k must already have (sequential halving).

    Phases of ceil(log2 m) rounds: each phase gives every remaining action
    max(1, floor(n / (ceil(log2 m) * remaining))) more visits, then halves the remaining actions
    (never below 2); a budget left after the last phase continues with the last two (mctx's
    ``get_sequence_of_considered_visits``). With m <= 1 the one action takes every simulation.
    """
    if num_considered <= 1:
        for k in range(num_simulations):
            out[k] = k
        return
    log2max = int(np.ceil(np.log2(num_considered)))
    visits = np.zeros(num_considered, np.int32)
    considered = num_considered
    k = 0
    while k < num_simulations:
        extra = max(1, num_simulations // (log2max * considered))
        for _ in range(extra):
            for i in range(considered):
                if k < num_simulations:
                    out[k] = visits[i]
                    k += 1
            for i in range(considered):
                visits[i] += 1
        considered = max(2, considered // 2)


@njit(cache=True)
def sample_root_scores(prior, legal, live, noise, noisy, num_considered, targets, root_scores, considered_visits):
    """Gumbel-top-m of every live root b: root_scores[b] = g + logits for its m sampled actions (NOT_CONSIDERED
    elsewhere), considered_visits[b] its schedule for targets[b] simulations. prior float32[B, A], legal bool[B, A];
    noise float64[B, A]: where noisy[b], g of the k-th legal action (in index order) is noise[b, k], else 0; m =
    min(num_considered, legal actions); ties keep the lower action first."""
    batch, num_actions = prior.shape
    for b in range(batch):
        for a in range(num_actions):
            root_scores[b, a] = NOT_CONSIDERED
        if not live[b] or targets[b] == 0:
            continue
        actions = np.flatnonzero(legal[b])
        count = actions.shape[0]
        if count == 0:
            continue
        logits = np.empty(count)
        for k in range(count):
            logits[k] = np.log(max(np.float64(prior[b, actions[k]]), 1e-30))
            if noisy[b]:
                logits[k] += noise[b, k]
        m = min(num_considered, count)
        top = np.argsort(-logits, kind="mergesort")[:m]
        for k in top:
            root_scores[b, actions[k]] = logits[k]
        considered_visit_sequence(m, targets[b], considered_visits[b])


@njit(cache=True)
def sigma_completed_q(raw_value, legal, prior, visits, value_sum, c_visit, c_scale, out):
    """sigma(completed Q) of every action into out float64[A] (0 for illegal ones); raw_value = the root's network value."""
    num_actions = legal.shape[0]
    sum_n = 0.0
    sum_p = 0.0
    weighted_q = 0.0
    max_n = 0
    for a in range(num_actions):
        if legal[a] and visits[a] > 0:
            p = max(prior[a], 1e-30)
            sum_n += visits[a]
            sum_p += p
            weighted_q += p * value_sum[a] / visits[a]
            max_n = max(max_n, visits[a])
    mixed = raw_value if sum_n == 0.0 else (raw_value + sum_n * weighted_q / sum_p) / (sum_n + 1.0)
    low = np.inf
    high = -np.inf
    for a in range(num_actions):
        q = 0.0
        if legal[a]:
            q = value_sum[a] / visits[a] if visits[a] > 0 else mixed
            low = min(low, q)
            high = max(high, q)
        out[a] = q
    scale = (c_visit + max_n) * c_scale
    spread = max(high - low, 1e-8)
    for a in range(num_actions):
        out[a] = scale * (out[a] - low) / spread if legal[a] else 0.0


@njit(cache=True)
def select_root_action(b, considered_visit, scores, visits, virtual, sigma):
    """Tree b's root action for one simulation: argmax of scores + sigma among considered actions with N + in-flight == considered_visit.

    scores float64[B, A]: g + logits for the Gumbel-top-m actions, NOT_CONSIDERED elsewhere; visits, virtual
    int32[B, capacity, A] (children visits, selections in flight; the root is node 0); sigma float64[A]: the root's
    sigma_completed_q (constant while no value is backed up, so one call serves a step's descents). If no action
    has that count (a dropped descent), the considered actions with the fewest visits compete. Returns -1 if no
    action is considered. Indexed in place: row views cost atomic reference counts (Numba).
    """
    best = -1
    best_score = -np.inf
    fewest = 2**30
    for a in range(scores.shape[1]):
        if scores[b, a] == NOT_CONSIDERED:
            continue
        n = visits[b, 0, a] + virtual[b, 0, a]
        if n == considered_visit:
            s = scores[b, a] + sigma[a]
            if s > best_score:
                best_score = s
                best = a
        fewest = min(fewest, n)
    if best >= 0 or fewest == 2**30:
        return best
    for a in range(scores.shape[1]):
        if (
            scores[b, a] != NOT_CONSIDERED
            and visits[b, 0, a] + virtual[b, 0, a] == fewest
            and scores[b, a] + sigma[a] > best_score
        ):
            best_score = scores[b, a] + sigma[a]
            best = a
    return best


@njit(cache=True)
def root_outputs(tree, scores, c_visit, c_scale, improved_policy, chosen):
    """After the search: the improved policy softmax(logits + sigma(completed Q)) float32[B, A] and the chosen action int32[B].

    Chosen: among the considered actions with the most visits, the argmax of g + logits + sigma (the
    action sequential halving ends on); -1 and a zero policy for an empty or terminal root.
    ``tree``: mcts._arrays.TreeArrays (node 0 = root); scores float64[B, A] as in select_root_action.
    """
    node_count = tree.node_count
    terminal = tree.terminal
    raw_value = tree.raw_value
    legal = tree.legal
    children_prior = tree.children_prior
    children_visits = tree.children_visits
    children_value_sum = tree.children_value_sum
    num_trees, num_actions = scores.shape
    sigma = np.empty(num_actions, np.float64)
    for b in range(num_trees):
        for a in range(num_actions):
            improved_policy[b, a] = 0.0
        chosen[b] = -1
        if node_count[b] == 0 or terminal[b, 0]:
            continue
        sigma_completed_q(
            raw_value[b, 0],
            legal[b, 0],
            children_prior[b, 0],
            children_visits[b, 0],
            children_value_sum[b, 0],
            c_visit,
            c_scale,
            sigma,
        )
        top = -np.inf
        for a in range(num_actions):
            if legal[b, 0, a] and children_prior[b, 0, a] > 0.0:
                top = max(top, np.log(children_prior[b, 0, a]) + sigma[a])
        total = 0.0
        for a in range(num_actions):
            if legal[b, 0, a] and children_prior[b, 0, a] > 0.0:
                w = np.exp(np.log(children_prior[b, 0, a]) + sigma[a] - top)
                improved_policy[b, a] = w
                total += w
        for a in range(num_actions):
            improved_policy[b, a] /= total if total > 0.0 else 1.0
        most = -1
        for a in range(num_actions):
            if scores[b, a] != NOT_CONSIDERED:
                most = max(most, children_visits[b, 0, a])
        best_score = -np.inf
        for a in range(num_actions):
            if (
                scores[b, a] != NOT_CONSIDERED
                and children_visits[b, 0, a] == most
                and scores[b, a] + sigma[a] > best_score
            ):
                best_score = scores[b, a] + sigma[a]
                chosen[b] = a
