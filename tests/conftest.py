"""Shared pytest set-up: the Hypothesis profile (derandomized under CI) and locating GNU Go (skip locally when missing, fail in CI with ZERO_REQUIRE_GNUGO=1)."""

from __future__ import annotations

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

# CI draws the same examples on every run, so a red CI run means a change broke something, never bad luck;
# local runs keep Hypothesis's random exploration (and its example database), which is how new failures are
# found. A failing example found either way is kept as an explicit @example on its test.
CI_PROFILE = "zero-ci"
settings.register_profile(
    CI_PROFILE,
    derandomize=True,  # examples from a fixed seed per test
    deadline=None,  # shared CI machines have slow moments; timings are never asserted
    max_examples=100,  # for tests without their own @settings(max_examples=...)
    database=None,  # nothing carried over between runs
    print_blob=True,  # a failure prints the line that reproduces it
    suppress_health_check=[HealthCheck.too_slow],
)


def hypothesis_profile(environ: dict[str, str]) -> str:
    """The profile for an environment: ours when CI is set (.ci/run sets CI=true), else Hypothesis's default."""
    return CI_PROFILE if environ.get("CI", "").lower() not in ("", "0", "false") else "default"


settings.load_profile(hypothesis_profile(os.environ))


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
