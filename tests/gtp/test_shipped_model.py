"""The shipped networks in `zero gtp`: the registry (zero.nn.shipped), the default network of 9x9, `--model none`, the fallback on other sizes (one stderr line), `zero-model`; the tests' own small network stands in for the shipped one (ZERO_MODELS_DIR)."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from games.go import BLACK, WHITE, GoGame, GoRules, IllegalMoveError  # noqa: E402
from games.go.coords import from_gtp, to_gtp  # noqa: E402
from zero.nn import shipped  # noqa: E402
from zero.nn.checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from zero.nn.network import GameShape, NetworkConfig, PolicyValueNet  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def make_models_dir(directory: Path) -> Path:
    """A models folder holding go9 as it would ship: a small fresh network written by the project's own checkpoint
    writer, renamed go9.safetensors + go9.json, and a model card."""
    torch.manual_seed(0)
    net = PolicyValueNet(
        NetworkConfig(blocks=1, channels=8, global_pooling_channels=4, ownership_head=True), GameShape(17, 9, 82)
    )
    weights = save_checkpoint(directory / "checkpoint", net, step=7, model_version=3)
    shutil.copy(weights, directory / "go9.safetensors")
    shutil.copy(weights.with_suffix(".json"), directory / "go9.json")
    (directory / "go9.md").write_text("# go9 (test network: untrained)\n")
    return directory


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return make_models_dir(tmp_path_factory.mktemp("models"))


def gtp_env(models: Path | None) -> dict[str, str]:
    """This checkout first on the path; the registry pointed at ``models`` (None: the package's own folder)."""
    env = {k: v for k, v in os.environ.items() if k != shipped.MODELS_DIR_ENV}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    if models is not None:
        env[shipped.MODELS_DIR_ENV] = str(models)
    return env


def gtp_session(args: list[str], commands: list[str], models: Path | None, cwd: Path) -> subprocess.CompletedProcess:
    """One `zero gtp ARGS` process given ``commands`` and then ``quit``."""
    return subprocess.run(
        [sys.executable, "-m", "zero.cli", "gtp", *args],
        input="\n".join([*commands, "quit"]) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        env=gtp_env(models),
        cwd=cwd,
    )


def run_gtp(args: list[str], commands: list[str], models: Path | None, cwd: Path) -> tuple[list[str], str]:
    """Replies (without '= ') and stderr of one `zero gtp` session."""
    out = gtp_session(args, commands, models, cwd)
    assert out.returncode == 0, out.stderr
    replies = [r for r in out.stdout.split("\n\n") if r.strip()]
    return replies, out.stderr


# --- the registry -----------------------------------------------------------------------------


def test_the_registry_finds_networks_by_board_size_and_name(models_dir, monkeypatch, tmp_path):
    monkeypatch.setenv(shipped.MODELS_DIR_ENV, str(models_dir))
    path = models_dir / "go9.safetensors"
    assert shipped.shipped_names() == ["go9"]
    assert shipped.shipped_model(9) == path and shipped.shipped_model(13) is None
    assert shipped.resolve_model("go9") == path and shipped.model_label(path) == "go9"
    assert shipped.resolve_model("none") is None
    assert shipped.resolve_model(str(tmp_path)) == tmp_path  # an existing path, as --model always took
    assert load_checkpoint(shipped.resolve_model("go9")).step == 7  # the checkpoint format, read as any checkpoint
    with pytest.raises(shipped.ModelSpecError) as err:
        shipped.resolve_model("go13")
    assert str(err.value) == "go13: no such file or directory, and no shipped network of that name (shipped: go9)"
    for bad in ("../go9", "", ".hidden"):
        assert shipped.shipped_path(bad) is None


def test_the_package_folder_is_read_through_importlib_resources(monkeypatch):
    from importlib import resources

    monkeypatch.delenv(shipped.MODELS_DIR_ENV, raising=False)
    folder = resources.files(shipped.MODELS_PACKAGE)
    assert folder.joinpath("README.md").is_file()  # the folder that ships, wherever the package is installed
    assert "go9.safetensors" in folder.joinpath("README.md").read_text()
    names = sorted(e.name[: -len(".safetensors")] for e in folder.iterdir() if e.name.endswith(".safetensors"))
    assert shipped.shipped_names() == names


# --- zero gtp ---------------------------------------------------------------------------------


def random_reply(game: GoGame, rng: random.Random) -> str:
    """The scripted opponent: a random legal move that does not fill its own eye, else pass."""
    legal = game.legal_mask() & ~game.own_eye_mask().astype(bool)
    moves = [a for a in range(game.size * game.size) if legal[a]]
    return to_gtp(rng.choice(moves), game.size) if moves else "pass"


def play_a_game(args: list[str], models: Path | None, cwd: Path, max_moves: int = 400) -> tuple[str, GoGame, str]:
    """`zero gtp ARGS` as Black against the scripted opponent until two passes or a resignation, every move
    checked by our referee (games.go); returns the engine's `zero-model` reply, the game and the engine's stderr.
    A game that reaches ``max_moves`` fails the test (it did not end)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "zero.cli", "gtp", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=gtp_env(models),
        cwd=cwd,
    )

    def ask(command: str) -> str:
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, f"the engine exited after {command!r}"
            if not line.strip():
                break
            lines.append(line.rstrip("\n"))
        reply = "\n".join(lines)
        assert reply == "=" or reply.startswith("= "), (command, reply)
        return reply[2:]

    rng = random.Random(0)
    game = GoGame(GoRules(size=9, komi=7.5, max_moves=10_000))
    try:
        ask("boardsize 9")
        ask("clear_board")
        ask("komi 7.5")
        model = ask("zero-model")
        passes, ended = 0, False
        while not ended:
            assert len(game.moves) < max_moves, f"no end after {max_moves} moves"
            move = ask("genmove b")
            if move == "resign":
                break
            game.play(from_gtp(move, 9) if move != "pass" else game.pass_action, BLACK)  # IllegalMoveError if not legal
            passes = passes + 1 if move == "pass" else 0
            if passes >= 2:
                break
            reply = random_reply(game, rng)
            game.play(from_gtp(reply, 9) if reply != "pass" else game.pass_action, WHITE)
            ask(f"play w {reply}")
            passes = passes + 1 if reply == "pass" else 0
            ended = passes >= 2
        final = ask("final_score")
        assert final == "0" or final[:2] in ("B+", "W+")
        proc.stdin.write("quit\n")
        proc.stdin.close()
        stderr = proc.stderr.read()
        assert proc.wait(timeout=60) == 0, stderr
    finally:
        if proc.poll() is None:
            proc.kill()
    return model, game, stderr


def test_zero_gtp_without_flags_plays_the_shipped_9x9_network_through_a_legal_game(models_dir, tmp_path):
    try:
        model, game, stderr = play_a_game([], models_dir, tmp_path)
    except IllegalMoveError as exc:
        pytest.fail(f"the engine played an illegal move: {exc}")
    assert model == "go9 step 7 version 3, 1x8, 9x9, shipped"
    assert len(game.moves) >= 10
    startup = [line for line in stderr.splitlines() if line.startswith("zero gtp: ")]
    assert len(startup) == 1 and startup[0].startswith("zero gtp: network go9 1x8 step 7 v3"), stderr


def test_model_none_plays_random_rollout_mcts_even_where_a_network_ships(models_dir, tmp_path):
    replies, stderr = run_gtp(["--model", "none", "--visits", "16"], ["zero-model", "genmove b"], models_dir, tmp_path)
    assert replies[0] == "= none (rollouts)"
    assert replies[1].startswith("= ") and replies[1] != "= resign"
    assert stderr.splitlines()[0].startswith("zero gtp: random-rollout MCTS (no network)")
    assert len(stderr.splitlines()) == 1 and "shipped" not in stderr  # no fallback note: rollouts were asked for


def test_other_board_sizes_play_the_shipped_network_of_the_nearest_size_and_say_so_once(models_dir, tmp_path):
    commands = ["boardsize 13", "zero-model", "genmove b", "boardsize 13", "boardsize 9", "zero-model", "boardsize 13"]
    commands += ["zero-model", "kata-raw-nn 0", "boardsize 5", "zero-model"]
    replies, stderr = run_gtp(["--visits", "16"], commands, models_dir, tmp_path)
    assert replies[1] == "= go9 step 7 version 3, 1x8, trained on 9x9, playing 13x13, shipped"
    assert replies[2].startswith("= ") and replies[2] != "= resign" and len(replies[2]) > 2  # a move on 13x13
    assert replies[5] == "= go9 step 7 version 3, 1x8, 9x9, shipped"  # back on 9x9: the network as trained
    assert replies[7] == replies[1]
    raw = replies[8].split()
    policy = raw[raw.index("policy") + 1 : raw.index("policyPass")]
    assert len(policy) == 13 * 13 and all(p != "NAN" for p in policy)  # the network read the 13x13 board
    assert replies[10] == "= go9 step 7 version 3, 1x8, trained on 9x9, playing 5x5, shipped"
    lines = stderr.splitlines()
    assert lines[0].startswith("zero gtp: network go9 1x8 step 7 v3")
    assert lines[1:] == [
        f"zero gtp: go9, trained on 9x9, plays {n}x{n}: no network was trained on this size; it plays weaker than "
        "on its own and never resigns there, its win rates being uncalibrated (gtp.cross_size=false: "
        "random-rollout MCTS)"
        for n in (13, 5)
    ]


def test_a_network_on_a_board_size_it_was_not_trained_on_never_resigns(models_dir, tmp_path):
    # resigning below a 99% win rate at the first chance: the tiny network's even games resign on its own size only
    eager = ["gtp.resign_winrate=0.99", "gtp.resign_consecutive=1", "gtp.resign_min_move=0"]
    commands = ["genmove b", "boardsize 13", "genmove b", "genmove w", "boardsize 9", "genmove b"]
    replies, _ = run_gtp(["--visits", "16", *eager], commands, models_dir, tmp_path)
    assert replies[0] == "= resign" and replies[5] == "= resign"
    assert replies[2] not in ("= resign", "=") and replies[3] not in ("= resign", "=")  # moves on 13x13


def test_without_cross_size_other_board_sizes_fall_back_to_rollouts_and_say_so_once(models_dir, tmp_path):
    commands = [
        "zero-model",
        "boardsize 13",
        "zero-model",
        "genmove b",
        "boardsize 13",
        "clear_board",
        "boardsize 9",
        "zero-model",
        "genmove b",
        "boardsize 13",
        "zero-model",
    ]
    replies, stderr = run_gtp(["--visits", "16", "gtp.cross_size=false"], commands, models_dir, tmp_path)
    assert replies[0] == "= go9 step 7 version 3, 1x8, 9x9, shipped"
    assert replies[1] == "=" and replies[2] == "= none (rollouts)"
    assert replies[3].startswith("= ") and len(replies[3]) > 2  # a move on 13x13
    assert replies[7] == "= go9 step 7 version 3, 1x8, 9x9, shipped"  # back on 9x9: the network again
    assert replies[10] == "= none (rollouts)"
    lines = stderr.splitlines()
    assert lines[0].startswith("zero gtp: network go9 1x8 step 7 v3")
    assert lines[1:] == [
        "zero gtp: no shipped network for 13x13: random-rollout MCTS on this size (--model CKPT to play one)"
    ]


def test_a_start_on_another_size_says_so_in_the_start_up_line_and_loads_9x9_when_asked(models_dir, tmp_path):
    commands = ["zero-model", "genmove b", "boardsize 9", "zero-model"]
    replies, stderr = run_gtp(["--size", "7", "--visits", "8"], commands, models_dir, tmp_path)
    assert replies[0] == "= go9 step 7 version 3, 1x8, trained on 9x9, playing 7x7, shipped"
    assert replies[1].startswith("= ") and replies[3] == "= go9 step 7 version 3, 1x8, 9x9, shipped"
    assert len(stderr.splitlines()) == 1  # one line in all: the start-up line says the network plays 7x7
    assert stderr.startswith("zero gtp: network go9 1x8 step 7 v3 trained on 9x9, playing 7x7 (weaker than")
    replies, stderr = run_gtp(["--size", "7", "--visits", "8", "gtp.cross_size=false"], commands, models_dir, tmp_path)
    assert replies[0] == "= none (rollouts)" and replies[1].startswith("= ")
    assert replies[3] == "= go9 step 7 version 3, 1x8, 9x9, shipped"
    assert len(stderr.splitlines()) == 1  # one line in all: the start-up line carries the note for 7x7
    assert stderr.startswith("zero gtp: no shipped network for 7x7: random-rollout MCTS on this size")


def test_without_a_shipped_network_9x9_falls_back_too(tmp_path):
    empty = tmp_path / "no-models"
    empty.mkdir()
    replies, stderr = run_gtp(["--visits", "8"], ["zero-model", "genmove b"], empty, tmp_path)
    assert replies[0] == "= none (rollouts)" and replies[1].startswith("= ")
    assert len(stderr.splitlines()) == 1
    assert stderr.startswith("zero gtp: no shipped network for 9x9: random-rollout MCTS on this size")


def test_a_model_plays_other_board_sizes_unless_cross_size_is_off(models_dir, tmp_path):
    commands = ["zero-model", "boardsize 13", "zero-model", "genmove w"]
    replies, stderr = run_gtp(["--model", "go9", "--visits", "8"], commands, models_dir, tmp_path)
    assert replies[0] == "= go9 step 7 version 3, 1x8, 9x9, shipped"
    assert replies[1] == "=" and replies[2] == "= go9 step 7 version 3, 1x8, trained on 9x9, playing 13x13, shipped"
    assert replies[3].startswith("= ") and len(replies[3]) > 2
    assert stderr.splitlines()[1:] == [
        "zero gtp: go9, trained on 9x9, plays 13x13: no network was trained on this size; it plays weaker than on "
        "its own and never resigns there, its win rates being uncalibrated (gtp.cross_size=false: refuse other sizes)"
    ]
    replies, _ = run_gtp(
        ["--model", "go9", "--visits", "8", "gtp.cross_size=false"], commands[:2], models_dir, tmp_path
    )
    assert replies[0] == "= go9 step 7 version 3, 1x8, 9x9, shipped"
    assert replies[1] == "? unacceptable size"
    replies, _ = run_gtp(["--model", "go9", "--size", "13", "--visits", "8"], ["zero-model"], models_dir, tmp_path)
    assert replies[0] == "= go9 step 7 version 3, 1x8, trained on 9x9, playing 13x13, shipped"  # --size is the start
    out = gtp_session(["--model", "go9", "--size", "13", "gtp.cross_size=false"], [], models_dir, tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip() == "zero: error: --size 13: --model's network plays 9x9 only (gtp.cross_size=false)"


def test_a_model_path_is_named_by_its_path(models_dir, tmp_path):
    checkpoint = models_dir / "checkpoint"
    replies, _ = run_gtp(["--model", str(checkpoint), "--visits", "8"], ["zero-model"], models_dir, tmp_path)
    assert replies[0] == f"= {checkpoint} step 7 version 3, 1x8, 9x9, given"


def test_an_unknown_model_name_is_a_one_line_error(models_dir, tmp_path):
    out = gtp_session(["--model", "go13"], [], models_dir, tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "zero: error: --model go13: no such file or directory, and no shipped network of that name (shipped: go9)"
    ]


# --- the real shipped network, once it is in the package ---------------------------------------------------


def real_shipped_go9() -> Path | None:
    saved = os.environ.pop(shipped.MODELS_DIR_ENV, None)
    try:
        return shipped.shipped_model(9)
    finally:
        if saved is not None:
            os.environ[shipped.MODELS_DIR_ENV] = saved


@pytest.mark.slow
def test_the_real_shipped_go9_plays_a_legal_game_by_default(tmp_path):
    path = real_shipped_go9()
    if path is None:
        pytest.skip("no zero/nn/models/go9.safetensors in this checkout yet (the trained network is added later)")
    card = path.with_suffix(".md")
    assert path.with_suffix(".json").is_file() and card.is_file(), "go9 ships with its .json and its model card .md"
    assert path.stat().st_size <= 10_000_000
    checkpoint = load_checkpoint(path)
    assert checkpoint.shape.board_size == 9
    model, game, _ = play_a_game([], None, tmp_path)
    assert model.startswith(f"go9 step {checkpoint.step} version {checkpoint.model_version},") and model.endswith(
        "shipped"
    )
    assert len(game.moves) >= 2


@pytest.mark.slow
def test_the_real_shipped_go13_plays_13x13_and_19x19(tmp_path):
    saved = os.environ.pop(shipped.MODELS_DIR_ENV, None)
    try:
        path, sizes = shipped.shipped_model(13), shipped.shipped_sizes()
    finally:
        if saved is not None:
            os.environ[shipped.MODELS_DIR_ENV] = saved
    assert path is not None and sizes == [9, 13]
    assert path.with_suffix(".json").is_file() and path.with_suffix(".md").is_file()
    checkpoint = load_checkpoint(path)
    assert checkpoint.shape.board_size == 13 and path.stat().st_size <= 10_000_000
    commands = ["boardsize 13", "zero-model", "genmove b", "boardsize 19", "zero-model", "genmove w"]
    replies, stderr = run_gtp(["--visits", "16"], commands, None, tmp_path)
    label = f"go13 step {checkpoint.step} version {checkpoint.model_version}, 3x32"
    assert replies[1] == f"= {label}, 13x13, shipped"  # its own size: no note, resignation as usual
    assert replies[4] == f"= {label}, trained on 13x13, playing 19x19, shipped"  # 19x19's nearest shipped size
    assert replies[2] not in ("= resign", "= ") and replies[5] not in ("= resign", "= ")
    assert "go13, trained on 13x13, plays 19x19" in stderr and "plays 13x13" not in stderr


# --- the play budget, measured ------------------------------------------------------------------------------


@given(st.lists(st.floats(0.001, 100.0), min_size=1, max_size=30))
@example([0.51, 0.193])  # found by the game below: an even count once put p90 under the averaged median
def test_bench_gtp_quantiles_are_ordered(seconds):
    from zero.bench.gtp import _quantiles

    q = _quantiles(seconds)
    assert q["median_s"] <= q["p90_s"] <= q["max_s"] == round(max(seconds), 3)


def run_bench_gtp(args: list[str], models: Path | None, cwd: Path) -> dict:
    """The JSON of one quick `zero bench gtp` run (8 visits, one timed move per position, one thread)."""
    import json

    out = subprocess.run(
        [sys.executable, "-m", "zero.cli", "bench", "gtp", *args, "--visits", "8", "--moves", "1"]
        + ["--startup-runs", "0", "--threads", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=gtp_env(models),
        cwd=cwd,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_bench_gtp_times_a_game_of_the_default_engine(models_dir, tmp_path):
    result = run_bench_gtp(["--blocks", "1", "--channels", "8", "--game-moves", "6"], models_dir, tmp_path)
    assert result["game_model"] == "go9 step 7 version 3, 1x8, 9x9, shipped"  # the default: the shipped network
    # the tiny network may pass early (its pass can have the best value LCB at 8 visits): the game then ends there
    ended = (result["game_ended_by"], result["game_moves"])
    assert ended == ("move cap", 6) or (ended[0] == "two passes" and 2 <= ended[1] < 6), ended
    assert result["game_genmoves"] == (result["game_moves"] + 1) // 2  # ours is Black: every other move
    assert 0 < result["game_genmove_median_s"] <= result["game_genmove_p90_s"] <= result["game_genmove_max_s"]


def test_bench_gtp_times_a_network_with_optional_input_planes(tmp_path):
    """The shipped go9 reads 20 planes (liberty planes): the bench's warm-up and engine build what the network reads."""
    from games.go import num_planes

    torch.manual_seed(0)
    config = NetworkConfig(blocks=1, channels=8, global_pooling_channels=4, liberty_input=True, komi_input=True)
    net = PolicyValueNet(config, GameShape(num_planes(komi_plane=True, liberty_planes=True), 9, 82))
    weights = save_checkpoint(tmp_path / "checkpoint", net, step=1, model_version=1)
    result = run_bench_gtp(["--model", str(weights), "--game-moves", "0"], None, tmp_path)
    assert result["results"] and all(row["visits_per_s"] > 0 for row in result["results"])


def test_bench_gtp_times_the_precision_it_is_given(tmp_path):
    for precision in ("float32", "bfloat16"):
        args = ["--blocks", "1", "--channels", "8", "--game-moves", "0", "--precision", precision]
        assert run_bench_gtp(args, None, tmp_path)["precision"] == precision
