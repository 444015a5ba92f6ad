"""lz-analyze / kata-analyze / *-genmove_analyze through the engine: output parses with the GUIs' field grammar."""

from __future__ import annotations

import io
import threading
import time

import pytest

from zero.gtp.protocol import parse_reply

from .analysis_grammar import parse_analysis_line
from .conftest import make_engine


def body_lines(reply: str) -> list[str]:
    ok, _, body = parse_reply(reply)
    assert ok, reply
    return body.split("\n")


def test_lz_analyze_lines_parse(engine):
    engine.handle_line("play b E5")
    lines = body_lines(engine.handle_line("lz-analyze w 10"))
    cands, own = parse_analysis_line(lines[0], kata=False, size=9)
    assert own is None and cands and cands[0]["visits"] > 0
    assert sum(c["visits"] for c in cands) <= 64
    assert all(c["move"] != "E5" for c in cands)  # only legal moves
    assert engine.game.move_number == 1  # analysis plays nothing


def test_kata_analyze_with_ownership_parses(engine):
    lines = body_lines(engine.handle_line("kata-analyze b 10 ownership true"))
    cands, own = parse_analysis_line(lines[0], kata=True, size=9)
    assert cands and own is not None and len(own) == 81


def test_genmove_analyze_ends_with_play_and_plays_it(engine):
    for kata in (False, True):
        cmd = "kata-genmove_analyze" if kata else "lz-genmove_analyze"
        lines = body_lines(engine.handle_line(f"{cmd} b 1"))
        assert lines[-1].startswith("play ")
        for line in lines[:-1]:
            parse_analysis_line(line, kata=kata, size=9)
    assert [c for c, _ in engine.game.moves] == [1, 1]


class SlowInput(io.TextIOBase):
    """stdin that delivers the next line only after a delay (a GUI that waits while analysis streams)."""

    def __init__(self, lines: list[tuple[float, str]]):
        self.lines = lines

    def __iter__(self):
        for delay, line in self.lines:
            time.sleep(delay)
            yield line


def test_analysis_streams_at_the_interval_until_the_next_command():
    engine = make_engine(analysis_visits=100_000)
    out = io.StringIO()
    stdin = SlowInput([(0.0, "lz-analyze b 5\n"), (0.6, "name\n"), (0.0, "quit\n")])
    t = threading.Thread(target=engine.serve, args=(stdin, out))
    t.start()
    t.join(30)
    replies = out.getvalue().split("\n\n")
    stream = replies[0].split("\n")
    assert stream[0] == "="
    assert len(stream) >= 3, stream  # several lines at a 0.05 s interval in 0.6 s (the tree stays small)
    for line in stream[1:]:
        parse_analysis_line(line, kata=False, size=9)
    assert replies[1] == "= zero" and replies[2] == "="


def test_kata_analyze_ownership_is_the_searchs_average_of_the_root_and_each_candidates_subtree_from_the_movers_view():
    from pathlib import Path

    import numpy as np

    from games.go import from_gtp
    from mcts import SearchParams
    from zero.gtp.engine import GoGtpEngine
    from zero.gtp.player import EngineParams
    from zero.nn.inference import NetworkEvaluator

    fixture = Path(__file__).parents[1] / "network" / "fixtures" / "fidelity_go9" / "model-00000892.safetensors"
    network = NetworkEvaluator.from_checkpoint(str(fixture), device="cpu", precision="float32")
    engine = GoGtpEngine(  # one orientation: the root's own evaluation is the network's as the planes stand
        params=EngineParams(visits=16, analysis_visits=48, seed=1, random_symmetry=False),
        network=network,
        search_params=SearchParams(simulations=48, leaves_per_step=4),
    )
    for column in "ABCDEFGHJ":  # Black walls off the top five rows, White the bottom three: a clear ownership
        assert engine.handle_line(f"play b {column}5") == "=\n\n"
        assert engine.handle_line(f"play w {column}3") == "=\n\n"
    options = "ownership true ownershipStdev true movesOwnership true movesOwnershipStdev true rootInfo true"
    for colour, view in (("b", 1.0), ("w", -1.0)):  # kata-analyze's numbers are the mover's
        reply = engine.handle_line(f"kata-analyze {colour} 10 {options}")
        line = [text for text in reply.splitlines() if text.startswith("info")][-1]
        root, spread = {}, []
        candidates, ownership = parse_analysis_line(line, kata=True, size=9, root=root, ownership_stdev=spread)
        ownership, spread = np.array(ownership), np.array(spread)
        # every searched move is shown (the line comes after the first interval: how far the search got varies)
        assert sum(c["visits"] for c in candidates) == root["visits"] >= 4
        position = engine.game.copy()
        position.to_move = 1 if colour == "b" else 2
        _, _, _, raw = network.evaluate_heads(engine.player._network_planes(position))
        raw = raw.reshape(-1)  # the network's view is the mover's
        # every node counts once (its visits at a finished game): the root's evaluation and each subtree's
        weighted = raw + sum(c["visits"] * np.array(c["movesOwnership"]) for c in candidates)
        np.testing.assert_allclose(ownership * (root["visits"] + 1), weighted, atol=0.02)
        second = raw**2 + sum(
            c["visits"] * (np.array(c["movesOwnershipStdev"]) ** 2 + np.array(c["movesOwnership"]) ** 2)
            for c in candidates
        )
        np.testing.assert_allclose((spread**2 + ownership**2) * (root["visits"] + 1), second, atol=0.05)
        assert spread.max() > 0.01
        # Black's wall (row 5) and White's (row 3) are theirs, seen by the mover
        assert view * ownership[36:45].mean() > 0.3 and view * ownership[54:63].mean() < -0.3
    # a candidate shown without visits (minmoves) gets the network's ownership after it, one ply deep
    reply = engine.handle_line("kata-analyze b 10 minmoves 60 movesOwnership true")
    line = [text for text in reply.splitlines() if text.startswith("info")][-1]
    unvisited = [c for c in parse_analysis_line(line, kata=True, size=9)[0] if c["visits"] == 0]
    assert unvisited
    for candidate in unvisited[:3]:
        child = engine.game.copy()
        child.play(from_gtp(candidate["move"], 9))
        expected = engine.player.ownership(child)  # the network's, 8 orientations' mean, +1 Black: Black moves
        assert np.abs(np.array(candidate["movesOwnership"]) - expected).max() < 0.02
    plain = engine.handle_line("kata-analyze b 10")
    assert "movesOwnership" not in plain and "ownership" not in plain


