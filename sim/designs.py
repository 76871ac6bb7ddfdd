"""Experimental designs and their analysis, and the two statistical rules a sweep relies on.

A design is a table of *design points*: one row per point, one column per swept dotted
parameter (``acute.beds``), the values the model is run with. :func:`generate` builds it for
``none`` (the base point only), ``oat`` (the base point, then each parameter at its low and its
high value with the others at base: tornado data), ``grid`` (full factorial), ``lhs`` (Latin
hypercube, ``scipy.stats.qmc``), ``sobol`` (Saltelli/Sobol' sampling) and ``morris`` (Morris
trajectories); the last two come from SALib so that :func:`sobol_indices` and
:func:`morris_indices` can analyse them with bootstrap confidence intervals. Integer parameters
are sampled as discrete uniforms over ``low..high``.

:func:`mser5` estimates a warm-up by MSER-5 (White 1997) and :func:`hoad_replications` decides
how many replications give a KPI mean with a target relative 95% half-width (the
confidence-interval method of Hoad, Robinson & Davies 2010, with its look-ahead).
:func:`analyse` turns the tidy per-run KPIs of a sweep into the content of ``analysis.json``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import stats

DESIGNS = ("none", "oat", "grid", "lhs", "sobol", "morris")


@dataclass(frozen=True)
class Param:
    """One swept parameter: dotted config path, range, integer flag, base value."""

    path: str
    low: Any
    high: Any
    integer: bool = False
    values: tuple | None = None      # explicit grid values
    base: Any = None

    def scale(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval samples to applied values (discrete uniform for integers)."""
        u = np.clip(np.asarray(u, float), 0.0, 1.0)
        if self.integer:
            span = int(self.high) - int(self.low) + 1
            return np.minimum(np.floor(int(self.low) + span * u), int(self.high)).astype(int)
        return self.low + (self.high - self.low) * u

    def applied(self, x: float) -> Any:
        """Value given to the config for a raw (unit-scaled) SALib sample x in [low, high]."""
        if self.high == self.low:
            return self.low
        return self.scale((x - self.low) / (self.high - self.low)).item()

    def cast(self, value: Any) -> Any:
        """A plain Python value for the config (ints rounded)."""
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if self.integer:
            return round(float(value))
        if isinstance(value, (int, float, np.integer, np.floating)):
            return float(value)
        return value


def problem(params: list[Param]) -> dict:
    """The SALib problem definition of a list of parameters."""
    return {"num_vars": len(params), "names": [p.path for p in params],
            "bounds": [[float(p.low), float(p.high)] for p in params]}


