"""A GNU Go GTP process for the tests that check games.go against it (many commands per round trip)."""

from __future__ import annotations

import subprocess
import threading


class GnuGo:
    """A GNU Go GTP process; ``batch`` writes many commands from a thread while reading the replies (no deadlock)."""

    def __init__(self, path: str):
        self.proc = subprocess.Popen(
            [path, "--mode", "gtp", "--chinese-rules", "--level", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def batch(self, commands: list[str]) -> list[str]:
        def write():
            self.proc.stdin.write("".join(c + "\n" for c in commands))
            self.proc.stdin.flush()

        writer = threading.Thread(target=write)
        writer.start()
        replies = []
        for command in commands:
            lines = []
            while True:
                line = self.proc.stdout.readline()
                if line == "":
                    raise RuntimeError(f"gnugo exited while answering {command!r}")
                line = line.rstrip("\n")
                if line == "" and lines:
                    break
                if line:
                    lines.append(line)
            reply = "\n".join(lines)
            assert reply.startswith("="), f"gnugo refused {command!r}: {reply}"
            replies.append(reply[1:].strip())
        writer.join()
        return replies

    def close(self) -> None:
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=10)
