"""Process start-up for anything that may run a network on the CPU: glibc's malloc thresholds and oneDNN's primitive cache, before the first tensor."""

from __future__ import annotations

from zero.common.malloc import MallocSettings, tune_malloc
from zero.common.onednn import PrimitiveCache, size_primitive_cache


def set_up_network_process() -> tuple[MallocSettings, PrimitiveCache]:
    """Apply both settings (once per process; later calls return what was applied): the CLI's main and every Ray
    actor or task that builds a network call this first, since neither setting takes effect once tensors exist."""
    return tune_malloc(), size_primitive_cache()
