"""``caresim place build``: a place's figures as a validated config and calibration targets.

The config starts from the shipped default (:data:`~sim.config.DEFAULT_CONFIG`, today's
fragmented funding) grown or shrunk to the place's people aged 65+ by the one scaling rule
(:func:`sim.scaling.scaled`: people, entrants, every capacity, the assessment teams, budgets,
pool contributions), so that a figure the place does not give is the default place's figure
per person. Each figure ``place.toml`` gives then replaces its field (:func:`settings`); acute
beds for the 65+ are the place's general and acute beds times the 65+ share of bed days. A
non-empty pool scope (the Better Care Fund / Section 75 schedule) pools those services with
the schedule's contributions and risk share, as ``pooled_money_only`` does, and with
``joint_assessment`` also gives them one joint assessment and a coordinator's decision, as
``pooled`` does; a ``[snapshot]`` table of today's counts starts the run there (``[start]``,
:func:`snapshot_settings`); anything else (an integrated provider, neighbourhood teams) is
left to an edit of the written config. The config is written with a comment on every line
saying where its value came from, and read back to check it loads as exactly the config built.

The ``[observed]`` figures become ``targets.toml``: one ``[targets.KPI]`` table (``value``,
``sd``) per figure with a KPI of the same meaning in :data:`sim.kpis.KPIS`
(:data:`OBSERVED_KPIS` says how each maps); figures without one are listed, commented, with
the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic
from .config import (
    DEFAULT_CONFIG,
    ConfigError,
    load_config,
    toml_value,
    with_overrides,
)
from .config import config_text as write_config_text
from .place import PLACE_FILE, PlaceFile, place_folder, read_place
from .scaling import SCALED_FIELDS, scaled, value_at
from .schema import Scenario
from .schema_base import YEAR

TARGETS_FILE = "targets.toml"
#: The first words of every file ``place build`` writes: only such a file is replaced.
WRITTEN_BY = "# Written by `caresim place build"

#: Observed figure -> (KPI, multiplier, how it maps); a KPI of None: skipped, and why.
OBSERVED_KPIS: dict[str, tuple[str | None, float, str]] = {
    "emergency_admissions_65_plus": (
        "emergency_admissions", 1.0, "the model's people are the 65+, so its emergency "
        "admissions a year are the place's admissions of people aged 65+"),
    "acute_occupancy": (
        "acute_occupancy_share", 1.0, "G&A occupancy read as the occupancy of the beds the "
        "65+ use (acute.beds: G&A beds x the 65+ share of bed days)"),
    "delayed_patients_per_day": (
        "delayed_bed_days", YEAR, f"x {YEAR} days: a patient delayed every day of the year is "
        "365.25 delayed bed days a year"),
    "mean_delay_days": ("mean_delay_days", 1.0, "the same mean, over all discharges"),
    "mean_delay_of_delayed_days": (
        "mean_delay_delayed_days", 1.0, "the same mean, over discharges delayed a day or more"),
    "care_home_residents": (
        "care_home_residents_end", 1.0, "the model counts residents at the end of the run: "
        "compare with the place's count at the end of the observed year"),
    "home_care_clients": (
        "home_care_clients_end", 1.0, "the model counts clients at the end of the run: "
        "compare with the place's count at the end of the observed year"),
    "spend_nhs_gbp": (
        "cost_nhs_gbp", 1.0, "cash the NHS pays a year (under a pool, in-scope spend is the "
        "pool's: cost_pool_gbp)"),
    "spend_la_gbp": (
        "cost_la_gbp", 1.0, "cash the council pays a year (under a pool, in-scope spend is "
        "the pool's: cost_pool_gbp)"),
    "spend_chc_gbp": ("chc_cost_gbp", 1.0, "cash paid a year for NHS Continuing Healthcare"),
    **{f"mean_delay_pathway_{n}_days": (
        f"mean_delay_p{n}_days", 1.0, f"the same mean, over discharges on pathway {n}")
       for n in range(4)},
    "care_home_occupancy": (
        None, 0.0, "no care-home occupancy KPI (care_home_residents_end / care_homes.beds is "
        "the nearest)"),
    **{f"spend_{s}_gbp": (
        None, 0.0, "no KPI for one service's spend (package_cost_gbp sums home care, care "
        "homes, FNC and CHC)") for s in ("home_care", "care_homes")},
    **{f"spend_{s}_gbp": (None, 0.0, "no KPI for one service's spend")
       for s in ("reablement", "intermediate_care")},
}

#: place.toml figure -> the config field it sets unchanged.
DIRECT = {
    "population.turning_65_per_year": "population.entrants_per_year",
    "population.self_funder_care_home_share": "population.self_funder_care_home_share",
    "population.self_funder_home_care_share": "population.self_funder_home_care_share",
    "intermediate_care.beds": "intermediate_care.beds",
    "intermediate_care.reablement_places": "reablement.places",
    "intermediate_care.urgent_response_slots": "avoidance.urgent_response_slots",
    "home_care.hours_per_week": "home_care.capacity_hours_per_week",
    "care_homes.beds": "care_homes.beds",
    "assessment.nhs_assessors": "assessment.nhs_assessors",
    "assessment.la_social_workers": "assessment.la_social_workers",
    "budgets.nhs_gbp_per_year": "budgets.nhs_gbp_per_year",
    "budgets.la_gbp_per_year": "budgets.la_gbp_per_year",
    "budgets.nhs_yearly_change": "budgets.nhs_yearly_change",
    "budgets.la_yearly_change": "budgets.la_yearly_change",
}


@dataclass
class Built:
    """What ``place build`` wrote: the config and targets files, the config, their counts."""

    config_path: Path
    targets_path: Path
    config: Scenario
    factor: float          # the place's 65+ over the default place's
    from_place: int        # config fields set from the place's own figures
    targets: int           # observed figures written as targets
    skipped: int           # observed figures with no KPI


def settings(place: PlaceFile) -> dict[str, tuple[Any, str]]:
    """Config fields the place's own figures set: dotted path -> (value, figures used)."""
    p = place.population
    out: dict[str, tuple[Any, str]] = {"population.size": (p.aged_65_plus,
                                                           "population.aged_65_plus")}
    for figure, path in DIRECT.items():
        value = value_at(place, figure)
        if value is not None:
            out[path] = (value, figure)
    counts = [p.aged_65_74, p.aged_75_84, p.aged_85_plus]
    if None not in counts:
        shares = [round(c / sum(counts), 6) for c in counts[:2]]
        out["population.band_shares"] = ([*shares, round(1 - sum(shares), 6)],
                                         "population.aged_65_74/75_84/85_plus over their sum")
        alone = [p.living_alone_65_74, p.living_alone_75_84, p.living_alone_85_plus]
        if any(a is not None for a in alone):
            default = Scenario().population.lives_alone_by_band
            out["population.lives_alone_by_band"] = (
                [default[i] if a is None else round(a / c, 6) if c else 0.0
                 for i, (a, c) in enumerate(zip(alone, counts))],
                "population.living_alone_* over the age bands")
    a = place.acute
    if a.general_acute_beds is not None:
        out["acute.beds"] = (max(1, round(a.general_acute_beds * a.share_of_bed_days_65_plus)),
                             "acute.general_acute_beds x share_of_bed_days_65_plus")
    if a.escalation_beds is not None:
        out["acute.escalation_beds"] = (round(a.escalation_beds * a.share_of_bed_days_65_plus),
                                        "acute.escalation_beds x share_of_bed_days_65_plus")
    out.update(snapshot_settings(place))
    pool = place.pool
    if pool.scope:
        source = "pool (Better Care Fund / Section 75 schedule)"
        out["funding.arrangement"] = ("pooled" if pool.joint_assessment
                                      else "pooled_money_only", source)
        out["funding.joint_scope"] = (list(pool.scope) if pool.joint_assessment else [],
                                      "pool.joint_assessment")
        for key in ("scope", "nhs_contribution_gbp_per_year", "la_contribution_gbp_per_year",
                    "risk_share", "nhs_fixed_share", "host"):
            out[f"funding.pool.{key}"] = (getattr(pool, key), f"pool.{key}")
    return out


