"""The network's shapes for Go and tic-tac-toe, its config checks, and the evaluator the search calls."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from netfixtures import GO5, TINY, tiny_model

from games.go import new_game
from zero.nn.inference import NetworkEvaluator, resolve_device
from zero.nn.network import (
    GameShape,
    GlobalPoolingBlock,
    NetworkConfig,
    PolicyValueNet,
    board_max,
    fold_batch_norm,
    grow_tower,
)


def test_go_heads_have_a_point_per_intersection_plus_pass():
    model = tiny_model(GameShape(17, 9, 82)).eval()
    with torch.no_grad():
        out = model(torch.from_numpy(new_game(9).planes()[None]))
    assert out.policy_logits.shape == (1, 82)
    assert out.value.shape == (1,) and -1 <= float(out.value) <= 1
    assert out.ownership.shape == (1, 9, 9)


def test_tictactoe_network_has_no_pass_logit():
    model = tiny_model(GameShape(3, 3, 9)).eval()
    assert model.policy_pass is None
    out = model(torch.zeros(2, 3, 3, 3))
    assert out.policy_logits.shape == (2, 9)


def test_same_config_serves_every_board_size():
    for n in (5, 9, 19):
        model = tiny_model(GameShape(17, n, n * n + 1)).eval()
        assert model(torch.zeros(1, 17, n, n)).policy_logits.shape == (1, n * n + 1)


def test_global_pooling_blocks_are_placed_every_k_blocks():
    model = PolicyValueNet(NetworkConfig(blocks=6, channels=16, global_pooling_every=3, global_pooling_channels=4), GO5)
    kinds = [isinstance(b, GlobalPoolingBlock) for b in model.tower]
    assert kinds == [False, False, True, False, False, True]
    plain = PolicyValueNet(NetworkConfig(blocks=3, channels=16, global_pooling_every=0), GO5)
    assert not any(isinstance(b, GlobalPoolingBlock) for b in plain.tower)


def test_global_pooling_lets_a_far_stone_change_a_corner_logit():
    """With pooling, a stone in one corner changes the policy in the opposite corner even with a 1-block tower (3x3 convs alone could not reach)."""
    torch.manual_seed(1)
    model = PolicyValueNet(
        NetworkConfig(blocks=1, channels=8, global_pooling_every=1, global_pooling_channels=4), GameShape(17, 19, 362)
    ).eval()
    empty = torch.zeros(1, 17, 19, 19)
    stone = empty.clone()
    stone[0, 0, 18, 18] = 1  # T1 (bottom right)
    a1_far = 0  # A19: y=0, x=0
    assert model(empty).policy_logits[0, a1_far] != model(stone).policy_logits[0, a1_far]


@pytest.mark.parametrize("channels", [1, 8, 16, 31, 32, 48])
@pytest.mark.parametrize("size", [5, 9, 19])
def test_board_max_is_the_max_over_the_board_in_either_memory_format(channels, size):
    """board_max takes max_pool2d for narrow channels-last tensors and amax otherwise: the same values and gradients."""
    torch.manual_seed(channels * size)
    x = torch.randn(3, channels, size, size) - 2.0  # mostly negative: a max that padding or a zero start would spoil
    x[0, :, size - 1, size - 1] = 5.0  # the max in the last corner: a window that misses a row or column fails
    expected = x.amax(dim=(2, 3))
    for layout in (torch.contiguous_format, torch.channels_last):
        y = x.clone().contiguous(memory_format=layout).requires_grad_()
        got = board_max(y)
        assert got.shape == (3, channels) and torch.equal(got, expected)
        got.sum().backward()
        assert torch.equal(y.grad[0, :, size - 1, size - 1], torch.ones(channels))  # the gradient reaches the max


def test_ownership_head_can_be_switched_off():
    model = PolicyValueNet(
        NetworkConfig(blocks=1, channels=8, global_pooling_every=0, ownership_head=False), GO5
    ).eval()
    out = model(torch.zeros(1, 17, 5, 5))
    assert out.ownership is None and out.ownership_logits is None


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"blocks": 0}, "blocks"),
        ({"channels": 0}, "channels"),
        ({"global_pooling_every": -1}, "global_pooling_every"),
        ({"channels": 8, "global_pooling_channels": 8}, "global_pooling_channels"),
    ],
)
def test_config_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        NetworkConfig(**kwargs).validate()


def test_game_shape_rejects_an_action_count_that_is_neither_points_nor_points_plus_pass():
    with pytest.raises(ValueError, match="^num_actions"):
        GameShape(17, 9, 80).validate()


def test_config_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="^colour"):
        NetworkConfig.from_dict({"blocks": 2, "colour": "red"})
    assert NetworkConfig.from_dict(TINY.to_dict()) == TINY


# ---- evaluator -------------------------------------------------------------------


def _positions(n: int) -> np.ndarray:
    """Planes of ``n`` different real 5x5 positions (a few moves each)."""
    out = []
    for i in range(n):
        game = new_game(5)
        for move in ("C3", "B2", "D4", "B4", "A1", "E5")[: i % 6 + 1]:
            game.play(move)
        out.append(game.planes())
    return np.stack(out)


def test_evaluator_matches_the_model_and_returns_float32_probabilities():
    model = tiny_model()
    evaluator = NetworkEvaluator(model, device="cpu")
    planes = _positions(6)
    priors, values = evaluator.evaluate(planes)
    assert priors.dtype == np.float32 and values.dtype == np.float32
    assert priors.shape == (6, 26) and values.shape == (6,)
    np.testing.assert_allclose(priors.sum(axis=1), 1.0, rtol=1e-5)
    with torch.no_grad():
        out = model.eval()(torch.from_numpy(planes))
    np.testing.assert_allclose(priors, torch.softmax(out.policy_logits, 1).numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(values, out.value.numpy(), rtol=1e-5, atol=1e-6)


def test_evaluator_masks_illegal_moves_when_given_a_legal_mask():
    game = new_game(5)
    for move in ("C3", "B2", "D4"):
        game.play(move)
    legal = game.legal_mask()[None]
    evaluator = NetworkEvaluator(tiny_model(), device="cpu")
    priors, _ = evaluator.evaluate(game.planes()[None], legal)
    occupied = [5 * 2 + 2, 5 * 3 + 1, 5 * 1 + 3]  # C3, B2, D4 as y*5 + x
    assert (priors[0, occupied] == 0).all()
    assert priors[0, 25] > 0  # pass is always legal
    np.testing.assert_allclose(priors.sum(), 1.0, rtol=1e-5)


def test_evaluator_ownership_is_from_the_player_to_move_and_bounded():
    evaluator = NetworkEvaluator(tiny_model(), device="cpu")
    priors, values, ownership = evaluator.evaluate_with_ownership(_positions(3))
    assert ownership.shape == (3, 5, 5) and np.abs(ownership).max() <= 1
    no_head = NetworkEvaluator(
        PolicyValueNet(NetworkConfig(blocks=1, channels=8, global_pooling_every=0, ownership_head=False), GO5)
    )
    with pytest.raises(ValueError, match="no ownership head"):
        no_head.evaluate_with_ownership(_positions(1))


def test_swapping_weights_in_place_gives_the_new_models_outputs():
    evaluator = NetworkEvaluator(tiny_model(seed=0), device="cpu")
    other = tiny_model(seed=1)
    planes = _positions(4)
    before, _ = evaluator.evaluate(planes)
    evaluator.load_state_dict(other.state_dict(), model_version=7)
    after, values = evaluator.evaluate(planes)
    reference, ref_values = NetworkEvaluator(other, device="cpu").evaluate(planes)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, reference, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(values, ref_values, rtol=1e-6, atol=1e-7)
    assert evaluator.model_version == 7


def trained_looking(seed: int) -> PolicyValueNet:
    """A tiny net whose batch norms hold the non-trivial statistics and affine weights training leaves behind."""
    model = tiny_model(seed=seed)
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.5, generator=generator)
            module.running_var.uniform_(0.3, 3.0, generator=generator)
            module.weight.data.normal_(1, 0.3, generator=generator)
            module.bias.data.normal_(0, 0.3, generator=generator)
    return model.eval()


def test_folded_batch_norm_gives_the_models_outputs_and_swaps_keep_the_trained_weights():
    model = trained_looking(0)
    folded = fold_batch_norm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    x = torch.from_numpy(_positions(6))
    with torch.no_grad():
        expected, got = model(x), folded(x)
    for a, b in zip(expected, got, strict=True):
        if a is not None:
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)
    # the evaluator runs the folded copy and hands back the weights as trained, batch-norm statistics included
    evaluator = NetworkEvaluator(trained_looking(0), device="cpu", precision="float32")
    priors, values = evaluator.evaluate(_positions(6))
    np.testing.assert_allclose(values, expected.value.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(priors, torch.softmax(expected.policy_logits, 1).numpy(), rtol=1e-5, atol=1e-6)
    other = trained_looking(1)
    evaluator.load_state_dict(other.state_dict())
    with torch.no_grad():
        expected = other(x)
    np.testing.assert_allclose(evaluator.evaluate(_positions(6))[1], expected.value.numpy(), rtol=1e-5, atol=1e-5)
    assert evaluator.state_dict().keys() == other.state_dict().keys()
    for key, tensor in other.state_dict().items():
        torch.testing.assert_close(evaluator.state_dict()[key], tensor)


def test_bad_planes_shape_is_a_clear_error():
    evaluator = NetworkEvaluator(tiny_model(), device="cpu")
    with pytest.raises(ValueError, match=r"planes must have shape \[L, 17, 5, 5\]"):
        evaluator.evaluate(np.zeros((2, 17, 9, 9), np.float32))


def test_device_names():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_evaluator_drives_the_batched_search_on_go():
    """The evaluator satisfies the search's Evaluator protocol: a batched search over two 5x5 roots runs on it."""
    from games.go import GoSearchBatch
    from mcts import BatchedSearch, SearchParams

    games = [new_game(5), new_game(5)]
    games[1].play("C3")
    search = BatchedSearch(SearchParams(simulations=32), batch_size=2, num_actions=26, seed=0)
    result = search.run(GoSearchBatch(games), NetworkEvaluator(tiny_model(), device="cpu"), add_noise=False)
    policy = result.policy(1.0)
    assert policy.shape == (2, 26)
    assert policy[1, 12] == 0  # C3 is occupied in the second game
    np.testing.assert_allclose(policy.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("more_blocks, more_channels", [(3, 0), (0, 8), (2, 16)])
def test_a_grown_tower_computes_the_same_function_until_trained(more_blocks, more_channels):
    import dataclasses

    source = tiny_model(seed=3)
    with torch.no_grad():  # batch-norm statistics and affine parameters away from their defaults
        for module in source.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    # with more blocks, a plain block and a global-pooling one among them
    target = dataclasses.replace(TINY, blocks=TINY.blocks + more_blocks, channels=TINY.channels + more_channels)
    grown = PolicyValueNet(target, GO5)
    grown.load_state_dict(grow_tower(source.state_dict(), TINY, target, GO5))
    planes = torch.randint(0, 2, (6, GO5.in_channels, 5, 5)).float()
    with torch.no_grad():
        a, b = source.eval()(planes), grown.eval()(planes)
        torch.testing.assert_close(b.policy_logits, a.policy_logits)
        torch.testing.assert_close(b.value, a.value)
        torch.testing.assert_close(b.ownership, a.ownership)
        a, b = source.train()(planes), grown.train()(planes)  # training mode: batch statistics, the same
        torch.testing.assert_close(b.policy_logits, a.policy_logits)
    grown.train()
    out = grown(planes)
    (out.policy_logits.logsumexp(dim=1).sum() + out.value.sum()).backward()
    if more_blocks:
        assert any(isinstance(block, GlobalPoolingBlock) for block in list(grown.tower)[TINY.blocks :])
        new_norm = list(grown.tower)[-1].second[1]
        assert new_norm.weight.grad is not None and new_norm.weight.grad.abs().sum() > 0  # the new blocks can learn
    if more_channels:  # the heads' weights on the new channels get gradients: the new channels can come to matter
        assert grown.policy_conv[0].weight.grad[:, TINY.channels :].abs().sum() > 0
        assert grown.value_conv[0].weight.grad[:, TINY.channels :].abs().sum() > 0
        assert grown.tower[0].first[0].weight.grad[: TINY.channels, TINY.channels :].abs().sum() > 0


def test_a_tower_grows_by_blocks_and_channels_alone_never_fewer():
    import dataclasses

    source = tiny_model(seed=3)
    with pytest.raises(ValueError, match=r"a tower grows by blocks and channels alone, neither fewer: 2x16 -> 3x16, "):
        grow_tower(source.state_dict(), TINY, dataclasses.replace(TINY, blocks=3, value_hidden=8), GO5)
    with pytest.raises(ValueError, match=r"neither fewer: 2x16 -> 3x8$"):
        grow_tower(source.state_dict(), TINY, dataclasses.replace(TINY, blocks=3, channels=8), GO5)
    with pytest.raises(ValueError, match=r"neither fewer: 2x16 -> 1x24$"):
        grow_tower(source.state_dict(), TINY, dataclasses.replace(TINY, blocks=1, channels=24), GO5)
    with pytest.raises(ValueError, match=r"neither fewer: 2x16 -> 2x16$"):
        grow_tower(source.state_dict(), TINY, TINY, GO5)
