"""Regenerate the tables of docs/PARAMETERS.md from the schema.

The document's prose is written by hand; its tables sit between ``<!-- generated: BLOCK -->``
and ``<!-- end generated -->`` markers and are rebuilt here from :data:`ROWS` (what each row
says: the parameter, its range and source) and from the schema (the config fields' shipped
defaults and, for the last block, every field no row covers, with its description). So the
defaults the document shows are always the ones caresim runs with, and a new schema field
appears in the document (or the tests fail) without anyone remembering to add it.

Usage (from the repository root, in the project's environment)::

    python docs/make_parameters.py           # rewrite the generated tables in place
    python docs/make_parameters.py --check   # exit 1 if the document is out of date
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

from sim.config import leaf_fields

DOC = Path(__file__).with_name("PARAMETERS.md")
BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end generated -->)", re.DOTALL)


class Row(NamedTuple):
    """One parameter: what it is, the config fields that carry it, its range and source."""

    parameter: str
    fields: tuple[str, ...]
    range: str
    source: str


ROWS: dict[str, list[Row]] = {
    "people": [
        Row("People aged 65+ at the start, by age band 65-74 / 75-84 / 85+ (29,700 / 18,300 / "
            "7,200 in a 300,000 place)", ("population.size", "population.band_shares"),
            "65+ share of residents 12-27%",
            "ONS Census 2021: 65+ are 18.4% of England [m]; Torbay 27% (JSNA 2020/21) [f]"),
        Row("People reaching 65 each year", ("population.entrants_per_year",), "",
            "[e]: ~1.1% of residents"),
        Row("Living alone: 30% of 65+; 75+ ~45%, 85+ ~60%", ("population.lives_alone_by_band",),
            "25-35% of 65+", "ONS Census 2021 households [m]"),
        Row("Frailty (eFI) fit / mild / moderate / severe: 50 / 35 / 12 / 3% of 65+",
            ("population.frailty_split_by_band",), "frail (mild or worse) 39-50%",
            "Clegg 2016 Age Ageing 45:353 [m split]; Fogg 2021 BMC Geriatr: 43.7% of 65+ frail "
            "[f]; eFI cut-offs 0.12 / 0.24 / 0.36; the split by age band [e]"),
        Row("Frailty of people reaching 65", ("population.entrant_frailty_split",), "",
            "[e]: no source; fitter than the 65-74 band"),
        Row("Fit to any frailty, per 1,000 person-years: 130 / 214 / 380 by band",
            ("frailty.onset_per_1000_py_by_band",), "±20%",
            "Walsh 2023 Age Ageing 52:afad058 [f] (eFI, 2006-17)"),
        Row("Frailty worsens / improves: 29.1% / 13.7% over 3.9 years",
            ("frailty.worsen_per_year", "frailty.improve_per_year"),
            "CI 26-33% / 12-16% over 3.9 years",
            "Kojima 2019 Ageing Res Rev 50:81 [f] (phenotype); as yearly rates ≈8% / 3.5% [e]"),
        Row("Self-funders in care homes: 37.0% of residents",
            ("population.self_funder_care_home_share",),
            "24.6% (North East) to 47.5% (South East); 48.9% in older people's homes",
            "ONS 2022-23 [f]. The field is the share of 65+ whose capital including the home is "
            "above the upper limit (£23,250, frozen since 2010 [m]); 40% gives ~37% "
            "self-funded residents [e]"),
        Row("Self-funders of care at home: 25.8%", ("population.self_funder_home_care_share",),
            "25-40%", "ONS 2022 (2021-22, an underestimate) [f]; capital excluding the home "
            "above the upper limit"),
        Row("Emergency admissions per 1,000 a year: 150 / 280 / 500 by band (≈240 for all 65+)",
            ("crisis.rate_per_person_year", "crisis.band_relative_rate"), "±25%",
            "[e] from HES: 2.11m emergency admissions of people 65+ in 2010/11 (PQ 2012) [f]. "
            "The crisis rate is 0.24 admissions / (1 - 0.10 avoided share); only the ratios of "
            "the band rates matter. Check against local SUS data"),
        Row("Frailty hazard ratio of an unplanned admission (mild / moderate / severe): "
            "1.93 / 3.04 / 4.73", ("crisis.frailty_hazard_ratio",), "CI 1.86-5.06",
            "Clegg 2016 [f] (one year, adjusted)"),
        Row("Winter (December-March) crisis uplift", ("crisis.winter_uplift",), "+5-20%",
            "[m]; the yearly average stays at the published rate"),
        Row("Emergency admissions of care-home residents per resident-year: 1.04 residential, "
            "0.87 nursing", ("crisis.residential_rate_per_year", "crisis.nursing_rate_per_year"),
            "", "BMJ Qual Saf (Improvement Analytics Unit, 2015-17), table 5 [f]"),
        Row("Deaths per 1,000 a year: 14 / 38 / 140 by band", ("mortality.band_rate_per_1000",),
            "±15%", "ONS deaths registered 2022-23 [m]"),
        Row("Frailty hazard ratio of death: 1.92 / 3.10 / 4.52",
            ("mortality.frailty_hazard_ratio",), "CI 1.81-4.91", "Clegg 2016 [f]"),
    ],
    "hospital": [
        Row("Acute length of stay, 65+ emergency (overnight): mean 9 d, median 5 d",
            ("acute.los_mean_days", "acute.los_sigma", "acute.los_distribution"),
            "mean 6-13 d by area",
            "King's Fund 2012 Older people and emergency bed use: 6-13 d [f]; lognormal shape "
            "(sigma 1.08, ~25% same-day) [e]. The field is the treatment stay: 9 d less ~1 d "
            "of delay [e]; delays come from the discharge process"),
        Row("Treatment stay by frailty and by age band", ("acute.los_frailty_ratio",
            "acute.los_band_ratio"), "", "[e]; normalised to the mean"),
        Row("In-hospital death, 65+ emergency admissions: ~5%",
            ("mortality.in_hospital_death_share_by_band",), "3-10% (85+ ~10%)", "HES [m/e]"),
        Row("30-day readmission, 65+: 15%",
            ("crisis.readmission_window_days", "crisis.readmission_ratio"), "12-20%",
            "Ssentif 2010/11: 16% of 75+ within 28 days [f]; NHS Digital compendium [f, value "
            "not seen]. The ratio is set so the model's 30-day readmission share is ~15%"),
        Row("Weekend discharges relative to weekdays", ("acute.weekend_discharge_ratio",),
            "0.4-0.9", "[m]"),
        Row("Discharge preparation; hours of the day discharges happen",
            ("acute.discharge_preparation_hours", "acute.discharge_hours"),
            "2-6 h; [0, 24] = any time", "[e]"),
    ],
    "community": [
        Row("Discharge pathway 0 / 1 / 2 / 3: 50 / 45 / 4 / 1%",
            ("pathways.split_by_frailty", "pathways.lives_alone_p0_ratio"),
            "P0 50-90%, P3 1-5%", "DHSC Hospital discharge guidance 2022 (Bolton model, 65+) "
            "[f]: P0/P1 minima, P2/P3 maxima; the split by frailty and living alone [e]"),
        Row("Pathway 1 without a package: reablement, new home care, or district nurse visits",
            ("pathways.p1_reablement_share", "pathways.p1_home_care_share",
             "pathways.community_nursing_visits"), "", "[e]"),
        Row("Nursing rather than residential home, by frailty",
            ("pathways.nursing_home_share_by_frailty",), "", "[e]: nursing ~40% of places"),
        Row("Reablement: free for up to 6 weeks, mean ~4 weeks",
            ("reablement.duration_mean_days",), "2-6 weeks",
            "Care Act (free for up to 6 weeks) [m]; the mean [e]"),
        Row("Reablement outcome: independent / long-term home care / readmitted",
            ("reablement.outcome_split",), "",
            "[e]; compare ASCOF 2B: ~82% at home 91 days after discharge [m]"),
        Row("Intermediate-care bed stay", ("intermediate_care.los_mean_days",), "14-42 d",
            "NAIC [m]"),
        Row("Intermediate-care outcome: home / home care / care home / died",
            ("intermediate_care.outcome_split",), "", "[e]"),
        Row("Home-care package size", ("home_care.hours_per_week_mean",), "6-20 h a week",
            "HH1 2008: 12.4 h a week per household [f]"),
        Row("People on home care and in care homes at the start",
            ("home_care.initial_share_by_band", "care_homes.initial_share_by_band"), "",
            "[e]: ~1,900 home-care clients; ~2,100 residents (~3.6% of 65+ live in care homes "
            "[m])"),
        Row("New care needs at home: referrals for home care and for a care home, packages "
            "ending for other reasons",
            ("home_care.community_referral_per_year_by_frailty", "home_care.to_care_home_per_year",
             "home_care.package_end_per_year", "home_care.need_band_ratio"), "",
            "[e], calibrated so home-care and care-home prevalence stay steady"),
        Row("Frailty hazard ratio of a care-home admission: 1.89 / 3.19 / 4.76",
            ("home_care.to_care_home_frailty_ratio",), "", "Clegg 2016 [m]"),
        Row("Days a provider holds a package during a hospital stay",
            ("home_care.hold_package_days",), "", "[e]"),
        Row("Care-home stay until death: mean 801 d, median 462 d; nursing shorter",
            ("mortality.care_home_los_mean_days", "mortality.care_home_los_median_days",
             "mortality.nursing_los_ratio"),
            "residential median 17.9 months; nursing ~12 months",
            "Forder & Fernandez 2011 PSSRU DP2769 [f]; Steventon & Roberts 2012 BMC HSR 12:377 "
            "[f]; the nursing ratio [e]"),
    ],
    "capacities": [
        Row("Acute general and acute beds used by people 65+", ("acute.beds",), "380-460",
            "[e]: 13.2k admissions × 9 d ≈ 325 treatment beds plus delays, at 85-95% "
            "occupancy; England has ~100k G&A beds for 56m people [m]"),
        Row("Escalation (surge) beds, paid per occupied day", ("acute.escalation_beds",), "",
            "[e]: ~6% of funded beds"),
        Row("Intermediate-care beds", ("intermediate_care.beds",), "30-90",
            "NAIC: ~20 beds per 100,000 population [m]"),
        Row("Reablement and home-based intermediate-care places (concurrent)",
            ("reablement.places",), "120-400", "[e] from NAIC home-based capacity [m]; the default "
            "160 was set with the home-care hours and home_care.community_patience_days on "
            "seeds 1 and 3 to the delay targets"),
        Row("Home-care hours a week, all funders", ("home_care.capacity_hours_per_week",),
            "22,000-32,000", "[e]: with every carer post filled; ~12% are vacant at any time, so "
            "~20,700 h are deliverable at the start: ~1,700 clients 65+ × 12 h. A market that "
            "cannot meet every need at once: people waiting at home may give up "
            "(home_care.community_patience_days); set with reablement places on seeds 1 and 3 "
            "to the delay targets"),
        Row("Care-home beds, residential and nursing", ("care_homes.beds",), "2,100-2,700",
            "[e]: ~3.6% of 65+ in care homes [m] at ~92% occupancy (CQC / LaingBuisson "
            "87-92%); default 2,150"),
        Row("Home-care workforce churn: carers leaving a year, mean days to recruit a "
            "replacement, care hours a week a carer delivers; providers hand packages back when "
            "the hours deliverable fall below those in use (0 = off)",
            ("home_care.carer_turnover_per_year", "home_care.recruitment_days_mean",
             "home_care.hours_per_carer"), "default 0.32 / 155 d / 20 h; 0.25-0.40 / "
            "90-240 d / 15-30 h",
            "Skills for Care, State of the adult social care sector and workforce: turnover 29% "
            "(2021/22), 30% (2022/23), higher in domiciliary care (Hussein 2016) [m]; vacancy "
            "rate in domiciliary care 12.9% (2022/23), 11.9% (2023/24) [m]; recruitment days "
            "[e] from vacancy share = r*T/(1+r*T); hours a carer [e]"),
        Row("Care-home vacancies: days a vacated room is not usable (turnaround), share of "
            "offers a home declines after its own assessment (0 = off)",
            ("care_homes.vacancy_turnaround_days", "care_homes.decline_share"),
            "default 4 d / 0.15; 2-7 d / 0.05-0.30",
            "[e]; a mismatch between provision and the needs of people leaving hospital is a "
            "named cause of delays (Health Soc Care Community 2023, PMC10084034) [m]"),
        Row("Hospital and community assessors (FTE): LA social workers, NHS discharge team",
            ("assessment.la_social_workers", "assessment.nhs_assessors"), "social workers 8-25",
            "[e]"),
        Row("Urgent community response (2-hour UCR): concurrent episodes, episode length, "
            "district nurse visits a day", ("avoidance.urgent_response_slots",
            "avoidance.urgent_response_days", "avoidance.visits_per_day"), "", "[e]"),
        Row("Neighbourhood teams: people 65+ per zone (one team per ~30,000 residents) and "
            "caseload per team", ("neighbourhood.people_per_zone",
            "neighbourhood.caseload_per_team"), "caseload 50-300",
            "[e] (configs/integrated.toml); a zone is ~30,000 residents at 18.4% aged 65+"),
    ],
    "process": [
        Row("Assessor time per separate assessment", ("assessment.assessment_days",),
            "0.5-1 working day", "[e]"),
        Row("Sequential separate assessments: 3 fragmented, 1 pooled",
            ("assessment.separate_assessments",), "2-5", "[e]: no national figure found"),
        Row("The single joint assessment that replaces them", ("assessment.joint_assessment_days",),
            "0.5-2 working days", "[e] (configs/pooled.toml)"),
        Row("LA funding panel days", ("decision.panel_weekdays",), "weekly to fortnightly",
            "[e]"),
        Row("Coordinator decision", ("decision.coordinator_hours",), "same day to 2 days",
            "[e]"),
        Row("CHC checklist positive / full assessment / dispute",
            ("chc.checklist_positive_share", "chc.full_assessment_days",
             "chc.dispute_probability"), "10-40% / 5-28 d / 5-30%",
            "[e]; national framework: 28-day target for CHC decisions [m]"),
        Row("CHC eligibility after a full assessment; days to resolve a dispute",
            ("chc.eligible_share", "chc.dispute_resolution_days"), "", "[e]"),
        Row("Discharge goes ahead during a CHC dispute, on interim LA funding",
            ("chc.interim_funding",), "", "national framework [m]: discharge should not wait "
            "for a dispute"),
        Row("Choosing a care home in hospital: share of care-home discharges still choosing "
            "once funding is agreed; days it takes (lognormal mean, coefficient of variation); "
            "only the days it outlasts the wait for a vacancy delay discharge",
            ("care_homes.choice_in_hospital_share", "care_homes.choice_days_mean",
             "care_homes.choice_days_cv"), "30-70% / 3-14 d / 0.5-1.5",
            "[e]; 'patient or family choice' was a reason of NHS England's delayed-transfers-"
            "of-care returns until 2020 (about a tenth of delayed days [m], not verified); "
            "choice policies offer an interim home after about a week if the chosen one has no "
            "vacancy (NHS England and partners, 'Supporting patients' choices to avoid long "
            "hospital stays', 2016; Scottish Government, 'Choosing a care home on discharge "
            "from hospital')"),
    ],
    "costs": [
        Row("Acute bed day (block contract; the same value for a delayed day)",
            ("costs.acute_bed_day_gbp", "costs.excess_bed_day_gbp"), "£300-450",
            "PQ 165361 (2023), NCC 2020/21 [f]; non-elective including treatment £901 a day"),
        Row("Emergency admission (a spell's normal stay, resource view)",
            ("costs.emergency_admission_gbp",), "£2,400-3,600",
            "NAO 2018: £13.7bn / 5.8m = £2,360 (2015/16) [f]; uprated [e]"),
        Row("Occupied escalation bed day", ("costs.escalation_bed_day_gbp",), "",
            "[e]: agency staff"),
        Row("Intermediate-care bed day (block)", ("intermediate_care.bed_day_cost_gbp",),
            "£150-350", "[m/e]"),
        Row("Reablement episode (≈£45-58 a contact hour)", ("reablement.episode_cost_gbp",),
            "£2,000-3,000", "ASC-FR 2023-24: short-term support spend £0.53bn / ~251k "
            "completed episodes [f, ratio e]; Glendinning 2010 SPRU: £2,088 an episode, £40 a "
            "contact hour (2008/09) [f]"),
        Row("District nurse visit", ("costs.district_nurse_visit_gbp",), "£40-80",
            "PSSRU Unit Costs 2023 (Jones et al.) [m]. The same source's social-worker hour "
            "(£65, £50-90) has no field: assessors are a capacity in the model, not a cost"),
        Row("Home-care hour, LA-paid", ("home_care.hour_cost_gbp",), "£21.56-£32",
            "Homecare Association Deficit Report 2023: UK mean £21.56 [f]; PSSRU 2023 not "
            "retrieved"),
        Row("Residential / nursing home week, LA-paid",
            ("care_homes.residential_week_gbp", "care_homes.nursing_week_gbp"),
            "£750-1,200 / £900-1,500", "ASC-FR 2023-24 [m]"),
        Row("Self-funders' fee relative to the LA rate", ("care_homes.self_funder_price_ratio",),
            "", "CMA 2017: self-funders pay ~40% more [m]"),
        Row("Funded Nursing Care a week, 2025/26", ("care_homes.fnc_week_gbp",),
            "£235.88 (24/25) to £267.68 (26/27)", "DHSC releases 2024, 2025 [f]; 26/27 from a "
            "secondary calculator page [f, unconfirmed]; 23/24 was £219.71"),
        Row("NHS Continuing Healthcare care-home week", ("chc.week_gbp",), "£900-2,000",
            "NAO 2017 CHC report [m/e]"),
        Row("Means test: an LA client's share of a home-care package, a resident's weekly "
            "contribution, days before a self-funder's capital runs down",
            ("home_care.client_contribution_share", "care_homes.client_contribution_week_gbp",
             "care_homes.spend_down_days"), "",
            "[e]; capital limits £23,250 upper, £14,250 lower (Care and Support (Charging) "
            "Regulations, frozen since 2010) [m]"),
        Row("Neighbourhood team a year", ("neighbourhood.team_cost_gbp_per_year",),
            "£250k-£600k", "[e] (configs/integrated.toml: ~7 WTE nurses, a social worker, care "
            "coordinators)"),
    ],
    "budgets": [
        Row("NHS and LA budgets for the modelled services in the first year",
            ("budgets.nhs_gbp_per_year", "budgets.la_gbp_per_year"), "",
            "[e]: the fragmented default's first-year cash spend (calibration run); a place "
            "puts its own budgets here"),
        Row("Real-terms change of each budget a year",
            ("budgets.nhs_yearly_change", "budgets.la_yearly_change"),
            "e.g. -5% a year for council cuts (seed 003)",
            "[e]: +2% is about the growth of the 65+ population"),
        Row("Budget headroom; planned extra spend per winter month",
            ("budgets.headroom_share", "budgets.winter_spend_uplift"), "", "[e]"),
        Row("Running cost of a pool", ("funding.pool.governance_cost_gbp_per_year",),
            "£50k-£400k", "[e]"),
        Row("Outcome payment: share of the contract paid only if the delay target is met, and "
            "the target", ("funding.pool.outcome_payment_share",
            "funding.pool.outcome_target_mean_delay_days"), "0-10%; 0.8-1.5 d",
            "[e] (configs/integrated.toml); Tower Hamlets paid a share of contract value"),
    ],
    "mechanisms": [
        Row("Deconditioning: daily chance that a delayed person's pathway escalates",
            ("acute.deconditioning_per_day",), "0-3% a day",
            "[e]: \"10 days in bed ages muscles 10 years\" is an advocacy figure, not a rate"),
        Row("Lives-alone hazard ratio of a crisis", ("crisis.lives_alone_ratio",), "1.0-1.6",
            "[e]; normalised within each band"),
        Row("Unmet-need hazard ratio (waiting at home for care)", ("crisis.unmet_need_ratio",),
            "1.0-2.5", "[e]"),
        Row("Prevention: crisis hazard ratio while case-managed",
            ("neighbourhood.crisis_hazard_ratio",), "0.8-1.0",
            "[e]: evidence reviews find little or no effect; 1.0 is no effect. The planning "
            "table's 0.95 became 0.9 in the shipped schema"),
        Row("Admission avoidance: share of crises suitable for care without admission when "
            "capacity is free; share of those needing a step-up bed",
            ("avoidance.share", "avoidance.step_up_share"), "share 0-25%",
            "[e]: urgent community response"),
        Row("Bed-closure rule: occupancy threshold, review period, beds closed per review, "
            "floor", ("savings.closure_occupancy_threshold", "savings.closure_review_days",
            "savings.beds_closed_per_review", "savings.min_beds_share"), "",
            "[e]: Wakefield's \"live within capacity\" rule"),
        Row("Days from a year-end underspend to reinvested capacity in service",
            ("savings.reinvest_lag_days",), "", "[e]: recruitment and procurement"),
    ],
}


def section_of(path: str) -> str:
    """The TOML table a dotted field lives in ('' for the top level)."""
    return path.rpartition(".")[0]


def show(path: str, value: Any) -> str:
    """A field's value as the document shows it: thousands separators, £ for money."""
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, dt.date)):
        return f'"{value}"' if isinstance(value, str) else value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show('', v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if value and all(isinstance(v, list) for v in value):
            return " · ".join(show(path, v) for v in value)
        return " / ".join(show(path, v) for v in value) if value else "[]"
    if "_gbp" in path:
        if abs(value) >= 1e6:
            return f"£{value / 1e6:,.1f}m"
        return f"£{value:,.2f}".removesuffix(".00")
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|") or "-"


def row_table(rows: list[Row], defaults: dict[str, Any]) -> str:
    """A Markdown table: parameter, config field(s), shipped default, range, source."""
    lines = ["| parameter | config field | shipped default | range | source and notes |",
             "|---|---|---|---|---|"]
    for row in rows:
        fields = "<br>".join(f"`{f}`" for f in row.fields)
        values = "<br>".join(cell(show(f, defaults[f])) for f in row.fields)
        lines.append(f"| {cell(row.parameter)} | {fields} | {values} | {cell(row.range)} | "
                     f"{cell(row.source)} |")
    return "\n".join(lines)


def other_table(paths: list[str], defaults: dict[str, Any], descriptions: dict[str, str]) -> str:
    """Every field no row covers, one small table per config section."""
    out = []
    for section in dict.fromkeys(section_of(p) for p in paths):
        out += ["", f"`[{section}]`" if section else "Top level", "",
                "| field | shipped default | description |", "|---|---|---|"]
        out += [f"| `{p}` | {cell(show(p, defaults[p]))} | {cell(descriptions[p])} |"
                for p in paths if section_of(p) == section]
    return "\n".join(out).lstrip("\n")


def generated_blocks() -> dict[str, str]:
    """Each block's generated Markdown, from :data:`ROWS` and the schema."""
    infos = dict(leaf_fields())
    defaults = {p: info.default for p, info in infos.items()}
    descriptions = {p: info.description or "" for p, info in infos.items()}
    covered = [f for rows in ROWS.values() for row in rows for f in row.fields]
    unknown = sorted(set(covered) - set(infos))
    if unknown:
        raise SystemExit(f"make_parameters: rows name fields the schema lacks: {unknown}")
    blocks = {name: row_table(rows, defaults) for name, rows in ROWS.items()}
    blocks["other"] = other_table([p for p in infos if p not in covered], defaults, descriptions)
    return blocks


def render(text: str) -> str:
    """The document with every generated block rebuilt; fails on an unknown block name."""
    blocks = generated_blocks()
    found = set()

    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name not in blocks:
            raise SystemExit(f"make_parameters: unknown block {name!r} in {DOC.name}")
        found.add(name)
        return f"{match.group(1)}{blocks[name]}\n{match.group(4)}"

    text = BLOCK.sub(fill, text)
    missing = sorted(set(blocks) - found)
    if missing:
        raise SystemExit(f"make_parameters: {DOC.name} has no marker for blocks {missing}")
    return text


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/PARAMETERS.md's tables, or with ``--check`` say whether they are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if the document is out of date; change nothing")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(f"{DOC} is out of date: run python docs/make_parameters.py", file=sys.stderr)
            return 1
        print(f"{DOC} is up to date")
        return 0
    if new != text:
        DOC.write_text(new, encoding="utf-8")
    print(f"{DOC}: {'rewritten' if new != text else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
