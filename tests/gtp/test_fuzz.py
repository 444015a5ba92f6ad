"""Hypothesis fuzzing of the GTP engine: >= 10,000 random and mutated lines; never raises, every reply is
well formed, and a ``?`` reply leaves the game exactly as it was."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zero.gtp.engine import NO_NETWORK, RULES_NOT_SUPPORTED
from zero.gtp.protocol import clean_line, parse_reply

from .conftest import make_engine

VALID = [
    "protocol_version",
    "name",
    "version",
    "known_command play",
    "list_commands",
    "boardsize 9",
    "boardsize 5",
    "boardsize 7",
    "clear_board",
    "komi 6.5",
    "komi 0",
    "play b E5",
    "play w D4",
    "play black C3",
    "play white pass",
    "play b A1",
    "play w J9",
    "genmove b",
    "genmove w",
    "undo",
    "showboard",
    "final_score",
    "final_status_list dead",
    "final_status_list alive",
    "fixed_handicap 2",
    "place_free_handicap 3",
    "set_free_handicap C3 G7",
    "time_settings 10 5 5",
    "time_left b 5 0",
    "kgs-time_settings byoyomi 0 1 1",
    "kata-time_settings fischer 2 0.5",
    "kata-time_settings fischer-capped 2 0.5 3 -1",
    "kata-list_time_settings",
    "kata-raw-nn all",
    "printsgf",
    "reg_genmove b",
    "kgs-genmove_cleanup w",
    "lz-analyze 1",
    "kata-analyze b 1 ownership true",
    "lz-genmove_analyze w 1",
    "kata-genmove_analyze b 1",
    "loadsgf /nonexistent.sgf",
    "12 play b C4",
    "play b B2 # comment",
    "kata-get-rules",
    "kata-set-rules chinese",
    "kgs-rules aga",
    "kgs-game_over",
    'kata-set-rules {"ko": "POSITIONAL", "scoring": "AREA"}',
    "get_komi",
    "clear_cache",
    "stop",
    "set_position b C3 w D4",
    "kata-set-rule whiteHandicapBonus N-1",
    "kata-set-rule ko SIMPLE",
    "cputime",
    "gomill-describe_engine",
    "gogui-analyze_commands",
    "zero-policy w",
    "zero-ownership",
    "zero-search b",
    "kata-analyze w 1 pvEdgeVisits true movesOwnership true",
    "kata-analyze b 1 ownership true ownershipStdev true movesOwnershipStdev true",
    "kata-list-params",
    "kata-get-param maxVisits",
    "zero-param",
]
NOISE = "\x00\x01\t\r\x1b\x7f #=?-.0123456789abwABCDEFGHJKLMNOPQRSTZpasxé"


@st.composite
def mutated(draw) -> str:
    line = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.integers(0, 4))
        pos = draw(st.integers(0, len(line)))
        if op == 0:
            line = line[:pos] + draw(st.text(NOISE, max_size=3)) + line[pos:]
        elif op == 1:
            line = line[:pos] + line[pos + draw(st.integers(1, 4)) :]
        elif op == 2:
            tokens = line.split(" ")
            line = " ".join(draw(st.permutations(tokens)))
        elif op == 3:
            line = (
                line
                + " "
                + draw(st.sampled_from(["9", "-1", "1e9", "nan", "b", "Z25", "pass", "x" * 50, "99999999999"]))
            )
        else:
            line = draw(st.sampled_from(["", "0 ", "77 "])) + line.upper() if draw(st.booleans()) else line
    return line


LINES = st.lists(st.one_of(mutated(), mutated(), st.text(max_size=40)), min_size=100, max_size=100)
ENGINE = make_engine(visits=2)
# one engine for all examples: its state accumulates like a long session


def check_line(engine, line: str) -> None:
    before = engine.state_key()
    reply = engine.handle_line(line)
    if reply is None:
        assert clean_line(line) == "", repr(line)  # only blank/comment lines get no reply
        assert engine.state_key() == before
        return
    ok, _, body = parse_reply(reply)  # raises on a malformed reply
    if not ok:
        assert engine.state_key() == before, f"{line!r} -> {reply!r} changed the game"
        assert body.startswith("cannot load file: ") or body in (
            "unknown command",
            "syntax error",
            "illegal move",
            "cannot undo",
            "unacceptable size",
            "board not empty",
            "invalid number of stones",
            "bad vertex list",
            RULES_NOT_SUPPORTED,
            NO_NETWORK,
        ), (line, reply)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(lines=LINES)
def test_fuzz_10000_lines(lines):
    engine = ENGINE
    if engine.game.size > 9:  # keep genmove cheap
        engine.handle_line("boardsize 9")
    for line in lines:
        check_line(engine, line)
