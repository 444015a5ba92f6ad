"""Queries of KataGo's JSON analysis protocol (docs/Analysis_Engine.md of lightvector/KataGo): parse and check one line into positions to search, or a reply naming what is wrong (games.go only; no torch, no search).

A query line is a JSON object. Three kinds of reply come from this module (written by the engine):

    {"error": "..."}                                   the line is not a JSON object with a string id
    {"id": "...", "field": "...", "error": "..."}      a field is wrong: the query is dropped
    {"id": "...", "field": "...", "warning": "..."}    a field is odd (unknown, clipped): the query still runs

A valid analysis query becomes one :class:`Turn` per entry of ``analyzeTurns`` (default: the last
position), each holding the position reached after that many moves. Rules: this engine scores by
area, without tax or button, and forbids suicide; any of KataGo's rule names or rules objects is
searched so, with its ko rule (simple, or a superko) and its handicap compensation (added to the komi
of a position with handicap stones, counted as KataGo counts them), and a rule set that differs in
anything but suicide (``japanese``, KaTrain's default, scores territory) gets a warning naming the
field ``rules``; an unknown name is refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from games.go import BLACK, WHITE, CoordinateError, GoGame, GoRules, IllegalMoveError
from games.go.coords import from_gtp
from games.go.rule_sets import RuleSet, parse_rule_set

ACTIONS = ("query_version", "clear_cache", "terminate")
ENGINE_RULES_NOTE = (
    "searched with area scoring, no tax, no button and suicide illegal (what this "
    "engine plays): scores and winrates can differ from these rules' by a point or more"
)
# the query's yes/no fields, each asking for part of the answer
INCLUDE_FLAGS = (
    "includeOwnership",
    "includeOwnershipStdev",
    "includePolicy",
    "includePVVisits",
    "includeMovesOwnership",
    "includeMovesOwnershipStdev",
)
QUERY_FIELDS = frozenset(
    (
        "id",
        "moves",
        "initialStones",
        "initialPlayer",
        "rules",
        "komi",
        "boardXSize",
        "boardYSize",
        "analyzeTurns",
        "maxVisits",
        "rootPolicyTemperature",
        *INCLUDE_FLAGS,
        "allowMoves",
        "avoidMoves",
        "priority",
        "priorities",
        "reportDuringSearchEvery",
        "overrideSettings",
    )
)
REPORT_VIEWS = {"BLACK": "black", "WHITE": "white", "SIDETOMOVE": "side_to_move"}  # reportAnalysisWinratesAs
ACTION_FIELDS = {
    "query_version": {"id", "action"},
    "clear_cache": {"id", "action"},
    "terminate": {"id", "action", "terminateId", "turnNumbers"},
}


class FieldError(ValueError):
    """A query field that stops the query: ``field`` names it, the message says why."""

    def __init__(self, field_name: str, message: str):
        super().__init__(field_name, message)  # both in args, so the error pickles (crosses processes) whole
        self.field = field_name

    def __str__(self) -> str:
        return str(self.args[1])


@dataclass(frozen=True)
class MoveRule:
    """One allowMoves/avoidMoves entry: ``player`` may (allow) or may not (avoid) play ``moves`` before ply ``until_depth``."""

    player: int  # BLACK or WHITE
    moves: tuple[int, ...]  # flat indices (pass = N*N)
    until_depth: int  # >= 1; ply 0 is the move from the analysed position


@dataclass
class Turn:
    """One position of a query to search (one answer)."""

    query_id: str
    turn_number: int  # moves played from the start (0 = the initial position)
    game: GoGame  # the position, with its history (ko, superko)
    max_visits: int
    priority: int
    seq: int = 0  # arrival order (ties of priority go to the earlier query)
    root_temperature: float = 1.0
    include_ownership: bool = False
    include_policy: bool = False
    include_pv_visits: bool = False
    include_ownership_stdev: bool = False  # "ownershipStdev": the ownership's spread over the search
    include_moves_ownership: bool = False  # each candidate's "ownership": the average over the move's search
    include_moves_ownership_stdev: bool = False  # each candidate's "ownershipStdev"
    allow: tuple[MoveRule, ...] = ()
    avoid: tuple[MoveRule, ...] = ()
    report_every: float = 0.0  # seconds between partial answers (isDuringSearch true); 0 = none
    max_time: float = 0.0  # seconds of search at most (overrideSettings.maxTime); 0 = visits only
    report_as: str | None = (
        None  # black | white | side_to_move (overrideSettings.reportAnalysisWinratesAs); None = engine's
    )

    @property
    def wants_ownership(self) -> bool:
        """Whether the answer carries any ownership field (the search then averages it where the network can)."""
        return (
            self.include_ownership
            or self.include_ownership_stdev
            or self.include_moves_ownership
            or self.include_moves_ownership_stdev
        )

    def move_filter_rows(self, num_actions: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(allowed bool[2, A], until_depth int32[2]) for the side to move and its opponent, or None without allow/avoid."""
        return move_filter_rows(self.game.to_move, self.allow, self.avoid, num_actions)


