"""What `zero gtp` keeps between searches and shows of them: full variations and KataGo's LCB in analysis, allow/avoid, tree reuse after play, pondering while the opponent thinks."""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

from games.go import from_gtp, to_gtp
from mcts import SearchParams
from zero.gtp.engine import GoGtpEngine
from zero.gtp.player import EngineParams
from zero.gtp.protocol import parse_reply

from .analysis_grammar import parse_analysis_line


def reuse_engine(visits: int = 120, **params) -> GoGtpEngine:
    settings = {"analysis_visits": 5000, "ownership_playouts": 16, "seed": 3, "resign_winrate": 0.0, **params}
    return GoGtpEngine(
        params=EngineParams(visits=visits, **settings),
        search_params=SearchParams(simulations=visits, leaves_per_step=4, reuse_tree=True),
    )


def ok(engine: GoGtpEngine, command: str) -> str:
    success, _, body = parse_reply(engine.handle_line(command))
    assert success, (command, body)
    return body


def test_every_reported_move_gets_its_line_from_the_tree_with_pv_visits_and_an_lcb_below_its_winrate():
    engine = reuse_engine()
    ok(engine, "play b E5")
    cands, _ = parse_analysis_line(ok(engine, "kata-analyze w 30 pvVisits true"), kata=True, size=9)
    visited = [c for c in cands if c["visits"] > 0]
    assert len(visited) >= 3
    for c in visited:
        assert c["pv"][0] == c["move"] and c["pvVisits"][0] == c["visits"]
        assert all(a >= b >= 1 for a, b in zip(c["pvVisits"], c["pvVisits"][1:]))
        assert c["lcb"] <= c["winrate"]
    # Not only the best move has a line longer than itself.
    assert sum(len(c["pv"]) > 1 for c in visited) >= 2
    # The lines are the tree's: each next move is the most visited child.
    tree = engine.player._search.tree
    for c in visited:
        node = 0
        for d, vertex in enumerate(c["pv"]):
            a = from_gtp(vertex, 9)
            if d > 0:
                assert a == int(np.argmax(tree.children_visits[0, node]))
            node = tree.children_index[0, node, a]


def test_pv_edge_visits_are_the_visits_of_each_edge_of_the_line():
    engine = reuse_engine()
    ok(engine, "play b E5")
    cands, _ = parse_analysis_line(ok(engine, "kata-analyze w 30 pvEdgeVisits true"), kata=True, size=9)
    tree = engine.player._search.tree
    visited = [c for c in cands if c["visits"] > 0]
    assert visited and all("pvVisits" not in c for c in visited)
    for c in visited:
        node, edges = 0, []
        for vertex in c["pv"]:
            a = from_gtp(vertex, 9)
            edges.append(int(tree.children_visits[0, node, a]))  # the parent's count of this edge
            node = tree.children_index[0, node, a]
        assert c["pvEdgeVisits"] == edges


def test_lcb_ranks_like_katago_more_visits_tighter():
    engine = reuse_engine(analysis_visits=3000)
    cands, _ = parse_analysis_line(ok(engine, "kata-analyze b 50"), kata=True, size=9)
    best = cands[0]
    assert best["visits"] >= 3 and 0.0 <= best["lcb"] < best["winrate"]


def test_allow_confines_and_avoid_excludes_the_analysed_moves():
    engine = reuse_engine()
    cands, _ = parse_analysis_line(ok(engine, "lz-analyze b 20 allow b C3,G7,pass 1"), kata=False, size=9)
    assert cands and {c["move"] for c in cands} <= {"C3", "G7", "pass"}
    cands, _ = parse_analysis_line(ok(engine, "lz-analyze b 20 avoid b E5,D4,F6 1 minmoves 30"), kata=False, size=9)
    assert not {"E5", "D4", "F6"} & {c["move"] for c in cands}
    # A filtered tree is not reused by the next search.
    ok(engine, "genmove b")
    assert engine.player.reused_visits == 0
    success, _, _ = parse_reply(engine.handle_line("lz-analyze b 20 allow b Z99 1"))
    assert not success


