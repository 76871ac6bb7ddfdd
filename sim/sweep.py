"""Experiments at scale: scenarios x design points x replications, resumable, on many cores.

An experiment (``experiments/*.toml``, validated like a config) names a base config, scenarios
as *deltas* (dotted-key overrides, the paths of ``--set``), a replication rule (a number, or
``{auto = 0.05, kpis = [...], min, max}``: Hoad, Robinson & Davies 2010), a warm-up (days,
``{financial_years = N}`` or ``"auto"``: MSER-5 on a pilot run) and a design (see
:mod:`sim.designs`). Every (scenario, design point) pair is a *point*; every point is run for
each replication. With ``crn = true`` (the default) every point uses the experiment seed, so
replication r meets the same people and draws at every point (common random numbers); with
``crn = false`` each point gets its own seed derived from its id (independent streams).

:func:`run_sweep` sends each run (the resolved config as a dict, never a path) to a local
process pool, a Dask ``LocalCluster`` or an existing Dask scheduler, and writes each finished
run atomically as its own Parquet part ``runs/<point>__r<rep>__s<seed>.parquet``; rerunning into
the same folder skips finished parts (checked, so a damaged part is re-run), and a killed sweep
resumes to the same dataset. The folder is claimed and locked through :mod:`sim.outdir`: a
folder holding anything but this sweep is refused, and a second writer fails at once. A run that
raises is recorded in ``failures.parquet`` and the sweep goes on. At the end it writes
``kpis.parquet``, ``design.parquet``, ``analysis.json`` and ``manifest.json``; :func:`analyse`
recomputes the last from stored runs.

The experiment schema and its resolution live in :mod:`sim.sweep_spec`, the on-disk layout in
:mod:`sim.sweep_store`; this module is the run loop and the command line, and re-exports the
names of both so ``from sim.sweep import ...`` keeps working.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import socket
import sys
import time
import traceback
from collections import deque
from pathlib import Path

import pandas as pd

from . import designs, outdir
from .config import ConfigError, Scenario, with_overrides
from .designs import Param  # noqa: F401 - re-exported
from .results import KPI_DESCRIPTIONS  # noqa: F401 - re-exported
from .sweep_spec import (  # noqa: F401 - re-exported: sim.sweep is the public entry point
    _UNION_TAGS,
    NAME,
    TABLES,
    Analysis,
    AutoReplications,
    Design,
    Experiment,
    FinancialYears,
    ParameterRange,
    Plan,
    Point,
    ScenarioDelta,
    Spec,
    _config_path,
    _financial_year_warmup,
    _flatten,
    _format,
    _known_kpis,
    _params,
    load_experiment,
    point_seed,
    replication_plan,
    resolve,
)
from .sweep_store import (  # noqa: F401 - re-exported: sim.sweep is the public entry point
    PART,
    _atomic_parquet,
    _decide,
    _finish,
    _manifest,
    _read_kpis,
    _scan,
    _versions,
    _write_json,
    _write_run,
    damaged_message,
    run_key,
    scan_parts,
)


# --- running -------------------------------------------------------------------------------
def execute(task: dict) -> dict:
    """Run one replication (in a worker); never raises: a failure comes back with its traceback.

    Returns only small tables (the KPIs, plus the tables the experiment stores), so nothing
    big crosses the process or network boundary.
    """
    from .experiments import run_replication
    started, cpu = time.perf_counter(), time.process_time()
    out = {"key": task["key"], "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        cfg = Scenario.model_validate(task["config"])
        res = run_replication(cfg, task["seed"], task["replication"])
        out.update(ok=True, kpis={k: float(v) for k, v in res.kpis.items()},
                   tables={t: getattr(res, t) for t in task["store"] if t != "kpis"})
    except Exception as exc:  # noqa: BLE001 - isolating any model failure is the point
        out.update(ok=False, error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc())
    out["wall_seconds"] = time.perf_counter() - started
    out["cpu_seconds"] = time.process_time() - cpu  # whole worker process, all threads
    return out


class _Serial:
    """Runs tasks one at a time in this process (workers=1; also the benchmark baseline)."""

    slots = 1

    def __init__(self):
        self._order: deque = deque()

    def submit(self, task):
        from concurrent.futures import Future
        future = Future()
        future.task = task
        self._order.append(future)
        return future

    def wait(self, futures):
        future = next(f for f in self._order if f in futures)
        self._order.remove(future)
        future.set_result(execute(future.task))
        return {future}

    def close(self, cancel=False):
        self._order.clear()


class _Pool:
    """A local process pool: fork where the platform has it (fast start, and scripts need no
    ``if __name__ == "__main__"`` guard), spawn elsewhere; workers exit if this process dies
    (see :mod:`sim.workers`)."""

    def __init__(self, workers: int):
        self.slots = workers
        self._pool = self._new()

    def _new(self):
        from concurrent.futures import ProcessPoolExecutor

        from .workers import context, init_worker
        return ProcessPoolExecutor(max_workers=self.slots, mp_context=context(),
                                   initializer=init_worker, initargs=(os.getpid(),))

    def submit(self, task):
        from concurrent.futures.process import BrokenProcessPool
        try:
            return self._pool.submit(execute, task)
        except BrokenProcessPool:  # a worker died hard (killed, out of memory): start afresh
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new()
            return self._pool.submit(execute, task)

    def wait(self, futures):
        from concurrent.futures import FIRST_COMPLETED, wait
        return wait(futures, return_when=FIRST_COMPLETED).done

    def close(self, cancel=False):
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)


# Worker settings for Dask: the statistical profiler samples the computing thread's stack
# every 10 ms from the event-loop thread, which holds the GIL while it walks SimPy's deep
# generator stacks (see benchmarks/README_sweep.md for the measurements).
DASK_CONFIG = {"distributed.worker.profile.enabled": False,
               "distributed.worker.profile.interval": "1h",
               "distributed.worker.profile.cycle": "2h",
               "distributed.admin.system-monitor.gil.enabled": False}


def _tune_worker(dask_worker=None) -> list[str]:
    """Stop the statistical profiler on a running worker (for clusters we did not start)."""
    stopped = []
    for name in ("profile", "profile-cycle"):
        pc = dask_worker.periodic_callbacks.get(name) if dask_worker is not None else None
        if pc is not None:
            pc.stop()
            stopped.append(name)
    return stopped


class _Dask:
    """A Dask client: a LocalCluster we start ('local') or an existing scheduler address."""

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
                self.client.run(_tune_worker)
        self.slots = max(1, sum(self.client.nthreads().values()))

    def submit(self, task):
        return self.client.submit(execute, task, pure=False)

    def wait(self, futures):
        from distributed import wait
        return wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel=False):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _backend(workers: int | None, dask: str | None):
    if dask:
        return _Dask(dask, workers)
    workers = workers or os.cpu_count() or 1
    return _Serial() if workers == 1 else _Pool(workers)


def _result(backend, future) -> dict:
    try:
        return future.result()
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "wall_seconds": math.nan,
                "traceback": "".join(traceback.format_exception(exc)), "worker": "?"}



class _Sweep:
    """The run loop: queue, submit up to 2 tasks per slot, stream results to disk."""

    def __init__(self, plan: Plan, out: Path, backend, progress: bool):
        from tqdm.auto import tqdm
        self.plan, self.out, self.backend = plan, out, backend
        self.spec = plan.spec
        self.on_disk, self.damaged = scan_parts(out, _tables(self.spec))
        self.present: dict[str, dict[int, dict]] = {p.id: {} for p in plan.points}
        self.failed: dict[str, set[int]] = {p.id: set() for p in plan.points}
        self.launched = {p.id: 0 for p in plan.points}
        self.finished: set[str] = set()
        self.queue: deque = deque()
        self.failures: list[dict] = []
        self.done = self.skipped = 0
        self.auto = not isinstance(self.spec.replications, int)
        self.bar = tqdm(total=0, unit="run", desc=self.spec.name, disable=not progress,
                        dynamic_ncols=True)

    def want(self, point: Point, rep: int) -> None:
        self.launched[point.id] = max(self.launched[point.id], rep + 1)
        self.bar.total += 1
        key = run_key(point, rep)
        if key in self.on_disk:
            self.skipped += 1
            self.bar.update(1)
            if self.auto:
                self.present[point.id][rep] = _read_kpis(self.on_disk[key])
            return
        self.queue.append((point, rep))

    def advance(self, point: Point) -> None:
        """Auto replications: launch more for a point until the rule says it is done."""
        r, undecided = self.spec.replications, len(self.plan.points) - len(self.finished)
        while point.id not in self.finished:
            d = _decide(self.spec, self.present[point.id], self.failed[point.id])
            resolved = len(self.present[point.id]) + len(self.failed[point.id])
            if d["done"]:
                self.finished.add(point.id)
                return
            ahead = max(1, self.backend.slots // max(undecided, 1))
            if self.launched[point.id] >= r.max or self.launched[point.id] - resolved >= ahead:
                return
            self.want(point, self.launched[point.id])

    def run(self) -> None:
        first = self.spec.replications if not self.auto else self.spec.replications.min
        for point in self.plan.points:
            for rep in range(first):
                self.want(point, rep)
        if self.auto:
            for point in self.plan.points:
                self.advance(point)
        pending: dict = {}
        try:
            while self.queue or pending:
                while self.queue and len(pending) < 2 * self.backend.slots:
                    point, rep = self.queue.popleft()
                    task = {"key": run_key(point, rep), "point": point.id,
                            "scenario": point.scenario, "replication": rep, "seed": point.seed,
                            "config": self.plan.config(point), "store": self.spec.store}
                    pending[self.backend.submit(task)] = (point, rep)
                for future in self.backend.wait(set(pending)):
                    point, rep = pending.pop(future)
                    self.record(point, rep, _result(self.backend, future))
                    if self.auto:
                        self.advance(point)
        except BaseException:
            self.backend.close(cancel=True)
            raise
        finally:
            self.bar.close()

    def record(self, point: Point, rep: int, result: dict) -> None:
        self.bar.update(1)
        if result["ok"]:
            _write_run(self.out, point, rep, result)
            self.done += 1
            if self.auto:
                self.present[point.id][rep] = result["kpis"]
            return
        self.failed[point.id].add(rep)
        self.failures.append({"point": point.id, "scenario": point.scenario,
                              "replication": rep, "seed": point.seed,
                              "config": json.dumps(self.plan.config(point), default=str),
                              "error": result["error"], "traceback": result["traceback"]})
        self.bar.write(f"run {run_key(point, rep)} failed: {result['error']}")


def _pilot_warmup(plan: Plan, backend) -> tuple[float, dict]:
    """MSER-5 warm-up from pilot runs of the base scenario started empty (longer of two)."""
    spec = plan.spec
    base = plan.configs[spec.base_name]
    horizon = base.run.warmup_days + base.run.years * 365.25
    pilot = with_overrides(base, {"run.warmup_days": 0.0, "run.years": horizon / 365.25})
    tasks = [{"key": f"pilot__r{r}", "replication": r, "seed": spec.seed, "store": ["daily"],
              "config": pilot.model_dump(mode="json")} for r in range(spec.pilot_replications)]
    futures = {backend.submit(t) for t in tasks}
    results = []
    while futures:
        done = backend.wait(futures)
        futures -= done
        results += [_result(backend, f) for f in done]
    bad = [r for r in results if not r["ok"]]
    if bad:
        raise RuntimeError(f"warm-up pilot run failed:\n{bad[0]['traceback']}")
    daily = pd.concat([r["tables"]["daily"] for r in results])
    daily = daily[daily["day"] < math.floor(horizon)]
    wide = daily.pivot_table(index="day", columns="series", values="count", aggfunc="mean")
    acute = designs.mser5(wide["acute_treatment"] + wide["acute_delayed"])
    care = designs.mser5(wide["residential"] + wide["nursing"])
    days = float(max(acute["days"], care["days"]))
    return days, {"method": "MSER-5 (longer of acute occupancy and care-home residents)",
                  "pilot_replications": spec.pilot_replications, "pilot_days": horizon,
                  "acute_days": acute["days"], "care_home_days": care["days"],
                  "acute_at_limit": acute["at_limit"], "care_home_at_limit": care["at_limit"]}



def run_sweep(spec: Experiment | str | Path, out_dir: str | Path, workers: int | None = None,
              dask: str | None = None, resume: bool = True, progress: bool = True,
              source: str | Path | None = None) -> dict:
    """Run an experiment; return a summary (runs done, skipped, failed, wall time, warm-up).

    Parameters
    ----------
    spec : an Experiment, or the path of an experiment TOML file.
    out_dir : output folder; finished runs already in it are kept and skipped if ``resume``.
    workers : local processes (default: all cores; 1 runs serially in this process), or the
        number of LocalCluster workers with ``dask="local"``.
    dask : None (process pool), "local" (a LocalCluster) or a scheduler address.
    source : the experiment file, for relative config paths (default: the spec's path).
    """
    if not isinstance(spec, Experiment):
        source = source or spec
        spec = load_experiment(spec)
    source = str(source or Path("experiments") / f"{spec.name}.toml")
    out = Path(out_dir)
    plan = resolve(spec, source)
    with outdir.Claim(out, "sweep"):  # refuses other folders; one writer at a time
        return _run_claimed(plan, out, workers, dask, resume, progress)


def _run_claimed(plan: Plan, out: Path, workers: int | None, dask: str | None, resume: bool,
                 progress: bool) -> dict:
    """:func:`run_sweep` once ``out`` is claimed."""
    spec = plan.spec
    started = time.perf_counter()
    manifest_path = out / "manifest.json"
    if resume:
        check_resumable(plan, out)
    else:
        outdir.discard_sweep(out)  # caresim's files only
    (out / "runs").mkdir(parents=True, exist_ok=True)
    outdir.mark(out, "sweep")
    backend = _backend(workers, dask)
    try:
        if spec.warmup == "auto":
            cached = out / "warmup.json"
            stored = json.loads(cached.read_text()) if cached.exists() else {}
            if stored.get("fingerprint") != plan.fingerprint:
                days, detail = _pilot_warmup(plan, backend)
                stored = {"fingerprint": plan.fingerprint, "days": days, "detail": detail}
                _write_json(cached, stored)
            plan = plan.with_warmup(stored["days"], stored["detail"])
        backend_info = {"backend": "dask" if dask else "processes", "dask": dask,
                        "slots": backend.slots}
        _write_json(manifest_path, _manifest(plan, {"backend": backend_info}))
        sweep = _Sweep(plan, out, backend, progress)
        sweep.run()
    finally:
        backend.close()
    failures = out / "failures.parquet"
    if sweep.failures:
        _atomic_parquet(pd.DataFrame(sweep.failures), failures)
    else:
        failures.unlink(missing_ok=True)
    analysis, runs = _finish(plan, out)
    wall = time.perf_counter() - started
    _write_json(manifest_path, _manifest(plan, {
        "backend": backend_info, "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "wall_seconds": wall, "runs_failed": len(sweep.failures),
        "runs": runs.to_dict("records")}))
    return {"out_dir": str(out), "runs_used": len(runs), "runs_done": sweep.done,
            "runs_skipped": sweep.skipped, "runs_failed": len(sweep.failures),
            "runs_repaired": sorted(str(p) for p in sweep.damaged),
            "wall_seconds": wall, "warmup_days": analysis["warmup_days"],
            "replications": analysis["replications"]}


def _tables(spec: Experiment) -> list[str]:
    """The extra tables stored per run (each run's parts under runs/<table>/)."""
    return [t for t in spec.store if t != "kpis"]


def analyse(out_dir: str | Path) -> dict:
    """Recompute kpis.parquet and analysis.json of a sweep folder from its stored runs."""
    out = Path(out_dir)
    path = out / "manifest.json"
    if outdir.inspect(out).kind != "sweep" or not path.is_file():
        raise ConfigError([f"{out}: not a sweep output folder (no sweep manifest.json)"])
    with outdir.Claim(out, "sweep", option=""):  # not while a sweep is writing it
        try:
            manifest = json.loads(path.read_text())
        except ValueError as err:
            raise ConfigError([(f"{path}: not valid JSON ({err}); rerun the sweep to rewrite "
                               "it")]) from None
        spec = Experiment.model_validate(manifest["experiment"]["spec"])
        configs = {k: Scenario.model_validate(c) for k, c in manifest["configs"].items()}
        plan = resolve(spec, manifest["experiment"]["source"], configs)
        plan.warmup = manifest.get("warmup") or {}
        return _finish(plan, out)[0]


def time_replication(cfg: Scenario, days: float = 365.25) -> float:
    """Expected seconds of one full replication, from a timed shorter one (scaled linearly).

    The timed run covers a whole year (winter raises the crisis rate, so a shorter run
    under-estimates), starting empty; set-up and result collection grow with the horizon too.
    """
    from .experiments import run_replication
    horizon = cfg.run.warmup_days + cfg.run.years * 365.25
    days = min(horizon, days)
    short = with_overrides(cfg, {"run.warmup_days": 0.0, "run.years": days / 365.25})
    start = time.perf_counter()
    run_replication(short, cfg.run.seed, 0)
    return (time.perf_counter() - start) * horizon / days


# --- command line --------------------------------------------------------------------------
def _fmt_seconds(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def check_resumable(plan: Plan, out: Path) -> None:
    """Refuse (one line) to resume a folder holding runs of another experiment or config."""
    if not _same_fingerprint(plan, out):
        old = json.loads((out / "manifest.json").read_text()).get("fingerprint")
        raise ConfigError([(f"--out {out}: holds runs of a different experiment or config "
                           f"(fingerprint {old} != {plan.fingerprint}); "
                           "use another --out, or --fresh to discard them")])


def _same_fingerprint(plan: Plan, out: Path) -> bool:
    """True unless ``out`` holds a manifest of a different experiment or config."""
    manifest = Path(out) / "manifest.json"
    if not manifest.exists():
        return True
    try:
        return json.loads(manifest.read_text()).get("fingerprint") == plan.fingerprint
    except ValueError:
        raise ConfigError([(f"{manifest}: not valid JSON; use --fresh to discard the sweep's "
                           "runs, or another --out")]) from None


def announce(plan: Plan, workers: int | None = None, dask: str | None = None,
             out: Path | None = None, resume: bool = True) -> None:
    """Print the number of runs and the expected run time (from a timed 1-year replication)
    of the runs still to do; a resumed sweep with every run on disk skips the timing run."""
    spec = plan.spec
    lo, hi = replication_plan(spec)
    n_points = len(plan.points)
    runs = f"{n_points * lo}" if lo == hi else f"{n_points * lo}-{n_points * hi}"
    workers = workers or os.cpu_count() or 1
    print(f"{spec.name}: {len(spec.scenario_names)} scenario(s) x "
          f"{len(plan.design)} design point(s) x {lo if lo == hi else f'{lo}-{hi}'} "
          f"replication(s) = {runs} runs"
          + (f" + {spec.pilot_replications} pilot" if spec.warmup == "auto" else ""),
          flush=True)
    on_disk, damaged = scan_parts(Path(out), _tables(spec)) \
        if out is not None and resume and _same_fingerprint(plan, out) else ({}, {})
    done = sum(run_key(point, rep) in on_disk for point in plan.points for rep in range(hi))
    if done:
        print(f"{done} of them already in {out}", flush=True)
    for path, problem in damaged.items():
        print(f"damaged, will re-run: {path} ({problem})", flush=True)
    if done >= n_points * hi:
        return
    per_run = time_replication(Scenario.model_validate(plan.config(plan.points[0])))
    cpu = (n_points * hi - done) * per_run
    bound = "" if lo == hi else "at most "
    text = f"~{per_run:.1f} s per run (timed on a 1-year run) -> {bound}{_fmt_seconds(cpu)} of CPU"
    if dask and dask != "local":
        print(f"{text}: divide by the worker processes of the Dask cluster at {dask}")
    else:
        where = "a Dask LocalCluster of" if dask else "on"
        print(f"{text}: expected {bound}{_fmt_seconds(cpu / workers)} {where} {workers} "
              f"process(es) if they scale linearly, {_fmt_seconds(cpu / max(1.0, .55 * workers))}"
              " at 55% (a busy 2-core machine)", flush=True)


def cmd_sweep(args) -> int:
    """Handler of ``caresim sweep``."""
    try:
        spec = load_experiment(args.experiment)
        plan = resolve(spec, args.experiment)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    out = Path(args.out or Path("results") / "sweeps" / spec.name)
    try:
        with outdir.Claim(out, "sweep"):  # refused or locked before the timing run
            if not args.fresh:
                check_resumable(plan, out)
            announce(plan, args.workers, args.dask, out, resume=not args.fresh)
            print(f"output: {out}", flush=True)
            summary = run_sweep(spec, out, workers=args.workers, dask=args.dask,
                                resume=not args.fresh, progress=not args.no_progress,
                                source=args.experiment)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return interrupted(out)
    except OSError as err:
        return write_failed(out, err)
    repaired = summary["runs_repaired"]
    print(f"{summary['runs_done']} runs done ({summary['runs_skipped']} already on disk"
          + (f", {len(repaired)} damaged part(s) re-run" if repaired else "") + "), "
          f"{summary['runs_failed']} failed, {_fmt_seconds(summary['wall_seconds'])}; "
          f"warm-up {summary['warmup_days']:g} days. Results in {out}")
    if summary["runs_failed"]:
        print(f"{summary['runs_failed']} run(s) failed: see {out / 'failures.parquet'}; "
              "rerun the same command to retry them", file=sys.stderr)
        return 1
    return 0


def cmd_analyse(args) -> int:
    """Handler of ``caresim analyse``."""
    try:
        result = analyse(args.out_dir)
    except ConfigError as err:
        print("\n".join(err.lines), file=sys.stderr)
        return 2
    for name, kpis in result["scenarios"].items():
        print(f"{name}: " + ", ".join(f"{k} {v['mean']:.4g}" for k, v in list(kpis.items())[:4]))
    print(f"analysis written to {Path(args.out_dir) / 'analysis.json'}")
    return 0


def whole_number(minimum: int, why: str = "", maximum: int | None = None):
    """An argparse type: a whole number from ``minimum`` (to ``maximum``); errors name the
    value and the range."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            allowed = f"at least {minimum}" if maximum is None else \
                f"from {minimum} to {maximum:,}"
            raise argparse.ArgumentTypeError(
                f"expected a whole number {allowed}{why}, got {text!r}")
        return value
    return parse


def add_run_options(p, default_out: str) -> None:
    """Options of every command that runs a sweep: --workers, --out, --fresh/--resume,
    --no-progress."""
    p.add_argument("--workers", type=whole_number(1), default=None, metavar="N",
                   help="processes (default: all cores)")
    p.add_argument("--out", default=None, metavar="DIR",
                   help=f"output folder (default {default_out}); must be new, empty, or a "
                   "folder of the same sweep (which resumes it)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--fresh", action="store_true",
                       help="discard the finished runs in --out and start over (only "
                       "caresim's files are deleted)")
    again.add_argument("--resume", action="store_true",
                       help="keep the finished runs in --out and run only the rest; this is "
                       "the default, the flag only says so")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def interrupted(out: Path) -> int:
    """Report Ctrl-C during a sweep (finished runs are kept); return the exit code 130."""
    print(f"\ninterrupted: finished runs are kept in {out}; run the same command again to "
          "resume", file=sys.stderr)
    return 130


def write_failed(out: Path, err: OSError) -> int:
    """Report a failed write during a sweep (disk full, permissions) in one line; exit 2."""
    try:
        kept = f"the {len(_scan(out))} finished runs are kept; "
    except OSError:
        kept = ""
    print(f"--out {out}: cannot write results: {err}; {kept}fix that and rerun the same "
          "command to resume", file=sys.stderr)
    return 2


def add_subcommands(subparsers) -> None:
    """Register ``sweep`` and ``analyse`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "sweep", help="run an experiment (scenarios x design x replications), resumable",
        description="Run experiments/*.toml on local processes or a Dask cluster. Finished "
        "runs are kept: rerunning the same command into the same --out resumes (the default), "
        "and re-runs any damaged run file; --fresh starts over. Exit 1 if any run failed, 2 on "
        "a config error or an --out that holds something else. Start a cluster with `dask "
        "scheduler` and `dask worker tcp://HOST:8786 --nworkers N --nthreads 1` (workers need "
        "caresim installed, not the repo).")
    p.add_argument("experiment", help="experiment TOML file")
    add_run_options(p, "results/sweeps/NAME")
    p.add_argument("--dask", default=None, metavar="local|ADDRESS",
                   help="run on a Dask LocalCluster ('local') or scheduler (tcp://host:8786)")
    p.set_defaults(func=cmd_sweep)
    a = subparsers.add_parser("analyse", help="recompute analysis.json from a sweep's runs",
                              description="Recompute kpis.parquet and analysis.json of a sweep "
                              "folder from its stored runs, without simulating.")
    a.add_argument("out_dir", help="sweep output folder")
    a.set_defaults(func=cmd_analyse)


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.sweep sweep|analyse ...`` (until the caresim CLI wires them in)."""
    parser = argparse.ArgumentParser(prog="python -m sim.sweep")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
