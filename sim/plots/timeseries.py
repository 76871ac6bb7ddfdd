"""Daily occupancy figures: acute bed use (fan chart) and care settings over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..people import DELAY_REASONS
from .style import (
    DELAY_COLOURS,
    DELAY_LABELS,
    SCENARIO_LINESTYLES,
    SERIES_COLOURS,
    SERIES_LABELS,
    check_columns,
    date_axis,
    fan,
    legend_below,
    new_figure,
    per_scenario,
    scenarios_of,
    shade_warmup,
    smooth,
    styled,
)

CARE_SETTINGS = ("ic_bed", "reablement", "home_care", "home_waiting_care", "residential",
                 "nursing")


def _wide(daily: pd.DataFrame, series: str) -> pd.DataFrame:
    """One series as a (date x replication) table."""
    chosen = daily[daily["series"] == series]
    return chosen.pivot_table(index="date", columns="replication", values="count",
                              aggfunc="mean").sort_index()


def _per_scenario_value(value, scenario: str):
    if isinstance(value, dict):
        return value.get(scenario)
    return value


@styled
def bed_use(daily: pd.DataFrame, beds: int | dict | None = None,
            escalation_beds: int | dict | None = None, warmup_days: float | dict | None = None,
            smooth_days: int = 7, order: list[str] | None = None, fig=None):
    """Acute beds in use: treatment / delayed by reason stacked, ED boarding on top, fan of total.

    Parameters
    ----------
    daily : tidy daily table (date, replication, series, count[, scenario]).
    beds, escalation_beds : funded and escalation beds (a number, or {scenario: number}).
    warmup_days : shaded at the left (a number or {scenario: number}).
    smooth_days : centred rolling mean applied per replication before summarising.
    order : scenario display order. One panel per scenario with shared axes.

    The coloured stack is the median across replications of each component; the dark band is
    the 50% and 90% range across replications of beds in use (treatment + delayed).
    """
    check_columns(daily, ("date", "replication", "series", "count"), "bed_use")
    names = scenarios_of(daily, order)
    fig, axes = new_figure(len(names), 1, height=2.3 * len(names) + 1.2, fig=fig, sharex=True,
                           sharey=True)
    reasons = [r for r in DELAY_REASONS if f"delayed:{r}" in set(daily["series"].unique())]
    for ax, name in zip(axes[:, 0], names):
        data = per_scenario(daily, name)
        treat = smooth(_wide(data, "acute_treatment"), smooth_days)
        dates = treat.index
        parts = [("acute_treatment", treat, SERIES_COLOURS["acute_treatment"], None)]
        for r in reasons:
            parts.append((r, smooth(_wide(data, f"delayed:{r}"), smooth_days)
                          .reindex(dates).fillna(0), DELAY_COLOURS[r], None))
        if not reasons:   # no breakdown: one delayed layer
            parts.append(("acute_delayed", smooth(_wide(data, "acute_delayed"), smooth_days)
                          .reindex(dates).fillna(0), SERIES_COLOURS["acute_delayed"], None))
        boarding = smooth(_wide(data, "acute_boarding"), smooth_days).reindex(dates).fillna(0)
        parts.append(("acute_boarding", boarding, SERIES_COLOURS["acute_boarding"], "////"))
        bottom = np.zeros(len(dates))
        for key, wide, colour, hatch in parts:
            top = bottom + np.median(wide.fillna(0).to_numpy(), axis=1)
            ax.fill_between(dates, bottom, top, facecolor=colour, edgecolor="white" if hatch
                            else colour, hatch=hatch, linewidth=0, alpha=0.9)
            bottom = top
        in_use = treat.to_numpy() + sum(w.to_numpy() for k, w, _, _ in parts[1:-1])
        fan(ax, dates, in_use, "#222222", linewidth=0.9)
        funded = _per_scenario_value(beds, name)
        closing = _wide(data, "funded:acute_beds").reindex(dates)
        # line labels sit inside the plot at its right end, clear of the tick labels:
        # funded beds just below their line, escalation beds just above theirs
        right = ax.get_yaxis_transform()
        label = {"fontsize": 7, "ha": "right", "transform": right,
                 "bbox": {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5}}
        top = None
        if len(closing.columns) and closing.nunique().max() > 1:
            # beds closed during the run (bed-closure rule): the funded line steps down
            ax.plot(dates, closing.median(axis=1), color="black", linestyle="--", linewidth=1,
                    drawstyle="steps-post")
            last = float(closing.iloc[-1].median())
            ax.text(0.995, last, f"funded beds ({last:g} at the end)", va="top", **label)
            top = float(closing.iloc[0].median())
        elif funded:
            ax.axhline(funded, color="black", linestyle="--", linewidth=1)
            ax.text(0.995, funded, f"funded beds ({funded:g})", va="top", **label)
            top = funded
            extra = _per_scenario_value(escalation_beds, name)
            if extra:
                ax.axhline(funded + extra, color="black", linestyle=":", linewidth=1)
                ax.text(0.995, funded + extra, f"+ escalation beds ({extra:g})", va="bottom",
                        **label)
                top = funded + extra
        shade_warmup(ax, dates[0], _per_scenario_value(warmup_days, name))
        n_rep = treat.shape[1]
        ax.set_title(f"{name} ({n_rep} replication{'s' if n_rep != 1 else ''})" if name
                     else f"{n_rep} replication{'s' if n_rep != 1 else ''}", loc="left")
        ax.set_ylabel("beds")
        ax.set_ylim(bottom=0)
        if top:   # room above the highest line for its label and the warm-up label
            ax.set_ylim(top=max(ax.get_ylim()[1], top * 1.18))
        date_axis(ax)
    handles = [Patch(color=SERIES_COLOURS["acute_treatment"], label="In treatment")]
    handles += [Patch(color=DELAY_COLOURS[r], label=f"Delayed: {DELAY_LABELS[r]}")
                for r in reasons] or [Patch(color=SERIES_COLOURS["acute_delayed"],
                                            label=SERIES_LABELS["acute_delayed"])]
    handles.append(Patch(facecolor=SERIES_COLOURS["acute_boarding"], edgecolor="white",
                         hatch="////", label="Waiting in ED for a bed (not in a bed)"))
    handles.append(Patch(color="#222222", alpha=0.35, label="Beds in use: 50%/90% range"))
    legend_below(fig, handles, [h.get_label() for h in handles], ncol=3)
    smooth_note = f"{smooth_days}-day mean" if smooth_days and smooth_days > 1 else "daily mean"
    fig.suptitle(f"Acute beds occupied by people 65+ (beds, {smooth_note}; stack: median across "
                 "replications)")
    return fig


@styled
def care_settings(daily: pd.DataFrame, warmup_days: float | dict | None = None,
                  smooth_days: int = 7, order: list[str] | None = None, fig=None):
    """People in intermediate care, reablement, home care (and waiting), residential, nursing.

    One panel per setting (own y scale); one median line with a 90% band across replications
    per scenario, scenarios told apart by line style.
    """
    check_columns(daily, ("date", "replication", "series", "count"), "care_settings")
    names = scenarios_of(daily, order)
    present = [s for s in CARE_SETTINGS if s in set(daily["series"].unique())]
    ncols = 2
    nrows = int(np.ceil(len(present) / ncols))
    fig, axes = new_figure(nrows, ncols, height=2.0 * nrows + 1.0, fig=fig, sharex=True)
    handles = []
    for k, series in enumerate(present):
        ax = axes.flat[k]
        for j, name in enumerate(names):
            wide = smooth(_wide(per_scenario(daily, name), series), smooth_days)
            style = SCENARIO_LINESTYLES[j % len(SCENARIO_LINESTYLES)]
            fan(ax, wide.index, wide.to_numpy(), SERIES_COLOURS[series], label=name or None,
                linestyle=style, bands=(0.90,))
            if k == 0:
                handles.append((name, style))
        if len(names):
            first = per_scenario(daily, names[0])
            shade_warmup(ax, first["date"].min(), _per_scenario_value(warmup_days, names[0]))
        ax.set_title(SERIES_LABELS[series], loc="left", color="black")
        ax.set_ylabel("people")
        ax.set_ylim(bottom=0)
        date_axis(ax)
    for ax in axes.flat[len(present):]:
        ax.set_visible(False)
    if len(names) > 1:
        from matplotlib.lines import Line2D
        lines = [Line2D([], [], color="#333333", linestyle=s, label=n) for n, s in handles]
        legend_below(fig, lines, [ln.get_label() for ln in lines])
    smooth_note = f"{smooth_days}-day mean" if smooth_days and smooth_days > 1 else "daily mean"
    fig.suptitle(f"People in each care setting (people, {smooth_note}): median and 90% range "
                 "across replications")
    return fig
