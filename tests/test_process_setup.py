"""zero.common.process_setup: one call gives a fresh process both start-up settings (glibc's heap thresholds and oneDNN's primitive cache), once."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

from zero.common import onednn

_SCRIPT = """
import os
from zero.common.process_setup import set_up_network_process
malloc, cache = set_up_network_process()
again = set_up_network_process()
print(malloc.tuned, cache.capacity, cache.source, os.environ.get("ONEDNN_PRIMITIVE_CACHE_CAPACITY"), again == (malloc, cache))
"""


def test_a_fresh_process_gets_both_settings_from_one_call():
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in (onednn.CAPACITY_VARIABLE, "DNNL_PRIMITIVE_CACHE_CAPACITY", onednn._SET_BY_ZERO_VARIABLE)
        and not k.startswith("MALLOC_")
        and k not in ("ZERO_MALLOC", "GLIBC_TUNABLES")
    }
    out = subprocess.run([sys.executable, "-c", _SCRIPT], env=environ, capture_output=True, text=True, check=True)
    tuned, capacity, source, variable, same = out.stdout.split()
    glibc = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert tuned == str(glibc)
    assert capacity == variable == str(onednn.PRIMITIVE_CACHE_CAPACITY) and source == "zero"
    assert same == "True"  # applied once: a second call returns what the first applied
