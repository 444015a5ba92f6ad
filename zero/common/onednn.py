"""oneDNN's primitive cache sized for self-play: a network called on every batch size keeps its compiled kernels.

PyTorch runs CPU convolutions and matmuls through oneDNN, which JIT-compiles a kernel (a "primitive") for every
shape it meets and keeps the last 1,024 in a cache. Self-play calls one network on every batch size from 1 to
games x leaves (go9_cpu: 1 to 256, about six new primitives each), so with the default capacity the less common
sizes were evicted and compiled again: 1.5% of a go9_cpu worker's CPU time went to creating primitives, and
with room for all of them the worker made 1.7% more positions per second (BENCHMARKS.md, session 21). The
capacity is read once, when the process creates its first primitive, so this must run before the first network
call; the user's own ONEDNN_ / DNNL_PRIMITIVE_CACHE_CAPACITY wins.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

CAPACITY_VARIABLE = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
_OLD_CAPACITY_VARIABLE = "DNNL_PRIMITIVE_CACHE_CAPACITY"  # oneDNN still reads the name it had before 2.x
PRIMITIVE_CACHE_CAPACITY = 8192  # primitives, not bytes: each holds a small JIT kernel
# Set beside the capacity, so that a child process (a Ray worker inherits the driver's environment) can tell
# zero's setting from the user's.
_SET_BY_ZERO_VARIABLE = "ZERO_SET_ONEDNN_PRIMITIVE_CACHE_CAPACITY"


@dataclass(frozen=True)
class PrimitiveCache:
    """The capacity the process's oneDNN cache gets, for start-up lines and `zero bench --json`."""

    capacity: str
    source: str  # "zero" (set here) or the user's variable

    def describe(self) -> str:
        return f"oneDNN primitive cache {self.capacity} ({self.source})"


_applied: PrimitiveCache | None = None


def size_primitive_cache() -> PrimitiveCache:
    """Give oneDNN's primitive cache PRIMITIVE_CACHE_CAPACITY entries (once per process) unless the environment
    names a capacity of its own."""
    global _applied
    if _applied is None:
        for name in (CAPACITY_VARIABLE, _OLD_CAPACITY_VARIABLE):
            value = os.environ.get(name, "").strip()
            if value:
                by_zero = name == CAPACITY_VARIABLE and os.environ.get(_SET_BY_ZERO_VARIABLE) == value
                _applied = PrimitiveCache(value, "zero" if by_zero else name)
                break
        else:
            os.environ[CAPACITY_VARIABLE] = os.environ[_SET_BY_ZERO_VARIABLE] = str(PRIMITIVE_CACHE_CAPACITY)
            _applied = PrimitiveCache(str(PRIMITIVE_CACHE_CAPACITY), "zero")
    return _applied
