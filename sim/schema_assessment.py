"""The assessment and funding-decision sections of the scenario schema: who assesses a person
before a discharge, when (from admission or from medically fit), and how funding is decided.

Split from :mod:`sim.schema_care` by concept; fields follow the rules of
:mod:`sim.schema_base`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .schema_base import DAYS_NOTE, Days, Funder, Hours, Probability, Section, Weekday, field


class Assessment(Section):
    nhs_assessors: int = field(10, "NHS discharge-team assessors on duty (FTE) [e]. At most "
                                "10,000.", probe=25, gt=0, le=10_000)
    la_social_workers: int = field(15, "Social workers assessing for hospital and community "
                                    "(FTE) ([e] 8-25). At most 10,000.", probe=40, gt=0,
                                    le=10_000)
    assessment_days: Days = field(
        0.5, "Working days of assessor time per separate assessment ([e] 0.5-1)." + DAYS_NOTE,
        probe=2.0)
    separate_assessments: int = field(
        3, "Sequential assessments outside a joint scope (health, social care, financial ...): "
        "3 fragmented vs 1 pooled, range 2-5 [e]; done by the teams of team_sequence in order.",
        probe=5, ge=1, le=5)
    team_sequence: list[Funder] = field(
        ["nhs", "la", "la", "nhs", "la"], "Which team does each of the separate assessments in "
        "turn (health, social care needs, financial, CHC checklist, ...) [e]; at least "
        "separate_assessments entries (the first ones are used).", probe=["la", "la", "la", "la",
                                                                      "la"])
    working_hours: list[Annotated[float, Field(ge=0.0, le=24.0)]] = field(
        [9.0, 17.0], "Assessors' working day, start and end hour on weekdays [e]; hours 0 to "
        "24.",
        probe=[8.0, 20.0])
    joint_assessment_days: Days = field(
        1.0, "Working days for the single joint assessment that replaces the sequence [e]."
             + DAYS_NOTE,
        probe=3.0, active_in="pooled")
    discharge_to_assess: list[Literal["reablement", "home_care", "care_home"]] = field(
        ["reablement"], "Services to which people are discharged to assess: they leave as "
        "soon as the service has room and are assessed there. For home care and care homes "
        "(Coventry's pull model) they leave on interim funding and the same assessors assess, "
        "CHC-check (care home) and decide there. For reablement (pathway 1 of the Hospital "
        "discharge and community support guidance, DHSC 2022: recovery and assessment at home, "
        "national policy since 2020) the reablement team assesses as part of the episode, so "
        "no hospital assessment is needed. Default ['reablement'] (today's national pathway 1; "
        "[] = every pathway assessed in hospital, as before 2020).",
        probe=["reablement", "home_care", "care_home"])
    planned_from_admission_share: Probability = field(
        0.5, "Share of emergency admissions whose discharge is planned from admission: the "
        "pathway is chosen then and the assessments it needs start planning_lead_days before "
        "the person is medically fit, on the same assessor teams (NHS England, 'Reducing "
        "long-term stays: plan for discharge from the start': expected date of discharge by "
        "the first post-take ward round; NHS Long Term Plan 2019: an expected date within 14 "
        "hours of admission; [e], 0.3-0.7: audits find it done for some patients, not all). "
        "Only the part of an assessment that runs past medically fit is a delay. 0 = every "
        "assessment starts at medically fit. Default 0.5, the middle of the evidence (it was "
        "off until care markets that churn, localities and market growth made service "
        "capacity bind; with them on, the default meets the calibration targets at 0.5).",
        probe=1.0)
    planning_lead_days: Days = field(
        2.0, "Days before the expected medically-fit time that planned assessments start ([e], "
        "1-3: the last days of the treatment stay, once the expected date is firm; a stay "
        "shorter than this is planned from admission)." + DAYS_NOTE, probe=6.0,
        probe_with={"assessment.planned_from_admission_share": 1.0})
    interim_payer: Funder = field(
        "nhs", "Funder that pays an interim discharge-to-assess package or care-home place until "
        "the assessment and funding decision (NHS discharge funding, [e]).", probe="la",
        probe_with={"assessment.discharge_to_assess": ["home_care"]}, moves="spending")

    @model_validator(mode="after")
    def _teams_and_hours(self):
        if len(self.team_sequence) < self.separate_assessments:
            raise ValueError(f"team_sequence has {len(self.team_sequence)} entries; "
                             f"separate_assessments = {self.separate_assessments} needs as many")
        if len(self.working_hours) != 2 or not self.working_hours[0] < self.working_hours[1]:
            raise ValueError(f"working_hours must be [start, end] with start < end, got "
                             f"{self.working_hours}")
        return self


class Decision(Section):
    panel_weekdays: list[Weekday] = field(
        ["Tue"], "Days the LA funding panel meets (weekly, [e]).", probe=["Mon", "Thu"])
    panel_hour: Annotated[float, Field(ge=0.0, lt=24.0)] = field(
        10.0, "Hour the panel meets on its days; its decisions take effect then [e]. From 0 "
        "to under 24.",
        probe=16.0)
    coordinator_hours: Hours = field(
        2.0, "Hours a coordinator takes to decide (same day) [e]. At most 87,660 hours (ten "
        "years).", probe=48.0, active_in="pooled")
    mode_by_funder: dict[Funder, Literal["panel", "coordinator"]] = field(
        {"nhs": "coordinator", "la": "panel"}, "How each commissioner decides funding outside "
        "a joint scope.", probe={"nhs": "coordinator", "la": "coordinator"})
    package_change_without_referral: bool = field(
        False, "A client whose package lapsed during a hospital stay gets it back from a "
        "coordinator without new assessments or a funding decision (integrated provider "
        "coordinators, [e]).", probe=True, probe_with={"home_care.hold_package_days": 0.0})
