"""The Go commands of the GTP engine (board, moves, handicap, time, scoring, SGF, analysis) on games.go and the search; no torch import here.

Every command validates its arguments before touching the game, and moves are tried on a
copy that replaces the game only on success, so a ``?`` reply never leaves the game changed.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from games.go import (
    BLACK,
    NO_MOVE_LIMIT,
    WHITE,
    CoordinateError,
    GoGame,
    GoRules,
    IllegalMoveError,
    SgfError,
    game_from_sgf,
    game_to_sgf,
    to_gtp,
)
from games.go.coords import OffBoardError, from_gtp
from games.go.rule_sets import RuleSet, parse_rule_set
from mcts import SearchParams, SearchResult
from mcts.interface import predicts_margins
from mcts.search import MoveFilter
from zero.analysis.engine import moves_ownership, search_batch, search_score_leads
from zero.analysis.query import MoveRule, move_filter_rows
from zero.gtp.analysis import AnalyzeOptions, MoveInfo, RootInfo, kata_line, lz_line, parse_analyze_args, select_moves
from zero.gtp.clock import Clock, OverheadMeter, TimeParams, move_budget
from zero.gtp.gogui import ANALYZE_COMMANDS, ownership_dboard, policy_gfx, search_gfx
from zero.gtp.networks import BoardNetworks
from zero.gtp.player import RESIGN, EngineParams, GoPlayer
from zero.gtp.protocol import (
    CANNOT_UNDO,
    COLOR,
    FLOAT,
    ILLEGAL_MOVE,
    INT,
    SECONDS,
    STRING,
    UNACCEPTABLE_SIZE,
    Arg,
    CommandRegistry,
    GtpEngine,
    GtpError,
    parse_color,
    syntax_error,
)

log = logging.getLogger("zero.gtp.protocol")
INTERRUPT_POLL_SECONDS = 0.2  # a timed search's longest stretch without looking for GoGui's interrupt
RULES_NOT_SUPPORTED = "rules not supported: this engine plays area scoring only"
KGS_RULES = ("japanese", "chinese", "aga", "new_zealand")  # the names kgsGtp's kgs-rules sends
NO_NETWORK = "no network for this board size"  # kata-raw-nn where rollouts play
_KO_RULES = {"simple": "SIMPLE", "positional": "POSITIONAL"}  # GoRules.superko -> KataGo's ko rule
# the settings a client may change while the engine runs: KataGo's kata-*-param names -> EngineParams fields
ENGINE_SETTINGS = {"maxVisits": "visits", "maxTime": "move_time", "ponderingEnabled": "ponder"}
# the time controls of kata-time_settings and how many arguments each takes; kgs-time_settings knows the first four
KATA_TIME_SETTINGS = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3, "fischer": 2, "fischer-capped": 4}
KGS_TIME_SETTINGS = ("none", "absolute", "byoyomi", "canadian")


def _parse_vertex(token: str, engine: Any) -> int:
    """GTP vertex -> flat index (pass = N*N) on the engine's current board."""
    try:
        return from_gtp(token, engine.game.size)
    except OffBoardError:
        log.info("vertex %r is off the board", token)
        raise GtpError(ILLEGAL_MOVE) from None
    except (CoordinateError, ValueError):  # ValueError: digits int() refuses (e.g. superscripts)
        raise syntax_error(f"{token!r} is not a vertex") from None


VERTEX = Arg("vertex", _parse_vertex)


def fixed_handicap_points(size: int, stones: int) -> list[int]:
    """The GTP 2 fixed handicap placement (section 4.1.1): corners, then sides, then centre."""
    if size < 7 or stones < 2 or stones > 9 or (size % 2 == 0 and stones > 4) or (size == 7 and stones > 4):
        raise GtpError("invalid number of stones")
    d = 2 if size < 13 else 3
    lo, hi, mid = d, size - 1 - d, size // 2

    def at(x: int, row_from_top: int) -> int:
        return row_from_top * size + x

    bl, tr, tl, br = at(lo, hi), at(hi, lo), at(lo, lo), at(hi, hi)
    left, right, bottom, top, centre = at(lo, mid), at(hi, mid), at(mid, hi), at(mid, lo), at(mid, mid)
    table = {
        2: [bl, tr],
        3: [bl, tr, tl],
        4: [bl, tr, tl, br],
        5: [bl, tr, tl, br, centre],
        6: [bl, tr, tl, br, left, right],
        7: [bl, tr, tl, br, left, right, centre],
        8: [bl, tr, tl, br, left, right, bottom, top],
        9: [bl, tr, tl, br, left, right, bottom, top, centre],
    }
    return table[stones]


