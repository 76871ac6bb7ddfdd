"""Money figures: monthly cash and resource use, cumulative differences, budgets, cost shifting.

Cash (what a payer pays under its contracts) and resource use (care consumed at unit costs) are
separate views of the ledger; each figure shows one view only and says which in its title.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..costs import is_shifted
from ..stats import t_band
from .style import (
    PAYER_COLOURS,
    PAYER_LABELS,
    SERVICE_COLOURS,
    check_columns,
    financial_year,
    fmt_gbp,
    legend_below,
    millions,
    new_figure,
    per_scenario,
    scenarios_of,
    service_label,
    styled,
    thousands,
)

PAYER_ORDER = ("nhs", "la", "pool", "provider", "self")


def _payer_title(ax, payer: str, columns: int) -> None:
    """A payer's column title, on two lines when the columns are too narrow for one."""
    label = PAYER_LABELS.get(payer, payer)
    ax.set_title(textwrap.fill(label, 12) if columns >= 4 else label,
                 color=PAYER_COLOURS.get(payer), fontweight="bold")


def _month_ticks(ax, months: list[str], most: int = 4) -> None:
    """Ticks at each April (and October when the run is short); labels 'Apr 2025'."""
    months = [str(m) for m in months]
    for wanted in (("-04",), ("-04", "-10"), ("-01", "-04", "-07", "-10")):
        ticks = [i for i, m in enumerate(months) if m.endswith(wanted)]
        if len(ticks) >= 2:
            break
    if len(ticks) > most:
        ticks = ticks[::int(np.ceil(len(ticks) / most))]
    ax.set_xticks(ticks)
    ax.set_xticklabels([pd.Period(months[i], "M").strftime("%b\n%Y") for i in ticks])


def _stacked_months(costs: pd.DataFrame, view: str, order, fig):
    check_columns(costs, ("replication", "month", "service", "payer", "cost_gbp"), view)
    names = scenarios_of(costs, order)
    payers = [p for p in PAYER_ORDER if p in set(costs["payer"].unique())]
    months = sorted(costs["month"].astype(str).unique())
    services = [s for s in SERVICE_COLOURS if s in set(costs["service"].unique())]
    services += sorted(set(costs["service"].unique()) - set(services))
    fig, axes = new_figure(len(names), len(payers), height=2.2 * len(names) + 1.4, fig=fig,
                           sharex=True, sharey=True)
    for i, name in enumerate(names):
        data = per_scenario(costs, name)
        n_rep = max(data["replication"].nunique(), 1)
        for j, payer in enumerate(payers):
            ax = axes[i, j]
            table = (data[data["payer"] == payer]
                     .pivot_table(index="month", columns="service", values="cost_gbp",
                                  aggfunc="sum").reindex(months).fillna(0.0) / n_rep)
            bottom = np.zeros(len(months))
            for service in services:
                if service in table.columns:
                    values = table[service].to_numpy()
                    ax.bar(range(len(months)), values, bottom=bottom, width=0.85,
                           color=SERVICE_COLOURS.get(service, "#777777"), linewidth=0)
                    bottom += values
            if not bottom.any():
                ax.text(0.5, 0.5, "nothing paid", transform=ax.transAxes, ha="center",
                        color="#777777")
            if i == 0:
                _payer_title(ax, payer, len(payers))
            if j == 0:
                ax.set_ylabel(f"{name}\n£ per month" if name else "£ per month")
            millions(ax)
            _month_ticks(ax, months, most=3 if len(payers) > 2 else 5)
            ax.grid(axis="x", visible=False)
    handles = [Patch(color=SERVICE_COLOURS.get(s, "#777777"), label=service_label(s))
               for s in services]
    legend_below(fig, handles, [h.get_label() for h in handles], ncol=4)
    return fig


@styled
def cash_by_service(costs: pd.DataFrame, order: list[str] | None = None, fig=None):
    """Monthly CASH paid, stacked by service, one column of panels per payer, a row per scenario.

    ``costs`` is monthly_costs.parquet (replication, month, service, payer, cost_gbp
    [, scenario]); values are the mean over replications.
    """
    fig = _stacked_months(costs, "cash_by_service", order, fig)
    fig.suptitle("Cash paid per month by service and payer (£m per month, mean over "
                 "replications)")
    return fig


