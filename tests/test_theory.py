"""Agreement with queueing theory on reduced configs (Erlang C, offered load, Little's law)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim.model import Model
from sim.results import collect

from .conftest import small

YEAR = 365.25


def erlang_c_wait_days(servers: int, arrivals_per_day: float, mean_service_days: float) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = arrivals_per_day * mean_service_days
    rho = a / servers
    assert rho < 1
    terms = sum(a ** k / math.factorial(k) for k in range(servers))
    top = a ** servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (terms + top)
    return p_wait / (servers / mean_service_days - arrivals_per_day)


def _interval(values, confidence=0.99):
    x = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return x.mean() - half, x.mean() + half


@pytest.mark.parametrize("people, beds, los_days", [
    (12_420, 20, 5.0),   # rho = 0.85
    (6_817, 8, 3.0),     # rho = 0.70
])
def test_mmc_occupancy_and_boarding_wait_match_erlang_c(people, beds, los_days):
    cfg = sim.load_config("theory/mmc_acute", overrides={
        "population.size": people, "acute.beds": beds, "acute.los_mean_days": los_days})
    rate = cfg.crisis.rate_per_person_year
    arrivals = people * rate / YEAR
    res = sim.run(cfg, replications=8, seed=11, progress=False)
    kpis = res.kpis.pivot(index="replication", columns="kpi", values="value")
    # offered load: every arrival is served, so mean busy beds = arrivals x mean stay
    lo, hi = _interval(kpis["mean_acute_occupancy"])
    assert lo <= arrivals * los_days <= hi
    lo, hi = _interval(kpis["mean_boarding_wait_hours"])
    assert lo <= erlang_c_wait_days(beds, arrivals, los_days) * 24 <= hi
    lo, hi = _interval(kpis["emergency_admissions"])
    assert lo <= people * rate <= hi


def test_theory_config_has_no_deaths_delays_or_avoidance():
    res = sim.run(sim.load_config("theory/mmc_acute", overrides={"run.years": 0.5}),
                  replications=1, progress=False)
    k = res.summary.set_index("kpi")["mean"]
    assert k["emergency_admissions"] > 0                     # a run in which things happen
    assert k["deaths"] == 0 and k["delayed_bed_days"] == 0 and k["care_home_admissions"] == 0


def test_littles_law_on_the_default_place():
    """Mean occupied beds = admissions per day x mean time in a bed, up to window edges."""
    model = Model(small(people=8000, years=2.0), seed=4, replication=0)
    model.run()
    k = collect(model, 0, 4).kpis
    start, end = model.warmup, model.horizon
    stays = np.array([(r[0], r[0] + r[5]) for r in model.log.of("bed_stay")])
    inside = stays[(stays[:, 0] >= start) & (stays[:, 0] < end)]
    arrivals_per_day = len(inside) / (end - start)
    mean_stay = np.mean(np.minimum(inside[:, 1], end) - inside[:, 0])
    # stays that straddle the window's edges are the only difference between the two sides
    straddling = stays[(stays[:, 0] < start) & (stays[:, 1] > start)]
    edge = (np.minimum(straddling[:, 1], end) - start).sum() / (end - start)
    assert k["mean_acute_occupancy"] == pytest.approx(arrivals_per_day * mean_stay, abs=edge + 1e-9)
    assert edge < 0.02 * k["mean_acute_occupancy"]
