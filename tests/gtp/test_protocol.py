"""GTP 2 protocol layer: cleaning, ids, framing, argument checking, registry consistency (no Go needed)."""

from __future__ import annotations

import io

import pytest

from zero.gtp.protocol import FLOAT, INT, CommandRegistry, GtpEngine, GtpError, clean_line, parse_reply


class EchoEngine(GtpEngine):
    """A minimal engine with typed commands, so the protocol is tested apart from Go."""

    registry = CommandRegistry(GtpEngine.registry)

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    @registry.command("add", INT, INT)
    def cmd_add(self, a: int, b: int) -> str:
        self.total += a + b
        return str(a + b)

    @registry.command("half", FLOAT)
    def cmd_half(self, x: float) -> str:
        return f"{x / 2:g}"

    @registry.command("fail")
    def cmd_fail(self) -> str:
        raise GtpError("cannot undo")

    @registry.command("crash")
    def cmd_crash(self) -> str:
        raise ZeroDivisionError

    @registry.command("multi")
    def cmd_multi(self) -> str:
        return "one\n\n\ntwo\r\n"

    @registry.command("count", INT, streaming=True)
    def cmd_count(self, n: int):
        def lines():
            for i in range(n):
                yield f"line {i}"
                if self.wait_for_input(0.0):
                    return

        return lines()


def reply(engine: GtpEngine, line: str) -> str | None:
    return engine.handle_line(line)


@pytest.fixture
def engine() -> EchoEngine:
    return EchoEngine()


def test_plain_success_and_ids(engine):
    assert reply(engine, "protocol_version") == "= 2\n\n"
    assert reply(engine, "17 protocol_version") == "=17 2\n\n"
    assert reply(engine, "0 add 2 3") == "=0 5\n\n"
    assert reply(engine, "9 quit") == "=9\n\n"
    assert engine.quit_requested


def test_id_is_echoed_on_errors_and_kept_verbatim(engine):
    assert reply(engine, "42 no_such_thing") == "?42 unknown command\n\n"
    assert reply(engine, "007 add 1") == "?007 syntax error\n\n"
    assert reply(engine, "12345678901234567890123 name") == "=12345678901234567890123 zero\n\n"


def test_comments_control_characters_tabs_and_blank_lines(engine):
    assert reply(engine, "") is None
    assert reply(engine, "   \t  ") is None
    assert reply(engine, "# just a comment") is None
    assert reply(engine, "add 1 2 # trailing comment") == "= 3\n\n"
    assert reply(engine, "add\t4\t5\r\n") == "= 9\n\n"
    assert reply(engine, "a\x00d\x1bd 1\x07 1\x7f") == "= 2\n\n"  # control characters vanish
    assert reply(engine, "\x01\x02#x") is None


def test_unknown_commands_and_case(engine):
    assert reply(engine, "ADD 1 2") == "? unknown command\n\n"  # GTP commands are case sensitive
    assert reply(engine, "boardsize 9") == "? unknown command\n\n"


@pytest.mark.parametrize(
    "line",
    [
        "add",
        "add 1",
        "add 1 2 3",
        "add x 2",
        "add -1 2",
        "add 1.5 2",
        "add 99999999999 1",
        "add ١ 2",
        "half nan",
        "half inf",
        "half 1e999",
        "half 0x10",
    ],
)
def test_wrong_argument_counts_and_types_are_syntax_errors(engine, line):
    assert reply(engine, line) == "? syntax error\n\n"
    assert engine.total == 0


def test_numbers_that_are_well_formed(engine):
    assert reply(engine, "half 7") == "= 3.5\n\n"
    assert reply(engine, "half -7.5") == "= -3.75\n\n"
    assert reply(engine, "half 1e2") == "= 50\n\n"


def test_failures_and_internal_errors_reply_with_question_mark(engine):
    assert reply(engine, "3 fail") == "?3 cannot undo\n\n"
    assert reply(engine, "4 crash") == "?4 internal error\n\n"
    assert reply(engine, "protocol_version") == "= 2\n\n"  # still alive


def test_multiline_body_never_contains_an_empty_line(engine):
    assert reply(engine, "multi") == "= one\ntwo\n\n"


def test_list_and_known_commands_come_from_the_same_registry(engine):
    ok, _, body = parse_reply(reply(engine, "list_commands"))
    names = body.split("\n")
    assert ok and len(names) == len(set(names))
    for name in names:
        assert reply(engine, f"known_command {name}") == "= true\n\n"
        assert reply(engine, f"{name} " + " ".join(["zz"] * 9)) != "? unknown command\n\n"
    assert {"protocol_version", "name", "version", "known_command", "list_commands", "quit", "add"} <= set(names)
    assert reply(engine, "known_command frobnicate") == "= false\n\n"
    # the base class's registry is not polluted by the subclass
    assert "add" not in GtpEngine().handle_line("list_commands")


def test_streaming_reply_is_framed_and_stops_when_input_arrives(engine):
    text = reply(engine, "8 count 5")
    assert text == "=8\nline 0\n\n"
    assert parse_reply(text) == (True, "8", "line 0")


def test_serve_loop_reads_until_quit_and_writes_only_replies():
    out = io.StringIO()
    commands = "1 name\n\n# comment\n2 add 2 2\n3 quit\n4 name\n"
    EchoEngine().serve(io.StringIO(commands), out)
    assert out.getvalue() == "=1 zero\n\n=2 4\n\n=3\n\n"


def test_serve_streams_until_next_line():
    out = io.StringIO()
    EchoEngine().serve(io.StringIO("count 1000000\nname\nquit\n"), out)
    text = out.getvalue()
    first, second, third = text.split("\n\n")[:3]
    assert first.startswith("=\nline 0")
    assert len(first.split("\n")) < 1000000
    assert second == "= zero" and third == "="


@pytest.mark.parametrize("raw,expected", [("a#b", "a"), ("\ta\tb ", "a b"), ("x\x00y", "xy"), ("   ", "")])
def test_clean_line(raw, expected):
    assert clean_line(raw) == expected


@pytest.mark.parametrize("bad", ["", "=", "= x\n", "= a\n\nb\n\n", "! x\n\n", "=x y\n\n"])
def test_parse_reply_rejects_malformed(bad):
    with pytest.raises(ValueError):
        parse_reply(bad)
