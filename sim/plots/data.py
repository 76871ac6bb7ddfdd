"""Readers for caresim output folders: a single run, a ``compare`` and a ``sweep``.

Detection (first match wins):

* **sweep**: ``design.parquet`` or ``analysis.json`` in the folder (``caresim sweep``);
* **compare**: ``paired_differences.parquet`` in the folder, or at least one sub-folder that is
  a run folder (``caresim compare``);
* **run**: ``kpis.parquet`` and ``summary.json`` or ``daily.parquet`` in the folder
  (``Results.save``).

Missing optional files are not errors: the reader records a note and the figure is skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

TABLES = {"daily": "daily.parquet", "costs": "monthly_costs.parquet",
          "resource": "monthly_resource_use.parquet", "budgets": "budgets.parquet",
          "shifting": "cost_shifting.parquet", "kpis": "kpis.parquet",
          "discharges": "discharges.parquet", "events": "events.parquet"}


class ResultsError(Exception):
    """The folder is missing, unreadable or not a caresim results folder."""


def _read_parquet(path: Path, columns=None) -> pd.DataFrame:
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise ResultsError(f"cannot read {path}: {exc}".splitlines()[0]) from exc


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}".splitlines()[0]) from exc


def get(config: dict, dotted: str, default=None):
    """A value of a config dict by dotted name ('acute.beds'), or ``default``."""
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def is_run_dir(path: Path) -> bool:
    return (path / "kpis.parquet").is_file() and ((path / "summary.json").is_file()
                                                 or (path / "daily.parquet").is_file())


def detect_kind(path: str | Path) -> str:
    """'run', 'compare' or 'sweep' (raises ResultsError for anything else)."""
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"no such folder: {path}")
    if not path.is_dir():
        raise ResultsError(f"not a folder: {path}")
    if (path / "design.parquet").is_file() or (path / "analysis.json").is_file():
        return "sweep"
    if (path / "paired_differences.parquet").is_file() or any(
            p.is_dir() and is_run_dir(p) for p in path.iterdir()):
        return "compare"
    if is_run_dir(path):
        return "run"
    raise ResultsError(f"not a caresim results folder (no kpis.parquet, "
                       f"paired_differences.parquet or design.parquet): {path}")


@dataclass
class RunData:
    """One results folder written by ``Results.save``; tables are read on first use."""

    path: Path
    name: str
    summary: dict
    manifest: dict
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: str | Path) -> RunData:
        path = Path(path)
        if not is_run_dir(path):
            raise ResultsError(f"not a caresim run folder: {path}")
        summary = _read_json(path / "summary.json") if (path / "summary.json").is_file() else {}
        manifest = _read_json(path / "manifest.json") if (path / "manifest.json").is_file() \
            else {}
        name = summary.get("config") or (manifest.get("config") or {}).get("name") or path.name
        run = cls(path, str(name), summary, manifest)
        kpis = run.table("kpis")   # read now: a damaged folder fails here, with one message
        if not {"replication", "kpi", "value"} <= set(kpis.columns):
            raise ResultsError(f"{path / TABLES['kpis']} lacks the columns replication, kpi, "
                               "value")
        return run

    @property
    def config(self) -> dict:
        return self.manifest.get("config") or {}

    def section(self, dotted: str, default=None):
        """A config value by dotted name ('acute.beds'), or ``default``."""
        return get(self.config, dotted, default)

    @property
    def replications(self) -> int:
        return int(self.summary.get("replications") or self.manifest.get("replications") or 0)

    def has(self, table: str) -> bool:
        return (self.path / TABLES[table]).is_file()

    def table(self, table: str) -> pd.DataFrame | None:
        """A tidy table with a ``scenario`` column, or None when the file is absent."""
        if table not in self._cache:
            file = self.path / TABLES[table]
            if not file.is_file():
                self._cache[table] = None
            else:
                frame = _read_parquet(file)
                frame.insert(0, "scenario", self.name)
                self._cache[table] = frame
        return self._cache[table]

    def kpi_summary(self) -> pd.DataFrame:
        """kpi, mean, ci_low, ci_high, replications, from kpis.parquet.

        Recomputed rather than read from summary.json, so that a folder written before the
        intervals learnt each KPI's range (:mod:`sim.stats`) reports them correctly too.
        """
        from ..results import summarise
        return summarise(self.table("kpis")[["replication", "kpi", "value"]])


@dataclass
class SweepData:
    path: Path
    kpis: pd.DataFrame | None
    design: pd.DataFrame | None
    analysis: dict
    manifest: dict

    @property
    def parameters(self) -> list[str]:
        """The swept parameters (design columns other than the point identifiers)."""
        if self.design is None:
            return []
        return [c for c in self.design.columns if c not in ("point", "scenario", "design_point")]

    def records(self, key: str) -> pd.DataFrame | None:
        """analysis.json[key] as a DataFrame, or None."""
        value = self.analysis.get(key)
        if not value:
            return None
        return pd.DataFrame(value)

    def scenario_summary(self) -> pd.DataFrame | None:
        scenarios = self.analysis.get("scenarios")
        if not scenarios:
            return None
        return pd.DataFrame([{"scenario": s, "kpi": k, **v} for s, kpis in scenarios.items()
                             for k, v in kpis.items()])


@dataclass
class Folder:
    """Everything a report or plot command reads from one results folder."""

    path: Path
    kind: str
    runs: list[RunData]
    paired: pd.DataFrame | None = None
    sweep: SweepData | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def base(self) -> str | None:
        if self.paired is not None and len(self.paired):
            return str(self.paired["base"].iloc[0])
        return self.runs[0].name if self.runs else None

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.runs]

    def stacked(self, table: str) -> pd.DataFrame | None:
        """One table across every run (``scenario`` column), None if no run has it."""
        frames = [r.table(table) for r in self.runs]
        frames = [f for f in frames if f is not None and len(f)]
        return pd.concat(frames, ignore_index=True) if frames else None

    def per_run(self, dotted: str) -> dict:
        return {r.name: r.section(dotted) for r in self.runs}

    def configs(self) -> dict[str, dict]:
        """Resolved config per scenario: from the run folders, else the sweep manifest."""
        found = {r.name: r.config for r in self.runs if r.config}
        if not found and self.sweep is not None:
            found = dict(self.sweep.manifest.get("configs") or {})
        return found


def _order_runs(runs: list[RunData], paired: pd.DataFrame | None) -> list[RunData]:
    order = []
    if paired is not None and len(paired):
        order = list(dict.fromkeys([*paired["base"].astype(str), *paired["scenario"].astype(str)]))
    rank = {n: i for i, n in enumerate(order)}
    return sorted(runs, key=lambda r: (rank.get(r.name, len(rank)), r.name))


def _sub_runs(path: Path) -> list[RunData]:
    runs = [RunData.load(p) for p in sorted(path.iterdir()) if p.is_dir() and is_run_dir(p)]
    seen: dict[str, int] = {}
    for run in runs:   # two folders with the same config name: fall back to folder names
        seen[run.name] = seen.get(run.name, 0) + 1
    for run in runs:
        if seen[run.name] > 1:
            run.name = run.path.name
    return runs


def _paired_from_runs(runs: list[RunData], paired: pd.DataFrame) -> pd.DataFrame:
    """The paired table recomputed from the runs' KPIs (as :func:`sim.paired_differences`).

    Folders written before the % change had its own interval lack ``percent_low`` and
    ``percent_high``; when every scenario's run folder is here they are recomputed, else the
    table is returned as it was.
    """
    from ..stats import paired_summary
    by_name = {r.name: r.table("kpis").pivot_table(index="replication", columns="kpi",
                                                    values="value") for r in runs}
    base = str(paired["base"].iloc[0])
    scenarios = list(dict.fromkeys(paired["scenario"].astype(str)))
    if any(name not in by_name for name in [base, *scenarios]):
        return paired
    a, rows = by_name[base], []
    for name in scenarios:
        b = by_name[name]
        common = a.index.intersection(b.index)
        rows += [{"kpi": kpi, "base": base, "scenario": name,
                  **paired_summary(a.loc[common, kpi], b.loc[common, kpi], kpi)}
                 for kpi in dict.fromkeys(paired["kpi"]) if kpi in a and kpi in b]
    return pd.DataFrame(rows)


def load_folder(path: str | Path) -> Folder:
    """Read a run, compare or sweep folder (raises ResultsError when it is none of them)."""
    path = Path(path)
    kind = detect_kind(path)
    notes: list[str] = []
    if kind == "run":
        return Folder(path, kind, [RunData.load(path)])
    paired = None
    if (path / "paired_differences.parquet").is_file():
        paired = _read_parquet(path / "paired_differences.parquet")
    runs = _sub_runs(path)
    if paired is not None and "percent_low" not in paired.columns:
        paired = _paired_from_runs(runs, paired)
    if kind == "compare":
        if paired is None:
            notes.append("paired_differences.parquet is missing: no forest plot or paired "
                         "findings.")
        if not runs:
            notes.append("no scenario sub-folders: time-series and cost figures are skipped.")
        return Folder(path, kind, _order_runs(runs, paired), paired, notes=notes)
    files = {name: path / name for name in ("kpis.parquet", "design.parquet", "analysis.json",
                                            "manifest.json")}
    for name, file in files.items():
        if not file.is_file():
            notes.append(f"{name} is missing from the sweep folder: figures that need it are "
                         "skipped.")
    sweep = SweepData(
        path,
        _read_parquet(files["kpis.parquet"]) if files["kpis.parquet"].is_file() else None,
        _read_parquet(files["design.parquet"]) if files["design.parquet"].is_file() else None,
        _read_json(files["analysis.json"]) if files["analysis.json"].is_file() else {},
        _read_json(files["manifest.json"]) if files["manifest.json"].is_file() else {})
    if paired is None and sweep.records("paired_differences") is not None:
        paired = sweep.records("paired_differences")
    return Folder(path, kind, _order_runs(runs, paired), paired, sweep, notes)