def generate(kind: str, params: list[Param], n: int | None = None, levels: int = 4,
             second_order: bool = False, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Design table (one row per design point, one column per parameter) and raw samples.

    The raw samples (SALib's X for ``sobol``/``morris``, unit-cube points for ``lhs``) are what
    the analysis needs; the table holds the values applied to the config.
    """
    names = [p.path for p in params]
    raw = None
    if kind == "none":
        rows = [{}]
    elif kind == "oat":
        base = {p.path: p.cast(p.base) for p in params}
        rows = [dict(base)]
        for p in params:
            rows += [{**base, p.path: p.cast(p.low)}, {**base, p.path: p.cast(p.high)}]
    elif kind == "grid":
        axes = [p.values if p.values is not None
                else np.linspace(p.low, p.high, levels).tolist() for p in params]
        rows = [{p.path: p.cast(v) for p, v in zip(params, combo)}
                for combo in itertools.product(*axes)]
    elif kind == "lhs":
        from scipy.stats import qmc
        raw = qmc.LatinHypercube(d=len(params), seed=seed).random(n)
        rows = [{p.path: p.cast(p.scale(u[j]).item()) for j, p in enumerate(params)} for u in raw]
    elif kind in ("sobol", "morris"):
        if kind == "sobol":
            from SALib.sample import sobol
            raw = sobol.sample(problem(params), n, calc_second_order=second_order, seed=seed)
        else:
            from SALib.sample import morris
            raw = morris.sample(problem(params), n, num_levels=levels, seed=seed)
        rows = [{p.path: p.cast(p.applied(x[j])) for j, p in enumerate(params)} for x in raw]
    else:
        raise ValueError(f"unknown design {kind!r} (one of {', '.join(DESIGNS)})")
    table = pd.DataFrame(rows, columns=names)
    table.insert(0, "design_point", np.arange(len(table)))
    return table, raw


# --- statistical rules ---------------------------------------------------------------------
def mser5(series, batch: int = 5) -> dict:
    """MSER-5 truncation point of one output series (e.g. daily occupancy).

    Batch means of ``batch`` days; the truncation d minimises
    ``sum((Y[d:] - mean(Y[d:]))**2) / (n - d)**2`` over the first half of the batches.
    Returns ``{"days": d * batch, "batches": n, "at_limit": bool}``; at_limit means the
    minimum sits at the half-way limit, so the run is too short to trust the estimate.
    """
    x = np.asarray(series, float)
    n = len(x) // batch
    if n < 4:
        return {"days": 0, "batches": n, "at_limit": True}
    y = x[: n * batch].reshape(n, batch).mean(axis=1)
    tail_sum = np.cumsum(y[::-1])[::-1]
    tail_sq = np.cumsum((y ** 2)[::-1])[::-1]
    count = np.arange(n, 0, -1, dtype=float)
    sse = tail_sq - tail_sum ** 2 / count
    limit = n // 2
    mser = sse[: limit + 1] / count[: limit + 1] ** 2
    d = int(np.argmin(mser))
    return {"days": d * batch, "batches": n, "at_limit": d >= limit}


def relative_half_width(values) -> float:
    """95% t half-width over |mean| (0 for constant values, inf for a zero mean)."""
    x = np.asarray(values, float)
    if len(x) < 2:
        return math.inf
    mean, _, high = stats.t_interval(x)
    if x.std(ddof=1) == 0:
        return 0.0
    return (high - mean) / abs(mean) if mean != 0 else math.inf


def look_ahead_limit(n: int, look_ahead: int) -> int:
    """Hoad et al.'s kLimit: ``look_ahead`` below 100 replications, proportional above."""
    return look_ahead if n <= 100 else math.floor(look_ahead * n / 100)


def hoad_replications(values: dict[str, list[float]], precision: float, minimum: int,
                      maximum: int, look_ahead: int = 5, resolved: int | None = None) -> dict:
    """Replication count by the confidence-interval method with look-ahead.

    Parameters
    ----------
    values : per KPI, the values of the successful replications in replication order.
    precision : target relative half-width of the 95% interval (0.05 = 5%).
    minimum, maximum : bounds on the replications run.
    resolved : replications finished (successful or failed) so far; defaults to len(values).

    Returns ``{"done", "n_used", "n_solution", "met", "half_width_ratio"}``: done is True once
    some n >= minimum meets the precision for every KPI at n and at each of the next
    kLimit(n) replications (then n_used = n + kLimit(n)), or the maximum is reached.
    """
    m = len(next(iter(values.values()))) if values else 0
    resolved = m if resolved is None else resolved
    ratios = [[relative_half_width(v[:j]) for j in range(m + 1)] for v in values.values()]
    ok = [all(r[j] <= precision for r in ratios) for j in range(m + 1)]
    for n in range(max(minimum, 2), m + 1):
        k = look_ahead_limit(n, look_ahead)
        if n + k <= min(m, maximum) and all(ok[n: n + k + 1]):
            return _decision(values, precision, True, n + k, n)
        if n + k > maximum and resolved >= maximum and all(ok[n:]):
            return _decision(values, precision, True, m, n)
    if resolved >= maximum:
        return _decision(values, precision, True, m, None)
    return _decision(values, precision, False, m, None)


def _decision(values, precision, done, n_used, n_solution) -> dict:
    half = {k: relative_half_width(v[:n_used]) for k, v in values.items()}
    return {"done": done, "n_used": n_used, "n_solution": n_solution,
            "met": bool(half) and all(h <= precision for h in half.values()),
            "half_width_ratio": half}


# --- sensitivity indices -------------------------------------------------------------------
def sobol_indices(params: list[Param], y, second_order: bool = False, resamples: int = 1000,
                  conf_level: float = 0.95, seed: int = 0) -> list[dict]:
    """First-order and total Sobol indices with bootstrap half-widths (SALib)."""
    from SALib.analyze import sobol
    y = np.asarray(y, float)
    if not np.isfinite(y).all() or np.std(y) == 0:
        return []
    s = sobol.analyze(problem(params), y, calc_second_order=second_order,
                      num_resamples=resamples, conf_level=conf_level, seed=seed)
    return [{"parameter": p.path, "S1": float(s["S1"][j]), "S1_conf": float(s["S1_conf"][j]),
             "ST": float(s["ST"][j]), "ST_conf": float(s["ST_conf"][j])}
            for j, p in enumerate(params)]


def morris_indices(params: list[Param], x, y, levels: int = 4, resamples: int = 1000,
                   conf_level: float = 0.95, seed: int = 0) -> list[dict]:
    """Morris elementary-effect statistics mu*, its bootstrap half-width, sigma and mu."""
    from SALib.analyze import morris
    y = np.asarray(y, float)
    if not np.isfinite(y).all() or np.std(y) == 0:
        return []
    s = morris.analyze(problem(params), np.asarray(x, float), y, num_resamples=resamples,
                       conf_level=conf_level, num_levels=levels, seed=seed)
    return [{"parameter": p.path, "mu_star": float(s["mu_star"][j]),
             "mu_star_conf": float(s["mu_star_conf"][j]), "sigma": float(s["sigma"][j]),
             "mu": float(s["mu"][j])} for j, p in enumerate(params)]


def product_sobol_first_order(a: tuple[float, float], b: tuple[float, float]) -> tuple[float,
                                                                                   float]:
    """Closed-form first-order Sobol indices of Y = A*B for independent uniform A, B.

    ``V_A = Var(A) E[B]^2``, ``Var(Y) = E[A^2]E[B^2] - E[A]^2 E[B]^2``. Used to check the
    pipeline on the M/M/c theory config, where mean occupancy = arrival rate x mean stay.
    """
    def moments(lo, hi):
        mean = (lo + hi) / 2
        var = (hi - lo) ** 2 / 12
        return mean, var
    ma, va = moments(*a)
    mb, vb = moments(*b)
    total = (va + ma ** 2) * (vb + mb ** 2) - ma ** 2 * mb ** 2
    return va * mb ** 2 / total, vb * ma ** 2 / total


# --- analysis of a sweep -------------------------------------------------------------------
def _summary(kpi: str, values) -> dict:
    """Mean of a KPI over replications, with a 95% interval that stays in the KPI's range
    (:func:`sim.stats.mean_interval`: a count's interval never goes below zero)."""
    mean, lo, hi = stats.mean_interval(values, *stats.kpi_range(kpi))
    return {"mean": mean, "ci_low": lo, "ci_high": hi}


def outputs(kpis: pd.DataFrame, contrasts: list[tuple[str, str]]) -> dict[str, pd.DataFrame]:
    """Per output label, a (design_point, replication) x kpi table of values.

    Labels are the scenario names, plus ``"A - B"`` for each contrast: the paired (same design
    point, same replication) difference of scenario A and scenario B.
    """
    wide = {s: g.pivot_table(index=["design_point", "replication"], columns="kpi",
                             values="value", sort=True)
            for s, g in kpis.groupby("scenario", sort=False)}
    out = dict(wide)
    for a, b in contrasts:
        if a in wide and b in wide:
            out[f"{a} - {b}"] = (wide[a] - wide[b]).dropna(how="all")
    return out


def analyse(kpis: pd.DataFrame, spec: dict, params: list[Param], raw: np.ndarray | None,
            design_points: int) -> dict:
    """The content of analysis.json (without the warm-up and replication entries).

    ``kpis`` has columns scenario, design_point, replication, kpi, value; ``spec`` is the
    experiment as a dict (design type, base scenario, contrasts, analysis options).
    """
    kind = spec["design"]["type"]
    a = spec["analysis"]
    chosen = a["kpis"] or list(dict.fromkeys(kpis["kpi"]))
    kpis = kpis[kpis["kpi"].isin(chosen)]
    base_only = kind in ("none", "oat")
    at_base = kpis[kpis["design_point"] == 0] if base_only else kpis
    result: dict[str, Any] = {"scenarios": {}, "paired_differences": [], "oat": [],
                              "sobol": [], "morris": [], "warnings": []}
    for scenario, group in at_base.groupby("scenario", sort=False):
        result["scenarios"][scenario] = {k: _summary(k, g["value"])
                                         for k, g in group.groupby("kpi", sort=False)}
    base = spec["base_scenario"]
    wide = outputs(at_base, [(s, base) for s in result["scenarios"] if s != base])
    for scenario in result["scenarios"]:
        if scenario == base:
            continue
        a_, b_ = wide[base], wide[scenario]
        common = a_.index.intersection(b_.index)
        for kpi in chosen:
            if kpi not in a_ or kpi not in b_:
                continue
            pairs = pd.concat([a_.loc[common, kpi], b_.loc[common, kpi]], axis=1).dropna()
            result["paired_differences"].append({
                "kpi": kpi, "base": base, "scenario": scenario,
                **stats.paired_summary(pairs.iloc[:, 0], pairs.iloc[:, 1], kpi)})
    if kind in ("oat", "sobol", "morris"):
        labels = outputs(kpis, [tuple(c) for c in a["contrasts"]])
        for label, table in labels.items():
            means = table.groupby(level="design_point").mean()
            if kind == "oat":
                result["oat"] += _oat_rows(means, params, label, chosen)
                continue
            if means.index.tolist() != list(range(design_points)):
                result["warnings"].append(f"{label}: {kind} indices skipped: runs missing at "
                                          f"{design_points - len(means)} design points")
                continue
            for kpi in chosen:
                if kpi not in means:
                    continue
                y = means[kpi].to_numpy()
                common = {"resamples": a["bootstrap_resamples"],
                          "conf_level": a["conf_level"], "seed": a["bootstrap_seed"]}
                rows = (sobol_indices(params, y, spec["design"]["second_order"], **common)
                        if kind == "sobol" else
                        morris_indices(params, raw, y, spec["design"]["levels"], **common))
                result[kind] += [{"kpi": kpi, **r, "scenario": label} for r in rows]
    return json_safe(result)


def _oat_rows(means: pd.DataFrame, params: list[Param], label: str, chosen) -> list[dict]:
    rows = []
    for j, p in enumerate(params):
        lo, hi = 1 + 2 * j, 2 + 2 * j
        for kpi in chosen:
            if kpi not in means or not {0, lo, hi} <= set(means.index):
                continue
            at_lo, at_hi = float(means.loc[lo, kpi]), float(means.loc[hi, kpi])
            rows.append({"parameter": p.path, "kpi": kpi, "low_value": p.cast(p.low),
                         "high_value": p.cast(p.high), "kpi_at_low": at_lo, "kpi_at_high": at_hi,
                         "base_kpi": float(means.loc[0, kpi]), "swing": abs(at_hi - at_lo),
                         "scenario": label})
    return sorted(rows, key=lambda r: (r["scenario"], r["kpi"], -r["swing"]))


def json_safe(obj):
    """JSON-safe: NaN/inf become None, numpy scalars become Python numbers."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    return obj
