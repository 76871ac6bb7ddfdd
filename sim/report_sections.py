"""The HTML of each report section: scenarios, key findings, KPI tables, cost shifting,
configs and the STRESS-DES appendix (the document around them is :mod:`sim.report`).

Every number comes from the results folder. Tables sit in a container that scrolls sideways
rather than widen the page; a value's 95% interval goes on a line beneath it, and is left out
with a note when there are too few replications for one (:mod:`sim.stats`).
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd

from .costs import is_shifted
from .kpis import CASH_BY_PAYER, KPIS, definition, label
from .plots.data import Folder, get
from .plots.delays import DELAYED_DAYS, cause_label, delay_by_pathway
from .plots.style import PAYER_LABELS, fmt_gbp
from .report_stress import parameter_rows, stress_des
from .report_text import (
    findings,
    fmt_change,
    fmt_diff,
    fmt_kpi,
    replications,
)
from .stats import MIN_REPLICATIONS, too_few


def esc(text) -> str:
    return html.escape(str(text), quote=True)


class Html(str):
    """A table cell that is already HTML (its parts escaped by the caller)."""


def _cell(value) -> str:
    return value if isinstance(value, Html) else esc(value)


def html_table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    """A table in a container that scrolls sideways if it is ever wider than the page."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td class=\"num\">{_cell(c)}</td>" if i in numeric else f"<td>{_cell(c)}</td>"
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    return (f"<div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead><tbody>{body}"
            "</tbody></table></div>")


def dotted(name) -> Html:
    """A dotted or underscored name that may break after each '.' or '_' (a parameter name
    such as home_care.community_referral_per_year_by_frailty would widen its column)."""
    return Html(re.sub(r"([._,])", r"\1<wbr>", esc(name)))


def with_ci(value: str, low: str | None = None, high: str | None = None) -> Html:
    """A value with its 95% interval on a second line (none when ``low`` is None)."""
    if low is None:
        return Html(esc(value))
    return Html(f"{esc(value)}<span class=\"ci\">{esc(low)} to {esc(high)}</span>")


def kpi_cell(kpi: str) -> Html:
    return Html(f"{esc(label(kpi))}<small>{esc(definition(kpi))}</small>")


def too_few_note(n: int | None) -> str:
    if n is None or not too_few(n):
        return ""
    return (f"<p class=\"note\">Intervals not shown: too few replications (n={n}). Run at "
            f"least {MIN_REPLICATIONS} replications for 95% intervals, and 10 or more for "
            "decisions.</p>")


def case_of(folder: Folder) -> dict | None:
    """The case verdict written by ``caresim case`` next to a sweep, if this is a case folder."""
    path = folder.path / "case.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else None
    except (OSError, ValueError):
        return None


def case_section(case: dict) -> str:
    """Published figure against the model's paired difference, the verdict and the caveats."""
    m, v = case["model"], case["verdict"]
    kpi = case["kpi"]

    def pct(x):
        return f"{100 * x:+.1f}%"

    published = case["published"]
    if case.get("published_change") is not None:
        published += f" (as a relative change: {pct(case['published_change'])})"
    rows = [["Published", published],
            ["Source", case["source"]],
            ["Model", (f"{label(kpi)}: {case['intervention']} vs {case['baseline']}, "
                       f"{pct(m['relative_change'])} (95% CI {pct(m['relative_ci_low'])} to "
                       f"{pct(m['relative_ci_high'])}), {m['replications']} paired "
                       "replications")],
            ["Direction reproduced", ("yes" if v["direction_reproduced"] else "no")
             + f" ({case['direction']}: {v['rule']})"]]
    if v.get("published_change_in_interval") is not None:
        rows.append(["Published change inside the model's interval",
                     "yes" if v["published_change_in_interval"] else "no"])
    if case.get("envelope"):
        env = case["envelope"]
        rows.append(["Evidence envelope (" + ", ".join(env["fields"]) + ")", "; ".join(
            f"{e['end']}: {pct(e['relative_change'])} ({pct(e['relative_ci_low'])} to "
            f"{pct(e['relative_ci_high'])})" for e in env["ends"])
            + f"; published figure: {env['published_change'] or 'none to place'}"])
    calibrated = case.get("calibrated") or []
    rows.append(["Calibrated parameters", "; ".join(
        f"{c['field']} = {c['value']} ({c['reason']})" for c in calibrated) or "none"])
    return html_table(["", ""], rows) + f"<p>{esc(case['notes'])}</p>"


