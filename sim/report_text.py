"""Words for the report: KPI formatting and the key findings.

Every sentence is generated from the numbers in the results folder; nothing is hand-written
per run. The findings lead with the few that matter (cash in total and who pays it, delayed
bed days, emergency admissions, care-home admissions), grouped under short headings; every
other KPI is in the tables. Two rules keep them honest: an interval is shown only with enough
replications and always inside the quantity's range (:mod:`sim.stats`); and money that moves
from one payer to another is called a transfer, never a reduction or a saving.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .kpis import CASH_BY_PAYER, KPIS, label, unit
from .plots.data import Folder, RunData
from .plots.style import PAYER_LABELS, fmt_gbp
from .stats import MIN_REPLICATIONS, too_few

Section = tuple[str, list[str]]   # a heading and its sentences

DECISION_REPLICATIONS = 10
PAYER_NAMES = {"nhs": "the NHS", "la": "the local authority", "pool": "the pooled fund",
               "provider": "the integrated provider", "self": "self-funders"}
#: the findings a comparison leads with, by heading
LEAD = (("Cash: the total and who pays", ("total_cost_gbp",)),
        ("Hospital", ("delayed_bed_days", "emergency_admissions")),
        ("Care homes", ("care_home_admissions",)))


def fmt_kpi(kpi: str, value: float) -> str:
    """A KPI value in its natural unit."""
    if value is None or not np.isfinite(value):
        return "n/a"
    measure = unit(kpi)
    if measure == "share":
        return f"{100 * value:.1f}%"
    if measure == "£ per year":
        return fmt_gbp(value)
    if measure == "hours":
        return f"{value:,.1f} h"
    if measure in ("days", "days per year"):
        return f"{value:,.1f} days"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def fmt_diff(kpi: str, value: float) -> str:
    """A difference in a KPI's unit, signed; shares differ in percentage points."""
    if unit(kpi) == "share" and value is not None and np.isfinite(value):
        return f"{100 * value:+.1f} pp"
    text = fmt_kpi(kpi, value)
    return text if text.startswith("-") or text == "n/a" or value == 0 else f"+{text}"


def fmt_interval(kpi: str, mean: float, lo: float, hi: float, n: int | None = None) -> str:
    """'1,947 (95% CI 1,839 to 2,055)'; the mean alone when ``n`` replications are too few."""
    if (n is not None and too_few(n)) or not (np.isfinite(lo) and np.isfinite(hi)):
        return fmt_kpi(kpi, mean)
    return f"{fmt_kpi(kpi, mean)} (95% CI {fmt_kpi(kpi, lo)} to {fmt_kpi(kpi, hi)})"


def fmt_change(percent: float) -> str:
    """A signed % change: '+0.7%', '-22%'."""
    if not np.isfinite(percent):
        return "n/a"
    if round(percent, 1) == 0:
        return "0%"
    return f"{percent:+,.0f}%" if abs(percent) >= 10 else f"{percent:+.1f}%"


def _replications(row) -> int | None:
    n = getattr(row, "replications", None)
    return int(n) if n is not None and np.isfinite(n) else None


def change_text(row, recorded: bool = True, n: int | None = None) -> str:
    """One scenario's % change against the base with its 95% interval, or why none is shown.

    ``recorded``: the table has the % interval (Fieller); older sweep tables give only the
    interval of the difference, which is shown instead.
    """
    kpi = row.kpi
    n = _replications(row) or n
    if row.difference == 0 and row.ci_low == row.ci_high:
        return "no change"
    if not row.base_mean or not np.isfinite(row.percent_change):
        change = f"{fmt_diff(kpi, row.difference)} from none"
        lo, hi = row.ci_low, row.ci_high
        interval = f"difference {fmt_diff(kpi, lo)} to {fmt_diff(kpi, hi)}"
    else:
        change = fmt_change(row.percent_change)
        lo, hi = (row.percent_low, row.percent_high) if recorded else (row.ci_low, row.ci_high)
        interval = (f"{fmt_change(lo)} to {fmt_change(hi)}" if recorded else
                    f"difference {fmt_diff(kpi, lo)} to {fmt_diff(kpi, hi)}")
    if n is not None and too_few(n):
        return change
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{change}; no interval: the base varies too much between replications"
    return f"{change}, 95% CI {interval}" + (": no clear change" if lo <= 0 <= hi else "")


