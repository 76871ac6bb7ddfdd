"""Sensitivity figures from a sweep: tornado (OAT), Sobol and Morris indices, LHS scatter."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from .style import (
    INDEX_COLOURS,
    LOW_HIGH_COLOURS,
    SCENARIO_COLOURS,
    SCENARIO_MARKERS,
    check_columns,
    compact,
    compact_axis,
    kpi_axis,
    legend_below,
    new_figure,
    scenarios_of,
    styled,
)


def _panels(frame: pd.DataFrame, kpis, limit: int = 4) -> list[tuple[str, pd.DataFrame]]:
    """(title, rows) per KPI, and per output label when records carry a ``scenario`` (the
    sweep's contrast label, e.g. 'pooled' or 'pooled-fragmented'); at most ``limit`` panels."""
    present = list(dict.fromkeys(frame["kpi"]))
    chosen = [k for k in (kpis or present) if k in present]
    labels = list(dict.fromkeys(frame["scenario"].astype(str))) if "scenario" in frame else [""]
    panels = []
    for label in labels:
        for kpi in chosen:
            rows = frame[frame["kpi"] == kpi]
            if label:
                rows = rows[rows["scenario"].astype(str) == label]
            if len(rows):
                title = f"{kpi} ({label})" if len(labels) > 1 else kpi
                panels.append((title, kpi, rows))
    return panels[:limit]


def _short(value) -> str:
    if isinstance(value, (int, float, np.floating, np.integer)):
        return f"{value:.3g}"
    return str(value)


@styled
def tornado(oat: pd.DataFrame, kpis: list[str] | None = None, top: int = 12, fig=None):
    """One-at-a-time swings: each parameter at its low and high value, bars from the base KPI.

    ``oat``: records with parameter, kpi, low_value, high_value, kpi_at_low, kpi_at_high,
    base_kpi, swing. One panel per KPI (at most 4), parameters sorted by |swing|.
    """
    check_columns(oat, ("parameter", "kpi", "kpi_at_low", "kpi_at_high", "base_kpi"), "tornado")
    panels = _panels(oat, kpis)
    sizes = [min(top, len(rows)) for _, _, rows in panels]
    fig, axes = new_figure(len(panels), 1, fig=fig, height=1.2 + sum(0.5 + 0.3 * n for n in sizes))
    for ax, (title, kpi, rows) in zip(axes[:, 0], panels):
        rows = rows.copy()
        if "swing" not in rows.columns:
            rows["swing"] = rows["kpi_at_high"] - rows["kpi_at_low"]
        rows = rows.reindex(rows["swing"].abs().sort_values(ascending=False).index).head(top)
        base = float(rows["base_kpi"].iloc[0])
        for k, row in enumerate(rows.itertuples()):
            ax.barh(k, row.kpi_at_low - base, left=base, color=LOW_HIGH_COLOURS[0], height=0.7)
            ax.barh(k, row.kpi_at_high - base, left=base, color=LOW_HIGH_COLOURS[1], height=0.7,
                    alpha=0.85)
        ax.axvline(base, color="black", linewidth=0.9)
        labels = []
        for row in rows.itertuples():
            lo = _short(getattr(row, "low_value", "")) if "low_value" in rows else ""
            hi = _short(getattr(row, "high_value", "")) if "high_value" in rows else ""
            labels.append(f"{row.parameter}\n({lo} → {hi})" if lo or hi else row.parameter)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(labels, fontsize=6.8)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"{kpi.replace('_', ' ')} (base {compact(base)})")
        kpi_axis(ax, kpi, "x")
        ax.set_title(f"{title}: swing when each parameter moves from low to high", loc="left")
    handles = [Patch(color=LOW_HIGH_COLOURS[0], label="parameter at low value"),
               Patch(color=LOW_HIGH_COLOURS[1], label="parameter at high value")]
    legend_below(fig, handles, [h.get_label() for h in handles])
    fig.suptitle("One-at-a-time sensitivity (KPI in its own units; bars start at the base "
                 "value)")
    return fig


