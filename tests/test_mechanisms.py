"""Directional effects of each mechanism: one-sided paired comparisons, common random numbers.

Each test runs a small place (6,000 people aged 65+, capacities in proportion, unless a test
says otherwise) for one year after warm-up, several replications, the same seeds in both arms;
the claim is that the 95% interval of the paired difference lies on the stated side of zero
(for heavy-tailed ED boarding waits, that every replication moves that way: a sign test).
Under common random numbers an arm that changes nothing gives a difference of exactly zero, so
every check asks for an effect strictly on one side. Runs are shared between tests
(:func:`tests.conftest.run_once`): the fragmented places recur as the base of many comparisons.
"""

from __future__ import annotations

from scipy import stats

import sim
from sim.model import Model

from .conftest import run_once, small

REPS = 4
SEED = 21


def _paired(base_cfg, other_cfg, kpi, replications=REPS):
    a = run_once(base_cfg, replications, SEED)
    b = run_once(other_cfg, replications, SEED)
    row = sim.paired_differences(a, b).set_index("kpi").loc[kpi]
    return row


def _per_replication(cfg, kpi, replications):
    res = run_once(cfg, replications, SEED)
    return res.kpis[res.kpis["kpi"] == kpi].set_index("replication")["value"]


def test_pooling_reduces_delayed_bed_days():
    """At 10,000 people (the place of the arrangement tests, whose runs it shares) the fall is
    about 540 delayed bed days a year, four times the half-width of its interval."""
    row = _paired(small("fragmented", people=10_000), small("pooled", people=10_000),
                  "delayed_bed_days")
    assert row["ci_high"] < 0


def ample_downstream(place) -> dict:
    """Overrides giving a small place downstream capacity that rarely binds: twice its
    home-care hours (the default market is set to bind: 23,500 hours a week at the full
    place), 20% more care-home beds, twice the reablement places, 1.5 times the
    intermediate-care beds. At 6,000 people the default's localities split 17 reablement places
    into 4 teams and the home-care hours into 8 patches, so capacity causes over half of delayed
    days (~22% at the full place). What is left (~5%) is mostly services not taking people at
    weekends, which no capacity buys."""
    return {"home_care__capacity_hours_per_week": 2 * place.home_care.capacity_hours_per_week,
            "care_homes__beds": round(1.2 * place.care_homes.beds),
            "reablement__places": round(2 * place.reablement.places),
            "intermediate_care__beds": round(1.5 * place.intermediate_care.beds)}


def test_removing_the_panel_wait_reduces_delays():
    """The panel's wait is process: with capacity that binds a decision made sooner only joins
    the queue for a place sooner (the difference's interval then spans zero), so the place has
    ample downstream capacity (:func:`ample_downstream`); the fall is ~0.12 days at seed 21
    (interval -0.17 to -0.06; at the default's capacity here -0.22 to +0.06)."""
    ample = ample_downstream(small("fragmented"))
    base = small("fragmented", **ample)
    coordinator = small("fragmented", decision__mode_by_funder={"nhs": "coordinator",
                                                                  "la": "coordinator"}, **ample)
    row = _paired(base, coordinator, "mean_delay_days")
    assert row["ci_high"] < 0


def test_tighter_la_rationing_raises_waiting_list_and_delayed_days():
    base = small("fragmented")
    tight = small("fragmented", budgets__headroom_share=-0.15)
    assert _paired(base, tight, "home_care_waiting_mean")["ci_low"] > 0
    assert _paired(base, tight, "delayed_bed_days")["ci_low"] > 0


#: replications of the capacity-binding test: queues near saturation vary a lot between
#: replications, and the claim is about a difference of two paired differences
BINDING_REPS = 24
#: home-care hours of the two arms, as shares of the place's (the default's 23,500 a week at
#: the full place): 2 is ~47,000, 0.64 is ~15,000
AMPLE_HOURS, BINDING_HOURS = 2.0, 0.64


def test_advantage_shrinks_when_home_care_capacity_binds():
    """Not a panacea: a pool that buys no capacity moves people sooner into a saturated queue.

    With ample downstream capacity the arrangement's faster assessments and decisions cut the
    delay of discharges to home care by ~4 days, ~70% of it, and service capacity causes under
    a tenth of delayed days, so the gain is process. With home-care hours that bind, capacity
    causes over a fifth of delayed days and the same arrangement takes a far smaller share of
    the delay away. The claim is on the per-replication fall of that share (common random
    numbers in all four arms): its 95% t-interval over 24 replications lies above zero.

    Settings for the recalibrated default (carer churn and vacancies, care-home declines and
    turnaround; localities scale with the place, so this 10,000-person place has one patch,
    one care-home locality and one reablement team): both arms get the care-home beds,
    reablement places and intermediate-care beds of :func:`ample_downstream`, and only
    home-care hours differ. "Ample" is twice the place's hours (~47,000 a week at the full
    place; carer vacancies leave the nominal hours short); "binding" is 0.64 times (~15,000).
    At seed 21, 60 replications: capacity causes ~5% of delayed days ample and ~49% binding;
    the pool removes ~4.05 of ~5.9 days (69%) ample and ~3.6 of ~28.8 days (13%) binding. In
    days the advantage shrinks by only ~0.4 (60 replications: +0.03 to +0.85; 24 cannot tell
    it from zero): people waiting at home give up, the list settles, and a faster decision
    still gets a patient out sooner, so the pool keeps most of its days where capacity binds
    but they are a small part of a long wait. (Before the age pyramid and the yearly crisis
    review the days shrank by 0.9 +- 0.6 over 24; with nobody at home giving up, 2.0 +- 1.2.)
    """
    arrangement = "pooled"
    place = small("fragmented", people=10_000)
    hours = place.home_care.capacity_hours_per_week
    others = {k: v for k, v in ample_downstream(place).items() if not k.startswith("home_care")}

    def per_replication(cfg, kpi):
        res = run_once(cfg, BINDING_REPS, SEED)
        return res.kpis[res.kpis["kpi"] == kpi].set_index("replication")["value"].to_numpy()

    def advantage(share_of_hours):
        """(share of the base's home-care delay the arrangement removes, the days it removes,
        the base's capacity share of delayed days), per replication."""
        # budgets that never ration: the test is about capacity, not money
        overrides = {**others, "home_care__capacity_hours_per_week": share_of_hours * hours,
                     "budgets__rationing__mode": "off"}
        base = small("fragmented", people=10_000, **overrides)
        other = small(arrangement, people=10_000, **overrides)
        kpi = "mean_delay_home_care_days"
        days = per_replication(base, kpi) - per_replication(other, kpi)
        return days / per_replication(base, kpi), days, \
            per_replication(base, "capacity_delay_share")

    normal, normal_days, ample_share = advantage(AMPLE_HOURS)
    binding, _, binding_share = advantage(BINDING_HOURS)
    assert normal_days.mean() > 0 and ample_share.mean() < 0.10
    assert binding_share.mean() > 0.20
    shrink = normal - binding
    half_width = stats.t.ppf(0.975, len(shrink) - 1) * shrink.std(ddof=1) / len(shrink) ** 0.5
    assert shrink.mean() - half_width > 0, (shrink.mean(), half_width)