def lead_sentence(kpi: str, rows: list, recorded: bool, n: int | None) -> str:
    """One KPI for every scenario against the base, in one sentence."""
    first = rows[0]
    parts = [f"{fmt_kpi(kpi, first.base_mean)} under {first.base}"]
    parts += [f"{r.scenario} {fmt_kpi(kpi, r.scenario_mean)} ({change_text(r, recorded, n)})"
              for r in rows]
    phrase = KPIS[kpi].phrase if kpi in KPIS else label(kpi)
    return f"{phrase}: " + "; ".join(parts) + "."


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def who_pays(rows: dict, scenario: str, base: str, base_total: float,
             n: int | None = None) -> str:
    """Where money moved between payers (``rows``: payer -> its paired cash row).

    Left out: changes under 0.1% of the base's total cash and, with enough replications for
    intervals, changes whose 95% interval includes zero. A payer paying less while another
    pays more is a transfer, and the sentence says so.
    """
    threshold = max(0.001 * abs(base_total), 1.0)
    judged = n is not None and not too_few(n)

    def moved(r, sign):
        clear = not (r.ci_low <= 0 <= r.ci_high) or (r.ci_low == r.ci_high)
        return sign * r.difference >= threshold and (clear or not judged)

    more = [(p, r) for p, r in rows.items() if moved(r, 1)]
    less = [(p, r) for p, r in rows.items() if moved(r, -1)]
    if not more and not less:
        return (f"Under {scenario} no payer's cash changed clearly against {base} (changes "
                f"under {fmt_gbp(threshold)} a year"
                + (", or with a 95% interval that includes zero, " if judged else " ")
                + "are not counted).")
    parts = []
    for k, (p, r) in enumerate(sorted(more, key=lambda x: -x[1].difference)
                               + sorted(less, key=lambda x: x[1].difference)):
        verb = ("pay " if p == "self" else "pays ") if k == 0 else ""
        if r.difference > 0:
            note = f" (nothing under {base})" if r.base_mean == 0 else ""
            parts.append(f"{PAYER_NAMES.get(p, p)} {verb}{fmt_gbp(r.difference)} more{note}")
        else:
            note = " (nothing now)" if r.scenario_mean == 0 else ""
            parts.append(f"{PAYER_NAMES.get(p, p)} {verb}{fmt_gbp(-r.difference)} less{note}")
    text = f"Under {scenario}, {_and(parts)} a year than under {base}"
    if more and less:
        moved = min(sum(r.difference for _, r in more), -sum(r.difference for _, r in less))
        return text + (f": {fmt_gbp(moved)} a year moved between payers, a transfer and not a "
                       "saving.")
    return text + ("; no payer pays less." if more else "; no payer pays more.")


def method_note(n: int | None, paired: bool) -> str:
    """How the intervals were made, and whether there were enough replications for them."""
    text = ("Scenarios are compared replication by replication with common random numbers. "
            if paired else "")
    if n is None:
        return text + "The number of replications was not recorded."
    if too_few(n):
        return text + (f"Intervals not shown: too few replications (n={n}); run at least "
                       f"{MIN_REPLICATIONS} ({DECISION_REPLICATIONS} or more for decisions).")
    text += (f"95% intervals over {n} replications" + (": a % change by Fieller's interval for "
             "a ratio of means, which cannot fall below -100%; a difference by Student's t."
             if paired else ", on a scale that keeps them in range (counts and money cannot "
             "go below zero, shares stay between 0 and 100%)."))
    if n < DECISION_REPLICATIONS:
        text += (f" With {n} replications they are wide: use {DECISION_REPLICATIONS} or more "
                 "for decisions.")
    return text