@styled
def sobol(indices: pd.DataFrame, kpis: list[str] | None = None, fig=None):
    """First-order (S1) and total-order (ST) Sobol indices with 95% confidence bars.

    ``indices``: records with kpi, parameter, S1, S1_conf, ST, ST_conf. One panel per KPI.
    """
    check_columns(indices, ("kpi", "parameter", "S1", "ST"), "sobol")
    panels = _panels(indices, kpis)
    fig, axes = new_figure(len(panels), 1, fig=fig, sharex=True,
                           height=1.2 + sum(0.5 + 0.3 * len(rows) for _, _, rows in panels))
    for ax, (title, kpi, rows) in zip(axes[:, 0], panels):
        rows = rows.sort_values("ST", ascending=False)
        y = np.arange(len(rows))
        for offset, column, colour in ((-0.18, "S1", INDEX_COLOURS[0]),
                                       (0.18, "ST", INDEX_COLOURS[1])):
            conf = rows.get(f"{column}_conf")
            ax.barh(y + offset, rows[column], height=0.34, color=colour,
                    xerr=None if conf is None else conf.abs(), ecolor="#444444",
                    error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(y)
        ax.set_yticklabels(rows["parameter"])
        ax.invert_yaxis()
        ax.axvline(0, color="#777777", linewidth=0.6)
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{title}: share of output variance", loc="left")
        ax.set_xlabel("Sobol index (0-1)")
    handles = [Patch(color=INDEX_COLOURS[0], label="First order S1 (alone)"),
               Patch(color=INDEX_COLOURS[1], label="Total order ST (with interactions)")]
    legend_below(fig, handles, [h.get_label() for h in handles])
    fig.suptitle("Sobol sensitivity indices with 95% confidence intervals (fraction of "
                 "variance)")
    return fig


@styled
def morris(indices: pd.DataFrame, kpis: list[str] | None = None, fig=None):
    """Morris elementary effects: mu* (with 95% CI) against sigma, one panel per KPI.

    ``indices``: records with kpi, parameter, mu_star, mu_star_conf, sigma. High mu* = strong
    effect; high sigma = non-linear or interacting effect.
    """
    check_columns(indices, ("kpi", "parameter", "mu_star", "sigma"), "morris")
    panels = _panels(indices, kpis)
    ncols = 2 if len(panels) > 1 else 1
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = new_figure(nrows, ncols, fig=fig, height=2.9 * nrows + 0.8)
    for ax, (title, kpi, rows) in zip(axes.flat, panels):
        conf = rows["mu_star_conf"].abs() if "mu_star_conf" in rows else None
        ax.errorbar(rows["mu_star"], rows["sigma"], xerr=conf, fmt="o", color=INDEX_COLOURS[0],
                    ms=4, ecolor="#888888", elinewidth=0.8, capsize=2)
        for row in rows.nlargest(8, "mu_star").itertuples():
            ax.annotate(row.parameter, (row.mu_star, row.sigma), xytext=(3, 3),
                        textcoords="offset points", fontsize=6.5)
        right = float((rows["mu_star"] + (conf if conf is not None else 0)).max())
        ax.set_xlim(0, right * 1.4 if right > 0 else 1)
        ax.set_ylim(0, float(rows["sigma"].max()) * 1.15 or 1)
        kpi_axis(ax, kpi, "x")
        kpi_axis(ax, kpi, "y")
        ax.set_xlabel("μ* (mean |elementary effect|, KPI units)")
        ax.set_ylabel("σ (spread of effects)")
        ax.set_title(title, loc="left")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("Morris screening: μ* with 95% CI against σ (KPI units)")
    return fig


@styled
def lhs_scatter(kpis: pd.DataFrame, design: pd.DataFrame, kpi: str | None = None,
                parameters: list[str] | None = None, fig=None):
    """Each design point's mean KPI against each swept parameter (Latin hypercube scatter).

    ``kpis``: sweep kpis.parquet (point, scenario, replication, kpi, value); ``design``:
    design.parquet (point, scenario, one column per dotted parameter).
    """
    check_columns(kpis, ("point", "kpi", "value"), "lhs_scatter")
    check_columns(design, ("point",), "lhs_scatter")
    kpi = kpi or ("delayed_bed_days" if "delayed_bed_days" in set(kpis["kpi"].unique())
                  else kpis["kpi"].iloc[0])
    keys = ["point", "scenario"] if "scenario" in kpis and "scenario" in design else ["point"]
    means = kpis[kpis["kpi"] == kpi].groupby(keys, as_index=False)["value"].mean()
    merged = means.merge(design, on=keys, how="inner")
    params = parameters or [c for c in design.columns
                            if c not in ("point", "scenario", "design_point")
                            and pd.api.types.is_numeric_dtype(design[c])
                            and design[c].nunique() > 1]
    if not params:
        raise ValueError("lhs_scatter: the design has no numeric parameter columns")
    ncols = min(3, len(params))
    nrows = int(np.ceil(len(params) / ncols))
    fig, axes = new_figure(nrows, ncols, fig=fig, height=2.2 * nrows + 1.0, sharey=True)
    names = scenarios_of(merged)
    for ax, param in zip(axes.flat, params):
        for j, name in enumerate(names):
            rows = merged if name == "" else merged[merged["scenario"].astype(str) == name]
            ax.scatter(rows[param], rows["value"], s=12, alpha=0.75,
                       color=SCENARIO_COLOURS[j % len(SCENARIO_COLOURS)],
                       marker=SCENARIO_MARKERS[j % len(SCENARIO_MARKERS)], label=name or None,
                       linewidths=0)
        ax.set_xlabel(param, fontsize=7)
        compact_axis(ax, "x")
    for row in axes:
        row[0].set_ylabel(kpi.replace("_", " "))
        kpi_axis(row[0], kpi, "y")
    for ax in list(axes.flat)[len(params):]:
        ax.set_visible(False)
    if len(names) > 1:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
    fig.suptitle(f"{kpi.replace('_', ' ')} (mean over replications) at each design point")
    return fig
