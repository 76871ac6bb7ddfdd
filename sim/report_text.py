"""Words for the report: KPI formatting, key-finding sentences and the STRESS-DES appendix.

Every sentence is generated from the numbers in the results folder; nothing is hand-written
per run. STRESS-DES follows Monks et al. (2019), "Strengthening the reporting of empirical
simulation studies", J. Simulation 13(1): 55-67.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .plots.data import Folder, RunData, get
from .plots.style import PAYER_LABELS, fmt_gbp, kpi_label
from .results import KPI_DESCRIPTIONS

SHARE_KPIS = {"delayed_bed_share", "readmission_30d_share", "acute_occupancy_share"}
PHRASES = {
    "delayed_bed_days": "delayed bed days per year",
    "mean_delay_days": "the mean delay from medically fit to leaving hospital",
    "emergency_admissions": "emergency admissions per year",
    "total_cost_gbp": "cash paid per year by all payers",
    "cost_nhs_gbp": "NHS cash spend per year",
    "cost_la_gbp": "local-authority cash spend per year",
    "cost_pool_gbp": "pooled-fund cash spend per year",
    "cost_self_gbp": "self-funders' spend per year",
    "shifted_cost_gbp": "the yearly value of delays caused by a body that does not pay for the bed",
    "care_home_admissions": "permanent care-home admissions per year",
    "home_care_waiting_mean": "the number waiting at home for home care",
    "mean_boarding_wait_hours": "the mean wait for an acute bed",
    "deaths": "deaths per year",
    "acute_bed_days": "acute bed days per year",
    "resource_cost_gbp": "resource use per year at unit costs",
}
HEADLINE = ("delayed_bed_days", "mean_delay_days", "emergency_admissions", "total_cost_gbp",
            "cost_nhs_gbp", "cost_la_gbp", "cost_pool_gbp", "shifted_cost_gbp",
            "care_home_admissions", "home_care_waiting_mean", "mean_boarding_wait_hours")


def fmt_kpi(kpi: str, value: float) -> str:
    """A KPI value in its natural unit."""
    if value is None or not np.isfinite(value):
        return "n/a"
    if kpi in SHARE_KPIS:
        return f"{100 * value:.1f}%"
    if kpi.endswith("_gbp"):
        return fmt_gbp(value)
    if kpi.endswith("_hours"):
        return f"{value:,.1f} h"
    if kpi.endswith("_days") and kpi.startswith("mean"):
        return f"{value:,.1f} days"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def fmt_diff(kpi: str, value: float) -> str:
    """A difference in a KPI's unit, signed; shares differ in percentage points."""
    if kpi in SHARE_KPIS and value is not None and np.isfinite(value):
        return f"{100 * value:+.1f} pp"
    text = fmt_kpi(kpi, value)
    return text if text.startswith("-") or text == "n/a" or value == 0 else f"+{text}"


def fmt_interval(kpi: str, mean: float, lo: float, hi: float) -> str:
    return f"{fmt_kpi(kpi, mean)} (95% CI {fmt_kpi(kpi, lo)} to {fmt_kpi(kpi, hi)})"


def _pct(value: float) -> str:
    return f"{value:,.0f}%" if abs(value) >= 10 else f"{value:,.1f}%"


def paired_sentence(row) -> str:
    """One sentence for one KPI of one scenario versus the base."""
    kpi, name, base = row.kpi, str(row.scenario), str(row.base)
    phrase = PHRASES.get(kpi, kpi_label(kpi).lower())
    subject = name[:1].upper() + name[1:]
    values = f"{fmt_kpi(kpi, row.base_mean)} → {fmt_kpi(kpi, row.scenario_mean)}"
    clear = not (row.ci_low <= 0 <= row.ci_high)
    if row.difference == 0 and row.ci_low == row.ci_high:
        return f"{subject} left {phrase} unchanged versus {base} ({fmt_kpi(kpi, row.base_mean)})."
    if row.base_mean:
        pct, lo, hi = (100 * x / row.base_mean for x in (row.difference, row.ci_low,
                                                         row.ci_high))
        if row.base_mean < 0:
            lo, hi = hi, lo
        if clear:
            verb = "reduced" if pct < 0 else "increased"
            a, b = sorted((abs(lo), abs(hi)))
            return (f"{subject} {verb} {phrase} by {_pct(abs(pct))} (95% CI {_pct(a)} to "
                    f"{_pct(b)}) versus {base} ({values}).")
        return (f"{subject} made no clear difference to {phrase} versus {base}: {pct:+.1f}% "
                f"(95% CI {lo:+.1f}% to {hi:+.1f}%; {values}).")
    diff = fmt_interval(kpi, abs(row.difference), *sorted((abs(row.ci_low), abs(row.ci_high))))
    verb = "raised" if row.difference > 0 else "lowered"
    if not clear:
        return (f"{subject} made no clear difference to {phrase} versus {base}, where it was "
                f"zero ({values}).")
    return f"{subject} {verb} {phrase} by {diff} versus {base}, where it was zero."