def compare_findings(paired: pd.DataFrame, replications: int | None) -> list[Section]:
    """The lead findings of a comparison: cash and who pays, hospital, care homes."""
    recorded = {"percent_low", "percent_high"} <= set(paired.columns)
    by = {(str(r.scenario), r.kpi): r for r in paired.itertuples(index=False)}
    scenarios = list(dict.fromkeys(paired["scenario"].astype(str)))
    base = str(paired["base"].iloc[0])
    sections = []
    for heading, kpis in LEAD:
        sentences = []
        for kpi in kpis:
            rows = [by[(s, kpi)] for s in scenarios if (s, kpi) in by]
            if rows:
                sentences.append(lead_sentence(kpi, rows, recorded, replications))
        if kpis[0] == "total_cost_gbp":
            for s in scenarios:
                payers = {p: by[(s, k)] for p, k in CASH_BY_PAYER.items() if (s, k) in by}
                if payers and (s, "total_cost_gbp") in by:
                    sentences.append(who_pays(payers, s, base,
                                              by[(s, "total_cost_gbp")].base_mean,
                                              replications))
        if sentences:
            sections.append((heading, sentences))
    note = method_note(replications, paired=True) + " Every other KPI is in the KPI tables."
    return sections + [("How sure", [note])]


def run_findings(run: RunData) -> list[Section]:
    """Sentences from one scenario's KPI summary and budgets, grouped."""
    s = run.kpi_summary().set_index("kpi")
    n = run.replications or (int(s["replications"].min()) if "replications" in s else None)

    def has(*kpis):
        return all(k in s.index for k in kpis)

    def iv(kpi):
        r = s.loc[kpi]
        return fmt_interval(kpi, r["mean"], r["ci_low"], r["ci_high"], n)

    hospital, cash, community = [], [], []
    if has("emergency_admissions"):
        hospital.append(f"In {run.name}, there were {iv('emergency_admissions')} emergency "
                        "admissions a year.")
    if has("delayed_bed_days", "delayed_bed_share"):
        hospital.append(f"People who were medically fit but still in hospital used "
                        f"{iv('delayed_bed_days')} acute bed days a year, "
                        f"{fmt_kpi('delayed_bed_share', s.loc['delayed_bed_share', 'mean'])} "
                        "of all acute bed days.")
    if has("mean_acute_occupancy"):
        beds = run.section("acute.beds")
        mean = s.loc["mean_acute_occupancy", "mean"]
        share = f" ({100 * mean / beds:.0f}% of {beds} funded beds)" if beds else ""
        hospital.append(f"On average {mean:,.1f} acute beds were occupied{share}.")
    if has("total_cost_gbp"):
        parts = [f"{PAYER_LABELS[p]} {fmt_gbp(s.loc[k, 'mean'])}" for p, k in CASH_BY_PAYER.items()
                 if k in s.index and s.loc[k, "mean"] > 0]
        cash.append(f"Cash paid a year by all payers was {iv('total_cost_gbp')}; who paid it: "
                    + ", ".join(parts) + ".")
    if has("shifted_cost_gbp"):
        cash.append(f"Delays caused by a body other than the one paying for the bed were worth "
                    f"{iv('shifted_cost_gbp')} a year (cost shifting).")
    cash += budget_findings(run)
    if has("home_care_waiting_mean"):
        community.append(f"On an average day {s.loc['home_care_waiting_mean', 'mean']:,.1f} "
                         "people were waiting at home for home care.")
    sections = [("Hospital", hospital), ("Cash and budgets", cash), ("Community", community),
                ("Levers that acted", lever_findings(s, iv)),
                ("How sure", [method_note(n, paired=False)])]
    return [(h, sentences) for h, sentences in sections if sentences]


#: One sentence per lever that acted: {iv} is the KPI's mean with its interval, {mean} the mean.
LEVER_SENTENCES = (
    ("beds_closed", ("The bed-closure rule closed {mean:,.1f} acute beds by the end of the "
                     "run (the block contract shrinks with them).")),
    ("reinvested_gbp", "{iv} of cash underspend per year was reinvested in capacity."),
    ("case_managed_mean", "Neighbourhood teams case-managed {iv} people on an average day."),
    ("statutory_risk_days", ("On {iv} days a year the pool could not cover its NHS statutory "
                             "commitments (acute, CHC) to the year end without a top-up.")),
    ("outcome_payment_gbp", "Outcome payments of {iv} per year were earned by the fund holder."),
    ("risk_share_nhs_gbp", "The NHS topped up the pool's overspend by {iv} per year."),
    ("risk_share_la_gbp", "The local authority topped up the pool's overspend by {iv} per year."),
)


def lever_findings(s: pd.DataFrame, iv) -> list[str]:
    """Sentences for the levers that acted in a run (closures, reinvestment, prevention,
    statutory risk, outcome payments, top-ups); silent about levers that were off."""
    return [text.format(iv=iv(kpi), mean=s.loc[kpi, "mean"]) for kpi, text in LEVER_SENTENCES
            if kpi in s.index and s.loc[kpi, "mean"] > 0]


