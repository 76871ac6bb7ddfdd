"""On-disk storage of a sweep: run parts, the resume index, and the summary files.

Each finished run is an atomically written Parquet part ``runs/<point>__r<rep>__s<seed>.parquet``
(extra tables under ``runs/<table>/``); scanning those parts is the resume index, and
:func:`decide` picks the replications of a point to use from them. The scan checks each part's
Parquet footer and columns (cheap: no data is read), so a truncated or corrupt part counts as
not finished: a resume re-runs it, and :func:`finish` names it instead of crashing.
:func:`finish` writes ``kpis.parquet``, ``design.parquet`` and ``analysis.json`` from the parts;
:func:`manifest` builds ``manifest.json``. Every file is written through :mod:`sim.atomic`.
Apart from the run loop (:mod:`sim.sweep`) so that the file layout is in one place.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import atomic, designs
from .config import ConfigError
from .marker import SWEEP_PART as PART
from .sweep_plan import Plan, Point
from .sweep_spec import Experiment

# --- storage -------------------------------------------------------------------------------
#: Columns every KPI part has (older parts may lack ``cpu_seconds``).
PART_COLUMNS = {"point", "scenario", "seed", "replication", "kpi", "value", "wall_seconds",
                "worker"}


def run_key(point: Point, replication: int) -> str:
    """File stem of a run's part: (point, replication, seed)."""
    return f"{point.id}__r{replication:04d}__s{point.seed}"


def stored_tables(spec: Experiment) -> list[str]:
    """The extra tables stored per run (each run's parts under runs/<table>/)."""
    return [t for t in spec.store if t != "kpis"]


def write_run(out: Path, point: Point, replication: int, result: dict) -> None:
    """Extra tables first, the KPI part last: the KPI part marks the run as finished."""
    key = run_key(point, replication)
    ids = {"point": point.id, "scenario": point.scenario, "seed": point.seed}
    for table, frame in result.get("tables", {}).items():
        atomic.write_parquet(frame.assign(**ids), out / "runs" / table / f"{key}.parquet")
    kpis = result["kpis"]
    atomic.write_parquet(pd.DataFrame({**ids, "replication": replication, "kpi": list(kpis),
                                  "value": list(kpis.values()),
                                  "wall_seconds": result["wall_seconds"],
                                  "cpu_seconds": result.get("cpu_seconds", math.nan),
                                  "worker": result["worker"]}),
                         out / "runs" / f"{key}.parquet")


def part_problem(path: Path, columns: set[str] = frozenset()) -> str | None:
    """Why a stored part cannot be used (None if its footer, columns and rows are sound).

    Reads only the Parquet footer, so a resume checks thousands of parts in seconds.
    """
    try:
        meta = pq.read_metadata(path)
    except (OSError, pa.ArrowException) as err:
        return f"not a readable Parquet file: {str(err).splitlines()[0] if str(err) else err}"
    missing = set(columns) - set(meta.schema.names)
    if missing:
        return f"missing column(s) {', '.join(sorted(missing))}"
    return "no rows" if meta.num_rows == 0 else None


def scan_parts(out: Path, tables=()) -> tuple[dict[str, Path], dict[Path, str]]:
    """Finished runs on disk (stem -> KPI part) and damaged parts (path -> problem).

    A run is finished when its KPI part and the part of each of ``tables`` are sound; a
    damaged KPI or table part makes it unfinished, so that a resume re-runs it.
    """
    runs = out / "runs"
    if not runs.is_dir():
        return {}, {}
    for stale in runs.rglob(".*.tmp"):
        stale.unlink(missing_ok=True)
    sound, damaged = {}, {}
    for path in sorted(runs.glob("*.parquet")):
        if not PART.match(path.stem):
            continue
        checks = [(path, PART_COLUMNS)] + [(runs / t / path.name, set()) for t in tables]
        for part, columns in checks:
            problem = part_problem(part, columns) if part.exists() else "missing"
            if problem:
                damaged[part] = problem
                break
        else:
            sound[path.stem] = path
    return sound, damaged


def damaged_message(out: Path, damaged: dict[Path, str], source: str) -> str:
    """One line naming a damaged part (and how many others) and how to repair them."""
    first, problem = next(iter(damaged.items()))
    more = f" and {len(damaged) - 1} other damaged part(s)" if len(damaged) > 1 else ""
    return (f"{first}: damaged run part ({problem}){more}; rerun the sweep to re-run it: "
            f"caresim sweep {source} --out {out}")


def _read_part(path: Path, plan: Plan, out: Path, **kwargs) -> pd.DataFrame:
    """Read a part; a part damaged beyond its footer is a one-line error, not a traceback."""
    try:
        return pd.read_parquet(path, **kwargs)
    except (OSError, pa.ArrowException) as err:
        raise ConfigError([damaged_message(out, {path: str(err).splitlines()[0]},
                                           plan.source)]) from None


