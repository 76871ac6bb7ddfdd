"""The senior round that confirms a patient medically fit (``acute.senior_review_hours``,
``acute.weekend_review_ratio``; issue 13: the shape of delays).

Exact times on a bare environment: treatment that ends before the round is confirmed when the
round starts, during it at once, after it at the next day's round; a weekend round that reviews
nobody moves a Friday afternoon's confirmation to Monday. Paired small runs on the same random
numbers: every confirmation falls inside the round's hours, none at a weekend when weekend
rounds review nobody, and the wait for the round moves days out of "delayed" into treatment
without taking them out of the bed.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.clock import Clock
from sim.discharge_planning import treatment

from .conftest import run_once, small
from .test_discharge_planning import _first_day
from .test_journeys import HOUR, bare_context, run_at

ROUNDS = {"acute__senior_review_hours": [9.0, 12.0]}


def _confirmed_at(end_of_treatment: float, **overrides) -> float:
    """When person 0, whose treatment ends at ``end_of_treatment``, is confirmed fit."""
    ctx = bare_context(**{**ROUNDS, **overrides})
    done = run_at(ctx, end_of_treatment - 1.0, treatment, 0, 1.0, False)
    ctx.env.run(end_of_treatment + 10.0)
    return done["finished"]


def _day(weekday: int) -> int:
    """A day of the second week with this weekday (0 = Monday): a day of the first may be
    day 0, too early to start the treatment a day before."""
    return _first_day(bare_context(), weekday) + 7


@pytest.mark.parametrize("hour, confirmed_hour, days_later", [
    (7.0, 9.0, 0),        # before the round: confirmed when it starts
    (10.5, 10.5, 0),      # during it: at once
    (14.0, 9.0, 1),       # after it: tomorrow's round
])
def test_a_weekday_round_confirms_at_its_start_at_once_or_tomorrow(hour, confirmed_hour,
                                                                   days_later):
    tuesday = _day(1)
    confirmed = _confirmed_at(tuesday + hour * HOUR)
    assert confirmed == pytest.approx(tuesday + days_later + confirmed_hour * HOUR)


@pytest.mark.parametrize("ratio, days_later", [(0.0, 3), (1.0, 1)])
def test_weekend_rounds_that_review_nobody_move_friday_afternoon_to_monday(ratio, days_later):
    friday = _day(4)
    confirmed = _confirmed_at(friday + 14 * HOUR, acute__weekend_review_ratio=ratio)
    assert confirmed == pytest.approx(friday + days_later + 9 * HOUR)


def test_a_round_all_day_every_day_confirms_when_treatment_ends():
    friday = _day(4)
    end = friday + 20 * HOUR
    assert _confirmed_at(end, acute__senior_review_hours=[0.0, 24.0],
                         acute__weekend_review_ratio=1.0) == pytest.approx(end)


# --- paired small runs ---------------------------------------------------------------------
def _run(**overrides):
    return run_once(small("fragmented", people=6000, years=1.0, warmup_days=30.0,
                          run__replications=1, **overrides))


def _fit_times(res) -> np.ndarray:
    """Medically fit times of people treated in the run (not the starting stock)."""
    fit = res.discharges["medically_fit_day"].to_numpy()
    return fit[fit > 1.0]


def test_every_confirmation_falls_inside_the_round_and_none_at_weekends_without_rounds():
    res = _run(**ROUNDS, acute__weekend_review_ratio=0.0)
    fit = _fit_times(res)
    assert len(fit) > 500
    hours = (fit - np.floor(fit)) * 24
    assert np.all((hours >= 9.0 - 1e-6) & (hours <= 12.0 + 1e-6))
    clock = Clock(res.config.run.start_date, 800.0)
    assert not any(clock.weekday[int(t)] >= 5 for t in fit)


def _expected_weekend_ratio(r: float) -> float:
    """Confirmations per weekend day relative to a weekday when N patients a day finish
    treatment and every waiting patient is reviewed at a weekday round, each with chance r at
    a weekend one: Saturday confirms rN, Sunday r(2 - r)N, the weekdays the other 7N - r(3 - r)N."""
    weekend = r * (3 - r)
    return (weekend / 2) / ((7 - weekend) / 5)


@pytest.mark.parametrize("ratio", [0.5, 1.0])
def test_weekend_rounds_confirm_as_the_review_ratio_implies(ratio):
    """Review all day on weekdays (the default's hours); the tolerance is three standard
    errors of the log of a ratio of two Poisson counts."""
    res = _run(acute__weekend_review_ratio=ratio)
    clock = Clock(res.config.run.start_date, 800.0)
    weekend = np.array([clock.weekday[int(t)] >= 5 for t in _fit_times(res)])
    on_weekends, on_weekdays = weekend.sum(), (~weekend).sum()
    observed = (on_weekends / 2) / (on_weekdays / 5)
    tolerance = 3 * np.sqrt(1 / on_weekends + 1 / on_weekdays)
    assert abs(np.log(observed / _expected_weekend_ratio(ratio))) < tolerance


def test_the_wait_for_the_round_is_treatment_not_delay_and_keeps_the_bed():
    """The same people with fitness confirmed at a morning round, weekends included at the
    default's ratio, and when treatment ends: fewer discharges delayed a day or more and a
    shorter mean delay, but no fewer bed days (the time is counted as treatment, not taken
    away)."""
    on = _run(**ROUNDS)
    off = _run(acute__senior_review_hours=[0.0, 24.0], acute__weekend_review_ratio=1.0)

    def kpi(res, name):
        return float(res.kpis.set_index("kpi").loc[name, "value"])

    assert kpi(on, "delayed_discharge_share") < kpi(off, "delayed_discharge_share")
    # the afternoon's and night's waits of half the discharges (pathway 0) become treatment
    assert kpi(on, "mean_delay_days") < kpi(off, "mean_delay_days") - 0.15
    assert kpi(on, "delayed_bed_share") < kpi(off, "delayed_bed_share")
    assert kpi(on, "acute_occupancy_share") >= kpi(off, "acute_occupancy_share")
