"""zero.common.malloc: with the thresholds set, a loop of freed and reallocated tensor-sized buffers stops faulting in fresh pages; the user's own settings win."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from zero.common import malloc

glibc_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's"
)

# 300 rounds of what a network call does to the heap: a layer's activations after another (16 buffers of
# 512 KiB, 8 MiB in all) written, then all freed
_FAULTS_SCRIPT = """
import resource, torch
from zero.common.malloc import tune_malloc
settings = tune_malloc()
def call():
    layers = [torch.ones(1 << 17) for _ in range(16)]
    return float(sum(x[-1] for x in layers))
for _ in range(5):
    call()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(300):
    call()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, settings.tuned)
"""


def _minor_faults(**env: str) -> tuple[int, bool]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MALLOC_") and k not in (malloc.OPT_OUT_VARIABLE, "GLIBC_TUNABLES")
    }
    out = subprocess.run(
        [sys.executable, "-c", _FAULTS_SCRIPT], env={**environ, **env}, capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), out[1] == "True"


@glibc_only
def test_tuned_heap_reuses_freed_tensor_memory_instead_of_faulting_it_in_again():
    default_faults, default_tuned = _minor_faults(ZERO_MALLOC="default")
    tuned_faults, tuned = _minor_faults()
    assert tuned and not default_tuned
    # glibc's defaults: the 8 MiB freed at the heap's top exceed its trim threshold (twice the largest buffer
    # freed), go back to the kernel, and fault in again: 2,048 pages a round; kept in the heap, they fault once
    assert default_faults > 300 * 1000
    assert tuned_faults < default_faults / 50


@glibc_only
def test_environment_settings_win_and_are_named(monkeypatch):
    monkeypatch.setattr(malloc, "_applied", None)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    monkeypatch.delenv(malloc.OPT_OUT_VARIABLE, raising=False)
    settings = malloc.tune_malloc()
    assert not settings.tuned
    assert "MALLOC_TRIM_THRESHOLD_" in settings.describe()


def test_not_glibc_changes_nothing_and_says_so(monkeypatch):
    monkeypatch.setattr(malloc, "_applied", None)
    monkeypatch.delenv(malloc.OPT_OUT_VARIABLE, raising=False)
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(malloc.platform, "system", lambda: "Darwin")
    monkeypatch.setattr(malloc.ctypes, "CDLL", lambda *a: pytest.fail("mallopt called off glibc"))
    settings = malloc.tune_malloc()
    assert not settings.tuned and "not glibc" in settings.describe()
