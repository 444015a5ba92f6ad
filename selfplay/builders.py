"""Builds the plain objects of a run from a RunConfig (game adapter, network evaluator, worker) and moves weights as numpy; no ray."""

from __future__ import annotations

import numpy as np

from selfplay.adapters import GameAdapter, make_adapter


def build_adapter(config) -> GameAdapter:
    return make_adapter(
        config.game.name,
        config.go,
        komi_plane=config.network.komi_input,
        liberty_planes=config.network.liberty_input,
        ladder_planes=config.network.ladder_input,
        komi_stdev=config.selfplay.komi_stdev if config.network.komi_input else 0.0,
    )


def game_shape(adapter: GameAdapter):
    from zero.nn.network import GameShape

    c, h, w = adapter.plane_shape
    return GameShape(in_channels=c, board_size=h, num_actions=adapter.num_actions)


def build_model(config, adapter: GameAdapter | None = None, seed: int | None = None):
    """A fresh PolicyValueNet for the config's network and game (seeded when ``seed`` is given)."""
    import torch

    from zero.nn.network import PolicyValueNet

    adapter = adapter or build_adapter(config)
    if seed is not None:
        torch.manual_seed(seed)
    return PolicyValueNet(config.network, game_shape(adapter))


def build_evaluator(
    config, device: str = "cpu", adapter: GameAdapter | None = None, seed: int = 0, compile: bool = False
):
    """A NetworkEvaluator with fresh weights (callers load a model version into it), with the run's score utility
    and random symmetry (drawn from ``seed``); ``compile``: through torch.compile (a worker's long-lived network)."""
    from zero.nn.inference import NetworkEvaluator

    evaluator = NetworkEvaluator(build_model(config, adapter, seed=config.run.seed), device=device, compile=compile)
    evaluator.score_utility_weight = config.selfplay.score_utility_weight
    evaluator.score_utility_scale = config.selfplay.score_utility_scale
    evaluator.dynamic_score_utility_weight = config.selfplay.dynamic_score_utility_weight
    evaluator.set_random_symmetry(config.selfplay.random_symmetry, seed)
    return evaluator


def build_worker(config, evaluator, seed: int, adapter: GameAdapter | None = None):
    from selfplay.worker import SelfPlayWorker

    adapter = adapter or build_adapter(config)
    return SelfPlayWorker(adapter, config.search, config.selfplay, evaluator, seed=seed)


def numpy_weights(state_dict) -> dict[str, np.ndarray]:
    """A torch state dict as CPU numpy arrays (what goes into the Ray object store once per version)."""
    return {k: v.detach().to("cpu").numpy().copy() for k, v in state_dict.items()}


def load_numpy_weights(evaluator, weights: dict[str, np.ndarray], version: int) -> None:
    import torch

    evaluator.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()}, model_version=version)