def _raw_nn_blocks(reply: str, size: int) -> list[dict]:
    """kata-raw-nn's reply parsed as KataGo's consumers do: keys followed by their values, whitespace-agnostic."""
    tokens = reply.removeprefix("= ").split()
    counts = {"policy": size * size, "whiteOwnership": size * size}
    blocks: list[dict] = []
    i = 0
    while i < len(tokens):
        key = tokens[i]
        count = counts.get(key, 1)
        values = [float(t) for t in tokens[i + 1 : i + 1 + count]]  # float("NAN") is NaN
        if key == "symmetry":
            blocks.append({})
        blocks[-1][key] = values if count > 1 else values[0]
        i += 1 + count
    return blocks


def test_kata_raw_nn_reports_the_networks_evaluation_in_each_symmetry_from_whites_side():
    from pathlib import Path

    import numpy as np

    from mcts import SearchParams
    from zero.gtp.engine import GoGtpEngine
    from zero.gtp.player import EngineParams
    from zero.nn.inference import NetworkEvaluator

    from .conftest import make_engine

    fixture = Path(__file__).parents[1] / "network" / "fixtures" / "fidelity_go9" / "model-00000892.safetensors"
    network = NetworkEvaluator.from_checkpoint(str(fixture), device="cpu")
    engine = GoGtpEngine(params=EngineParams(seed=1), network=network, search_params=SearchParams(simulations=8))
    for column in "ABCDEFGHJ":  # Black walls off the top five rows, White the bottom three: Black wins
        assert engine.handle_line(f"play b {column}5") == "=\n\n"
        assert engine.handle_line(f"play w {column}3") == "=\n\n"
    occupied = engine.game.stones().reshape(-1) != 0
    for colour, to_white in (("b", -1.0), ("w", 1.0)):  # whoever is to move, the numbers are White's
        engine.game.to_move = 1 if colour == "b" else 2
        (block,) = _raw_nn_blocks(engine.handle_line("kata-raw-nn 0"), 9)
        assert block["symmetry"] == 0 and block["noResult"] == 0
        planes = engine.game.planes(network.komi_input, network.liberty_input, network.ladder_input)[None]
        mover_value = float(network.evaluate_in_symmetries(planes, None, [0])[1][0])  # the network's, for the mover
        assert block["whiteWin"] == pytest.approx((1.0 + to_white * mover_value) / 2.0, abs=1e-5)
        assert block["whiteWin"] + block["whiteLoss"] == pytest.approx(1.0, abs=1e-5)
        policy = np.array(block["policy"])
        assert np.array_equal(np.isnan(policy), occupied)  # NAN exactly on the stones: illegal moves
        assert np.nansum(policy) + block["policyPass"] == pytest.approx(1.0, abs=1e-4)
        ownership = np.array(block["whiteOwnership"]).reshape(9, 9)  # rows from the top (A9 first)
        assert ownership[:5].mean() < -0.3 and ownership[6:].mean() > 0.3  # Black's rows, then White's
    blocks = _raw_nn_blocks(engine.handle_line("kata-raw-nn all"), 9)
    assert [b["symmetry"] for b in blocks] == list(range(8))
    assert blocks[0]["policy"] != pytest.approx(blocks[5]["policy"], abs=1e-7, nan_ok=True)  # the orientation counts
    mean_white = np.mean([b["whiteOwnership"] for b in blocks], axis=0)
    assert np.abs(mean_white + engine.player.ownership(engine.game)).max() < 0.02  # the 8 orientations' mean, +1 Black
    for bad in ("kata-raw-nn 8", "kata-raw-nn -1", "kata-raw-nn x", "kata-raw-nn"):
        assert engine.handle_line(bad).startswith("? ")
    assert make_engine().handle_line("kata-raw-nn 0") == "? no network for this board size\n\n"
