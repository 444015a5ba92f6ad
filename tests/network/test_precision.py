"""bf16 against float32: the fidelity bar on positions from real self-play, auto's choice and fallback, and checkpoints and training across precisions."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from netfixtures import TINY_BENCH_NETWORK_ARGV, random_samples, run_bench_network, tiny_model

from zero.learn.replay import ReplayBatch
from zero.learn.train import TrainConfig, Trainer
from zero.nn import inference
from zero.nn.checkpoint import load_checkpoint, save_checkpoint
from zero.nn.inference import (
    CPU_MIN_REDUCED_BATCH,
    FIDELITY_EXTENDED_POSITIONS,
    FIDELITY_MAX_MEAN_VALUE_DIFF,
    FIDELITY_MIN_TOP1_AGREEMENT,
    FIDELITY_NARROW_MISS,
    FIDELITY_POSITIONS,
    FIDELITY_ROWS_PER_CALL,
    FIDELITY_TIE,
    NetworkEvaluator,
    measure_fidelity,
    resolve_precision,
    same_move_by_symmetry,
)
from zero.nn.network import NetworkOutput

FIXTURES = Path(__file__).resolve().parent / "fixtures"  # written by fixtures/make_fidelity_fixture.py


def fixture_net():
    return load_checkpoint(FIXTURES / "fidelity_go9").build_model().eval()


def fixture_planes() -> np.ndarray:
    """float32 [L, 17, 9, 9]: positions the trained go9_cpu net evaluated in its own self-play."""
    packed = np.load(FIXTURES / "fidelity_go9_positions.npz")["planes"]
    return np.unpackbits(packed, axis=-1, count=9).astype(np.float32)


def empty_points_and_pass(planes: np.ndarray) -> np.ndarray:
    """bool [L, 82]: the points no stone occupies (planes 0 and 8 hold the current stones), and pass."""
    occupied = (planes[:, 0] + planes[:, 8]).reshape(len(planes), -1) > 0
    return np.concatenate([~occupied, np.ones((len(planes), 1), bool)], axis=1)


def with_cpu_flags(monkeypatch, *flags: str, bf16_speedup: float = 1.5, channels_last_speedup: float = 1.0) -> None:
    """Pretend the CPU has ``flags``, that bf16 runs any network ``bf16_speedup`` times faster than float32, and
    float32 in channels-last ``channels_last_speedup`` times faster than contiguous."""
    monkeypatch.setattr(inference, "cpu_flags", lambda: frozenset(flags))
    with_speeds(monkeypatch, bf16_speedup, channels_last_speedup)


def with_speeds(monkeypatch, reduced_speedup: float, channels_last_speedup: float = 1.0) -> None:
    """Mock the timing probe: the reduced dtype and float32 channels-last each that many times contiguous float32."""

    def probe(model, device, dtype):
        return inference.SpeedProbe(1.0, 1.0 / channels_last_speedup, 1.0 / reduced_speedup if dtype else None)

    monkeypatch.setattr(inference, "probe_speeds", probe)


def test_the_fixture_spans_self_play():
    planes = fixture_planes()
    steps = np.load(FIXTURES / "fidelity_go9_positions.npz")["steps"]
    stones = planes[:, [0, 8]].sum(axis=(1, 2, 3))
    assert len(planes) >= 256 and set(np.unique(planes)) <= {0.0, 1.0}
    assert stones.min() == 0 and stones.max() >= 40 and steps.max() - steps.min() >= 60  # openings to late middle games


@pytest.mark.parametrize("masked", [False, True])
def test_bf16_channels_last_matches_float32_on_self_play_positions(masked):
    planes = fixture_planes()
    legal = empty_points_and_pass(planes) if masked else None
    fidelity = measure_fidelity(fixture_net(), planes, legal, precision="bfloat16", channels_last=True)
    assert fidelity.positions == len(planes)
    assert fidelity.top1_agreement >= FIDELITY_MIN_TOP1_AGREEMENT, fidelity.describe()  # the bar without tie tolerance
    assert fidelity.mean_value_diff <= FIDELITY_MAX_MEAN_VALUE_DIFF, fidelity.describe()
    assert fidelity.passed and fidelity.top1_agreement_within_ties >= fidelity.top1_agreement


def test_inference_under_autocast_carries_the_residual_stream_in_bf16_and_training_in_float32():
    net = fixture_net()
    seen: list[torch.dtype] = []
    net.tower.register_forward_pre_hook(lambda module, args: seen.append(args[0].dtype))
    planes = torch.from_numpy(fixture_planes()[:8])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        with torch.inference_mode():
            out = net.eval()(planes)
        net.train()(planes)
    assert seen == [torch.bfloat16, torch.float32]  # eval: no per-block casts; training: its float32 stream
    assert out.policy_logits.dtype == out.value.dtype == torch.float32  # the heads run in float32 either way


class _AddConstant(torch.nn.Module):
    def __init__(self, offset: float) -> None:
        super().__init__()
        self.offset = offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.offset


def failing_net(offset: float = 256.0):
    """The fixture net with an extra layer after its tower: add ``offset``, then a 1x1 convolution that is the
    identity minus ``offset``. The same function in float32, but autocast feeds that convolution bf16 (8
    significant bits), which rounds the features to ~offset/128 and loses the detail the heads read."""
    net = fixture_net()
    channels = net.config.channels
    conv = torch.nn.Conv2d(channels, channels, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.eye(channels)[:, :, None, None])
        conv.bias.fill_(-offset)
    net.tower.append(torch.nn.Sequential(_AddConstant(offset), conv))
    return net.eval()


def test_the_failing_net_is_the_same_function_in_float32():
    planes = torch.from_numpy(fixture_planes()[:64])
    with torch.inference_mode():
        a, b = fixture_net()(planes), failing_net()(planes)
    torch.testing.assert_close(a.policy_logits, b.policy_logits, atol=1e-3, rtol=1e-3)
    torch.testing.assert_close(a.value, b.value, atol=1e-4, rtol=1e-4)


def test_the_fidelity_check_fails_a_net_whose_features_bf16_cannot_resolve():
    fidelity = measure_fidelity(failing_net(), fixture_planes())
    assert not fidelity.passed and fidelity.top1_agreement_within_ties < FIDELITY_MIN_TOP1_AGREEMENT


def test_auto_picks_float32_on_a_cpu_without_native_bf16_and_says_so(monkeypatch):
    with_cpu_flags(monkeypatch, "sse2", "avx2", "avx512f")
    choice = resolve_precision(torch.device("cpu"), "auto")
    assert (choice.autocast_dtype, choice.precision, choice.memory_format) == (None, "float32", "contiguous")
    assert "none of amx_bf16, avx512_bf16" in choice.describe()
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    evaluator.evaluate(fixture_planes()[:64])
    assert (
        evaluator.precision == "float32" and "precision float32" in evaluator.describe() and evaluator.fidelity is None
    )


@pytest.mark.parametrize("flag", ["amx_bf16", "avx512_bf16"])
def test_auto_picks_bf16_channels_last_where_the_cpu_has_it(monkeypatch, flag):
    with_cpu_flags(monkeypatch, "avx512f", flag)
    choice = resolve_precision(torch.device("cpu"), "auto")
    assert (choice.autocast_dtype, choice.memory_format) == (torch.bfloat16, "channels_last") and flag in choice.reason


def test_auto_keeps_float32_where_bf16_measures_slower_despite_the_flag_and_says_so(monkeypatch):
    with_cpu_flags(monkeypatch, "avx512f", "avx512_bf16", bf16_speedup=0.73)
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    evaluator.evaluate(fixture_planes()[:64])
    assert (evaluator.precision, evaluator.memory_format, evaluator.fidelity) == ("float32", "contiguous", None)
    assert "avx512_bf16, but bfloat16 ran this network at 0.73x" in evaluator.describe()
    trainer = Trainer(tiny_model(), dataclasses.replace(TrainConfig(), device="cpu", prefetch=False))
    assert trainer.autocast_dtype is None and "0.73x" in trainer.describe()
    with_cpu_flags(monkeypatch, "avx512f", "avx512_bf16", bf16_speedup=1.31)
    choice = resolve_precision(torch.device("cpu"), "auto", model=fixture_net())
    assert choice.autocast_dtype == torch.bfloat16 and "1.31x" in choice.reason
    # an explicit precision is never second-guessed by a timing
    assert resolve_precision(torch.device("cpu"), "bfloat16", model=fixture_net()).autocast_dtype == torch.bfloat16


def test_auto_on_cuda_keeps_float32_where_autocast_measures_slower(monkeypatch):
    # the decision alone (the probe is mocked): the small nets an H200 ran slower in bf16 autocast than in TF32
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    timings = {}

    def probe(model, device, dtype):
        timings[device.type] = dtype
        return inference.SpeedProbe(1.0, 1.0, 1.0 / 0.78)

    monkeypatch.setattr(inference, "probe_speeds", probe)
    choice = resolve_precision(torch.device("cuda"), "auto", model=fixture_net())
    assert timings == {"cuda": torch.bfloat16}
    assert (choice.autocast_dtype, choice.channels_last) == (None, False)
    assert choice.reason == (
        "auto: CUDA, but bfloat16 ran this network at 0.78x float32's speed (measured); "
        "float32 channels_last ran 1.00x contiguous (measured)"
    )
    with_speeds(monkeypatch, 1.4)
    assert resolve_precision(torch.device("cuda"), "auto", model=fixture_net()).autocast_dtype == torch.bfloat16
    assert resolve_precision(torch.device("cuda"), "auto").autocast_dtype == torch.bfloat16  # no model: no probe


def test_auto_runs_float32_in_channels_last_where_that_measures_faster(monkeypatch):
    with_cpu_flags(monkeypatch, "avx2", channels_last_speedup=1.1)
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    assert (evaluator.precision, evaluator.memory_format) == ("float32", "channels_last")
    assert "float32 channels_last ran 1.10x contiguous (measured)" in evaluator.describe()
    reference = NetworkEvaluator(fixture_net(), device="cpu", precision="float32")
    planes = fixture_planes()[:32]
    np.testing.assert_allclose(evaluator.evaluate(planes)[0], reference.evaluate(planes)[0], atol=1e-5)
    # bf16 is measured against the faster float32 layout, not the slower one
    with_cpu_flags(monkeypatch, "avx512_bf16", bf16_speedup=1.1, channels_last_speedup=1.1)
    choice = resolve_precision(torch.device("cpu"), "auto", model=fixture_net())
    assert choice.autocast_dtype is None and "1.00x float32 channels_last's speed" in choice.reason
    # an explicit memory format is kept
    assert not resolve_precision(torch.device("cpu"), "auto", channels_last=False, model=fixture_net()).channels_last


def test_the_timing_probe_measures_once_per_architecture_and_thread_count():
    inference._speed_probes.clear()
    net = fixture_net()
    probe = inference.probe_speeds(net, dtype=torch.bfloat16)
    times = (probe.float32, probe.float32_channels_last, probe.reduced_channels_last)
    assert all(np.isfinite(t) and 0 < t < 60 for t in times)  # real timings, whatever this CPU is
    assert len(inference._speed_probes) == 1
    assert inference.probe_speeds(fixture_net(), dtype=torch.bfloat16) == probe  # same architecture: cached
    assert inference.probe_speeds(tiny_model()).reduced_channels_last is None  # no dtype: float32 layouts only
    assert len(inference._speed_probes) == 2
    assert net.stem[0].weight.is_contiguous()  # the probe times copies: the caller's model keeps its memory format


def test_auto_trusts_bf16_after_a_version_passes_and_checks_again_on_new_weights(monkeypatch, capsys):
    with_cpu_flags(monkeypatch, "avx512_bf16")
    planes = fixture_planes()
    net = fixture_net()
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    reference = NetworkEvaluator(fixture_net(), device="cpu", precision="float32")
    calls = FIDELITY_POSITIONS // FIDELITY_ROWS_PER_CALL
    for i in range(calls):  # each call contributes its first rows: the sample spans the fixture's self-play steps
        assert evaluator.precision == "float32"  # not checked yet: float32 answers
        batch = planes[i * len(planes) // calls :][:64]
        priors, values = evaluator.evaluate(batch)
        expected_priors, expected_values = reference.evaluate(batch)
        np.testing.assert_allclose(priors, expected_priors, atol=1e-5)
        np.testing.assert_allclose(values, expected_values, atol=1e-5)
    assert evaluator.fidelity is not None and evaluator.fidelity.passed and evaluator.precision == "bfloat16"
    # trusted: batches from CPU_MIN_REDUCED_BATCH up run in bf16, smaller ones in float32 (casts cost more there)
    small, large = planes[: CPU_MIN_REDUCED_BATCH - 1], planes[:CPU_MIN_REDUCED_BATCH]
    np.testing.assert_allclose(evaluator.evaluate(small)[0], reference.evaluate(small)[0], atol=1e-6)
    assert np.abs(evaluator.evaluate(large)[0] - reference.evaluate(large)[0]).max() > 1e-5
    evaluator.load_state_dict(net.state_dict(), model_version=3)
    assert evaluator.fidelity is None and evaluator.precision == "float32"
    assert capsys.readouterr().err == ""


def test_the_fidelity_check_counts_a_position_repeated_across_games_once(monkeypatch):
    # Self-play's openings put one position in many games of a batch: counted per row, a single near-tie outvoted
    # the rest of the sample and failed every version of a net that passes on distinct positions.
    with_cpu_flags(monkeypatch, "avx512_bf16")
    planes = fixture_planes()
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    evaluator.evaluate(np.repeat(planes[:1], 64, axis=0))  # one position in 64 games: one position for the check
    distinct = planes[1:]
    calls = -(-(FIDELITY_POSITIONS - 1) // FIDELITY_ROWS_PER_CALL)
    for i in range(calls):
        assert evaluator.fidelity is None and evaluator.precision == "float32"
        evaluator.evaluate(distinct[i * FIDELITY_ROWS_PER_CALL :][:FIDELITY_ROWS_PER_CALL])
    assert evaluator.fidelity is not None and evaluator.fidelity.passed
    assert evaluator.fidelity.positions == 1 + calls * FIDELITY_ROWS_PER_CALL


def scripted_comparison(misses: set[int], value_diff: float = 0.0):
    """A stand-in for inference._compare: the k-th position the check compares (counted from 0) disagrees beyond
    the tie tolerance when k is in ``misses``; every value differs by ``value_diff``."""
    seen = 0

    def compare(reference, reduced, legal, planes):
        nonlocal seen
        missed = sum(k in misses for k in range(seen, seen + len(planes)))
        seen += len(planes)
        return len(planes) - missed, len(planes) - missed, value_diff * len(planes)

    return compare


@pytest.mark.parametrize(
    "misses, value_diff, decided_at, passed",
    [
        ({5, 70}, 0.0, FIDELITY_EXTENDED_POSITIONS, True),  # 2 of 128: a narrow miss, then none: 99.6% of 512
        ({5, 70, 200, 300, 400, 500}, 0.0, FIDELITY_EXTENDED_POSITIONS, False),  # 6 of 512: 98.8%
        ({5, 40, 70, 100}, 0.0, FIDELITY_POSITIONS, False),  # 4 of 128 (96.9%): no narrow miss, failed at once
        (set(), 2 * FIDELITY_MAX_MEAN_VALUE_DIFF, FIDELITY_POSITIONS, False),  # the values fail: no second look
        ({5}, 0.0, FIDELITY_POSITIONS, True),  # 1 of 128 meets the bar: no second look either
    ],
)
def test_a_narrow_miss_on_the_first_positions_is_decided_on_more(
    monkeypatch, capsys, misses, value_diff, decided_at, passed
):
    with_cpu_flags(monkeypatch, "avx512_bf16")
    monkeypatch.setattr(inference, "_compare", scripted_comparison(misses, value_diff))
    assert (
        FIDELITY_POSITIONS * (1 - FIDELITY_MIN_TOP1_AGREEMENT)
        < 2
        <= 3
        <= FIDELITY_POSITIONS * (1 - FIDELITY_NARROW_MISS)
    )
    planes = fixture_planes()
    assert len(planes) >= FIDELITY_EXTENDED_POSITIONS
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    evaluator.model_version = 4
    for start in range(0, decided_at, FIDELITY_ROWS_PER_CALL):
        assert evaluator.fidelity is None and evaluator.precision == "float32"
        evaluator.evaluate(planes[start : start + FIDELITY_ROWS_PER_CALL])
    fidelity = evaluator.fidelity
    assert fidelity is not None and fidelity.positions == decided_at and fidelity.passed == passed
    assert evaluator.precision == ("bfloat16" if passed else "float32")
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [] if passed else len(err) == 1 and f"on {decided_at} positions" in err[0]
    evaluator.load_state_dict(evaluator.state_dict(), model_version=5)  # a new version: the first sample again
    for start in range(0, FIDELITY_POSITIONS, FIDELITY_ROWS_PER_CALL):
        assert evaluator.fidelity is None
        evaluator.evaluate(planes[start : start + FIDELITY_ROWS_PER_CALL])
    assert evaluator.fidelity is not None and evaluator.fidelity.positions == FIDELITY_POSITIONS


def test_the_fidelity_check_samples_every_part_of_the_batch_and_moves_on_with_each_call(monkeypatch):
    with_cpu_flags(monkeypatch, "avx512_bf16")
    planes = fixture_planes()
    half = 8 * FIDELITY_ROWS_PER_CALL
    # the same batch again and again: its first half one position, its second half distinct positions
    batch = np.concatenate([np.repeat(planes[:1], half, axis=0), planes[1 : 1 + half]])
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    per_call = FIDELITY_ROWS_PER_CALL // 2  # of the distinct half, each call a new one (the offset moves on)
    calls = -(-(FIDELITY_POSITIONS - 1) // per_call)
    for _ in range(calls):
        assert evaluator.fidelity is None
        evaluator.evaluate(batch)
    assert evaluator.fidelity is not None and evaluator.fidelity.positions == 1 + calls * per_call


def board_with_stones(*points: int, planes: int = 17) -> np.ndarray:
    """float32[planes, 9, 9]: Black's stones at ``points`` in plane 0, every other plane empty."""
    board = np.zeros((planes, 81), np.float32)
    board[0, list(points)] = 1.0
    return board.reshape(planes, 9, 9)


