"""GTP version 2 protocol layer: input cleaning, command ids, one typed command registry, replies and streaming (knows nothing about Go; imports no torch/numba).

The Go commands live in ``zero.gtp.engine`` (a subclass of :class:`GtpEngine`); the analysis
line formatting in ``zero.gtp.analysis``. Everything a client can send goes through
:meth:`GtpEngine.handle_line`, which never raises: every failure becomes a ``?`` reply.

Protocol (GTP 2, section 2 of the specification):

* input cleaning: control characters other than HT and LF removed, ``#`` starts a
  comment, HT becomes a space, empty or white-space-only lines are ignored;
* a command is ``[id] name [arguments...]``; the id (digits) is echoed back:
  ``=id result`` or ``?id message``; every reply ends with one empty line and has no
  empty line inside it;
* commands are declared once in a :class:`CommandRegistry` with typed arguments, so
  ``list_commands``, ``known_command`` and argument checking cannot drift apart;
* streaming commands (``lz-analyze`` ...) write ``=id`` then lines until the next input
  line arrives, then the closing empty line.

Logs go to the ``zero.gtp.protocol`` logger (the CLI sends them to stderr); stdout carries replies only.
"""

from __future__ import annotations

import logging
import math
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

log = logging.getLogger("zero.gtp.protocol")

