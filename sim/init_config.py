"""``caresim init``: start a config of one's own from a shipped arrangement.

A new user's first config should not be typed from the schema. :func:`config_text` copies a
shipped arrangement's own lines (its comments, its tables) and adds, commented out under each
table, every field a place usually replaces with its own figures (:data:`PLACE_FIELDS`:
population, demand, capacities, teams, budgets, process times, local prices), each with its
description, unit and shipped default. Nothing uncommented means the arrangement unchanged;
uncommenting a line changes that field. :func:`write_config` writes it without ever replacing a
file unless asked to.
"""

from __future__ import annotations

import re
import textwrap
import tomllib
from pathlib import Path
from typing import Any

from . import atomic
from .config import (
    DEFAULT_CONFIG,
    ConfigError,
    leaf_fields,
    shipped_config_names,
    shipped_config_path,
    toml_value,
)

#: Fields a place usually sets from its own data, with the unit each is written in.
PLACE_FIELDS: dict[str, str] = {
    "population.size": "people aged 65+ at the start",
    "population.band_shares": "shares aged 65-74, 75-84, 85+ (sum to 1)",
    "population.frailty_split_by_band": "shares fit, mild, moderate, severe in each age band "
                                        "(each row sums to 1)",
    "population.lives_alone_by_band": "share of each age band, 0-1",
    "population.entrants_per_year": "people a year",
    "population.self_funder_care_home_share": "share of people, 0-1",
    "population.self_funder_home_care_share": "share of people, 0-1",
    "crisis.rate_per_person_year": "crises per person a year",
    "mortality.band_rate_per_1000": "deaths per 1,000 a year in each age band",
    "avoidance.urgent_response_slots": "concurrent episodes",
    "acute.beds": "beds",
    "acute.escalation_beds": "beds",
    "acute.los_mean_days": "days",
    "acute.discharge_preparation_hours": "hours",
    "acute.discharge_hours": "hours of the day, [start, end]",
    "reablement.places": "concurrent places",
    "reablement.duration_mean_days": "days",
    "reablement.episode_cost_gbp": "£ an episode",
    "intermediate_care.beds": "beds",
    "intermediate_care.los_mean_days": "days",
    "intermediate_care.bed_day_cost_gbp": "£ a bed day",
    "home_care.capacity_hours_per_week": "hours a week",
    "home_care.hours_per_week_mean": "hours a week per package",
    "home_care.hold_package_days": "days",
    "home_care.hour_cost_gbp": "£ an hour",
    "care_homes.beds": "beds",
    "care_homes.residential_week_gbp": "£ a week",
    "care_homes.nursing_week_gbp": "£ a week",
    "chc.full_assessment_days": "days",
    "chc.dispute_probability": "probability, 0-1",
    "chc.dispute_resolution_days": "days",
    "chc.week_gbp": "£ a week",
    "assessment.nhs_assessors": "assessors (FTE)",
    "assessment.la_social_workers": "social workers (FTE)",
    "assessment.assessment_days": "working days per assessment",
    "assessment.separate_assessments": "assessments, 1-5",
    "assessment.joint_assessment_days": "working days",
    "decision.panel_weekdays": "weekdays, \"Mon\" to \"Sun\"",
    "decision.coordinator_hours": "hours",
    "budgets.nhs_gbp_per_year": "£ a year",
    "budgets.la_gbp_per_year": "£ a year",
    "budgets.nhs_yearly_change": "change a year (0.02 = +2%)",
    "budgets.la_yearly_change": "change a year (-0.05 = -5%)",
    "budgets.headroom_share": "share of the budget (0.03 = 3%)",
    "costs.acute_bed_day_gbp": "£ a bed day",
}

HEADER = re.compile(r"^\s*\[\s*([A-Za-z_][\w.-]*)\s*\]\s*(#.*)?$")
KEY = re.compile(r"^\s*[\"']?[A-Za-z0-9_.-]+[\"']?\s*=")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
WIDTH = 96


