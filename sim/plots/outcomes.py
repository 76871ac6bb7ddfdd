"""Outcome figures: discharge destinations, care-setting mix and the KPI forest plot."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter

from ..kpis import label as kpi_label
from ..stats import too_few
from .style import (
    SCENARIO_COLOURS,
    SCENARIO_HATCHES,
    SCENARIO_MARKERS,
    SERIES_COLOURS,
    SERIES_LABELS,
    axes_for,
    check_columns,
    legend_below,
    per_scenario,
    scenarios_of,
    styled,
)

#: where a live discharge leads (:data:`sim.hospital.ARRIVALS`): words and a colour (Tol muted)
DESTINATIONS = {
    "home": ("home, no new service", "#88CCEE"),
    "community_nursing": ("home with community nursing", "#332288"),
    "home_care_resumed": ("held home-care package resumed", "#DDCC77"),
    "home_care": ("new home-care package", "#999933"),
    "reablement": ("reablement", "#117733"),
    "home_waiting_home_care": ("home, waiting for home care", "#AA4499"),
    "intermediate_care": ("intermediate-care bed", "#44AA99"),
    "home_waiting_care_home": ("home, waiting for a care home", "#CC6677"),
    "care_home": ("new care-home place", "#882255"),
    "care_home_return": ("back to their care home", "#BBBBBB"),
}
_DARK = {"#332288", "#117733", "#AA4499", "#882255"}   # white text on these


def discharge_destinations(discharges: pd.DataFrame, warmup_days: float = 0.0) -> pd.DataFrame:
    """Counts of live discharges from an acute bed by pathway and destination.

    ``discharges``: discharges.parquet (replication, left_day, pathway, destination[,
    scenario]); the event log (events.parquet), whose ``discharge`` events hold the same, is
    accepted too. Returns scenario, replication, pathway, destination, discharges (those
    leaving at or after ``warmup_days``).
    """
    if "kind" in discharges.columns:       # the event log: its discharge events
        check_columns(discharges, ("time_days", "kind", "service", "detail", "replication"),
                      "discharge_destinations")
        logged = discharges[discharges["kind"] == "discharge"]
        discharges = logged.assign(left_day=logged["time_days"], destination=logged["service"],
                                   pathway=logged["detail"].astype(int))
    check_columns(discharges, ("replication", "left_day", "pathway", "destination"),
                  "discharge_destinations")
    out = discharges[discharges["left_day"] >= warmup_days]
    if "scenario" not in out.columns:
        out = out.assign(scenario="")
    return (out.groupby(["scenario", "replication", "pathway", "destination"]).size()
            .rename("discharges").reset_index())


def _pathways_text(pathways: list[int]) -> str:
    if len(pathways) == 1:
        return f"Pathway {pathways[0]}"
    return "Pathways " + ", ".join(str(p) for p in pathways)


@styled
def destinations(table: pd.DataFrame, order: list[str] | None = None, ax=None):
    """Share of live discharges by destination, one bar per scenario; the legend names the
    discharge pathways (0-3) that led to each destination.

    ``table``: output of :func:`discharge_destinations` (or any frame with scenario,
    destination, discharges[, pathway]).
    """
    check_columns(table, ("destination", "discharges"), "destinations")
    names = scenarios_of(table, order)
    fig, ax = axes_for(ax, height=1.3 + 0.5 * len(names))
    present = set(table["destination"].unique())
    kinds = [d for d in DESTINATIONS if d in present] + sorted(present - set(DESTINATIONS))
    for k, name in enumerate(names):
        counts = per_scenario(table, name).groupby("destination")["discharges"].sum()
        shares = 100 * counts / counts.sum()
        left = 0.0
        for dest in kinds:
            share = float(shares.get(dest, 0.0))
            colour = DESTINATIONS.get(dest, (dest, "#777777"))[1]
            ax.barh(k, share, left=left, color=colour, edgecolor="white", linewidth=0.5,
                    height=0.65)
            if share >= 4:
                ax.text(left + share / 2, k, f"{share:.0f}%", ha="center", va="center",
                        fontsize=7, color="white" if colour in _DARK else "black")
            left += share
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of discharges from an acute bed (alive)")
    ax.grid(axis="y", visible=False)
    handles = []
    for dest in kinds:
        words, colour = DESTINATIONS.get(dest, (dest.replace("_", " "), "#777777"))
        if "pathway" in table.columns:
            pathways = sorted(int(p) for p in table.loc[table["destination"] == dest,
                                                         "pathway"].unique())
            words = f"{_pathways_text(pathways)}: {words}"
        handles.append(Patch(color=colour, label=words))
    legend_below(fig, handles, [h.get_label() for h in handles], ncol=2)
    ax.set_title("Discharge destinations from acute beds (% of live discharges in the "
                 "reporting window)", loc="left")
    return fig


@styled
def setting_mix(daily: pd.DataFrame, warmup_days: float | dict | None = None,
                order: list[str] | None = None, ax=None):
    """Mean people in each post-acute setting over the reporting window, per scenario.

    A stock (people on an average day), not a flow: discharge flows are
    :func:`discharge_destinations`.
    """
    from .timeseries import CARE_SETTINGS
    check_columns(daily, ("day", "replication", "series", "count"), "setting_mix")
    names = scenarios_of(daily, order)
    kinds = [s for s in CARE_SETTINGS if s in set(daily["series"].unique())]
    fig, ax = axes_for(ax, height=1.4 + len(kinds) * (0.15 + 0.16 * max(len(names), 1)))
    height = 0.8 / max(len(names), 1)
    for j, name in enumerate(names):
        data = per_scenario(daily, name)
        warm = warmup_days.get(name) if isinstance(warmup_days, dict) else warmup_days
        data = data[data["day"] >= (warm or 0)]
        means = data.groupby(["series", "replication"])["count"].mean().groupby("series").mean()
        y = np.arange(len(kinds)) + (j - (len(names) - 1) / 2) * height
        values = [float(means.get(s, 0.0)) for s in kinds]
        ax.barh(y, values, height=height * 0.92, color=[SERIES_COLOURS[s] for s in kinds],
                hatch=SCENARIO_HATCHES[j % len(SCENARIO_HATCHES)], edgecolor="white",
                linewidth=0.4)
        for yy, v in zip(y, values):
            ax.text(v, yy, f" {v:,.0f}" if v >= 10 else f" {v:.2g}", va="center", fontsize=6.5)
    ax.set_yticks(np.arange(len(kinds)))
    ax.set_yticklabels([SERIES_LABELS[s] for s in kinds])
    ax.invert_yaxis()
    ax.set_xlabel("people on an average day (reporting window)")
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.12)
    if len(names) > 1:
        handles = [Patch(facecolor="#BBBBBB", edgecolor="white",
                         hatch=SCENARIO_HATCHES[j % len(SCENARIO_HATCHES)], label=n)
                   for j, n in enumerate(names)]
        legend_below(fig, handles, names)
    ax.set_title("Mean people in each care setting (people, reporting window)", loc="left")
    return fig


def _percent_interval(paired: pd.DataFrame) -> pd.DataFrame:
    """% change and its 95% interval (NaN when the base mean is 0).

    The interval is the table's own for the % change (``percent_low``/``percent_high``:
    Fieller's, which cannot fall below -100%, :mod:`sim.stats`); an older table without it
    gets the difference's interval over the base mean.
    """
    base = paired["base_mean"].where(paired["base_mean"] != 0)
    pct = 100 * paired["difference"] / base
    if {"percent_low", "percent_high"} <= set(paired.columns):
        lo, hi = paired["percent_low"].where(base.notna()), paired["percent_high"].where(
            base.notna())
    else:
        ends = np.sort(np.c_[100 * paired["ci_low"] / base, 100 * paired["ci_high"] / base],
                       axis=1)
        lo, hi = ends[:, 0], ends[:, 1]
    return paired.assign(pct=pct, pct_low=lo, pct_high=hi)


@styled
def forest(paired: pd.DataFrame, kpis: list[str] | None = None, labels: dict | None = None,
           ax=None):
    """Paired changes of KPIs against the base as % of the base mean, with 95% intervals.

    ``paired``: paired_differences.parquet (kpi, base, scenario, base_mean, difference, ci_low,
    ci_high[, percent_low, percent_high, replications]). KPIs with a base mean of zero cannot
    be shown as a % and are named in a note. A symmetric-log axis is used when changes exceed
    +150%. With too few replications (:func:`sim.stats.too_few`) only the points are drawn.
    """
    check_columns(paired, ("kpi", "base", "scenario", "base_mean", "difference", "ci_low",
                           "ci_high"), "forest")
    data = _percent_interval(paired)
    order = kpis or list(dict.fromkeys(data["kpi"]))
    data = data[data["kpi"].isin(order)]
    dropped = [k for k in order if k in set(data.loc[data["pct"].isna(), "kpi"])]
    shown = [k for k in order if k in set(data.dropna(subset=["pct"])["kpi"])]
    names = list(dict.fromkeys(data["scenario"]))
    n = int(data["replications"].min()) if "replications" in data and len(data) else None
    with_ci = n is None or not too_few(n)
    fig, ax = axes_for(ax, height=1.6 + 0.2 * len(shown) * max(1, 0.6 * len(names)))
    step = 0.6 / max(len(names), 1)
    for j, name in enumerate(names):
        rows = data[(data["scenario"] == name)].set_index("kpi").reindex(shown)
        y = np.arange(len(shown)) + (j - (len(names) - 1) / 2) * step
        colour = SCENARIO_COLOURS[(j + 1) % len(SCENARIO_COLOURS)] if len(names) > 1 \
            else "#222222"
        err = None
        if with_ci:   # an unbounded or missing interval draws the point alone
            err = np.nan_to_num(np.clip([rows["pct"] - rows["pct_low"],
                                         rows["pct_high"] - rows["pct"]], 0, None))
        ax.errorbar(rows["pct"], y, xerr=err, fmt=SCENARIO_MARKERS[j % len(SCENARIO_MARKERS)],
                    color=colour, ms=4, elinewidth=1.2, capsize=2, label=name)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels([(labels or {}).get(k, kpi_label(k)) for k in shown])
    ax.set_ylim(len(shown) - 0.5, -0.5)
    columns = ["pct", "pct_low", "pct_high"] if with_ci else ["pct"]
    extreme = np.nanmax(np.abs(data[columns].to_numpy())) if len(shown) else 0
    if extreme > 150:
        # beyond +1,000% the decades need the width: a narrower linear part, fewer ticks in it
        wide = extreme > 1000
        ax.set_xscale("symlog", linthresh=100, linscale=1 if wide else 2)
        inner = (-100, 0, 100) if wide else (-100, -50, 0, 50, 100)
        ticks = [t for t in (*inner, 1000, 10000, 100000) if t <= max(extreme, 100) * 1.05]
        ax.set_xticks(ticks)
        ax.xaxis.set_minor_locator(FixedLocator([]))
        ax.set_xlabel("change against the base, % of base mean (log scale beyond +100%)")
    else:
        ax.set_xlabel("change against the base, % of base mean")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+,.0f}%" if v else "0"))
    ax.grid(axis="y", visible=False)
    notes = []
    if with_ci and data.loc[data["kpi"].isin(shown), ["pct_low", "pct_high"]].isna().any(
            axis=None):
        notes.append("A point without a bar has no interval: its base varies too much between "
                     "replications for a ratio.")
    if dropped:
        named = [(labels or {}).get(k, kpi_label(k)) for k in dropped]
        more = f" and {len(named) - 5} more" if len(named) > 6 else ""   # keep the note short
        notes.append("Not shown (base mean is zero; see the KPI tables): "
                     + ", ".join(named[:5] if more else named) + more + ".")
    if notes:
        note = "\n".join(textwrap.fill(text, 95) for text in notes)
        ax.annotate(note, xy=(0, 0), xycoords="axes fraction",
                    xytext=(0, -30), textcoords="offset points", va="top", ha="left",
                    fontsize=6.5, color="#555555")
    legend_rows = 0
    if len(names) > 1:
        ncol = min(len(names), 4)
        legend_rows = int(np.ceil(len(names) / ncol))
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=ncol, borderaxespad=0.3)
    bases = list(dict.fromkeys(data["base"].astype(str)))
    who = f"{names[0]} vs {bases[0]}" if len(names) == 1 else f"scenarios vs {', '.join(bases)}"
    how = "95% CI" if with_ci else f"no intervals: too few replications, n={n}"
    ax.set_title(textwrap.fill(f"Change in each KPI, {who} (% of base mean, {how})", 64),
                 loc="left", pad=6 + 12 * legend_rows)
    return fig
