"""The self-play worker without Ray: records replay to their results, planes/policies/ownership line up, resignation and playout caps behave, one evaluator call per search step."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from selfplay_fakes import BlackDespairs, steps_with_their_search

from games import FIRST_PLAYER, NO_PLAYER, SECOND_PLAYER
from games.go import BLACK, WHITE, GoGame, GoRules, RolloutEvaluator
from games.tictactoe import O, TicTacToe, TicTacToeBatch, X
from games.tictactoe import RolloutEvaluator as TicTacToeRollouts
from mcts import SearchParams
from selfplay.adapters import make_adapter
from selfplay.params import SelfPlayParams
from selfplay.records import to_samples
from selfplay.worker import SelfPlayWorker
from zero.learn.train import TrainConfig

RULES_5X5 = GoRules(size=5, komi=2.5, max_moves=40)


def _worker(game: str, evaluator, *, games: int = 4, simulations: int = 16, seed: int = 0, **params):
    adapter = make_adapter(game, RULES_5X5)
    search = SearchParams(simulations=simulations, leaves_per_step=4)
    return SelfPlayWorker(adapter, search, SelfPlayParams(games_in_parallel=games, **params), evaluator, seed=seed)


def test_tictactoe_records_replay_to_their_results():
    worker = _worker("tictactoe", TicTacToeRollouts(rollouts=2, seed=3), temperature_moves=2, resign_threshold=-1.0)
    records = worker.play(6)
    assert len(records) >= 6
    for record in records:
        game = TicTacToe()
        for t, move in enumerate(record.moves):
            assert record.to_move[t] == (
                X if t % 2 == 0 else O
            )  # X (the first player) moves first, then turns alternate
            planes, legal, _, _ = TicTacToeBatch([game]).root_inputs()
            np.testing.assert_array_equal(record.planes[t], planes[0].astype(np.uint8))
            assert record.policy[t].sum() == pytest.approx(1.0, abs=1e-5)
            assert record.policy[t][~legal[0]].sum() == 0  # no visits to occupied cells
            if t >= 2:  # after the temperature moves, the most visited move is played
                assert record.policy[t][move] == record.policy[t].max()
            game.play(int(move))
        assert game.is_over()
        expected = {1: 1.0, 2: -1.0, 0: 0.0}[game.winner()]
        assert record.result == expected


def test_go_records_have_tromp_taylor_ownership_and_sgf_that_sgfmill_reads():
    from sgfmill import sgf

    worker = _worker("go", RolloutEvaluator(5, 2.5, rollouts=1, seed=1), sgf_fraction=1.0, resign_threshold=-1.0)
    records = worker.play(4)
    for record in records:
        game = GoGame(RULES_5X5)
        for move in record.moves:
            game.play(int(move))
        assert game.is_over
        np.testing.assert_array_equal(record.final_ownership, game.ownership())
        winner = game.winner()
        assert record.result == (1.0 if winner == BLACK else -1.0 if winner is not None else 0.0)
        parsed = sgf.Sgf_game.from_bytes(record.sgf)
        assert parsed.get_size() == 5
        sgf_moves = [node.get_move() for node in parsed.get_main_sequence()[1:]]
        assert len(sgf_moves) == len(record.moves)
        for (colour, point), move, to_move in zip(sgf_moves, record.moves, record.to_move):
            assert colour == ("b" if to_move == BLACK else "w")
            if point is None:
                assert move == 25  # pass
            else:
                row, col = point  # sgfmill rows count from the bottom
                assert move == (4 - row) * 5 + col


def test_samples_give_value_and_ownership_to_the_side_to_move():
    worker = _worker("go", RolloutEvaluator(5, 2.5, rollouts=1, seed=2), resign_threshold=-1.0)
    record = worker.play(1)[0]
    samples = to_samples([record], with_ownership=True)
    assert len(samples) == record.num_positions
    for t in range(record.num_positions):
        sign = 1 if record.to_move[t] == BLACK else -1
        assert samples.value[t] == sign * record.result
        np.testing.assert_array_equal(samples.ownership[t], sign * record.final_ownership)
    assert set(np.unique(samples.planes)) <= {0, 1}
    resigned = dataclasses.replace(
        record, final_ownership=None, resigned=True
    )  # a resigned game has no final ownership
    with pytest.raises(ValueError, match="final_ownership"):
        to_samples([record, resigned], with_ownership=True)
    assert to_samples([resigned], with_ownership=False).ownership is None


def test_the_value_target_mixes_in_the_root_search_value_by_its_weight():
    worker = _worker("go", RolloutEvaluator(5, 2.5, rollouts=1, seed=4), resign_threshold=-1.0)
    record = worker.play(1)[0]
    sign = np.where(record.to_move == BLACK, 1.0, -1.0)
    assert np.abs(record.root_value).max() > 0 and len(np.unique(record.root_value)) > 2  # values that differ
    for weight in (0.0, 0.25, 1.0):
        samples = to_samples([record], with_ownership=True, search_weight=weight)
        expected = (1 - weight) * sign * record.result + weight * record.root_value  # both the player to move's
        np.testing.assert_allclose(samples.value, expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="value_target_search_weight"):
        TrainConfig(value_target_search_weight=1.5).validate()


def test_records_use_the_games_player_numbers_and_samples_flip_where_the_second_player_moved():
    """to_move in a record is the game's own side to move (BLACK then WHITE, X then O), and a sample's sign is +1 exactly there."""
    cases = [
        ("go", RolloutEvaluator(5, 2.5, rollouts=1, seed=6), lambda: GoGame(RULES_5X5), (BLACK, WHITE)),
        ("tictactoe", TicTacToeRollouts(rollouts=2, seed=6), TicTacToe, (X, O)),
    ]
    for name, evaluator, new_game, (first, second) in cases:
        assert (first, second) == (FIRST_PLAYER, SECOND_PLAYER)
        worker = _worker(name, evaluator, games=2, temperature_moves=4, resign_threshold=-1.0)
        for record in worker.play(2):
            game = new_game()
            for t, move in enumerate(record.moves):
                assert record.to_move[t] == game.to_move == (first if t % 2 == 0 else second)
                game.play(int(move))
            assert record.would_have_resigned == NO_PLAYER
            samples = to_samples([record], with_ownership=False)
            black = record.to_move == first
            np.testing.assert_array_equal(samples.value[black], np.full(black.sum(), record.result, np.float32))
            np.testing.assert_array_equal(samples.value[~black], np.full((~black).sum(), -record.result, np.float32))


def test_adapters_speak_the_games_player_numbers():
    for name, new_game in (("go", lambda: GoGame(RULES_5X5)), ("tictactoe", TicTacToe)):
        adapter = make_adapter(name, RULES_5X5)
        game = new_game()
        assert adapter.to_move(game) == FIRST_PLAYER
        adapter.play(game, 4)
        assert adapter.to_move(game) == SECOND_PLAYER
    go = make_adapter("go", RULES_5X5)
    game = GoGame(RULES_5X5)
    go.resign(game, SECOND_PLAYER)  # White resigns: Black, the first player, wins
    assert game.winner() == BLACK and go.result(game) == 1.0


def test_despairing_black_resigns_at_once_unless_the_game_is_played_out():
    adapter_actions = 26
    resigning = _worker(
        "go",
        BlackDespairs(adapter_actions),
        resign_threshold=-0.9,
        resign_min_moves=0,
        resign_playout_fraction=0.0,
        temperature_moves=0,
    )
    records = resigning.play(4)
    for record in records:
        assert record.resigned and record.result == -1.0  # Black resigned: White wins
        assert record.num_positions == 1 and record.final_ownership is None
    played_out = _worker(
        "go",
        BlackDespairs(adapter_actions),
        resign_threshold=-0.9,
        resign_min_moves=0,
        resign_playout_fraction=1.0,
        temperature_moves=0,
    )
    records = played_out.play(4)
    for record in records:
        assert not record.resigned and record.resign_disabled
        assert record.would_have_resigned == BLACK  # Black fell below the threshold first
        assert record.resign_false_positive == (record.result >= 0)
    stats = played_out.stats
    assert stats.resign_disabled_games == stats.games
    assert stats.resign_false_positives == sum(r.resign_false_positive for r in records[: stats.games])


def test_playout_cap_randomization_keeps_only_full_searches_as_targets():
    worker = _worker(
        "tictactoe",
        TicTacToeRollouts(seed=5),
        playout_cap_randomization=True,
        full_search_probability=0.5,
        fast_simulations=2,
        resign_threshold=-1.0,
    )
    records = worker.play(8)
    flags = np.concatenate([r.is_full_search for r in records])
    assert flags.any() and not flags.all()
    samples = to_samples(records, with_ownership=False)
    assert len(samples) == int(flags.sum())


@pytest.mark.parametrize("games", [1, 16])
def test_one_evaluator_call_per_search_step_for_all_games(games):
    worker = _worker("go", RolloutEvaluator(5, 2.5, seed=0), games=games, simulations=16, resign_threshold=-1.0)
    for _ in range(6):
        worker.step()
    search_steps = worker.searcher.search.steps
    # one call per search step (all B*L leaves at once) plus at most one root expansion per move
    assert worker.evaluator.calls <= search_steps + worker.stats.move_steps
    # 16 simulations, 4 leaves per step: a handful of calls per move, not one per game or per leaf
    assert worker.evaluator.calls / worker.stats.move_steps < 16
    assert worker.evaluator.evals >= games * 16 * 6 * 0.5  # the calls did carry every game's leaves


def test_playout_cap_is_drawn_per_game_and_move_independently():
    from mcts import UniformEvaluator

    p, games, steps = 0.3, 16, 120
    worker = _worker(
        "go",
        UniformEvaluator(26),
        games=games,
        simulations=8,
        playout_cap_randomization=True,
        full_search_probability=p,
        fast_simulations=2,
        resign_threshold=-1.0,
        seed=11,
    )
    draws = []
    inner = worker.searcher.search_games

    def spy(boards, *, simulations, add_noise, evaluator=None):
        outcome = inner(boards, simulations=simulations, add_noise=add_noise, evaluator=evaluator)
        full = np.asarray(add_noise)
        live = outcome.legal.any(axis=1)
        # each game searched with its own draw: full searches got 8 simulations, fast ones 2
        assert (outcome.visits.sum(axis=1)[live] == np.where(full, 8, 2)[live]).all()
        draws.append(full.copy())
        return outcome

    worker.searcher.search_games = spy
    for _ in range(steps):
        worker.step()
    draws = np.array(draws)  # [steps, games]
    n = draws.size
    assert abs(draws.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    per_game = draws.mean(axis=0)
    assert (np.abs(per_game - p) < 4 * np.sqrt(p * (1 - p) / steps)).all()
    # independent across games: one shared draw per step would make every row all-True or all-False
    unanimous = (draws.all(axis=1) | ~draws.any(axis=1)).mean()
    assert unanimous < 0.05
    corr = np.corrcoef(draws.T.astype(float))
    off_diagonal = corr[~np.eye(games, dtype=bool)]
    assert abs(off_diagonal.mean()) < 0.05 and np.abs(off_diagonal).max() < 0.45


def test_gumbel_self_play_plays_the_chosen_move_and_trains_on_the_improved_policy():
    adapter = make_adapter("go", RULES_5X5)
    search = SearchParams(simulations=8, leaves_per_step=2, root="gumbel", gumbel_considered=4)
    worker = SelfPlayWorker(
        adapter,
        search,
        SelfPlayParams(games_in_parallel=4, resign_threshold=-1.0),
        RolloutEvaluator(5, 2.5, rollouts=1, seed=1),
        seed=3,
    )
    checked = 0
    for outcome in steps_with_their_search(worker, 12):
        for i, slot in enumerate(worker.slots):
            assert slot.moves[-1] == outcome.chosen_action[i]  # the move sequential halving chose ...
            assert outcome.visits[i, slot.moves[-1]] > 0  # ... among the searched ones
            np.testing.assert_array_equal(
                slot.policy[-1], outcome.improved_policy[i]
            )  # the improved policy is the target
            legal = outcome.legal[i]
            # softmax(logits + sigma) covers every legal move; 8 simulations' visits cover at most 4 (m = 4)
            assert (slot.policy[-1] > 0).sum() == legal.sum() > 4
            checked += 1
    assert checked >= 20


def test_ownership_target_for_played_out_games_and_masked_for_resigned_ones(tmp_path):
    from selfplay.config import load_config
    from selfplay.learner import Learner
    from selfplay.rundir import RunDir

    config = load_config("configs/tiny.toml")
    run_dir = RunDir(tmp_path)
    run_dir.create()
    learner = Learner(config, run_dir, train=False)
    worker = _worker("go", RolloutEvaluator(5, 2.5, rollouts=1, seed=4), games=2, resign_threshold=-1.0)
    played_out = worker.play(1)[0]
    # the same positions, as if the game had ended by resignation: no final ownership
    resigned = type(played_out)(**{**played_out.__dict__, "final_ownership": None, "resigned": True})
    learner.add_records([played_out, resigned])
    n = played_out.num_samples
    replay = learner.replay
    assert replay.total_added == 2 * n
    has = replay._has_ownership[: 2 * n]
    assert has[:n].all() and not has[n:].any()  # masked, not a guessed all-zero "nobody owns it" target
    sign = np.where(played_out.to_move[played_out.is_full_search] == BLACK, 1, -1)
    expected = sign[:, None] * played_out.final_ownership.reshape(1, -1)
    np.testing.assert_array_equal(replay._ownership[:n], expected)


class _PositionFunction:
    """A deterministic evaluator: priors and value are a fixed function of each position's planes alone (exact
    integer arithmetic, so a position gets the same answer in any batch); ``bias`` shifts the value (new weights)."""

    def __init__(self, plane_count: int, num_actions: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.policy_weights = rng.integers(-3, 4, size=(plane_count, num_actions)).astype(np.float64)
        self.value_weights = rng.integers(-3, 4, size=plane_count).astype(np.float64)
        self.bias = 0.0

    def evaluate(self, planes: np.ndarray):
        x = planes.reshape(len(planes), -1).astype(np.float64)
        logits = (x @ self.policy_weights) / 8.0
        priors = np.exp(logits - logits.max(axis=1, keepdims=True))
        priors /= priors.sum(axis=1, keepdims=True)
        values = np.tanh((x @ self.value_weights) / 40.0 + self.bias)
        return priors.astype(np.float32), values.astype(np.float32)


@pytest.mark.parametrize("root", ["gumbel", "puct"])
def test_kept_root_evaluations_play_the_same_games_with_fewer_evaluations(root):
    """The played move's child was evaluated by the search: the next root takes that evaluation (same priors,
    value and legal moves) instead of a network call, and the games are those of evaluating every root."""
    adapter = make_adapter("go", RULES_5X5)
    search = SearchParams(simulations=8, leaves_per_step=2, root=root, gumbel_considered=4)
    params = SelfPlayParams(games_in_parallel=6, resign_threshold=-1.0, temperature_moves=0)
    workers = []
    for keep in (True, False):
        evaluator = _PositionFunction(int(np.prod(adapter.plane_shape)), adapter.num_actions, seed=5)
        worker = SelfPlayWorker(adapter, search, params, evaluator, seed=7)
        worker.searcher.search.keep_root_evaluations = keep
        workers.append(worker)
    kept, fresh = workers
    records = {True: [], False: []}
    for _ in range(30):
        for worker, keep in ((kept, True), (fresh, False)):
            records[keep].extend(worker.step())
        for a, b in zip(kept.slots, fresh.slots):
            assert a.moves == b.moves
            np.testing.assert_allclose(a.policy, b.policy, atol=1e-5)
            np.testing.assert_allclose(a.root_value, b.root_value, atol=1e-5)
    assert records[True] and [list(r.moves) for r in records[True]] == [list(r.moves) for r in records[False]]
    reused = kept.searcher.search.roots_reused
    assert fresh.searcher.search.roots_reused == 0
    assert reused > 6 * 30 * 0.8  # nearly every root but the first of each game
    assert fresh.evaluator.evals - kept.evaluator.evals == reused


def test_new_weights_drop_kept_root_evaluations():
    adapter = make_adapter("go", RULES_5X5)
    search = SearchParams(simulations=8, leaves_per_step=2, root="gumbel", gumbel_considered=4)
    evaluator = _PositionFunction(int(np.prod(adapter.plane_shape)), adapter.num_actions, seed=5)
    worker = SelfPlayWorker(adapter, search, SelfPlayParams(games_in_parallel=4, resign_threshold=-1.0), evaluator)
    worker.step()
    worker.step()
    reused = worker.searcher.search.roots_reused
    assert reused == 4  # the second move's roots were the first search's children
    evaluator.bias = 1.0  # new weights, as SelfPlayHost loads them, then tells the worker
    worker.set_model_version(1)
    worker.step()
    assert worker.searcher.search.roots_reused == reused  # every root evaluated by the new weights
    root_values = worker.searcher.search.tree.raw_value[:, 0]
    _, expected = evaluator.evaluate(np.stack([s.planes[-1] for s in worker.slots]).astype(np.float32))
    np.testing.assert_allclose(root_values, expected, atol=1e-6)