def compare_findings(paired: pd.DataFrame, replications: int | None) -> list[str]:
    out = []
    for _, rows in paired.groupby("scenario", sort=False):
        by_kpi = {r.kpi: r for r in rows.itertuples(index=False)}
        out += [paired_sentence(by_kpi[k]) for k in HEADLINE if k in by_kpi]
    if replications:
        note = (f"Differences are paired across {replications} replications run with common "
                "random numbers; intervals are 95% t-intervals of the paired differences.")
        if replications < 10:
            note += (f" With only {replications} replications the intervals are wide and "
                     "unreliable: use 10 or more for decisions.")
        out.append(note)
    return out


def run_findings(run: RunData) -> list[str]:
    """Sentences from one scenario's KPI summary and budgets."""
    s = run.kpi_summary().set_index("kpi")
    out = []

    def has(*kpis):
        return all(k in s.index for k in kpis)

    def iv(kpi):
        r = s.loc[kpi]
        return fmt_interval(kpi, r["mean"], r["ci_low"], r["ci_high"])

    who = run.name
    if has("emergency_admissions"):
        out.append(f"In {who}, there were {iv('emergency_admissions')} emergency admissions "
                   "per year.")
    if has("delayed_bed_days", "delayed_bed_share"):
        out.append(f"People who were medically fit but still in hospital used "
                   f"{iv('delayed_bed_days')} acute bed days per year, "
                   f"{fmt_kpi('delayed_bed_share', s.loc['delayed_bed_share', 'mean'])} of all "
                   "acute bed days.")
    if has("mean_acute_occupancy"):
        beds = run.section("acute.beds")
        share = f" ({100 * s.loc['mean_acute_occupancy', 'mean'] / beds:.0f}% of {beds} funded " \
                "beds)" if beds else ""
        out.append(f"On average {s.loc['mean_acute_occupancy', 'mean']:,.1f} acute beds were "
                   f"occupied{share}.")
    if has("total_cost_gbp"):
        parts = [f"{PAYER_LABELS[p]} {fmt_gbp(s.loc[f'cost_{p}_gbp', 'mean'])}"
                 for p in ("nhs", "la", "pool", "provider", "self")
                 if f"cost_{p}_gbp" in s.index and s.loc[f"cost_{p}_gbp", "mean"] > 0]
        out.append(f"Cash paid per year was {iv('total_cost_gbp')}: " + ", ".join(parts) + ".")
    if has("shifted_cost_gbp"):
        out.append(f"Delays caused by a body other than the one paying for the bed were worth "
                   f"{iv('shifted_cost_gbp')} per year (cost shifting).")
    if has("home_care_waiting_mean"):
        out.append(f"On an average day {s.loc['home_care_waiting_mean', 'mean']:,.1f} people "
                   "were waiting at home for home care.")
    out += lever_findings(s, iv)
    out += budget_findings(run)
    return out


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
            out.append(f"One at a time, {top['parameter']} moved {kpi_label(kpi).lower()} most: "
                       f"from {fmt_kpi(kpi, top['kpi_at_low'])} at its low value to "
                       f"{fmt_kpi(kpi, top['kpi_at_high'])} at its high value (base "
                       f"{fmt_kpi(kpi, top['base_kpi'])}).")
    sobol = sweep.records("sobol")
    if sobol is not None and len(sobol):
        for kpi, rows in sobol.groupby("kpi", sort=False):
            top = rows.loc[rows["ST"].idxmax()]
            conf = f" ± {abs(top['ST_conf']):.2f}" if "ST_conf" in top else ""
            out.append(f"{top['parameter']} accounts for the largest share of the variance of "
                       f"{kpi_label(kpi).lower()}: total-order Sobol index {top['ST']:.2f}{conf}"
                       f" (first order {top['S1']:.2f}).")
    morris = sweep.records("morris")
    if morris is not None and len(morris):
        for kpi, rows in morris.groupby("kpi", sort=False):
            top = rows.loc[rows["mu_star"].idxmax()]
            out.append(f"Morris screening ranks {top['parameter']} first for "
                       f"{kpi_label(kpi).lower()} (μ* {top['mu_star']:,.3g}, σ "
                       f"{top['sigma']:,.3g}).")
    if sweep.kpis is not None and len(sweep.kpis):
        points = sweep.kpis["point"].nunique()
        reps = sweep.kpis.groupby("point")["replication"].nunique().max()
        out.insert(0, f"The sweep ran {points} design points with up to {reps} replications "
                      "each.")
    return out


