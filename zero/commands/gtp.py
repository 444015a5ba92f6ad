"""`zero gtp`: run the GTP engine on stdin/stdout (the shipped network of the board size, --model's, or random-rollout MCTS); no torch/numba import at module top.

Which network plays: without --model, the one shipped for the board size (zero.nn.shipped: ``go9`` on
9x9), and random-rollout MCTS on a size without one (one line on stderr, once per size); ``--model none``
forces rollouts; ``--model CKPT`` (a shipped name, a checkpoint file, a checkpoint or run directory)
plays that network and fixes the board size to its own.

Start-up: the flags that need no import are checked first; then the config and the engine (Numba
board, torch network) are built in a background thread while the protocol loop already runs, so a
GUI's first ``name``/``version``/``protocol_version`` is answered at once; any other command waits
for the engine. A bad config or a network that fails to load ends the process with one line on
stderr (exit status 2), whatever the client is doing.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import math
import os
import sys
import threading


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="CKPT",
        help="a shipped network (go9), a checkpoint file, a checkpoint or run directory, or none (random-rollout "
        "MCTS); default: the network shipped for the board size, rollouts on a size without one",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML with optional [gtp], [search] and [time] tables")
    parser.add_argument("--visits", type=int, help="search visits per move (overrides gtp.visits)")
    parser.add_argument(
        "--time", type=float, metavar="SECONDS", help="seconds per move when the client sets no time control"
    )
    parser.add_argument(
        "--size", type=int, default=None, help="initial board size (default: --model's network's, else 9)"
    )
    parser.add_argument("--komi", type=float, default=7.5, help="initial komi")
    parser.add_argument(
        "--superko",
        choices=("positional", "simple"),
        default="positional",
        help="ko rule the engine plays and accepts (simple: as GNU Go)",
    )
    parser.add_argument("--device", default="auto", help="network device: auto, cpu or cuda")
    parser.add_argument(
        "--precision",
        choices=("auto", "float32", "bfloat16", "float16"),
        default="auto",
        help="network precision: auto = bf16 on CUDA and on CPUs with native bf16 where it is faster (timed; checked against float32), else float32",
    )
    parser.add_argument("--seed", type=int, help="random seed (overrides gtp.seed)")
    parser.add_argument(
        "--threads",
        type=int,
        help="CPU threads of the network and Numba (overrides gtp.threads; default: the cores this process may use)",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log every command's details to stderr")
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="overrides such as gtp.resign_winrate=0.1 or search.c_init=1.5",
    )


# Keys that mean something else (or nothing) to `zero gtp`: refused with the setting to use instead.
RETIRED_KEYS = (
    ("search", "simulations", "zero gtp searches gtp.visits per move (or --visits); set that instead"),
    (
        "gtp",
        "resign_threshold",
        "renamed gtp.resign_winrate (a win rate in [0, 1); selfplay.resign_threshold is a value in [-1, 1])",
    ),
)


def _config_class():
    from zero.gtp.player import GtpConfig

    return GtpConfig


def load_gtp_config(args: argparse.Namespace):
    """The GtpConfig of --config plus overrides and flags; a problem exits with a one-line error."""
    flags = {
        "visits": args.visits,
        "move_time": args.time,
        "seed": args.seed,
        "threads": args.threads,
    }  # flags win over --config and key=value
    return gtp_config(args.config, list(args.overrides or []), flags)


def gtp_config(config_path: str | None, overrides: list[str], flags: dict | None = None):
    """The GtpConfig of a TOML file (or none), key=value overrides and [gtp] flag values; a problem exits with a
    one-line error naming the field (`zero ladder --set` checks its settings through this too)."""
    from zero.common.configlib import ConfigError, apply_overrides, fail, from_mapping, load_toml

    flags = flags or {}
    try:
        data = load_toml(config_path) if config_path else {}
        data = apply_overrides(data, overrides)
        for section, key, message in RETIRED_KEYS:
            if isinstance(data.get(section), dict) and key in data[section]:
                fail(f"{section}.{key}: {message}")
        table = data.setdefault("gtp", {})
        if isinstance(table, dict):  # otherwise from_mapping names the bad [gtp]
            table.update({key: value for key, value in flags.items() if value is not None})
        config = from_mapping(_config_class(), data)  # checks the flags' values like any config field (nan, inf...)
    except ConfigError as exc:
        fail(str(exc))
    return config


def check_arguments(args: argparse.Namespace) -> None:
    """The checks that need no engine: board size, komi, and that --model names something that exists."""
    from zero.common.configlib import fail

    if args.size is not None and not 2 <= args.size <= 19:
        fail(f"--size must be in 2..19, got {args.size}")
    if not math.isfinite(args.komi) or abs(args.komi) > 1000:  # the range the GTP komi command accepts
        fail(f"--komi must be a number in -1000..1000, got {args.komi}")
    if args.model is not None:
        from zero.nn.shipped import ModelSpecError, resolve_model

        try:
            resolve_model(args.model)
        except ModelSpecError as exc:
            fail(f"--model {exc}")
    if args.threads is not None and args.threads < 1:
        fail(f"--threads must be >= 1, got {args.threads}")


def build_engine(args: argparse.Namespace):
    """A GoGtpEngine from parsed arguments (config, then the networks: --model's, the shipped ones or none); sets the thread counts."""
    from zero.common.configlib import fail
    from zero.common.cpu_threads import available_cores, passive_openmp_waits, set_threads
    from zero.nn.shipped import model_label, resolve_model, shipped_names

    passive_openmp_waits()  # before torch loads: a spinning OpenMP thread on a busy core makes genmove 20x slower
    check_arguments(args)
    config = load_gtp_config(args)
    given = resolve_model(args.model) if args.model is not None else None
    shipped = args.model is None
    torch_too = given is not None or (shipped and bool(shipped_names()))
    threads = set_threads(config.gtp.threads or available_cores(), torch_too=torch_too)
    from zero.gtp.engine import GoGtpEngine
    from zero.gtp.networks import BoardNetworks

    def load(path, name: str, is_shipped: bool, board_size: int = 0):
        return load_network(path, name, args, config.search.leaves_per_step, shipped=is_shipped, board_size=board_size)

    cross_size = config.gtp.cross_size
    if given is not None:
        name = model_label(given)  # a shipped name, or the path as given
        is_shipped = name != str(given)
        try:
            networks = BoardNetworks(
                fixed=load(given, name, is_shipped),
                other_size=(lambda size: load(given, name, is_shipped, size)) if cross_size else None,
            )
        except (OSError, ValueError) as exc:  # CheckpointError is a ValueError
            fail(f"--model {args.model}: {exc}")
    elif shipped:
        networks = BoardNetworks(
            loader=lambda size: load_shipped(size, load),
            other_size=(lambda size: load_nearest_shipped(size, load)) if cross_size else None,
        )
    else:
        networks = BoardNetworks()
    size = networks.initial_size(args.size)
    if not networks.accepts(size):
        trained = networks.fixed.board_size
        fail(f"--size {size}: --model's network plays {trained}x{trained} only (gtp.cross_size=false)")
    try:
        networks.load(size)  # the start-up size now, so that the first genmove pays no loading
    except (OSError, ValueError) as exc:  # CheckpointError is a ValueError
        fail(f"the network for {size}x{size}: {exc}")
    note = networks.note(size)
    if note:
        networks.mark_noted(size)  # the start-up line says it
    engine = GoGtpEngine(
        params=config.gtp,
        search_params=config.search,
        time_params=config.time,
        networks=networks,
        size=size,
        komi=args.komi,
        superko=args.superko,
    )
    print(f"zero gtp: {describe_engine(networks.load(size), threads, config, note)}", file=sys.stderr, flush=True)
    return engine


def load_network(
    path, name: str, args: argparse.Namespace, leaves_per_step: int, *, shipped: bool, board_size: int = 0
):
    """A LoadedNetwork for the checkpoint at ``path`` on --device at --precision, warmed up, playing ``board_size``
    (0: the size it was trained on); CheckpointError if unusable."""
    from zero.gtp.networks import LoadedNetwork
    from zero.nn.checkpoint import load_checkpoint
    from zero.nn.inference import NetworkEvaluator

    checkpoint = load_checkpoint(path)
    trained_size = checkpoint.shape.board_size
    other_size = board_size not in (0, trained_size)
    if other_size:
        checkpoint = checkpoint.for_board_size(board_size)
    evaluator = NetworkEvaluator.from_loaded(checkpoint, device=args.device, precision=args.precision)
    warm_up(evaluator, leaves_per_step)
    trained = trained_size if other_size else 0
    return LoadedNetwork(
        evaluator, name, checkpoint.step, checkpoint.model_version, shipped=shipped, trained_size=trained
    )


def load_shipped(size: int, load):
    """The shipped network of board size ``size`` through ``load(path, name, shipped)``, or None where there is none."""
    from zero.nn.shipped import shipped_model, shipped_name

    path = shipped_model(size)
    if path is None:
        return None
    loaded = load(path, shipped_name(size), True)
    if loaded.board_size != size:
        raise ValueError(f"{path}: the network plays {loaded.board_size}x{loaded.board_size}, not {size}x{size}")
    return loaded


def load_nearest_shipped(size: int, load):
    """The shipped network of the board size nearest ``size`` (the larger of two as near), playing ``size``, through
    ``load(path, name, shipped, board_size)``; None where this install ships none."""
    from zero.nn.shipped import shipped_model, shipped_name, shipped_sizes

    sizes = shipped_sizes()
    if not sizes:
        return None
    nearest = min(sizes, key=lambda trained: (abs(trained - size), -trained))
    return load(shipped_model(nearest), shipped_name(nearest), True, size)


def warm_up(network, leaves_per_step: int) -> None:
    """One evaluation at batch 1 and at the search's batch, so the first genmove does not pay the backend's set-up."""
    import numpy as np

    shape = network.shape
    planes = np.zeros((max(1, leaves_per_step), shape.in_channels, shape.board_size, shape.board_size), np.float32)
    network.evaluate(planes[:1])
    network.evaluate(planes)
    network.restart_fidelity_check()  # empty planes: not one of the positions the bf16 check should judge


def describe_engine(loaded, threads, config, note: str | None = None) -> str:
    """The start-up line: what plays (a LoadedNetwork, or None and why), on which device, at which precision, with how many threads."""
    search = f"visits {config.gtp.visits}, leaves_per_step {config.search.leaves_per_step}"
    if loaded is None:
        what = note or "random-rollout MCTS (no network)"
        return f"{what}, device cpu, {threads.describe()}, {search}"
    network = loaded.evaluator
    net = f"{loaded.name} {network.config.blocks}x{network.config.channels} step {loaded.step} v{network.model_version}"
    if loaded.other_size:
        T, N = loaded.trained_size, loaded.board_size
        net += f" trained on {T}x{T}, playing {N}x{N} (weaker than on its own size; see gtp.cross_size)"
    # precision: what the next call runs in (auto on a CPU: float32 until the fidelity check passes, and below CPU_MIN_REDUCED_BATCH)
    precision = f"precision {network.precision}"
    if network.awaited_precision:
        precision += f" until the network passes the {network.awaited_precision} fidelity check"
    precision += f", memory format {network.memory_format}"
    return f"network {net}, device {network.device}, {precision}, {threads.describe()}, {search}"


class _EngineLoader:
    """Builds the engine in a background thread; ``engine()`` waits for it. A failure exits the process with status 2."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._done = threading.Event()
        self._engine = None
        threading.Thread(target=self._build, args=(args,), name="gtp-engine-loader", daemon=True).start()

    def _build(self, args: argparse.Namespace) -> None:
        try:
            self._engine = build_engine(args)
        except SystemExit as exc:  # fail(): the one-line error is on stderr already
            sys.stderr.flush()
            os._exit(int(exc.code) if isinstance(exc.code, int) else 2)
        except Exception as exc:  # a bug: one line, not a traceback from a thread the client never sees
            print(f"zero: error: cannot start the engine: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            os._exit(2)
        self._done.set()

    def engine(self):
        self._done.wait()
        return self._engine


def _starting_engine_class():
    from zero.gtp.protocol import GtpEngine, clean_line, split_tokens

    class StartingEngine(GtpEngine):
        """Answers name/version/protocol_version while the engine loads; hands every other line to the engine."""

        ANSWERED_AT_ONCE = ("name", "version", "protocol_version")

        def __init__(self, loader: _EngineLoader) -> None:
            super().__init__()
            self._loader = loader
            self._engine = None

        def handle_line(self, raw: str, write=None):
            if self._engine is None:
                tokens = split_tokens(clean_line(raw))
                if tokens and tokens[0].isascii() and tokens[0].isdigit():  # a command id, as the protocol reads it
                    tokens = tokens[1:]
                if not tokens or tokens[0] in self.ANSWERED_AT_ONCE:
                    return super().handle_line(raw, write)
                self._engine = self._loader.engine()
                self._engine.wait_for_input = self.wait_for_input  # streaming commands watch the same input queue
            reply = self._engine.handle_line(raw, write)
            self.quit_requested = self._engine.quit_requested
            return reply

    return StartingEngine


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s"
    )
    check_arguments(args)
    loader = _EngineLoader(args)
    front = _starting_engine_class()(loader)
    code = front.serve(sys.stdin, sys.stdout)
    # Input may end before any command needed the engine (`zero gtp gtp.visits=0 < /dev/null`): a settings error
    # still exits with status 2 and its one line, not 0 in silence.
    loader.engine()
    # Every reply is out: leave without the interpreter's teardown of the native thread pools (torch's, Numba's
    # OpenMP, first used on the engine-loader thread), which aborted 2 of 4 CI runs' engines after `quit`
    # ("terminate called without an active exception", exit -6). The exit handlers (logging, temporary copies of
    # shipped networks) still run.
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)
