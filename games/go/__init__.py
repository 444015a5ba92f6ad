"""Go rules for zero: a Numba board engine with a checked game layer; imports nothing outside games.go but games.players.

Public API (colours BLACK=1, WHITE=2: games.players' FIRST_PLAYER / SECOND_PLAYER, ``games.opponent(c)``; points are flat indices ``a = y*N + x`` with y from the top,
pass = N*N, or GTP vertices like ``"D4"`` / ``"pass"``)::

    from games.go import GoGame, GoRules, new_game, IllegalMoveError
    game = new_game(size=9, komi=7.5, superko="positional")   # or GoGame(GoRules(...))
    game.play("D4"); game.play(40); game.play_pass()          # returns stones captured
    game.play("E5", color="white")                            # GTP-style explicit colour
    game.is_legal("C3"); game.verdict("C3")                   # None or 'occupied'|'suicide'|'ko'|'superko'|'off board'|'game over'
    game.legal_mask()        # bool[N*N+1], superko-aware, pass always legal
    game.legal_moves()       # list of flat indices
    game.undo(); game.resign(); game.copy()
    game.to_move, game.moves (list of (colour, action)), game.positions, game.move_number, game.passes
    game.is_over, game.winner(), game.result()  ('B+3.5', 'W+R', '0')
    game.stones()            # int8[N, N] 0/1/2;  game.captures -> {BLACK: n, WHITE: m}
    game.own_eye_mask()      # bool[N*N+1] moves that fill the mover's own single-point eye
    game.area_score()        # Tromp-Taylor black - white - komi;  game.ownership() int8[N, N] (+1 black)
    game.planes()            # float32[17, N, N] AlphaGo Zero planes of the current position
    game.planes(komi_plane=True)  # the same and an 18th: the komi the side to move receives / KOMI_SCALE
    game.planes(liberty_planes=True)  # + 3 planes after the 17: stones whose chain has 1, 2, 3 liberties
    game.planes(ladder_planes=True)  # + 2 planes: stones a ladder captures, moves that start one (then komi, last)
    game.diagram(); GoGame.from_diagram("X O .\\n...", to_move="W")
    game.chains()            # lists of flat points;  game.area_score(dead=points) with dead stones taken off
    game_to_sgf(game); game_from_sgf(text)   # SgfError on malformed records
    playout_ownership(game, playouts, seed)  # float32[N*N] mean owner after light playouts (games.go.playouts)

Errors: an illegal move raises IllegalMoveError (``.reason`` as above); a malformed vertex raises
CoordinateError; a malformed SGF raises SgfError; none of them changes the game.

Rules (GoRules): size 2..19; komi any number (integers allow draws); superko 'positional'
(default) or 'simple'; max_moves (0 = 2*N*N: self-play's cap) ends and scores the game; GTP engines,
match referees and SGF records use NO_MOVE_LIMIT (every legal move accepted). Two consecutive passes end
the game; a further move resumes it (GTP clients do that). Scoring is Tromp-Taylor area.

For the search: GoSearchBatch(games) (SearchGame protocol) and RolloutEvaluator(size, komi, rollouts, seed)
(Evaluator protocol), see games.go.search. Coordinates and diagrams: games.go.coords.

Modules in dependency order:
  rules      GoRules, the parameter dataclass
  coords     flat index / GTP vertex / SGF point conversions, diagrams
  _kernels   Numba board: chains with pseudo-liberties, captures, ko, legality, hash, area, playouts, planes
  _ladder_kernels  Numba ladder reading for the ladder planes (AND-OR search over board copies)
  _replay_kernels  Numba leaf replay for the search: paths, planes, legal masks with a superko hash filter
  game       GoGame: checked moves, superko, passes, undo, scoring, planes
  sgf        SGF read/write via sgfmill (game_to_sgf, game_from_sgf)
  playouts   light random playouts: ownership estimates, the playout benchmark
  seki       seki points and the chains living in seki at the end of a game
  search     GoSearchBatch and RolloutEvaluator for mcts
"""

from games.go._kernels import KOMI_SCALE, LADDER_PLANES, LIBERTY_PLANES, NUM_PLANES, num_planes
from games.go.coords import CoordinateError, from_gtp, to_gtp
from games.go.game import BLACK, EMPTY, WHITE, GoGame, IllegalMoveError, parse_color
from games.go.playouts import bench_playouts, playout_ownership
from games.go.rules import NO_MOVE_LIMIT, GoRules
from games.go.search import GoSearchBatch, RolloutEvaluator
from games.go.sgf import SgfError, game_from_sgf, game_to_sgf


def new_game(size: int = 9, komi: float = 7.5, superko: str = "positional", max_moves: int = 0) -> GoGame:
    """A new game on an empty board with Black to move."""
    return GoGame(GoRules(size=size, komi=komi, superko=superko, max_moves=max_moves))


__all__ = [
    "KOMI_SCALE",
    "LIBERTY_PLANES",
    "LADDER_PLANES",
    "NUM_PLANES",
    "num_planes",
    "BLACK",
    "WHITE",
    "EMPTY",
    "GoGame",
    "GoRules",
    "GoSearchBatch",
    "RolloutEvaluator",
    "IllegalMoveError",
    "CoordinateError",
    "SgfError",
    "new_game",
    "parse_color",
    "from_gtp",
    "to_gtp",
    "NO_MOVE_LIMIT",
    "game_to_sgf",
    "game_from_sgf",
    "playout_ownership",
    "bench_playouts",
]
