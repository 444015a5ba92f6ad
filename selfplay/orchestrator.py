"""The training run on Ray: worker actors, completion-order collection with a cap on work in flight, the train ratio, weight versions, checkpoints, evaluation; imports ray.

Loop (one driver process; the trainer runs here, on the GPU when there is one):

1. submit self-play tasks while fewer than ``num_workers * tasks_in_flight_per_worker``
   are in flight and the trainer owes fewer than ``max_train_lag`` positions;
2. ``ray.wait`` for the first finished task (completion order), add its games to the
   replay window (shards on disk), SGF samples to sgf/, counters to metrics.jsonl;
3. train while the trainer owes samples (``train_samples_per_new_sample`` per new
   position), publishing weights every ``steps_per_version`` steps (one ``ray.put``
   per version) and checkpointing every ``checkpoint_every_steps`` (model, optimizer,
   step, version, RNG and the run counters, all written atomically);
4. with ``selfplay.resign_calibrate``, played-out games feed a ResignCalibrator
   (selfplay.resign) whose threshold goes to the workers with each task (resignation is
   off until it has evidence; the evidence is checkpointed, so a resumed run keeps it);
5. every ``arena.every_versions`` versions, an arena task plays the new network
   against the previous version and the random-rollout MCTS baseline (Elo table), and
   every ``arena.gnugo_every_versions`` a GNU Go rung gives an anchored Elo (selfplay.evaluations).

A new run may start from another network's weights (``init_from``, `zero train --init-from`; checked
by selfplay.resume): its step-0 checkpoint is written at once, before Ray starts, so the run's version
0 is that network and a resume finds it; the origin goes into config.toml, metrics.jsonl and every checkpoint.

Resume: the same command on the same run directory reloads the newest complete checkpoint
(selfplay.resume, which refuses a config that does not fit the run before anything is written)
and the replay shards, and says so in one line; each collected task's positions are written as an atomic shard
at once, so ``kill -9`` loses at most the games in flight and the steps since the last
checkpoint (Ctrl-C and SIGTERM write a checkpoint first). The trainer gets the CPU threads the
local workers leave free. A worker actor that dies is restarted by Ray
(max_restarts=-1); its lost task is resubmitted.

On a cluster (selfplay.cluster): every ``FOLLOW_CLUSTER_S`` the loop reads which nodes are
alive; a dead node's workers are dropped with their games in flight (a ``node_lost``
record), and the pool is refilled to ``run.num_workers``, or with "auto" to what the live
nodes hold (``workers`` records), so the worker count comes back when a node joins. A
worker that keeps failing is retired; the run stops only when no worker is left to retire to.
"""

from __future__ import annotations

import math
import os
import re
import signal
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import ray

from selfplay.actors import SelfPlayActor
from selfplay.arena import EloTable
from selfplay.cluster import TrainerSeat, WorkerPool, alive_nodes
from selfplay.config import RunConfig, config_to_mapping, config_to_toml
from selfplay.evaluations import RunEvaluations
from selfplay.learner import Learner
from selfplay.progress import RunCounters, RunProgress, how_ended
from selfplay.records import GameRecord, mean_policy_surprise
from selfplay.resign import ResignCalibrator
from selfplay.resume import describe_origin, discard_unfinished_start, plan_resume, seed_replay
from selfplay.rundir import RunDir
from zero.common.atomic_files import atomic_write_bytes, atomic_write_text
from zero.common.malloc import tune_malloc
from zero.common.metrics import MetricsLog
from zero.common.provenance import package_version, source_commit
from zero.learn.train import TrainingDiverged