def findings(folder: Folder) -> list[str]:
    """Key findings as sentences, for any kind of folder."""
    out = []
    if folder.kind == "sweep":
        out += sweep_findings(folder)
    if folder.paired is not None and len(folder.paired):
        out += compare_findings(folder.paired, replications(folder))
    elif folder.kind == "run":
        out += run_findings(folder.runs[0])
    if folder.kind == "compare" and folder.paired is None:
        for run in folder.runs:
            out += run_findings(run)
    return out or ["No KPI results were found in this folder."]


def kpi_description(kpi: str) -> str:
    return KPI_DESCRIPTIONS.get(kpi, "")


def _doc(module_name: str, paragraphs: int = 2) -> str:
    """First paragraphs of a caresim module's docstring (the code documents itself)."""
    import importlib
    try:
        doc = importlib.import_module(f"sim.{module_name}").__doc__ or ""
    except (ImportError, SyntaxError):  # a broken module must not break a report
        return ""
    parts = [" ".join(p.split()).replace("``", "") for p in doc.strip().split("\n\n")
             if p.strip()]
    return " ".join(parts[:paragraphs])


def _join(values) -> str:
    values = [str(v) for v in values if v not in (None, "", [])]
    return ", ".join(values) if values else "none"


def parameter_rows(config: dict) -> list[tuple[str, str, str, str]]:
    """(dotted name, value used, schema default, description) for every config leaf."""
    try:
        from .config import leaf_fields
        fields = leaf_fields()
    except (ImportError, AttributeError, TypeError):
        return []
    rows = []
    for dotted, info in fields:
        node = config
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        default = info.default if info.default is not None else ""
        if callable(getattr(info, "default_factory", None)):
            default = "(section)"
        rows.append((dotted, str(node), str(default), info.description or ""))
    return rows


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


