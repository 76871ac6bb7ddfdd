"""Discharge delays by pathway: how long people wait from medically fit to leaving hospital.

A mean delay hides its shape: many short waits (preparation, the daytime discharge window,
weekends) and a few long ones (a package, a care-home place, a dispute). Both views here read
``discharges.parquet`` (:func:`sim.results.discharge_table`: one row per live acute discharge in
the counting window), pooled over replications:

* :func:`survival_by_pathway` and the figure :func:`delay_survival`: the share of each
  pathway's discharges still in hospital x days after they were medically fit;
* :func:`delay_by_pathway`: discharges, share delayed a day or more, mean delay (all and among
  the delayed), 95th percentile and the cause with the most delayed days, per pathway.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .style import (
    DELAY_LABELS,
    PATHWAY_COLOURS,
    PATHWAY_LABELS,
    check_columns,
    new_figure,
    per_scenario,
    scenarios_of,
    styled,
)

#: a discharge counts as delayed when it leaves this long or more after medically fit (days)
DELAYED_DAYS = 1.0
#: the survival figure's x axis ends at the 99th percentile of delay, within these days
SHOWN_DAYS = (7, 28)
ALL = "All pathways"
_REASON_COLUMN = re.compile(r"^delay_(.+)_days$")


def pathway_label(pathway) -> str:
    """'P0 home, no new support' for pathway 0; an unknown pathway as 'P<n>'."""
    return PATHWAY_LABELS.get(int(pathway), f"P{int(pathway)}")


def delay_reasons(discharges: pd.DataFrame) -> list[str]:
    """The delay reasons with a ``delay_<reason>_days`` column, in column order."""
    found = (_REASON_COLUMN.match(c) for c in discharges.columns)
    return [m.group(1) for m in found if m]


def survival(delays, at) -> np.ndarray:
    """Empirical survival function: the share of ``delays`` strictly greater than each ``at``.

    S(0) is the share that waited at all; S is non-increasing and reaches 0 at the longest
    delay. NaN for an empty sample.
    """
    ordered = np.sort(np.asarray(delays, dtype=float))
    at = np.asarray(at, dtype=float)
    if not len(ordered):
        return np.full(at.shape, np.nan)
    return 1.0 - np.searchsorted(ordered, at, side="right") / len(ordered)


def survival_by_pathway(discharges: pd.DataFrame, upto_days: float) -> pd.DataFrame:
    """The survival curve of each scenario's and pathway's delay from 0 to ``upto_days``.

    Returns scenario, pathway, day, waiting_share (the share still in hospital ``day`` days
    after medically fit), evaluated at 0, at every distinct delay up to ``upto_days`` and at
    ``upto_days``, so that drawn as steps (``where='post'``) it is the exact curve.
    """
    check_columns(discharges, ("pathway", "delay_days"), "survival_by_pathway")
    rows = []
    for name in scenarios_of(discharges):
        data = per_scenario(discharges, name)
        for pathway, group in data.groupby("pathway", sort=True):
            delays = group["delay_days"].to_numpy(dtype=float)
            days = np.unique(np.r_[0.0, delays[(delays > 0) & (delays < upto_days)],
                                   upto_days])
            rows.append(pd.DataFrame({"scenario": name, "pathway": int(pathway), "day": days,
                                      "waiting_share": survival(delays, days)}))
    return pd.concat(rows, ignore_index=True)


def _summary(group: pd.DataFrame, reasons: list[str]) -> dict:
    delays = group["delay_days"].to_numpy(dtype=float)
    delayed = delays[delays >= DELAYED_DAYS]
    days = {r: float(group[f"delay_{r}_days"].sum()) for r in reasons}
    total = sum(days.values())
    cause = max(days, key=days.get) if total > 0 else ""
    return {"discharges": len(delays),
            "delayed_share": len(delayed) / len(delays),
            "mean_delay_days": float(delays.mean()),
            "mean_delay_delayed_days": float(delayed.mean()) if len(delayed) else np.nan,
            "p95_delay_days": float(np.percentile(delays, 95)),
            "main_cause": cause,
            "main_cause_share": days[cause] / total if total > 0 else np.nan}


def delay_by_pathway(discharges: pd.DataFrame) -> pd.DataFrame:
    """The delay from medically fit to leaving, summarised per scenario and pathway.

    Pooled over replications. One row per scenario and pathway, then one for all pathways
    (``pathway`` missing, ``group`` = 'All pathways'): discharges (count), delayed_share
    (leaving :data:`DELAYED_DAYS` or more after medically fit), mean_delay_days (all
    discharges, zero waits included), mean_delay_delayed_days (among the delayed; NaN if
    none), p95_delay_days (linear interpolation), main_cause (the reason with the most delay
    days, from the ``delay_<reason>_days`` columns; '' when nobody waited) and
    main_cause_share (its share of all delay days).
    """
    check_columns(discharges, ("pathway", "delay_days"), "delay_by_pathway")
    reasons = delay_reasons(discharges)
    rows = []
    for name in scenarios_of(discharges):
        data = per_scenario(discharges, name)
        for pathway, group in data.groupby("pathway", sort=True):
            rows.append({"scenario": name, "pathway": int(pathway),
                         "group": pathway_label(pathway), **_summary(group, reasons)})
        rows.append({"scenario": name, "pathway": pd.NA, "group": ALL,
                     **_summary(data, reasons)})
    out = pd.DataFrame(rows)
    out["pathway"] = out["pathway"].astype("Int64")
    return out


def cause_label(reason: str) -> str:
    """A delay reason in words ('Service capacity'); '' stays ''."""
    return DELAY_LABELS.get(reason, reason.replace("_", " ").capitalize())


def _shown_days(discharges: pd.DataFrame) -> int:
    """Whole days up to the largest 99th percentile of any pathway, within SHOWN_DAYS."""
    p99 = discharges.groupby("pathway")["delay_days"].quantile(0.99).max()
    return int(min(max(math.ceil(p99), SHOWN_DAYS[0]), SHOWN_DAYS[1]))


def _day_ticks(upto: int) -> list[int]:
    return list(range(upto + 1)) if upto <= 7 else [0, 1, *range(7, upto + 1, 7)]


def _percent(value: float, _pos=None) -> str:
    return f"{100 * value:.2g}%" if value < 0.01 else f"{100 * value:.0f}%"


@styled
def delay_survival(discharges: pd.DataFrame, order: list[str] | None = None,
                   replications: dict | None = None, fig=None):
    """Share of each pathway's discharges still in hospital x days after medically fit.

    ``discharges``: discharges.parquet (pathway, delay_days[, scenario]), stacked over
    scenarios; one panel per scenario. Lines are the empirical survival curves pooled over
    replications (log scale, so the long tail shows); the legend gives each pathway's mean
    delay and number of discharges. ``replications``: {scenario: count} for the panel titles.
    """
    check_columns(discharges, ("pathway", "delay_days"), "delay_survival")
    names = scenarios_of(discharges, order)
    upto = _shown_days(discharges)
    curves = survival_by_pathway(discharges, upto)
    positive = curves.loc[curves["waiting_share"] > 0, "waiting_share"]
    floor = 10.0 ** math.floor(math.log10(positive.min())) if len(positive) else 1e-3
    fig, axes = new_figure(len(names), 1, height=2.1 * len(names) + 0.9, fig=fig, sharex=True,
                           sharey=True)
    for ax, name in zip(axes[:, 0], names):
        data = per_scenario(discharges, name)
        means = data.groupby("pathway")["delay_days"].agg(["mean", "size"])
        handles = []
        for pathway, curve in curves[curves["scenario"] == name].groupby("pathway"):
            colour = PATHWAY_COLOURS.get(pathway, "#555555")
            shown = curve["waiting_share"].where(curve["waiting_share"] > 0)
            ax.step(curve["day"], shown, where="post", color=colour, linewidth=1.4)
            mean, n = means.loc[pathway, "mean"], int(means.loc[pathway, "size"])
            handles.append(Line2D([], [], color=colour, linewidth=1.4,
                                  label=f"{pathway_label(pathway)}\nmean {mean:.1f} days, "
                                        f"n={n:,}"))
        ax.set_yscale("log")
        ax.set_ylim(floor, 1.3)
        ax.yaxis.set_major_locator(LogLocator(base=10))
        ax.yaxis.set_major_formatter(FuncFormatter(_percent))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(0, upto)
        ax.set_xticks(_day_ticks(upto))
        ax.set_ylabel("% still in hospital (log)")
        reps = (replications or {}).get(name)
        pooled = f"pooled over {reps} replication{'s' if reps != 1 else ''}" if reps else \
            "pooled over replications"
        ax.set_title(f"{name} ({pooled})" if name else pooled.capitalize(), loc="left")
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  labelspacing=0.7)
    axes[-1, 0].set_xlabel("days from medically fit to leaving hospital")
    fig.suptitle("Delay from medically fit to leaving hospital, by discharge pathway "
                 "(live discharges)")
    return fig