@styled
def resource_use(resource: pd.DataFrame, order: list[str] | None = None, fig=None):
    """Monthly RESOURCE USE valued at unit costs, same layout as :func:`cash_by_service`.

    Resource use is not cash and is never added to it.
    """
    fig = _stacked_months(resource, "resource_use", order, fig)
    fig.suptitle("Resource use valued at unit costs (£m per month, mean over replications; "
                 "not cash)")
    return fig


@styled
def cumulative_cost_difference(costs: pd.DataFrame, base: str, order: list[str] | None = None,
                               fig=None):
    """Cumulative cash difference (scenario - base) per payer and in total, with a 95% band.

    Differences are paired by replication (common random numbers), cumulated month by month;
    the band is the 95% t-interval of the paired total difference.
    """
    check_columns(costs, ("scenario", "replication", "month", "payer", "cost_gbp"),
                  "cumulative_cost_difference")
    names = [n for n in scenarios_of(costs, order) if n != base]
    if base not in set(costs["scenario"].unique()) or not names:
        raise ValueError("cumulative_cost_difference needs the base and at least one other "
                         "scenario")
    months = sorted(costs["month"].astype(str).unique())
    payers = [p for p in PAYER_ORDER if p in set(costs["payer"].unique())]

    def cube(name):   # month x payer x replication
        table = (per_scenario(costs, name)
                 .pivot_table(index="month", columns=["payer", "replication"], values="cost_gbp",
                              aggfunc="sum"))
        return table

    base_table = cube(base)
    fig, axes = new_figure(len(names), 1, height=2.6 * len(names) + 1.0, fig=fig, sharex=True,
                           sharey=True)
    for ax, name in zip(axes[:, 0], names):
        other = cube(name)
        reps = sorted(set(base_table.columns.get_level_values(1))
                      & set(other.columns.get_level_values(1)))
        total = np.zeros((len(months), len(reps)))
        for payer in payers:
            diff = np.zeros((len(months), len(reps)))
            for k, rep in enumerate(reps):
                b = base_table.get((payer, rep), pd.Series(dtype=float)).reindex(months)
                o = other.get((payer, rep), pd.Series(dtype=float)).reindex(months)
                diff[:, k] = o.fillna(0).to_numpy() - b.fillna(0).to_numpy()
            diff = diff.cumsum(axis=0)
            total += diff
            if np.abs(diff).max() > 0:
                ax.plot(range(len(months)), diff.mean(axis=1), color=PAYER_COLOURS.get(payer),
                        linewidth=1.3, label=PAYER_LABELS.get(payer, payer))
        mean, lo, hi = t_band(total)
        ax.fill_between(range(len(months)), lo, hi, color="black", alpha=0.15, linewidth=0,
                        label="Total: 95% CI")
        ax.plot(range(len(months)), mean, color="black", linewidth=2, label="Total, all payers")
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.text(len(months) - 1, mean[-1], f" {fmt_gbp(mean[-1])}", va="center", fontsize=7.5)
        ax.set_title(f"{name} minus {base} ({len(reps)} paired replications)", loc="left")
        ax.set_ylabel("cumulative £ difference")
        millions(ax)
        _month_ticks(ax, months)
    handles = {}   # every payer drawn in any panel, then the total
    for ax in axes[:, 0]:
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    order = [PAYER_LABELS.get(p, p) for p in payers] + ["Total: 95% CI", "Total, all payers"]
    labels = [label for label in order if label in handles]
    legend_below(fig, [handles[label] for label in labels], labels, ncol=4)
    fig.suptitle(f"Cumulative cash difference versus {base} by payer (£m; below zero = "
                 "scenario spends less)")
    return fig


