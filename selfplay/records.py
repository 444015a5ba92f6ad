"""Self-play game records and their conversion to training samples; numpy and games.players only (no torch, ray or sgfmill).

Perspective: ``result`` and ``final_ownership`` are from the FIRST player's point of
view (Black in Go, X in tic-tac-toe); per-position samples flip them to the player to
move there, as the training-sample contract requires (value and ownership for the
side to move). Players are games.players' numbers: FIRST_PLAYER = 1, SECOND_PLAYER = 2,
NO_PLAYER = 0 for nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from games import FIRST_PLAYER, NO_PLAYER, first_player_sign


@dataclass
class GameRecord:
    """One finished self-play game, position by position (T positions searched)."""

    planes: np.ndarray  # uint8[T, C, H, W]  the 0/1 input planes of each searched position
    policy: np.ndarray  # float32[T, A]  the search's visit distribution (sums to 1)
    root_value: np.ndarray  # float32[T]  search value for the player to move
    to_move: np.ndarray  # int8[T]  FIRST_PLAYER = 1 (Black / X) or SECOND_PLAYER = 2 (White / O)
    moves: np.ndarray  # int32[T]  action played from each position
    is_full_search: np.ndarray  # bool[T]  False for playout-cap "fast" moves (not training targets)
    result: float  # +1 first player won, -1 lost, 0 draw
    final_ownership: np.ndarray | None  # int8[H, W]  +1 first player owns, -1 second, 0 neither; None if resigned
    final_margin: float | None = (
        None  # first player's area margin (Go: Tromp-Taylor, black - white - komi); None if resigned
    )
    resigned: bool = False  # the game ended by resignation
    resign_disabled: bool = False  # one of the games played out to measure false positives
    would_have_resigned: int = NO_PLAYER  # who first fell below the threshold in a resign-disabled game (1/2)
    target_weight: float = 1.0  # of its ownership and score targets: 1 / P(played out) for a would-be resignation
    model_version: int = 0
    sgf: bytes | None = None  # SGF text for a sampled fraction of Go games
    extra: dict = field(default_factory=dict)
    constant: np.ndarray | None = (
        None  # float32[T, K]  the values of the K constant input planes (Go: komi); None: K = 0
    )
    policy_surprise: np.ndarray | None = None  # float32[T]  KL(policy target || the root's prior); None: unknown

    @property
    def num_positions(self) -> int:
        return int(self.planes.shape[0])

    @property
    def num_samples(self) -> int:
        return int(self.is_full_search.sum())

    @property
    def resign_false_positive(self) -> bool:
        """In a resign-disabled game: the player who would have resigned went on to win (or draw)."""
        if self.would_have_resigned == NO_PLAYER:
            return False
        return first_player_sign(self.would_have_resigned) * self.result >= 0.0


@dataclass
class Samples:
    """Training samples in the replay contract: planes uint8[S,C,H,W], policy float32[S,A], value float32[S], ownership int8[S,H,W] or None,
    score float32[S] (final area margin for the side to move; NaN where the game did not end by scoring),
    constant float32[S,K] (the constant input planes' values, K = 0 for games without any), target_weight float32[S]
    (each sample's game's ``target_weight``), opponent_move int32[S] (the move played from the next position, the
    opponent's reply: the auxiliary policy target; -1 where the game ended after this position's move)."""

    planes: np.ndarray
    policy: np.ndarray
    value: np.ndarray
    ownership: np.ndarray | None
    score: np.ndarray | None = None
    constant: np.ndarray | None = None
    target_weight: np.ndarray | None = None
    opponent_move: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.planes.shape[0])


def policy_surprise(target: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """float32[B]: KL(target || prior) of each row, in nats: how much the search moved the network's policy (KataGo's
    policy surprise). ``target`` and ``prior`` float[B, A], rows summing to 1; a prior of 0 where the target is not
    counts as 1e-30 (a finite, large surprise)."""
    target = np.asarray(target, np.float64)
    ratio = np.log(np.maximum(target, 1e-30)) - np.log(np.maximum(np.asarray(prior, np.float64), 1e-30))
    return np.maximum(np.where(target > 0, target * ratio, 0.0).sum(axis=1), 0.0).astype(np.float32)


def mean_policy_surprise(records: list[GameRecord]) -> float | None:
    """The mean policy surprise of the records' full-search positions (how much search still teaches the network:
    it falls as the network learns to predict its own search); None where no record has one."""
    values = [r.policy_surprise[r.is_full_search] for r in records if r.policy_surprise is not None]
    values = np.concatenate(values) if values else np.zeros(0)
    return float(values.mean()) if values.size else None


def surprise_weights(surprise: np.ndarray, fraction: float) -> np.ndarray:
    """float64[S]: one game's training weights, mean 1: ``fraction`` of the game's weight spread over its positions in
    proportion to their policy surprise, the rest evenly (KataGo's policy surprise weighting); even where no position
    surprised."""
    surprise = np.asarray(surprise, np.float64)
    mean = surprise.mean() if surprise.size else 0.0
    if fraction == 0 or not mean > 0:
        return np.ones(surprise.shape)
    return (1.0 - fraction) + fraction * surprise / mean


def to_samples(
    records: list[GameRecord],
    with_ownership: bool,
    search_weight: float = 0.0,
    *,
    surprise_weight: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Samples | None:
    """The full-search positions of ``records`` as samples (value, ownership for the side to move); None if there are none.

    The value target is (1 - ``search_weight``) game result + ``search_weight`` root search value, both for the
    player to move (train.value_target_search_weight).

    ``surprise_weight`` f > 0 (train.policy_surprise_weight): each position is written floor(w) times, and once more
    with probability w - floor(w) (``rng``), w its weight from surprise_weights; so a game's expected samples are
    unchanged and the surprising positions are trained on more often (KataGo writes its rows so). Records without a
    policy_surprise weigh 1 everywhere.

    ``with_ownership`` needs every record to have a final ownership: resigned games have
    none (scoring the last position as it stands would be wrong), so the learner adds them
    without an ownership target, apart from the scored ones. The score target (the final
    margin) is NaN for them: the replay stores it as "no score target".
    """
    if with_ownership and any(r.final_ownership is None for r in records):
        raise ValueError("with_ownership needs a final_ownership in every record (resigned games have none)")
    planes, policy, value, ownership, score, constant, weight, reply = [], [], [], [], [], [], [], []
    repeats = []
    for record in records:
        keep = record.is_full_search
        if not keep.any():
            continue
        if surprise_weight > 0:
            surprise = record.policy_surprise
            repeats.append(
                surprise_weights(np.zeros(int(keep.sum())) if surprise is None else surprise[keep], surprise_weight)
            )
        first = record.to_move[keep] == FIRST_PLAYER
        sign = np.where(first, 1.0, -1.0).astype(np.float32)  # +1 where the first player moves
        planes.append(record.planes[keep])
        count = int(keep.sum())
        constant.append(np.zeros((count, 0), np.float32) if record.constant is None else record.constant[keep])
        policy.append(record.policy[keep])
        result = sign * np.float32(record.result)
        value.append(
            result if search_weight == 0 else (1 - search_weight) * result + search_weight * record.root_value[keep]
        )
        weight.append(np.full(count, record.target_weight, np.float32))
        # the move played from position t + 1 is the opponent's reply to position t's (players alternate, passes too)
        replies = np.append(record.moves[1:].astype(np.int32), np.int32(-1))
        replies[replies < 0] = -1  # the resigning side played no move (NO_ACTION)
        reply.append(replies[keep])
        score.append(sign * np.float32(np.nan if record.final_margin is None else record.final_margin))
        if with_ownership:
            ownership.append((sign[:, None, None] * record.final_ownership[None].astype(np.float32)).astype(np.int8))
    if not planes:
        return None
    samples = Samples(
        planes=np.concatenate(planes).astype(np.uint8, copy=False),
        policy=np.concatenate(policy).astype(np.float32, copy=False),
        value=np.concatenate(value).astype(np.float32, copy=False),
        ownership=np.concatenate(ownership) if with_ownership else None,
        score=np.concatenate(score).astype(np.float32, copy=False),
        constant=np.concatenate(constant).astype(np.float32, copy=False),
        target_weight=np.concatenate(weight),
        opponent_move=np.concatenate(reply),
    )
    if surprise_weight == 0:
        return samples
    weights = np.concatenate(repeats)
    whole = np.floor(weights)
    rng = rng if rng is not None else np.random.default_rng()
    counts = (whole + (rng.random(weights.size) < weights - whole)).astype(np.int64)
    rows = np.repeat(np.arange(weights.size), counts)
    if rows.size == 0:
        return None
    return Samples(**{f.name: None if (v := getattr(samples, f.name)) is None else v[rows] for f in fields(Samples)})