def test_moves_that_a_symmetry_of_the_position_exchanges_are_the_same_move():
    # 22 = C5... in flat coordinates: (2, 4); 38 = (4, 2), 58 = (6, 4), 23 = (2, 5); 40 the centre, 41 = (4, 5)
    assert same_move_by_symmetry(board_with_stones(), 22, 38)  # the empty board
    assert same_move_by_symmetry(board_with_stones(40), 22, 38) and same_move_by_symmetry(board_with_stones(40), 58, 22)
    assert not same_move_by_symmetry(board_with_stones(40), 22, 23)  # no symmetry maps one to the other
    assert not same_move_by_symmetry(board_with_stones(41), 22, 38)  # the stone breaks the diagonal symmetry ...
    assert same_move_by_symmetry(board_with_stones(41), 22, 58)  # ... not the mirror through row 4
    broken = board_with_stones(40)
    broken[5, 2, 4] = 1.0  # another plane (history, liberties) that only one of the two points has
    assert not same_move_by_symmetry(broken, 22, 38)
    assert not same_move_by_symmetry(board_with_stones(), 22, 81) and same_move_by_symmetry(board_with_stones(), 81, 81)


class _PrecisionDependentNet(torch.nn.Module):
    """Prefers point 22 in float32 and point 38 under bf16 autocast, by far (no near-tie): a fake network."""

    def forward(self, planes: torch.Tensor) -> NetworkOutput:
        logits = torch.zeros(len(planes), 82)
        logits[:, 38 if torch.is_autocast_enabled("cpu") else 22] = 3.0
        return NetworkOutput(logits, torch.zeros(len(planes)), None, None, None)


