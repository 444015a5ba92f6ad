"""Shared helpers for the network, trainer, replay and checkpoint tests: tiny networks and random samples."""

from __future__ import annotations

import numpy as np
import torch

from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet

TINY = NetworkConfig(
    blocks=2,
    channels=16,
    global_pooling_every=2,
    global_pooling_channels=4,
    policy_channels=4,
    value_channels=4,
    value_hidden=16,
)
GO9 = GameShape(in_channels=17, board_size=9, num_actions=82)
GO5 = GameShape(in_channels=17, board_size=5, num_actions=26)


def tiny_model(shape: GameShape = GO5, config: NetworkConfig = TINY, seed: int = 0) -> PolicyValueNet:
    torch.manual_seed(seed)
    return PolicyValueNet(config, shape)


def random_samples(n: int, shape: GameShape = GO5, seed: int = 0, one_hot: bool = False):
    """(planes uint8 [n,C,N,N], policy float32 [n,A], value float32 [n], ownership int8 [n,N,N])."""
    rng = np.random.default_rng(seed)
    s, a = shape.board_size, shape.num_actions
    planes = (rng.random((n, shape.in_channels, s, s)) < 0.3).astype(np.uint8)
    if one_hot:
        policy = np.eye(a, dtype=np.float32)[rng.integers(0, a, n)]
    else:
        policy = rng.dirichlet(np.full(a, 0.5), size=n).astype(np.float32)
    value = rng.choice([-1.0, 1.0], n).astype(np.float32)
    ownership = rng.choice([-1, 1], (n, s, s)).astype(np.int8)
    return planes, policy, value, ownership


# `zero bench network` in about a second: a 1-block, 8-channel net on 5x5, batches of 1 and 4, one call each
TINY_BENCH_NETWORK_ARGV = [
    *("--size", "5", "--device", "cpu", "--batch-sizes", "1,4", "--blocks", "1", "--channels", "8"),
    *("--seconds", "0", "--min-calls", "1"),
]


def run_bench_network(argv: list[str]) -> int:
    """`zero bench network` with ``argv``, in this process (its exit status)."""
    import argparse

    from zero.bench import network as bench

    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return bench.run(parser.parse_args(argv))