def scenario_table(folder: Folder) -> str:
    rows = []
    for name, c in folder.configs().items():
        pooled = [x.replace("_", " ") for x in get(c, "funding.pool.scope", []) or []]
        run = next((r for r in folder.runs if r.name == name), None)
        reps = run.replications if run else (folder.sweep.analysis.get("replications") or {}
                                              ).get(name, "") if folder.sweep else ""
        rows.append([name, c.get("description", ""), get(c, "funding.arrangement", ""),
                     ", ".join(pooled) or "none", reps,
                     f"{get(c, 'run.years', 0):g} ({get(c, 'run.warmup_days', 0):g})",
                     f"{get(c, 'population.size', 0):,}", get(c, "acute.beds", "")])
    out = ""
    if rows:
        out += html_table(["Scenario", "Description", "Funding", "Pooled services", "Replications",
                       "Years (warm-up days)", "People 65+ at start", "Acute beds"], rows,
                      numeric={4, 5, 6, 7})
    if folder.sweep is not None and folder.sweep.design is not None:
        design = folder.sweep.design
        params = folder.sweep.parameters
        prow = [[p, f"{design[p].min():.4g}", f"{design[p].max():.4g}"]
                if pd.api.types.is_numeric_dtype(design[p])
                else [p, esc(sorted(map(str, design[p].unique()))), ""] for p in params]
        scen = ", ".join(map(str, design["scenario"].unique())) if "scenario" in design else "-"
        out += (f"<p>{design['point'].nunique()} design points; scenarios: {esc(scen)}.</p>"
                + html_table(["Swept parameter", "Lowest", "Highest"], prow, numeric={1, 2}))
    return out or "<p>No scenario information was found.</p>"


def kpi_tables(folder: Folder) -> str:
    out = []
    summaries = {r.name: r.kpi_summary().set_index("kpi") for r in folder.runs}
    counts = {r.name: r.replications for r in folder.runs}
    if folder.sweep is not None and folder.sweep.scenario_summary() is not None:
        table = folder.sweep.scenario_summary()
        recorded = folder.sweep.analysis.get("replications")
        for name, rows in table.groupby("scenario", sort=False):
            summaries.setdefault(str(name), rows.set_index("kpi"))
            if isinstance(recorded, dict):
                counts.setdefault(str(name), recorded.get(str(name)))
    n = replications(folder)
    if summaries:
        kpis = list(dict.fromkeys(k for s in summaries.values() for k in s.index))
        rows = []
        for k in kpis:
            cells = [kpi_cell(k)]
            for name, s in summaries.items():
                if k not in s.index:
                    cells.append("")
                    continue
                mean, lo, hi = s.loc[k, ["mean", "ci_low", "ci_high"]]
                shown = not too_few(counts.get(name) or 0) and np.isfinite([lo, hi]).all()
                cells.append(with_ci(fmt_kpi(k, mean), *((fmt_kpi(k, lo), fmt_kpi(k, hi))
                                                          if shown else (None, None))))
            rows.append(cells)
        out.append("<h3>KPIs by scenario (mean across replications; 95% interval beneath)</h3>"
                   + too_few_note(n) + html_table(["KPI", *summaries], rows,
                                               numeric=set(range(1, 1 + len(summaries)))))
    if folder.paired is not None and len(folder.paired):
        out.append(paired_table(folder.paired, n))
    if folder.sweep is not None:
        for key, header in (("oat", ["parameter", "kpi", "low_value", "high_value",
                                     "kpi_at_low", "kpi_at_high", "base_kpi", "swing"]),
                            ("sobol", ["kpi", "parameter", "S1", "S1_conf", "ST", "ST_conf"]),
                            ("morris", ["kpi", "parameter", "mu_star", "mu_star_conf",
                                        "sigma"])):
            records = folder.sweep.records(key)
            if records is not None:
                cols = [c for c in header if c in records.columns]
                rows = [[f"{v:.4g}" if isinstance(v, float) else v for v in row]
                        for row in records[cols].itertuples(index=False)]
                out.append(f"<h3>Sensitivity: {key}</h3>" + html_table(cols, rows))
    return "".join(out) or "<p>No KPI tables in this folder.</p>"


def _paired_cells(r, n: int | None, recorded: bool) -> list[str]:
    """Scenario value, difference and % change of one paired row, as <td> cells."""
    shown = not too_few(int(getattr(r, "replications", n) or n or 0))
    same = r.difference == 0 and r.ci_low == r.ci_high
    diff = with_ci(fmt_diff(r.kpi, r.difference),
                   *((fmt_diff(r.kpi, r.ci_low), fmt_diff(r.kpi, r.ci_high))
                     if shown and not same and np.isfinite([r.ci_low, r.ci_high]).all()
                     else (None, None)))
    if same:
        pct = Html("no change")
    elif not r.base_mean:
        pct = Html("n/a (base 0)")
    elif shown and recorded and np.isfinite([r.percent_low, r.percent_high]).all():
        pct = with_ci(fmt_change(r.percent_change), fmt_change(r.percent_low),
                      fmt_change(r.percent_high))
    elif shown and recorded:
        pct = Html(f"{esc(fmt_change(r.percent_change))}<span class=\"ci\">no interval: the "
                   "base varies too much</span>")
    else:
        pct = with_ci(fmt_change(r.percent_change))
    value = esc(fmt_kpi(r.kpi, r.scenario_mean))
    return [f"<td>{esc(r.scenario)}</td>", f"<td class=\"num\">{value}</td>",
            f"<td class=\"num\">{diff}</td>", f"<td class=\"num\">{pct}</td>"]


