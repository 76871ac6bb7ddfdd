"""``caresim stress``: a probabilistic stress test of a pooled budget agreement.

Issue 15, item 5 (probabilistic sensitivity analysis). A calibration (``caresim calibrate``)
leaves ``DIR/region.parquet``, a uniform sample of the parameter values its emulators do not
rule out. :func:`stress` draws ``draws`` points from it (seeded), and for each draw runs the
agreement (``POOL_CONFIG`` with the draw's values) and its baseline (the same place funded as
today, :func:`fragmented_baseline`, or ``--baseline CONFIG``) with common random numbers: both
arms of every draw run with the same seed and replication index, so within a draw they meet
the same people and the same draws of chance, and the difference between them is the
agreement's. The seed is common to the draws too (as in calibrate's waves), so the spread over
the draws is the spread the parameters' uncertainty gives, with the model's own run-to-run
spread held to the replications.

Every run is one ordinary sweep (:func:`sim.sweep.run_sweep` in ``OUT/runs``: local processes
or Dask, a progress bar with the expected time, resumable and atomic: a killed stress re-run
skips every finished run). The arms' configs are written as ``OUT/arrangement.toml`` and
``OUT/baseline.toml`` (at the config's own size, loadable by ``caresim run``). Outputs:
``OUT/stress.parquet`` (one row per draw x replication x arm: the draw's parameter values, the
KPIs at the config's own size and what each partner pays), ``OUT/stress.json``
(:mod:`sim.stress_summary`) and ``OUT/stress.html`` (:mod:`sim.stress_page`).

What a partner pays, in the agreement's own terms: the cash it pays directly
(``cost_nhs_gbp``/``cost_la_gbp``), plus its contribution to the pool as agreed (with the
yearly budget change; an outcome payment withheld is not subtracted), plus its year-end
risk-share top-ups (``risk_share_*_gbp``; a refund is negative), all per year of the counting
window. Without a pool the last two are zero, so the baseline's is the cash it pays today.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import simpy

from . import atomic, outdir
from .calibrate_spec import INTENSIVE_UNITS
from .clock import Clock
from .config import (
    ConfigError,
    build,
    config_text,
    leaf_fields,
    load_config,
    read_toml,
    shipped_config_names,
    with_overrides,
)
from .costs import Ledger
from .funding import FundingRules
from .kpis import CASH_BY_PAYER, KPIS
from .scaling import SCALED_FIELDS, scale_overrides, value_at
from .schema import Scenario
from .schema_base import YEAR
from .stress_page import write_report
from .stress_summary import PARTNERS, summarise
from .sweep import run_sweep
from .sweep_spec import Experiment

STATE = "stress-state.json"
ARMS = ("arrangement", "baseline")
#: KPIs the stress test reads (at the config's own size in stress.parquet).
STRESS_KPIS = ("risk_share_nhs_gbp", "risk_share_la_gbp", "statutory_risk_days",
               "rationed_decisions", CASH_BY_PAYER["nhs"], CASH_BY_PAYER["la"],
               "delayed_bed_days", "total_cost_gbp", "qalys")
#: Sections of a config outside [funding] that the shipped arrangements change but that are a
#: place's own figures, so the baseline keeps the agreement's values.
PLACE_SECTIONS = ("name", "description", "funding", "budgets")


def read_region(folder: str | Path) -> tuple[list[str], pd.DataFrame]:
    """The calibrated parameters (``calibration.json``) and the sample of their plausible
    region (``region.parquet``) of a calibration folder; ConfigError (one line) if missing."""
    folder = Path(folder)
    where = f"--plausible {folder}"
    if not folder.is_dir():
        raise ConfigError([f"{where}: no such folder; expected the --out folder of "
                           "`caresim calibrate` (with region.parquet and calibration.json)"])
    for name in ("calibration.json", "region.parquet"):
        if not (folder / name).is_file():
            raise ConfigError([f"{where}: has no {name}; expected the --out folder of a "
                               "finished `caresim calibrate` (rerun it to write its outputs)"])
    try:
        params = list(json.loads((folder / "calibration.json").read_text())["params"])
        region = pd.read_parquet(folder / "region.parquet")
    except (ValueError, KeyError, OSError) as err:
        raise ConfigError([f"{where}: cannot read calibration.json or region.parquet "
                           f"({type(err).__name__}: {err}); rerun `caresim calibrate`"]) from None
    missing = [p for p in params if p not in region.columns]
    if not params or missing:
        raise ConfigError([f"{where}: region.parquet has no column for parameter(s) "
                           f"{missing or '(none listed in calibration.json)'}; rerun "
                           "`caresim calibrate`"])
    if region.empty:
        raise ConfigError([f"{where}: region.parquet is empty: the calibration ruled out every "
                           "parameter value, so there is nothing to draw from; widen its box"])
    return params, region


def check_params(params: list[str], source: str, folder: str | Path) -> None:
    """Refuse (one line each) a calibrated parameter that is not a numeric config field."""
    fields = dict(leaf_fields())
    errors = []
    for path in params:
        info = fields.get(path)
        if info is None or info.annotation not in (int, float):
            what = "not a config field" if info is None else "not a numeric field"
            errors.append(f"--plausible {folder}: parameter {path!r} of the calibration is "
                          f"{what} of {source}; the region's parameters must be numeric "
                          "fields (`caresim validate --schema` lists them)")
    if errors:
        raise ConfigError(errors)


def arrangement_levers() -> list[str]:
    """Config fields outside [funding] and [budgets] that a shipped arrangement config sets
    (e.g. ``decision.panel_weekdays``, ``assessment.separate_assessments``, the
    ``neighbourhood`` teams): how an arrangement differs from ``configs/fragmented.toml``.
    Capacities (:data:`sim.scaling.SCALED_FIELDS`, e.g. the intermediate-care beds the
    integrated provider buys) are the place's and are left out: the default's figure is not
    this place's."""
    fields = dict(leaf_fields())
    found: set[str] = set()

    def walk(data: dict, prefix: str = "") -> None:
        for key, value in data.items():
            path = prefix + key
            if path.split(".")[0] in PLACE_SECTIONS or path in SCALED_FIELDS:
                continue   # the place's capacities stay its own (integrated buys IC beds)
            if path in fields:
                found.add(path)
            elif isinstance(value, dict):
                walk(value, f"{path}.")
    for name in shipped_config_names():
        if "/" not in name:
            walk(read_toml(name))
    return sorted(found)


