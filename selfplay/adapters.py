"""Game adapters: Go and tic-tac-toe behind the one small interface the worker and arena use; imports games (sgfmill only inside to_sgf), never torch or ray.

Players are games.players' numbers, the games' own: FIRST_PLAYER = 1 (Black / X) and
SECOND_PLAYER = 2 (White / O). ``result``, ``final_ownership`` and ``final_margin`` are from
the first player's point of view.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from games import FIRST_PLAYER, SECOND_PLAYER


class GameAdapter(Protocol):
    name: str
    num_actions: int  # A
    plane_shape: tuple[int, int, int]  # (C, H, W)
    constant_planes: int  # the last K of the C planes are constant-valued (Go's komi plane), the others 0/1
    has_ownership: bool  # the game has a final-ownership target

    def new_game(self, rng: np.random.Generator | None = None): ...  # self-play passes its generator (Go: komi draw)
    def search_batch(self, games: list, no_pass_before: int = 0): ...  # a SearchGame over the games' current positions
    def play(self, game, action: int) -> None: ...
    def is_over(self, game) -> bool: ...
    def to_move(self, game) -> int: ...  # FIRST_PLAYER or SECOND_PLAYER
    def result(self, game) -> float: ...  # finished game: +1 the first player won, -1 lost, 0 draw
    def final_ownership(self, game) -> np.ndarray | None: ...  # int8[H, W] +1 where the first player owns
    def final_margin(
        self, game
    ) -> float | None: ...  # finished game: the first player's area margin (Go: Tromp-Taylor, komi included)
    def resign(self, game, player: int) -> None: ...  # ``player`` (FIRST_PLAYER or SECOND_PLAYER) resigns
    def to_sgf(self, game, names: tuple[str, str] = ("", "")) -> bytes | None: ...
    def baseline_evaluator(self, rollouts: int, seed: int): ...  # random-rollout evaluator
    def own_eye_moves(
        self, game
    ) -> np.ndarray | None: ...  # bool[A] moves filling the mover's own eye (None: no such notion)


class GoAdapter:
    """Go under GoRules through games.go (GoGame, GoSearchBatch, RolloutEvaluator).

    ``komi_plane``: the planes carry the komi (network.komi_input); ``liberty_planes``: and the 3 liberty planes
    (network.liberty_input); ``ladder_planes``: and the 2 ladder planes (network.ladder_input; layout in
    games.go._kernels.plane_layout); ``komi_stdev`` > 0: games started with a
    generator get a komi drawn from a normal around rules.komi, rounded to a half point (KataGo's komi randomisation).
    """

    name = "go"
    has_ownership = True

    def __init__(
        self,
        rules,
        komi_plane: bool = False,
        komi_stdev: float = 0.0,
        liberty_planes: bool = False,
        ladder_planes: bool = False,
    ) -> None:
        from games.go import num_planes

        rules.validate()
        self.rules = rules
        n = rules.size
        self.num_actions = n * n + 1
        self.komi_plane = bool(komi_plane)
        self.komi_stdev = float(komi_stdev)
        self.liberty_planes = bool(liberty_planes)
        self.ladder_planes = bool(ladder_planes)
        self.constant_planes = int(self.komi_plane)  # the komi plane, last; liberty and ladder planes are 0/1
        self.plane_shape = (num_planes(self.komi_plane, self.liberty_planes, self.ladder_planes), n, n)

    def new_game(self, rng: np.random.Generator | None = None):
        from dataclasses import replace

        from games.go import GoGame

        # self-play and the arena never take a move back: no undo snapshots (four array copies per move)
        if rng is None or self.komi_stdev == 0:
            return GoGame(self.rules, undo=False)
        komi = round(2.0 * (self.rules.komi + rng.normal(0.0, self.komi_stdev))) / 2.0
        return GoGame(replace(self.rules, komi=komi), undo=False)

    def search_batch(self, games: list, no_pass_before: int = 0):
        """``no_pass_before``: no pass before that move while a move that does not fill one's own eye exists."""
        from games.go import GoSearchBatch

        return GoSearchBatch(
            games,
            no_pass_before=no_pass_before,
            komi_plane=self.komi_plane,
            liberty_planes=self.liberty_planes,
            ladder_planes=self.ladder_planes,
        )

    def play(self, game, action: int) -> None:
        game.play(int(action))

    def is_over(self, game) -> bool:
        return bool(game.is_over)

    def to_move(self, game) -> int:
        return int(game.to_move)  # BLACK is FIRST_PLAYER, WHITE is SECOND_PLAYER

    def result(self, game) -> float:
        from games.go import BLACK, WHITE

        winner = game.winner()
        return 1.0 if winner == BLACK else (-1.0 if winner == WHITE else 0.0)

    def final_ownership(self, game) -> np.ndarray:
        return np.asarray(game.ownership(), np.int8)

    def final_margin(self, game) -> float:
        return float(game.area_score())  # black - white - komi

    def own_eye_moves(self, game) -> np.ndarray:
        return game.own_eye_mask()

    def resign(self, game, player: int) -> None:
        if not game.is_over:
            game.resign(player)  # BLACK / WHITE are the player numbers

    def to_sgf(self, game, names: tuple[str, str] = ("", "")) -> bytes:
        from games.go import BLACK, WHITE, game_to_sgf

        game.player_names = {BLACK: names[0], WHITE: names[1]}
        text = game_to_sgf(game)
        return text.encode("utf-8") if isinstance(text, str) else bytes(text)

    def baseline_evaluator(self, rollouts: int, seed: int):
        from games.go import RolloutEvaluator

        return RolloutEvaluator(self.rules.size, self.rules.komi, rollouts=rollouts, seed=seed)


class TicTacToeAdapter:
    """Tic-tac-toe through games.tictactoe (no pass, no ownership target, no SGF)."""

    name = "tictactoe"
    has_ownership = False
    constant_planes = 0

    def __init__(self) -> None:
        import games.tictactoe as ttt

        self._ttt = ttt
        self.num_actions = ttt.NUM_ACTIONS
        self.plane_shape = tuple(ttt.PLANE_SHAPE)

    def new_game(self, rng: np.random.Generator | None = None):
        return self._ttt.TicTacToe()

    def search_batch(self, games: list, no_pass_before: int = 0):
        return self._ttt.TicTacToeBatch(games)  # no pass in tic-tac-toe

    def play(self, game, action: int) -> None:
        game.play(int(action))

    def is_over(self, game) -> bool:
        return bool(game.is_over())

    def to_move(self, game) -> int:
        return int(game.to_move)  # X is FIRST_PLAYER, O is SECOND_PLAYER

    def result(self, game) -> float:
        winner = game.winner()
        return 1.0 if winner == FIRST_PLAYER else (-1.0 if winner == SECOND_PLAYER else 0.0)

    def final_ownership(self, game) -> None:
        return None

    def final_margin(self, game) -> None:
        return None

    def own_eye_moves(self, game) -> None:
        return None

    def resign(self, game, player: int) -> None:
        return None

    def to_sgf(self, game, names: tuple[str, str] = ("", "")) -> None:
        return None

    def baseline_evaluator(self, rollouts: int, seed: int):
        return self._ttt.RolloutEvaluator(rollouts=rollouts, seed=seed)


def make_adapter(
    name: str,
    go_rules=None,
    *,
    komi_plane: bool = False,
    komi_stdev: float = 0.0,
    liberty_planes: bool = False,
    ladder_planes: bool = False,
) -> GameAdapter:
    """The adapter for game ``name`` (``go`` uses ``go_rules``, the komi plane and draw, the liberty and ladder
    planes: GoAdapter)."""
    if name == "go":
        from games.go import GoRules

        return GoAdapter(
            go_rules or GoRules(),
            komi_plane=komi_plane,
            komi_stdev=komi_stdev,
            liberty_planes=liberty_planes,
            ladder_planes=ladder_planes,
        )
    if name == "tictactoe":
        return TicTacToeAdapter()
    raise ValueError(f"game.name must be go or tictactoe, got {name!r}")
