"""Shared pytest fixtures: locating GNU Go (skip locally when missing, fail in CI with ZERO_REQUIRE_GNUGO=1)."""

from __future__ import annotations

import os
import shutil

import pytest


def find_gnugo() -> str | None:
    """Path of the gnugo binary (PATH, then Debian's /usr/games), or None."""
    path = shutil.which("gnugo")
    if path is None and os.path.exists("/usr/games/gnugo"):
        path = "/usr/games/gnugo"
    return path


@pytest.fixture(scope="session")
def gnugo_path() -> str:
    """The gnugo binary; skips when it is missing, except under ZERO_REQUIRE_GNUGO=1 (CI) where that fails."""
    path = find_gnugo()
    if path is None:
        reason = "gnugo is not installed (apt-get install gnugo); set ZERO_REQUIRE_GNUGO=1 to make this a failure"
        if os.environ.get("ZERO_REQUIRE_GNUGO") == "1":
            pytest.fail("ZERO_REQUIRE_GNUGO=1 but " + reason)
        pytest.skip(reason)
    return path
