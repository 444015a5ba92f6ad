"""`zero bench search`: batched search simulations per second with the uniform evaluator on one core (mcts + games.go); imports numba-using modules only inside run()."""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from zero.bench import report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=9, help="board size N, default 9")
    parser.add_argument("--batch", type=int, default=64, help="games searched together (B), default 64")
    parser.add_argument("--simulations", type=int, default=800, help="simulations per move, default 800")
    parser.add_argument("--leaves", type=int, default=8, help="leaves per tree per step (virtual loss), default 8")
    parser.add_argument(
        "--repeats", type=int, default=3, help="searches measured after a warm-up one; the median is reported"
    )
    parser.add_argument(
        "--opening", type=int, default=10, help="random moves played in each game before searching, default 10"
    )
    parser.add_argument(
        "--game",
        choices=("go", "null"),
        default="go",
        help="go: real board replay and planes; null: constant leaf inputs (search cost alone)",
    )
    parser.add_argument(
        "--root", choices=("puct", "gumbel"), default="puct", help="root action choice (search.root), default puct"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the openings and the root noise")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


class _NullGame:
    """A SearchGame whose leaves all look like the first root (legal everywhere, never terminal): isolates the search's own cost."""

    def __init__(self, inner, max_leaves: int):
        import numpy as np

        self.num_actions = inner.num_actions
        self.plane_shape = inner.plane_shape
        self._roots = inner.root_inputs()
        self._planes = np.repeat(self._roots[0][:1], max_leaves, axis=0)
        self._legal = np.ones((max_leaves, self.num_actions), np.bool_)
        self._terminal = np.zeros(max_leaves, np.bool_)
        self._value = np.zeros(max_leaves, np.float32)

    def root_inputs(self):
        return self._roots

    def leaf_inputs(self, root_index, paths, path_length):
        n = root_index.shape[0]
        return self._planes[:n], self._legal[:n], self._terminal[:n], self._value[:n]


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from games.go import GoSearchBatch, new_game
    from mcts import BatchedSearch, SearchParams, UniformEvaluator
    from zero.common.configlib import fail

    if not 2 <= args.size <= 19:
        fail(f"--size must be in 2..19, got {args.size}")
    for name in ("batch", "simulations", "leaves", "repeats"):
        if getattr(args, name) < 1:
            fail(f"--{name} must be >= 1, got {getattr(args, name)}")
    rng = np.random.default_rng(args.seed)
    games = []
    for _ in range(args.batch):
        game = new_game(args.size)
        for _ in range(args.opening):
            moves = game.legal_moves()[:-1]  # no pass: keep the game going
            if moves:
                game.play(int(rng.choice(moves)))
        games.append(game)
    game = GoSearchBatch(games)
    if args.game == "null":
        game = _NullGame(game, args.batch * args.leaves)
    evaluator = UniformEvaluator(game.num_actions)
    params = SearchParams(simulations=args.simulations, leaves_per_step=args.leaves, root=args.root)
    search = BatchedSearch(params, batch_size=args.batch, num_actions=game.num_actions, seed=args.seed)
    search.run(game, evaluator, add_noise=True, simulations=min(args.simulations, 16))  # compile / load kernels
    runs = []
    for _ in range(args.repeats):
        search.reset()
        search.steps = 0
        for key in search.timing:
            search.timing[key] = 0.0
        start = time.perf_counter()
        result = search.run(game, evaluator, add_noise=True)
        elapsed = time.perf_counter() - start
        sims = int(result.simulations.sum())
        t = search.timing
        python = t["step"] - t["select"] - t["leaf_inputs"] - t["evaluate"] - t["expand"]
        runs.append(
            {
                "simulations_per_s": sims / elapsed,
                "us_per_simulation": elapsed / sims * 1e6,
                "steps": search.steps,
                "python_us_per_step": python / search.steps * 1e6,
                "select_us_per_sim": t["select"] / sims * 1e6,
                "leaf_inputs_us_per_sim": t["leaf_inputs"] / sims * 1e6,
                "evaluate_us_per_sim": t["evaluate"] / sims * 1e6,
                "expand_us_per_sim": t["expand"] / sims * 1e6,
            }
        )
    out = {
        "size": args.size,
        "batch": args.batch,
        "simulations": args.simulations,
        "leaves": args.leaves,
        "game": args.game,
        "repeats": args.repeats,
    }
    for key in runs[0]:
        out[key] = round(statistics.median(r[key] for r in runs), 2)
    out["tree_mb"] = round(search.tree.nbytes / 2**20, 1)
    out["threads"] = 1
    out["root"] = args.root
    out["machine"] = platform.machine()
    report(out, args.json)
    return 0
