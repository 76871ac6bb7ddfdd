"""A case's verdict: the model's paired change against the published figure, the evidence
envelope (the change at the weak, central and strong ends of the named effects' evidence
ranges), ``case.json`` and the printed report. :mod:`sim.cases` loads cases and folds them into
experiments; this module reads a finished case sweep.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from . import stats, textfmt
from .cases import ENDS, CaseStudy, end_scenario
from .config import evidence_ranges
from .kpis import definition
from .sweep_plan import resolve


def verdict(direction: str, low: float, high: float,
            small_threshold: float | None = None) -> tuple[bool, str]:
    """Is the published direction reproduced? (yes/no, and the rule applied).

    ``low`` and ``high`` bound the model's 95% interval of the relative change (intervention
    vs baseline). "decrease": the whole interval lies below zero; "increase": above zero;
    "small": the whole interval lies within ±small_threshold, so the model rules out a larger
    effect (an equivalence test; an interval that merely includes a small effect is not
    enough, or too few replications would always pass). No interval (NaN) is a "no".
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return False, "no 95% interval of the relative change (baseline mean zero?)"
    shown = f"the model's is {low:+.1%} to {high:+.1%}"
    if direction == "decrease":
        return high < 0, f"needs the whole 95% interval of the change below zero; {shown}"
    if direction == "increase":
        return low > 0, f"needs the whole 95% interval of the change above zero; {shown}"
    t = small_threshold
    return -t <= low and high <= t, (f"needs the whole 95% interval of the change within "
                                     f"±{t:.0%}; {shown}")


def envelope_verdict(published: float | None, ends: list[dict]) -> str | None:
    """Where the published relative change lies against the model's evidence envelope (the
    union of the 95% intervals at the weak, central and strong ends): "inside"; "unreachable"
    (beyond every end in the published direction: no mechanism in the model, with the named
    effects at the strong end of their evidence, reaches it); "outside" (the model's effect
    is larger than published, or of the other sign at every end). None without a figure."""
    lows = [e["relative_ci_low"] for e in ends if math.isfinite(e["relative_ci_low"])]
    highs = [e["relative_ci_high"] for e in ends if math.isfinite(e["relative_ci_high"])]
    if published is None or not lows or not highs:
        return None
    if min(lows) <= published <= max(highs):
        return "inside"
    beyond = published < min(lows) if published < 0 else published > max(highs)
    return "unreachable" if beyond else "outside"


def envelope(study: CaseStudy, out: Path) -> dict | None:
    """The paired relative change of the case's KPI at each end of its evidence envelope."""
    c = study.case
    if not c.envelope:
        return None
    kpis = pd.read_parquet(out / "kpis.parquet")
    kpis = kpis[kpis["kpi"] == c.kpi].pivot_table(index="replication", columns="scenario",
                                                  values="value")
    ranges = evidence_ranges()
    ends = []
    for end in ("low", "central", "high"):
        pair = kpis[[end_scenario(c.baseline, end), end_scenario(c.intervention, end)]].dropna()
        r = stats.paired_summary(pair.iloc[:, 0], pair.iloc[:, 1], c.kpi)
        ends.append({"end": end, "values": {f: (ranges[f][ENDS[end]] if end in ENDS else None)
                                            for f in c.envelope},
                     "baseline_mean": r["base_mean"], "intervention_mean": r["scenario_mean"],
                     "relative_change": r["percent_change"] / 100,
                     "relative_ci_low": r["percent_low"] / 100,
                     "relative_ci_high": r["percent_high"] / 100})
    return {"fields": {f: list(ranges[f]) for f in c.envelope}, "ends": ends,
            "published_change": envelope_verdict(c.published_change, ends)}