def fragmented_baseline(config: Scenario) -> Scenario:
    """``config`` funded as today: its whole [funding] section (arrangement, commissioners,
    joint scope, pool) and every arrangement lever (:func:`arrangement_levers`) as in
    ``configs/fragmented.toml``; the place, its budgets and every other figure unchanged."""
    fragmented = load_config("fragmented")
    data = config.model_dump(mode="python")
    data["funding"] = fragmented.funding.model_dump(mode="python")
    levers = {path: value_at(fragmented, path) for path in arrangement_levers()}
    data["name"] = f"{config.name}-baseline"
    data["description"] = (f"{config.name} funded as today: [funding] and the arrangement "
                           "levers of configs/fragmented.toml")
    return build(data, "baseline (fragmented funding)", levers)


def contributions(config: Scenario) -> dict[str, float]:
    """Each partner's contribution to the pool a year over the counting window (0 without a
    pool): :meth:`sim.funding.FundingRules.contribution` spread over the days of each
    financial year, summed over the window's days."""
    run = config.run
    horizon = run.warmup_days + run.years * YEAR
    clock = Clock(run.start_date, horizon)
    rules = FundingRules(config, simpy.Environment(), clock, Ledger())
    days = np.arange(int(np.ceil(run.warmup_days)), int(horizon))
    fy = clock.financial_year[days]
    length = np.array([(dt.date(int(y) + 1, 4, 1) - dt.date(int(y), 4, 1)).days for y in fy])
    index = fy - clock.financial_year[0]
    out = {}
    for partner in PARTNERS:
        per_year = {int(i): rules.contribution(partner, int(i)) for i in np.unique(index)}
        daily = np.array([per_year[int(i)] for i in index]) / length
        out[partner] = float(daily.sum()) / run.years
    return out


