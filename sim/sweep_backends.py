"""Where a sweep's runs execute: in this process, on a local process pool, or on Dask.

A *task* is one replication of one design point, sent as a plain dict (the resolved config as
a dict, never a path, so a worker needs no files): ``key``, ``config``, ``seed``,
``replication``, ``store`` (the tables to send back) and ``reporter`` (a progress callback, or
None). :func:`execute` runs it in a worker and never raises. Every backend offers the same
three methods: ``submit(task) -> future``, ``wait(futures) -> finished futures`` and
``close(cancel)``, plus ``slots`` (how many tasks run at once). The local pool is
:class:`sim.workers.Pool`: its workers exit with this process and report simulated days as
they go, handed to ``on_progress(key, days)`` while the sweep waits.
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback
from collections import deque
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from .config import Scenario
from .experiments import run_replication
from .workers import Pool

# Worker settings for Dask: the statistical profiler samples the computing thread's stack
# every 10 ms from the event-loop thread, which holds the GIL while it walks SimPy's deep
# generator stacks (see benchmarks/README_sweep.md for the measurements).
DASK_CONFIG = {"distributed.worker.profile.enabled": False,
               "distributed.worker.profile.interval": "1h",
               "distributed.worker.profile.cycle": "2h",
               "distributed.admin.system-monitor.gil.enabled": False}


def execute(task: dict) -> dict:
    """Run one replication (in a worker); never raises: a failure comes back with its traceback.

    Returns only small tables (the KPIs, plus the tables the experiment stores), so nothing
    big crosses the process or network boundary.
    """
    started, cpu = time.perf_counter(), time.process_time()
    out = {"key": task["key"], "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        cfg = Scenario.model_validate(task["config"])
        res = run_replication(cfg, task["seed"], task["replication"],
                              progress=task.get("reporter"),
                              yearly="yearly_kpis" in task["store"])
        out.update(ok=True, kpis={k: float(v) for k, v in res.kpis.items()},
                   tables={t: getattr(res, t) for t in task["store"] if t != "kpis"})
    except Exception as exc:  # noqa: BLE001 - isolating any model failure is the point
        out.update(ok=False, error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc())
    out["wall_seconds"] = time.perf_counter() - started
    out["cpu_seconds"] = time.process_time() - cpu  # whole worker process, all threads
    return out


def outcome(future) -> dict:
    """A finished task's result; a task that died in transit becomes a failed result."""
    try:
        return future.result()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "wall_seconds": math.nan,
                "traceback": "".join(traceback.format_exception(exc)), "worker": "?"}


class Serial:
    """Runs tasks one at a time in this process (workers=1; also the benchmark baseline)."""

    slots = 1

    def __init__(self, on_progress=None):
        self._order: deque = deque()
        self._on_progress = on_progress

    def submit(self, task: dict) -> Future:
        future = Future()
        if self._on_progress is not None:
            key, report = task["key"], self._on_progress
            task = {**task, "reporter": lambda days: report(key, days)}
        future.task = task
        self._order.append(future)
        return future

    def wait(self, futures) -> set:
        future = next(f for f in self._order if f in futures)
        self._order.remove(future)
        future.set_result(execute(future.task))
        return {future}

    def close(self, cancel: bool = False) -> None:
        self._order.clear()


class Local:
    """A local process pool (:class:`sim.workers.Pool`): workers exit if this process dies and
    report simulated days to ``on_progress``; a pool broken by a worker's hard death (killed,
    out of memory) is replaced."""

    def __init__(self, workers: int, on_progress=None):
        self.slots = workers
        self._on_progress = on_progress
        self._pool = Pool(workers, progress=on_progress is not None)

    def submit(self, task: dict) -> Future:
        task = {**task, "reporter": self._pool.reporter(task["key"])}
        try:
            return self._pool.submit(execute, task)
        except BrokenProcessPool:  # a worker died hard: start afresh
            self._pool.executor.shutdown(wait=False, cancel_futures=True)
            self._pool = Pool(self.slots, progress=self._on_progress is not None)
            return self._pool.submit(execute, task)

    def wait(self, futures) -> set:
        """The next finished future; progress reports are handed on while waiting."""
        return {next(self._pool.as_completed(futures, self._on_progress))}

    def close(self, cancel: bool = False) -> None:
        self._pool.executor.shutdown(wait=not cancel, cancel_futures=cancel)


def tune_worker(dask_worker=None) -> list[str]:
    """Stop the statistical profiler on a running worker (for clusters we did not start)."""
    stopped = []
    for name in ("profile", "profile-cycle"):
        pc = dask_worker.periodic_callbacks.get(name) if dask_worker is not None else None
        if pc is not None:
            pc.stop()
            stopped.append(name)
    return stopped


class Dask:
    """A Dask client: a LocalCluster we start ('local') or an existing scheduler address.

    Runs on other machines report no progress; the bar moves as each run finishes.
    """

    def __init__(self, address: str, workers: int | None):
        import logging

        import dask
        from distributed import Client, LocalCluster
        self.cluster = None
        with dask.config.set(DASK_CONFIG):
            if address == "local":
                self.cluster = LocalCluster(
                    n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                    processes=True, dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address)
                self.client.run(tune_worker)
        self.slots = max(1, sum(self.client.nthreads().values()))

    def submit(self, task: dict):
        return self.client.submit(execute, {**task, "reporter": None}, pure=False)

    def wait(self, futures) -> set:
        from distributed import wait
        return wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def backend(workers: int | None, dask: str | None, on_progress=None):
    """The backend for ``workers`` local processes (1: this process) or a Dask address."""
    if dask:
        return Dask(dask, workers)
    workers = workers or os.cpu_count() or 1
    return Serial(on_progress) if workers == 1 else Local(workers, on_progress)