def test_the_fidelity_check_counts_a_symmetric_positions_images_of_one_move_as_agreement():
    symmetric = np.stack([board_with_stones(), board_with_stones(40), board_with_stones(30, 50)])
    fidelity = measure_fidelity(_PrecisionDependentNet(), symmetric)
    assert fidelity.top1_agreement == 0.0 and fidelity.top1_agreement_within_ties == 1.0 and fidelity.passed
    fidelity = measure_fidelity(_PrecisionDependentNet(), np.stack([board_with_stones(41), board_with_stones(40, 1)]))
    assert fidelity.top1_agreement_within_ties == 0.0 and not fidelity.passed


def test_zero_gtp_says_its_precision_waits_for_the_fidelity_check(monkeypatch):
    from types import SimpleNamespace

    from zero.commands.gtp import describe_engine
    from zero.gtp.networks import LoadedNetwork

    with_cpu_flags(monkeypatch, "avx512_bf16")
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    loaded = LoadedNetwork(evaluator, "fixture")
    threads = SimpleNamespace(describe=lambda: "threads 1")
    config = SimpleNamespace(gtp=SimpleNamespace(visits=8), search=SimpleNamespace(leaves_per_step=8))
    line = describe_engine(loaded, threads, config)
    assert "precision float32 until the network passes the bfloat16 fidelity check, memory format" in line
    planes = fixture_planes()
    for start in range(0, len(planes), 32):
        evaluator.evaluate(planes[start : start + 32])
    assert evaluator.fidelity.passed and "precision bfloat16, memory format" in describe_engine(loaded, threads, config)
    plain = NetworkEvaluator(fixture_net(), device="cpu", precision="float32")
    assert "precision float32, memory format" in describe_engine(LoadedNetwork(plain, "fixture"), threads, config)


