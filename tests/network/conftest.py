"""Pytest setup for tests/network: one torch thread, because the tiny test networks run ~20x slower when two threads fight neighbours for two shared cores."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _single_torch_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
