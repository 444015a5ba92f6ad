"""`final_status_list seki` and scoring on a classic two-group seki: those stones are seki, neither dead nor alive, and count as stones."""

from __future__ import annotations

from games.go import GoGame, from_gtp
from zero.gtp.protocol import parse_reply

from .conftest import make_engine

# The two-group seki of tests/go/test_go_seki.py: C1 and C2 shared, no eyes, walls outside.
TWO_GROUP_SEKI = """
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    X X X X X X X X X
    O O O O O O O O O
    O O O O O . . . .
    X X X X O . . . .
    O O . X O . . . .
    O O . X O . . . ."""

SEKI_WHITE = "A1 A2 B1 B2"
SEKI_BLACK = "A3 B3 C3 D1 D2 D3"


def reply(engine, command: str) -> str:
    success, _, body = parse_reply(engine.handle_line(command))
    assert success, (command, body)
    return body


def chains_of(body: str) -> set[str]:
    return {" ".join(sorted(line.split(), key=lambda v: from_gtp(v, 9))) for line in body.split("\n") if line}


def test_final_status_list_reports_the_seki_groups_as_seki():
    engine = make_engine(ownership_playouts=64)
    engine.game = GoGame.from_diagram(TWO_GROUP_SEKI, komi=7.5)
    norm = {" ".join(sorted(c.split(), key=lambda v: from_gtp(v, 9))) for c in (SEKI_WHITE, SEKI_BLACK)}
    assert chains_of(reply(engine, "final_status_list seki")) == norm
    dead = reply(engine, "final_status_list dead").split()
    alive = reply(engine, "final_status_list alive").split()
    seki_vertices = set(SEKI_WHITE.split() + SEKI_BLACK.split())
    assert not seki_vertices & set(dead) and not seki_vertices & set(alive)
    assert dead == []
    # Black: rows 6-9 (36) + 6 seki stones; White: walls 14 + E1-E3 + 16 territory + 4 seki stones; C1, C2 nobody's.
    assert reply(engine, "final_score") == "W+2.5"  # 42 - 37 - 7.5
