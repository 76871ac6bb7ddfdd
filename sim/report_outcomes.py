"""The report's Outcomes section: the outcome measures places report, per arrangement.

A comparison's report gains one table: each outcome KPI of :mod:`sim.kpis_outcomes` (at home
91 days after reablement, discharges to usual residence, care-home admissions per 100,000,
deaths in hospital, care-home residents' admissions, QALYs) for every arrangement, mean with
its 95% interval beneath; and, against the base, the cash paid per QALY gained, so an
arrangement can be judged by what it buys in health as well as in bed days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .kpis_outcomes import OUTCOME_KPIS
from .plots.data import Folder
from .plots.style import fmt_gbp
from .report_sections import Html, html_table, kpi_cell, too_few_note, with_ci
from .report_text import fmt_kpi, replications
from .stats import too_few

NAMES = tuple(k.name for k in OUTCOME_KPIS)


def _value(summary: pd.DataFrame, kpi: str, n: int) -> Html | str:
    if kpi not in summary.index:
        return ""
    mean, lo, hi = summary.loc[kpi, ["mean", "ci_low", "ci_high"]]
    if too_few(n) or not np.isfinite([lo, hi]).all():
        return with_ci(fmt_kpi(kpi, mean))
    return with_ci(fmt_kpi(kpi, mean), fmt_kpi(kpi, lo), fmt_kpi(kpi, hi))


def cost_per_qaly(paired: pd.DataFrame) -> dict[str, str]:
    """Per scenario: the difference in cash paid by all payers over the difference in QALYs
    against the base, in words when no QALY is gained."""
    out = {}
    for scenario, rows in paired.groupby("scenario", sort=False):
        diff = rows.set_index("kpi")["difference"]
        if "qalys" not in diff or "total_cost_gbp" not in diff:
            continue
        qalys, cash = float(diff["qalys"]), float(diff["total_cost_gbp"])
        if qalys > 0:
            out[str(scenario)] = (f"{fmt_gbp(cash / qalys)} per QALY gained" if cash > 0
                                  else "saves cash and gains QALYs")
        else:
            out[str(scenario)] = ("no QALY gained" if cash > 0
                                  else "saves cash, no QALY gained")
    return out


def outcomes_html(folder: Folder) -> str:
    """The Outcomes table of a comparison ('' for a folder with fewer than two runs)."""
    if len(folder.runs) < 2:
        return ""
    summaries = {r.name: r.kpi_summary().set_index("kpi") for r in folder.runs}
    counts = {r.name: r.replications or 0 for r in folder.runs}
    rows = [[kpi_cell(k), *(_value(s, k, counts[name]) for name, s in summaries.items())]
            for k in NAMES]
    if not any(k in s.index for s in summaries.values() for k in NAMES):
        return ""
    per_qaly = cost_per_qaly(folder.paired) if folder.paired is not None and \
        len(folder.paired) else {}
    if per_qaly:
        rows.append([Html("<b>Cash per QALY against the base</b>"),
                     *(per_qaly.get(name, "base" if name == folder.base else "")
                       for name in summaries)])
    return (too_few_note(replications(folder))
            + html_table(["Outcome", *summaries], rows,
                         numeric=set(range(1, 1 + len(summaries))))
            + "<p class=\"note\">At home 91 days and care-home admissions per 100,000 are "
              "ASCOF 2B(1) and 2A(2); the README's calibration table compares each outcome "
              "with its published national value. Utilities weigh person-time into QALYs "
              "(config section <code>outcomes</code>); they never change a journey. Cash per "
              "QALY is the difference in cash paid by all payers over the difference in "
              "QALYs, both means against the base, with no interval: when the QALY difference is "
              "small against its interval (the KPI tables), the ratio is unstable.</p>")
