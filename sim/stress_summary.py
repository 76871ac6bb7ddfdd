"""The summary of a stress test (``OUT/stress.json``), computed from its rows.

:func:`summarise` averages each arm of each draw over its replications, takes the paired
difference arrangement - baseline within each draw (common random numbers make it the
agreement's effect at that draw), and reports over the draws:

* per partner (NHS, LA): P10/P50/P90 of its year-end risk-share top-ups (+) or refunds (-)
  under the agreement, of what it pays in each arm and of the difference, and the probability
  (the share of draws) that the agreement costs it more cash than the baseline;
* for the pool the partners share: statutory-risk days and rationed decisions (each arm and
  the change);
* the change in delayed bed days, in cash (all payers), in QALYs, and the cost per QALY gained
  (incremental cash / incremental QALYs) only when QALYs move: when the P10-P90 interval of
  the change in QALYs includes 0 the ratio means nothing and :func:`cost_per_qaly` says so.

Percentiles are numpy's default (linear interpolation, as ``pandas.Series.quantile``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PARTNERS = ("nhs", "la")
PARTNER_NAMES = {"nhs": "NHS (ICB)", "la": "local authority"}
LEVELS = (10, 50, 90)


def percentiles(values) -> dict[str, float | None]:
    """P10, P50, P90 and the mean of ``values`` (None when there is no finite value)."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if not len(x):
        return {"p10": None, "p50": None, "p90": None, "mean": None}
    p = np.percentile(x, LEVELS)
    return {"p10": float(p[0]), "p50": float(p[1]), "p90": float(p[2]),
            "mean": float(x.mean())}


def per_draw(rows: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Each draw's mean over replications of ``columns``, one column per (column, arm), plus
    ``<column>_change`` = arrangement - baseline."""
    means = rows.groupby(["draw", "arm"])[columns].mean().unstack("arm")
    out = pd.DataFrame(index=means.index)
    for c in columns:
        out[f"{c}_arrangement"] = means[(c, "arrangement")]
        out[f"{c}_baseline"] = means[(c, "baseline")]
        out[f"{c}_change"] = out[f"{c}_arrangement"] - out[f"{c}_baseline"]
    return out


def _gbp(x: float) -> str:
    return ("-" if x < 0 else "") + f"£{abs(x):,.0f}"


def cost_per_qaly(cost_change: pd.Series, qaly_change: pd.Series) -> dict:
    """The cost per QALY gained over the draws, or a statement of why it means nothing."""
    dq = qaly_change.to_numpy(float)
    if not np.isfinite(dq).any():
        return {"meaningful": False, "statement": "These runs have no QALY measure, so there "
                "is no cost per QALY."}
    q = percentiles(dq)
    interval = f"{q['p10']:+,.2f} to {q['p90']:+,.2f} QALYs a year (P10 to P90 over the draws)"
    if q["p10"] <= 0 <= q["p90"]:
        return {"meaningful": False, "statement": (
            f"QALYs do not move enough for a cost per QALY to mean anything: the change in "
            f"QALYs runs from {interval}, an interval that includes 0.")}
    if q["p90"] < 0:
        return {"meaningful": False, "statement": (
            f"The agreement loses QALYs ({interval}), so there is no cost per QALY gained; "
            "weigh the QALYs lost against the cash.")}
    ratio = percentiles(cost_change.to_numpy(float) / dq)
    mean_ratio = float(np.nanmean(cost_change) / np.nanmean(dq))
    if ratio["p90"] < 0:
        words = (f"The agreement gains QALYs ({interval}) and saves cash in at least 90% of "
                 f"draws: it dominates the baseline ({_gbp(-mean_ratio)} saved per QALY "
                 "gained, ratio of the means).")
    else:
        words = (f"Each QALY gained costs {_gbp(ratio['p50'])} (P50; P10 {_gbp(ratio['p10'])}, "
                 f"P90 {_gbp(ratio['p90'])}; {_gbp(mean_ratio)} as the ratio of the means); "
                 f"the change in QALYs runs from {interval}. A negative cost means cash saved.")
    return {"meaningful": True, "statement": words, **ratio, "ratio_of_means": mean_ratio}


def summarise(rows: pd.DataFrame, params: list[str]) -> dict:
    """The stress test's summary from its rows (one per draw x replication x arm)."""
    paid = [f"paid_{p}_gbp" for p in PARTNERS]
    draws = per_draw(rows, [*paid, *[f"risk_share_{p}_gbp" for p in PARTNERS],
                            *[f"contribution_{p}_gbp" for p in PARTNERS],
                            "statutory_risk_days", "rationed_decisions", "delayed_bed_days",
                            "total_cost_gbp", "qalys"])
    partners = {}
    for p in PARTNERS:
        change = draws[f"paid_{p}_gbp_change"]
        partners[p] = {
            "name": PARTNER_NAMES[p],
            "top_up_gbp": percentiles(draws[f"risk_share_{p}_gbp_arrangement"]),
            "contribution_gbp": percentiles(draws[f"contribution_{p}_gbp_arrangement"]),
            "paid_arrangement_gbp": percentiles(draws[f"paid_{p}_gbp_arrangement"]),
            "paid_baseline_gbp": percentiles(draws[f"paid_{p}_gbp_baseline"]),
            "paid_change_gbp": percentiles(change),
            "p_pays_more": float((change > 0).mean()),
        }
    pool = {k: {arm: percentiles(draws[f"{k}_{arm}"])
                for arm in ("arrangement", "baseline", "change")}
            for k in ("statutory_risk_days", "rationed_decisions")}
    return {"params": params, "partners": partners, "pool": pool,
            "delayed_bed_days_change": percentiles(draws["delayed_bed_days_change"]),
            "cost_change_gbp": percentiles(draws["total_cost_gbp_change"]),
            "qalys_change": percentiles(draws["qalys_change"]),
            "cost_per_qaly": cost_per_qaly(draws["total_cost_gbp_change"],
                                           draws["qalys_change"])}
