"""`zero bench network --json` on a tiny setting: one JSON object on stdout with the keys BENCHMARKS.md records."""

from __future__ import annotations

import json

import pytest
from netfixtures import TINY_BENCH_NETWORK_ARGV, run_bench_network


def test_json_output_has_the_documented_keys(capsys):
    argv = [
        *TINY_BENCH_NETWORK_ARGV,
        "--train-batch",
        "8",
        "--train-steps",
        "1",
        "--train-rounds",
        "1",
        "--replay-positions",
        "64",
        "--json",
    ]
    assert run_bench_network(argv) == 0
    out = capsys.readouterr().out
    result = json.loads(out)  # exactly one JSON object, nothing else on stdout
    assert set(result["evals_per_s"]) == {"1", "4"} and all(v > 0 for v in result["evals_per_s"].values())
    assert result["train_samples_per_s"] > 0 and result["train_samples_per_s_premade"] > 0
    assert result["train_pipeline_ratio"] == pytest.approx(
        result["train_samples_per_s"] / result["train_samples_per_s_premade"]
    )
    assert result["device"].startswith("cpu") and result["network"]["blocks"] == 1


def test_bad_batch_sizes_are_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as exc:
        run_bench_network(["--batch-sizes", "0,4", "--device", "cpu"])
    assert exc.value.code == 2
    assert "--batch-sizes" in capsys.readouterr().err


def test_a_configured_network_is_timed_with_its_own_input_planes(tmp_path, capsys):
    """--config with liberty planes times the 20-plane network the run trains, not a 17-plane one."""
    flops = {}
    for liberties in (False, True):
        config = tmp_path / f"liberties_{liberties}.toml"
        config.write_text(
            f'[game]\nname = "go"\n[go]\nsize = 5\n[network]\nblocks = 1\nchannels = 8\nglobal_pooling_channels = 4\n'
            f"liberty_input = {str(liberties).lower()}\n"
        )
        timing = "--seconds 0 --min-calls 1 --variants= --train-batch 8 --train-steps 1 --train-rounds 1"
        argv = ["--size", "5", "--device", "cpu", "--batch-sizes", "2", "--config", str(config), *timing.split()]
        assert run_bench_network([*argv, "--replay-positions", "64", "--json"]) == 0
        flops[liberties] = json.loads(capsys.readouterr().out)["flops_per_eval"]
    # the first convolution reads 3 more planes: 2 * 3 planes * 9 taps * 8 channels * 25 points more multiply-adds
    assert flops[True] - flops[False] == 2 * 3 * 9 * 8 * 25


@pytest.mark.parametrize("channels", [6, 4])
def test_channels_flag_times_the_network_a_run_with_that_override_trains(tmp_path, capsys, channels):
    """--config C --channels N times what `zero train --config C network.channels=N` builds, where that is valid;
    a pooled branch as wide as the new tower (invalid on a run) shrinks to a third of it."""
    from selfplay.config import load_config

    config = tmp_path / "net.toml"
    config.write_text(
        '[game]\nname = "go"\n[go]\nsize = 5\n[network]\nblocks = 1\nchannels = 8\nglobal_pooling_channels = 4\n'
    )
    timing = "--seconds 0 --min-calls 1 --variants= --train-batch 8 --train-steps 1 --train-rounds 1"
    argv = ["--size", "5", "--device", "cpu", "--batch-sizes", "2", "--config", str(config), *timing.split()]
    assert run_bench_network([*argv, "--channels", str(channels), "--replay-positions", "64", "--json"]) == 0
    timed = json.loads(capsys.readouterr().out)["network"]
    if channels > 4:
        assert timed == load_config(config, [f"network.channels={channels}"]).network.to_dict()
    else:
        assert (timed["channels"], timed["global_pooling_channels"]) == (4, 1)
