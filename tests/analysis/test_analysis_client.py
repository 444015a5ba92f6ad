"""`zero analysis` as a separate process driven by clients: the small client written to KataGo's documentation (always), and KaTrain's own engine module when KaTrain is available (ZERO_KATRAIN_PATH)."""

from __future__ import annotations

import os
import sys
import time
import types

import pytest

from tests.analysis.katago_client import AnalysisClient

ENGINE = [sys.executable, "-m", "zero.cli", "analysis", "analysis.max_visits=24", "analysis.ownership_playouts=8"]


def test_documented_client_analyses_a_game_and_the_engine_exits_when_input_ends():
    client = AnalysisClient(ENGINE)
    try:
        client.send({"id": "v", "action": "query_version"})
        assert client.next_answer()["version"]
        moves = [["B", "E5"], ["W", "C3"], ["B", "G3"], ["W", "C7"]]
        finals = client.analyse(
            {
                "id": "game",
                "moves": moves,
                "rules": "tromp-taylor",
                "komi": 7.5,
                "boardXSize": 9,
                "boardYSize": 9,
                "analyzeTurns": [0, 2, 4],
                "includeOwnership": True,
            },
            timeout=600,  # the first query compiles the Numba kernels (a fresh CI clone on busy cores: over 120 s)
        )
        assert sorted(finals) == [0, 2, 4]
        for answer in finals.values():
            assert answer["rootInfo"]["visits"] == 24
            assert answer["rootInfo"]["currentPlayer"] == "B"  # turns 0, 2, 4: Black to move
            assert len(answer["ownership"]) == 81
            best = answer["moveInfos"][0]
            assert best["order"] == 0 and best["pv"][0] == best["move"]
        client.send({"id": "bad", "moves": [], "rules": "ing", "komi": 7.5, "boardXSize": 9, "boardYSize": 9})
        assert client.next_answer() == {"id": "bad", "field": "rules", "error": client.received[-1]["error"]}
        # The engine keeps serving after the error.
        assert (
            client.analyse(
                {
                    "id": "after",
                    "moves": [],
                    "rules": "chinese",
                    "komi": 7.5,
                    "boardXSize": 9,
                    "boardYSize": 9,
                    "maxVisits": 8,
                }
            )[0]["rootInfo"]["visits"]
            == 8
        )
        client.send(
            {
                "id": "queued",
                "moves": [],
                "rules": "chinese",
                "komi": 7.5,
                "boardXSize": 9,
                "boardYSize": 9,
                "maxVisits": 8,
            }
        )
    finally:
        status = client.close()
    assert status == 0
    # The query still queued when input ended was answered before the engine exited.
    client.drain()
    assert any(a.get("id") == "queued" and "moveInfos" in a for a in client.received)


def _katrain_modules(path: str):
    """KaTrain's engine and game-node modules, with the GUI-only imports (kivy, the theme) stubbed: the engine itself is a subprocess and JSON."""
    sys.path.insert(0, path)
    kivy, kivy_utils, kivy_event = (types.ModuleType(n) for n in ("kivy", "kivy.utils", "kivy._event"))
    kivy_utils.platform = "linux"
    kivy_event.Observable = type("Observable", (), {})
    for name, module in (("kivy", kivy), ("kivy.utils", kivy_utils), ("kivy._event", kivy_event)):
        sys.modules.setdefault(name, module)
    from katrain.core.engine import KataGoEngine
    from katrain.core.game_node import GameNode
    from pysgf import Move

    return KataGoEngine, GameNode, Move


@pytest.mark.skipif(
    not os.environ.get("ZERO_KATRAIN_PATH"),
    reason=(
        "KaTrain is not installed here; to run: pip install --no-deps --target /tmp/katrain katrain pysgf 'chardet<6' "
        "and set ZERO_KATRAIN_PATH=/tmp/katrain"
    ),
)
def test_katrain_engine_module_drives_zero_analysis_headless():
    KataGoEngine, GameNode, Move = _katrain_modules(os.environ["ZERO_KATRAIN_PATH"])
    logs: list[tuple] = []

    class HeadlessKaTrain:  # what KaTrain's engine calls on its application object
        def log(self, message, level=0):
            logs.append((level, str(message)))

        def __call__(self, *args, **kwargs):
            logs.append(("popup", args))

    command = f"exec {sys.executable} -m zero.cli analysis"  # exec: terminate() reaches the engine, not a shell
    config = {
        "backend": "custom",
        "altcommand": command,
        "max_visits": 30,
        "fast_visits": 10,
        "_enable_ownership": True,
        "wide_root_noise": 0.0,
        "max_time": 30.0,
    }
    engine = KataGoEngine(HeadlessKaTrain(), config)
    try:
        root = GameNode(properties={"SZ": 9, "KM": 6.5, "RU": "japanese"})  # KaTrain's default rules
        node = root.play(Move.from_gtp("E5", player="B")).play(Move.from_gtp("C3", player="W"))
        node.analyze(engine, visits=30)
        end = time.time() + 120
        while not node.analysis_complete and time.time() < end:
            time.sleep(0.1)
        assert node.analysis_complete, logs
        assert node.root_visits == 30
        assert len(node.ownership) == 81 and len(node.policy) == 82
        best = min(node.analysis["moves"].values(), key=lambda m: m["order"])
        assert best["pv"][0] == best["move"] and best["visits"] > 0
        assert not [entry for entry in logs if entry[0] == "popup"]
        assert any("'field': 'rules'" in message for _, message in logs)  # the rules warning reached KaTrain's log
    finally:
        engine.shutdown(finish=None)  # terminate without joining KaTrain's reader threads


def test_bad_settings_stop_the_command_with_one_line_naming_the_field():
    import subprocess

    for override, field in (
        ("analysis.batch_size=0", "batch_size"),
        ("analysis.colour=1", "analysis.colour"),
        ("analysis.report_winrates_as=red", "report_winrates_as"),
    ):
        done = subprocess.run(
            ENGINE[:4] + [override], input="", capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode != 0 and done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and field in lines[0], done.stderr


def test_a_shipped_networks_name_is_a_model():
    client = AnalysisClient([*ENGINE, "--model", "go9"])
    try:
        answer = client.analyse(
            {"id": "q", "moves": [], "rules": "chinese", "komi": 7.5, "boardXSize": 9, "boardYSize": 9}, timeout=600
        )[0]
        assert answer["rootInfo"]["visits"] == 24 and answer["moveInfos"]
    finally:
        client.close()
