"""Every config in configs/ loads; overrides, the printed config and config errors behave (one line naming the field, nothing started)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from selfplay.config import ConfigError, RunConfig, config_to_toml, load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))


def test_the_promised_configs_exist():
    names = {p.stem for p in CONFIGS}
    assert {"tiny", "go9_cpu", "go9", "go19", "tictactoe"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_loads_and_round_trips_through_the_printed_toml(path, tmp_path):
    config = load_config(path)
    assert isinstance(config, RunConfig)
    printed = tmp_path / "printed.toml"
    printed.write_text(config_to_toml(config, path))
    assert load_config(printed) == config


def test_go_sizes_follow_the_names():
    assert load_config(ROOT / "configs/go9.toml").go.size == 9
    assert load_config(ROOT / "configs/go9_cpu.toml").go.size == 9
    assert load_config(ROOT / "configs/go13_cpu.toml").go.size == 13
    assert load_config(ROOT / "configs/go19_cpu.toml").go.size == 19
    assert load_config(ROOT / "configs/go19.toml").go.size == 19
    assert load_config(ROOT / "configs/tictactoe.toml").game.name == "tictactoe"


def test_a_komi_draw_needs_a_network_that_sees_the_komi():
    with pytest.raises(ConfigError, match="selfplay.komi_stdev"):
        load_config(ROOT / "configs/go9_cpu.toml", ["selfplay.komi_stdev=2"])
    config = load_config(ROOT / "configs/go9_cpu.toml", ["selfplay.komi_stdev=2", "network.komi_input=true"])
    assert config.selfplay.komi_stdev == 2.0 and config.network.komi_input


def test_the_budget_schedule_needs_a_time_budget():
    with pytest.raises(ConfigError, match="train.lr_schedule"):
        load_config(ROOT / "configs/tiny.toml", ["train.lr_schedule=budget"])
    config = load_config(ROOT / "configs/tiny.toml", ["train.lr_schedule=budget", "run.max_minutes=30"])
    assert config.train.lr_schedule == "budget"


def test_override_changes_only_that_field():
    base = load_config(ROOT / "configs/tiny.toml")
    changed = load_config(ROOT / "configs/tiny.toml", ["search.simulations=32", "run.name=other"])
    assert changed.search.simulations == 32 and changed.run.name == "other"
    assert changed.network == base.network and changed.train == base.train


@pytest.mark.parametrize(
    "override, field",
    [
        ("search.simulatons=32", "search.simulatons"),  # typo: unknown key
        ("search.simulations=many", "search.simulations"),  # wrong type
        ("search.simulations=0", "search.simulations"),  # impossible value
        ("selfplay.resign_playout_fraction=1.5", "selfplay.resign_playout_fraction"),
        ("go.size=25", "go.size"),
        ("run.max_minutes=-1", "run.max_minutes"),  # one check covers three limits: it names the one that is wrong
        ("run.max_games=-5", "run.max_games"),
        ("game.name=chess", "game.name"),
        ("bogus.key=1", "bogus"),
        ("network.ownership_head=true", "network.ownership_head"),  # tic-tac-toe has no ownership target
        ("network.komi_input=true", "network.komi_input"),  # tic-tac-toe has no komi
    ],
)
def test_config_error_names_the_field(override, field):
    with pytest.raises(ConfigError) as info:
        load_config(ROOT / "configs/tictactoe.toml", [override])
    message = str(info.value)
    section, _, key = field.partition(".")
    assert (field in message or f"{section}: {key}" in message) and "\n" not in message


def _zero(*args: str, cwd: Path, commands: str | None = None) -> subprocess.CompletedProcess:
    """`zero ARGS` in a fresh process; ``commands`` is its standard input (GTP commands) where given."""
    return subprocess.run(
        [sys.executable, "-m", "zero.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        input=commands,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_zero_config_prints_the_commented_effective_config(tmp_path):
    out = _zero("config", "--config", str(ROOT / "configs/go9_cpu.toml"), "search.simulations=77", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "simulations = 77" in out.stdout
    assert "# root visits to reach per move" in out.stdout  # field docs become comments
    printed = tmp_path / "c.toml"
    printed.write_text(out.stdout)
    assert load_config(printed).search.simulations == 77


def test_overrides_may_stand_between_options_and_the_last_of_a_key_wins(tmp_path):
    """argparse alone took only the first run of KEY=VALUE arguments and refused the rest as unrecognized."""
    out = _zero(
        "config",
        "search.simulations=77",
        "--config",
        str(ROOT / "configs/go9_cpu.toml"),
        "search.c_init=1.5",
        "search.simulations=78",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    printed = tmp_path / "c.toml"
    printed.write_text(out.stdout)
    config = load_config(printed)
    assert (config.search.simulations, config.search.c_init) == (78, 1.5)


@pytest.mark.parametrize(
    "args",
    [
        ("config", "search.simulations=77", "--bogus", "1"),  # an unknown option is still refused
        ("match", "gnugo", "gnugo", "search.simulations=77"),  # a command without overrides takes none
    ],
)
def test_arguments_left_over_are_still_refused_in_one_line(args, tmp_path):
    out = _zero(*args, cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines()[-1].startswith("zero: error: unrecognized arguments:")


def test_bad_config_stops_train_with_one_line_and_starts_nothing(tmp_path):
    out = _zero(
        "train", "--config", str(ROOT / "configs/tiny.toml"), "run.num_workers=zero", "--run-dir", "r", cwd=tmp_path
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "run.num_workers" in lines[0]
    assert not (tmp_path / "r").exists()


def test_the_run_config_crosses_process_boundaries_as_the_frozen_object():
    """Ray pickles the RunConfig itself to the actors (validated once, where it was loaded): it round-trips equal and stays frozen."""
    import dataclasses
    import pickle

    config = load_config(ROOT / "configs" / "tiny.toml", ["search.simulations=7"])
    again = pickle.loads(pickle.dumps(config))
    assert again == config and again.search.simulations == 7
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.search.simulations = 8


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("search.simulations=800", "gtp.visits"),  # zero gtp searches gtp.visits: a simulations count would be ignored
        ("gtp.resign_threshold=0.1", "gtp.resign_winrate"),  # the GTP win rate is not self-play's value threshold
    ],
)
def test_zero_gtp_refuses_settings_it_would_ignore_or_misread(override, named, capsys):
    import argparse

    from zero.commands.gtp import add_arguments, load_gtp_config

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    with pytest.raises(SystemExit) as exit_info:
        load_gtp_config(parser.parse_args([override]))
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"zero: error: {override.split('=')[0]}:") and named in err
    config = load_gtp_config(parser.parse_args(["gtp.visits=800", "gtp.resign_winrate=0.1"]))
    assert config.gtp.visits == 800 and config.gtp.resign_winrate == 0.1


def _float_fields(cls, prefix: str = "") -> list[str]:
    """Dotted names of every float field of a (nested) config dataclass."""
    import dataclasses
    from typing import get_type_hints

    names = []
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            names += _float_fields(hint, f"{prefix}{f.name}.")
        elif hint is float or hint == (float | None):
            names.append(f"{prefix}{f.name}")
    return names


def test_every_float_field_is_found():
    names = _float_fields(RunConfig)
    assert {"train.lr", "train.weight_decay", "train.grad_clip", "search.c_init", "go.komi"} <= set(names)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("field", _float_fields(RunConfig))
def test_non_finite_float_is_refused_naming_the_field(field, value):
    # nan compares false with every bound, so per-field range checks let it through; the config library refuses it once.
    with pytest.raises(ConfigError) as info:
        load_config(ROOT / "configs/tiny.toml", [f"{field}={value}"])
    message = str(info.value)
    assert field in message and "finite" in message and "\n" not in message


def test_zero_config_refuses_nan_lr_with_one_line(tmp_path):
    out = _zero("config", "--config", str(ROOT / "configs/tiny.toml"), "train.lr=nan", cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "train.lr" in lines[0]


@pytest.mark.parametrize(
    "args", [["--time", "nan"], ["--time", "inf"], ["gtp.move_time=nan"], ["time.margin=inf"], ["search.c_init=nan"]]
)
def test_zero_gtp_refuses_non_finite_times_with_one_line(tmp_path, args):
    out = _zero("gtp", *args, cwd=tmp_path, commands="genmove b\nquit\n")
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "finite" in lines[0]


@pytest.mark.parametrize("commands", ["", "name\n"])  # the input ends before any command needs the engine
def test_zero_gtp_refuses_bad_settings_even_when_its_input_ends_at_once(tmp_path, commands):
    out = _zero("gtp", "--model", "none", "gtp.visits=0", cwd=tmp_path, commands=commands)
    assert out.returncode == 2
    assert out.stdout == ("= zero\n\n" if commands else "")  # name is answered while the engine loads
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "visits" in lines[0]