def case_result(study: CaseStudy, analysis: dict, out: Path) -> dict:
    """The content of case.json, from a finished sweep's analysis.json."""
    c = study.case
    row = next(r for r in analysis["paired_differences"] if r["kpi"] == c.kpi
               and r["base"] == c.baseline and r["scenario"] == c.intervention)
    base = row["base_mean"]
    rel = [math.nan if x is None else x / 100 for x in (row["percent_change"],
                                                        row["percent_low"], row["percent_high"])]
    ok, rule = verdict(c.direction, rel[1], rel[2], c.small_threshold)
    inside = None if c.published_change is None else bool(rel[1] <= c.published_change <= rel[2])
    cfg = resolve(study.experiment, study.source).configs[c.baseline]
    return {
        "case": study.name, "title": c.title, "source": c.source, "published": c.published,
        "published_change": c.published_change, "kpi": c.kpi,
        "kpi_description": definition(c.kpi), "baseline": c.baseline,
        "intervention": c.intervention, "direction": c.direction,
        "small_threshold": c.small_threshold,
        "model": {"baseline_mean": base, "intervention_mean": row["scenario_mean"],
                  "difference": row["difference"], "ci_low": row["ci_low"],
                  "ci_high": row["ci_high"], "relative_change": rel[0],
                  "relative_ci_low": rel[1], "relative_ci_high": rel[2],
                  "replications": analysis["replications"].get(c.intervention)},
        "verdict": {"direction_reproduced": ok, "rule": rule,
                    "published_change_in_interval": inside},
        "envelope": envelope(study, out),
        "calibrated": [x.model_dump(mode="json") for x in c.calibrated], "notes": c.notes,
        "place": {"scale": c.scale, "population": cfg.population.size,
                  "years": cfg.run.years, "warmup_days": analysis["warmup_days"],
                  "seed": study.experiment.seed, "common_random_numbers": True},
        "results": str(out)}


def format_result(r: dict) -> str:
    """The printed report of a case: published figure, model, verdict, calibration, notes."""
    m, kpi, p = r["model"], r["kpi"], r["place"]
    pct = "n/a" if not math.isfinite(m["relative_change"]) else f"{m['relative_change']:+.1%}"
    rel_ci = (f"{m['relative_ci_low']:+.1%} – {m['relative_ci_high']:+.1%}"
              if math.isfinite(m["relative_ci_low"]) else "n/a")
    lines = [
        f"{r['title']}", f"source:     {r['source']}", f"published:  {r['published']}"
        + ("" if r["published_change"] is None else f"; as a relative change "
           f"{r['published_change']:+.1%}"),
        (f"model:      {kpi} ({r['kpi_description']}), {r['intervention']} vs {r['baseline']}, "
         f"{m['replications']} paired replications (common random numbers), "
         f"{p['population']:,} people aged 65+ (scale {p['scale']:g}), {p['years']:g} years "
         f"after a {p['warmup_days']:g}-day warm-up"),
        textfmt.table(
            ["", r["baseline"], r["intervention"], "difference", "95% interval", "change",
             "95% interval of change"],
            [[kpi, textfmt.number(kpi, m["baseline_mean"]),
              textfmt.number(kpi, m["intervention_mean"]),
              textfmt.number(kpi, m["difference"], True, m["baseline_mean"]),
              textfmt.interval(kpi, m["ci_low"], m["ci_high"], m["baseline_mean"], signed=True),
              pct, rel_ci]]),
        (f"direction reproduced: {'yes' if r['verdict']['direction_reproduced'] else 'no'} "
         f"({r['direction']}: {r['verdict']['rule']})")]
    if r["verdict"]["published_change_in_interval"] is not None:
        inside = "yes" if r["verdict"]["published_change_in_interval"] else "no"
        lines.append(f"published change {r['published_change']:+.1%} inside the model's 95% "
                     f"interval: {inside}")
    if r.get("envelope"):
        lines.append(format_envelope(r["envelope"], r["published_change"]))
    # one parameter per line: values (lists) and reasons are too long for table columns
    calibrated = [f"  {c['field']} = {json.dumps(c['value'])}\n      why: "
                  + re.sub(r"\s+", " ", c["reason"]).strip() for c in r["calibrated"]]
    lines.append("calibrated parameters: " + ("\n" + "\n".join(calibrated) if calibrated
                                              else "none"))
    if r["notes"]:
        lines.append("notes: " + re.sub(r"\s+", " ", r["notes"]).strip())
    return "\n".join(lines)


def format_envelope(env: dict, published: float | None) -> str:
    """The evidence envelope: the model's change at each end, and where the figure lies."""
    def pct(x):
        return "n/a" if x is None or not math.isfinite(x) else f"{x:+.1%}"
    rows = [[e["end"], pct(e["relative_change"]),
             f"{pct(e['relative_ci_low'])} – {pct(e['relative_ci_high'])}"] for e in env["ends"]]
    fields = ", ".join(f"{f} {lo:g} (weak) to {hi:g} (strong)"
                       for f, (lo, hi) in env["fields"].items())
    words = {"inside": "inside the envelope",
             "outside": "outside the envelope (the model's effect is larger, or the other way)",
             "unreachable": "unreachable: beyond the model's interval even with every named "
                            "effect at the strong end of its evidence",
             None: "no published figure to place"}
    return "\n".join([f"evidence envelope ({fields}):",
                      textfmt.table(["end", "change", "95% interval"], rows),
                      f"published change {pct(published)}: {words[env['published_change']]}"])