def read_kpis(path: Path, plan: Plan | None = None, out: Path | None = None
              ) -> dict[str, float]:
    """A stored run's KPI values (kpi -> value)."""
    part = (_read_part(path, plan, out, columns=["kpi", "value"]) if plan is not None
            else pd.read_parquet(path, columns=["kpi", "value"]))
    return dict(zip(part["kpi"], part["value"].astype(float)))


def decide(spec: Experiment, present: dict[int, dict], failed: set[int]) -> dict:
    """Replications of one point to use, from finished (and failed) replications."""
    r = spec.replications
    if isinstance(r, int):
        used = [k for k in range(r) if k in present]
        return {"replications": len(used), "used": used, "done": True}
    prefix = 0
    while prefix in present or prefix in failed:
        prefix += 1
    order = [k for k in range(prefix) if k in present]
    values = {kpi: [present[k][kpi] for k in order] for kpi in r.kpis}
    d = designs.hoad_replications(values, r.auto, r.min, r.max, r.look_ahead, resolved=prefix)
    return {"replications": d["n_used"], "used": order[: d["n_used"]], "done": d["done"],
            "n_solution": d["n_solution"], "precision": r.auto, "precision_met": d["met"],
            "half_width_ratio": d["half_width_ratio"]}


def _versions() -> dict:
    from importlib import metadata

    from . import provenance
    extra = {}
    for name in ("dask", "distributed", "SALib", "tqdm"):
        try:
            extra[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            extra[name] = None
    v = provenance.versions()
    v["packages"] = {**v["packages"], **extra}
    return v


def manifest(plan: Plan, extra: dict) -> dict:
    """The content of a sweep's ``manifest.json``: the experiment, its configs, versions."""
    return {"experiment": {"source": plan.source, "spec": plan.spec.model_dump(mode="json")},
            "fingerprint": plan.fingerprint, "warmup": plan.warmup,
            "configs": {k: c.model_dump(mode="json") for k, c in plan.configs.items()},
            **extra, **_versions()}


def finish(plan: Plan, out: Path) -> tuple[dict, pd.DataFrame]:
    """kpis.parquet, design.parquet and analysis.json from the parts on disk.

    Raises ConfigError (one line) if a part of a point of the plan is damaged.
    """
    parts, damaged = scan_parts(out)
    seeds = {(p.id, p.seed) for p in plan.points}
    damaged = {path: why for path, why in damaged.items()
               if (m := PART.match(path.stem)) and (m["point"], int(m["seed"])) in seeds}
    if damaged:
        raise ConfigError([damaged_message(out, damaged, plan.source)])
    failures = out / "failures.parquet"
    failed = _read_part(failures, plan, out) if failures.exists() else pd.DataFrame(
        columns=["point", "replication"])
    frames, detail, runs = [], {}, []
    by_point: dict[tuple[str, int], dict[int, Path]] = {}
    for key, path in parts.items():
        m = PART.match(key)
        by_point.setdefault((m["point"], int(m["seed"])), {})[int(m["rep"])] = path
    for point in plan.points:
        reps = by_point.get((point.id, point.seed), {})
        present = {r: read_kpis(p, plan, out) for r, p in reps.items()} \
            if not isinstance(plan.spec.replications, int) else {r: {} for r in reps}
        bad = set(failed.loc[failed["point"] == point.id, "replication"].astype(int))
        d = decide(plan.spec, present, bad)
        for rep in d.pop("used"):
            part = _read_part(reps[rep], plan, out)
            frames.append(part)
            runs.append({"point": point.id, "replication": rep, "seed": point.seed,
                         "wall_seconds": float(part["wall_seconds"].iloc[0]),
                         "cpu_seconds": float(part.get("cpu_seconds", pd.Series([math.nan]))
                                              .iloc[0]),
                         "worker": str(part["worker"].iloc[0])})
        d.pop("done")
        detail[point.id] = d
    cols = ["point", "scenario", "replication", "seed", "kpi", "value"]
    kpis = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    kpis = kpis.astype({"replication": "int64", "seed": "int64", "value": "float64"})
    atomic.write_parquet(kpis, out / "kpis.parquet")
    rows = [{"point": p.id, "scenario": p.scenario, "design_point": p.design_point,
             **p.overrides} for p in plan.points]
    atomic.write_parquet(pd.DataFrame(rows), out / "design.parquet")
    dp = {p.id: p.design_point for p in plan.points}
    spec_dict = {**plan.spec.model_dump(mode="json"), "base_scenario": plan.spec.base_name}
    analysis = designs.analyse(kpis.assign(design_point=kpis["point"].map(dp)), spec_dict,
                               plan.params, plan.raw, len(plan.design))
    by_scenario: dict[str, int] = {}
    for point in plan.points:
        n = detail[point.id]["replications"]
        by_scenario[point.scenario] = max(by_scenario.get(point.scenario, 0), n)
    analysis["warmup_days"] = plan.configs[plan.spec.base_name].run.warmup_days
    analysis["warmup"] = plan.warmup or {"method": "fixed"}
    analysis["replications"] = by_scenario
    analysis["replication_detail"] = detail
    analysis = designs.json_safe(analysis)
    atomic.write_json(out / "analysis.json", analysis)
    return analysis, pd.DataFrame(runs)
