"""The Hypothesis CI profile: derandomized, no deadline, fixed example counts under CI; random exploration locally."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

CI_PROFILE = "zero-ci"  # registered by tests/conftest.py (not imported: every test folder has a conftest module)


@pytest.fixture
def hypothesis_profile(request):
    """tests/conftest.py's hypothesis_profile, found among pytest's plugins (every test folder has a 'conftest')."""
    for plugin in request.config.pluginmanager.get_plugins():
        path = str(getattr(plugin, "__file__", "") or "")
        if path == str(Path(__file__).with_name("conftest.py")):
            return plugin.hypothesis_profile
    raise AssertionError("tests/conftest.py does not define hypothesis_profile")


def test_ci_profile_draws_the_same_examples_every_run():
    profile = settings.get_profile(CI_PROFILE)
    assert profile.derandomize is True
    assert profile.deadline is None
    assert profile.max_examples == 100
    assert profile.database is None


def test_profile_follows_the_ci_variable(hypothesis_profile):
    assert hypothesis_profile({"CI": "true"}) == CI_PROFILE
    assert hypothesis_profile({"CI": "1"}) == CI_PROFILE
    assert hypothesis_profile({}) == "default"
    assert hypothesis_profile({"CI": "false"}) == "default"


def test_loaded_profile_matches_the_environment(hypothesis_profile):
    assert settings._current_profile == hypothesis_profile(os.environ)
    assert settings.default.derandomize is (hypothesis_profile(os.environ) == CI_PROFILE)


def test_ci_script_sets_ci():
    script = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "\nexport CI=true" in script