def test_zero_gtps_warm_up_is_no_position_of_the_fidelity_check(monkeypatch):
    from zero.commands.gtp import warm_up

    with_cpu_flags(monkeypatch, "avx512_bf16")
    evaluator = NetworkEvaluator(fixture_net(), device="cpu")
    warm_up(evaluator, leaves_per_step=8)  # all-zero planes, at batch 1 and 8
    planes = fixture_planes()[: FIDELITY_POSITIONS - 1]
    for start in range(0, len(planes), FIDELITY_ROWS_PER_CALL):
        evaluator.evaluate(planes[start : start + FIDELITY_ROWS_PER_CALL])
    assert evaluator.fidelity is None  # one real position short of the sample
    evaluator.evaluate(fixture_planes()[FIDELITY_POSITIONS - 1 : FIDELITY_POSITIONS])
    assert evaluator.fidelity is not None and evaluator.fidelity.positions == FIDELITY_POSITIONS


def test_auto_falls_back_to_float32_for_a_net_that_fails_and_says_so(monkeypatch, capsys):
    with_cpu_flags(monkeypatch, "avx512_bf16")
    net = failing_net()
    evaluator = NetworkEvaluator(net, device="cpu")
    evaluator.model_version = 7
    planes = fixture_planes()
    for start in range(0, len(planes), 32):  # self-play sized batches: the verdict comes once enough were seen
        evaluator.evaluate(planes[start : start + 32])
    assert evaluator.fidelity is not None and not evaluator.fidelity.passed
    assert evaluator.precision == "float32"
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1 and "model version 7 fails the bfloat16 fidelity check" in err[0] and "runs in float32" in err[0]
    )
    reference = NetworkEvaluator(net, device="cpu", precision="float32")
    np.testing.assert_allclose(evaluator.evaluate(planes[:64])[0], reference.evaluate(planes[:64])[0], atol=1e-5)