def stress_des(folder: Folder) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """STRESS-DES checklist (Monks et al. 2019) filled from configs, manifests and code."""
    configs = folder.configs()
    names = list(configs)
    cfg = configs[names[0]] if names else {}
    man = folder.runs[0].manifest if folder.runs else (folder.sweep.manifest if folder.sweep
                                                       else {})

    def sec(dotted, default="not recorded"):
        value = get(cfg, dotted, default)
        return f"{value:,g}" if isinstance(value, float) else value

    reps = replications(folder)
    if folder.kind == "run":
        aims = f"Estimate the KPIs of scenario '{names[0]}' with 95% intervals."
    elif folder.kind == "compare":
        aims = (f"Compare {_join(names[1:])} against the base '{folder.base}' with common "
                "random numbers; report paired differences with 95% intervals.")
    else:
        params = folder.sweep.parameters
        methods = [m for m in ("oat", "sobol", "morris") if folder.sweep.analysis.get(m)]
        aims = (f"Sensitivity of the KPIs to {_join(params)} "
                f"({_join(methods) if methods else 'design points'}).")
    descriptions = "; ".join(
        f"{n}: {(c.get('description') or 'no description').rstrip('.')}"
        for n, c in configs.items())
    scenario_logic = []
    for n, c in configs.items():
        scenario_logic.append(
            f"{n}: arrangement {get(c, 'funding.arrangement', '?')}; pooled services "
            f"{_join(get(c, 'funding.pool.scope', []))}; joint assessment and decision for "
            f"{_join(get(c, 'funding.joint_scope', []))}; rationing "
            f"{get(c, 'budgets.rationing.mode', '?')}.")
    outputs = _join(k for k in KPI_DESCRIPTIONS)
    params = parameter_rows(cfg)
    expert = sum("[e]" in d for *_, d in params)
    packages = man.get("packages") or {}
    return [
        ("1", "Objectives", [
            ("1.1 Purpose of the model", ("Explore how health and social care flows for people "
             "aged 65+ (community, acute and residential settings), the delays between them "
             "and who pays for them change under fragmented or pooled NHS and local-authority "
             f"funding. Scenarios: {descriptions or 'see sweep design'}.")),
            ("1.2 Model outputs", (f"Daily time-weighted occupancy of every setting and queue; "
             f"monthly cash and resource use by service and payer; budgets; the cost-shifting "
             f"account; KPIs: {outputs}.")),
            ("1.3 Experimentation aims", aims)]),
        ("2", "Logic", [
            ("2.1 Base model overview", ("Home (with or without home care) → crisis → urgent "
             "community response (admission avoided) or ED → wait for a bed (boarding) → acute "
             "treatment → medically fit → discharge process (assessment, funding decision, "
             "service capacity; each step may delay) → pathway 0 home, 1 reablement or home "
             "care, 2 intermediate-care bed, 3 residential or nursing home; death possible in "
             "every setting; new people enter at the minimum age.")),
            ("2.2 Base model logic", _doc("model")),
            ("2.3 Scenario logic", " ".join(scenario_logic) or "see the sweep design"),
            ("2.4 Algorithms", _doc("pathways") + f" Treatment length of stay: "
             f"{sec('acute.los_distribution')} with mean {sec('acute.los_mean_days')} days."),
            ("2.5 Components", (f"Entities: people aged {sec('population.min_age')}+ "
             f"({sec('population.size')} at the start, {sec('population.entrants_per_year')} "
             f"entrants a year). Resources: {sec('acute.beds')} acute beds + "
             f"{sec('acute.escalation_beds')} escalation beds, {sec('intermediate_care.beds')} "
             f"intermediate-care beds, {sec('reablement.places')} reablement places, "
             f"{sec('home_care.capacity_hours_per_week')} home-care hours a week, "
             f"{sec('care_homes.beds')} care-home beds, {sec('assessment.la_social_workers')} "
             f"LA social workers and {sec('assessment.nhs_assessors')} NHS assessors. Queues: "
             "acute and escalation beds, intermediate-care beds, reablement, home-care hours, "
             "care-home beds, assessments and funding decisions. Exit: death."))]),
        ("3", "Data", [
            ("3.1 Data sources", ("Each parameter's source is cited in its schema description "
             "(sim/config.py, DOMAIN_PARAMETERS.md); the full table is below.")),
            ("3.2 Pre-processing", ("None at run time: parameters are read from TOML configs "
             "and validated against the schema (unknown keys and invalid splits rejected).")),
            ("3.3 Input parameters", (f"{len(params)} parameters; values used are listed in the "
             "parameter table and the resolved configs.")),
            ("3.4 Assumptions", (f"{expert} parameter descriptions are marked [e] (estimate "
             "where no published figure was found). Every person alive is in exactly one "
             "state at every instant; cash and resource use are separate views of one ledger."))]),
        ("4", "Experimentation", [
            ("4.1 Initialisation", (f"Warm-up of {sec('run.warmup_days')} days, excluded from "
             "every KPI (hospital and community services start empty; care homes start at "
             "prevalence).")),
            ("4.2 Run length", (f"{sec('run.years')} years reported after the warm-up, "
             f"starting {sec('run.start_date')}.")),
            ("4.3 Estimation approach", (f"{reps or 'An unrecorded number of'} "
             f"replications per scenario (master seed {man.get('seed', sec('run.seed'))}); "
             "KPI means with 95% t-intervals across replications; scenarios paired by "
             "replication with common random numbers."))]),
        ("5", "Implementation", [
            ("5.1 Software", f"caresim {packages.get('caresim', '?')} on Python "
             f"{man.get('python', '?')}; " + _join(f"{k} {v}" for k, v in packages.items()
                                                    if k != "caresim" and v)),
            ("5.2 Random sampling", _doc("rng", 4)),
            ("5.3 Model execution", ("Discrete-event simulation in SimPy with a next-reaction "
             f"scheme for community hazards. Run started {man.get('started', '?')}, finished "
             f"{man.get('finished', '?')}, wall time {man.get('wall_seconds', 0) or 0:,.0f} s.")),
            ("5.4 System specification", ("Recorded in the manifest: Python version and package "
             "versions above; hardware is not recorded."))]),
        ("6", "Code access", [
            ("Code version", (f"git commit {man.get('git_commit') or 'not recorded'}; results "
             f"folder {folder.path.name}."))]),
    ]