MAX_FAILURES_IN_A_ROW = 5  # a worker that dies this often without one result is broken, not unlucky
MAX_UNAVAILABLE_S = 300.0  # a worker restarting for longer than this is broken
RESTART_BACKOFF_S = 1.0  # pause before sending a task to a worker that just died
CALIBRATOR_STATE = "resign_calibrator"  # key of the ResignCalibrator's evidence in a checkpoint's run state
FOLLOW_CLUSTER_S = 2.0  # how often the loop checks for nodes lost and capacity gained
PLACEMENT_WAIT_S = 10.0  # at the end, how long to wait for the workers whose node is not known yet
# A start whose first self-play games have not ended by then says why the bar stands still: 19x19 games at 64 per
# worker take minutes before the first one ends (configs/go19_cpu.toml: about 6).
FIRST_GAMES_NOTICE_S = 60.0


class WorkerFailure(RuntimeError):
    """A self-play worker keeps dying (e.g. it cannot import the project on a cluster node), or a task raised."""


def _error_line(exc: BaseException) -> str:
    """One line for a task's error: the worker's own exception (type: message), not Ray's wrapper and traceback."""
    cause = getattr(exc, "cause", None)  # RayTaskError carries the exception the task raised
    if isinstance(cause, BaseException):
        text = str(cause).strip()
        name = type(cause).__name__
    else:
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        text = lines[-1] if lines else ""  # a Python traceback ends with "Type: message"
        name = type(exc).__name__
    first = text.splitlines()[0] if text else ""
    return f"{name}: {first}"[:300] if first else name


def _share_cores_with_workers(config: RunConfig) -> None:
    """Give the trainer the cores the local workers leave free: oversubscribed OpenMP threads spin and slow
    everything down many times over (measured: 40x on the 2-core dev machine)."""
    import torch

    if config.run.num_workers == "auto":  # the workers leave the trainer its seat on this node
        free = max(1, math.floor(config.run.trainer_cpus))
    else:
        free = (os.cpu_count() or 1) - math.ceil(config.run.num_workers * config.run.worker_cpus)
    torch.set_num_threads(max(1, min(torch.get_num_threads(), free)))


def start_ray(address: str | None, num_cpus: int | None = None) -> None:
    """Join the cluster at ``address``, or start an embedded local one (the default)."""
    if ray.is_initialized():
        return
    if address:
        # Workers on the cluster import this project: point them at the driver's checkout too (a no-op
        # where the package is installed on every node, which is the usual cluster setup).
        root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        ray.init(address=address, log_to_driver=True, runtime_env={"env_vars": {"PYTHONPATH": path}})
    else:
        # "local": a new in-process cluster even where `ray start` left its address in /tmp/ray (ray.init() would join that one)
        ray.init(address="local", num_cpus=num_cpus, include_dashboard=False, log_to_driver=True)


def run(
    config: RunConfig,
    run_dir: str | Path,
    *,
    address: str | None = None,
    selfplay_only: bool = False,
    source: str | None = None,
    init_from: str | None = None,
    replay_from: str | None = None,
) -> dict[str, Any]:
    """Run (or resume) a training run in ``run_dir``; returns a summary. ``selfplay_only`` plays games without training.
    ``init_from`` (a shipped name, a checkpoint or a run directory): a new run starting from that network's weights;
    ``replay_from`` (a run directory): and from the newest positions of its replay window."""
    rd = RunDir(Path(run_dir)).create()
    lock = rd.lock()  # before anything is written: a second process on the same directory stops here
    try:
        return _run_locked(config, rd, address, selfplay_only, source, init_from, replay_from)
    finally:
        lock.release()