def test_a_checkpoint_from_a_bf16_training_run_loads_in_float32_with_the_same_moves(tmp_path, monkeypatch):
    with_cpu_flags(monkeypatch, "avx512_bf16")
    planes = fixture_planes()
    trainer = Trainer(
        fixture_net().train(),
        TrainConfig(batch_size=64, lr=0.001, device="cpu", amp="auto", prefetch=False, log_every=10**9),
    )
    assert trainer.autocast_dtype == torch.bfloat16 and trainer.precision.channels_last
    rng = np.random.default_rng(0)
    for _ in range(3):
        pick = rng.choice(len(planes), 64, replace=False)
        with torch.no_grad():
            target = torch.softmax(fixture_net()(torch.from_numpy(planes[pick])).policy_logits, dim=1)
        trainer.train_on_batch(
            ReplayBatch(
                torch.from_numpy(planes[pick]),
                target,
                torch.zeros(64),
                torch.zeros(64, 9, 9),
                torch.zeros(64, dtype=torch.bool),
            )
        )
    path = save_checkpoint(tmp_path, trainer.model, step=3, model_version=1)
    loaded = NetworkEvaluator.from_checkpoint(str(path), device="cpu", precision="float32")
    assert loaded.precision == "float32" and loaded.memory_format == "contiguous"
    trained = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    assert all(v.dtype != torch.bfloat16 for v in load_checkpoint(path).state_dict.values())
    for key, value in load_checkpoint(path).state_dict.items():
        torch.testing.assert_close(value, trained[key], rtol=0, atol=0)
    bf16 = NetworkEvaluator(load_checkpoint(path).build_model(), device="cpu", precision="bfloat16", channels_last=True)
    legal = empty_points_and_pass(planes)
    p32, v32 = loaded.evaluate(planes, legal)
    p16, v16 = bf16.evaluate(planes, legal)
    assert np.mean(p32.argmax(1) == p16.argmax(1)) >= FIDELITY_MIN_TOP1_AGREEMENT
    assert np.mean(np.abs(v32 - v16)) <= FIDELITY_MAX_MEAN_VALUE_DIFF


