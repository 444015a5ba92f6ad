"""Replay every GTP transcript in tests/gtp/transcripts/ (commands in, exact replies out)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import make_engine

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.gtp"))


def parse_transcript(path: Path) -> list[tuple[str, list[str]]]:
    """[(command line, expected reply lines)]; an empty list means: no reply at all."""
    steps: list[tuple[str, list[str]]] = []
    for raw in path.read_text().splitlines():
        if raw.startswith("> "):
            steps.append((raw[2:], []))
        elif raw.startswith("#") and not steps or not raw.strip():
            continue
        else:
            assert steps, f"{path.name}: expected reply before any command: {raw!r}"
            steps[-1][1].append(raw)
    return steps


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_transcript(path):
    engine = make_engine()
    for command, expected in parse_transcript(path):
        reply = engine.handle_line(command)
        if not expected:
            assert reply is None, f"{command!r} should get no reply, got {reply!r}"
            continue
        assert reply is not None and reply.endswith("\n\n"), (command, reply)
        got = reply[:-2].split("\n")
        assert len(got) == len(expected), (command, got, expected)
        for g, e in zip(got, expected):
            if e.startswith("~ "):
                assert re.fullmatch(e[2:], g), (command, g, e)
            else:
                assert g == e, (command, g, e)


def test_there_are_transcripts():
    assert len(TRANSCRIPTS) >= 2
