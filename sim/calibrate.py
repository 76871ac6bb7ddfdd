"""``caresim calibrate``: history matching of a config to a place's observed figures.

Each wave is an ordinary sweep (:func:`sim.sweep.run_sweep`, one scenario per point, common
random numbers across points) in ``DIR/wave<k>``, so it runs on local processes or Dask, shows
the sweep's progress bar, and is resumable and atomic: a killed calibrate re-run with the same
command skips every finished run. The points of each wave are written to
``DIR/waves/wave<k>.json`` before it starts, so a resume runs exactly the same points. Wave 1 is
a Latin hypercube of the prior box; after each wave an emulator of each target is fitted to the
runs not ruled out by earlier waves, and the next wave is drawn from the region its
implausibility does not rule out (:mod:`sim.history_matching`). It stops after ``waves`` waves,
when the region is empty, or when it stops shrinking (less than :data:`SHRINK` of it removed
by a wave).

Outputs (:func:`write_outputs`): ``calibrated.toml`` (the config at the evaluated point that
matches the targets best, loadable by ``caresim run``), ``plausible.parquet`` (evaluated points
the final emulators do not rule out, with their KPI means), ``calibration.json`` (per parameter
the estimate and the plausible range, from a large sample of the final not-ruled-out region;
per target the observed value and sd, the model's mean at the estimate and the 95% range of
single runs at the plausible points; per wave its runs and the share of the box left) and
``calibration.html`` (:mod:`sim.calibrate_report`), and ``region.parquet``: a uniform sample of
the parameter values the final emulators do not rule out (for drawing from the plausible
region), with their implausibility.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import atomic, outdir
from .calibrate_report import write_report
from .calibrate_spec import CalibrationSpec, config_text
from .config import ConfigError, with_overrides
from .history_matching import (
    CUTOFF,
    candidates,
    combine,
    fit_emulators,
    implausibility,
    implausibility_of,
    plausible_candidates,
    sample_plausible,
    which_measure,
)
from .scaling import scale_overrides
from .sweep import run_sweep
from .sweep_spec import Experiment

STATE = "calibrate-state.json"
#: Stop when a wave keeps more than this share of the region the previous wave left.
SHRINK = 0.9
#: Candidates drawn to sample (and measure) the region not ruled out.
N_CANDIDATES = 20_000
#: Points of that sample kept in region.parquet.
REGION_ROWS = 5_000


def prepare_folder(out: Path, spec: CalibrationSpec, settings: dict) -> None:
    """Refuse (one line) an --out that holds something else or another calibration; mark it."""
    state = out / STATE
    fingerprint = f"{spec.fingerprint}-{json.dumps(settings, sort_keys=True)}"
    if out.exists() and not out.is_dir():
        raise ConfigError([f"--out {out}: is a file; calibrate needs a new or empty folder"])
    if out.is_dir() and any(out.iterdir()):
        if not state.is_file():
            raise ConfigError([(f"--out {out}: holds files that are not a calibration's; "
                                "choose a new or empty folder")])
        old = json.loads(state.read_text()).get("fingerprint")
        if old != fingerprint:
            raise ConfigError([(f"--out {out}: holds a calibration of another config, targets "
                                "or settings (--runs-per-wave, --replications, --seed); use "
                                "another --out to start afresh")])
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_json(state, {"fingerprint": fingerprint, "config": spec.config_source,
                              **settings})


def wave_experiment(spec: CalibrationSpec, wave: int, unit: np.ndarray, replications: int,
                    seed: int) -> Experiment:
    """The sweep of one wave: one scenario per point, the same seed at every point (CRN)."""
    scale = {} if spec.scale == 1 else scale_overrides(spec.config, spec.scale)
    scenarios = {point_id(wave, i): {"set": spec.run_overrides(u)} for i, u in enumerate(unit)}
    return Experiment.model_validate({
        "name": f"calibrate-wave{wave}", "base": spec.config_source, "set": scale,
        "seed": seed, "replications": replications, "crn": True, "scenarios": scenarios,
        "store": ["kpis", "yearly_kpis"] if spec.yearly else ["kpis"],
        "analysis": {"kpis": sorted({t.kpi for t in spec.targets}),
                     "bootstrap_resamples": 10}})


def point_id(wave: int, i: int) -> str:
    """The scenario name of point ``i`` of wave ``wave``."""
    return f"w{wave}-{i:04d}"


def wave_points(out: Path, wave: int) -> np.ndarray | None:
    """The stored unit-cube points of a wave (None if it was not planned yet)."""
    path = out / "waves" / f"wave{wave}.json"
    return np.array(json.loads(path.read_text())["unit"], float) if path.exists() else None


def read_wave(folder: Path, wave: int, keys: list[str]) -> pd.DataFrame:
    """Per-replication outputs of a finished wave: wave, point, index, replication and one
    column per target key (``kpi``, or ``kpi@year`` from the runs' yearly KPIs)."""
    runs = pd.read_parquet(folder / "kpis.parquet", columns=["point", "replication", "kpi",
                                                             "value"])
    if any("@" in k for k in keys):
        yearly = pd.concat([pd.read_parquet(p) for p in
                            sorted((folder / "runs" / "yearly_kpis").glob("*.parquet"))])
        yearly["kpi"] = yearly["kpi"] + "@" + yearly["year"].astype(str)
        runs = pd.concat([runs, yearly[runs.columns]], ignore_index=True)
    runs = runs[runs["kpi"].isin(keys)]
    wide = runs.pivot_table(index=["point", "replication"], columns="kpi", values="value")
    wide = wide.reset_index()
    wide["index"] = wide["point"].str.rpartition("-")[2].astype(int)
    wide["wave"] = wave
    return wide[["wave", "point", "index", "replication", *keys]]


class Calibration:
    """The state of a history match: runs so far and each wave's emulators."""

    def __init__(self, spec: CalibrationSpec, replications: int, seed: int):
        self.spec, self.replications, self.seed = spec, replications, seed
        self.targets = spec.run_targets()
        self.holdout = spec.run_targets(spec.holdout)
        self.kpis = [t.key for t in self.targets]     # the outputs emulated
        self.d = len(spec.params)
        self.runs = pd.DataFrame()
        self.unit: dict[str, np.ndarray] = {}
        self.emulators: list[dict] = []

    def add(self, runs: pd.DataFrame, wave: int, unit: np.ndarray) -> None:
        """Record a finished wave's runs."""
        self.runs = pd.concat([self.runs, runs], ignore_index=True)
        for i, u in enumerate(unit):
            self.unit[point_id(wave, i)] = u

    def points(self) -> tuple[pd.DataFrame, np.ndarray, dict[str, float]]:
        """Point means, their unit-cube coordinates and each KPI's pooled run-to-run variance."""
        grouped = self.runs.groupby("point", sort=True)
        means = grouped[self.kpis].mean()
        var = grouped[self.kpis].var(ddof=1).mean()   # pooled over points (R >= 2)
        x = np.array([self.unit[p] for p in means.index])
        return means, x, {k: float(np.nan_to_num(var[k])) for k in self.kpis}

    def fit(self) -> int:
        """Fit this wave's emulators to the runs earlier waves do not rule out; return how many
        points they were fitted to."""
        means, x, var = self.points()
        keep = np.ones(len(x), bool)
        if self.emulators:
            keep = implausibility(self.emulators, self.targets, x) <= CUTOFF
            if keep.sum() < self.d + 3:  # too few inside: fit to everything
                keep[:] = True
        self.emulators.append(fit_emulators(x[keep], {k: means[k].to_numpy()[keep]
                                                      for k in self.kpis}, var, self.seed))
        return int(keep.sum())

    def region(self) -> tuple[np.ndarray, np.ndarray]:
        """A uniform sample of the region not ruled out (unit cube; from a large Latin
        hypercube) and the implausibility of each of its points."""
        return plausible_candidates(self.emulators, self.targets, self.d, N_CANDIDATES,
                                    self.seed + 7919)

    def run_implausibility(self) -> pd.Series:
        """Implausibility of each evaluated point from its own runs' means (no emulator)."""
        means, _, var = self.points()
        cols = [implausibility_of(t, means[t.key], var[t.key] * (1 + 1 / self.replications))
                for t in self.targets]
        return pd.Series(combine(np.column_stack(cols)), index=means.index)


def calibrate(spec: CalibrationSpec, out: str | Path, waves: int = 3,
              runs_per_wave: int | None = None, replications: int = 3,
              workers: int | None = None, dask: str | None = None, progress: bool = True,
              seed: int = 1, say=print) -> dict:
    """History-match ``spec`` into ``out``; return the content of ``calibration.json``.

    ``replications`` (at least 2) also estimate the model's run-to-run variance. Raises
    ConfigError for an --out that holds something else, and RuntimeError when runs of a wave
    failed (see the wave's failures.parquet; rerunning retries them).
    """
    if replications < 2:
        raise ConfigError([f"--replications {replications}: expected at least 2 (the model's "
                           "run-to-run variance is estimated from them)"])
    out = Path(out)
    runs_per_wave = runs_per_wave or 10 * len(spec.params)
    settings = {"runs_per_wave": runs_per_wave, "replications": replications, "seed": seed}
    lock = outdir.hold(out)
    try:
        prepare_folder(out, spec, settings)
        cal = Calibration(spec, replications, seed)
        history, stopped = [], f"{waves} wave(s) run"
        for wave in range(1, waves + 1):
            started = time.perf_counter()
            unit = wave_points(out, wave)
            if unit is None:
                unit = candidates(cal.d, runs_per_wave, seed) if wave == 1 else \
                    sample_plausible(cal.emulators, cal.targets, cal.d, runs_per_wave,
                                     seed + wave)[0]
                if len(unit) < cal.d + 2:
                    stopped = (f"wave {wave} not run: only {len(unit)} candidate point(s) are "
                               "still plausible")
                    break
                atomic.write_json(out / "waves" / f"wave{wave}.json", {"unit": unit.tolist()})
            say(f"wave {wave}: {len(unit)} points x {replications} replication(s)")
            summary = run_sweep(wave_experiment(spec, wave, unit, replications, seed),
                                out / f"wave{wave}", workers, dask, True, progress,
                                spec.config_source)
            if summary["runs_failed"]:
                raise RuntimeError(f"wave {wave}: {summary['runs_failed']} run(s) failed: see "
                                   f"{out / f'wave{wave}' / 'failures.parquet'}; rerun the "
                                   "same command to retry them")
            keys = cal.kpis + [t.key for t in cal.holdout]
            cal.add(read_wave(out / f"wave{wave}", wave, keys), wave, unit)
            fitted = cal.fit()
            share = len(cal.region()[0]) / N_CANDIDATES
            history.append({"wave": wave, "points": len(unit),
                            "runs_done": summary["runs_done"],
                            "runs_skipped": summary["runs_skipped"], "emulated_from": fitted,
                            "nroy_share": share,
                            "seconds": round(time.perf_counter() - started, 2)})
            say(f"wave {wave}: {summary['runs_done']} runs done "
                f"({summary['runs_skipped']} already on disk); {share:.1%} of the prior box "
                "still plausible")
            if share == 0:
                stopped = f"wave {wave} ruled out the whole box"
                break
            if wave > 1 and share > SHRINK * history[-2]["nroy_share"]:
                stopped = f"the plausible region stopped shrinking at wave {wave}"
                break
        result = write_outputs(cal, out, history, stopped)
    finally:
        lock.release()
    return result


def _against(t, factor: float, runs: pd.Series, at_best: float) -> dict:
    """A target against the model: observed, sd, the mean at the estimate and the 95% range
    of single runs (``runs``), at the config's own size."""
    values = runs.to_numpy(float) / factor
    return {"observed": t.value, "sd": t.sd, "discrepancy": t.discrepancy,
            "model_mean": float(at_best) / factor,
            "model_low": float(np.quantile(values, .025)),
            "model_high": float(np.quantile(values, .975))}


def write_outputs(cal: Calibration, out: Path, history: list[dict], stopped: str) -> dict:
    """calibrated.toml, plausible.parquet, region.parquet, calibration.json and
    calibration.html."""
    spec = cal.spec
    means, x, _ = cal.points()
    emulated = implausibility(cal.emulators, cal.targets, x)
    observed = cal.run_implausibility()
    best = str(observed.idxmin())
    estimate = spec.values(cal.unit[best])
    region, region_imp = cal.region()
    sample = pd.DataFrame({p.path: p.scale(region[:, j]) for j, p in enumerate(spec.params)})
    sample["implausibility"] = region_imp
    atomic.write_parquet(sample.head(REGION_ROWS), out / "region.parquet")
    params = {}
    for j, p in enumerate(spec.params):
        inside = [float(v) for v in p.scale(region[:, j])] if len(region) else []
        params[p.path] = {"estimate": estimate[p.path], "low": min(inside, default=None),
                          "high": max(inside, default=None), "prior_low": p.low,
                          "prior_high": p.high}
    plausible = means.index[emulated <= CUTOFF]
    rows = []
    for pid in plausible:
        row = {"point": pid, "wave": int(pid[1:].partition("-")[0]),
               **spec.values(cal.unit[pid]), "implausibility": float(observed[pid])}
        row.update({t.key: float(means.loc[pid, t.key]) / spec.kpi_factor(t.kpi)
                    for t in spec.targets})
        rows.append(row)
    columns = ["point", "wave", *[p.path for p in spec.params], "implausibility", *cal.kpis]
    atomic.write_parquet(pd.DataFrame(rows, columns=columns), out / "plausible.parquet")
    runs = cal.runs.set_index("point")
    spread = runs.loc[list(plausible) or [best]]
    at_best = runs.loc[[best]].mean(numeric_only=True)
    targets = {}
    for t in spec.targets:
        targets[t.key] = _against(t, spec.kpi_factor(t.kpi), spread[t.key], at_best[t.key])
    result = {"config": spec.config_name or spec.config_source, "scale": spec.scale,
              "params": params, "targets": targets, "waves": history, "stopped": stopped,
              "cutoff": CUTOFF,
              "implausibility": which_measure(len(cal.targets)),
              "best_point": best, "best_implausibility": float(observed[best]),
              "plausible_points": len(plausible), "evaluated_points": len(means),
              "replications": cal.replications,
              "nroy_share": len(region) / N_CANDIDATES}
    if spec.holdout:
        held = {t.key: _against(t, spec.kpi_factor(t.kpi), spread[t.key], at_best[t.key])
                for t in spec.holdout}
        for h in held.values():   # covered: the observed +- 2 sd meets the predicted 95%
            h["covered"] = bool(h["model_low"] - 2 * h["sd"] <= h["observed"]
                                <= h["model_high"] + 2 * h["sd"])
        result["holdout"] = {"year": spec.holdout_year, "targets": held,
                             "coverage": sum(h["covered"] for h in held.values()) / len(held)}
    calibrated = with_overrides(spec.config, estimate)
    notes = {path: (f"calibrated: plausible {v['low']:.4g} to {v['high']:.4g} (prior "
                    f"{v['prior_low']:g} to {v['prior_high']:g})" if v["low"] is not None
                    else "calibrated: no plausible region, the best point evaluated")
             for path, v in params.items()}
    atomic.write_text(out / "calibrated.toml", config_text(calibrated, notes, [
        f"Written by `caresim calibrate` from {spec.config_name or spec.config_source}: the "
        "config at the point that matched the targets best;",
        "the calibrated fields say their plausible range."]))
    atomic.write_json(out / "calibration.json", result)
    write_report(out, result)
    return result
