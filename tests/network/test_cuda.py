"""CUDA behaviour of the evaluator and trainer (bf16/fp16 autocast, channels-last, compile, weight swaps); runs only where torch sees a GPU."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from netfixtures import GO9, random_samples, tiny_model

from zero.learn.replay import ReplayBuffer, ReplayConfig
from zero.learn.train import TrainConfig, Trainer
from zero.nn.inference import NetworkEvaluator
from zero.nn.network import NetworkConfig, PolicyValueNet

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (run on the GPU machine)")

CONFIG = NetworkConfig(blocks=4, channels=64)


def _planes(n=32):
    return random_samples(n, GO9, seed=2)[0].astype(np.float32)


@pytest.mark.parametrize("precision", ["auto", "float16", "float32"])
def test_cuda_evaluator_agrees_with_cpu_within_tolerance(precision):
    model = tiny_model(GO9, CONFIG)
    cpu = NetworkEvaluator(tiny_model(GO9, CONFIG), device="cpu")
    gpu = NetworkEvaluator(model, device="cuda", precision=precision)
    (p_cpu, v_cpu), (p_gpu, v_gpu) = cpu.evaluate(_planes()), gpu.evaluate(_planes())
    tol = 1e-4 if precision == "float32" else 3e-2
    assert p_gpu.dtype == np.float32 and v_gpu.dtype == np.float32
    np.testing.assert_allclose(p_gpu, p_cpu, atol=tol)
    np.testing.assert_allclose(v_gpu, v_cpu, atol=tol)
    _, _, own = gpu.evaluate_with_ownership(_planes())
    assert own.shape == (32, 9, 9)


def test_compiled_evaluator_takes_new_weights_in_place():
    gpu = NetworkEvaluator(tiny_model(GO9, CONFIG, seed=0), device="cuda", compile=True)
    before, _ = gpu.evaluate(_planes(8))
    gpu.evaluate(_planes(3))  # another batch size: dynamic shapes must not break
    other = tiny_model(GO9, CONFIG, seed=1)
    gpu.load_state_dict(other.state_dict(), model_version=2)
    after, _ = gpu.evaluate(_planes(8))
    reference, _ = NetworkEvaluator(other, device="cpu").evaluate(_planes(8))
    assert not np.allclose(before, after, atol=1e-3)
    np.testing.assert_allclose(after, reference, atol=3e-2)


@pytest.mark.parametrize("amp", ["auto", "float16", "off"])
def test_cuda_training_steps_with_amp(amp):
    replay = ReplayBuffer(ReplayConfig(window=512, growth=False), in_channels=17, board_size=9, num_actions=82, seed=0)
    replay.add(*random_samples(256, GO9))
    trainer = Trainer(
        PolicyValueNet(CONFIG, GO9), TrainConfig(batch_size=64, amp=amp, device="cuda", log_every=5), replay
    )
    before = {k: v.detach().clone() for k, v in trainer.model.named_parameters()}
    record = trainer.train_steps(10)
    assert record["step"] == 10 and np.isfinite(record["loss"])
    assert all(not torch.equal(v, before[k]) for k, v in trainer.model.named_parameters())
    state = trainer.state_dict()
    assert "cuda_rng" in state


def test_gpu_decoding_matches_cpu_decoding():
    replay = ReplayBuffer(ReplayConfig(window=512, growth=False), in_channels=17, board_size=9, num_actions=82, seed=0)
    replay.add(*random_samples(64, GO9))
    packed = replay.sample_packed(64)
    cpu, gpu = replay.decode(packed, "cpu"), replay.decode(packed.pin_memory(), "cuda")
    for name in ("planes", "policy", "value", "ownership", "has_ownership"):
        assert torch.equal(getattr(gpu, name).cpu(), getattr(cpu, name)), name


def test_auto_on_cuda_times_the_network_and_names_the_ratio():
    from zero.nn import inference

    reduced = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    probe = inference.probe_speeds(tiny_model(GO9, CONFIG), torch.device("cuda"), reduced)
    speedup = probe.best_float32 / probe.reduced_channels_last
    assert np.isfinite(speedup) and speedup > 0
    evaluator = NetworkEvaluator(tiny_model(GO9, CONFIG), device="cuda")
    assert f"{speedup:.2f}x float32" in evaluator.describe() and "(measured)" in evaluator.describe()
    assert (evaluator.autocast_dtype == reduced) == (speedup >= inference.REDUCED_MIN_SPEEDUP)
