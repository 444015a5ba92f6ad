"""selfplay.model_card: the card's sums over a chain of runs, what it says when a run recorded no provenance, the rung table."""

from __future__ import annotations

from selfplay.model_card import RunSummary, model_card

NETWORK = {"blocks": 4, "channels": 48, "ownership_head": True, "score_head": False, "komi_input": True}
WEIGHTS = {
    "file": "go9.safetensors",
    "bytes": 800_000,
    "sha256": "ab" * 32,
    "parameters": 195_122,
    "step": 900,
    "version": 9,
}


def run(name: str, **changes) -> RunSummary:
    values = dict(
        name=name,
        steps=1000,
        version=10,
        games=2000,
        positions=70_000,
        minutes=60.0,
        cpu_hours=2.0,
        cpus=(2.0,),
        trainer="cpu (1 threads), precision bfloat16",
        source_commits=("c0ffee" * 7,),
        started_from="",
    )
    values.update(changes)
    return RunSummary(**values)


def test_a_chain_sums_steps_games_and_cpu_hours_and_names_each_origin():
    runs = [run("part1"), run("part2", steps=500, games=1000, cpu_hours=1.5, started_from="part1 (step 1000)")]
    rungs = [(20.0, 1500, 0.7, "gnugo:1", 10, 3, 20)]
    card = model_card("go9", runs, NETWORK, WEIGHTS, [], "[run]\nname = 'x'\n", "go9-training.png", "", rungs)
    assert "| train steps | 1,500 |" in card and "| self-play games | 3,000 (140,000 training positions) |" in card
    assert "| CPU-hours | 3.50 (2.00 hours of active wall clock) |" in card
    assert "2 runs, each started with `zero train --init-from`" in card
    assert "| part2 | part1 (step 1000) |" in card and "| part1 | scratch |" in card
    assert "| 20 | 0.70 | 1,500 | 10 | gnugo:1 | 3/20 |" in card  # the rung table
    assert "komi input plane" in card and "ownership" in card and ", score" not in card
    assert "Not measured yet: `zero ladder --model go9" in card  # no ladder given: says how to measure it


def test_a_run_without_start_records_says_not_recorded():
    card = model_card("go9", [run("old", cpus=(), trainer="", source_commits=())], NETWORK, WEIGHTS, [], "", "", "")
    assert card.count("not recorded (a run from before start records)") == 2
    assert "| old | scratch | 60.0 | not recorded |" in card


def test_averaged_weights_are_named_with_each_source_and_plain_weights_say_nothing():
    sources = [{"name": "runs/a", "step": 20_293}, {"name": "runs/b", "step": 24_668}]
    card = model_card("go9", [run("b")], NETWORK, {**WEIGHTS, "averaged_from": sources}, [], "", "", "")
    assert (
        "| averaged | the mean of 2 checkpoints' weights (`zero average`): runs/a (step 20,293), runs/b (step 24,668) |"
        in card
    )
    assert "| averaged |" not in model_card("go9", [run("b")], NETWORK, WEIGHTS, [], "", "", "")
    odd = model_card(
        "go9", [run("b")], NETWORK, {**WEIGHTS, "averaged_from": [{"name": "x"}, {"step": "9"}]}, [], "", "", ""
    )
    assert "| averaged | the mean of 2 checkpoints' weights (`zero average`): x (step ?), ? (step ?) |" in odd
