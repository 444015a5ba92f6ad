"""Where running code came from: the git commit of the source checkout (when it is one) and the package version; stdlib only."""

from __future__ import annotations

import subprocess
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout holding zero/, when this is one


def source_commit(root: Path = SOURCE_ROOT) -> str | None:
    """The commit of the checkout at ``root`` (with "-dirty" when tracked files differ from it); None for an
    installed package, a folder that is not a git checkout, or no git on PATH."""
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if changed else head


def package_version() -> str | None:
    """The installed version of the ``zero`` distribution (None when it is not installed, e.g. run from a checkout)."""
    from importlib import metadata

    try:
        return metadata.version("zero")
    except metadata.PackageNotFoundError:
        return None
