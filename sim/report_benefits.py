"""The report's benefit section: bed days released, classed as a finance director classes them.

A comparison's report gains one section: a table with, for each scenario against the base,
the bed days released and a line for each class of :mod:`sim.benefits` (cash-releasing,
non-cash-releasing, cost avoided), each the paired difference of its KPI; and notes on what
each class is, the base's growth (the model's own, measured on the base run's occupied beds,
never assumed) and what any reinvestment drew on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .benefits import classify, yearly_growth
from .plots.data import Folder, RunData
from .plots.style import fmt_gbp
from .report_sections import Html, esc, html_table, too_few_note, with_ci
from .report_text import replications
from .stats import too_few

#: the table's lines: label, KPI and sign (benefit = sign x the KPI's paired difference)
ROWS = (("Cash-releasing: acute block cash no longer paid for beds closed",
         "closed_bed_cash_gbp", 1.0),
        ("Cash-releasing: public cash on care packages and care-home places not bought",
         "package_cost_gbp", -1.0),
        ("Non-cash-releasing: capacity freed (funded acute beds left empty, valued at the "
         "elective or emergency activity they could host)", "empty_bed_value_gbp", 1.0),
        ("Cost avoided: escalation beds not opened", "escalation_cost_gbp", -1.0))


def _gbp(value: float) -> str:
    return fmt_gbp(value) if value >= 0 else f"-{fmt_gbp(-value)}"


def _days(value: float) -> str:
    return f"{value:,.0f}"


def _cell(row, sign: float, n: int | None, fmt=_gbp) -> Html:
    """A benefit with the 95% interval of its paired difference beneath (sign-corrected)."""
    value = fmt(sign * row.difference)
    if n is None or too_few(n) or not np.isfinite([row.ci_low, row.ci_high]).all() \
            or row.ci_low == row.ci_high:
        return with_ci(value)
    lo, hi = sorted((sign * row.ci_low, sign * row.ci_high))
    return with_ci(value, fmt(lo), fmt(hi))


def base_growth(run: RunData) -> float | None:
    """Yearly growth of occupied acute beds in a run's counting window (mean over its
    replications), or None when the window is under two years."""
    daily = run.table("daily")
    if daily is None or daily.empty:
        return None
    warmup = float(run.section("run.warmup_days", 0.0) or 0.0)
    acute = daily[daily["series"].isin(["acute_treatment", "acute_delayed"])
                  & (daily["day"] >= np.floor(warmup))]
    per_day = acute.groupby(["replication", "day"])["count"].sum().groupby("day").mean()
    return yearly_growth(per_day, pd.Series(per_day.index, index=per_day.index))


def growth_sentence(growth: float | None, released: dict[str, float], base_bed_days: float,
                    base: str) -> str:
    """Growth not funded: the model's own growth, and how long the released bed days would
    absorb it."""
    text = ("Growth not funded: the model funds no extra bed as demand grows (its 65+ "
            "population grows ~1.7% a year); growth beyond the funded beds opens escalation "
            "beds or waits in ED, so it is counted in the escalation beds not opened, not "
            "again. ")
    if growth is None:
        return text + (f"The run is too short (under two years after the warm-up) to measure "
                       f"how fast {base}'s bed use grows.")
    text += f"Under {base}, occupied acute beds grew {100 * growth:.1f}% a year"
    cover = [f"{s} {days / (growth * base_bed_days):,.1f} years" for s, days in released.items()
             if growth > 0 and days > 0 and base_bed_days > 0]
    if cover:
        text += ("; the bed days released would absorb that growth, before a bed had to be "
                 "funded for it, for: " + ", ".join(cover))
    return text + "."


def reinvest_sentence(folder: Folder, paired: pd.DataFrame, scenario: str) -> str | None:
    """What a scenario's reinvestment drew on (None when it reinvested nothing)."""
    row = paired[(paired["scenario"].astype(str) == scenario)
                 & (paired["kpi"] == "reinvested_gbp")]
    if row.empty or not row["scenario_mean"].iloc[0] > 0:
        return None
    run = next((r for r in folder.runs if r.name == scenario), None)
    source = run.section("savings.reinvest_source", "underspend") if run else "underspend"
    what = ("only cash released by closed beds, never budget headroom or growth money"
            if source == "released_cash" else
            "the whole year-end underspend, budget headroom and growth money included")
    return (f"{scenario} reinvested {fmt_gbp(row['scenario_mean'].iloc[0])} a year in "
            f"capacity, drawn on {what} (reinvest source: {source.replace('_', ' ')}).")


def benefits_html(folder: Folder) -> str:
    """The benefit section of a comparison ('' for a folder without the benefit KPIs)."""
    paired = folder.paired
    if paired is None or paired.empty or "closed_bed_cash_gbp" not in set(paired["kpi"]):
        return ""
    n = replications(folder)
    base = str(paired["base"].iloc[0])
    base_run = next((r for r in folder.runs if r.name == base), None)
    by = {(str(r.scenario), r.kpi): r for r in paired.itertuples(index=False)}
    scenarios = list(dict.fromkeys(paired["scenario"].astype(str)))
    classes = {s: classify(paired, s) for s in scenarios}
    rows = [["Acute bed days released a year"]
            + [_cell(by[(s, "acute_bed_days")], -1.0, n, _days)
               if (s, "acute_bed_days") in by else "" for s in scenarios]]
    rows += [[text] + [_cell(by[(s, kpi)], sign, n) if (s, kpi) in by else ""
                       for s in scenarios] for text, kpi, sign in ROWS]
    rows.append(["Cash-releasing, total"]
                + [_gbp(classes[s].get("cash_releasing", {}).get("total", 0.0))
                   for s in scenarios])
    price = base_run.section("costs.elective_bed_day_gbp") if base_run is not None else None
    growth = base_growth(base_run) if base_run is not None else None
    released = {s: classes[s].get("bed_days_released", {}).get("total", 0.0)
                for s in scenarios}
    first = by.get((scenarios[0], "acute_bed_days"))
    notes = [
        f"Each line is a paired difference against {base}, a year, positive when the scenario "
        "does better (negative: more beds used, more packages bought, more escalation beds "
        "opened). Each released bed day is a bed closed, a funded bed left empty or an "
        "escalation bed not opened; only closed beds and packages not bought are cash.",
        "Capacity freed is valued at " + (f"{fmt_gbp(price)} " if price else "")
        + "a bed day (costs.elective_bed_day_gbp): activity or income the hospital could "
        "have, not cash in any budget, so it is never reinvested. Freed beds release block "
        "cash only when they close (the bed-closure review).",
        growth_sentence(growth, released, first.base_mean if first else 0.0, base)]
    notes += [t for s in scenarios if (t := reinvest_sentence(folder, paired, s))]
    return (f"<p>Bed days released against {esc(base)}, classed as a finance director classes "
            "them (95% interval beneath).</p>" + too_few_note(n)
            + html_table(["", *scenarios], rows, numeric=set(range(1, len(scenarios) + 1)))
            + "<ul class=\"findings\">" + "".join(f"<li>{esc(t)}</li>" for t in notes)
            + "</ul>")
