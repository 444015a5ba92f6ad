"""The self-play worker: B games in lockstep through one batched search per move step, emitting GameRecords; a plain class (no ray, no sgfmill at import).

Per move step: one batched search over the B current positions (one network call per
search step for all games), then for each game: record the position (binary planes,
visit distribution, root value, side to move), resign or play a move (sampled from the
visits for the opening ``temperature_moves``, else the most visited), and when a game
ends, finish its record (result, Tromp-Taylor ownership) and start a new game in its
slot so the batch stays full. AlphaGo Zero resignation: a random
``resign_playout_fraction`` of games never resign; in those, the player who would have
resigned is remembered, and if they did not lose it is a false positive (logged).
With ``resign_calibrate`` the threshold is set by the run (``set_resign_threshold``, from
selfplay.resign.ResignCalibrator) and starts off (-1); a game begun while resignation is off
is played out and counts as a resign-disabled game. ``pass_min_moves`` (Go): the search may
not pass before that move while a legal move that does not fill the mover's own eye exists,
so games are played to the end instead of ending by two early passes.
KataGo playout-cap randomization: each game's move is a full search with probability
``full_search_probability``, else a fast one (``fast_simulations``, no noise) whose
position is not a training target. As in KataGo the draw is per game and move: the B
games of one lockstep step draw independently (the batched search takes a simulation
count and a noise flag per game).
Gumbel root (``search.root = "gumbel"``): the move is the one sequential halving chose
(the Gumbel noise explores, so no temperature), and the policy target is the improved
policy softmax(logits + sigma(completed Q)) instead of the visit counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from games import FIRST_PLAYER, NO_PLAYER
from mcts import NO_ACTION, choose_moves
from selfplay.adapters import GameAdapter
from selfplay.params import SelfPlayParams
from selfplay.player import BatchSearcher, CountingEvaluator
from selfplay.records import GameRecord, policy_surprise


@dataclass
class _Slot:
    """One game in progress and the record being built for it."""

    game: object
    resign_disabled: bool
    played_out_probability: float  # the chance of its resign-disabled draw (its target weight's inverse)
    would_have_resigned: int = NO_PLAYER
    planes: list = field(default_factory=list)
    constant: list = field(default_factory=list)
    policy: list = field(default_factory=list)
    root_value: list = field(default_factory=list)
    to_move: list = field(default_factory=list)
    moves: list = field(default_factory=list)
    full: list = field(default_factory=list)
    surprise: list = field(default_factory=list)


@dataclass
class WorkerStats:
    """Counters since the worker was built (or last reset)."""

    games: int = 0
    positions: int = 0
    move_steps: int = 0
    evals: int = 0
    eval_seconds: float = 0.0
    seconds: float = 0.0
    resigned_games: int = 0
    resign_disabled_games: int = 0
    resign_false_positives: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class SelfPlayWorker:
    """Plays ``params.games_in_parallel`` games at once with ``evaluator`` and returns finished GameRecords."""

    def __init__(
        self,
        adapter: GameAdapter,
        search_params,
        params: SelfPlayParams,
        evaluator,
        *,
        seed: int = 0,
        model_version: int = 0,
    ) -> None:
        self.adapter = adapter
        self.params = params
        self.search_params = search_params
        self.rng = np.random.default_rng(seed)
        self.resign_threshold = -1.0 if params.resign_calibrate else params.resign_threshold
        self.evaluator = CountingEvaluator(evaluator)
        self.searcher = BatchSearcher(
            adapter,
            search_params,
            self.evaluator,
            batch_size=params.games_in_parallel,
            seed=int(self.rng.integers(2**31)),
            no_pass_before=params.pass_min_moves,
            keep_root_evaluations=True,  # one root evaluation fewer per game and move: 4.8% of go9_cpu's evaluations
        )
        self.model_version = model_version
        self.stats = WorkerStats()
        self.slots = [self._new_slot() for _ in range(params.games_in_parallel)]

    def set_model_version(self, version: int) -> None:
        """The evaluator now holds the weights of ``version``: evaluations kept from older weights are dropped."""
        if version != self.model_version:
            self.searcher.search.forget_root_evaluations()
        self.model_version = version

    def set_resign_threshold(self, threshold: float) -> None:
        """Resign below ``threshold`` from now on (-1 = never); games in progress keep their resign_disabled draw,
        games not begun yet (a new or resumed worker's first batch) draw again."""
        self.resign_threshold = float(threshold)
        for slot in self.slots:
            if not slot.moves:
                slot.resign_disabled, slot.played_out_probability = self._draw_resign_disabled()

    def play(self, num_games: int) -> list[GameRecord]:
        """Advance the lockstep batch until at least ``num_games`` games have finished; games in progress carry over."""
        finished: list[GameRecord] = []
        while len(finished) < num_games:
            finished.extend(self.step())
        return finished

    def step(self) -> list[GameRecord]:
        """One move in each of the B games (one batched search); returns the games that ended."""
        start = time.perf_counter()
        p = self.params
        full = self.draw_full_searches()
        simulations = np.where(full, self.search_params.simulations, p.fast_simulations)
        outcome = self.searcher.search_games([s.game for s in self.slots], simulations=simulations, add_noise=full)
        # KataGo: with forced playouts, both the policy target and the move drawn from it use the pruned visits
        visits = outcome.visits if outcome.target_visits is None else outcome.target_visits
        if outcome.chosen_action is not None:
            actions = outcome.chosen_action
        else:
            move_numbers = np.array([len(s.moves) for s in self.slots])
            temperature = np.where(move_numbers < p.temperature_moves, p.temperature, 0.0)
            actions = choose_moves(visits, temperature, self.rng)
        finished: list[GameRecord] = []
        played = np.full(len(self.slots), NO_ACTION, np.int32)
        binary = outcome.planes.shape[1] - self.adapter.constant_planes  # 0/1 planes; the rest are constant (komi)
        # whole-batch conversions, one row per game; copies, so no record keeps the float32 planes alive
        binary_planes = outcome.planes[:, :binary].astype(np.uint8)
        constants = outcome.planes[:, binary:, 0, 0].copy()  # one value per constant plane (komi)
        totals = visits.sum(axis=1)
        if outcome.improved_policy is not None:
            policies = outcome.improved_policy.astype(np.float32)
        else:
            policies = (visits / np.maximum(totals, 1)[:, None]).astype(np.float32)
        surprise = policy_surprise(policies, outcome.prior) if outcome.prior is not None else None
        for i, slot in enumerate(self.slots):
            player = self.adapter.to_move(slot.game)
            slot.planes.append(binary_planes[i])
            slot.constant.append(constants[i])
            slot.policy.append(policies[i] if totals[i] > 0 else outcome.legal[i] / outcome.legal[i].sum())
            slot.root_value.append(float(outcome.root_value[i]))
            slot.to_move.append(player)
            slot.full.append(bool(full[i]))
            slot.surprise.append(float(surprise[i]) if surprise is not None and totals[i] > 0 else 0.0)
            resigning = False
            if (
                outcome.root_value[i] < self.resign_threshold
                and len(slot.moves) >= p.resign_min_moves
                and self.resign_threshold > -1.0
            ):
                if slot.resign_disabled:
                    if slot.would_have_resigned == NO_PLAYER:
                        slot.would_have_resigned = player
                else:
                    resigning = True
            if resigning:
                slot.moves.append(NO_ACTION)  # no move was played from the last position
                finished.append(self._finish(i, resigned_by=player))
                played[i] = NO_ACTION
                continue
            slot.moves.append(int(actions[i]))
            self.adapter.play(slot.game, int(actions[i]))
            played[i] = actions[i]
            if self.adapter.is_over(slot.game):
                finished.append(self._finish(i, resigned_by=NO_PLAYER))
                played[i] = NO_ACTION  # a new game starts in this slot: its tree is reset
        self.searcher.advance(played)
        self.stats.move_steps += 1
        self.stats.positions += len(self.slots)
        self.stats.evals = self.evaluator.evals
        self.stats.eval_seconds = self.evaluator.seconds
        self.stats.seconds += time.perf_counter() - start
        return finished

    def draw_full_searches(self) -> np.ndarray:
        """bool[B]: which games search with the full simulation count this step (one independent draw per game)."""
        p = self.params
        if not p.playout_cap_randomization:
            return np.ones(len(self.slots), bool)
        return self.rng.random(len(self.slots)) < p.full_search_probability

    def _new_slot(self) -> _Slot:
        disabled, probability = self._draw_resign_disabled()
        return _Slot(game=self.adapter.new_game(self.rng), resign_disabled=disabled, played_out_probability=probability)

    def _draw_resign_disabled(self) -> tuple[bool, float]:
        """Whether a new game never resigns, and the probability of that draw."""
        if self.params.resign_calibrate and self.resign_threshold <= -1.0:  # resignation off: played out, evidence
            return True, 1.0
        fraction = self.params.resign_playout_fraction
        return bool(self.rng.random() < fraction), fraction

    def _finish(self, index: int, resigned_by: int) -> GameRecord:
        """The record of slot ``index``'s game, which ``resigned_by`` resigned (NO_PLAYER: it ended on the board)."""
        slot = self.slots[index]
        game = slot.game
        if resigned_by != NO_PLAYER:
            result = -1.0 if resigned_by == FIRST_PLAYER else 1.0
            ownership = margin = None
            self.adapter.resign(game, resigned_by)
        else:
            result = float(self.adapter.result(game))
            ownership = self.adapter.final_ownership(game)
            margin = self.adapter.final_margin(game)
        record = GameRecord(
            planes=np.stack(slot.planes),
            constant=np.stack(slot.constant).astype(np.float32),
            policy=np.stack(slot.policy).astype(np.float32),
            root_value=np.asarray(slot.root_value, np.float32),
            to_move=np.asarray(slot.to_move, np.int8),
            moves=np.asarray(slot.moves, np.int32),
            is_full_search=np.asarray(slot.full, bool),
            result=result,
            final_ownership=ownership,
            final_margin=margin,
            resigned=resigned_by != NO_PLAYER,
            resign_disabled=slot.resign_disabled,
            would_have_resigned=slot.would_have_resigned,
            # a game played out past the threshold stands for itself and the resigned games like it, which have
            # no ownership or score target: weighing it by 1 / P(played out) takes that bias out of those heads
            target_weight=1.0 / slot.played_out_probability if slot.would_have_resigned != NO_PLAYER else 1.0,
            model_version=self.model_version,
            policy_surprise=np.asarray(slot.surprise, np.float32),
        )
        if self.params.sgf_fraction > 0 and self.rng.random() < self.params.sgf_fraction:
            name = f"zero v{self.model_version}"
            record.sgf = self.adapter.to_sgf(game, (name, name))
        self.stats.games += 1
        self.stats.resigned_games += int(record.resigned)
        if slot.resign_disabled:
            self.stats.resign_disabled_games += 1
            self.stats.resign_false_positives += int(record.resign_false_positive)
        self.slots[index] = self._new_slot()
        return record