def test_after_play_of_the_best_reply_the_next_search_starts_with_its_subtree():
    engine = reuse_engine(visits=200)
    mine = from_gtp(ok(engine, "genmove b"), 9)
    tree = engine.player._search.tree  # still rooted before our move: re-rooted by the next search
    child = tree.children_index[0, 0, mine]
    reply = int(np.argmax(tree.children_visits[0, child]))
    reply_visits = int(tree.children_visits[0, child, reply])
    assert reply_visits >= 2
    ok(engine, f"play w {to_gtp(reply, 9)}")
    ok(engine, "genmove b")
    assert engine.player.reused_visits == reply_visits - 1  # the subtree's visits below its root
    # An undo back past the tree's root starts afresh.
    ok(engine, "undo")
    ok(engine, "undo")
    ok(engine, "undo")
    ok(engine, "genmove b")
    assert engine.player.reused_visits == 0


def test_without_reuse_every_search_starts_afresh():
    engine = GoGtpEngine(
        params=EngineParams(visits=60, seed=3, resign_winrate=0.0),
        search_params=SearchParams(simulations=60, leaves_per_step=4),
    )
    ok(engine, "genmove b")
    ok(engine, "play w C3")
    ok(engine, "genmove b")
    assert engine.player.reused_visits == 0


def test_gtp_config_reuses_the_tree_and_ponders_by_default():
    from zero.commands.gtp import load_gtp_config

    args = argparse.Namespace(config=None, overrides=[], visits=None, time=None, seed=None, threads=None)
    config = load_gtp_config(args)
    assert config.search.reuse_tree and config.gtp.ponder


class PipeInput:
    """stdin fed by the test line by line, as a GUI would."""

    def __init__(self):
        self._r, self._w = os.pipe()
        self._reader = os.fdopen(self._r, "r")

    def send(self, line: str) -> None:
        os.write(self._w, (line + "\n").encode())

    def __iter__(self):
        return iter(self._reader)


class Output:
    def __init__(self):
        self.text = ""
        self.lock = threading.Lock()

    def write(self, text: str) -> None:
        with self.lock:
            self.text += text

    def flush(self) -> None:
        pass

    def replies(self) -> list[str]:
        with self.lock:
            return [r for r in self.text.split("\n\n") if r]


def wait_replies(out: Output, n: int, seconds: float = 60.0) -> list[str]:
    end = time.time() + seconds
    while len(out.replies()) < n:
        assert time.time() < end, out.text
        time.sleep(0.01)
    return out.replies()


def test_pondering_grows_the_tree_while_waiting_and_stops_on_the_next_command():
    engine = reuse_engine(visits=40, analysis_visits=200_000)
    stdin, out = PipeInput(), Output()
    server = threading.Thread(target=engine.serve, args=(stdin, out), daemon=True)
    server.start()
    stdin.send("genmove b")
    wait_replies(out, 1)
    time.sleep(0.3)
    first = engine.player.tree_visits()
    time.sleep(0.7)
    second = engine.player.tree_visits()
    assert second > first > 40  # searching on the opponent's position, past one move's visits
    # The opponent plays the reply the ponder search likes best; the command is answered at once.
    reply = int(np.argmax(engine.player._search.tree.children_visits[0, 0]))
    sent = time.time()
    stdin.send(f"play w {to_gtp(reply, 9)}")
    wait_replies(out, 2)
    assert time.time() - sent < 5.0
    stopped = engine.player.tree_visits()
    time.sleep(0.5)
    assert engine.player.tree_visits() == stopped  # no search after a play: pondering only follows our genmove
    stdin.send("genmove b")
    wait_replies(out, 3)
    assert engine.player.reused_visits > 0  # the pondered reply's subtree was kept
    stdin.send("quit")
    server.join(30)
    assert not server.is_alive()
