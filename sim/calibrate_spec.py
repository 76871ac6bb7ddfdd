"""What ``caresim calibrate`` is asked: the config, its uncertain parameters and the targets.

``TARGETS.toml`` (``caresim place build`` writes the targets of a place) holds::

    [params."acute.los_mean_days"]     # a numeric config field and its prior range
    low = 5.0
    high = 11.0

    [targets.emergency_admissions]     # a KPI (sim/kpis.py) and what the place observed
    value = 7900.0                     # in the KPI's unit
    sd = 400.0                         # observation uncertainty, above 0
    discrepancy = 0.0                  # optional: model discrepancy sd (default 0)

    [targets.delayed_bed_days.by_year]  # or a figure per year (backcasting): the calendar
    2023 = { value = 12100.0, sd = 1800.0 }   # year each simulated year of the counting
    2024 = { value = 12400.0, sd = 1800.0 }   # window starts in (sim.kpis_yearly)

A KPI's yearly figures are matched year by year, except the year ``holdout_year``
(``--holdout-year``), which is held out: the calibrated model's prediction of it is reported
instead (a backcast). Yearly figures are for flows and window means, not for the KPIs of the
population at the end of the run (:data:`sim.kpis_yearly.STOCKS`), and only for years the
run's counting window covers whole.

:func:`load_spec` reads and checks it against the config: every mistake (a missing file, an
unknown field or KPI, a field that is not a number, ``low >= high``, a bound the field does
not allow, ``sd <= 0``) is one line naming the file, the key, the value and what is allowed,
raised together as a :class:`~sim.config.ConfigError`. With ``scale`` (``--scale F``) the place
is run F times its size: parameters that grow with the place (:data:`sim.scaling.SCALED_FIELDS`)
and targets of KPIs that count (everything but shares, days and hours) are multiplied by F for
the runs, and every output is given back at the config's own size.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import (
    ConfigError,
    leaf_fields,
    load_config,
    read_toml,
    with_overrides,
)
from .config import config_text as write_config_text
from .designs import Param
from .history_matching import Target
from .kpis import KPIS
from .kpis_yearly import STOCKS, year_windows
from .scaling import SCALED_FIELDS, scale_overrides, value_at
from .schema import Scenario
from .schema_base import YEAR

#: KPI units that do not grow with the size of the place.
INTENSIVE_UNITS = ("share", "days", "hours", "ratio")
PARAM_KEYS, TARGET_KEYS = {"low", "high"}, {"value", "sd", "discrepancy"}


@dataclass(frozen=True)
class CalibrationSpec:
    """A checked calibration problem: the config (at its own size), parameters, targets."""

    config_source: str
    config: Scenario
    params: list[Param]
    targets: list[Target]
    scale: float = 1.0
    holdout: tuple[Target, ...] = ()
    holdout_year: int | None = None
    config_name: str = ""   # the config as the user named it (config_source is absolute)

    @property
    def yearly(self) -> bool:
        """Whether the runs must give KPIs per year."""
        return any(t.year is not None for t in (*self.targets, *self.holdout))

    def param_factor(self, path: str) -> float:
        """What a parameter is multiplied by for the runs (the scale if it grows with it)."""
        return self.scale if path in SCALED_FIELDS else 1.0

    def kpi_factor(self, kpi: str) -> float:
        """What a KPI is multiplied by at the run's size (the scale for counts and money)."""
        return 1.0 if KPIS[kpi].unit in INTENSIVE_UNITS else self.scale

    def run_config(self) -> Scenario:
        """The config the runs start from: the config at ``scale`` times its size."""
        if self.scale == 1:
            return self.config
        return with_overrides(self.config, scale_overrides(self.config, self.scale))

    def values(self, unit) -> dict[str, float]:
        """Parameter values at the config's own size for a unit-cube point."""
        return {p.path: p.cast(p.scale([u])[0]) for p, u in zip(self.params, unit)}

    def run_overrides(self, unit) -> dict[str, float]:
        """Overrides of the run config for a unit-cube point (scaled fields times the scale)."""
        out = {}
        for path, value in self.values(unit).items():
            factor = self.param_factor(path)
            param = next(p for p in self.params if p.path == path)
            out[path] = param.cast(value * factor) if factor != 1 else value
        return out

    def run_targets(self, targets: list[Target] | tuple[Target, ...] | None = None
                    ) -> list[Target]:
        """The targets (or ``targets``) at the size of the runs."""
        return [Target(t.kpi, t.value * self.kpi_factor(t.kpi), t.sd * self.kpi_factor(t.kpi),
                       t.discrepancy * self.kpi_factor(t.kpi), t.year)
                for t in (self.targets if targets is None else targets)]

    @property
    def fingerprint(self) -> str:
        """A hash of everything that decides the runs (guards resuming an --out)."""
        blob = json.dumps([self.config.model_dump(mode="json"),
                           [(p.path, p.low, p.high) for p in self.params],
                           [(t.key, t.value, t.sd, t.discrepancy) for t in self.targets],
                           [(t.key, t.value, t.sd) for t in self.holdout],
                           self.scale], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _params(raw, config: Scenario, where: str) -> tuple[list[Param], list[str]]:
    fields, out, errors = dict(leaf_fields()), [], []
    if not isinstance(raw, dict) or not raw:
        return [], [f"{where}: no [params.\"dotted.field\"] table: give at least one "
                    "uncertain parameter with low and high"]
    for path, r in raw.items():
        key = f'{where}: params."{path}"'
        info = fields.get(path)
        if info is None:
            errors.append(f"{key}: unknown config field (`caresim validate --schema` lists "
                          "fields)")
            continue
        if info.annotation not in (int, float):
            errors.append(f"{key} = {value_at(config, path)!r}: not a number field; only "
                          "numeric fields can be calibrated")
            continue
        if not isinstance(r, dict) or set(r) != PARAM_KEYS:
            errors.append(f"{key} = {r!r}: expected a table with low and high (numbers)")
            continue
        low, high = r["low"], r["high"]
        if not (_number(low) and _number(high)):
            errors.append(f"{key} = {r!r}: low and high must be finite numbers")
            continue
        if low >= high:
            errors.append(f"{key}: low = {low!r} >= high = {high!r}: needs low < high")
            continue
        bad = False
        for bound, value in (("low", low), ("high", high)):
            try:
                with_overrides(config, {path: int(value) if info.annotation is int else value})
            except ConfigError as err:
                reason = err.lines[0].rpartition(": ")[2]
                errors.append(f"{key}.{bound} = {value!r}: {reason}")
                bad = True
        if not bad:
            integer = info.annotation is int
            out.append(Param(path, round(low) if integer else float(low),
                             round(high) if integer else float(high), integer,
                             base=value_at(config, path)))
    return out, errors


def _target(kpi: str, t, key: str, year: int | None, errors: list[str]) -> Target | None:
    """One checked target (None, with its problem added to ``errors``, if it is wrong)."""
    if not isinstance(t, dict) or not {"value", "sd"} <= set(t) or set(t) - TARGET_KEYS:
        errors.append(f"{key} = {t!r}: expected a table with value and sd (and optionally "
                      "discrepancy), numbers" + ("" if year else "; or a by_year table"))
        return None
    if not all(_number(t[k]) for k in t):
        errors.append(f"{key} = {t!r}: value, sd and discrepancy must be finite numbers")
    elif t["sd"] <= 0:
        errors.append(f"{key}.sd = {t['sd']!r}: must be above 0 (the observation's "
                      "uncertainty)")
    elif t.get("discrepancy", 0) < 0:
        errors.append(f"{key}.discrepancy = {t['discrepancy']!r}: must be 0 or more")
    else:
        return Target(kpi, float(t["value"]), float(t["sd"]),
                      float(t.get("discrepancy", 0.0)), year)
    return None


def _targets(raw, where: str, years: list[int]) -> tuple[list[Target], list[str]]:
    """The targets of the file; ``years``: the calendar years the runs cover whole."""
    out, errors = [], []
    if not isinstance(raw, dict) or not raw:
        return [], [f"{where}: no [targets.KPI] table: give at least one observed KPI with "
                    "value and sd"]
    for kpi, t in raw.items():
        key = f"{where}: targets.{kpi}"
        if kpi not in KPIS:
            errors.append(f"{key}: unknown KPI (known: {', '.join(KPIS)})")
            continue
        if not (isinstance(t, dict) and set(t) == {"by_year"}):
            out.append(_target(kpi, t, key, None, errors))
            continue
        if kpi in STOCKS or not isinstance(t["by_year"], dict) or not t["by_year"]:
            why = (f"{kpi} counts people at the end of the run and has no yearly value"
                   if kpi in STOCKS else "expected a table of year = { value, sd }")
            errors.append(f"{key}.by_year = {t['by_year']!r}: {why}")
            continue
        for year, figure in t["by_year"].items():
            if not (str(year).isdigit() and int(year) in years):
                errors.append(f"{key}.by_year.{year}: not a year the runs cover whole (the "
                              f"counting window's years: {', '.join(map(str, years))}; "
                              "run.start_date, run.warmup_days and run.years set them)")
                continue
            out.append(_target(kpi, figure, f"{key}.by_year.{year}", int(year), errors))
    return [t for t in out if t is not None], errors


def _holdout(targets: list[Target], year: int | None, where: str
             ) -> tuple[list[Target], list[Target], list[str]]:
    """(matched, held out, problems) for ``--holdout-year year``."""
    if year is None:
        return targets, [], []
    held = [t for t in targets if t.year == year]
    kept = [t for t in targets if t.year != year]
    years = sorted({t.year for t in targets if t.year is not None})
    if not held:
        return kept, held, [f"--holdout-year {year}: {where} has no [targets.KPI.by_year] "
                            f"figure for {year} (years given: "
                            f"{', '.join(map(str, years)) or 'none'})"]
    if not kept:
        return kept, held, [f"--holdout-year {year}: every target of {where} is of {year}; "
                            "keep targets of other years to calibrate on"]
    return kept, held, []


def load_spec(config: str | Path, targets: str | Path, scale: float = 1.0,
              holdout_year: int | None = None) -> CalibrationSpec:
    """Read and check a config and its targets file; ConfigError with one line per problem.

    ``holdout_year``: the year whose yearly targets are held out for a backcast.
    """
    targets = Path(targets)
    if not targets.is_file():
        raise ConfigError([f"--targets {targets}: file not found"])
    cfg = load_config(config)
    data = read_toml(targets)
    where = str(targets)
    unknown = [k for k in data if k not in ("params", "targets")]
    params, errors = _params(data.get("params"), cfg, where)
    years = [y for y, _, _ in year_windows(pd.Timestamp(cfg.run.start_date),
                                           float(round(cfg.run.warmup_days)),
                                           float(round(cfg.run.warmup_days
                                                       + cfg.run.years * YEAR)))]
    found, more = _targets(data.get("targets"), where, years)
    errors += more + [f"{where}: [{k}]: unknown table (allowed: params, targets)"
                      for k in unknown]
    if errors:
        raise ConfigError(errors)
    found, held, errors = _holdout(found, holdout_year, where)
    if errors:
        raise ConfigError(errors)
    source = str(Path(config).resolve()) if Path(config).is_file() else str(config)
    return CalibrationSpec(source, cfg, params, found, scale, tuple(held), holdout_year,
                           str(config))


def config_text(config: Scenario, notes: dict[str, str], header: list[str]) -> str:
    """A config as TOML: the fields that differ from the schema's defaults, plus those in
    ``notes`` (each with its note as a comment); checked to load back as ``config``."""
    return write_config_text(config, header, notes, label="calibrated.toml")