#: ``[snapshot]`` figure -> the ``[start]`` count it sets unchanged.
SNAPSHOT_DIRECT = {
    "delayed_awaiting_home_care": "acute_delayed_home_care",
    "delayed_awaiting_reablement": "acute_delayed_reablement",
    "delayed_awaiting_intermediate_care": "acute_delayed_intermediate_care",
    "delayed_awaiting_care_home": "acute_delayed_care_home",
    "intermediate_care_occupied_beds": "intermediate_care",
    "reablement_clients": "reablement",
    "home_care_clients": "home_care",
    "residential_residents": "residential",
    "nursing_residents": "nursing",
    "waiting_for_home_care": "waiting_home_care",
    "waiting_for_care_home": "waiting_care_home",
}


def snapshot_settings(place: PlaceFile) -> dict[str, tuple[Any, str]]:
    """``[start]`` from today's counts (none without a ``[snapshot]`` table): the 65+ in
    acute beds are the occupied G&A beds times the 65+ share of bed days; those under
    treatment are the rest once the delayed are taken out."""
    snap = place.snapshot
    if snap is None:
        return {}
    out: dict[str, tuple[Any, str]] = {"start.mode": ("snapshot", "[snapshot] given")}
    for figure, count in SNAPSHOT_DIRECT.items():
        out[f"start.{count}"] = (getattr(snap, figure), f"snapshot.{figure}")
    if snap.acute_occupied_beds is not None:
        in_beds = round(snap.acute_occupied_beds * place.acute.share_of_bed_days_65_plus)
        delayed = sum(getattr(snap, f) for f in SNAPSHOT_DIRECT if f.startswith("delayed_"))
        out["start.acute_treatment"] = (
            in_beds - delayed, "snapshot.acute_occupied_beds x acute.share_of_bed_days_65_plus "
            "less snapshot.delayed_awaiting_*")
    return out


