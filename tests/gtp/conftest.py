"""Shared fixtures of the GTP tests: a small, fast, deterministic Go engine (random-rollout MCTS)."""

from __future__ import annotations

import os
import shutil

import pytest

from mcts import SearchParams
from zero.gtp.engine import GoGtpEngine
from zero.gtp.player import EngineParams


def make_engine(visits: int = 8, **params) -> GoGtpEngine:
    """A 9x9 engine with a tiny search: replies are quick and deterministic (fixed seed)."""
    settings = {"analysis_visits": 64, "ownership_playouts": 16, "seed": 1, **params}
    return GoGtpEngine(
        params=EngineParams(visits=visits, **settings),
        search_params=SearchParams(simulations=max(visits, 2), leaves_per_step=4),
    )


@pytest.fixture
def engine() -> GoGtpEngine:
    return make_engine()


def gnugo_path() -> str:
    """The gnugo binary, or a skip (a failure when ZERO_REQUIRE_GNUGO=1, as in CI)."""
    path = shutil.which("gnugo") or ("/usr/games/gnugo" if os.path.exists("/usr/games/gnugo") else None)
    if path is None:
        if os.environ.get("ZERO_REQUIRE_GNUGO") == "1":
            pytest.fail("gnugo is required (ZERO_REQUIRE_GNUGO=1) but not installed")
        pytest.skip("gnugo is not installed")
    return path
