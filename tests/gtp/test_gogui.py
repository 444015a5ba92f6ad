"""GoGui's analyze commands: the list GoGui reads, and replies in the formats GoGui draws (gfx, dboard)."""

from __future__ import annotations

import re

import pytest

from games.go import from_gtp

from .conftest import make_engine
from .test_go_commands import ok

GOGUI_TYPES = {"bwboard", "cboard", "dboard", "eplist", "gfx", "hstring", "hpstring", "none", "param", "plist"}
GOGUI_TYPES |= {"pspairs", "pstring", "sboard", "string", "var", "varb", "varc", "varp", "varpo", "varw"}
VERTEX = re.compile(r"^[A-HJ-T](1[0-9]|[1-9])$")


def gfx(reply: str) -> dict[str, list[list[str]]]:
    """A gfx reply by command (COLOR, LABEL, VAR, TEXT, ...), each line's arguments."""
    out: dict[str, list[list[str]]] = {}
    for line in reply.splitlines():
        word, *args = line.split()
        out.setdefault(word, []).append(args)
    return out


@pytest.fixture
def walled():
    """Black walls off row 5, White row 4: Black owns the top five rows, White the bottom four; White to move."""
    e = make_engine()
    for column in "ABCDEFGHJ":
        ok(e, f"play b {column}5")
        ok(e, f"play w {column}4")
    ok(e, "play b C7")
    return e


def test_analyze_commands_name_known_commands_of_gogui_types(engine):
    lines = ok(engine, "gogui-analyze_commands").splitlines()
    assert len(lines) == 5
    for entry in lines:
        kind, label, command = entry.split("/")
        assert kind in GOGUI_TYPES and label
        assert ok(engine, f"known_command {command.split()[0]}") == "true"
        ok(engine, command.replace("%m", "b"))  # GoGui substitutes the colour to move


def test_ownership_is_a_board_of_numbers_positive_for_black(walled):
    before = walled.state_key()
    rows = [row.split() for row in ok(walled, "zero-ownership").splitlines()]
    assert len(rows) == 9 and all(len(row) == 9 for row in rows)
    values = [[float(v) for v in row] for row in rows]
    assert all(-1.0 <= v <= 1.0 for row in values for v in row)
    # the top row (9) first: Black's; the bottom row (1) White's
    assert sum(values[0]) > 4 and sum(values[8]) < -4
    assert walled.state_key() == before


def test_policy_labels_every_legal_point_with_its_share(walled):
    before = walled.state_key()
    reply = gfx(ok(walled, "zero-policy w"))
    labels = reply["LABEL"][0]
    points = labels[::2]
    shares = [float(v) for v in labels[1::2]]
    # without a network the prior is uniform over the legal moves: every empty point, the same share
    legal = [p for p in points if walled.game.is_legal(from_gtp(p, 9))]
    assert points == legal and len(points) == 81 - 19
    assert max(shares) - min(shares) <= 0.1 and sum(shares) == pytest.approx(100 * 62 / 63, abs=3)
    assert {p for c in reply["COLOR"] for p in c[1:]} == set(points)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c[0]) for c in reply["COLOR"])
    assert reply["TEXT"][0][:2] == ["policy:", "best"]
    assert walled.state_key() == before