def move_filter_rows(
    to_move: int,
    allow: tuple[MoveRule, ...] | list[MoveRule],
    avoid: tuple[MoveRule, ...] | list[MoveRule],
    num_actions: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """One tree's rows of an mcts MoveFilter: (allowed bool[2, A], until_depth int32[2]), row 0 for ``to_move``; None if no rule."""
    if not allow and not avoid:
        return None
    allowed = np.ones((2, num_actions), bool)
    until = np.zeros(2, np.int32)
    for rule in allow:  # everything but these moves is barred
        side = 0 if rule.player == to_move else 1
        allowed[side] = False
    for rule in allow:
        side = 0 if rule.player == to_move else 1
        allowed[side, list(rule.moves)] = True
        until[side] = max(until[side], rule.until_depth)
    for rule in avoid:
        side = 0 if rule.player == to_move else 1
        allowed[side, list(rule.moves)] = False
        until[side] = max(until[side], rule.until_depth)
    return allowed, until  # MoveFilter: a side's rule binds its own plies (the root player's are the even ones)


@dataclass
class Parsed:
    """What one input line amounts to: an action to perform, turns to search, and the replies to write first."""

    replies: list[dict[str, Any]] = field(default_factory=list)  # errors and warnings, in order
    action: dict[str, Any] | None = None  # a valid action query, as received
    turns: list[Turn] = field(default_factory=list)


def parse_line(line: str, *, default_visits: int, max_visits: int, network_size: int | None) -> Parsed:
    """Check one input line; never raises. ``network_size``: the only board size a network plays (None = any)."""
    out = Parsed()
    try:
        query = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        out.replies.append({"error": f"could not parse JSON: {exc}"})
        return out
    if not isinstance(query, dict):
        out.replies.append({"error": "a query must be a JSON object"})
        return out
    qid = query.get("id")
    if not isinstance(qid, str):
        out.replies.append({"error": "the query needs a string 'id' field"})
        return out
    try:
        if "action" in query:
            _parse_action(query, out)
        else:
            out.turns = _parse_analysis(query, out, default_visits, max_visits, network_size)
    except FieldError as exc:
        out.replies.append({"id": qid, "field": exc.field, "error": str(exc)})
        out.turns = []
        out.action = None
    return out


def _warn(out: Parsed, qid: str, name: str, message: str) -> None:
    out.replies.append({"id": qid, "field": name, "warning": message})


def _parse_action(query: dict[str, Any], out: Parsed) -> None:
    action = query["action"]
    if action not in ACTIONS:
        raise FieldError("action", f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
    if action == "terminate":
        if not isinstance(query.get("terminateId"), str):
            raise FieldError("terminateId", "terminate needs a string 'terminateId'")
        turns = query.get("turnNumbers")
        if turns is not None and not (isinstance(turns, list) and all(_is_int(t) and t >= 0 for t in turns)):
            raise FieldError("turnNumbers", "must be a list of non-negative integers")
    for name in sorted(set(query) - ACTION_FIELDS[action]):
        _warn(out, query["id"], name, "unexpected or unused field")
    out.action = query


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _bool(query: dict[str, Any], name: str) -> bool:
    value = query.get(name, False)
    if not isinstance(value, bool):
        raise FieldError(name, "must be a boolean")
    return value


def _player(value: Any, name: str) -> int:
    if isinstance(value, str) and value.upper() in ("B", "BLACK"):
        return BLACK
    if isinstance(value, str) and value.upper() in ("W", "WHITE"):
        return WHITE
    raise FieldError(name, f'player must be "B" or "W", got {value!r}')


def _location(value: Any, size: int, name: str) -> int:
    if not isinstance(value, str):
        raise FieldError(name, f'location must be a string such as "C4" or "pass", got {value!r}')
    try:
        return from_gtp(value, size)
    except CoordinateError as exc:
        raise FieldError(name, f"bad location {value!r}: {exc}") from None


def _stone_list(value: Any, size: int, name: str) -> list[tuple[int, int]]:
    if not isinstance(value, list):
        raise FieldError(name, "must be a list of [player, location] pairs")
    out = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2):
            raise FieldError(name, f"each entry must be a [player, location] pair, got {item!r}")
        out.append((_player(item[0], name), _location(item[1], size, name)))
    return out


def _size(query: dict[str, Any], name: str, network_size: int | None) -> int:
    if name not in query:
        raise FieldError(name, "required field missing")
    size = query[name]
    if not _is_int(size) or not 2 <= size <= 19:
        raise FieldError(name, f"board size must be an integer in 2..19, got {size!r}")
    if network_size is not None and size != network_size:
        raise FieldError(name, f"the network plays {network_size}x{network_size} only")
    return size


def _rule_set(query: dict[str, Any]) -> RuleSet:
    """Any of KataGo's rule names or rules objects: searched with its ko rule (_parse_analysis warns about the rest)."""
    if "rules" not in query:
        raise FieldError("rules", "required field missing")
    try:
        return parse_rule_set(query["rules"])
    except ValueError as exc:
        raise FieldError("rules", str(exc)) from None


def _move_rules(query: dict[str, Any], name: str, size: int) -> tuple[MoveRule, ...]:
    value = query.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise FieldError(name, "must be a list of {player, moves, untilDepth} objects")
    if name == "allowMoves" and len(value) > 1:
        raise FieldError(name, "allowMoves must have exactly one entry")
    rules = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"player", "moves", "untilDepth"}:
            raise FieldError(name, "each entry needs exactly the fields player, moves and untilDepth")
        depth = entry["untilDepth"]
        if not _is_int(depth) or depth < 1:
            raise FieldError(name, f"untilDepth must be a positive integer, got {depth!r}")
        if not isinstance(entry["moves"], list):
            raise FieldError(name, "moves must be a list of locations")
        moves = tuple(_location(m, size, name) for m in entry["moves"])
        rules.append(MoveRule(_player(entry["player"], name), moves, depth))
    return tuple(rules)


