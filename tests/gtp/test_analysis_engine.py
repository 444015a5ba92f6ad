"""lz-analyze / kata-analyze / *-genmove_analyze through the engine: output parses with the GUIs' field grammar."""

from __future__ import annotations

import io
import threading
import time

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