@styled
def budget_balance(budgets: pd.DataFrame, order: list[str] | None = None, fig=None):
    """Year-to-date spend against plan per funder and financial year, with risk-share top-ups.

    Lines: median year-to-date spend (band: 90% range across replications); dashed: the
    year-to-date plan; bars at year end: the funder's risk share of the pool's over- (+) or
    under- (-) spend. A row per scenario, a column per funder.
    """
    check_columns(budgets, ("replication", "month", "funder", "plan_gbp", "spend_gbp",
                            "risk_share_gbp"), "budget_balance")
    names = scenarios_of(budgets, order)
    funders = [f for f in PAYER_ORDER if f in set(budgets["funder"].unique())]
    months = sorted(budgets["month"].astype(str).unique())
    fy = financial_year(pd.Series(months))
    fig, axes = new_figure(len(names), len(funders), height=2.3 * len(names) + 1.2, fig=fig,
                           sharex=True)
    x = np.arange(len(months))
    for i, name in enumerate(names):
        data = per_scenario(budgets, name)
        for j, funder in enumerate(funders):
            ax = axes[i, j]
            rows = data[data["funder"] == funder]
            if rows.empty:
                ax.text(0.5, 0.5, textwrap.fill(f"no {PAYER_LABELS.get(funder, funder).lower()} "
                        "in this scenario", 14), transform=ax.transAxes, ha="center",
                        va="center", color="#777777", fontsize=7)
                ax.set_yticks([])
                if i == 0:
                    _payer_title(ax, funder, len(funders))
                continue
            spend = rows.pivot_table(index="month", columns="replication", values="spend_gbp",
                                     aggfunc="sum").reindex(months).fillna(0.0)
            plan = rows.pivot_table(index="month", columns="replication", values="plan_gbp",
                                    aggfunc="sum").reindex(months).fillna(0.0)
            risk = rows.groupby("month")["risk_share_gbp"].median().reindex(months).fillna(0.0)
            spend_ytd = spend.groupby(fy.to_numpy()).cumsum().to_numpy()
            plan_ytd = plan.groupby(fy.to_numpy()).cumsum().median(axis=1).to_numpy()
            colour = PAYER_COLOURS.get(funder, "#555555")
            lo, med, hi = np.nanquantile(spend_ytd, [0.05, 0.5, 0.95], axis=1)
            years = list(fy.unique())
            full = [y for y in years if (fy == y).sum() == 12]   # whole financial years
            for year in years:
                sel = (fy == year).to_numpy()
                ax.fill_between(x[sel], lo[sel], hi[sel], color=colour, alpha=0.2, linewidth=0)
                ax.plot(x[sel], med[sel], color=colour, linewidth=1.6,
                        label="Year-to-date spend" if year == fy.iloc[0] else None)
                ax.plot(x[sel], plan_ytd[sel], color="black", linestyle="--", linewidth=1,
                        label="Year-to-date plan" if year == fy.iloc[0] else None)
                end = np.flatnonzero(sel)[-1]
                balance = plan_ytd[end] - med[end]
                if year in full and len(full) <= 2:   # room for a label in each year
                    word = "under" if balance >= 0 else "over"
                    ax.text(x[sel].mean(), 0.99, f"{fmt_gbp(abs(balance))}\n{word} plan",
                            transform=ax.get_xaxis_transform(), fontsize=6.5, va="top",
                            ha="center", color="#333333")
                if year != years[0]:
                    ax.axvline(x[np.flatnonzero(sel)[0]] - 0.5, color="#999999", linewidth=0.6)
            if np.abs(risk.to_numpy()).max() > 0:
                ax.bar(x, risk.to_numpy(), color=PAYER_COLOURS["pool"], width=0.8,
                       edgecolor="black", linewidth=0.4, label="Risk share of pool (+ top-up)")
            ax.axhline(0, color="#777777", linewidth=0.6)
            if i == 0:
                _payer_title(ax, funder, len(funders))
            if j == 0:
                ax.set_ylabel(f"{name}\n£ year to date" if name else "£ year to date")
            millions(ax)
            _year_ticks(ax, fy, len(funders))
            ax.grid(axis="x", visible=False)
            ax.margins(y=0.18)
    handles = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    legend_below(fig, list(handles.values()), list(handles.keys()), ncol=3)
    fig.suptitle("Year-to-date spend against plan by funder and financial year (£m)")
    return fig


