"""The search on Go with the random-rollout evaluator: captures, escapes, and pure MCTS against a uniformly random player."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.go import BLACK, WHITE, GoGame, GoSearchBatch, RolloutEvaluator, from_gtp, new_game, to_gtp
from mcts import NO_ACTION, BatchedSearch, SearchParams
from mcts.search import _live_rows_to_front


class GoGames:
    """A SearchGame over a list of GoGame that can also play one move per game: rebuilds the GoSearchBatch after each move."""

    def __init__(self, games: list[GoGame]):
        self.games = games
        self._batch = GoSearchBatch(games)
        self.num_actions = self._batch.num_actions
        self.plane_shape = self._batch.plane_shape

    def root_inputs(self):
        return self._batch.root_inputs()

    def leaf_inputs(self, root_index, paths, path_length):
        return self._batch.leaf_inputs(root_index, paths, path_length)

    def play(self, actions):
        for game, action in zip(self.games, np.asarray(actions).tolist()):
            if action != NO_ACTION and not game.is_over:
                game.play(int(action))
        self._batch = GoSearchBatch(self.games)


def _best_move(diagram: str, simulations: int = 1000, rollouts: int = 8) -> tuple[str, object]:
    game = GoGame.from_diagram(diagram, to_move=BLACK, komi=7.5)
    search = BatchedSearch(SearchParams(simulations=simulations), batch_size=1, num_actions=game.num_actions)
    result = search.run(
        GoSearchBatch([game]), RolloutEvaluator(game.size, game.komi, rollouts=rollouts, seed=3), add_noise=False
    )
    search.tree.check_consistency()
    return to_gtp(int(result.best_actions()[0]), game.size), result


def test_captures_a_large_group_in_atari():
    # Capturing race: both six-stone rows are in atari. Black captures at G5 (else White captures at G6).
    move, result = _best_move("""
        . . . . . . . . .
        . . . . . . . . .
        O O O O O O . . .
        X X X X X X . . .
        O O O O O O . . .
        X X X X X X . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .""")
    assert move == "G5"
    assert result.visits[0, from_gtp("G5", 9)] > 0.5 * result.simulations[0]


def test_escapes_its_own_group_from_atari():
    # The six black stones on row 6 have one liberty, G6; extending there gives them three.
    move, _ = _best_move("""
        . . . . . . . . .
        . . . . . . . . .
        O O O O O O . . .
        X X X X X X . . .
        O O O O O O . . .
        . . . . . . . . .
        . . X . . . X . .
        . . . . . . . . .
        . . . . . . . . .""")
    assert move == "G6"


def _random_moves(games, rng):
    """Uniformly random legal non-pass moves (pass only when nothing else is legal)."""
    out = np.full(len(games), NO_ACTION, np.int32)
    for b, game in enumerate(games):
        if game.is_over:
            continue
        moves = game.legal_moves()
        out[b] = moves[-1] if len(moves) == 1 else int(rng.choice(moves[:-1]))
    return out


@pytest.mark.slow
def test_pure_mcts_beats_a_uniform_random_player_in_at_least_95_percent_of_40_games():
    """20 games with MCTS as Black and 20 as White, played in lockstep: one batched search per MCTS move."""
    half = 20
    params = SearchParams(simulations=128, leaves_per_step=8, reuse_tree=True)
    rng = np.random.default_rng(7)
    sides = {}
    for color in (BLACK, WHITE):
        games = [new_game(9, komi=7.5) for _ in range(half)]
        adapter = GoGames(games)
        search = BatchedSearch(params, batch_size=half, num_actions=adapter.num_actions, seed=color)
        sides[color] = (games, adapter, search, RolloutEvaluator(9, 7.5, rollouts=2, seed=color))
    for color, (games, adapter, search, evaluator) in sides.items():
        while not all(g.is_over for g in games):
            over = np.array([g.is_over for g in games])
            if games[int(np.argmin(over))].to_move == color:  # games stay in lockstep: same side to move
                actions = search.run(adapter, evaluator, add_noise=False).best_actions()  # match play: most visited
            else:
                actions = _random_moves(games, rng)
            actions = np.where(over, NO_ACTION, actions).astype(np.int32)
            search.advance(actions)  # every move, ours or the opponent's, advances the reused trees
            adapter.play(actions)
    wins = {color: sum(g.winner() == color for g in games) for color, (games, *_) in sides.items()}
    assert wins[BLACK] + wins[WHITE] >= 0.95 * 2 * half, (
        f"pure MCTS won {wins[BLACK]} as Black, {wins[WHITE]} as White, of {half} each"
    )


@pytest.mark.parametrize("root", ["puct", "gumbel"])
def test_a_search_without_lines_finds_the_same_moves_and_skips_only_the_lines(root):
    games = [new_game(5, komi=0.5) for _ in range(3)]
    for game, opening in zip(games, (["C3"], ["B2", "D4"], [])):
        for move in opening:
            game.play(move)
    results = []
    for lines in (True, False):
        search = BatchedSearch(SearchParams(simulations=24, root=root), batch_size=3, num_actions=26, seed=5)
        evaluator = RolloutEvaluator(5, 0.5, rollouts=2, seed=7)
        results.append(search.run(GoSearchBatch(games), evaluator, add_noise=True, lines=lines))
    with_lines, without = results
    assert np.array_equal(with_lines.visits, without.visits) and np.array_equal(
        with_lines.root_value, without.root_value
    )
    if root == "gumbel":
        assert np.array_equal(with_lines.chosen_action, without.chosen_action)
        assert np.array_equal(with_lines.improved_policy, without.improved_policy)
    assert with_lines.pv_length.min() > 0 and with_lines.q_lcb is not None
    assert not without.pv_length.any() and without.principal_variation.shape == (3, 0) and without.q_lcb is None


@settings(max_examples=60, deadline=None)
@given(terminal=st.lists(st.booleans(), min_size=1, max_size=40))
def test_live_rows_move_to_the_front_and_say_which_leaf_each_is(terminal):
    """The search hands the network planes[:n] after moving the non-terminal rows there in place."""
    terminal = np.array(terminal)
    planes = np.arange(len(terminal) * 6, dtype=np.float32).reshape(len(terminal), 1, 2, 3)
    original = planes.copy()
    order = _live_rows_to_front(planes, terminal)
    assert sorted(order) == list(np.flatnonzero(~terminal))  # each live leaf exactly once
    assert np.array_equal(planes[: order.size], original[order])  # row i is leaf order[i]'s planes


def test_terminal_leaves_never_reach_the_network_and_live_ones_get_their_own_evaluation():
    """Two passes end a game: near the end of a search over games whose last move was a pass, many leaves are
    terminal. Every position the evaluator sees must be a live leaf's, and every live leaf's values its own."""
    games = []
    for seed in range(6):
        g = new_game(5)
        rng = np.random.default_rng(seed)
        for _ in range(6):
            g.play(int(rng.choice([a for a in g.legal_moves() if a != 25])))
        g.play("pass")  # a second pass in the tree ends the game
        games.append(g)
    batch = GoSearchBatch(games)

    class PlanesKeyedEvaluator:
        """Value = a hash of the planes, so a leaf given another leaf's evaluation would be caught."""

        def __init__(self):
            self.seen = []  # batch sizes

        def evaluate(self, planes):
            self.seen.append(len(planes))
            key = planes.reshape(len(planes), -1) @ np.linspace(0.01, 0.02, planes[0].size, dtype=np.float32)
            priors = np.full((len(planes), 26), 1 / 26, np.float32)
            return priors, np.tanh(key).astype(np.float32)

    evaluator = PlanesKeyedEvaluator()
    search = BatchedSearch(SearchParams(simulations=48, leaves_per_step=8), batch_size=len(games), num_actions=26)
    search.run(batch, evaluator, add_noise=False)
    tree = search.tree
    assert tree.terminal[:, 1:].any()  # the case under test happened: terminal leaves in the batches
    live_nodes = 0
    for b in range(len(games)):
        for node in range(1, int(tree.node_count[b])):
            if tree.terminal[b, node]:
                continue
            live_nodes += 1
            path = []
            n = node
            while n != 0:
                path.append(int(tree.action_from_parent[b, n]))
                n = int(tree.parent[b, n])
            g = games[b].copy()
            for a in reversed(path):
                g.play(a)
            own = g.planes()
            expected = np.tanh(own.reshape(-1) @ np.linspace(0.01, 0.02, own.size, dtype=np.float32))
            assert tree.raw_value[b, node] == pytest.approx(expected, abs=1e-6), (b, node)  # its own evaluation
    # the network saw the roots and the live nodes, nothing else: no terminal leaf reached it
    assert sum(evaluator.seen) == len(games) + live_nodes