def _run_locked(
    config: RunConfig,
    rd: RunDir,
    address: str | None,
    selfplay_only: bool,
    source: str | None,
    init_from: str | None = None,
    replay_from: str | None = None,
) -> dict[str, Any]:
    # a config that does not fit the run (or the --init-from source) stops here, before anything is written
    resume = plan_resume(config, rd, init_from=init_from, replay_from=replay_from)
    for warning in resume.warnings:
        print(f"zero: warning: {warning}", file=sys.stderr, flush=True)
    if resume.initial is not None:
        discard_unfinished_start(rd)
    atomic_write_text(rd.config, config_to_toml(config, source, resume.origin))
    if resume.replay_seed is not None:
        seed_replay(rd, resume.replay_seed)
    _share_cores_with_workers(config)
    learner = Learner(config, rd, train=not selfplay_only, resume=resume)
    if not selfplay_only:
        print(f"zero: trainer on {learner.trainer.describe()}; {tune_malloc().describe()}", file=sys.stderr, flush=True)
    counters = RunCounters.from_dict(learner.resume_state)
    if learner.resumed_from is not None:
        print(
            f"resuming {rd.root} from step {learner.step}, version {learner.version}, {counters.games} games, "
            f"{learner.replay_size} replay positions",
            file=sys.stderr,
            flush=True,
        )
    metrics = MetricsLog(rd.metrics)
    if resume.initial is not None:  # version 0 is the source network: checkpointed at once, so a resume finds it
        learner.save_checkpoint(run_state=counters.as_dict(), run_config=config_to_mapping(config))
        metrics.write("init_from", **resume.origin)
        print(
            f"zero: new run {rd.root} from {describe_origin(resume.origin)}: its weights, a fresh optimizer, step 0",
            file=sys.stderr,
            flush=True,
        )
    elo = EloTable.from_dict(counters.elo)
    start_ray(address)
    resources = ray.cluster_resources()
    metrics.write(  # what this (re)start ran on: CPU-hours, precision and source for a model card (selfplay.model_card)
        "start",
        step=learner.step,
        resumed=learner.resumed_from is not None,
        cpus=resources.get("CPU", 0.0),
        gpus=resources.get("GPU", 0.0),
        trainer=learner.trainer.describe(),
        source_commit=source_commit(),
        package_version=package_version(),
    )
    previous_handler = _stop_on_sigterm()  # after ray.init, whose own SIGTERM handler exits without a checkpoint
    orchestrator = _Loop(config, rd, learner, counters, metrics, elo, selfplay_only)
    try:
        return orchestrator.loop()
    finally:
        orchestrator.close()
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)


def _stop_on_sigterm():
    """Treat SIGTERM (plain ``kill``, a batch scheduler, ``docker stop``) like Ctrl-C: checkpoint, then stop.

    Returns the handler it replaced (None where none could be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None  # handlers can only be set from the main thread (a run started in a thread keeps Ray's)

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    return signal.signal(signal.SIGTERM, interrupt)


def resign_calibrator(sp, resume_state: dict[str, Any]) -> ResignCalibrator | None:
    """The run's ResignCalibrator with the evidence a resumed checkpoint kept (None without ``resign_calibrate``)."""
    if not sp.resign_calibrate:
        return None
    calibrator = ResignCalibrator(
        sp.resign_threshold, sp.resign_false_positive_target, sp.resign_min_evidence, sp.resign_min_moves
    )
    calibrator.load_state_dict(resume_state.get(CALIBRATOR_STATE))
    return calibrator


