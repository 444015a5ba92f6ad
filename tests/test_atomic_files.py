"""Atomic writes: a reader sees the old file or the new one, and a failed write leaves no temporary file behind."""

from __future__ import annotations

import pytest

from zero.common.atomic_files import atomic_write_bytes, atomic_write_text, atomic_write_via


def test_write_replaces_the_file_and_creates_missing_folders(tmp_path):
    target = tmp_path / "a" / "b" / "state.json"
    atomic_write_text(target, "one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]


def test_a_writer_that_fails_halfway_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "model.bin"
    atomic_write_bytes(target, b"old contents")

    def half_then_crash(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(b"new con")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write_via(target, half_then_crash)
    assert target.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["model.bin"]
