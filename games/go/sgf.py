"""SGF FF[4] read and write of Go game records through sgfmill (SZ, KM, RU, PB/PW, RE, AB/AW, moves); imports only games.go."""

from __future__ import annotations

from games.go.coords import CoordinateError, from_sgfmill, to_sgfmill
from games.go.game import BLACK, WHITE, GoGame, IllegalMoveError
from games.go.rules import NO_MOVE_LIMIT, GoRules

RULES_NAMES = {"positional": "Chinese", "simple": "Chinese (simple ko)"}


class SgfError(ValueError):
    """A malformed or unplayable SGF record (the message says where)."""


def game_to_sgf(game: GoGame) -> str:
    """SGF text of ``game``: root properties, setup stones, then the main line of moves."""
    N = game.size
    from sgfmill import sgf  # imported here so that games.go works where only SGF files are missing

    record = sgf.Sgf_game(size=N)
    root = record.get_root()
    root.set("KM", float(game.komi))
    root.set("RU", RULES_NAMES[game.rules.superko])
    for colour, prop in ((BLACK, "PB"), (WHITE, "PW")):
        if game.player_names.get(colour):
            root.set(prop, game.player_names[colour])
    if game.is_over:
        root.set("RE", game.result())
    black = {to_sgfmill(a, N) for a in game.setup_stones[BLACK]}
    white = {to_sgfmill(a, N) for a in game.setup_stones[WHITE]}
    if black or white:
        root.set_setup_stones(black, white)
    start = game.moves[0][0] if game.moves else game.to_move
    if start == WHITE:  # e.g. a handicap game: White moves first
        root.set("PL", "w")
    for colour, a in game.moves:
        record.extend_main_sequence().set_move("b" if colour == BLACK else "w", to_sgfmill(a, N))
    return record.serialise().decode("utf-8")


def game_from_sgf(data: str | bytes, **rule_fields) -> GoGame:
    """Replay an SGF record's main line into a GoGame; raises SgfError on malformed or illegal content."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        from sgfmill import sgf

        record = sgf.Sgf_game.from_bytes(raw)
        size = record.get_size()
        komi = record.get_komi()
        root = record.get_root()
        ru = root.get("RU") if root.has_property("RU") else ""
        game_type = root.get_raw("GM").decode("utf-8", "replace").strip() if root.has_property("GM") else "1"
    except ValueError as exc:
        raise SgfError(f"malformed SGF: {exc}") from None
    if game_type != "1":  # FF[4]: GM[1] is Go, and a record without GM is Go
        raise SgfError(f"not a Go record: GM[{game_type[:20]}] (Go is GM[1])")
    # a record is a game that was played: no move cap refuses its moves
    fields = {
        "size": size,
        "komi": komi,
        "superko": "simple" if "simple" in ru.lower() else "positional",
        "max_moves": NO_MOVE_LIMIT,
    }
    fields.update(rule_fields)
    try:
        rules = GoRules(**fields)
        rules.validate()
    except (TypeError, ValueError) as exc:
        raise SgfError(f"SGF rules: {exc}") from None
    game = GoGame(rules)
    for colour, prop in ((BLACK, "PB"), (WHITE, "PW")):
        if root.has_property(prop):
            game.player_names[colour] = root.get(prop)
    where = "setup stones (AB/AW)"
    try:
        black, white, _ = root.get_setup_stones()
        if black & white:
            raise ValueError("a point is both in AB and AW")
        if black or white:
            game.setup([from_sgfmill(m, size) for m in sorted(black)], [from_sgfmill(m, size) for m in sorted(white)])
        sequence = record.get_main_sequence()
        where = "node 1"
        first = next((node.get_move()[0] for node in sequence[1:] if node.get_move()[0] is not None), None)
        try:
            start = root.get("PL") if root.has_property("PL") else first  # sgfmill parses PL to 'b' or 'w'
        except ValueError:  # a malformed PL is ignored
            start = first
        game.to_move = WHITE if start == "w" else BLACK
        for number, node in enumerate(sequence[1:], start=1):
            where = f"node {number}"
            colour, move = node.get_move()
            if colour is None:
                continue
            game.play(from_sgfmill(move, size), BLACK if colour == "b" else WHITE)
    except IllegalMoveError as exc:
        raise SgfError(f"SGF {where}: {exc}") from None
    except (CoordinateError, ValueError) as exc:  # sgfmill's ValueError for an off-board point has no message
        raise SgfError(f"SGF {where}: {str(exc) or f'malformed, or a point off the {size}x{size} board'}") from None
    if root.has_property("RE"):
        result = root.get("RE").upper()
        if result.endswith("+R") or result.endswith("+RESIGN"):
            game.resign(WHITE if result.startswith("B") else BLACK)
    return game