def place_config(place: PlaceFile) -> tuple[Scenario, float, dict[str, str]]:
    """The place's config, its size relative to the default place, and each field's origin."""
    base = load_config(DEFAULT_CONFIG)
    factor = place.population.aged_65_plus / base.population.size
    chosen = settings(place)
    changes = {path: value for path, (value, _) in chosen.items()}
    changes["name"] = place.name
    pooled = f"; pool of {', '.join(place.pool.scope)}" if place.pool.scope else ""
    changes["description"] = (f"{place.name}: built by caresim place build from its "
                              f"{PLACE_FILE}: the {DEFAULT_CONFIG} default at the place's size "
                              f"with its figures{pooled}")
    try:
        config = with_overrides(scaled(base, factor), changes)
    except ConfigError as err:
        raise ConfigError([f"place build {place.name}: {line}" for line in err.lines]) from None
    origins = {path: f"{PLACE_FILE}: {figures}" for path, (_, figures) in chosen.items()}
    scaled_note = (f"the default place x {factor:.6g} (sim.scaling)" if factor != 1
                   else "the default place")
    for path in SCALED_FIELDS:
        if not path.startswith("start."):   # counts come only from the place's [snapshot]
            origins.setdefault(path, scaled_note)
    return config, factor, origins


def config_text(config: Scenario, origins: dict[str, str], source: str) -> str:
    """The config as TOML: every field that differs from the schema or that a place sets,
    each with its origin; checked to load back as exactly ``config``."""
    header = [f"{WRITTEN_BY.removeprefix('# ')} {config.name}` from {source}: the "
              f"{DEFAULT_CONFIG} default (configs/{DEFAULT_CONFIG}.toml) at the place's size, "
              "with its figures.",
              "Each line says where its value came from; a field not listed is the schema "
              "default (`caresim validate --schema`).",
              "Rebuilding replaces this file: edit place.toml, or copy this file before "
              "editing it."]
    return write_config_text(config, header, origins, f"configs/{DEFAULT_CONFIG}.toml",
                             label=source)


def targets_text(place: PlaceFile, source: str) -> tuple[str, int, int]:
    """``targets.toml``: the observed figures as KPI targets; also the counts written and
    skipped."""
    lines = [f"{WRITTEN_BY} {place.name}` from the [observed] figures of {source}.",
             "# Calibration targets: one [targets.KPI] table per observed figure with a KPI of "
             "the same meaning",
             "# (KPI names: sim/kpis.py, the README's KPI table); value and sd in the KPI's "
             "unit. The comment above",
             "# each table says which figure it came from and how."]
    skipped = []
    for name, seen in place.observed.items():
        kpi, factor, how = OBSERVED_KPIS[name]
        if kpi is None:
            skipped.append(f"#   observed.{name} = {_figure(seen.value)} (sd {_figure(seen.sd)})"
                           f": {how}")
            continue
        lines += ["", f"# observed.{name} = {_figure(seen.value)} (sd {_figure(seen.sd)}): {how}",
                  f"[targets.{kpi}]", f"value = {toml_value(float(seen.value * factor))}",
                  f"sd = {toml_value(float(seen.sd * factor))}"]
    if skipped:
        lines += ["", "# Observed figures skipped (no KPI of the same meaning):", *skipped]
    return "\n".join(lines) + "\n", len(place.observed) - len(skipped), len(skipped)


def _figure(x: float) -> str:
    """A figure as a reader writes it: 68,000,000, 13,800, 0.88."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:g}"


def _check_ours(path: Path, label: str) -> None:
    """Refuse to replace a file ``place build`` did not write (or a folder)."""
    if path.is_dir():
        raise ConfigError([f"{label} {path}: is a folder, expected a .toml file"])
    if path.exists():
        with open(path, encoding="utf-8", errors="replace") as fh:
            if not fh.readline().startswith(WRITTEN_BY):
                raise ConfigError([(f"{label} {path}: exists and caresim place build did not "
                                    "write it; move it or choose another --out")])


def build_place(name: str, folder: str | Path | None = None,
                out: str | Path | None = None) -> Built:
    """Read ``places/NAME/place.toml`` (or ``folder``), write the config (``out``, default
    ``FOLDER/NAME.toml``) and ``FOLDER/targets.toml``; refuse contradictions (ConfigError)."""
    folder = place_folder(name, folder)
    place = read_place(folder)
    source = str(folder / PLACE_FILE)
    config, factor, origins = place_config(place)
    config_path = Path(out) if out else folder / f"{place.name}.toml"
    targets_path = folder / TARGETS_FILE
    _check_ours(config_path, "place build --out" if out else "place build:")
    _check_ours(targets_path, "place build:")
    text = config_text(config, origins, source)
    targets, written, skipped = targets_text(place, source)
    try:
        atomic.write_text(config_path, text)
        atomic.write_text(targets_path, targets)
    except OSError as err:
        raise ConfigError([f"place build: cannot write {err.filename}: {err.strerror}"]) from None
    return Built(config_path, targets_path, config, factor,
                 sum(o.startswith(PLACE_FILE) for o in origins.values()), written, skipped)
