"""The Go commands over GTP: moves, errors that change nothing, undo, handicap, komi, scoring, SGF, time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sgfmill import sgf

from games.go import BLACK, NO_MOVE_LIMIT, WHITE, GoGame, GoRules, game_from_sgf, game_to_sgf, to_gtp
from zero.gtp.protocol import parse_reply

from .conftest import make_engine


def ok(engine, line: str) -> str:
    text = engine.handle_line(line)
    success, _, body = parse_reply(text)
    assert success, f"{line!r} -> {text!r}"
    return body


def fails(engine, line: str, message: str) -> None:
    before = engine.state_key()
    assert engine.handle_line(line) == f"? {message}\n\n", line
    assert engine.state_key() == before, f"{line!r} changed the game"


def board(engine) -> str:
    return engine.game.diagram()


def test_play_and_capture_in_the_corner(engine):
    for line in ["play b B9", "play w A9", "play b A8"]:  # white A9 is captured by B9 + A8
        ok(engine, line)
    rows = board(engine).split("\n")
    assert rows[0].split()[:2] == [".", "X"] and rows[1].split()[0] == "X"
    assert engine.game.captures[2] == 1


def test_illegal_moves_are_refused_without_change(engine):
    ok(engine, "play b E5")
    fails(engine, "play w E5", "illegal move")  # occupied
    fails(engine, "play w 5E", "syntax error")  # not a vertex
    fails(engine, "play w Z9", "illegal move")  # well formed (GTP allows up to 25x25), off this board
    fails(engine, "play w K10", "illegal move")  # well formed, off the 9x9 board
    fails(engine, "play w I5", "syntax error")  # GTP has no column I
    fails(engine, "play x E4", "syntax error")  # not a colour
    fails(engine, "play w", "syntax error")
    fails(engine, "play w E4 E6", "syntax error")


def test_suicide_and_ko_are_illegal():
    e = make_engine()
    for line in ["play b A2", "play b B1"]:
        ok(e, line)
    fails(e, "play w A1", "illegal move")  # suicide in the corner
    # a ko: black captures at E5, white may not retake at once
    e = make_engine()
    for line in [
        "play b D5",
        "play b E6",
        "play b E4",
        "play w F6",
        "play w F4",
        "play w G5",
        "play w E5",
        "play b F5",
    ]:
        ok(e, line)
    assert e.game.captures[2] == 1
    fails(e, "play w E5", "illegal move")


def test_undo_restores_and_refuses_past_the_start(engine):
    fails(engine, "undo", "cannot undo")
    ok(engine, "play b C3")
    ok(engine, "play w D4")
    ok(engine, "undo")
    assert engine.game.moves == [(1, 6 * 9 + 2)]
    ok(engine, "undo")
    assert not engine.game.stones().any()
    fails(engine, "undo", "cannot undo")


def test_boardsize_and_komi(engine):
    ok(engine, "play b E5")
    fails(engine, "boardsize 20", "unacceptable size")
    fails(engine, "boardsize 1", "unacceptable size")
    fails(engine, "boardsize nine", "syntax error")
    ok(engine, "boardsize 13")
    assert engine.game.size == 13 and not engine.game.moves
    ok(engine, "komi 6")
    ok(engine, "play b G7")
    ok(engine, "komi 0.5")
    assert engine.game.komi == 0.5 and engine.game.move_number == 1  # komi keeps the position
    fails(engine, "komi lots", "syntax error")


def test_genmove_plays_a_legal_move_for_the_requested_colour(engine):
    ok(engine, "play b E5")
    move = ok(engine, "genmove w")
    assert engine.game.moves[-1][0] == 2 and engine.game.move_number == 2
    assert move.lower() != "e5"
    reg = ok(engine, "reg_genmove b")  # reg_genmove does not play
    assert engine.game.move_number == 2 and reg
    ok(engine, "genmove w")  # the same colour twice is allowed in GTP
    assert [c for c, _ in engine.game.moves] == [1, 2, 2]


def test_genmove_never_fills_its_own_eye():
    e = make_engine(visits=32)
    # Black owns everything but two single-point eyes at A1 and C1 (and White has nothing): filling one would be suicidal.
    from games.go import GoGame

    e.game = GoGame.from_diagram(
        """
        . . . . .
        . . . . .
        . . . . .
        X X X X X
        . X . X X
        """
    )
    for _ in range(3):
        move = ok(e, "genmove b")
        assert move.upper() not in ("A1", "C1"), move
        ok(e, "undo")


def test_fixed_and_free_handicap(engine):
    assert ok(engine, "fixed_handicap 2").split() == ["C3", "G7"]
    assert engine.game.to_move == 2
    fails(engine, "fixed_handicap 3", "board not empty")
    ok(engine, "clear_board")
    fails(engine, "fixed_handicap 10", "invalid number of stones")
    fails(engine, "fixed_handicap 1", "invalid number of stones")
    assert sorted(ok(engine, "fixed_handicap 9").split()) == sorted("C3 G7 C7 G3 C5 G5 E3 E7 E5".split())
    ok(engine, "boardsize 19")
    assert ok(engine, "fixed_handicap 4").split() == ["D4", "Q16", "D16", "Q4"]
    ok(engine, "clear_board")
    assert len(ok(engine, "place_free_handicap 5").split()) == 5
    ok(engine, "clear_board")
    fails(engine, "set_free_handicap D4 D4", "bad vertex list")
    fails(engine, "set_free_handicap D4", "syntax error")
    ok(engine, "set_free_handicap D4 Q16 K10")
    assert int(engine.game.stones().sum()) == 3 and engine.game.to_move == 2


def test_final_score_and_status_of_a_finished_position():
    e = make_engine()
    from games.go import GoGame

    # Black owns columns A-E (45 points), White F-J (36); the white stone at B5 is dead.
    e.game = GoGame.from_diagram(
        """
        . X . X X O . O .
        X X X X X O O O O
        X X X X X O . O .
        X . X X X O O O O
        . O . X X O . O .
        X X X X X O O O O
        X X X X X O . O .
        X . X X X O O O O
        . X . X X O . O .
        """,
        komi=7.5,
    )
    assert ok(e, "final_status_list dead") == "B5"
    assert "B5" not in ok(e, "final_status_list alive").split()
    assert ok(e, "final_status_list seki") == ""
    assert ok(e, "final_score") == "B+1.5"  # 45 - 36 - 7.5
    fails(e, "final_status_list zombie", "syntax error")


def test_printsgf_parses_and_loadsgf_round_trips(engine, tmp_path):
    for line in ["play b E5", "play w C3", "play b pass", "play w D4"]:
        ok(engine, line)
    text = ok(engine, "printsgf")
    record = sgf.Sgf_game.from_string(text)
    moves = [node.get_move() for node in record.get_main_sequence()[1:]]
    assert moves == [("b", (4, 4)), ("w", (2, 2)), ("b", None), ("w", (3, 3))]
    path = tmp_path / "game.sgf"
    path.write_text(text)
    other = make_engine()
    assert ok(other, f"loadsgf {path}") == "black"
    assert other.game.moves == engine.game.moves
    assert ok(other, f"loadsgf {path} 3") == "black"  # the position before move 3
    assert other.game.move_number == 2
    # refused with GTP's message and the reason, on one line; the game is unchanged (fails checks it)
    missing = tmp_path / "missing.sgf"
    fails(other, f"loadsgf {missing}", f"cannot load file: {missing}: No such file or directory")
    for name, text, reason in (
        ("cut.sgf", "(;GM[1]SZ[9];B[zz]", "malformed SGF: unexpected end of SGF data"),
        ("occupied.sgf", "(;GM[1]SZ[9];B[cc];W[cc])", "SGF node 2: illegal move C7 for W: occupied"),
        ("big.sgf", "(;GM[1]SZ[25];B[aa])", "SGF rules: size must be an integer in 2..19, got 25"),
        ("othello.sgf", "(;GM[2]SZ[8];B[cc])", "not a Go record: GM[2] (Go is GM[1])"),
    ):
        (tmp_path / name).write_text(text)
        fails(other, f"loadsgf {tmp_path / name}", f"cannot load file: {tmp_path / name}: {reason}")
    fails(other, f"loadsgf {tmp_path}", f"cannot load file: {tmp_path}: Is a directory")


def test_time_commands(engine):
    ok(engine, "time_settings 300 30 5")
    assert engine.clocks[1].kind == "canadian"
    ok(engine, "time_left b 12 3")
    assert engine.clocks[1].time_left == 12 and engine.clocks[1].stones_left == 3
    ok(engine, "kgs-time_settings byoyomi 0 5 3")
    assert engine.clocks[2].kind == "byoyomi" and engine.clocks[2].stones_left == 3
    fails(engine, "kgs-time_settings byoyomi 0 5", "syntax error")
    fails(engine, "kgs-time_settings sudden 5", "syntax error")
    fails(engine, "time_left b soon 0", "syntax error")
    fails(engine, "time_left b 10 -1", "syntax error")
    for negative in ("time_settings -1 30 5", "time_settings 300 -30 5", "kgs-time_settings absolute -5"):
        fails(engine, negative, "syntax error")
        assert engine.clocks[2].kind == "byoyomi"  # a refused setting leaves the clocks as they were
    ok(engine, "kgs-time_settings none")
    assert engine.clocks[1].kind == "none"


def test_katago_time_settings_add_fischer_time(engine):
    assert ok(engine, "kata-list_time_settings").split() == [
        "none",
        "absolute",
        "byoyomi",
        "canadian",
        "fischer",
        "fischer-capped",
    ]
    ok(engine, "kata-time_settings fischer 300 5")
    assert engine.clocks[1].kind == "fischer" and engine.clocks[2].increment == 5
    assert engine.clocks[1].main_time_limit == math.inf and engine.clocks[1].max_move_time == math.inf
    ok(engine, "kata-time_settings fischer-capped 86400 3600 172800 -1")  # what gtp2ogs sends for OGS's Fischer
    assert engine.clocks[2].time_left == 86400 and engine.clocks[2].main_time_limit == 172800
    assert engine.clocks[2].max_move_time == math.inf
    ok(engine, "time_left w 12.5 0")
    assert engine.clocks[2].time_left == 12.5
    for bad in (
        "kata-time_settings fischer-capped 300 5 100 10",  # a main time limit below the main time
        "kata-time_settings fischer 300",
        "kata-time_settings fischer 300 -5",
        "kata-time_settings sudden 5",
        "kgs-time_settings fischer 300 5",  # KGS's command knows no Fischer time
        "time_left w 10 2",  # stones left, but a Fischer clock has no overtime
    ):
        fails(engine, bad, "syntax error")
        assert engine.clocks[2].kind == "fischer" and engine.clocks[2].time_left == 12.5  # nothing changed
    ok(engine, "kata-time_settings canadian 0.5 2.5 3")  # fractional times, as KataGo reads them
    assert engine.clocks[1].kind == "canadian" and engine.clocks[1].time_left == 0.5
    ok(engine, "kata-time_settings byoyomi 0 30 0")  # no periods and no main time: no time limit
    assert engine.clocks[1].kind == "none"
    ok(engine, "kata-time_settings none")
    assert engine.clocks[1].kind == "none"


def test_genmove_under_a_clock_measures_its_overhead_and_keeps_it_back():
    engine = make_engine(visits=16)
    ok(engine, "time_settings 0 30 10")  # Canadian: 10 stones in 30 s
    assert len(engine.overhead) == 0 and engine.overhead.estimate == 0.0
    ok(engine, "genmove b")
    ok(engine, "genmove w")
    assert len(engine.overhead) == 2  # one measurement per searched move
    engine.overhead.record(0.0, 0.2)  # as if a move had overrun its budget by 0.2 s
    share = engine.clocks[1].time_left / engine.clocks[1].stones_left
    engine._think(1).__next__()
    assert engine._budget == pytest.approx(share - engine.time_params.margin - 0.2)  # margin + overhead kept back


def random_legal_game(size: int, moves: int, seed: int) -> GoGame:
    """A game of ``moves`` uniformly random legal moves (never a pass while a stone can be played, own eyes
    included, so groups die and are captured over and over); refereed without a move cap."""
    game = GoGame(GoRules(size=size, komi=7.5, max_moves=NO_MOVE_LIMIT))
    rng = np.random.default_rng(seed)
    captured = 0
    while game.move_number < moves:
        stones = [a for a in game.legal_moves() if a != game.pass_action]
        captured += game.play(int(rng.choice(stones)) if stones else game.pass_action)
    assert captured >= moves // 4 and game.passes < 2, "the sequence should be long and full of captures"
    return game


@pytest.mark.parametrize("size, moves", [(5, 60), (9, 200)])
def test_play_accepts_every_legal_move_past_the_self_play_cap(size, moves):
    # The self-play cap (2*N*N: move 50 on 5x5, 162 on 9x9) is not a rule of Go: a GTP engine accepts every legal move.
    assert moves > GoRules(size=size).move_limit
    game = random_legal_game(size, moves, seed=size)
    engine = make_engine()
    ok(engine, f"boardsize {size}")
    for colour, a in game.moves:
        ok(engine, f"play {'b' if colour == BLACK else 'w'} {to_gtp(a, size)}")
    assert engine.game.moves == game.moves
    assert engine.game.stones().tobytes() == game.stones().tobytes()
    reply = ok(engine, f"genmove {'b' if game.to_move == BLACK else 'w'}")  # and it still plays on
    assert reply.lower() == "resign" or engine.game.move_number == moves + 1  # at the cap it "passed" without playing


def test_loadsgf_of_a_game_longer_than_the_self_play_cap(tmp_path):
    game = random_legal_game(9, 200, seed=9)
    path = tmp_path / "long.sgf"
    path.write_text(game_to_sgf(game))
    assert game_from_sgf(path.read_text()).moves == game.moves  # the library loads it too
    engine = make_engine()
    ok(engine, f"loadsgf {path}")
    assert engine.game.moves == game.moves
    ok(engine, "play b pass")  # and accepts more moves after it


def test_match_referee_caps_moves_only_under_simple_ko_unless_asked():
    # simple ko allows cycles that never end, positional superko does not: only the first gets a default cap
    from zero.match.referee import referee_rules
    from zero.match.settings import MatchSettings

    game = random_legal_game(9, 400, seed=3)
    assert len(game.moves) > 4 * 81 + 10, "the random game must outlast the simple-ko cap"
    for superko, max_moves, accepted in (
        ("positional", -1, len(game.moves)),
        ("simple", -1, 4 * 81),
        ("simple", 0, len(game.moves)),
        ("positional", 162, 162),
    ):
        referee = GoGame(referee_rules(MatchSettings("a", "b", size=9, max_moves=max_moves, superko=superko)))
        for colour, a in game.moves:
            if referee.is_over:
                break
            referee.play(a, colour)
        assert referee.move_number == accepted


def test_showboard_is_a_diagram(engine):
    ok(engine, "play b C3")
    text = ok(engine, "showboard")
    assert " 3 . . X . . . . . ." in text and "A B C D E F G H J" in text


def test_showboard_starts_on_its_own_line_so_rows_align(engine):
    ok(engine, "boardsize 13")
    text = engine.handle_line("7 showboard")
    lines = text.split("\n")
    assert lines[0] == "=7" and lines[1].startswith("13 . . .") and lines[2].startswith("12 . . .")
    assert len(lines[1]) == len(lines[2]) and parse_reply(text)[0]


def test_gtp_command_line_refuses_a_komi_that_is_not_finite():
    import subprocess
    import sys

    for komi in ("nan", "inf"):
        out = subprocess.run(
            [sys.executable, "-m", "zero.cli", "gtp", "--komi", komi],
            input="quit\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 2 and out.stderr.startswith("zero: error: --komi") and out.stdout == ""


def test_katago_rule_commands_set_the_ko_rule_and_refuse_territory_scoring(engine):
    import json

    assert json.loads(ok(engine, "kata-get-rules")) == {
        "friendlyPassOk": True,
        "hasButton": False,
        "ko": "POSITIONAL",
        "scoring": "AREA",
        "suicide": False,
        "tax": "NONE",
        "whiteHandicapBonus": "0",
    }
    ok(engine, "play b E5")
    ok(engine, "kata-set-rules chinese")  # simple ko; the game goes on
    assert engine.game.rules.superko == "simple" and len(engine.game.moves) == 1
    assert json.loads(ok(engine, "kata-get-rules"))["ko"] == "SIMPLE"
    ok(engine, "clear_board")
    assert engine.game.rules.superko == "simple"  # the rules outlast the game
    ok(engine, 'kata-set-rules {"ko": "SITUATIONAL", "scoring": "AREA", "suicide": true}')
    assert engine.game.rules.superko == "positional"
    for territory in ("kata-set-rules japanese", 'kata-set-rules {"hasButton": true}', "kata-set-rules stone_scoring"):
        fails(engine, territory, "rules not supported: this engine plays area scoring only")
    deep = 'kata-set-rules {"ko": ' + "[" * 100_000 + "]" * 100_000 + "}"  # json recurses
    for bad in (
        "kata-set-rules ing",
        "kata-set-rules",
        'kata-set-rules {"ko": "SIMPLE"',
        'kata-set-rules {"kox": 1}',
        deep,
    ):
        fails(engine, bad, "syntax error")
    assert engine.game.rules.superko == "positional"


def test_kgs_rules_plays_kgs_area_rule_sets_and_refuses_japanese(engine):
    import json

    ok(engine, "play b E5")
    ok(engine, "kgs-rules chinese")  # simple ko, a point per handicap stone; the game goes on
    rules = json.loads(ok(engine, "kata-get-rules"))
    assert (rules["ko"], rules["whiteHandicapBonus"]) == ("SIMPLE", "N") and engine.game.rules.superko == "simple"
    assert len(engine.game.moves) == 1
    ok(engine, "kgs-rules aga")
    rules = json.loads(ok(engine, "kata-get-rules"))
    # a situational superko is played (and reported) as positional, as under kata-set-rules
    assert (rules["ko"], rules["whiteHandicapBonus"]) == ("POSITIONAL", "N-1")
    assert engine.game.rules.superko == "positional"
    ok(engine, "kgs-rules new_zealand")
    assert json.loads(ok(engine, "kata-get-rules"))["whiteHandicapBonus"] == "0"
    before = engine.state_key()
    fails(engine, "kgs-rules japanese", "rules not supported: this engine plays area scoring only")
    for bad in ("kgs-rules tromp-taylor", "kgs-rules", "kgs-rules chinese aga"):
        fails(engine, bad, "syntax error")
    assert engine.state_key() == before and json.loads(ok(engine, "kata-get-rules"))["ko"] == "POSITIONAL"
    assert ok(engine, "kgs-game_over") == "" and len(engine.game.moves) == 1
    assert {"kgs-rules", "kgs-game_over"} <= set(ok(engine, "list_commands").split())


@pytest.mark.parametrize("rules, bonus", [("tromp-taylor", 0), ("chinese", 9), ("aga", 8)])
def test_handicap_compensation_of_the_rules_is_searched_and_scored(rules, bonus):
    # Nine handicap stones wall off column E; White walls column F: Black owns A-E (45 points), White F-J (36).
    e = make_engine()
    ok(e, f"kata-set-rules {rules}")
    ok(e, "set_free_handicap " + " ".join(f"E{row}" for row in range(1, 10)))
    assert e.game.komi == 7.5 + bonus and ok(e, "get_komi") == "7.5"  # the game plays for it; the komi set stays
    for row in range(1, 10):
        ok(e, f"play w F{row}")
        if row < 9:
            ok(e, "play b pass")
    assert ok(e, "final_status_list dead") == ""
    assert ok(e, "final_score") == ("B+1.5", "W+7.5", "W+6.5")[(0, 9, 8).index(bonus)]  # 45 - 36 - 7.5 - bonus
    assert "KM[7.5]" in ok(e, "printsgf")
    ok(e, "kata-set-rules tromp-taylor")  # rules without compensation take it away again
    assert ok(e, "final_score") == "B+1.5"


def test_black_moves_before_whites_first_are_handicap_stones_as_katago_counts_them(engine):
    import json

    ok(engine, "kata-set-rules chinese")
    assert json.loads(ok(engine, "kata-get-rules"))["whiteHandicapBonus"] == "N"
    ok(engine, "play b C3")
    assert engine.game.komi == 7.5  # one stone is an even game
    ok(engine, "play b G7")  # free handicap as GUIs send it
    assert engine.game.komi == 9.5 and "komi 7.5 + 2 handicap compensation" in ok(engine, "showboard")
    ok(engine, "play w E5")
    ok(engine, "genmove b")
    assert engine.game.komi == 9.5
    ok(engine, "undo")
    ok(engine, "undo")
    ok(engine, "undo")
    assert engine.game.komi == 7.5
    ok(engine, "komi 0.5")
    ok(engine, "play b G7")
    assert engine.game.komi == 2.5
    ok(engine, "clear_board")  # and an even game has none
    for line in ["play b C3", "play w G7", "play b C7", "play w G3"]:
        ok(engine, line)
    assert engine.game.komi == 0.5


def test_get_komi_stop_and_clear_cache(engine):
    ok(engine, "komi 6.5")
    assert ok(engine, "get_komi") == "6.5"
    assert ok(engine, "stop") == ""
    ok(engine, "play b E5")
    ok(engine, "genmove w")
    assert engine.player.tree_visits() > 0
    moves = list(engine.game.moves)
    assert ok(engine, "clear_cache") == ""
    assert engine.player.tree_visits() == 0 and engine.game.moves == moves  # the tree goes, the game stays
    ok(engine, "genmove b")  # and the next search starts afresh


def test_set_position_replaces_the_board_without_history_and_refuses_impossible_boards(engine):
    ok(engine, "play b E5")
    ok(engine, "set_position b C3 w D4 B c4")
    assert engine.game.moves == [] and engine.game.to_move == BLACK
    from games.go.coords import from_gtp

    stones = engine.game.stones().reshape(-1)
    placed = {v: int(stones[from_gtp(v, 9)]) for v in ("C3", "D4", "C4")}
    assert placed == {"C3": BLACK, "D4": WHITE, "C4": BLACK} and np.count_nonzero(stones) == 3  # E5 is gone
    ok(engine, "genmove w")  # and play goes on from it
    for bad, message in (
        ("set_position b C3 w C3", "bad vertex list"),  # a point twice
        ("set_position b A1 w A2 w B1", "bad vertex list"),  # Black's A1 would have no liberty
        ("set_position b pass", "bad vertex list"),
        ("set_position b C3 w", "syntax error"),
        ("set_position x C3", "syntax error"),
        ("set_position b Z9", "illegal move"),  # off this board, as for play
    ):
        fails(engine, bad, message)
    ok(engine, "set_position")
    assert not engine.game.stones().any() and engine.game.moves == []


def test_kata_set_rule_changes_one_field_of_the_rules_played(engine):
    import json

    ok(engine, "kata-set-rule ko SIMPLE")
    assert engine.game.rules.superko == "simple"
    ok(engine, "kata-set-rule whiteHandicapBonus N")
    ok(engine, "fixed_handicap 2")
    assert engine.game.komi == 9.5
    ok(engine, "kata-set-rule koRule POSITIONAL")  # another of KataGo's names for a field; the rest stays
    rules = json.loads(ok(engine, "kata-get-rules"))
    assert (rules["ko"], rules["whiteHandicapBonus"]) == ("POSITIONAL", "N") and engine.game.komi == 9.5
    fails(engine, "kata-set-rule scoring TERRITORY", "rules not supported: this engine plays area scoring only")
    fails(engine, "kata-set-rule hasButton true", "rules not supported: this engine plays area scoring only")
    for bad in ("kata-set-rule ko", "kata-set-rule ko LOOSE", "kata-set-rule colour white", "kata-set-rule suicide 2"):
        fails(engine, bad, "syntax error")
    ok(engine, "kata-set-rule whiteHandicapBonus 0")
    assert engine.game.komi == 7.5 and engine.game.rules.superko == "positional"


def test_cpu_time_and_engine_description_for_gogui_and_gomill(engine):
    before = float(ok(engine, "cputime"))
    ok(engine, "genmove b")
    after = float(ok(engine, "gomill-cpu_time"))
    assert after > before >= 0  # a search costs CPU time
    assert ok(engine, "known_command gomill-cpu_time") == "true"
    description = ok(engine, "gomill-describe_engine")
    assert description.startswith("zero ") and "rollouts" in description  # this engine has no network