def budget_findings(run: RunData) -> list[str]:
    budgets = run.table("budgets")
    if budgets is None or budgets.empty:
        return []
    from .plots.style import financial_year
    b = budgets.assign(fy=financial_year(budgets["month"]))
    last = b.sort_values("month").groupby(["funder", "fy", "replication"]).tail(1)
    out = []
    for (fy, month), rows in last.groupby(["fy", "month"], sort=True):
        words = []
        for funder, r in rows.groupby("funder", sort=False):
            bal = r["balance_ytd_gbp"].mean()
            words.append(f"{PAYER_LABELS.get(funder, funder)} {fmt_gbp(abs(bal))} "
                         f"{'under' if bal >= 0 else 'over'}")
        end = pd.Period(month, "M").strftime("%B %Y")
        out.append(f"By the end of {end} (financial year {fy}), against plan: "
                   + "; ".join(words) + ".")
    return out


def sweep_findings(folder: Folder) -> list[str]:
    sweep, out = folder.sweep, []
    oat = sweep.records("oat")
    if oat is not None and len(oat):
        oat = oat.assign(abs_swing=(oat["kpi_at_high"] - oat["kpi_at_low"]).abs())
        for kpi, rows in oat.groupby("kpi", sort=False):
            top = rows.loc[rows["abs_swing"].idxmax()]
            out.append(f"One at a time, {top['parameter']} moved {label(kpi).lower()} most: "
                       f"from {fmt_kpi(kpi, top['kpi_at_low'])} at its low value to "
                       f"{fmt_kpi(kpi, top['kpi_at_high'])} at its high value (base "
                       f"{fmt_kpi(kpi, top['base_kpi'])}).")
    sobol = sweep.records("sobol")
    if sobol is not None and len(sobol):
        for kpi, rows in sobol.groupby("kpi", sort=False):
            top = rows.loc[rows["ST"].idxmax()]
            conf = f" ± {abs(top['ST_conf']):.2f}" if "ST_conf" in top else ""
            out.append(f"{top['parameter']} accounts for the largest share of the variance of "
                       f"{label(kpi).lower()}: total-order Sobol index {top['ST']:.2f}{conf}"
                       f" (first order {top['S1']:.2f}).")
    morris = sweep.records("morris")
    if morris is not None and len(morris):
        for kpi, rows in morris.groupby("kpi", sort=False):
            top = rows.loc[rows["mu_star"].idxmax()]
            out.append(f"Morris screening ranks {top['parameter']} first for "
                       f"{label(kpi).lower()} (μ* {top['mu_star']:,.3g}, σ "
                       f"{top['sigma']:,.3g}).")
    if sweep.kpis is not None and len(sweep.kpis):
        points = sweep.kpis["point"].nunique()
        reps = sweep.kpis.groupby("point")["replication"].nunique().max()
        out.insert(0, f"The sweep ran {points} design points with up to {reps} replications "
                      "each.")
    return out


def findings(folder: Folder) -> list[Section]:
    """Key findings as (heading, sentences), for any kind of folder."""
    out: list[Section] = []
    if folder.kind == "sweep":
        sweep = sweep_findings(folder)
        out += [("Sensitivity", sweep)] if sweep else []
    if folder.paired is not None and len(folder.paired):
        out += compare_findings(folder.paired, replications(folder))
    elif folder.kind == "run":
        out += run_findings(folder.runs[0])
    if folder.kind == "compare" and folder.paired is None:
        for run in folder.runs:
            out += [(f"{run.name}: {heading}", s) for heading, s in run_findings(run)]
    return out or [("", ["No KPI results were found in this folder."])]


def replications(folder: Folder) -> int | None:
    """Replications per scenario (the smallest, when scenarios differ)."""
    counts = [r.replications for r in folder.runs if r.replications]
    if not counts and folder.sweep is not None:
        recorded = folder.sweep.analysis.get("replications")
        if isinstance(recorded, dict):
            counts = [int(v) for v in recorded.values() if v]
        elif folder.sweep.kpis is not None and len(folder.sweep.kpis):
            counts = [int(folder.sweep.kpis.groupby("point")["replication"].nunique().min())]
    return min(counts) if counts else None