def _parse_analysis(
    query: dict[str, Any], out: Parsed, default_visits: int, max_visits: int, network_size: int | None
) -> list[Turn]:
    qid = query["id"]
    for name in sorted(set(query) - QUERY_FIELDS):
        _warn(out, qid, name, "unexpected or unused field")
    xsize = _size(query, "boardXSize", network_size)
    ysize = _size(query, "boardYSize", network_size)
    if xsize != ysize:
        raise FieldError("boardYSize", f"only square boards are supported, got {xsize}x{ysize}")
    size = xsize
    rules = _rule_set(query)
    komi = query.get("komi", 7.5)
    if not _is_number(komi) or abs(komi) > 150 or float(komi * 2) != int(komi * 2):
        raise FieldError("komi", f"komi must be an integer or half-integer in [-150, 150], got {komi!r}")
    if "komi" not in query:
        _warn(out, qid, "komi", "komi not given: using 7.5")
    if "moves" not in query:
        raise FieldError("moves", "required field missing")
    moves = _stone_list(query["moves"], size, "moves")
    stones = _stone_list(query.get("initialStones", []), size, "initialStones")

    game = GoGame(GoRules(size=size, komi=float(komi), superko=rules.superko()))
    black = [a for c, a in stones if c == BLACK]
    white = [a for c, a in stones if c == WHITE]
    if size * size in black + white:
        raise FieldError("initialStones", "a stone cannot be placed at pass")
    try:
        game.setup(black, white)
    except ValueError as exc:
        raise FieldError("initialStones", str(exc)) from None
    differ = rules.unplayable()  # territory scoring among them: KaTrain's default is Japanese
    if differ:
        _warn(out, qid, "rules", f"{', '.join(differ)} of these rules not played: {ENGINE_RULES_NOTE}")
    if "initialPlayer" in query:
        game.to_move = _player(query["initialPlayer"], "initialPlayer")
    elif moves:
        game.to_move = moves[0][0]

    turn_numbers = query.get("analyzeTurns", [len(moves)])
    if not isinstance(turn_numbers, list) or not turn_numbers or not all(_is_int(t) for t in turn_numbers):
        raise FieldError("analyzeTurns", "must be a non-empty list of integers")
    for t in turn_numbers:
        if not 0 <= t <= len(moves):
            raise FieldError("analyzeTurns", f"turn {t} is not in 0..{len(moves)} (the number of moves)")

    visits = query.get("maxVisits", default_visits)
    if not _is_int(visits) or visits < 1:
        raise FieldError("maxVisits", f"must be a positive integer, got {visits!r}")
    if visits > max_visits:
        _warn(out, qid, "maxVisits", f"clipped to {max_visits} (analysis.max_visits_limit)")
        visits = max_visits
    temperature = query.get("rootPolicyTemperature", 1.0)
    if not _is_number(temperature) or temperature <= 0:
        raise FieldError("rootPolicyTemperature", f"must be a number > 0, got {temperature!r}")
    priority = query.get("priority", 0)
    if not _is_int(priority):
        raise FieldError("priority", f"must be an integer, got {priority!r}")
    priorities = query.get("priorities")
    if priorities is not None and not (
        isinstance(priorities, list) and len(priorities) == len(turn_numbers) and all(_is_int(p) for p in priorities)
    ):
        raise FieldError("priorities", "must be a list of integers as long as analyzeTurns")
    report_every = query.get("reportDuringSearchEvery", 0.0)
    if not _is_number(report_every) or report_every < 0:
        raise FieldError("reportDuringSearchEvery", f"must be a number of seconds >= 0, got {report_every!r}")
    flags = {name: _bool(query, name) for name in INCLUDE_FLAGS}
    allow = _move_rules(query, "allowMoves", size)
    avoid = _move_rules(query, "avoidMoves", size)
    max_time, report_as = _override_settings(query, out)

    positions: dict[int, GoGame] = {}
    wanted = set(turn_numbers)
    if 0 in wanted:
        positions[0] = _compensated(game, rules)
    for i, (color, a) in enumerate(moves):
        try:
            game.play(a, color)
        except IllegalMoveError as exc:
            raise FieldError("moves", f"illegal move {i} ({query['moves'][i][1]}): {exc.reason}") from None
        if i + 1 in wanted:
            positions[i + 1] = _compensated(game, rules)
    turns = []
    for k, t in enumerate(turn_numbers):
        turns.append(
            Turn(
                query_id=qid,
                turn_number=t,
                game=positions[t],
                max_visits=visits,
                priority=priorities[k] if priorities is not None else priority,
                root_temperature=float(temperature),
                include_ownership=flags["includeOwnership"],
                include_policy=flags["includePolicy"],
                include_pv_visits=flags["includePVVisits"],
                include_ownership_stdev=flags["includeOwnershipStdev"],
                include_moves_ownership=flags["includeMovesOwnership"],
                include_moves_ownership_stdev=flags["includeMovesOwnershipStdev"],
                allow=allow,
                avoid=avoid,
                report_every=float(report_every),
                max_time=max_time,
                report_as=report_as,
            )
        )
    return turns