def split_tables(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """A TOML text's lines before the first table, and each table's lines (header first).

    Comments and blank lines just above a header go with that header's table.
    """
    preamble: list[str] = []
    tables: dict[str, list[str]] = {}
    current, pending = preamble, []
    for line in text.splitlines():
        header = HEADER.match(line)
        if header:
            current = tables.setdefault(header.group(1), [])
            current += [*pending, line]
            pending = []
        elif line.strip() and not line.lstrip().startswith("#"):
            current += [*pending, line]
            pending = []
        else:
            pending.append(line)
    current += pending
    return preamble, tables


def fields_set(data: dict, leaves: set[str], prefix: str = "") -> set[str]:
    """Dotted paths of the leaf fields a parsed config sets."""
    out = set()
    for key, value in data.items():
        path = prefix + key
        if path not in leaves and isinstance(value, dict):
            out |= fields_set(value, leaves, path + ".")
        else:
            out.add(path)
    return out


def arrangement_path(arrangement: str) -> Path:
    """The shipped config file of ``--from``, or a one-line ConfigError naming the choices."""
    path = shipped_config_path(arrangement)
    if path is None:
        raise ConfigError([(f"init --from {arrangement!r}: not a shipped config (choose one of: "
                           f"{', '.join(shipped_config_names())})")])
    return path


def commented_field(path: str, info: Any) -> list[str]:
    """A field's description, then its ``key = default`` line with unit and default, commented.

    The unit and default sit in a TOML comment on the key's own line, so they stay beside the
    value once the line is uncommented and edited (a long default is not repeated).
    """
    value = toml_value(info.default)
    line = f"{path.rpartition('.')[2]} = {value}  # unit: {PLACE_FIELDS[path]}"
    if len(value) <= 40:
        line += f"; default: {value}"
    return ["# " + text for text in [*textwrap.wrap(info.description or "", WIDTH - 2), line]]


def offered_fields(arrangement: str) -> list[str]:
    """The place fields ``init`` offers, commented out: those the arrangement does not set."""
    data = tomllib.loads(arrangement_path(arrangement).read_text(encoding="utf-8"))
    leaves = [path for path, _ in leaf_fields()]
    chosen = fields_set(data, set(leaves))
    return [p for p in leaves if p in PLACE_FIELDS and p not in chosen]


def config_text(name: str, arrangement: str = DEFAULT_CONFIG) -> str:
    """The text of ``NAME.toml``: the arrangement's lines plus place fields, commented out.

    Parameters
    ----------
    name : the config's name (written as ``name = ...``; results folders use it).
    arrangement : a shipped config name (``caresim validate`` lists them on a bad name).
    """
    source = arrangement_path(arrangement)
    text = source.read_text(encoding="utf-8")
    infos = dict(leaf_fields())
    order = list(infos)
    preamble, tables = split_tables(text)
    offered = offered_fields(arrangement)

    def position(table: str) -> int:
        return min((i for i, p in enumerate(order) if p == table or p.startswith(table + ".")),
                   default=len(order))

    stem = next(n for n in shipped_config_names() if shipped_config_path(n) == source)
    out = _intro(name, stem, len(offered)).splitlines()
    named = False
    for line in preamble:
        if not named and re.match(r"^\s*name\s*=", line):
            line, named = f"name = {toml_value(name)}", True
        out.append(line)
    if not named:
        out.append(f"name = {toml_value(name)}")
    for table in sorted({*tables, *(p.rpartition(".")[0] for p in offered)}, key=position):
        block = _trim(tables.get(table, [f"[{table}]"]))
        for path in (p for p in offered if p.rpartition(".")[0] == table):
            block += [""] + commented_field(path, infos[path])
        out += [""] + block
    return "\n".join(_trim(out)) + "\n"


def _trim(lines: list[str]) -> list[str]:
    """Lines without leading or trailing blank lines."""
    lines = list(lines)
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _intro(name: str, stem: str, offered: int) -> str:
    body = (
        f"{name}: a config of one's own, written by `caresim init {name} --from {stem}`. "
        f"It starts as the shipped arrangement in configs/{stem}.toml: the lines that are not "
        f"commented out are that file's own. Under each table, commented out, are the {offered} "
        "fields a place usually replaces with its own figures (population, demand, capacities, "
        "assessment teams, budgets, process times, local prices), each with its description, "
        "unit and shipped default. To change one, delete the \"# \" in front of its "
        "`key = value` line and edit the value; a field left commented keeps its default. "
        "Every field, its default and its source: docs/PARAMETERS.md in the caresim "
        "repository, or `caresim validate --schema`. For a place of another size, change the "
        "population, the people reaching 65 each year, every capacity, the assessment teams and "
        "the budgets in proportion (the default place has 300,000 residents, 55,200 of them "
        "aged 65+).")
    lines = textwrap.wrap(body, WIDTH - 2)
    lines += ["", f"Check it:  caresim validate {name}.toml",
              f"Run it:    caresim run {name}.toml", "", f"---- configs/{stem}.toml ----"]
    return "\n".join(f"# {line}".rstrip() for line in lines)


def write_config(name: str, arrangement: str = DEFAULT_CONFIG, out: str | Path = ".",
                 force: bool = False) -> Path:
    """Write ``OUT/NAME.toml`` and return its path; never replace a file unless ``force``.

    The file appears whole or not at all (:mod:`sim.atomic`: written to a temporary name, then
    linked into place, which fails if the name was taken meanwhile, or renamed over it with
    ``force``), so an interrupted ``init`` leaves no half-written config.
    """
    stem = name.removesuffix(".toml")
    if not NAME.fullmatch(stem):
        raise ConfigError([(f"init NAME {name!r}: use letters, digits, '_', '-' and '.' only, "
                           "starting with a letter or digit (choose the folder with --out)")])
    text = config_text(stem, arrangement)
    folder = Path(out)
    target = folder / f"{stem}.toml"
    refuse = (f"init: {target} already exists; give another NAME or --out, or --force to "
              "replace it")
    if folder.exists() and not folder.is_dir():
        raise ConfigError([f"init --out {str(out)!r}: is a file, expected a folder"])
    if target.is_dir():
        raise ConfigError([f"init: {target} is a folder; give another NAME or --out"])
    if target.exists() and not force:
        raise ConfigError([refuse])
    try:
        atomic.write_text(target, text, replace=force)
    except FileExistsError:
        raise ConfigError([refuse]) from None
    except OSError as err:
        raise ConfigError([f"init: cannot write {target}: {err.strerror or err}"]) from None
    return target
