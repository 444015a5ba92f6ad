"""PUCT scores against hand-computed numbers, virtual loss reverted exactly, visit policies, parameter validation."""

import math

import numpy as np
import pytest

from games.tictactoe import RolloutEvaluator, TicTacToe, TicTacToeBatch
from mcts import BatchedSearch, SearchParams, Tree, _kernels, visit_policy
from mcts._arrays import LeafBatch


def _constants(c_init=1.25, c_base=19652.0, fpu=0.25, fpu_root=0.1, virtual_loss=1.0):
    out = np.zeros(_kernels.NUM_CONSTANTS)
    out[
        [_kernels.C_INIT, _kernels.C_BASE, _kernels.FPU_REDUCTION, _kernels.FPU_ROOT_REDUCTION, _kernels.VIRTUAL_LOSS]
    ] = (c_init, c_base, fpu, fpu_root, virtual_loss)
    return out


def _small_tree():
    """One root, three legal actions, priors .5/.3/.2; a0 visited 6 times (W=+3), a1 4 times (W=-1), a2 never; a3 illegal."""
    tree = Tree.allocate(1, 4, 4)
    tree.node_count[0] = 1
    tree.legal[0, 0] = [True, True, True, False]
    tree.children_prior[0, 0] = [0.5, 0.3, 0.2, 0.0]
    tree.children_visits[0, 0] = [6, 4, 0, 0]
    tree.children_value_sum[0, 0] = [3.0, -1.0, 0.0, 0.0]
    tree.children_virtual[0, 0] = 0
    tree.node_visits[0, 0] = 11
    tree.node_value_sum[0, 0] = 2.2  # Q(s) = 0.2
    tree.node_virtual[0, 0] = 0
    return tree


def _scores(tree, node, constants):
    out = np.empty(tree.num_actions)
    _kernels.puct_scores(
        0,
        node,
        constants,
        tree.legal,
        tree.children_prior,
        tree.children_visits,
        tree.children_value_sum,
        tree.children_virtual,
        tree.node_visits,
        tree.node_value_sum,
        tree.node_virtual,
        out,
    )
    return out


def test_puct_scores_match_hand_computation():
    tree = _small_tree()
    scores = _scores(tree, 0, _constants(c_init=1.25, c_base=100.0, fpu_root=0.1))
    c = math.log((1 + 11 + 100) / 100) + 1.25  # = 1.3633...
    assert scores[0] == pytest.approx(0.5 + c * 0.5 * math.sqrt(11) / 7)  # Q = 3/6
    assert scores[1] == pytest.approx(-0.25 + c * 0.3 * math.sqrt(11) / 5)  # Q = -1/4
    # unvisited: FPU = Q(s) - 0.1 * sqrt(0.5 + 0.3)
    assert scores[2] == pytest.approx(0.2 - 0.1 * math.sqrt(0.8) + c * 0.2 * math.sqrt(11) / 1)
    assert scores[3] == -np.inf


def test_virtual_loss_counts_as_lost_visits():
    tree = _small_tree()
    tree.children_virtual[0, 0, 1] = 2
    tree.node_virtual[0, 0] = 2
    scores = _scores(tree, 0, _constants(c_base=100.0, virtual_loss=1.0))
    c = math.log((1 + 13 + 100) / 100) + 1.25
    assert scores[1] == pytest.approx((-1.0 - 2.0) / 6 + c * 0.3 * math.sqrt(13) / 7)
    assert scores[0] == pytest.approx(0.5 + c * 0.5 * math.sqrt(13) / 7)


def test_fpu_reduction_applies_below_the_root_too():
    tree = Tree.allocate(1, 4, 2)
    tree.node_count[0] = 2
    for n in (0, 1):
        tree.legal[0, n] = True
        tree.children_prior[0, n] = [0.75, 0.25]
        tree.children_visits[0, n] = [3, 0]
        tree.children_value_sum[0, n] = [0.0, 0.0]
        tree.children_virtual[0, n] = 0
        tree.node_visits[0, n] = 4
        tree.node_value_sum[0, n] = 2.0
        tree.node_virtual[0, n] = 0
    consts = _constants(c_init=0.0, c_base=1e9, fpu=0.4, fpu_root=0.0)  # c ~ 0: scores are Q only
    assert _scores(tree, 0, consts)[1] == pytest.approx(0.5, abs=1e-6)
    assert _scores(tree, 1, consts)[1] == pytest.approx(0.5 - 0.4 * math.sqrt(0.75), abs=1e-6)


def _path_to(tree, b, node):
    path = []
    while tree.parent[b, node] != _kernels.NO_PARENT:
        path.append(int(tree.action_from_parent[b, node]))
        node = int(tree.parent[b, node])
    return path[::-1]


def _copy(tree):
    return Tree(**{name: getattr(tree, name).copy() for name in tree.__dataclass_fields__})