def paired_table(paired: pd.DataFrame, n: int | None) -> str:
    """Every KPI of every scenario against the base: difference and % change, each with its
    interval (:mod:`sim.stats`); one block of rows per KPI, in the order of the definitions."""
    rank = {k: i for i, k in enumerate(KPIS)}
    recorded = {"percent_low", "percent_high"} <= set(paired.columns)
    base = str(paired["base"].iloc[0])
    body = []
    for kpi in sorted(dict.fromkeys(paired["kpi"]), key=lambda k: rank.get(k, len(rank))):
        rows = list(paired[paired["kpi"] == kpi].itertuples(index=False))
        span = f" rowspan=\"{len(rows)}\"" if len(rows) > 1 else ""
        for k, r in enumerate(rows):
            lead = (f"<td{span}>{kpi_cell(kpi)}</td><td class=\"num\"{span}>"
                    f"{esc(fmt_kpi(kpi, r.base_mean))}</td>") if k == 0 else ""
            body.append("<tr>" + lead + "".join(_paired_cells(r, n, recorded)) + "</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in ("KPI", base, "Scenario", "Value",
                                                    "Difference", "% change"))
    payers = ", ".join(label(k) for k in CASH_BY_PAYER.values())
    return (f"<h3>Paired differences against {esc(base)} (scenario − base; 95% interval "
            "beneath)</h3>" + too_few_note(n)
            + f"<div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead><tbody>"
            + "".join(body) + "</tbody></table></div>"
            + f"<p class=\"note\">Cash by payer ({esc(payers)}): one payer paying less while "
              "another pays more is money moving between payers, not a saving; the change in "
              "what is spent is the change in cash paid by all payers.</p>")


def shifting_table(folder: Folder) -> str:
    out = []
    for run in folder.runs:
        table = run.table("shifting")
        if table is None or table.empty:
            continue
        n = run.replications or max(table["replication"].nunique(), 1)
        years = float(run.section("run.years", 0) or 0)
        per = n * years if years > 0 else n      # per year of the reporting window
        unit = "a year" if years > 0 else "per replication over the reporting window"
        g = (table.groupby(["reason", "caused_by", "bed_payer"], as_index=False)
             [["delayed_bed_days", "value_gbp"]].sum())
        g = g[g["delayed_bed_days"] > 0].sort_values("value_gbp", ascending=False)
        rows = [[r.reason.replace("_", " "), PAYER_LABELS.get(r.caused_by, r.caused_by),
                 PAYER_LABELS.get(r.bed_payer, r.bed_payer), f"{r.delayed_bed_days / per:,.0f}",
                 fmt_gbp(r.value_gbp / per), "yes" if is_shifted(r.caused_by, r.bed_payer)
                 else "no"] for r in g.itertuples()]
        moved = [is_shifted(c, b) for c, b in zip(g["caused_by"], g["bed_payer"])]
        shifted = g.loc[moved, "value_gbp"].sum() / per
        total = g["value_gbp"].sum() / per
        share = f" ({100 * shifted / total:.0f}%)" if total else ""
        out.append(f"<h3>{esc(run.name)}</h3>" + html_table(
            ["Delay reason", "Caused by", "Bed paid by", f"Delayed bed days {unit}",
             f"Value {unit}", "Shifted"], rows, numeric={3, 4})
            + f"<p>Shifted to another body: {esc(fmt_gbp(shifted))} of {esc(fmt_gbp(total))}"
              f"{share} {unit} (mean over {n} replications).</p>")
    if not out:
        return "<p class=\"note\">No cost-shifting account in this folder.</p>"
    return "".join(out)


def _delay_rows(name: str, table: pd.DataFrame, per: float, first: bool) -> list[list]:
    """One report row per pathway of one scenario (its name only on the first row)."""
    rows = []
    for k, r in enumerate(table.itertuples()):
        cause = (f"{cause_label(r.main_cause)} ({100 * r.main_cause_share:.0f}%)"
                 if r.main_cause else "nobody waited")
        cells = [r.group, f"{r.discharges / per:,.0f}", f"{100 * r.delayed_share:.1f}%",
                 f"{r.mean_delay_days:.1f}", "none delayed" if np.isnan(
                     r.mean_delay_delayed_days) else f"{r.mean_delay_delayed_days:.1f}",
                 f"{r.p95_delay_days:.1f}", cause]
        rows.append(([name if k == 0 else ""] if first else []) + cells)
    return rows


