"""Patient and family choice of care home (``care_homes.choice_*``, issue 13 item 2).

Once funding for a care home is agreed, some people or families still visit and choose a home
while the person waits in the acute bed. Choosing runs alongside the wait for a vacancy, so the
person leaves when both are done: the days waiting for a vacancy are ``service_capacity``, and
only the days the choice outlasts that wait are ``choice`` (caused by the patient, no funder's
budget fault). Unit tests on a bare environment check the exact times; small runs check where
choice days appear, that a zero share leaves every journey as it was, and the mean against the
configured distribution.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.discharge import care_home_choice_days, discharge_process
from sim.services import Holding

from .conftest import run_once, small
from .test_journeys import ISOLATED, bare_context, run_at

CHOICE_DAYS = 5.0
#: every frailty level sends 20% of discharges to a care home, so a small place has hundreds
CARE_HOME_HEAVY = {"pathways__split_by_frailty": [[0.5, 0.2, 0.1, 0.2]] * 4}
#: care homes with beds for all of them, so a wait for a vacancy never hides the choice
AMPLE_BEDS = {"care_homes__beds": 200_000}
#: no other new wait hides a choice: services admit at weekends as on weekdays (their own test:
#: tests/test_discharge_planning.py)
NO_OTHER_WAITS = {"care_homes__weekend_admission_ratio": 1.0,
                  "home_care__weekend_start_ratio": 1.0,
                  "reablement__weekend_start_ratio": 1.0,
                  "intermediate_care__weekend_admission_ratio": 1.0,
                  # one shared bed pool: this small place runs its acute beds near full, and
                  # ward groups' boarding noise would swamp the choice effect at one seed
                  # (their own test: tests/test_wards.py)
                  "acute__wards": 1,
                  # the market mechanisms neutral and no discharge planned from admission: a
                  # choice made before medically fit, or behind a declined offer, is no delay
                  # (their own tests: tests/test_care_market.py, tests/test_discharge_planning.py)
                  **ISOLATED,
                  # every would-be placement decided in hospital: one diverted to this small
                  # place's few intermediate-care beds waits there, then deconditions onto a
                  # care home with weeks of delay (tests/test_care_home_decision.py)
                  "care_home_decision__assess_outside_hospital_share": 0.0}


def _choosing_context(**overrides):
    """A bare context where every care-home discharge chooses for exactly CHOICE_DAYS days
    and no CHC checklist is positive (so no CHC assessment comes before funding)."""
    settings = {"care_homes__choice_in_hospital_share": 1.0,
                "care_homes__choice_days_mean": CHOICE_DAYS,
                "care_homes__choice_days_cv": 0.0, "chc__checklist_positive_share": 0.0,
                "care_homes__weekend_admission_ratio": 1.0}   # no weekend wait after choosing
    return bare_context(**{**settings, **overrides})


def _stretches(ctx, person: int = 0) -> list[tuple[float, float, str, str]]:
    """(start, end, reason, caused_by) of a person's recorded delay stretches, in order."""
    ctx.people.end_delay(person)
    return [(start, end, reason, caused_by)
            for p, start, end, reason, caused_by, _payer in ctx.billing.ledger.delays
            if p == person]


def _discharge_to_care_home(ctx, start: float = 1.0):
    holding = Holding(ctx.env, ctx.occupancy)
    done = run_at(ctx, start, discharge_process, 0, 3, False, holding)
    return done


def _funding_agreed_at() -> float:
    """When person 0's care-home funding is agreed in the bare context (ample beds)."""
    ctx = _choosing_context()
    _discharge_to_care_home(ctx)
    ctx.env.run(200.0)
    [choice] = [s for s in _stretches(ctx) if s[2] == "choice"]
    return choice[0]


def test_choice_with_a_free_place_delays_by_the_whole_choice_after_funding():
    ctx = _choosing_context()
    done = _discharge_to_care_home(ctx)
    ctx.env.run(200.0)
    stretches = _stretches(ctx)
    reasons = [s[2] for s in stretches]
    assert "funding_decision" in reasons and "choice" in reasons
    k = reasons.index("choice")
    start, end, _, caused_by = stretches[k]
    assert caused_by == "patient"
    assert end - start == pytest.approx(CHOICE_DAYS, abs=1e-9)
    assert stretches[k - 1][2] == "funding_decision" and stretches[k - 1][1] == start
    assert stretches[k + 1][2] == "discharge_process" and stretches[k + 1][0] == end
    assert done["result"].destination == "care_home" and done["finished"] >= end


