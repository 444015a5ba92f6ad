"""selfplay.compile: a worker's network through torch.compile on the CPU gives eager PyTorch's outputs, before and after a weight swap; the flag reaches `zero bench selfplay`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from selfplay.builders import build_adapter, build_evaluator, build_model, numpy_weights
from selfplay.config import load_config
from zero.cli import main

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.toml"


@pytest.mark.slow
def test_a_compiled_network_on_the_cpu_matches_eager_across_batch_sizes_and_a_weight_swap(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))  # really compiled, not read from a cache
    config = load_config(TINY, [])
    adapter = build_adapter(config)
    compiled = build_evaluator(config, adapter=adapter, compile=True)
    eager = build_evaluator(config, adapter=adapter)
    assert compiled.compiled and "torch.compile" in compiled.describe() and not eager.compiled
    assert compiled._forward is not compiled._inference and eager._forward is eager._inference
    rng = np.random.default_rng(0)

    def same_outputs() -> None:
        for rows in (5, 3):  # a second batch size: the compiled graph is shape-generic, not retraced wrongly
            planes = (rng.random((rows, *adapter.plane_shape)) < 0.3).astype(np.float32)
            (p1, v1), (p2, v2) = compiled.evaluate(planes), eager.evaluate(planes)
            np.testing.assert_allclose(p1, p2, atol=1e-5)
            np.testing.assert_allclose(v1, v2, atol=1e-5)

    same_outputs()
    new_weights = build_model(config, adapter, seed=123).state_dict()  # the next model version, swapped in place
    for evaluator in (compiled, eager):
        evaluator.load_state_dict(new_weights, model_version=2)
    same_outputs()
    assert np.allclose(numpy_weights(compiled.state_dict())["stem.0.weight"], new_weights["stem.0.weight"].numpy())


@pytest.mark.parametrize("how", [["--compile"], ["selfplay.compile=true"]])
def test_bench_selfplay_compiles_the_network_when_asked(capsys, monkeypatch, how):
    compiled_modules = []

    def recording_compile(module, **options):  # eager stand-in: the plumbing is under test here, not inductor
        compiled_modules.append((module, options))
        return lambda planes: module(planes)  # a new callable, as torch.compile's OptimizedModule is

    monkeypatch.setattr(torch, "compile", recording_compile)
    argv = ["bench", "selfplay", "--config", str(TINY), "--device", "cpu", "--threads", "1", "--seconds", "0.2"]
    assert main([*argv, "--warmup-steps", "1", "--json", *how]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["compile"] is True and result["warmup_seconds"] > 0
    assert len(compiled_modules) == 1 and compiled_modules[0][1] == {"dynamic": True}


def test_the_selfplay_compile_field_is_off_by_default_and_validated():
    assert load_config(TINY, []).selfplay.compile is False
    assert load_config(TINY, ["selfplay.compile=true"]).selfplay.compile is True
    with pytest.raises(ValueError, match=r"selfplay.compile"):
        load_config(TINY, ["selfplay.compile=sometimes"])


def test_a_compile_that_fails_falls_back_to_eager_once_and_says_so(monkeypatch, capsys):
    def failing_compile(module, **options):
        def call(x):
            raise RuntimeError("InvalidCxxCompiler: No working C++ compiler found\n(the rest of inductor's message)")

        return call

    monkeypatch.setattr(torch, "compile", failing_compile)
    config = load_config(TINY, [])
    adapter = build_adapter(config)
    compiled, eager = build_evaluator(config, adapter=adapter, compile=True), build_evaluator(config, adapter=adapter)
    planes = (np.random.default_rng(1).random((4, *adapter.plane_shape)) < 0.3).astype(np.float32)
    for _ in range(2):  # the second call goes straight to the eager network
        (p1, v1), (p2, v2) = compiled.evaluate(planes), eager.evaluate(planes)
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_array_equal(v1, v2)
    err = capsys.readouterr().err
    assert err.count("torch.compile failed (RuntimeError: InvalidCxxCompiler: No working C++ compiler found)") == 1
    assert not compiled.compiled and "torch.compile" not in compiled.describe()
