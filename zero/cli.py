"""The `zero` command line: parses arguments and dispatches to one module per subcommand (heavy imports happen inside each run())."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each subcommand module defines ``add_arguments(parser)`` (cheap, no torch/ray import)
# and ``run(args) -> int``. Adding a subcommand is one line here and one module.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("zero.commands.train", "self-play training run (Ray in-process, or --address for a cluster)"),
    "selfplay": ("zero.commands.selfplay", "generate self-play games only"),
    "config": ("zero.commands.config", "print the effective, commented config"),
    "gtp": ("zero.commands.gtp", "run the GTP engine on stdin/stdout"),
    "match": ("zero.commands.match", "play games between two GTP engines"),
    "analysis": ("zero.commands.analysis", "KataGo's JSON analysis engine on stdin/stdout"),
    "plot": ("zero.commands.plot", "PNG of a run's Elo and losses over minutes and games"),
    "ladder": ("zero.commands.ladder", "rate a model against random, MCTS and GNU Go levels (anchored Elo)"),
    "loss": ("zero.commands.loss", "networks' training losses on a replay's newest positions (held-out prediction)"),
    "average": ("zero.commands.average", "one checkpoint whose weights are the mean of several of one network's"),
    "export": (
        "zero.commands.export",
        "ship a run's network: weights, model card and training curve into zero/nn/models",
    ),
}
BENCHMARKS: dict[str, tuple[str, str]] = {
    "board": ("zero.bench.board", "light random playouts per second"),
    "search": ("zero.bench.search", "batched search simulations per second"),
    "network": ("zero.bench.network", "network evaluations and training samples per second"),
    "selfplay": ("zero.bench.selfplay", "self-play games, positions and evaluations per second"),
    "learner": (
        "zero.bench.learner",
        "new samples per second one trainer takes in at the train ratio; weights broadcast time",
    ),
    "gtp": (
        "zero.bench.gtp",
        "GTP move time: ms per genmove, visits/s, efficiency against the raw network; start-up time",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zero", description="AlphaGo Zero-style self-play engine for Go.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        _add(sub, name, module, help_text)
    bench = sub.add_parser("bench", help="measure speed (prints a table, or one JSON object with --json)")
    bench_sub = bench.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, (module, help_text) in BENCHMARKS.items():
        _add(bench_sub, name, module, help_text)
    return parser


def _add(sub: argparse._SubParsersAction, name: str, module: str, help_text: str) -> None:
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return  # not built yet: the subcommand is simply not offered
    p = sub.add_parser(name, help=help_text, description=help_text)
    mod.add_arguments(p)
    p.set_defaults(_run=mod.run)


def parse_arguments(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """``parser.parse_args``, except that KEY=VALUE overrides may stand anywhere among a command's options.

    argparse takes a ``nargs="*"`` positional from its first run of arguments only, so in
    ``zero gtp gtp.random_moves=8 --model go13 gtp.ponder=false`` the second override was refused as unrecognized.
    Arguments argparse leaves over are the command's overrides, in the order given (a later one wins), where the
    command takes overrides and none of them is an option."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        if not hasattr(args, "overrides") or any(extra.startswith("-") for extra in extras):
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        args.overrides = [*(args.overrides or []), *extras]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(build_parser(), argv)
    from zero.common.process_setup import set_up_network_process

    set_up_network_process()  # before the first tensor: every command may run a network on the CPU
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("zero: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
