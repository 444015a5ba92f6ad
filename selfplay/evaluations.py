"""The run's evaluations beside self-play: arena tasks (each new version against the previous one and the rollout baseline: the Elo table) and the periodic GNU Go rung (anchored Elo); imports ray."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from selfplay.actors import arena_task, gnugo_rung_task
from selfplay.arena import EloTable
from selfplay.config import RunConfig
from zero.common.metrics import MetricsLog

FINISH_WAIT_S = 300.0  # how long the end of a run waits for evaluations still running


class RunEvaluations:
    """Starts an arena task every ``arena.every_versions`` versions and a GNU Go rung every
    ``arena.gnugo_every_versions`` (one at a time), and turns their results into metrics records,
    TensorBoard scalars, progress lines and the Elo table kept in the run's counters."""

    def __init__(
        self,
        config: RunConfig,
        metrics: MetricsLog,
        elo: EloTable,
        trainer_device: str,
        scalar: Callable[[str, float], None],
        say: Callable[[str], None],
        on_elo: Callable[[EloTable], None],
        first: tuple[int, Any],
        time_left: Callable[[], float | None] = lambda: None,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.elo = elo
        self.trainer_device = trainer_device
        self.scalar = scalar  # TensorBoard
        self.say = say  # a line above the progress bar
        self.on_elo = on_elo  # the Elo table changed (the run keeps it in its counters)
        self.arena_in_flight: dict[Any, tuple[int, float]] = {}  # ObjectRef -> (version evaluated, monotonic start)
        self.rung_in_flight: dict[Any, int] = {}  # ObjectRef -> version playing the GNU Go rung
        self.previous = first  # (version, weights ref) the next arena compares against
        # An arena is not started when the last one took longer than the run has left (run.max_minutes): the end of
        # a run waits for its arenas, and a 19x19 arena takes minutes (BENCHMARKS.md, session 28: go19a).
        self.time_left = time_left  # seconds until the run's time budget ends; None: no budget
        self.last_arena_seconds: float | None = None  # how long the last arena collected took

    def waiting(self) -> list:
        """The evaluations in flight (ObjectRefs), for the run's ``ray.wait``."""
        return list(self.arena_in_flight) + list(self.rung_in_flight)

    def start(self, version: int, weights_ref: Any) -> None:
        """Start what is due for a newly published ``version``."""
        arena = self.config.arena
        if arena.every_versions and version % arena.every_versions == 0 and self._arena_fits(version):
            prev_version, prev_ref = self.previous
            options, device = self.placement()
            ref = arena_task.options(**options).remote(
                self.config,
                version,
                weights_ref,
                prev_version,
                prev_ref,
                self.config.run.seed + version,
                device,
                max(1, math.floor(arena.cpus)),
            )
            self.arena_in_flight[ref] = (version, time.monotonic())
            self.previous = (version, weights_ref)
        if arena.gnugo_level >= 0 and version % arena.gnugo_every_versions == 0 and not self.rung_in_flight:
            options, _ = self.placement()  # where the arena plays; the rung's engines run on the CPU
            ref = gnugo_rung_task.options(**options).remote(
                self.config, version, weights_ref, self.config.run.seed + version
            )
            self.rung_in_flight[ref] = version

    def _arena_fits(self, version: int) -> bool:
        """Whether an arena started now is expected to end within the run's time budget (by the last one's duration);
        if not, says so: the version goes unevaluated and the next arena compares against the last one evaluated."""
        left = self.time_left()
        if left is None or self.last_arena_seconds is None or left >= self.last_arena_seconds:
            return True
        self.metrics.write(
            "arena_skipped", version=version, seconds_left=left, last_arena_seconds=self.last_arena_seconds
        )
        self.say(
            f"arena: version {version} not evaluated: the last arena took {self.last_arena_seconds:.0f} s and the "
            f"run has {max(left, 0.0):.0f} s left"
        )
        return False

    def collect(self, ref) -> None:
        """A finished evaluation (one of ``waiting()``)."""
        if ref in self.rung_in_flight:
            self._collect_rung(ref)
        else:
            self._collect_arena(ref)

    def finish(self) -> None:
        """Wait for evaluations still running (they are short) so the final checkpoint holds the complete Elo table;
        a GNU Go rung still running then is cancelled (not worth holding the run's end)."""
        deadline = time.monotonic() + FINISH_WAIT_S
        while self.waiting() and time.monotonic() < deadline:
            ready, _ = ray.wait(self.waiting(), num_returns=1, timeout=max(deadline - time.monotonic(), 0))
            for ref in ready:
                self.collect(ref)
        for ref, version in list(self.rung_in_flight.items()):
            ray.cancel(ref, force=True)
            self.metrics.write("ladder_failed", version=version, error="cancelled at the end of the run")
        self.rung_in_flight.clear()

    def placement(self) -> tuple[dict[str, Any], str]:
        """Ray options and device of an evaluation task (arena.placement).

        trainer: pinned to the driver's node, on the trainer's device, inside the trainer's share
        (no CPU of its own: with every CPU held by workers such a task would never start);
        cluster: anywhere with arena.cpus CPUs and arena.gpus GPU, on CUDA when it holds a share."""
        arena = self.config.arena
        if arena.placement == "cluster":
            return {"num_cpus": arena.cpus, "num_gpus": arena.gpus}, "auto"
        node = ray.get_runtime_context().get_node_id()
        strategy = NodeAffinitySchedulingStrategy(node, soft=False)
        return {"num_cpus": 0, "num_gpus": 0, "scheduling_strategy": strategy}, self.trainer_device

    def _collect_rung(self, ref) -> None:
        """A finished GNU Go rung -> a ``ladder`` metrics record and TensorBoard scalars (anchored Elo when the level is rated)."""
        version = self.rung_in_flight.pop(ref)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self.metrics.write("ladder_failed", version=version, error=str(exc).strip().splitlines()[-1][:300])
            return
        self.metrics.write("ladder", **result)
        rung = result["rung"].replace(":", "_")
        self.scalar(f"ladder/win_rate_vs_{rung}", result["win_rate"])
        if result["anchored_elo"] is not None:
            self.scalar("ladder/anchored_elo", result["anchored_elo"])
        self.say(
            f"ladder: version {version} vs {result['rung']}: {result['wins']}/{result['games']} won"
            + (f", anchored Elo {result['anchored_elo']:.0f}" if result["anchored_elo"] is not None else "")
        )

    def _collect_arena(self, ref) -> None:
        version, started = self.arena_in_flight.pop(ref)
        self.last_arena_seconds = time.monotonic() - started
        try:
            result = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self.metrics.write("arena_failed", version=version, error=str(exc).splitlines()[0])
            return
        self.elo.add(result)
        self.on_elo(self.elo)
        self.metrics.write("arena", **result, elo_table=self.elo.table())
        self.scalar("arena/elo_vs_baseline", self.elo.rows[version]["vs_baseline"])
        self.scalar("arena/elo_chained", self.elo.rows[version]["chained"])
        self.say(self.elo.describe(version))