def test_money_only_pool_changes_little():
    """Pooling the budgets without changing assessments or decisions: no free lunch.

    The pool does pay for care: a pool silently left out would change nothing and pass."""
    base = small("fragmented")
    money_only = small("pooled", funding__joint_scope=[])
    assert _paired(base, money_only, "cost_pool_gbp")["ci_low"] > 0
    row = _paired(base, money_only, "delayed_bed_days")
    baseline = row["base_mean"]
    assert abs(row["difference"]) < 0.10 * baseline


def test_more_acute_beds_cut_boarding_waits():
    """Eight more beds cut the ED boarding wait of a tight place in every replication.

    The base has 90% of the scaled default beds and no escalation beds, so patients board in
    ED for hours (a replication's mean is 8 to 300 hours at 4,000 people). Waits this close to
    saturation are heavy-tailed, one replication waiting ten times another, so a t-interval
    over a few replications is wide whatever the effect. A sign test is not: with common random
    numbers each replication meets the same patients in both arms, and the wait must fall in
    all 6 (probability 1/64 if the sign were a coin toss; differences of exactly zero, as when
    the extra beds do nothing, fail). The fall is large, too: the mean wait at least halves
    (it falls by more than 90% in every replication at seeds 1, 2, 3 and 21).
    """
    people, reps = 4000, 6
    beds = round(0.9 * small("fragmented", people=people).acute.beds)
    base = small("fragmented", people=people, acute__escalation_beds=0, acute__beds=beds)
    more = small("fragmented", people=people, acute__escalation_beds=0, acute__beds=beds + 8)
    before, after = (_per_replication(cfg, "mean_boarding_wait_hours", reps)
                     for cfg in (base, more))
    assert (before > 1.0).all(), before        # a tight place: every replication boards
    assert (after < before).all(), after - before
    assert after.mean() < 0.5 * before.mean()


def test_deconditioning_sends_more_people_to_care_homes():
    """About 11 more care-home admissions a year on ~117 at this place. Eight replications:
    since weekend acceptance and ward groups, four (each of which moves the right way) leave
    the interval's lower end just below zero."""
    base = small("fragmented", acute__deconditioning_per_day=0.0)
    worse = small("fragmented", acute__deconditioning_per_day=0.05)
    assert _paired(base, worse, "care_home_admissions", replications=8)["ci_low"] > 0


def _admissions_per_waiting_year(cfg) -> float:
    """Admissions straight from the home-care waiting list per person-year spent on it (two
    replications pooled), from the full event log."""
    admitted = waiting_years = 0.0
    for rep in (0, 1):
        model = Model(cfg, SEED, rep, event_log=True).run()
        log = model.log.frame()
        moves = log[log["kind"] == "state"].sort_values(["person", "time_days"], kind="stable")
        before = moves.groupby("person")["service"].shift()
        admitted += ((moves["service"] == "acute_boarding") & (before == "home_waiting_care")
                     & (moves["time_days"] >= model.warmup)).sum()
        occ = model.occupancy
        waiting_years += occ.daily[int(model.warmup):occ.days_closed,
                                   occ.index["home_waiting_care"]].sum() / 365.25
    assert waiting_years > 20, "the test needs a real waiting list"
    return admitted / waiting_years


def test_higher_unmet_need_ratio_raises_admissions_of_people_waiting_for_care():
    """crisis.unmet_need_ratio multiplies the crisis hazard of people waiting at home for care:
    at 3 instead of 1 their admission rate should about triple (it is ~4x at this seed). Home
    care is cut to 40% of the place's hours so that a waiting list exists; counted per
    waiting-year, the rate does not depend on how long the list is."""
    hours = small("fragmented").home_care.capacity_hours_per_week * 0.4
    base = small("fragmented", crisis__unmet_need_ratio=1.0,
                 home_care__capacity_hours_per_week=hours)
    worse = small("fragmented", crisis__unmet_need_ratio=3.0,
                  home_care__capacity_hours_per_week=hours)
    assert _admissions_per_waiting_year(worse) > 1.5 * _admissions_per_waiting_year(base)
