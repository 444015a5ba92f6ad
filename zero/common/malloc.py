"""glibc malloc set up for PyTorch on the CPU: freed tensor memory stays in the heap for the next call instead of going back to the kernel.

PyTorch's CPU tensors come straight from malloc, with no caching allocator. With glibc's defaults a
buffer over the mmap threshold (128 KiB, raised dynamically only up to the largest size freed so far)
is a fresh ``mmap`` and every page of it faults on first touch, and freed memory at the heap's top is
trimmed back to the kernel and faulted in again by the next call. A go9_cpu self-play worker took
about 10,000 minor page faults per move step that way, 14% of its CPU time in the kernel
(BENCHMARKS.md, session 19); with the two thresholds below, about 250. The cost: the heap keeps up to
``TRIM_THRESHOLD`` of freed memory that another program could have used.
"""

from __future__ import annotations

import ctypes
import os
import platform
from dataclasses import dataclass

# mallopt(3) parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest allowed value on 64-bit: buffers below it come from the heap
TRIM_THRESHOLD = 256 * 1024 * 1024  # free memory the heap's top may hold before it is returned to the kernel

# ZERO_MALLOC=default leaves glibc's own settings (for a before/after measurement); the user's own MALLOC_*
# variables or GLIBC_TUNABLES also win: glibc has read them at start-up and mallopt would override them.
OPT_OUT_VARIABLE = "ZERO_MALLOC"
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")


@dataclass(frozen=True)
class MallocSettings:
    """What the process's allocator runs with, for its start-up line and `zero bench --json`."""

    tuned: bool
    reason: str  # why not, when not tuned

    def describe(self) -> str:
        if self.tuned:
            return (
                f"malloc: glibc, heap kept (mmap threshold {MMAP_THRESHOLD >> 20} MiB, "
                f"trim threshold {TRIM_THRESHOLD >> 20} MiB)"
            )
        return f"malloc: {self.reason}"


_applied: MallocSettings | None = None


def tune_malloc() -> MallocSettings:
    """Raise glibc's mmap and trim thresholds once per process (see the module docstring); elsewhere, or when the
    user chose their own settings, change nothing and say why."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = _apply()
    return _applied


def _apply() -> MallocSettings:
    if os.environ.get(OPT_OUT_VARIABLE, "").strip().lower() == "default":
        return MallocSettings(False, f"glibc's defaults ({OPT_OUT_VARIABLE}=default)")
    chosen = [name for name in _USER_SETTINGS if name in os.environ]
    if chosen:
        return MallocSettings(False, f"the environment's own settings ({', '.join(chosen)})")
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return MallocSettings(False, "the platform's allocator (not glibc: left as it is)")
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return MallocSettings(False, "glibc's defaults (mallopt not found)")
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # both or neither: the mmap threshold alone leaves the trim threshold at 128 KiB, which faulted twice as often
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1 or mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1:
        return MallocSettings(False, "glibc's defaults (mallopt refused the thresholds)")
    return MallocSettings(True, "")
