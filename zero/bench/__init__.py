"""`zero bench` targets: each has add_arguments(parser) and run(args), printing a table or one JSON object."""

from __future__ import annotations

import json
from typing import Any


def report(result: dict[str, Any], as_json: bool) -> None:
    """Print ``result`` as exactly one JSON object (``--json``) or as an aligned key/value table."""
    if as_json:
        print(json.dumps(result))
        return
    width = max(24, *(len(key) + 2 for key in result))
    for key, value in result.items():
        print(f"{key:{width}s} {value:.6g}" if isinstance(value, float) else f"{key:{width}s} {value}")