def draw_points(region: pd.DataFrame, params: list[str], draws: int, seed: int
                ) -> pd.DataFrame:
    """``draws`` rows of the region sample, drawn uniformly with a seeded generator (with
    replacement only when asked for more draws than the sample holds)."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(region), size=draws, replace=draws > len(region))
    points = region.iloc[rows][params].reset_index(drop=True)
    points.insert(0, "draw", range(draws))
    return points


def draw_overrides(values: dict[str, float], scale: float) -> dict:
    """A draw's overrides of the run config: whole numbers for int fields, fields that grow
    with the place multiplied by ``scale`` (as calibrate does)."""
    fields = dict(leaf_fields())
    out = {}
    for path, value in values.items():
        x = float(value) * (scale if path in SCALED_FIELDS else 1.0)
        out[path] = round(x) if fields[path].annotation is int else x
    return out


def scenario_name(draw: int, arm: str) -> str:
    """The sweep scenario of one arm of one draw."""
    return f"d{draw:04d}-{arm}"


def experiment(arms: dict[str, Scenario], paths: dict[str, Path], points: pd.DataFrame,
               params: list[str], replications: int, seed: int, scale: float) -> Experiment:
    """The sweep: two scenarios per draw (the arms), one seed for all (common random numbers)."""
    grow = {arm: {} if scale == 1 else scale_overrides(cfg, scale) for arm, cfg in arms.items()}
    scenarios = {}
    for row in points.to_dict("records"):
        values = draw_overrides({p: row[p] for p in params}, scale)
        for arm in ARMS:
            scenarios[scenario_name(int(row["draw"]), arm)] = {
                "config": str(paths[arm]), "set": {**grow[arm], **values}}
    return Experiment.model_validate({
        "name": "stress", "base": str(paths["arrangement"]), "seed": seed,
        "replications": replications, "crn": True, "scenarios": scenarios, "store": ["kpis"],
        "analysis": {"kpis": list(STRESS_KPIS), "bootstrap_resamples": 10}})


def paid_in(arms: dict[str, Scenario], points: pd.DataFrame, params: list[str]
            ) -> pd.DataFrame:
    """Each partner's contribution a year (:func:`contributions`) in each arm of each draw, at
    the config's own size (a draw may move a budget or a contribution)."""
    rows = []
    for row in points.to_dict("records"):
        values = draw_overrides({p: row[p] for p in params}, 1.0)
        for arm, cfg in arms.items():
            paid = contributions(with_overrides(cfg, values))
            rows.append({"draw": int(row["draw"]), "arm": arm,
                         **{f"contribution_{p}_gbp": v for p, v in paid.items()}})
    return pd.DataFrame(rows)


def runs_table(folder: Path, points: pd.DataFrame, params: list[str], scale: float,
               contributed: pd.DataFrame) -> pd.DataFrame:
    """One row per draw x replication x arm: parameters, KPIs at the config's own size and
    what each partner pays (``paid_<partner>_gbp``) and puts into the pool."""
    kpis = pd.read_parquet(folder / "kpis.parquet", columns=["scenario", "replication",
                                                             "seed", "kpi", "value"])
    kpis = kpis[kpis["kpi"].isin(STRESS_KPIS)]
    wide = kpis.pivot_table(index=["scenario", "replication", "seed"], columns="kpi",
                            values="value").reset_index()
    wide.columns.name = None
    for kpi in STRESS_KPIS:
        if kpi not in wide:
            wide[kpi] = np.nan
        elif KPIS[kpi].unit not in INTENSIVE_UNITS and scale != 1:
            wide[kpi] = wide[kpi] / scale
    parts = wide["scenario"].str.extract(r"^d(?P<draw>\d+)-(?P<arm>\w+)$")
    wide["draw"], wide["arm"] = parts["draw"].astype(int), parts["arm"]
    rows = wide.merge(points, on="draw", how="left").merge(contributed, on=["draw", "arm"])
    for partner in PARTNERS:
        rows[f"paid_{partner}_gbp"] = (rows[CASH_BY_PAYER[partner]]
                                       + rows[f"contribution_{partner}_gbp"]
                                       + rows[f"risk_share_{partner}_gbp"].fillna(0.0))
    order = ["draw", "arm", "replication", "seed", *params, *STRESS_KPIS,
             *[f"{c}_{p}_gbp" for p in PARTNERS for c in ("contribution", "paid")]]
    return rows[order].sort_values(["draw", "replication", "arm"], ignore_index=True)


def prepare_folder(out: Path, fingerprint: str, settings: dict) -> None:
    """Refuse (one line) an --out that holds something else or another stress test; mark it."""
    state = out / STATE
    if out.exists() and not out.is_dir():
        raise ConfigError([f"--out {out}: is a file; stress needs a new or empty folder"])
    if out.is_dir() and any(out.iterdir()):
        if not state.is_file():
            raise ConfigError([f"--out {out}: holds files that are not a stress test's; "
                               "choose a new or empty folder"])
        if json.loads(state.read_text()).get("fingerprint") != fingerprint:
            raise ConfigError([f"--out {out}: holds a stress test of another config, baseline, "
                               "plausible region or settings (--draws, --replications, "
                               "--seed, --scale); use another --out to start afresh"])
    out.mkdir(parents=True, exist_ok=True)
    atomic.write_json(state, {"fingerprint": fingerprint, **settings})