# The standard failure messages of GTP 2 (section 6.4 and the command descriptions).
UNKNOWN_COMMAND = "unknown command"
SYNTAX_ERROR = "syntax error"
ILLEGAL_MOVE = "illegal move"
CANNOT_UNDO = "cannot undo"
UNACCEPTABLE_SIZE = "unacceptable size"

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # everything below space but HT, plus DEL (LF is the line end)
_DIGITS = re.compile(r"[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_MAX_INT = 2**31 - 1  # GTP ints are "unsigned int" of at most 31 bits


class GtpError(Exception):
    """A command failed; ``str(exc)`` is the message after ``?`` (e.g. ``illegal move``)."""


GOGUI_INTERRUPT = "# interrupt"


def syntax_error(detail: str = "") -> GtpError:
    """The standard ``syntax error`` reply; the detail goes to the log, not to the client."""
    if detail:
        log.info("syntax error: %s", detail)
    return GtpError(SYNTAX_ERROR)


def clean_line(raw: str) -> str:
    """Apply GTP 2 preprocessing to one input line; returns '' for a line that must be ignored."""
    text = raw.split("#", 1)[0]
    text = _CONTROL.sub("", text).replace("\t", " ")
    return text.strip(" ")


def split_tokens(line: str) -> list[str]:
    """Tokens of a cleaned line: separated by spaces only (other Unicode blanks stay inside tokens)."""
    return [t for t in line.split(" ") if t]


# --- typed arguments -------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """One typed argument: ``parse(token, engine)`` returns the value or raises GtpError."""

    name: str  # shown in list_commands help and log messages
    parse: Callable[[str, Any], Any]


def _parse_int(token: str, _engine: Any) -> int:
    if not _DIGITS.fullmatch(token):
        raise syntax_error(f"{token!r} is not an unsigned integer")
    if len(token) > 10 or int(token) > _MAX_INT:
        raise syntax_error(f"{token!r} is too large")
    return int(token)


def _parse_float(token: str, _engine: Any) -> float:
    if not _FLOAT.fullmatch(token) or len(token) > 64:
        raise syntax_error(f"{token!r} is not a number")
    value = float(token)
    if not math.isfinite(value):
        raise syntax_error(f"{token!r} is not finite")
    return value


def _parse_seconds(token: str, engine: Any) -> float:
    value = _parse_float(token, engine)
    if value < 0:
        raise syntax_error(f"{token!r} is a negative duration")
    return value


def _parse_string(token: str, _engine: Any) -> str:
    return token


def _parse_bool(token: str, _engine: Any) -> bool:
    lowered = token.lower()
    if lowered in ("true", "1", "on", "yes"):
        return True
    if lowered in ("false", "0", "off", "no"):
        return False
    raise syntax_error(f"{token!r} is not a boolean")


def parse_color(token: str) -> int:
    """'b'/'black'/'w'/'white' (any case) -> games.go BLACK or WHITE, the project's one player encoding; anything else is a syntax error."""
    from games.go import parse_color as go_parse_color  # here, so that GTP clients (zero match) start without numba

    try:
        return go_parse_color(token)
    except ValueError:
        raise syntax_error(f"{token!r} is not a color") from None


INT = Arg("int", _parse_int)
FLOAT = Arg("float", _parse_float)
SECONDS = Arg("seconds", _parse_seconds)  # a time setting: a finite number >= 0
STRING = Arg("string", _parse_string)
BOOL = Arg("boolean", _parse_bool)
COLOR = Arg("color", lambda token, _engine: parse_color(token))


# --- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A registered command: its name, the engine method, its typed arguments and how it replies."""

    name: str
    method: str  # attribute name on the engine
    args: tuple[Arg, ...]  # required arguments, in order
    optional: tuple[Arg, ...] = ()  # trailing optional arguments
    rest: bool = False  # any further tokens are passed as one list (the handler checks them)
    streaming: bool = False  # the handler returns an iterator of lines (analysis commands)
    help: str = ""


class CommandRegistry:
    """The single list of commands of an engine class; a subclass's registry extends its parent's."""

    def __init__(self, parent: CommandRegistry | None = None) -> None:
        self._commands: dict[str, Command] = dict(parent._commands) if parent else {}

    def command(
        self,
        name: str,
        *args: Arg,
        optional: tuple[Arg, ...] = (),
        rest: bool = False,
        streaming: bool = False,
        help: str = "",
    ) -> Callable[[Callable], Callable]:
        """Decorator registering an engine method as GTP command ``name``."""

        def register(fn: Callable) -> Callable:
            self._commands[name] = Command(name, fn.__name__, tuple(args), tuple(optional), rest, streaming, help)
            return fn

        return register

    def alias(self, name: str, existing: str) -> None:
        """Register ``name`` as a second name of an already registered command."""
        cmd = self._commands[existing]
        self._commands[name] = Command(name, cmd.method, cmd.args, cmd.optional, cmd.rest, cmd.streaming, cmd.help)

    def get(self, name: str) -> Command | None:
        return self._commands.get(name)

    def names(self) -> list[str]:
        return list(self._commands)


# --- the engine --------------------------------------------------------------------------


class GtpEngine:
    """Protocol engine: turns input lines into replies; subclasses add commands to ``registry``.

    ``handle_line(line, write)`` never raises. ``serve(stdin, stdout)`` runs the loop with
    a reader thread so that streaming commands stop when the next line arrives.
    """

    registry = CommandRegistry()
    engine_name = "zero"
    engine_version = "0.1.0"

    def __init__(self) -> None:
        self.quit_requested = False
        # Streaming commands poll this: wait up to ``seconds`` for the next input line;
        # True = a line is waiting (stop streaming). Without a reader thread (tests,
        # handle_line used directly) there is never more input to wait for, so streams stop at once.
        self.wait_for_input: Callable[[float], bool] = lambda seconds: True
        # GoGui's interrupt: the line "# interrupt" while a command runs asks it to finish now (a long genmove plays
        # its best move so far); the reader thread sets this, every command's end clears it.
        self.interrupt = threading.Event()

    # -- dispatch --

    def handle_line(self, raw: str, write: Callable[[str], None] | None = None) -> str | None:
        """Execute one raw input line; returns the full reply text (None for an ignored line).

        When ``write`` is given, the reply is also written through it piece by piece
        (streaming commands write as they go, so a GUI sees lines live).
        """
        pieces: list[str] = []

        def emit(text: str) -> None:
            pieces.append(text)
            if write is not None:
                write(text)

        line = clean_line(raw)
        if not line:
            return None
        tokens = split_tokens(line)
        cmd_id = ""
        if _DIGITS.fullmatch(tokens[0]):
            cmd_id = tokens.pop(0)
        if not tokens:
            emit(self._format("?", cmd_id, SYNTAX_ERROR))
            return "".join(pieces)
        try:
            result = self._dispatch(tokens[0], tokens[1:])
            if isinstance(result, str):
                emit(self._format("=", cmd_id, result))
            else:  # a stream: header now, lines as they come, then the closing empty line
                emit(f"={cmd_id}\n")
                try:
                    for text in result:
                        body = _clean_body(text)
                        if body:
                            emit(body + "\n")
                except Exception:  # the header is out: end the reply cleanly whatever happens
                    log.exception("streaming command %s failed", tokens[0])
                emit("\n")
        except GtpError as exc:
            emit(self._format("?", cmd_id, str(exc)))
        except Exception:  # a bug must not kill the session; the state is the handler's to keep intact
            log.exception("internal error in %r", line)
            emit(self._format("?", cmd_id, "internal error"))
        return "".join(pieces)

    def _dispatch(self, name: str, tokens: list[str]) -> str | Iterator[str]:
        cmd = self.registry.get(name)
        if cmd is None:
            log.info("unknown command %r", name)
            raise GtpError(UNKNOWN_COMMAND)
        n_req = len(cmd.args)
        if len(tokens) < n_req or (not cmd.rest and len(tokens) > n_req + len(cmd.optional)):
            raise syntax_error(f"{name}: wrong number of arguments ({len(tokens)})")
        values = [arg.parse(tok, self) for arg, tok in zip(cmd.args, tokens)]
        extra = tokens[n_req:]
        for arg, tok in zip(cmd.optional, extra):
            values.append(arg.parse(tok, self))
        if cmd.rest:
            values.append(extra[len(cmd.optional) :])
        result = getattr(self, cmd.method)(*values)
        if cmd.streaming:
            return result
        return "" if result is None else str(result)

    @staticmethod
    def _format(status: str, cmd_id: str, body: str) -> str:
        # a body that starts with a line break (showboard) starts on the line after "=id", so its rows align
        sep = "\n" if body.startswith("\n") else " "
        body = _clean_body(body)
        return f"{status}{cmd_id}{sep}{body}\n\n" if body else f"{status}{cmd_id}\n\n"

    # -- the loop --

    def serve(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
        """Read commands until ``quit`` or end of input; replies go to ``stdout`` only."""
        stdin = stdin or sys.stdin
        stdout = stdout or sys.stdout
        lines: queue.Queue[str | None] = queue.Queue()

        def reader() -> None:
            try:
                for raw in stdin:
                    if raw.strip() == GOGUI_INTERRUPT:
                        self.interrupt.set()
                        continue
                    lines.put(raw)
            except (OSError, ValueError) as exc:  # closed pipe or undecodable input ends the session
                log.warning("input ended: %s", exc)
            lines.put(None)

        threading.Thread(target=reader, name="gtp-stdin", daemon=True).start()

        def wait_for_input(seconds: float) -> bool:
            if not lines.empty():
                return True
            try:
                item = lines.get(timeout=max(seconds, 0.0))
            except queue.Empty:
                return False
            _put_front(lines, item)
            return True

        self.wait_for_input = wait_for_input

        def write(text: str) -> None:
            stdout.write(text)
            stdout.flush()

        while not self.quit_requested:
            if lines.empty():
                try:
                    self.idle(lambda: not lines.empty())
                except Exception:  # pondering is a bonus: a failure there must not end the session
                    log.exception("idle work failed")
            raw = lines.get()
            if raw is None:
                break
            self.handle_line(raw, write)
            self.interrupt.clear()
        return 0

    def idle(self, interrupted: Callable[[], bool]) -> None:
        """Work between commands (pondering); must return soon after ``interrupted()`` turns true. Nothing here."""

    # -- the protocol's own commands --

    @registry.command("protocol_version")
    def cmd_protocol_version(self) -> str:
        return "2"

    @registry.command("name")
    def cmd_name(self) -> str:
        return self.engine_name

    @registry.command("version")
    def cmd_version(self) -> str:
        return self.engine_version

    @registry.command("known_command", STRING)
    def cmd_known_command(self, name: str) -> str:
        return "true" if self.registry.get(name) is not None else "false"

    @registry.command("list_commands")
    def cmd_list_commands(self) -> str:
        return "\n".join(self.registry.names())

    @registry.command("quit")
    def cmd_quit(self) -> str:
        self.quit_requested = True
        return ""


def _clean_body(text: str) -> str:
    """A reply body that cannot break framing: no CR, no empty lines, no trailing blanks."""
    lines = [ln.rstrip() for ln in text.replace("\r", "").split("\n")]
    return "\n".join(ln for ln in lines if ln).strip("\n")


def _put_front(q: queue.Queue, item: Any) -> None:
    """Return an item taken by a peek to the front of the queue (only the main thread takes items)."""
    with q.mutex:
        q.queue.appendleft(item)
        q.not_empty.notify()


def parse_reply(text: str) -> tuple[bool, str, str]:
    """Split one full reply ``=id body\\n\\n`` into (success, id, body); ValueError if malformed."""
    if not text.endswith("\n\n") or "\n\n" in text[:-2] or not text or text[0] not in "=?":
        raise ValueError(f"malformed GTP reply {text!r}")
    head = text[:-2]
    m = re.fullmatch(r"([=?])([0-9]*)(?:[ \n](.*))?", head, re.S)
    if not m:
        raise ValueError(f"malformed GTP reply {text!r}")
    return m.group(1) == "=", m.group(2), (m.group(3) or "")
