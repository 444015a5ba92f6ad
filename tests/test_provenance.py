"""zero.common.provenance: the source commit a run records (a git checkout, dirty or not; None elsewhere)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from zero.common.provenance import source_commit


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_source_commit_names_head_and_says_dirty_only_for_changed_tracked_files(tmp_path):
    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True).stdout

    assert source_commit(tmp_path) is None  # not a checkout
    git("init", "-q")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    (tmp_path / "a.txt").write_text("one")
    git("add", "a.txt")
    git("commit", "-qm", "one")
    head = git("rev-parse", "HEAD").strip()
    assert source_commit(tmp_path) == head
    (tmp_path / "untracked.txt").write_text("x")  # untracked files do not change what the code is
    assert source_commit(tmp_path) == head
    (tmp_path / "a.txt").write_text("two")
    assert source_commit(tmp_path) == f"{head}-dirty"
