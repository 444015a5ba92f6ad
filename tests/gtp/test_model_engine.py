"""`zero gtp --model CKPT`: the engine searches with the network evaluator and scores with its ownership head."""

from __future__ import annotations

import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from zero.nn.checkpoint import save_checkpoint  # noqa: E402
from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet  # noqa: E402

from .analysis_grammar import parse_analysis_line  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    net = PolicyValueNet(
        NetworkConfig(blocks=1, channels=8, global_pooling_channels=4, ownership_head=True), GameShape(17, 9, 82)
    )
    directory = tmp_path_factory.mktemp("ckpt")
    save_checkpoint(directory, net, step=1, model_version=1)
    return directory


def run_gtp(args: list[str], commands: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", *args], input=commands, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_model_engine_plays_analyzes_and_scores(checkpoint):
    stdout = run_gtp(
        ["--model", str(checkpoint), "--visits", "16", "--device", "cpu"],
        "boardsize 9\ngenmove b\nboardsize 13\nkata-analyze w 10 ownership true\n\nfinal_score\nquit\n",
    )
    replies = stdout.split("\n\n")
    assert replies[0] == "="
    assert replies[1].startswith("= ") and len(replies[1].split()) == 2
    assert replies[2] == "="  # the 9x9 network plays 13x13 too (gtp.cross_size)
    lines = replies[3].split("\n")
    cands, own = parse_analysis_line(lines[1], kata=True, size=13)
    assert cands and own is not None and len(own) == 169
    assert replies[4].startswith("= B+") or replies[4].startswith("= W+") or replies[4] == "= 0"


def test_bad_model_path_is_a_one_line_error(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", "--model", str(tmp_path / "nope")],
        input="quit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and out.stderr.startswith("zero: error: --model") and out.stdout == ""