class GoGtpEngine(GtpEngine):
    """GTP engine for Go: games.go referees, GoPlayer searches (network evaluator or random rollouts)."""

    registry = CommandRegistry(GtpEngine.registry)

    def __init__(
        self,
        *,
        params: EngineParams | None = None,
        search_params: SearchParams | None = None,
        time_params: TimeParams | None = None,
        network: Any | None = None,
        networks: BoardNetworks | None = None,
        size: int = 9,
        komi: float = 7.5,
        superko: str = "positional",
    ) -> None:
        """``network`` plays its own board size only (None: random-rollout MCTS); ``networks`` instead says which
        network plays each size (zero.gtp.networks: the shipped ones, rollouts on the other sizes)."""
        super().__init__()
        if network is not None and networks is not None:
            raise ValueError("give a network or the networks of each board size, not both")
        self.params = params or EngineParams()
        self.time_params = time_params or TimeParams()
        self.networks = networks if networks is not None else BoardNetworks.given(network)
        size = self.networks.initial_size(size)
        loaded = self.networks.for_size(size)
        self.network = loaded.evaluator if loaded is not None else None  # the one playing the current board size
        self.player = GoPlayer(self.params, search_params or SearchParams(), self.network)
        self.player.may_resign = loaded is None or not loaded.other_size
        self.superko = superko
        self.komi = float(komi)  # as the client set it; the game's adds the rules' handicap compensation
        # the rules played, as kata-get-rules reports them (kata-set-rules sets their ko rule and compensation)
        self.rules_played = RuleSet(ko=_KO_RULES[superko])
        self.game = GoGame(_engine_rules(size, komi, superko))
        self.time_settings = Clock()
        self.clocks = {BLACK: Clock(), WHITE: Clock()}
        self.overhead = OverheadMeter()  # kept across games: what a move costs beyond its thinking budget
        self._budget: float | None = None  # thinking budget of the last search
        self._ponder_game: GoGame | None = (
            None  # the position after our last genmove, to ponder on until the next command
        )

    def state_key(self) -> tuple:
        """Everything a command may change (for tests: unchanged after every ``?`` reply)."""
        g = self.game
        return (
            g.size,
            g.komi,
            tuple(g.moves),
            g.to_move,
            g.resigned,
            tuple(map(tuple, g.setup_stones.values())),
            g.stones().tobytes(),
            repr(self.time_settings),
            repr(self.clocks),
        )

    # -- board set-up --

    def _new_game(self, size: int, komi: float) -> None:
        self._use_network(size)
        self.game = GoGame(_engine_rules(size, komi, self.superko))
        self.clocks = {BLACK: self.time_settings.start(), WHITE: self.time_settings.start()}

    def _use_network(self, size: int) -> None:
        """Play ``size`` with its network (zero.gtp.networks), or rollouts; a network that fails to load is a ``?`` reply."""
        try:
            loaded = self.networks.for_size(size)
        except (OSError, ValueError) as exc:  # CheckpointError is a ValueError
            raise GtpError(f"cannot load the network for {size}x{size}: {exc}") from None
        evaluator = loaded.evaluator if loaded is not None else None
        # a network on a board size it was not trained on misjudges who is winning there (one resigned a 13x13 game
        # it may not have lost, BENCHMARKS.md session 26): it plays on to the end
        self.player.may_resign = loaded is None or not loaded.other_size
        if evaluator is not self.network:
            self.network = evaluator
            self.player.use_network(evaluator)
            self._ponder_game = None

    @registry.command("boardsize", INT)
    def cmd_boardsize(self, size: int) -> str:
        if not 2 <= size <= 19 or not self.networks.accepts(size):
            raise GtpError(UNACCEPTABLE_SIZE)
        self._new_game(size, self.komi)
        return ""

    @registry.command("clear_board")
    def cmd_clear_board(self) -> str:
        self._new_game(self.game.size, self.komi)
        return ""

    @registry.command("komi", FLOAT)
    def cmd_komi(self, komi: float) -> str:
        if abs(komi) > 1000:
            raise syntax_error(f"komi {komi} out of range")
        game = _with_rules(self.game, komi=komi)
        self.komi, self.game = komi, game
        return ""

    @registry.command("get_komi")
    def cmd_get_komi(self) -> str:
        """The komi as set (KataGo's: without the handicap compensation the game adds to it)."""
        return f"{self.komi:g}"

    @registry.command("kata-get-rules")
    def cmd_kata_get_rules(self) -> str:
        """The rules played, as KataGo's JSON: area scoring, the engine's ko rule and handicap compensation, no tax,
        button or suicide."""
        return self.rules_played.to_json()

    @registry.command("kata-set-rules", rest=True)
    def cmd_kata_set_rules(self, tokens: list[str]) -> str:
        """A KataGo rule name or rules object: area rule sets set the ko rule (a situational superko is played as
        positional) and the handicap compensation; territory scoring, tax or a button are refused."""
        text = " ".join(tokens)
        try:
            rules = parse_rule_set(json.loads(text) if text.startswith("{") else text)
        except (ValueError, RecursionError) as exc:  # json.JSONDecodeError is a ValueError; deep nesting recurses
            raise syntax_error(str(exc)) from None
        self._play_rules(rules, text)
        return ""

    @registry.command("kgs-rules", STRING)
    def cmd_kgs_rules(self, name: str) -> str:
        """KGS's rules of the game (kgsGtp sends it before each game): ``chinese``, ``aga`` and ``new_zealand`` as
        KataGo's rule sets of those names, ``japanese`` refused as kata-set-rules refuses it (territory scoring)."""
        if name.lower() not in KGS_RULES:
            raise syntax_error(f"kgs-rules {name}: one of {' '.join(KGS_RULES)}")
        self._play_rules(parse_rule_set(name), name)
        return ""

    @registry.command("kgs-game_over")
    def cmd_kgs_game_over(self) -> str:
        """kgsGtp's notice that the game ended: nothing to do (pondering ends when any command arrives)."""
        return ""

    @registry.command("kata-set-rule", STRING, STRING)
    def cmd_kata_set_rule(self, key: str, value: str) -> str:
        """One field of the rules played, by any of the names of KataGo's rules objects (``ko SIMPLE``,
        ``whiteHandicapBonus N``, ``suicide false``); the same refusals as kata-set-rules."""
        fields = self.rules_played.fields()
        fields[key] = {"true": True, "false": False}.get(value.lower(), value)
        try:
            rules = parse_rule_set(fields)
        except ValueError as exc:
            raise syntax_error(str(exc)) from None
        self._play_rules(rules, f"{key} {value}")
        return ""

    def _play_rules(self, rules: RuleSet, text: str) -> None:
        differ = rules.unplayable()
        if differ:
            log.info("rules %s: %s not played", text, ", ".join(differ))
            raise GtpError(RULES_NOT_SUPPORTED)
        superko = rules.superko()
        self.game = _with_rules(self.game, superko=superko)
        self.superko = superko
        self.rules_played = RuleSet(ko=_KO_RULES[superko], white_handicap_bonus=rules.white_handicap_bonus)
        self._compensate_handicap()  # also where the new rules have none: the old compensation goes

    @registry.command("kata-list-params")
    def cmd_kata_list_params(self) -> str:
        return " ".join(ENGINE_SETTINGS)

    @registry.command("kata-get-param", STRING)
    def cmd_kata_get_param(self, name: str) -> str:
        return _setting_text(getattr(self.params, self._setting(name)))

    @registry.command("kata-set-param", STRING, STRING)
    def cmd_kata_set_param(self, name: str, value: str) -> str:
        """KataGo's: maxVisits (gtp.visits), maxTime (gtp.move_time: seconds a move without a clock),
        ponderingEnabled (gtp.ponder); a bad name or value is a syntax error and changes nothing."""
        self._set_setting(name, value)
        return ""

    @registry.command("zero-param", rest=True)
    def cmd_zero_param(self, tokens: list[str]) -> str:
        """GoGui's ``param`` dialog over the same settings: no argument lists them, ``NAME VALUE`` sets one."""
        if not tokens:
            values = {name: getattr(self.params, field) for name, field in ENGINE_SETTINGS.items()}
            return "\n".join(
                f"[bool] {name} {int(value)}" if isinstance(value, bool) else f"{name} {_setting_text(value)}"
                for name, value in values.items()
            )
        if len(tokens) != 2:
            raise syntax_error("zero-param takes a name and a value")
        self._set_setting(*tokens)
        return ""

    def _setting(self, name: str) -> str:
        if name not in ENGINE_SETTINGS:
            raise syntax_error(f"unknown parameter {name!r} (known: {', '.join(ENGINE_SETTINGS)})")
        return ENGINE_SETTINGS[name]

    def _set_setting(self, name: str, text: str) -> None:
        field_name = self._setting(name)
        kind = type(getattr(self.params, field_name))
        try:
            if kind is bool:
                value: Any = {"true": True, "1": True, "false": False, "0": False}[text.lower()]
            else:
                value = kind(text)
                if not math.isfinite(value):
                    raise ValueError(text)
            params = replace(self.params, **{field_name: value})
            params.validate()
        except (KeyError, ValueError) as exc:
            raise syntax_error(f"{name} {text!r}: {exc}") from None
        self.params = self.player.params = params
        if field_name == "visits":  # the tree is sized by the visits: the next search builds it afresh
            self.player.use_network(self.network)

    @registry.command("gogui-interrupt")
    def cmd_gogui_interrupt(self) -> str:
        """GoGui's: says the engine stops a search on the line ``# interrupt`` (zero.gtp.protocol), playing its best
        move so far (a search under a clock or gtp.move_time; one of gtp.visits is short)."""
        return ""

    @registry.command("cputime")
    def cmd_cputime(self) -> str:
        """GoGui's: the CPU seconds this engine's process has used, all its threads (the network's too)."""
        return f"{time.process_time():.6f}"  # microseconds: a short search must still show as time spent

    registry.alias("gomill-cpu_time", "cputime")

    @registry.command("gomill-describe_engine")
    def cmd_gomill_describe_engine(self) -> str:
        """gomill's: what plays, for a tournament's report."""
        return (
            f"{self.engine_name} {self.engine_version}, network: {self.networks.describe(self.game.size)}, "
            f"visits per move without a clock: {self.params.visits}"
        )

    def _dispatch(self, name: str, tokens: list[str]) -> str | Iterator[str]:
        """Under rules with handicap compensation every command leaves the game's komi raised by it for the handicap
        stones on the board (a stream once it ends): the search plays for it and final_score counts it."""
        result = super()._dispatch(name, tokens)
        if self.rules_played.white_handicap_bonus == "0":
            return result
        if isinstance(result, str):
            self._compensate_handicap()
            return result
        return self._compensated_stream(result)

    def _compensated_stream(self, stream: Iterator[str]) -> Iterator[str]:
        try:
            yield from stream
        finally:  # kata-genmove_analyze plays its move at the end
            self._compensate_handicap()

    def _compensate_handicap(self) -> None:
        """The game's komi: the client's plus the rules' compensation for the handicap stones (as KataGo counts
        them: set-up or handicap-command stones, or Black's moves before White's first)."""
        bonus = self.rules_played.compensation(self.game)
        if self.game.komi != self.komi + bonus:
            self.game = _with_rules(self.game, komi=self.komi + bonus)

    @registry.command("clear_cache")
    def cmd_clear_cache(self) -> str:
        """Drop the search tree: the next search starts afresh (KataGo's; the position and clocks stay)."""
        self.player.use_network(self.network)
        self._ponder_game = None
        return ""

    @registry.command("stop")
    def cmd_stop(self) -> str:
        """KataGo's: end pondering or analysis; any command arriving does that already, so nothing is left to do."""
        return ""

    @registry.command("zero-model")
    def cmd_zero_model(self) -> str:
        """The network playing the current board size: name, step, version, tower, board; or ``none (rollouts)``."""
        return self.networks.describe(self.game.size)

    # -- moves --

    @registry.command("play", COLOR, VERTEX)
    def cmd_play(self, color: str, a: int) -> str:
        game = self.game.copy()
        try:
            game.play(a, color)
        except IllegalMoveError as exc:
            log.info("%s", exc)
            raise GtpError(ILLEGAL_MOVE) from None
        self.game = game
        return ""

    @registry.command("undo")
    def cmd_undo(self) -> str:
        if not self.game.moves:
            raise GtpError(CANNOT_UNDO)
        game = self.game.copy()
        game.undo()
        self.game = game
        return ""

    @registry.command("genmove", COLOR)
    def cmd_genmove(self, color: str) -> str:
        return self._genmove(color, play=True)

    @registry.command("reg_genmove", COLOR)
    def cmd_reg_genmove(self, color: str) -> str:
        return self._genmove(color, play=False)

    @registry.command("kgs-genmove_cleanup", COLOR)
    def cmd_genmove_cleanup(self, color: str) -> str:
        return self._genmove(color, play=True, cleanup=True)

    def _position_for(self, color: int) -> GoGame:
        """The game with ``color`` to move (GTP lets a client ask either colour)."""
        if self.game.to_move == color:
            return self.game
        game = self.game.copy()
        game.to_move = color
        return game

    def _think(self, color: int, interval: float | None = None) -> Iterator[SearchResult]:
        """Search for ``color`` within the clock; yields intermediate results every ``interval`` seconds, then the last."""
        game = self._position_for(color)
        budget = move_budget(
            self.clocks[color],
            game.move_number,
            game.size * game.size,
            self.time_params,
            overhead=self.overhead.estimate,
        )
        if budget is None and self.params.move_time > 0:
            budget = self.params.move_time
        self._budget = budget
        start = time.perf_counter()
        deadline = None if budget is None else start + budget
        self.player.start_from(game)  # keeps the subtree of the moves played since the last search (search.reuse_tree)
        search = self.player._search
        assert search is not None
        batch = search_batch(self.player._evaluator, [game])
        cap = search.params.simulations  # what the tree holds
        if budget is None:
            target = min(self.params.visits, cap)
        else:  # under a time control the clock decides, up to gtp.timed_visits
            target = min(self.params.timed_visits or cap, cap)
        next_report = None if interval is None else start + interval
        while True:
            now = time.perf_counter()
            limits = [t - now for t in (deadline, next_report) if t is not None]
            if deadline is not None:  # a clock's search looks for GoGui's interrupt this often
                limits.append(INTERRUPT_POLL_SECONDS)
            chunk = max(0.0, min(limits)) if limits else None
            result = search.run(batch, self.player._evaluator, add_noise=False, simulations=target, max_seconds=chunk)
            done = int(result.simulations[0]) >= target or bool(result.terminal[0]) or self.interrupt.is_set()
            now = time.perf_counter()
            if done or (deadline is not None and now >= deadline):
                yield result
                return
            if next_report is not None and now >= next_report:
                yield result
                next_report = now + interval

    def _genmove(self, color: int, *, play: bool, cleanup: bool = False) -> str:
        move = ""
        for kind, value in self._genmove_steps(color, play=play, cleanup=cleanup, interval=None):
            if kind == "move":
                move = value
        return move

    def _genmove_steps(
        self, color: int, *, play: bool, cleanup: bool, interval: float | None
    ) -> Iterator[tuple[str, Any]]:
        """Yields ("search", (result, game)) while thinking, then ("move", vertex | "resign")."""
        game = self._position_for(color)
        if game.verdict(game.pass_action) == "game over":  # move limit reached or resigned: nothing to play
            yield "move", "pass"
            return
        start = time.perf_counter()
        self._budget = None
        if not cleanup and self.player.should_pass_to_end(game):
            a = game.pass_action
        else:
            result = None
            for result in self._think(color, interval):
                yield "search", (result, game)
            assert result is not None
            a = self.player.choose_move(game, result, cleanup=cleanup)
        if a == RESIGN:
            yield "move", "resign"
            return
        if play:
            new = self.game.copy()
            new.play(int(a), color)
            self.game = new
            self.clocks[color].spend(time.perf_counter() - start)
            self._ponder_game = new
        if self._budget is not None:
            self.overhead.record(self._budget, time.perf_counter() - start)
        yield "move", to_gtp(int(a), game.size)

    def idle(self, interrupted) -> None:
        """Ponder (gtp.ponder) on the position after our last genmove until the next command arrives."""
        game, self._ponder_game = self._ponder_game, None
        if game is not None and game is self.game:
            self.player.ponder(game, interrupted)

    # -- display and scoring --

    @registry.command("showboard")
    def cmd_showboard(self) -> str:
        g = self.game
        caps = g.captures
        side = "Black" if g.to_move == BLACK else "White"
        return (
            f"\n{g.diagram(coordinates=True)}\n{side} to move, move {g.move_number}, komi {self._komi_text()}, "
            f"captured: black {caps[BLACK]} white {caps[WHITE]}"
        )

    def _komi_text(self) -> str:
        bonus = self.game.komi - self.komi
        return f"{self.komi:g}" + (f" + {bonus:g} handicap compensation" if bonus else "")

    @registry.command("final_score")
    def cmd_final_score(self) -> str:
        score = self.player.final_score(self.game)
        if score == 0:
            return "0"
        return f"{'B' if score > 0 else 'W'}+{abs(score):g}"

    @registry.command("final_status_list", STRING)
    def cmd_final_status_list(self, status: str) -> str:
        if status not in ("alive", "dead", "seki"):
            raise syntax_error(f"status {status!r}")
        N = self.game.size
        dead = self.player.dead_stones(self.game)
        seki = set(self.player.seki_stones(self.game, dead))
        dead = set(dead)
        lines = []
        for chain in self.game.chains():
            kind = "dead" if chain[0] in dead else "seki" if chain[0] in seki else "alive"
            if kind == status:
                lines.append(" ".join(to_gtp(a, N) for a in sorted(chain)))
        return "\n".join(lines)

    # -- handicap --

    def _place_handicap(self, points: list[int]) -> None:
        if self.game.moves or self.game.stones().any():
            raise GtpError("board not empty")
        game = GoGame(self.game.rules)
        game.setup(points, [])
        game.to_move = WHITE
        self.game = game

    @registry.command("fixed_handicap", INT)
    def cmd_fixed_handicap(self, stones: int) -> str:
        points = fixed_handicap_points(self.game.size, stones)
        self._place_handicap(points)
        return " ".join(to_gtp(a, self.game.size) for a in points)

    @registry.command("place_free_handicap", INT)
    def cmd_place_free_handicap(self, stones: int) -> str:
        N = self.game.size
        if stones < 2 or stones >= N * N:
            raise GtpError("invalid number of stones")
        try:
            points = fixed_handicap_points(N, min(stones, 9))
        except GtpError:
            points = []
        centre = (N - 1) / 2
        others = sorted(
            (a for a in range(N * N) if a not in points), key=lambda a: (abs(a % N - centre) + abs(a // N - centre), a)
        )
        points = (points + others)[:stones]
        self._place_handicap(points)
        return " ".join(to_gtp(a, N) for a in points)

    @registry.command("set_free_handicap", VERTEX, VERTEX, rest=True)
    def cmd_set_free_handicap(self, first: int, second: int, more: list[str]) -> str:
        N = self.game.size
        points = [first, second] + [_parse_vertex(t, self) for t in more]
        if len(set(points)) != len(points) or N * N in points or len(points) >= N * N:
            raise GtpError("bad vertex list")
        self._place_handicap(points)
        return ""

    @registry.command("set_position", rest=True)
    def cmd_set_position(self, tokens: list[str]) -> str:
        """KataGo's ``set_position COLOR VERTEX ...``: this board with no move history (nothing: an empty board);
        Black to move, though play and genmove take either colour."""
        if len(tokens) % 2:
            raise syntax_error("set_position takes colour-vertex pairs")
        colors = [parse_color(t) for t in tokens[::2]]
        points = [_parse_vertex(t, self) for t in tokens[1::2]]
        N = self.game.size
        if len(set(points)) != len(points) or N * N in points:
            raise GtpError("bad vertex list")
        game = GoGame(self.game.rules)
        try:
            game.setup(
                [a for c, a in zip(colors, points) if c == BLACK], [a for c, a in zip(colors, points) if c == WHITE]
            )
        except ValueError:  # a chain without liberties
            raise GtpError("bad vertex list") from None
        self.game = game
        return ""

    # -- time --

    @registry.command("time_settings", SECONDS, SECONDS, INT)
    def cmd_time_settings(self, main: float, byo_time: float, byo_stones: int) -> str:
        self._set_clock(Clock.from_gtp(main, byo_time, byo_stones))
        return ""

    @registry.command("kgs-time_settings", STRING, rest=True)
    def cmd_kgs_time_settings(self, kind: str, args: list[str]) -> str:
        if kind not in KGS_TIME_SETTINGS:
            raise syntax_error(f"kgs-time_settings {kind}: one of {' '.join(KGS_TIME_SETTINGS)}")
        self._set_clock(self._clock_from_settings("kgs-time_settings", kind, args))
        return ""

    @registry.command("kata-time_settings", STRING, rest=True)
    def cmd_kata_time_settings(self, kind: str, args: list[str]) -> str:
        """KGS's settings, and Fischer time (``fischer MAIN INCREMENT``, ``fischer-capped MAIN INCREMENT
        MAIN_LIMIT MOVE_LIMIT``, a negative limit for none), as KataGo reads them; times may be fractional."""
        if kind not in KATA_TIME_SETTINGS:
            raise syntax_error(f"kata-time_settings {kind}: one of {' '.join(KATA_TIME_SETTINGS)}")
        self._set_clock(self._clock_from_settings("kata-time_settings", kind, args))
        return ""

    @registry.command("kata-list_time_settings")
    def cmd_kata_list_time_settings(self) -> str:
        return " ".join(KATA_TIME_SETTINGS)

    def _clock_from_settings(self, command: str, kind: str, args: list[str]) -> Clock:
        """The clock a kgs-/kata-time_settings KIND ARGS names; a syntax error (nothing changed) if the arguments do not fit."""
        if len(args) != KATA_TIME_SETTINGS[kind]:
            raise syntax_error(f"{command} {kind} takes {KATA_TIME_SETTINGS[kind]} arguments, got {len(args)}")
        if kind == "fischer-capped":  # the two caps may be negative: no cap
            main, increment = (SECONDS.parse(t, self) for t in args[:2])
            main_limit, move_limit = (FLOAT.parse(t, self) for t in args[2:])
            if 0 <= main_limit < main:
                raise syntax_error(f"{command} fischer-capped: main time limit {main_limit:g} below main time {main:g}")
            return Clock.fischer(
                main,
                increment,
                main_limit if main_limit >= 0 else math.inf,
                move_limit if move_limit >= 0 else math.inf,
            )
        values = [SECONDS.parse(t, self) for t in args[:2]] + [INT.parse(t, self) for t in args[2:]]
        if kind == "none":
            return Clock()
        if kind == "fischer":
            return Clock.fischer(values[0], values[1])
        if kind == "absolute":
            return Clock("absolute", values[0], 0.0, 0)
        if values[2] == 0:  # byo-yomi without stones or periods: main time alone, if any
            return Clock("absolute", values[0], 0.0, 0) if values[0] > 0 else Clock()
        return Clock(kind, values[0], values[1], int(values[2]))

    def _set_clock(self, clock: Clock) -> None:
        self.time_settings = clock
        self.clocks = {BLACK: clock.start(), WHITE: clock.start()}

    @registry.command("time_left", COLOR, FLOAT, INT)
    def cmd_time_left(self, color: str, seconds: float, stones: int) -> str:
        if stones > 0 and not self.clocks[color].has_overtime:
            raise syntax_error(
                f"time_left: {stones} stones left, but the {self.clocks[color].kind} clock has no overtime"
            )
        self.clocks[color].update(seconds, stones)
        return ""

    # -- SGF --

    @registry.command("loadsgf", STRING, optional=(INT,))
    def cmd_loadsgf(self, path: str, move_number: int | None = None) -> str:
        try:
            with open(path, "rb") as fh:
                data = fh.read(10_000_000)
            game = game_from_sgf(data, superko=self.superko, max_moves=NO_MOVE_LIMIT)
        except (OSError, SgfError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            log.info("loadsgf %s: %s", path, reason)
            # GTP's message first (clients may match it), then why, on the one line a reply allows
            raise GtpError(" ".join(f"cannot load file: {path}: {reason}".split())) from None
        if not self.networks.accepts(game.size):
            raise GtpError(UNACCEPTABLE_SIZE)
        self._use_network(game.size)
        if move_number is not None:  # the position before move ``move_number`` (1-based)
            while len(game.moves) >= max(move_number, 1):
                game.undo()
        self.komi = game.komi
        self.game = game
        return "black" if game.to_move == BLACK else "white"

    @registry.command("printsgf")
    def cmd_printsgf(self) -> str:
        """The game as SGF, KM the komi as set (the rules' handicap compensation is not komi)."""
        game = self.game if self.game.komi == self.komi else _with_rules(self.game, komi=self.komi)
        return game_to_sgf(game).strip()

    # -- analysis --

    def _infos(self, result: SearchResult, game: GoGame, opts: AnalyzeOptions) -> list[MoveInfo]:
        """Every legal move's statistics, its line from the tree (most visits) and KataGo's LCB, best first."""
        N = game.size
        visits = result.visits[0]
        prior = result.prior[0]
        total_prior = float(prior.sum()) or 1.0
        legal = np.flatnonzero((game.legal_mask() & (prior > 0)) | (visits > 0))  # prior 0: barred by allow/avoid
        lines = dict(zip(np.flatnonzero(visits).tolist(), self.player.variations(np.flatnonzero(visits).tolist())))
        infos = []
        for a in legal.tolist():
            v = int(visits[a])
            q = float(result.q[0][a]) if v > 0 else float(result.root_value[0])
            q_lcb = float(result.q_lcb[0][a]) if v > 0 and result.q_lcb is not None else q - 2.0
            pv, pv_visits = lines.get(a, ([a], [0]))
            infos.append(
                MoveInfo(
                    to_gtp(a, N),
                    v,
                    (q + 1.0) / 2.0,
                    float(prior[a]) / total_prior,
                    tuple(to_gtp(int(m), N) for m in pv),
                    lcb=(q_lcb + 1.0) / 2.0,
                    pv_visits=tuple(pv_visits),
                )
            )
        shown = select_moves(infos, opts)
        if shown and predicts_margins(self.player._evaluator):  # the search's average margin after each move
            actions = [from_gtp(m.move, N) for m in shown]
            evaluator = self.player._evaluator
            leads = search_score_leads(evaluator, search_batch(evaluator, [game]), result, 0, actions)
            shown = [replace(m, score_lead=float(lead)) for m, lead in zip(shown, leads)]
        return shown

    def _analysis_line(self, result: SearchResult, game: GoGame, opts: AnalyzeOptions, kata: bool) -> str:
        infos = self._infos(result, game, opts)
        if not kata:
            return lz_line(infos)
        ownership, ownership_stdev = self._search_ownership(result, game, opts)
        if (opts.moves_ownership or opts.moves_ownership_stdev) and infos:
            infos = self._moves_ownership(result, game, opts, infos)
        root = None
        if opts.root_info:  # root_score: the search's mean margin (the mover's view), only where it tracked margins
            score = None if result.root_score is None else float(result.root_score[0])
            root = RootInfo(int(result.simulations[0]), (float(result.root_value[0]) + 1.0) / 2.0, score)
        return kata_line(
            infos,
            ownership,
            pv_visits=opts.pv_visits,
            root=root,
            pv_edge_visits=opts.pv_edge_visits,
            ownership_stdev=ownership_stdev,
        )

    def _search_ownership(
        self, result: SearchResult, game: GoGame, opts: AnalyzeOptions
    ) -> tuple[list[float] | None, list[float] | None]:
        """kata-analyze's ownership and ownershipStdev, the mover's view: averaged over the search tree where the
        network has an ownership head (as KataGo's), else light playouts of the position (a spread of 0)."""
        if not (opts.ownership or opts.ownership_stdev):
            return None, None
        if result.ownership is not None:  # the search's root is the position analysed: its player is the mover
            mean, stdev = result.ownership[0], result.ownership_stdev[0]
        else:
            sign = 1.0 if game.to_move == BLACK else -1.0
            mean, stdev = self.player.ownership(game) * sign, np.zeros(game.size * game.size)  # +1 Black -> mover
        return (
            [float(v) for v in mean] if opts.ownership else None,
            [float(v) for v in stdev] if opts.ownership_stdev else None,
        )

    def _moves_ownership(
        self, result: SearchResult, game: GoGame, opts: AnalyzeOptions, infos: list[MoveInfo]
    ) -> list[MoveInfo]:
        """Each candidate's movesOwnership (and movesOwnershipStdev), the mover's view (zero.analysis.engine's
        moves_ownership: its subtree's average where it was searched, one ply deep where it was not)."""
        mean, spread = moves_ownership(
            result,
            0,
            game,
            [from_gtp(m.move, game.size) for m in infos],
            self.player.network_for(game),
            self.params.ownership_playouts,
            self.player.seed,
        )
        return [
            replace(
                m,
                ownership=tuple(mean[k].tolist()) if opts.moves_ownership else None,
                ownership_stdev=tuple(spread[k].tolist()) if opts.moves_ownership_stdev else None,
            )
            for k, m in enumerate(infos)
        ]

    def _move_filter(self, opts: AnalyzeOptions, game: GoGame) -> MoveFilter | None:
        """The search filter of the allow/avoid options (vertices checked here: a bad one is a syntax error)."""

        def rules(entries: list[tuple[int, str, int]]) -> list[MoveRule]:
            out = []
            for color, vertices, depth in entries:
                moves = tuple(_parse_vertex(v, self) for v in vertices.split(",") if v)
                out.append(MoveRule(color, moves, depth))
            return out

        rows = move_filter_rows(game.to_move, rules(opts.allow), rules(opts.avoid), game.num_actions)
        return None if rows is None else MoveFilter(rows[0][None], rows[1][None])

    def _analyze(self, tokens: list[str], kata: bool) -> Iterator[str]:
        opts = parse_analyze_args(tokens)
        game = self._position_for(opts.color if opts.color else self.game.to_move)
        move_filter = self._move_filter(opts, game)

        def lines() -> Iterator[str]:
            for result in self.player.analyze(game, opts.interval, self.wait_for_input, move_filter):
                line = self._analysis_line(result, game, opts, kata)
                if line:
                    yield line

        return lines()

    @registry.command("lz-analyze", rest=True, streaming=True)
    def cmd_lz_analyze(self, tokens: list[str]) -> Iterator[str]:
        return self._analyze(tokens, kata=False)

    @registry.command("kata-analyze", rest=True, streaming=True)
    def cmd_kata_analyze(self, tokens: list[str]) -> Iterator[str]:
        return self._analyze(tokens, kata=True)

    def _genmove_analyze(self, tokens: list[str], kata: bool) -> Iterator[str]:
        opts = parse_analyze_args(tokens)
        color = opts.color if opts.color else self.game.to_move

        def lines() -> Iterator[str]:
            steps = self._genmove_steps(color, play=True, cleanup=False, interval=max(opts.interval, 0.01))
            for kind, value in steps:
                if kind == "search":
                    yield self._analysis_line(value[0], value[1], opts, kata)
                else:
                    yield f"play {value}"

        return lines()

    @registry.command("lz-genmove_analyze", rest=True, streaming=True)
    def cmd_lz_genmove_analyze(self, tokens: list[str]) -> Iterator[str]:
        return self._genmove_analyze(tokens, kata=False)

    @registry.command("kata-genmove_analyze", rest=True, streaming=True)
    def cmd_kata_genmove_analyze(self, tokens: list[str]) -> Iterator[str]:
        return self._genmove_analyze(tokens, kata=True)

    @registry.command("kata-raw-nn", STRING)
    def cmd_kata_raw_nn(self, which: str) -> str:
        """The network's raw evaluation of the position in board symmetry 0-7, or in each of them (``all``), in
        KataGo's format: win and loss chances for White, the policy (``NAN`` where illegal) and White's ownership as
        rows from the top, the self-play margin where the network has a score head."""
        if which.lower() == "all":
            symmetries = list(range(8))
        elif which in {str(k) for k in range(8)}:
            symmetries = [int(which)]
        else:
            raise syntax_error(f"kata-raw-nn {which}: a symmetry 0-7 or all")
        outputs = self.player.raw_outputs(self.game, symmetries)
        if outputs is None:
            raise GtpError(NO_NETWORK)
        return "\n".join(_raw_nn_text(k, out, self.game.size) for k, out in zip(symmetries, outputs))

    # -- GoGui's analyze commands (zero.gtp.gogui) --

    @registry.command("gogui-analyze_commands")
    def cmd_gogui_analyze_commands(self) -> str:
        return "\n".join(ANALYZE_COMMANDS)

    @registry.command("zero-policy", optional=(COLOR,))
    def cmd_zero_policy(self, color: int | None = None) -> str:
        """The network's policy for ``color`` (default: the side to move) as GoGui gfx (uniform without a network)."""
        game = self._position_for(color or self.game.to_move)
        return policy_gfx(self.player.policy(game), game.size)

    @registry.command("zero-ownership")
    def cmd_zero_ownership(self) -> str:
        """Who owns each point at the end, +1 Black (the network's ownership head, or playouts), as GoGui's dboard."""
        return ownership_dboard(self.player.ownership(self.game), self.game.size)

    @registry.command("zero-search", optional=(COLOR,))
    def cmd_zero_search(self, color: int | None = None) -> str:
        """A search of gtp.visits for ``color`` as GoGui gfx: the searched moves' win rates, the best line."""
        game = self._position_for(color or self.game.to_move)
        result = self.player.search(game)
        shown = self._infos(result, game, AnalyzeOptions())
        moves = [(m.move, m.visits, m.winrate) for m in shown]
        line = list(shown[0].pv) if shown else []
        mover = "b" if game.to_move == BLACK else "w"
        winrate = (float(result.root_value[0]) + 1.0) / 2.0
        return search_gfx(moves, line, mover, int(result.simulations[0]), winrate)

    @registry.command("zero-search-ownership", optional=(COLOR,))
    def cmd_zero_search_ownership(self, color: int | None = None) -> str:
        """Who owns each point at the end after a search of gtp.visits for ``color``, +1 Black, as GoGui's dboard: the
        search's average over its tree (kata-analyze's ownership; without an ownership head, zero-ownership's)."""
        game = self._position_for(color or self.game.to_move)
        result = self.player.search(game)
        if result.ownership is None:
            return ownership_dboard(self.player.ownership(game), game.size)
        black = 1.0 if game.to_move == BLACK else -1.0  # the search speaks for the player to move
        return ownership_dboard(result.ownership[0] * black, game.size)


def _raw_nn_text(symmetry: int, out: dict[str, Any], size: int) -> str:
    """One symmetry's kata-raw-nn block (KataGo's keys; floats as KataGo writes them, NAN for an illegal move)."""

    def rows(values: np.ndarray) -> list[str]:
        return [
            " ".join("NAN" if np.isnan(v) else f"{v:.6f}" for v in values[r * size : (r + 1) * size])
            for r in range(size)
        ]

    lines = [
        f"symmetry {symmetry}",
        f"whiteWin {out['white_win']:.6f}",
        f"whiteLoss {1.0 - out['white_win']:.6f}",
        "noResult 0",
    ]
    if out["white_margin"] is not None:
        lines.append(f"whiteScoreSelfplay {out['white_margin']:.6f}")
    lines += ["policy", *rows(out["policy"]), f"policyPass {out['policy'][-1]:.6f}"]
    if out["white_ownership"] is not None:
        lines += ["whiteOwnership", *rows(out["white_ownership"])]
    return "\n".join(lines)


def _setting_text(value: bool | int | float) -> str:
    """A setting as kata-get-param writes it: true/false, an integer in full (not 1e+06), a float's shortest form."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, int) else f"{value:g}"


def _engine_rules(size: int, komi: float, superko: str) -> GoRules:
    """The rules a GTP engine referees by: no move cap (self-play's 2*N*N), so every legal move is accepted."""
    return GoRules(size=size, komi=komi, superko=superko, max_moves=NO_MOVE_LIMIT)


def _with_rules(game: GoGame, **changes: Any) -> GoGame:
    """A copy of the game under changed rules (e.g. a new komi); position and history are kept."""
    from dataclasses import replace

    new = game.copy()
    new.rules = replace(game.rules, **changes)
    new.rules.validate()
    return new
