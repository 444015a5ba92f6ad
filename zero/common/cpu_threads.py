"""CPU thread counts of one process: the cores it may use, and torch/Numba/OpenMP set to a given count (torch and numba imported only inside the functions).

Oversubscription is the cost this guards against: two engines of a match, each with torch's
default of one OpenMP thread per core, spin against each other on a small machine (the
issue that added this measured 7.1 s against 1.2 s for the same four moves).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Environment variables that size OpenMP/BLAS pools of a child process (foreign engines, Numba's pool).
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def available_cores() -> int:
    """The number of cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS)
        return max(1, os.cpu_count() or 1)


def share_of_cores(parallel: int, cores: int | None = None) -> int:
    """Threads each of ``parallel`` engines thinking at once gets: the cores split evenly, at least 1."""
    cores = available_cores() if cores is None else cores
    return max(1, cores // max(1, parallel))


def thread_environment(threads: int, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with every OpenMP/BLAS/Numba pool sized to ``threads``,
    except variables ``base`` already sets (a user's explicit setting wins)."""
    env = dict(os.environ if base is None else base)
    for name in THREAD_ENV_VARS:
        env.setdefault(name, str(threads))
    return env


def passive_openmp_waits() -> None:
    """Make OpenMP threads sleep, not spin, while they wait (``OMP_WAIT_POLICY=PASSIVE`` unless already set).

    Call before torch is imported: its OpenMP runtime reads the variable once. Spinning threads of the small
    networks' many short parallel regions cost the whole time slice of a core that another process holds:
    measured on the 2-core machine at load 5, `zero gtp`'s genmove (400 visits, 2 threads) took 1.7 s median
    spinning and 0.08 s passive (BENCHMARKS.md)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class ThreadSettings:
    """What a process ended up using, for its start-up line on stderr."""

    torch_threads: int  # torch intra-op threads (OpenMP/MKL); 0 = torch not loaded (no network)
    interop_threads: int  # torch inter-op pool; 0 = torch not loaded
    numba_threads: int  # Numba's parallel pool (our kernels are serial: this bounds any parallel one)

    def describe(self) -> str:
        if not self.torch_threads:
            return f"threads {self.numba_threads} (numba; no torch)"
        return f"threads {self.torch_threads} (torch inter-op {self.interop_threads}, numba {self.numba_threads})"


def set_threads(threads: int, *, torch_too: bool) -> ThreadSettings:
    """Numba's pool and (``torch_too``) torch's intra-op pool sized to ``threads``, torch's inter-op pool to
    min(threads, 2). torch allows the inter-op count to be set once per process: a later call keeps it."""
    import numba

    threads = max(1, threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    if not torch_too:
        return ThreadSettings(0, 0, numba.get_num_threads())
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(min(threads, 2))
    except RuntimeError:  # already set, or inter-op work already started: keep what is there
        pass
    return ThreadSettings(torch.get_num_threads(), torch.get_num_interop_threads(), numba.get_num_threads())