class _Loop:
    def __init__(self, config, rd, learner, counters, metrics, elo, selfplay_only) -> None:
        self.config: RunConfig = config
        self.rd: RunDir = rd
        self.learner: Learner = learner
        self.counters: RunCounters = counters
        self.metrics: MetricsLog = metrics
        self.elo: EloTable = elo
        self.selfplay_only = selfplay_only
        self.config_mapping = config_to_mapping(config)
        self.in_flight: dict[Any, int] = {}  # ObjectRef -> worker index
        self.failures_in_a_row: dict[int, int] = defaultdict(int)  # a worker that never succeeds is retired
        self.unavailable_in_a_row: dict[int, int] = defaultdict(int)
        self.retry_after: dict[int, float] = defaultdict(float)  # monotonic time before which worker i gets no new task
        self.last_placement: dict[str, int] = {}  # as last written to the metrics
        self.pool = self._start_pool()
        self.next_follow = 0.0  # monotonic time of the next look at the cluster's nodes
        self.version = learner.version
        self.weights_ref = ray.put(learner.numpy_weights())
        self.started = time.monotonic()
        self.awaiting_first_games = True  # no game has ended since this start (FIRST_GAMES_NOTICE_S)
        self.active_before = (
            counters.active_seconds
        )  # earlier starts of this run: the clock of max_minutes and the budget LR
        self.last_losses: dict[str, float] = {}
        self.samples_per_s = 0.0
        self.progress = RunProgress(
            config.run.progress,
            config.run.max_steps if not selfplay_only else config.run.max_games,
            initial=counters.games if selfplay_only else learner.step,
        )  # where the run stands
        self.last_checkpoint_step = learner.step
        self._writer = None  # TensorBoard writer for self-play and arena scalars (the trainer writes its own)
        self.resign = resign_calibrator(config.selfplay, learner.resume_state)
        self.evaluations = RunEvaluations(
            config,
            metrics,
            elo,
            learner.trainer.device.type,
            scalar=self._scalar,
            say=self.progress.write,
            on_elo=self._keep_elo,
            first=(self.version, self.weights_ref),
            time_left=self._time_left,
        )

    def _keep_elo(self, elo: EloTable) -> None:
        self.counters.elo = elo.as_dict()

    # ---- the cluster: workers, nodes, the trainer's seat ---------------------------
    def _start_pool(self) -> WorkerPool:
        run, arena = self.config.run, self.config.arena
        seat = None
        if run.num_workers == "auto":
            trainer_gpus = run.trainer_gpus if self.learner.trainer.device.type == "cuda" else 0.0
            seat = TrainerSeat(run.trainer_cpus, trainer_gpus)
        spare = 0  # an evaluation placed anywhere in the cluster needs room that "auto" would otherwise fill
        if run.num_workers == "auto" and arena.placement == "cluster" and arena.every_versions:
            shares = [
                arena.cpus / run.worker_cpus if run.worker_cpus else 0.0,
                arena.gpus / run.worker_gpus if run.worker_gpus else 0.0,
            ]
            spare = math.ceil(max(shares) - 1e-9)
        pool = WorkerPool(
            self._make_actor,
            fixed=None if run.num_workers == "auto" else run.num_workers,
            worker_cpus=run.worker_cpus,
            worker_gpus=run.worker_gpus,
            seat=seat,
            spare_workers=spare,
        )
        added = pool.fill(alive_nodes())
        self.metrics.write("workers", count=len(pool), added=added, lost=[], requested=run.num_workers)
        return pool

    def _make_actor(self, index: int):
        run = self.config.run
        return SelfPlayActor.options(
            num_cpus=run.worker_cpus, num_gpus=run.worker_gpus, scheduling_strategy="SPREAD"
        ).remote(self.config, index, run.seed + 1000 * (index + 1) + 17 * self.learner.version)

    def _follow_cluster(self) -> None:
        """Drop the workers of nodes that died (their games in flight are lost) and refill the pool to the capacity there is."""
        self.next_follow = time.monotonic() + FOLLOW_CLUSTER_S
        nodes = alive_nodes()
        self.pool.learn_nodes()
        self._write_placement()
        lost = self.pool.drop_lost(nodes)
        for node, workers in lost.items():
            tasks = [ref for ref, w in self.in_flight.items() if w in workers]
            for ref in tasks:
                del self.in_flight[ref]
            self.metrics.write(
                "node_lost", node=node, workers=workers, tasks_lost=len(tasks), workers_left=len(self.pool)
            )
            self.progress.write(f"node {node[:12]} lost with workers {workers}; {len(self.pool)} workers go on")
        added = self.pool.fill(nodes)
        if lost or added:
            gone = sorted(w for workers in lost.values() for w in workers)
            self.metrics.write(
                "workers", count=len(self.pool), added=added, lost=gone, requested=self.config.run.num_workers
            )

    def _write_placement(self) -> None:
        """A "placement" metric (node id -> workers known to run there) whenever it changes."""
        placement = self.pool.placement()
        if placement != self.last_placement:
            self.last_placement = placement
            self.metrics.write("placement", nodes=placement)

    def _give_up_on(self, worker: int, reason: str) -> None:
        """A worker that keeps failing is retired; the run stops only when it was the last one."""
        if len(self.pool) <= 1:
            raise WorkerFailure(reason)
        self.pool.retire(worker)
        self.metrics.write("worker_retired", worker=worker, reason=reason[:500], workers_left=len(self.pool))
        self.progress.write(f"{reason}; retired, {len(self.pool)} workers go on")

    # ---- stopping -------------------------------------------------------------------
    def _time_left(self) -> float | None:
        """Seconds until run.max_minutes ends the run (None: no time budget)."""
        minutes = self.config.run.max_minutes
        return minutes * 60 - self._active_seconds() if minutes else None

    def _done(self) -> bool:
        run = self.config.run
        left = self._time_left()
        if left is not None and left <= 0:
            return True
        if self.selfplay_only:
            return bool(run.max_games) and self.counters.games >= run.max_games
        if run.max_steps and self.learner.step >= run.max_steps:
            return True
        return bool(run.max_games) and self.counters.games >= run.max_games

    # ---- the train ratio -----------------------------------------------------------
    def _train_debt(self) -> float:
        """Training samples the trainer owes the self-play side (negative = ahead)."""
        if self.selfplay_only or self.config.run.train_samples_per_new_sample == 0:
            return 0.0
        if self.learner.replay_size < self.config.run.min_replay_positions:
            return 0.0
        return self.config.run.train_samples_per_new_sample * self.counters.positions - self.counters.samples_trained

    def _can_submit(self) -> bool:
        cap = len(self.pool) * self.config.run.tasks_in_flight_per_worker
        if len(self.in_flight) >= cap:
            return False
        lag = self._train_debt() / max(self.config.run.train_samples_per_new_sample, 1e-9)
        return lag < self.config.run.max_train_lag

    def _submit(self) -> None:
        per_worker = {i: 0 for i in self.pool.actors}
        for w in self.in_flight.values():
            per_worker[w] += 1
        now = time.monotonic()
        for i in sorted(per_worker, key=per_worker.get):
            if not self._can_submit() or per_worker[i] >= self.config.run.tasks_in_flight_per_worker:
                continue
            if now < self.retry_after[i]:  # restarting: give Ray a moment before the next task
                continue
            threshold = self.resign.threshold if self.resign is not None else None
            ref = self.pool.actors[i].play.remote(
                self.version, self.weights_ref, self.config.selfplay.games_per_task, threshold
            )
            self.in_flight[ref] = i
            per_worker[i] += 1

    # ---- the loop -------------------------------------------------------------------
    def loop(self) -> dict[str, Any]:
        try:
            return self._loop_and_finish()
        except TrainingDiverged as exc:  # nothing of the diverged network is saved or sent to a worker
            self.learner.flush()
            self.metrics.write("diverged", step=self.learner.step, error=str(exc))
            raise TrainingDiverged(f"{exc}; {self._kept_checkpoint()}") from None

    def _loop_and_finish(self) -> dict[str, Any]:
        try:
            self._loop()
        except KeyboardInterrupt:
            self._checkpoint()  # Ctrl-C keeps the steps since the last checkpoint
            self.learner.flush()
            raise
        except WorkerFailure as exc:  # stop with one line, keeping the steps since the last checkpoint
            self._checkpoint()
            self.learner.flush()
            kept = "games kept in replay/" if self.selfplay_only else f"checkpoint saved at step {self.learner.step}"
            raise WorkerFailure(f"{exc} ({kept}; details in {self.rd.metrics})") from None
        self.evaluations.finish()
        self._checkpoint()
        self.learner.flush()
        return self._summary()

    def _kept_checkpoint(self) -> str:
        """Which checkpoint a stopped run leaves as 'latest' (every checkpoint written is finite)."""
        from zero.nn.checkpoint import list_checkpoints, resolve_checkpoint_path

        if not list_checkpoints(self.rd.checkpoints):
            return "no checkpoint was written"
        latest = resolve_checkpoint_path(self.rd.checkpoints)
        return f"latest is still {latest.stem}, the last finite checkpoint"

    def _loop(self) -> None:
        while not self._done():
            if time.monotonic() >= self.next_follow:
                self._follow_cluster()
            if self.awaiting_first_games and time.monotonic() - self.started >= FIRST_GAMES_NOTICE_S:
                self._say_awaiting_first_games()
            self._submit()
            waiting = list(self.in_flight) + self.evaluations.waiting()
            debt = self._train_debt()
            batch = self.learner.batch_size
            timeout = 0.0 if debt >= batch else 1.0
            if waiting:
                ready, _ = ray.wait(waiting, num_returns=1, timeout=timeout)
            else:
                ready = []
                if debt < batch:
                    time.sleep(0.2)  # every worker is restarting and there is nothing to train
            for ref in ready:
                if ref in self.in_flight:
                    self._collect(ref)
                else:
                    self.evaluations.collect(ref)
            if self._train_debt() >= batch:
                self._train_chunk()

    def _collect(self, ref) -> None:
        worker = self.in_flight.pop(ref)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            self._follow_cluster()  # a node that died takes its workers with it: not their failure
            if worker in self.pool.actors:
                self._worker_died(worker, exc)
            return
        except ray.exceptions.RayError as exc:  # the task raised (RayTaskError), or its error could not be read back
            line = _error_line(exc)
            details = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))[-20000:]  # Ray colours its traceback for terminals
            self.metrics.write("worker_error", worker=worker, error=line, traceback=details)
            raise WorkerFailure(f"self-play worker {worker} failed: {line}") from None
        self._collect_result(worker, result)

    def _worker_died(self, worker: int, exc: ray.exceptions.RayActorError) -> None:
        self.retry_after[worker] = time.monotonic() + RESTART_BACKOFF_S
        if isinstance(exc, ray.exceptions.ActorUnavailableError):
            # The actor is restarting (its process died): not a new failure; retry shortly, but not forever.
            self.unavailable_in_a_row[worker] += 1
            if self.unavailable_in_a_row[worker] == 1:  # first sign of this restart: its task's games are lost
                self.counters.worker_restarts += 1
                self.metrics.write("worker_lost", worker=worker, error=type(exc).__name__, message="restarting")
                self.progress.write(f"self-play worker {worker} died; Ray restarts it and the run goes on")
            if self.unavailable_in_a_row[worker] * RESTART_BACKOFF_S > MAX_UNAVAILABLE_S:
                self._give_up_on(
                    worker, f"self-play worker {worker} unavailable for over {MAX_UNAVAILABLE_S:.0f}s: {exc}"
                )
            return
        self.counters.worker_restarts += 1
        self.failures_in_a_row[worker] += 1
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        self.metrics.write("worker_lost", worker=worker, error=type(exc).__name__, message=first_line[:500])
        if self.failures_in_a_row[worker] >= MAX_FAILURES_IN_A_ROW:
            self._give_up_on(
                worker,
                f"self-play worker {worker} failed {MAX_FAILURES_IN_A_ROW} times in a row; last error: {first_line[:300]}",
            )
            return
        self.progress.write(
            f"self-play worker {worker} died ({type(exc).__name__}); Ray restarts it and the run goes on"
        )

    def _say_awaiting_first_games(self) -> None:
        """Once per start: no game has ended yet, and what the run waits for (a long board game fills no bar for minutes)."""
        self.awaiting_first_games = False
        sp, run = self.config.selfplay, self.config.run
        waits = "" if self.selfplay_only else f"; training starts at {run.min_replay_positions} positions"
        self.progress.write(
            f"no self-play game has ended in the first {time.monotonic() - self.started:.0f} s: each self-play "
            f"worker ({len(self.pool)} in all) plays {sp.games_in_parallel} games at once and reports every "
            f"{sp.games_per_task} finished games{waits}"
        )

    def _collect_result(self, worker: int, result: dict[str, Any]) -> None:
        self.awaiting_first_games = False
        self.failures_in_a_row[worker] = self.unavailable_in_a_row[worker] = 0
        self.pool.seen_on(worker, result.get("node"))
        records: list[GameRecord] = result["records"]
        added = self.learner.add_records(records)
        self.learner.flush()  # on disk at once (atomic shard): kill -9 then loses only the games in flight
        self.counters.games += len(records)
        self.counters.positions += added
        for record in records:
            self.counters.resigned += int(record.resigned)
            if record.resign_disabled:
                self.counters.resign_disabled += 1
                self.counters.resign_false_positives += int(record.resign_false_positive)
            if self.resign is not None:
                self.resign.add(record)
            if record.sgf is not None:
                name = f"game-{self.counters.games:08d}-w{worker}-v{record.model_version}.sgf"
                atomic_write_bytes(self.rd.sgf / name, record.sgf)
        stats = result["stats"]
        surprise = mean_policy_surprise(records)
        self.metrics.write(
            "selfplay",
            worker=worker,
            pid=result["pid"],
            node=result.get("node"),
            version=result["version"],
            games=self.counters.games,
            positions=self.counters.positions,
            game_lengths=[r.num_positions for r in records],
            results=[r.result for r in records],
            ended=[how_ended(r) for r in records],
            resign_false_positive_rate=self._false_positive_rate(),
            resign_threshold=self.resign.threshold
            if self.resign is not None
            else self.config.selfplay.resign_threshold,
            worker_evals_per_s=stats["evals"] / max(stats["seconds"], 1e-9),
            worker_positions_per_s=stats["positions"] / max(stats["seconds"], 1e-9),
            mean_policy_surprise=surprise,
        )
        self._scalar("selfplay/games", self.counters.games)
        self._scalar("selfplay/mean_game_length", sum(r.num_positions for r in records) / max(len(records), 1))
        self._scalar("selfplay/worker_positions_per_s", stats["positions"] / max(stats["seconds"], 1e-9))
        if surprise is not None:
            self._scalar("selfplay/mean_policy_surprise", surprise)
        if self._false_positive_rate() is not None:
            self._scalar("selfplay/resign_false_positive_rate", self._false_positive_rate())
        if self.selfplay_only:
            self.progress.update(len(records))
        self._show()

    def _scalar(self, tag: str, value: float) -> None:
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.rd.tensorboard / "selfplay"))
        self._writer.add_scalar(tag, value, self.learner.step)

    def _false_positive_rate(self) -> float | None:
        """Share of played-out games whose winner would have resigned (None without any).

        Calibrated runs measure it on the calibrator's window at the current threshold (games played
        while resignation was off count too, and would dilute the run's counters); others use the counters.
        """
        if self.resign is not None:
            threshold = self.resign.threshold
            return self.resign.false_positive_share(threshold) if threshold > -1.0 else None
        if self.counters.resign_disabled == 0:
            return None
        return self.counters.resign_false_positives / self.counters.resign_disabled

    def _train_chunk(self) -> None:
        run = self.config.run
        steps_to_version = run.steps_per_version - self.learner.step % run.steps_per_version
        steps_to_checkpoint = run.checkpoint_every_steps - (self.learner.step - self.last_checkpoint_step)
        steps_owed = int(self._train_debt() // self.learner.batch_size)
        steps = max(1, min(steps_owed, steps_to_version, steps_to_checkpoint, 10))
        if run.max_steps:
            steps = min(steps, run.max_steps - self.learner.step)
        if steps <= 0:
            return
        self.learner.trainer.budget_used = self._budget_used()
        t0 = time.perf_counter()
        self.last_losses = self.learner.train(steps)
        self.samples_per_s = steps * self.learner.batch_size / max(time.perf_counter() - t0, 1e-9)
        self.counters.samples_trained += steps * self.learner.batch_size
        self.progress.update(steps)
        if self.learner.step % run.steps_per_version == 0:
            self._publish()
        if self.learner.step - self.last_checkpoint_step >= run.checkpoint_every_steps:
            self._checkpoint()
        self._show()

    def _publish(self) -> None:
        self.version += 1
        self.learner.version = self.version
        self.weights_ref = ray.put(self.learner.numpy_weights())
        self.metrics.write("version", version=self.version, step=self.learner.step)
        self.evaluations.start(self.version, self.weights_ref)

    def _checkpoint(self) -> None:
        if self.selfplay_only:
            return
        self.learner.flush()
        self.counters.active_seconds = self._active_seconds()
        self._snapshot_if_due()  # before the checkpoint, which then records it among the counters
        self.learner.save_checkpoint(run_state=self._run_state(), run_config=self.config_mapping)
        self.last_checkpoint_step = self.learner.step
        self.metrics.write("checkpoint", step=self.learner.step, version=self.version, replay=self.learner.replay_size)

    def _snapshot_if_due(self) -> None:
        """Keep these weights in snapshots/<m>min/ when a multiple m of run.snapshot_every_minutes has passed since
        the last snapshot (several passed between two checkpoints: one snapshot, named after the latest)."""
        every = self.config.run.snapshot_every_minutes
        if not every:
            return
        passed = int(self.counters.active_seconds // (every * 60))
        if passed <= self.counters.snapshots_due_done:
            return
        minutes = passed * every
        path = self.learner.save_snapshot(self.rd.snapshots / f"{minutes:g}min", run_config=self.config_mapping)
        self.counters.snapshots_due_done = passed
        self.metrics.write(
            "snapshot", minutes=minutes, step=self.learner.step, version=self.version, path=str(path.parent)
        )

    def _active_seconds(self) -> float:
        return self.active_before + time.monotonic() - self.started

    def _budget_used(self) -> float:
        """The fraction of ``run.max_minutes`` of active time spent, over every start of the run (0 without a budget)."""
        budget = self.config.run.max_minutes * 60
        return self._active_seconds() / budget if budget else 0.0

    def _run_state(self) -> dict[str, Any]:
        """What a checkpoint keeps of this loop: the counters and the resignation evidence."""
        state = self.counters.as_dict()
        if self.resign is not None:
            state[CALIBRATOR_STATE] = self.resign.state_dict()
        return state

    def _show(self) -> None:
        postfix = {
            "games": self.counters.games,
            "pos": self.counters.positions,
            "step": self.learner.step,
            "v": self.version,
        }
        if self.samples_per_s:
            postfix["samp/s"] = f"{self.samples_per_s:.0f}"
        for k, v in self.last_losses.items():
            if "loss" in k:
                postfix[k.replace("_loss", "").replace("loss_", "")] = f"{v:.3f}"
        best, chained = self.elo.latest(), self.elo.latest_chained()
        if best is not None:
            postfix["elo"] = f"{best:.0f}"  # against the rollout baseline, which a few minutes of go9_cpu saturate
            postfix["chain"] = f"{chained:.0f}"
        self.progress.set_postfix(postfix)

    def _summary(self) -> dict[str, Any]:
        return {
            "run_dir": str(self.rd.root),
            "step": self.learner.step,
            "version": self.version,
            "replay_size": self.learner.replay_size,
            "replay_total": self.learner.replay_total,
            **self.counters.as_dict(),
        }

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.progress.close()
        self.learner.close()
        self.pool.learn_nodes(wait_s=PLACEMENT_WAIT_S)  # a short run may end before a slow node's worker answered
        self._write_placement()
        self.pool.close()