def _year_ticks(ax, fy: pd.Series, columns: int) -> None:
    """A label at the middle of each financial year with four or more months, thinned so that
    labels (about 0.55 in each) never overlap in a panel 1/``columns`` of the page wide."""
    years = [y for y in fy.unique() if (fy == y).sum() >= 4]
    room = max(1, int(7.0 / max(columns, 1) / 0.55))
    years = years[::int(np.ceil(len(years) / room))] if years else []
    ax.set_xticks([float(np.flatnonzero((fy == y).to_numpy()).mean()) for y in years])
    ax.set_xticklabels(years)


def _cause_label(reason: str, caused_by: str) -> str:
    from .style import DELAY_LABELS
    return f"{DELAY_LABELS.get(reason, reason)} ({PAYER_LABELS.get(caused_by, caused_by)})"


@styled
def cost_shifting(shifting: pd.DataFrame, order: list[str] | None = None,
                  replications: dict | int | None = None, years: dict | float | None = None,
                  fig=None):
    """Value of delayed bed days by causing step (and its funder) and the funder paying the bed.

    Bars are coloured by the PAYING funder; hatched bars are shifted costs (caused by another
    funder than the one paying for the bed; a person's or family's choice shifts nothing).
    Values are per year (the mean over replications of the reporting window divided by its
    ``years``, as the KPIs are), or per replication when ``years`` is not given; the label
    gives £ and delayed bed days.
    """
    check_columns(shifting, ("replication", "reason", "caused_by", "bed_payer",
                             "delayed_bed_days", "value_gbp"), "cost_shifting")
    names = scenarios_of(shifting, order)
    fig, axes = new_figure(len(names), 1, fig=fig, sharex=True,
                           height=1.0 + sum(0.45 + 0.22 * per_scenario(shifting, n)
                                            .groupby(["reason", "caused_by"]).ngroups
                                            for n in names))
    payers_seen = set()
    unit = "a year" if years else "per replication"
    for ax, name in zip(axes[:, 0], names):
        data = per_scenario(shifting, name)
        n_rep = replications.get(name) if isinstance(replications, dict) else replications
        n_rep = n_rep or max(data["replication"].nunique(), 1)
        span = years.get(name) if isinstance(years, dict) else years
        n_rep *= span if span and span > 0 else 1
        table = (data.groupby(["reason", "caused_by", "bed_payer"], as_index=False)
                 [["delayed_bed_days", "value_gbp"]].sum())
        table[["delayed_bed_days", "value_gbp"]] /= n_rep
        table = table[table["delayed_bed_days"] > 0]
        causes = (table.groupby(["reason", "caused_by"])["value_gbp"].sum()
                  .sort_values().index.tolist())
        for k, (reason, caused_by) in enumerate(causes):
            left = 0.0
            rows = table[(table["reason"] == reason) & (table["caused_by"] == caused_by)]
            for row in rows.itertuples():
                shifted = is_shifted(row.caused_by, row.bed_payer)
                payers_seen.add(row.bed_payer)
                ax.barh(k, row.value_gbp, left=left, color=PAYER_COLOURS.get(row.bed_payer),
                        hatch="///" if shifted else None, edgecolor="white", linewidth=0.5,
                        height=0.7)
                left += row.value_gbp
            days = rows["delayed_bed_days"].sum()
            ax.text(left, k, f"  {fmt_gbp(left)} · {days:,.0f} days", va="center", fontsize=7)
        ax.set_yticks(range(len(causes)))
        ax.set_yticklabels([_cause_label(r, c) for r, c in causes])
        ax.set_title(f"{name}: caused by (step, responsible body)" if name
                     else "Caused by (step, responsible body)", loc="left")
        ax.set_xlabel(f"value of delayed bed days, £ {unit}")
        ax.grid(axis="y", visible=False)
        thousands(ax, "x")
        ax.margins(x=0.25)
    handles = [Patch(color=PAYER_COLOURS.get(p), label=f"Bed paid by {PAYER_LABELS.get(p, p)}")
               for p in PAYER_ORDER if p in payers_seen]
    handles.append(Patch(facecolor="white", edgecolor="#444444", hatch="///",
                         label="Shifted: caused by another body"))
    legend_below(fig, handles, [h.get_label() for h in handles], ncol=3)
    fig.suptitle(f"Value of delayed acute bed days by cause and paying funder (£ {unit}, "
                 "reporting window)")
    return fig