def _compensated(game: GoGame, rules: RuleSet) -> GoGame:
    """A copy of the position to search, its komi raised by the rules' handicap compensation for its handicap stones."""
    position = game.copy()
    bonus = rules.compensation(position)
    if bonus:
        position.rules = replace(position.rules, komi=position.rules.komi + bonus)
    return position


def _override_settings(query: dict[str, Any], out: Parsed) -> tuple[float, str | None]:
    """(maxTime, reportAnalysisWinratesAs) from overrideSettings; other settings get one warning naming them."""
    settings = query.get("overrideSettings", {})
    if not isinstance(settings, dict):
        raise FieldError("overrideSettings", "must be an object of paramName: value")
    max_time = settings.get("maxTime", 0.0)
    if not _is_number(max_time) or max_time < 0:
        raise FieldError("overrideSettings", f"maxTime must be a number of seconds >= 0, got {max_time!r}")
    view = settings.get("reportAnalysisWinratesAs")
    if view is not None and (not isinstance(view, str) or view.upper() not in REPORT_VIEWS):
        raise FieldError(
            "overrideSettings", f"reportAnalysisWinratesAs must be BLACK, WHITE or SIDETOMOVE, got {view!r}"
        )
    unused = sorted(set(settings) - {"maxTime", "reportAnalysisWinratesAs"})
    if unused:
        _warn(out, query["id"], "overrideSettings", f"settings not supported, ignored: {', '.join(unused)}")
    return float(max_time), REPORT_VIEWS[view.upper()] if view is not None else None
