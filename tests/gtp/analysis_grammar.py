"""A parser for analysis lines as GUIs read them (Lizzie/Sabaki/KaTrain: split at ``info``, key-value pairs, ``pv`` to the end of the candidate or its ``pvVisits`` / ``movesOwnership`` / ``movesOwnershipStdev``, ``ownership`` then N*N floats, ``ownershipStdev`` then N*N more)."""

from __future__ import annotations

import re

VERTEX = re.compile(r"(?:[A-HJ-T](?:[1-9]|1[0-9])|pass)")
INT_FIELDS = {"visits", "order"}
LZ_PERMYRIAD = {"winrate", "prior", "lcb"}
KATA_UNIT = {"winrate", "prior", "lcb"}
KATA_FLOAT = {"utility", "scoreMean", "scoreLead", "scoreStdev", "scoreSelfplay", "utilityLcb"}


def _values(tokens: list[str], size: int, low: float, chunk: str) -> list[float]:
    values = [float(v) for v in tokens]
    assert len(values) == size * size, f"{len(values)} values, expected {size * size}: {chunk[:60]}"
    assert all(low <= v <= 1.0 for v in values), chunk[:60]
    return values


def parse_analysis_line(
    line: str, *, kata: bool, size: int, root: dict | None = None, ownership_stdev: list | None = None
) -> tuple[list[dict], list[float] | None]:
    """Return the candidates (dicts of typed fields) and the ownership list; AssertionError if the line breaks the
    grammar. KataGo's ``rootInfo`` fields, between the candidates and the ownership, go into ``root`` when given;
    the ``ownershipStdev`` after the ownership into ``ownership_stdev``."""
    ownership = None
    if " ownershipStdev " in f" {line} ":
        assert kata, "ownershipStdev is KataGo's"
        line, _, spread = f" {line} ".partition(" ownershipStdev ")
        values = _values(spread.split(), size, 0.0, spread)
        if ownership_stdev is not None:
            ownership_stdev.extend(values)
        line = line.strip()
    if " ownership " in f" {line} ":
        line, _, own = f" {line} ".partition(" ownership ")
        ownership = [float(v) for v in own.split()]
        assert len(ownership) == size * size, f"ownership has {len(ownership)} values, expected {size * size}"
        assert all(-1.0 <= v <= 1.0 for v in ownership)
        line = line.strip()
    if " rootInfo " in f" {line} ":
        assert kata, "rootInfo is KataGo's"
        line, _, info = f" {line} ".partition(" rootInfo ")
        tokens = info.split()
        fields = dict(zip(tokens[::2], tokens[1::2]))
        assert len(tokens) % 2 == 0 and set(fields) <= {"visits", "utility", "winrate", "scoreMean", "scoreLead"}, info
        assert {"visits", "utility", "winrate"} <= set(fields), info
        typed = {k: int(v) if k == "visits" else float(v) for k, v in fields.items()}
        assert 0.0 <= typed["winrate"] <= 1.0 and -1.0 <= typed["utility"] <= 1.0
        if root is not None:
            root.update(typed)
        line = line.strip()
    assert line.startswith("info "), line[:40]
    candidates = []
    for chunk in line.split("info ")[1:]:
        tokens = chunk.split()
        fields: dict = {}
        i = 0
        while i < len(tokens):
            key = tokens[i]
            if key == "pv":  # the pv runs to the end of the candidate, or to KataGo's pvVisits or movesOwnership
                rest = tokens[i + 1 :]
                if "movesOwnershipStdev" in rest:
                    cut = rest.index("movesOwnershipStdev")
                    fields["movesOwnershipStdev"] = _values(rest[cut + 1 :], size, 0.0, chunk)
                    rest = rest[:cut]
                if "movesOwnership" in rest:
                    cut = rest.index("movesOwnership")
                    fields["movesOwnership"] = _values(rest[cut + 1 :], size, -1.0, chunk)
                    rest = rest[:cut]
                if "pvEdgeVisits" in rest:
                    cut = rest.index("pvEdgeVisits")
                    fields["pvEdgeVisits"] = [int(v) for v in rest[cut + 1 :]]
                    rest = rest[:cut]
                cut = rest.index("pvVisits") if "pvVisits" in rest else len(rest)
                fields["pv"] = rest[:cut]
                if cut < len(rest):
                    fields["pvVisits"] = [int(v) for v in rest[cut + 1 :]]
                    assert len(fields["pvVisits"]) == len(fields["pv"]), chunk
                if "pvEdgeVisits" in fields:
                    assert len(fields["pvEdgeVisits"]) == len(fields["pv"]), chunk
                break
            value = tokens[i + 1]
            if key == "move":
                assert VERTEX.fullmatch(value), value
                fields[key] = value
            elif key in INT_FIELDS:
                fields[key] = int(value)
            elif key in LZ_PERMYRIAD and not kata:
                assert re.fullmatch(r"[0-9]+", value), f"{key} {value} must be an integer"
                fields[key] = int(value)
                assert 0 <= fields[key] <= 10000
            elif key in KATA_UNIT and kata:
                fields[key] = float(value)
                assert 0.0 <= fields[key] <= 1.0
            elif key in KATA_FLOAT and kata:
                fields[key] = float(value)
            else:
                raise AssertionError(f"unexpected field {key!r}")
            i += 2
        for required in ("move", "visits", "winrate", "prior", "lcb", "order", "pv"):
            assert required in fields, f"missing {required} in {chunk!r}"
        assert all(VERTEX.fullmatch(v) for v in fields["pv"]), fields["pv"]
        candidates.append(fields)
    orders = [c["order"] for c in candidates]
    assert orders == list(range(len(candidates))), orders
    return candidates, ownership