def test_search_shows_win_rates_and_the_best_line_from_the_colour_asked(walled):
    before = walled.state_key()
    for colour in ("w", "b"):
        reply = gfx(ok(walled, f"zero-search {colour}"))
        labels = reply["LABEL"][0]
        assert all(VERTEX.match(p) for p in labels[::2]) and all(0 <= int(v) <= 100 for v in labels[1::2])
        var = reply["VAR"][0]
        assert var[0::2] == [colour, "b" if colour == "w" else "w"] * (len(var) // 4) + [colour] * (len(var) // 2 % 2)
        assert var[1] in labels[::2] or var[1] == "pass"  # the line starts with a searched move
        text = " ".join(reply["TEXT"][0])
        assert text.startswith("White" if colour == "w" else "Black") and text.endswith(" visits")
    assert walled.state_key() == before
    for bad in ("zero-search x", "zero-policy b w", "zero-ownership b", "zero-search-ownership b w"):
        assert walled.handle_line(bad) == "? syntax error\n\n"


def _dboard(reply: str) -> list[list[float]]:
    rows = [[float(v) for v in row.split()] for row in reply.splitlines()]
    assert len(rows) == 9 and all(len(row) == 9 for row in rows)
    assert all(-1.0 <= v <= 1.0 for row in rows for v in row)
    return rows


def test_search_ownership_is_the_searchs_average_positive_for_black_whoever_is_to_move():
    from pathlib import Path

    import numpy as np

    from mcts import SearchParams
    from zero.gtp.engine import GoGtpEngine
    from zero.gtp.player import EngineParams
    from zero.nn.inference import NetworkEvaluator

    fixture = Path(__file__).parents[1] / "network" / "fixtures" / "fidelity_go9" / "model-00000892.safetensors"
    network = NetworkEvaluator.from_checkpoint(str(fixture), device="cpu", precision="float32")
    engine = GoGtpEngine(
        params=EngineParams(visits=40, seed=1, random_symmetry=False),
        network=network,
        search_params=SearchParams(simulations=40, leaves_per_step=4),
    )
    for column in "ABCDEFGHJ":  # Black walls off the top four rows, White the bottom four
        ok(engine, f"play b {column}5")
        ok(engine, f"play w {column}4")
    before = engine.state_key()
    boards = {colour: np.array(_dboard(ok(engine, f"zero-search-ownership {colour}"))) for colour in ("b", "w")}
    root = np.array(_dboard(ok(engine, "zero-ownership")))  # the network's at the root, no search
    for board in boards.values():  # +1 Black whoever searched: Black's wall and above, White's and below
        assert board[4].mean() > 0.3 and board[5].mean() < -0.3
        assert np.abs(board - root).max() > 0.01  # averaged over the search's positions, not the root's alone
    assert np.abs(boards["b"] - boards["w"]).max() > 0.01  # different searches: Black's move, White's
    assert engine.state_key() == before


def test_gogui_interrupt_ends_a_timed_genmove_with_its_best_move_so_far():
    """GoGui's Interrupt: `# interrupt` while a genmove with minutes on the clock thinks; the move comes at once."""
    import os
    import threading
    import time

    engine = make_engine()
    assert ok(engine, "known_command gogui-interrupt") == "true"
    read_end, write_end = os.pipe()
    replies: list[str] = []

    class Out:
        def write(self, text: str) -> None:
            replies.append(text)

        def flush(self) -> None:
            pass

    with os.fdopen(read_end) as stdin, os.fdopen(write_end, "w") as feed:
        session = threading.Thread(target=engine.serve, args=(stdin, Out()), daemon=True)
        session.start()
        feed.write("time_settings 3000 0 0\n1 genmove b\n")  # 50 minutes: a budget of a minute or more a move
        feed.flush()
        while engine._budget is None:  # the genmove has started thinking
            time.sleep(0.01)
        feed.write("# interrupt\n")
        feed.flush()
        waited = 0.0
        while "=1 " not in "".join(replies) and waited < 30:  # without the interrupt: the whole budget
            time.sleep(0.05)
            waited += 0.05
        done = "".join(replies)
        feed.write("quit\n")
        feed.flush()
        session.join(timeout=30)
    assert engine._budget > 30 and waited < 30
    move = done.split("=1 ", 1)[1].split("\n", 1)[0]
    assert from_gtp(move, 9) != 81 and engine.game.moves == [(1, from_gtp(move, 9))]
    assert not engine.interrupt.is_set()  # cleared with the command: the next search is not cut short


def test_settings_change_through_katago_params_and_gogui_param_dialog(engine):
    assert ok(engine, "kata-list-params").split() == ["maxVisits", "maxTime", "ponderingEnabled"]
    assert ok(engine, "kata-get-param maxVisits") == "8"
    assert ok(engine, "zero-param").splitlines() == ["maxVisits 8", "maxTime 0", "[bool] ponderingEnabled 1"]
    ok(engine, "kata-set-param maxVisits 40")
    ok(engine, "genmove b")
    assert engine.player.tree_visits() >= 40  # the next search has the new visits (and a tree to hold them)
    ok(engine, "zero-param ponderingEnabled 0")  # GoGui's dialog sends key and value to the same command
    ok(engine, "kata-set-param maxTime 2.5")
    assert ok(engine, "kata-get-param ponderingEnabled") == "false" and ok(engine, "kata-get-param maxTime") == "2.5"
    assert (engine.params.visits, engine.params.move_time, engine.params.ponder) == (40, 2.5, False)
    assert engine.player.params is engine.params
    for bad in (
        "kata-set-param maxVisits 0",
        "kata-set-param maxVisits 1.5",
        "kata-set-param maxTime nan",
        "kata-set-param maxTime -1",
        "kata-set-param ponderingEnabled maybe",
        "kata-set-param numSearchThreads 4",
        "kata-get-param colour",
        "zero-param maxVisits",
    ):
        assert engine.handle_line(bad) == "? syntax error\n\n", bad
    assert (engine.params.visits, engine.params.move_time, engine.params.ponder) == (40, 2.5, False)