def test_bf16_training_follows_the_float32_loss_curve():
    """Same initial weights, same fixed batches, 80 steps: bf16 autocast's loss tracks float32's (measured: within 9%) and falls as far."""
    planes, policy, value, ownership = random_samples(256, one_hot=True, seed=3)
    losses = {}
    for amp in ("off", "bfloat16"):
        trainer = Trainer(
            tiny_model(seed=1),
            TrainConfig(batch_size=64, lr=0.01, device="cpu", amp=amp, prefetch=False, log_every=10),
            seed=0,
        )
        curve = []
        for step in range(80):
            rows = slice(64 * (step % 4), 64 * (step % 4 + 1))
            batch = ReplayBatch(
                torch.from_numpy(planes[rows]),
                torch.from_numpy(policy[rows]),
                torch.from_numpy(value[rows]),
                torch.from_numpy(ownership[rows]).float(),
                torch.ones(64, dtype=torch.bool),
            )
            record = trainer.train_on_batch(batch)
            if record:
                curve.append(record["loss"])
        losses[amp] = np.array(curve)
    f32, bf16 = losses["off"], losses["bfloat16"]
    assert (
        len(f32) == 8 and f32[-1] < 0.2 * f32[0] and bf16[-1] < 0.2 * bf16[0]
    )  # both learn (memorise the fixed batches)
    assert np.max(np.abs(bf16 - f32) / f32) < 0.15, (f32, bf16)