@pytest.mark.parametrize("vacancy_after", [2.0, CHOICE_DAYS + 3.0])
def test_choice_runs_alongside_the_wait_for_a_vacancy(vacancy_after):
    """The wait is the longer of the two, not their sum: a vacancy after the choice is made
    leaves no choice days; one before it leaves only the rest of the choice."""
    agreed = _funding_agreed_at()
    ctx = _choosing_context()
    beds = ctx.services.care_home_beds
    full = beds.request(beds.level)          # every care-home bed taken
    assert full.triggered and beds.level == 0
    ctx.at(agreed + vacancy_after, lambda: beds.release(1.0))
    _discharge_to_care_home(ctx)
    ctx.env.run(200.0)
    by_reason = {reason: (start, end) for start, end, reason, _ in _stretches(ctx)}
    assert by_reason["service_capacity"] == pytest.approx((agreed, agreed + vacancy_after))
    if vacancy_after < CHOICE_DAYS:
        assert by_reason["choice"] == pytest.approx((agreed + vacancy_after,
                                                     agreed + CHOICE_DAYS))
    else:
        assert "choice" not in by_reason
    leaves_from = max(vacancy_after, CHOICE_DAYS)
    assert by_reason["discharge_process"][0] == pytest.approx(agreed + leaves_from)


def test_choice_days_follow_the_configured_share_and_lognormal_mean():
    """Draws over many people: the share choosing and the mean and spread of their days match
    the configuration within three standard errors."""
    share, mean, cv, n = 0.4, 7.0, 1.0, 6000
    ctx = bare_context(care_homes__choice_in_hospital_share=share,
                       care_homes__choice_days_mean=mean, care_homes__choice_days_cv=cv)
    days = np.array([care_home_choice_days(ctx, i) for i in range(n)])
    chosen = days[days > 0]
    assert abs(len(chosen) / n - share) < 3 * math.sqrt(share * (1 - share) / n)
    assert abs(chosen.mean() - mean) < 3 * mean * cv / math.sqrt(len(chosen))
    sigma = math.sqrt(math.log1p(cv ** 2))       # log(days) is normal with this spread
    assert np.log(chosen).std() == pytest.approx(sigma, rel=0.05)


def _run(ample: bool = True, **overrides) -> sim.Results:
    settings = {"run__replications": 1, **CARE_HOME_HEAVY, **NO_OTHER_WAITS,
                **(AMPLE_BEDS if ample else {}), **overrides}
    return run_once(small("fragmented", people=6000, years=1.5, warmup_days=30.0, **settings))


def test_choice_days_appear_only_for_care_home_discharges_from_hospital():
    d = _run(care_homes__choice_in_hospital_share=1.0).discharges
    chose = d[d["delay_choice_days"] > 0]
    assert len(chose) > 50
    assert set(chose["destination"]) == {"care_home"} and set(chose["pathway"]) == {3}
    # residents going back to their own home choose nothing
    assert (d.loc[d["destination"] == "care_home_return", "delay_choice_days"] == 0).all()


def test_discharge_to_assess_moves_the_choice_out_of_the_acute_bed():
    res = _run(care_homes__choice_in_hospital_share=1.0,
               assessment__discharge_to_assess=["care_home"])
    assert (res.discharges["delay_choice_days"] == 0).all()
    daily = res.daily
    assert (daily.loc[daily["series"] == "delayed:choice", "count"] == 0).all()
    assert (res.discharges["destination"] == "care_home").sum() > 50


def test_with_no_choosers_the_choice_settings_change_no_journey():
    """A zero share makes the mechanism inert: the days and spread configured do not move a
    single discharge, daily count or delay cause (and no 'choice' delay exists), here with
    care-home beds as scarce as in the shipped place, where capacity binds."""
    base = _run(ample=False, care_homes__choice_in_hospital_share=0.0)
    other = _run(ample=False, care_homes__choice_in_hospital_share=0.0,
                 care_homes__choice_days_mean=30.0, care_homes__choice_days_cv=3.0)
    assert (base.discharges["delay_choice_days"] == 0).all()
    assert "choice" not in set(base.cost_shifting["reason"])
    assert base.discharges.equals(other.discharges)
    assert base.daily.equals(other.daily)
    assert base.cost_shifting.equals(other.cost_shifting)


def test_choosing_lengthens_care_home_delays_and_shifts_no_cost():
    without = _run(care_homes__choice_in_hospital_share=0.0)
    choosing = _run(care_homes__choice_in_hospital_share=1.0)
    p3 = {name: res.discharges.query("pathway == 3")["delay_days"].mean()
          for name, res in (("without", without), ("choosing", choosing))}
    assert p3["choosing"] > p3["without"] + 2.0
    rows = choosing.cost_shifting[choosing.cost_shifting["reason"] == "choice"]
    assert len(rows) and set(rows["caused_by"]) == {"patient"} and not rows["shifted"].any()


def test_mean_choice_wait_with_ample_beds_matches_the_configured_mean():
    """With every care home's beds free, each chooser waits the whole drawn choice, so the mean
    choice days per care-home discharge is the configured mean within three standard errors
    of a mean of n lognormal draws (standard deviation = mean x cv)."""
    mean, cv = 7.0, 1.0
    d = _run(care_homes__choice_in_hospital_share=1.0, care_homes__choice_days_mean=mean,
             care_homes__choice_days_cv=cv).discharges
    days = d.loc[d["destination"] == "care_home", "delay_choice_days"]
    assert len(days) > 100 and (days > 0).all()
    assert abs(days.mean() - mean) < 3 * mean * cv / math.sqrt(len(days))
