"""The outcome-measure section of the scenario schema: the utilities that weigh person-time
into quality-adjusted life years (the ``qalys`` KPI of :mod:`sim.kpis_outcomes`).

One list per setting (:data:`sim.outcome_tracking.SETTINGS`), one EQ-5D index value (UK value
set, 1 = full health, 0 = dead) per frailty level (fit, mild, moderate, severe). Utilities
weigh the outcome, they never change a journey. Fields follow the rules of
:mod:`sim.schema_base`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .schema_base import FRAILTY_LEVELS, Section, field

#: an EQ-5D index value: the UK 3L value set runs from -0.594 (worse than dead) to 1
Utility = Annotated[float, Field(ge=-0.594, le=1.0)]
UTILITY_NOTE = (" One value per frailty level (fit, mild, moderate, severe), each from -0.594 "
                "(the worst EQ-5D state) to 1 (full health).")


class Outcomes(Section):
    utility_home: list[Utility] = field(
        [0.80, 0.70, 0.58, 0.45], "EQ-5D utility at home without a package, by frailty "
        "(community cohorts by frailty index: utility falls ~0.1 a frailty level, robust ~0.8, "
        "frail ~0.5; Thompson 2021 Age Ageing (SF-6D, UK weights), Frail-VIG EQ-5D-3L BMC "
        "Geriatr 2021) [e] +-0.1." + UTILITY_NOTE, probe=[0.9, 0.8, 0.7, 0.6])
    utility_home_care: list[Utility] = field(
        [0.72, 0.62, 0.50, 0.38], "EQ-5D utility at home with a home-care package, by frailty "
        "(people needing help with daily living score ~0.05-0.1 below others of the same "
        "frailty) [e] +-0.1." + UTILITY_NOTE, probe=[0.8, 0.7, 0.6, 0.5])
    utility_reablement_ic: list[Utility] = field(
        [0.68, 0.60, 0.52, 0.42], "EQ-5D utility in reablement or an intermediate-care bed, by "
        "frailty (recovering after a crisis, between the acute and home values) [e] +-0.1."
        + UTILITY_NOTE, probe=[0.8, 0.7, 0.6, 0.5])
    utility_acute: list[Utility] = field(
        [0.66, 0.62, 0.57, 0.45], "EQ-5D utility in an acute bed or waiting for one, by frailty "
        "(people 65+ with Clinical Frailty Scale 5-8 in UK emergency and acute admission "
        "settings: median EQ-5D-5L index 0.574, falling with frailty; BMC Emerg Med 2023, "
        "doi 10.1186/s12873-023-00909-4 [m]; the other levels [e] +-0.1)." + UTILITY_NOTE,
        probe=[0.5, 0.45, 0.4, 0.3])
    utility_care_home: list[Utility] = field(
        [0.55, 0.50, 0.42, 0.35], "EQ-5D utility in a care home (residential or nursing), by "
        "frailty (care-home residents 65+ in England, EQ-5D by self or staff proxy: means "
        "~0.4-0.5, lower with cognitive and functional impairment; DACHA 2024, Oxford PHC "
        "proxy study of 556 residents) [e] +-0.15." + UTILITY_NOTE,
        probe=[0.7, 0.6, 0.5, 0.4])

    @model_validator(mode="after")
    def _one_per_level(self):
        for name in type(self).model_fields:
            if len(getattr(self, name)) != len(FRAILTY_LEVELS):
                raise ValueError(f"{name} needs {len(FRAILTY_LEVELS)} entries (fit, mild, "
                                 f"moderate, severe)")
        return self
