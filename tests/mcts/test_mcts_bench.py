"""Smoke test of `zero bench search`: runs on a tiny board and prints one JSON object with the documented keys."""

import json

import pytest

from zero.cli import main


def test_bench_search_prints_one_json_object(capsys):
    assert (
        main(["bench", "search", "--size", "5", "--batch", "3", "--simulations", "24", "--repeats", "1", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["size"] == 5 and out["batch"] == 3 and out["simulations"] == 24
    assert out["simulations_per_s"] > 0 and out["steps"] >= 3  # 24 simulations at <= 8 leaves per step
    for key in ("python_us_per_step", "select_us_per_sim", "leaf_inputs_us_per_sim", "expand_us_per_sim", "tree_mb"):
        assert key in out


def test_bench_search_rejects_a_bad_size(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "search", "--size", "25", "--json"])
    assert exc.value.code == 2
    assert "--size" in capsys.readouterr().err
