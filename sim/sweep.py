"""Experiments at scale: scenarios x design points x replications, resumable, on many cores.

An experiment (``experiments/*.toml``, validated like a config: :mod:`sim.sweep_spec`) names a
base config, scenarios as *deltas* (dotted-key overrides, the paths of ``--set``), a
replication rule (a number, or ``{auto = 0.05, kpis = [...], min, max}``: Hoad, Robinson &
Davies 2010), a warm-up (days, ``{financial_years = N}`` or ``"auto"``: MSER-5 on pilot runs,
:mod:`sim.sweep_pilot`) and a design (:mod:`sim.designs`). Every (scenario, design point) pair
is a *point*; every point is run for each replication. With ``crn = true`` (the default) every
point uses the experiment seed, so replication r meets the same people and draws at every
point (common random numbers); with ``crn = false`` each point gets its own seed.

:func:`run_sweep` sends each run to a backend (:mod:`sim.sweep_backends`: this process, a local
process pool, or Dask) and writes each finished run atomically as its own Parquet part
(:mod:`sim.sweep_store`); rerunning into the same folder skips finished parts (checked, so a
damaged part is re-run), and a killed sweep resumes to the same dataset. The folder is claimed
and locked through :mod:`sim.outdir`. A run that raises is recorded in ``failures.parquet`` and
the sweep goes on. The progress bar counts simulated days, reported by the workers as they go,
with an estimate of the time left. :func:`analyse` recomputes the analysis from stored runs;
:func:`run_case` runs a case study (:mod:`sim.cases`) and writes its ``case.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import deque
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from . import atomic, marker, outdir
from .case_verdict import case_result
from .cases import CaseStudy, experiment_from_file
from .config import ConfigError, Scenario
from .schema_base import YEAR
from .sweep_backends import backend as make_backend
from .sweep_backends import outcome
from .sweep_pilot import pilot_warmup
from .sweep_plan import Plan, Point, resolve
from .sweep_spec import Experiment
from .sweep_store import (
    decide,
    finish,
    manifest,
    read_kpis,
    run_key,
    scan_parts,
    stored_tables,
    write_run,
)


class DaysBar:
    """One progress bar in simulated days over a growing set of runs, with tqdm's estimate of
    the time left. Runs are added as the sweep decides on them (auto replications add more);
    workers report days in chunks (see ``Model.run``), and a run counts its whole horizon once
    it ends (reports arriving after that add nothing)."""

    def __init__(self, desc: str, enabled: bool):
        self.horizon: dict[str, float] = {}
        self.days: dict[str, float] = {}
        self.runs = self.ended = 0
        self.bar = tqdm(total=0, unit="day", desc=f"{desc} (simulated days)",
                        disable=not enabled, dynamic_ncols=True)

    def expect(self, key: str, horizon: float) -> None:
        """A run of ``horizon`` days is to be counted."""
        self.horizon[key], self.days[key] = horizon, 0.0
        self.runs += 1
        self.bar.total += round(horizon)

    def add(self, key: str, days: float) -> None:
        """``days`` more simulated days of run ``key`` (unknown keys, e.g. pilots, ignored)."""
        if key in self.days:
            self._set(key, min(self.days[key] + days, self.horizon[key]))

    def finish(self, key: str) -> None:
        """Run ``key`` has ended (or was on disk already)."""
        self.ended += 1
        self._set(key, self.horizon[key])
        self.bar.set_postfix_str(f"{self.ended}/{self.runs} runs", refresh=False)

    def _set(self, key: str, days: float) -> None:
        step = round(days) - round(self.days[key])
        self.days[key] = days
        if step:
            self.bar.update(step)

    def write(self, text: str) -> None:
        self.bar.write(text)

    def close(self) -> None:
        self.bar.close()


class _Sweep:
    """The run loop: queue, submit up to 2 tasks per slot, stream results to disk."""

    def __init__(self, plan: Plan, out: Path, backend, bar: DaysBar):
        self.plan, self.out, self.backend, self.bar = plan, out, backend, bar
        self.spec = plan.spec
        self.on_disk, self.damaged = scan_parts(out, stored_tables(self.spec))
        self.present: dict[str, dict[int, dict]] = {p.id: {} for p in plan.points}
        self.failed: dict[str, set[int]] = {p.id: set() for p in plan.points}
        self.launched = {p.id: 0 for p in plan.points}
        self.finished: set[str] = set()
        self.queue: deque = deque()
        self.failures: list[dict] = []
        self.done = self.skipped = 0
        self.auto = not isinstance(self.spec.replications, int)

    def want(self, point: Point, rep: int) -> None:
        self.launched[point.id] = max(self.launched[point.id], rep + 1)
        key = run_key(point, rep)
        run = self.plan.config(point)["run"]
        self.bar.expect(key, run["warmup_days"] + run["years"] * YEAR)
        if key in self.on_disk:
            self.skipped += 1
            self.bar.finish(key)
            if self.auto:
                self.present[point.id][rep] = read_kpis(self.on_disk[key])
            return
        self.queue.append((point, rep))

    def advance(self, point: Point) -> None:
        """Auto replications: launch more for a point until the rule says it is done."""
        r, undecided = self.spec.replications, len(self.plan.points) - len(self.finished)
        while point.id not in self.finished:
            d = decide(self.spec, self.present[point.id], self.failed[point.id])
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
                    self.record(point, rep, outcome(future))
                    if self.auto:
                        self.advance(point)
        except BaseException:
            self.backend.close(cancel=True)
            raise

    def record(self, point: Point, rep: int, result: dict) -> None:
        self.bar.finish(run_key(point, rep))
        if result["ok"]:
            write_run(self.out, point, rep, result)
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


def run_sweep(spec: Experiment | str | Path, out_dir: str | Path, workers: int | None = None,
              dask: str | None = None, resume: bool = True, progress: bool = True,
              source: str | Path | None = None) -> dict:
    """Run an experiment; return a summary (runs done, skipped, failed, wall time, warm-up).

    Parameters
    ----------
    spec : an Experiment, or the path of an experiment (or case) TOML file.
    out_dir : output folder; finished runs already in it are kept and skipped if ``resume``.
    workers : local processes (default: all cores; 1 runs serially in this process), or the
        number of LocalCluster workers with ``dask="local"``.
    dask : None (process pool), "local" (a LocalCluster) or a scheduler address.
    progress : show a progress bar in simulated days, with an estimate of the time left.
    source : the experiment file, for relative config paths (default: the spec's path).
    """
    if not isinstance(spec, Experiment):
        source = source or spec
        spec = experiment_from_file(spec)
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
    marker.mark(out, "sweep")
    bar = DaysBar(spec.name, progress)
    backend = make_backend(workers, dask, bar.add if progress else None)
    try:
        if spec.warmup == "auto":
            cached = out / "warmup.json"
            stored = json.loads(cached.read_text()) if cached.exists() else {}
            if stored.get("fingerprint") != plan.fingerprint:
                days, detail = pilot_warmup(plan, backend)
                stored = {"fingerprint": plan.fingerprint, "days": days, "detail": detail}
                atomic.write_json(cached, stored)
            plan = plan.with_warmup(stored["days"], stored["detail"])
        backend_info = {"backend": "dask" if dask else "processes", "dask": dask,
                        "slots": backend.slots}
        atomic.write_json(manifest_path, manifest(plan, {"backend": backend_info}))
        sweep = _Sweep(plan, out, backend, bar)
        sweep.run()
    finally:
        bar.close()
        backend.close()
    failures = out / "failures.parquet"
    if sweep.failures:
        atomic.write_parquet(pd.DataFrame(sweep.failures), failures)
    else:
        failures.unlink(missing_ok=True)
    analysis, runs = finish(plan, out)
    wall = time.perf_counter() - started
    atomic.write_json(manifest_path, manifest(plan, {
        "backend": backend_info, "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "wall_seconds": wall, "runs_failed": len(sweep.failures),
        "runs": runs.to_dict("records")}))
    return {"out_dir": str(out), "runs_used": len(runs), "runs_done": sweep.done,
            "runs_skipped": sweep.skipped, "runs_failed": len(sweep.failures),
            "runs_repaired": sorted(str(p) for p in sweep.damaged),
            "wall_seconds": wall, "warmup_days": analysis["warmup_days"],
            "replications": analysis["replications"]}


def analyse(out_dir: str | Path) -> dict:
    """Recompute kpis.parquet and analysis.json of a sweep folder from its stored runs."""
    out = Path(out_dir)
    path = out / "manifest.json"
    if marker.inspect(out).kind != "sweep" or not path.is_file():
        raise ConfigError([f"{out}: not a sweep output folder (no sweep manifest.json)"])
    with outdir.Claim(out, "sweep", option=""):  # not while a sweep is writing it
        try:
            stored = json.loads(path.read_text())
        except ValueError as err:
            raise ConfigError([(f"{path}: not valid JSON ({err}); rerun the sweep to rewrite "
                               "it")]) from None
        spec = Experiment.model_validate(stored["experiment"]["spec"])
        configs = {k: Scenario.model_validate(c) for k, c in stored["configs"].items()}
        plan = resolve(spec, stored["experiment"]["source"], configs)
        plan.warmup = stored.get("warmup") or {}
        return finish(plan, out)[0]


def check_resumable(plan: Plan, out: Path) -> None:
    """Refuse (one line) to resume a folder holding runs of another experiment or config."""
    if not same_fingerprint(plan, out):
        old = json.loads((out / "manifest.json").read_text()).get("fingerprint")
        raise ConfigError([(f"--out {out}: holds runs of a different experiment or config "
                           f"(fingerprint {old} != {plan.fingerprint}); "
                           "use another --out, or --fresh to discard them")])


def same_fingerprint(plan: Plan, out: Path) -> bool:
    """True unless ``out`` holds a manifest of a different experiment or config."""
    path = Path(out) / "manifest.json"
    if not path.exists():
        return True
    try:
        return json.loads(path.read_text()).get("fingerprint") == plan.fingerprint
    except ValueError:
        raise ConfigError([(f"{path}: not valid JSON; use --fresh to discard the sweep's "
                           "runs, or another --out")]) from None


def run_case(study: CaseStudy, out: str | Path, workers: int | None = None,
             resume: bool = True, progress: bool = True) -> dict:
    """Run a case study through the sweep and write ``case.json``; return its content.

    Raises RuntimeError when a run failed (no case.json is written from incomplete runs).
    """
    out = Path(out)
    summary = run_sweep(study.experiment, out, workers=workers, resume=resume,
                        progress=progress, source=study.source)
    if summary["runs_failed"]:
        raise RuntimeError(f"{summary['runs_failed']} run(s) failed: see "
                           f"{out / 'failures.parquet'}; rerun the same command to retry them")
    result = case_result(study, json.loads((out / "analysis.json").read_text()), out)
    atomic.write_json(out / "case.json", result)
    return result
