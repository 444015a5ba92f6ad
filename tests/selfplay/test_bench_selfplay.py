"""`zero bench selfplay --json` on the tiny config: the documented keys, shares that are fractions, and --model (the checkpoint's own network, a one-line error for a bad file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zero.cli import main
from zero.nn.checkpoint import save_checkpoint
from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.toml"
BENCH = ["bench", "selfplay", "--config", str(TINY), "--device", "cpu", "--threads", "1", "--seconds", "0.3"]


def _run_json(capsys, *extra: str) -> dict:
    assert main([*BENCH, "--warmup-steps", "1", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)  # exactly one JSON object on stdout


def test_json_figures_are_consistent(capsys):
    result = _run_json(capsys)
    assert result["positions_per_s"] > 0 and result["evals_per_s"] > 0 and result["raw_evals_per_s"] > 0
    assert result["efficiency"] == pytest.approx(result["evals_per_s"] / result["raw_evals_per_s"])
    assert 0.0 < result["network_share_of_selfplay_time"] <= 1.0
    assert result["minor_page_faults_per_move_step"] >= 0 and result["malloc"].startswith("malloc: ")


def test_model_times_the_checkpoints_own_network(capsys, tmp_path):
    tiny = _run_json(capsys)
    config = NetworkConfig(blocks=2, channels=12, global_pooling_channels=4)  # not the tiny config's network
    weights = save_checkpoint(tmp_path, PolicyValueNet(config, GameShape(17, 5, 26)), step=1, model_version=1)
    result = _run_json(capsys, "--model", str(weights))
    assert result["network"] == "2x12" != tiny["network"]


@pytest.mark.parametrize("content", [b"", b"not a checkpoint", b"\xff" * 64])
def test_a_bad_model_file_is_a_one_line_error(capsys, tmp_path, content):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as exc:
        main([*BENCH, "--model", str(path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("zero: error: --model") and "\n" not in err and "Traceback" not in err


def test_a_model_for_another_board_is_refused(capsys, tmp_path):
    net = PolicyValueNet(NetworkConfig(blocks=1, channels=8, global_pooling_channels=4), GameShape(17, 9, 82))
    weights = save_checkpoint(tmp_path, net, step=1, model_version=1)
    with pytest.raises(SystemExit) as exc:
        main([*BENCH, "--model", str(weights)])
    assert exc.value.code == 2 and "board_size=9" in capsys.readouterr().err


def test_a_shipped_networks_name_is_a_model(capsys):
    assert _run_json(capsys, "--model", "go9", "go.size=9")["network"] == "3x32"  # go9_cpu's tower