def delay_table(folder: Folder) -> str:
    """Delay from medically fit to leaving by discharge pathway, per scenario
    (:func:`sim.plots.delays.delay_by_pathway`, from discharges.parquet)."""
    if not folder.runs:
        return ""
    several = len(folder.runs) > 1
    rows, missing, units = [], [], set()
    for run in folder.runs:
        discharges = run.table("discharges")
        if discharges is None or discharges.empty:
            missing.append(run.name)
            continue
        n = run.replications or max(discharges["replication"].nunique(), 1)
        years = float(run.section("run.years", 0) or 0)
        units.add("a year" if years > 0 else "per replication")
        rows += _delay_rows(run.name, delay_by_pathway(discharges), n * years if years > 0
                            else n, several)
    out = "<h3>Delay from medically fit to leaving hospital, by discharge pathway</h3>"
    if rows:
        unit = units.pop() if len(units) == 1 else "a year or per replication"
        header = [*(["Scenario"] if several else []), "Pathway", f"Discharges {unit}",
                  f"Delayed {DELAYED_DAYS:g} day or more", "Mean delay (days)",
                  "Mean delay of the delayed (days)", "95th percentile (days)",
                  "Main cause (share of delay days)"]
        first = 2 if several else 1
        out += (html_table(header, rows, numeric=set(range(first, first + 5)))
                + "<p>Live discharges from an acute bed in the reporting window, pooled over "
                  "replications; the delay is the time from medically fit to leaving. The "
                  "curves are in the figure <a href=\"#fig-delay_survival\">delay_survival"
                  "</a>. Pathway 0 includes returns to a care home and held home-care "
                  "packages resumed.</p>")
    if missing:
        out += (f"<p class=\"note\">Not shown for {esc(', '.join(missing))}: "
                "discharges.parquet is not in the results folder (written by every run since "
                "caresim 0.2).</p>")
    return out


def _flatten(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def configs_section(folder: Folder) -> str:
    out = []
    configs = folder.configs()
    if len(configs) > 1:
        flat = {n: dict(_flatten(c)) for n, c in configs.items()}
        keys = list(dict.fromkeys(k for f in flat.values() for k in f))
        rows = [[dotted(k), *(dotted(json.dumps(flat[n].get(k))) for n in flat)] for k in keys
                if len({json.dumps(f.get(k)) for f in flat.values()}) > 1]
        out.append("<h3>What differs between scenarios</h3>"
                   + (html_table(["Parameter", *flat], rows) if rows else "<p>Nothing.</p>"))
    for name, c in configs.items():
        out.append(f"<details><summary>Resolved config: {esc(name)}</summary><pre>"
                   f"{esc(json.dumps(c, indent=2, default=str))}</pre></details>")
    if folder.sweep is not None and folder.sweep.manifest:
        rest = {k: v for k, v in folder.sweep.manifest.items() if k not in ("configs", "runs")}
        out.append("<details><summary>Sweep manifest (experiment, versions, backend)</summary>"
                   f"<pre>{esc(json.dumps(rest, indent=2, default=str))}</pre></details>")
    return "".join(out) or "<p>No configs were recorded.</p>"


def stress_section(folder: Folder) -> str:
    out = [("<p>Strengthening the Reporting of Empirical Simulation Studies (STRESS-DES, "
           "Monks et al. 2019), generated from the configs, manifests and code of this run."
           "</p>")]
    for number, heading, items in stress_des(folder):
        out.append(f"<h3>{esc(number)}. {esc(heading)}</h3>"
                   + html_table(["Item", "Reported"], [[i, text] for i, text in items]))
    configs = folder.configs()
    params = parameter_rows(next(iter(configs.values()), {}))
    if params:
        rows = [[dotted(d), dotted(v), dotted(default), "changed" if v != default else "",
                 desc] for d, v, default, desc in params]
        out.append("<details><summary>Input parameters (value used, schema default, source)"
                   "</summary>" + html_table(["Parameter", "Value", "Default", "", ("Description "
                                          "and source")], rows) + "</details>")
    return "".join(out)


def findings_section(folder: Folder) -> str:
    """The lead findings under short headings; a note first when intervals are not shown."""
    parts = [too_few_note(replications(folder))]
    for heading, sentences in findings(folder):
        parts.append((f"<h3>{esc(heading)}</h3>" if heading else "")
                     + "<ul class=\"findings\">"
                     + "".join(f"<li>{esc(s)}</li>" for s in sentences) + "</ul>")
    return "".join(parts)