BENCH_NETWORK_ARGV = [*TINY_BENCH_NETWORK_ARGV, "--no-train", "--rounds", "1", "--matmul-size", "64"]


def bench_network_json(argv: list[str], capsys) -> dict:
    assert run_bench_network(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_bench_network_reports_precision_memory_format_and_roofline(monkeypatch, capsys):
    with_cpu_flags(monkeypatch)
    result = bench_network_json(BENCH_NETWORK_ARGV + ["--variants", "float32,bfloat16+cl", "--json"], capsys)
    assert (result["precision"], result["memory_format"], result["cpu_bf16"]) == ("float32", "contiguous", None)
    assert set(result["variants"]) == {"float32", "bfloat16+cl"} and set(result["variants"]["float32"]) == {"1", "4"}
    assert set(result["peak_gflops"]) == {"float32", "bfloat16"} and all(v > 0 for v in result["peak_gflops"].values())
    flops = result["flops_per_eval"]
    assert flops > 2 * 9 * 17 * 8 * 25  # at least the stem's 3x3 conv
    for name, rates in result["variants"].items():
        peak = result["peak_gflops"][name.split("+")[0]]
        for b, rate in rates.items():
            assert result["roofline"][name][b] == pytest.approx(rate * flops / 1e9 / peak)


def test_training_config_names_bf16_for_auto_on_a_native_bf16_cpu(monkeypatch):
    with_cpu_flags(monkeypatch, "amx_bf16")
    trainer = Trainer(tiny_model(), dataclasses.replace(TrainConfig(), device="cpu", prefetch=False))
    assert trainer.autocast_dtype == torch.bfloat16 and "amx_bf16" in trainer.describe()
    with_cpu_flags(monkeypatch)
    assert Trainer(tiny_model(), TrainConfig(device="cpu", prefetch=False)).autocast_dtype is None


def test_bench_network_times_the_memory_format_auto_chose(monkeypatch, capsys):
    # auto times float32 faster in channels-last: the headline figures must be of that layout, not contiguous
    with_cpu_flags(monkeypatch, "avx2", channels_last_speedup=1.1)
    result = bench_network_json(BENCH_NETWORK_ARGV + ["--json"], capsys)
    assert (result["precision"], result["memory_format"], result["autocast"]) == ("float32", "channels_last", "off")


def test_a_float32_near_tie_within_the_window_counts_as_agreement_and_a_wider_gap_does_not():
    """Move 1 is bf16's top move in both positions; by float32's priors it is half the window from move 0 in the
    first, twice the window in the second (points 0 and 1, a corner and an edge, are no symmetric pair)."""
    planes = np.zeros((2, 17, 5, 5), np.float32)
    reference = torch.full((2, 26), -10.0)
    reference[:, 0] = 0.0
    reference[0, 1] = float(np.log(1 - FIDELITY_TIE / 2))
    reference[1, 1] = float(np.log(1 - 2 * FIDELITY_TIE))
    reduced = reference.clone()
    reduced[:, 1] = 1.0
    value = torch.zeros(2)
    agree, within_ties, _ = inference._compare(
        NetworkOutput(reference, value, None, None), NetworkOutput(reduced, value, None, None), None, planes
    )
    assert (agree, within_ties) == (0, 1)


def test_the_shipped_13x13_network_passes_on_its_own_self_play_openings():
    """Every version of every 13x13 run failed the check when the near-tie window was 1% (BENCHMARKS.md, session
    33): their self-play ran float32 at two thirds of bf16's speed."""
    from games.go import GoRules
    from mcts import SearchParams
    from selfplay.adapters import make_adapter
    from selfplay.params import SelfPlayParams
    from selfplay.worker import SelfPlayWorker
    from zero.nn.shipped import shipped_path

    net = load_checkpoint(shipped_path("go13")).build_model().eval()
    worker = SelfPlayWorker(
        make_adapter("go", GoRules(size=13, komi=7.5, max_moves=40), liberty_planes=True),
        SearchParams(simulations=8, leaves_per_step=4),
        SelfPlayParams(games_in_parallel=16, resign_threshold=-1.0),
        NetworkEvaluator(load_checkpoint(shipped_path("go13")).build_model(), device="cpu", precision="float32"),
        seed=11,
    )
    planes = np.concatenate([r.planes for r in worker.play(16)[:16]]).astype(np.float32)
    distinct = np.unique(planes.reshape(len(planes), -1), axis=0).reshape(-1, *planes.shape[1:])
    assert len(distinct) >= 400
    fidelity = measure_fidelity(net, distinct, empty_points_and_pass(distinct))
    assert fidelity.passed, fidelity.describe()