def load_arms(pool_config: str, baseline: str | None) -> dict[str, Scenario]:
    """The agreement and its baseline at the config's own size."""
    arrangement = load_config(pool_config)
    if not arrangement.funding.pool.scope:
        raise ConfigError([f"{pool_config}: funding.pool.scope = []: not a pooled budget "
                           "agreement; stress a config whose [funding.pool] has a scope"])
    base = fragmented_baseline(arrangement) if baseline is None else load_config(baseline)
    return {"arrangement": arrangement, "baseline": base}


def agreement_terms(config: Scenario) -> dict:
    """The pool's terms as the agreement states them (scope, contributions, risk share)."""
    pool = config.funding.pool
    rule = {"proportional": "in proportion to the contributions",
            "fixed": f"the NHS {pool.nhs_fixed_share:.0%}, the LA the rest",
            "host": f"all to the host ({pool.host.upper()})"}[pool.risk_share]
    return {"scope": list(pool.scope), "risk_share": pool.risk_share, "risk_share_rule": rule,
            "fund_holder": pool.fund_holder,
            "statutory": sorted({"acute", "chc"} & set(pool.scope)),
            **{f"{p}_contribution": getattr(pool, f"{p}_contribution_share")
               if getattr(pool, f"{p}_contribution_share") is not None
               else getattr(pool, f"{p}_contribution_gbp_per_year") for p in PARTNERS}}


def stress(pool_config: str, plausible: str | Path, out: str | Path,
           baseline: str | None = None, draws: int = 100, replications: int = 1,
           workers: int | None = None, dask: str | None = None, scale: float = 1.0,
           seed: int = 1, progress: bool = True) -> dict:
    """Run the stress test into ``out``; return the content of ``stress.json``.

    Raises ConfigError (one line per problem) for bad input and RuntimeError when runs failed
    (see ``OUT/runs/failures.parquet``; rerunning the same command retries them).
    """
    if draws < 1 or replications < 1:
        which, value = ("--draws", draws) if draws < 1 else ("--replications", replications)
        raise ConfigError([f"{which} {value}: expected a whole number of at least 1"])
    params, region = read_region(plausible)
    arms = load_arms(pool_config, baseline)
    check_params(params, pool_config, plausible)
    points = draw_points(region, params, draws, seed)
    try:   # also refuses a drawn value a field does not allow, before anything is written
        contributed = paid_in(arms, points, params)
    except ConfigError as err:
        raise ConfigError([f"--plausible {plausible}: region.parquet: {line}"
                           for line in err.lines]) from None
    out = Path(out)
    settings = {"pool_config": str(pool_config), "baseline": baseline,
                "plausible": str(plausible), "draws": draws, "replications": replications,
                "seed": seed, "scale": scale}
    blob = json.dumps([{a: c.model_dump(mode="json") for a, c in arms.items()},
                       points.to_dict("list"), settings | {"pool_config": "", "plausible": ""}],
                      sort_keys=True, default=str)
    lock = outdir.hold(out)
    try:
        prepare_folder(out, hashlib.sha256(blob.encode()).hexdigest()[:16], settings)
        paths = {arm: out / f"{arm}.toml" for arm in ARMS}
        for arm, cfg in arms.items():
            atomic.write_text(paths[arm], config_text(cfg, [
                f"Written by `caresim stress` from {pool_config}: the {arm} of the stress "
                "test, at the config's own size."], {}, label=f"{arm}.toml"))
        spec = experiment(arms, paths, points, params, replications, seed, scale)
        summary = run_sweep(spec, out / "runs", workers, dask, True, progress,
                            str(out / "stress.toml"))
        if summary["runs_failed"]:
            raise RuntimeError(f"{summary['runs_failed']} run(s) failed: see "
                               f"{out / 'runs' / 'failures.parquet'}; rerun the same command "
                               "to retry them")
        rows = runs_table(out / "runs", points, params, scale, contributed)
        atomic.write_parquet(rows, out / "stress.parquet")
        result = summarise(rows, params) | {
            "pool_config": str(pool_config), "plausible": str(plausible),
            "baseline": baseline or "POOL_CONFIG with [funding] and the arrangement levers of "
            "configs/fragmented.toml", "draws": draws, "replications": replications,
            "seed": seed, "scale": scale, "agreement": agreement_terms(arms["arrangement"]),
            "runs": {k: summary[k] for k in ("runs_done", "runs_skipped", "wall_seconds")}}
        atomic.write_json(out / "stress.json", result)
        write_report(out / "stress.html", result, rows)
    finally:
        lock.release()
    return result
