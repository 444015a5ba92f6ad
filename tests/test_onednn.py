"""zero.common.onednn: the primitive cache gets room for every batch size self-play uses (checked in a fresh
process, where oneDNN reads the capacity), and the user's own setting wins."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from zero.common import onednn

# Every batch size from 1 to 256 of a small network, twice: the second round re-creates primitives only if the
# cache evicted them. ONEDNN_VERBOSE=2 prints a line for every primitive created (cache_miss / cache_hit).
_SCRIPT = """
import os, sys
import torch
from zero.common.onednn import size_primitive_cache
cache = size_primitive_cache()
torch.set_num_threads(1)
net = torch.nn.Sequential(  # five primitives per batch size: 1,280 in all, more than oneDNN's default 1,024
    torch.nn.Conv2d(4, 8, 3, padding=1), torch.nn.Conv2d(8, 12, 3, padding=1), torch.nn.Conv2d(12, 16, 1),
    torch.nn.Conv2d(16, 8, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(8 * 5 * 5, 4),
)
x = torch.zeros(256, 4, 5, 5)
with torch.inference_mode():
    for n in range(1, 257):
        net(x[:n])
    print("ROUND2", flush=True)
    for n in range(1, 257):
        net(x[:n])
print("CAPACITY", cache.capacity, cache.source, flush=True)
"""


def _misses(**env: str) -> tuple[int, int, str]:
    """(primitives created in the first round, in the second round, the capacity line)"""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in (onednn.CAPACITY_VARIABLE, "DNNL_PRIMITIVE_CACHE_CAPACITY", onednn._SET_BY_ZERO_VARIABLE)
    }
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        env={**environ, "ONEDNN_VERBOSE": "2", **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    first, second = out.split("ROUND2", 1)
    return first.count("cache_miss"), second.count("cache_miss"), second.split("CAPACITY", 1)[1].strip()


def _onednn_in_use() -> bool:
    import torch

    return torch.backends.mkldnn.is_available()


@pytest.mark.skipif(not _onednn_in_use(), reason="this PyTorch build has no oneDNN (mkldnn) backend")
def test_every_batch_size_keeps_its_primitives_and_the_users_capacity_wins():
    created, misses, capacity = _misses()
    assert capacity == f"{onednn.PRIMITIVE_CACHE_CAPACITY} zero"
    assert created >= 5 * 256  # the verbose lines are there to count
    assert misses == 0  # all 256 sizes' primitives were still cached
    _, misses, capacity = _misses(ONEDNN_PRIMITIVE_CACHE_CAPACITY="1024")  # oneDNN's default evicts
    assert capacity == f"1024 {onednn.CAPACITY_VARIABLE}"
    assert misses > 256


def test_the_users_setting_is_left_alone(monkeypatch):
    monkeypatch.setattr(onednn, "_applied", None)
    monkeypatch.setenv("DNNL_PRIMITIVE_CACHE_CAPACITY", "300")
    monkeypatch.delenv(onednn.CAPACITY_VARIABLE, raising=False)
    cache = onednn.size_primitive_cache()
    assert (cache.capacity, cache.source) == ("300", "DNNL_PRIMITIVE_CACHE_CAPACITY")
    assert onednn.CAPACITY_VARIABLE not in os.environ
    assert "300" in cache.describe()


def test_a_child_process_names_the_capacity_zero_set_as_zeros(monkeypatch):
    """A Ray worker inherits the driver's environment: the capacity zero set there is still zero's, not the user's."""
    for name in (onednn.CAPACITY_VARIABLE, "DNNL_PRIMITIVE_CACHE_CAPACITY", onednn._SET_BY_ZERO_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(onednn, "_applied", None)
    assert onednn.size_primitive_cache().source == "zero"  # the driver
    monkeypatch.setattr(onednn, "_applied", None)  # a child, with the driver's environment
    assert onednn.size_primitive_cache() == onednn.PrimitiveCache(str(onednn.PRIMITIVE_CACHE_CAPACITY), "zero")
    monkeypatch.setenv(onednn.CAPACITY_VARIABLE, "2048")  # the user changed it (or set it for the child only)
    monkeypatch.setattr(onednn, "_applied", None)
    assert onednn.size_primitive_cache().source == onednn.CAPACITY_VARIABLE
