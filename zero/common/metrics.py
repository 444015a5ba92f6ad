"""The one writer (and reader) of metrics.jsonl: one JSON object per line with "time" and "kind"; numpy values made plain; stdlib only."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


class MetricsLog:
    """Appends one JSON object per line to metrics.jsonl (a torn last line after kill -9 is skipped by readers)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def write(self, kind: str, **values: Any) -> None:
        """Append one record ``{"time", "kind", **values}`` (kinds: train, selfplay, version, checkpoint, snapshot, arena, worker_lost, ...)."""
        record = {"time": round(time.time(), 3), "kind": kind, **values}
        line = json.dumps(record, default=_jsonable) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()


def read_metrics(path: Path | str) -> list[dict[str, Any]]:
    """Every complete line of a metrics.jsonl file (lines that do not parse are skipped)."""
    out = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    except FileNotFoundError:
        pass
    return out


def _jsonable(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(value)
