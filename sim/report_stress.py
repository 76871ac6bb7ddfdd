"""The STRESS-DES appendix of the report, filled from the configs, manifests and code.

STRESS-DES is the checklist of Monks et al. (2019), "Strengthening the reporting of empirical
simulation studies", J. Simulation 13(1): 55-67. Every item is generated from the results
folder; nothing is hand-written per run.
"""

from __future__ import annotations

from .kpis import KPIS
from .plots.data import Folder, get
from .report_text import replications
from .stats import MIN_REPLICATIONS


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
    outputs = _join(KPIS)
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
             "service capacity and, for a care home, the family's choice of home; each step "
             "may delay) → pathway 0 home, 1 reablement or home "
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
             "scenarios paired by replication with common random numbers. 95% intervals "
             "(sim.stats): KPI means on a log scale (counts, money, time) or a logit scale "
             "(shares) so that they stay in range; paired differences by Student's t; "
             "% changes by Fieller's interval for a ratio of means. Intervals are not shown "
             f"with fewer than {MIN_REPLICATIONS} replications."))]),
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