def test_batched_leaves_give_the_tree_that_sequential_backups_of_the_same_leaves_give():
    positions = [TicTacToe(), TicTacToe.from_diagram("X . .\n. O .\n. . .")]
    game = TicTacToeBatch(positions)
    evaluator = RolloutEvaluator(rollouts=2, seed=1)
    search = BatchedSearch(SearchParams(simulations=400, leaves_per_step=6), batch_size=2, num_actions=9)
    search.run(game, evaluator, add_noise=True, simulations=60)
    tree = search.tree
    before = _copy(tree)
    targets = np.full(2, 400, np.int32)
    num_leaves, num_new = search._select_leaves(targets, 6)
    assert num_leaves >= 2 and tree.children_virtual.sum() > 0
    leaves = [
        (
            int(search._leaves.tree[k]),
            int(search._leaves.node[k]),
            int(search._leaves.action[k]),
            int(search._leaves.slot[k]),
        )
        for k in range(num_leaves)
    ]
    inputs = search._evaluate_new_leaves(game, evaluator, num_new)
    _kernels.expand_and_backup(num_leaves, search._leaves, inputs, tree.arrays)
    tree.check_consistency()  # includes: no virtual visit left anywhere

    # Sequential: the same leaves one at a time, each with only its own path in flight.
    seq = before
    for b, node, action, slot in leaves:
        path = _path_to(seq, b, node) + ([action] if slot >= 0 else [])
        n = 0
        for a in path:
            seq.children_virtual[b, n, a] += 1
            seq.node_virtual[b, n] += 1
            n = seq.children_index[b, n, a]

        def one(x):
            return np.array([x], np.int32)

        single = LeafBatch(one(b), one(node), one(action), one(slot), *search._leaves[4:])
        _kernels.expand_and_backup(1, single, inputs, seq.arrays)
    for name in tree.__dataclass_fields__:
        a, s = getattr(tree, name), getattr(seq, name)
        if a.ndim >= 2:  # compare only the rows in use
            for b in range(2):
                count = tree.node_count[b]
                assert np.array_equal(a[b, :count], s[b, :count]), name
        else:
            assert np.array_equal(a, s), name


def test_visit_policy_temperatures():
    visits = np.array([[1, 3, 0, 4], [0, 0, 0, 0]])
    p1 = visit_policy(visits, 1.0)
    assert p1[0] == pytest.approx([1 / 8, 3 / 8, 0, 4 / 8]) and not p1[1].any()
    p_half = visit_policy(visits, 0.5)  # squares: 1, 9, 0, 16
    assert p_half[0] == pytest.approx([1 / 26, 9 / 26, 0, 16 / 26])
    assert visit_policy(visits, 0.0)[0].tolist() == [0, 0, 0, 1]
    tiny = visit_policy(np.array([[799, 800]]), 1e-4)  # no overflow at tiny temperatures
    assert np.isfinite(tiny).all() and tiny[0, 1] > 0.99
    with pytest.raises(ValueError, match="temperature"):
        visit_policy(visits, -1.0)


@pytest.mark.parametrize(
    "field,value",
    [
        ("simulations", 0),
        ("leaves_per_step", 0),
        ("c_base", 0.0),
        ("dirichlet_epsilon", 1.5),
        ("dirichlet_alpha", -1.0),
    ],
)
def test_bad_params_are_rejected_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}"):
        SearchParams(**{field: value}).validate()


def test_tree_memory_budget_for_64_nineteen_by_nineteen_searches():
    tree = Tree.allocate(64, 801, 362)
    assert tree.nbytes < 2 * 1024**3 / 4  # well under 2 GB: under 512 MB


@pytest.mark.parametrize("virtual_loss", [0.0, 1.0, 3.0])
def test_one_pass_selection_picks_the_argmax_of_the_puct_scores(virtual_loss):
    """select_child (used by the search) must agree with puct_scores (the readable definition), ties included."""
    rng = np.random.default_rng(int(virtual_loss * 10))
    consts = _constants(c_init=1.25, c_base=50.0, fpu=0.3, fpu_root=0.05, virtual_loss=virtual_loss)
    tree = Tree.allocate(1, 3, 12)
    tree.node_count[0] = 3
    for trial in range(400):
        node = trial % 2
        legal = rng.random(12) < 0.8
        legal[rng.integers(12)] = True
        prior = rng.integers(1, 4, 12) / 10.0  # coarse values: ties are common
        visits = np.where(rng.random(12) < 0.5, rng.integers(0, 6, 12), 0)
        virtual = np.where(rng.random(12) < 0.3, rng.integers(0, 3, 12), 0)
        tree.legal[0, node] = legal
        tree.children_prior[0, node] = prior
        tree.children_visits[0, node] = visits
        tree.children_value_sum[0, node] = np.round(rng.uniform(-1, 1, 12) * visits, 1)
        tree.children_virtual[0, node] = virtual
        tree.node_visits[0, node] = 1 + visits.sum()
        tree.node_value_sum[0, node] = rng.uniform(-1, 1) * 3
        tree.node_virtual[0, node] = virtual.sum()
        scores = _scores(tree, node, consts)
        chosen = _kernels.select_child(
            0,
            node,
            consts,
            tree.legal,
            tree.children_prior,
            tree.children_visits,
            tree.children_value_sum,
            tree.children_virtual,
            tree.node_visits,
            tree.node_value_sum,
            tree.node_virtual,
        )
        assert chosen == int(np.argmax(scores)), (trial, scores)
